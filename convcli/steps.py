"""Convolution and correlation spelled out: each output value as the sum of products it is.

For `convcli explain`: pure NumPy, and the same rules as the engine (DESIGN.md): convolution
applies the kernel rotated 180 degrees, correlation as written; values outside the signal
come from the border mode, or are 0 for the textbook full size.

>>> steps = signal_sums([1, 0.5, 1, 1], [1, 0.5, 0.25], size="full")
>>> [step.total for step in steps]
[1.0, 1.0, 1.5, 1.625, 0.75, 0.25]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .choices import SIZE_MODES
from .engine.borders import Padded


@dataclass(frozen=True)
class Sum:
    """One output value: the `weights` as applied (flipped for convolution) laid over `values`
    of the signal or image, which start at `start` (an index, or a (row, column) pair).
    `inside` marks the values that lie in the signal (the others come from the border mode,
    or are the zeros of full size, which add nothing)."""

    start: int | tuple[int, int]
    values: np.ndarray
    weights: np.ndarray
    inside: np.ndarray

    @property
    def products(self) -> np.ndarray:
        return self.values * self.weights

    @property
    def total(self) -> float:
        return float(self.products.sum())


def applied(kernel: np.ndarray, anchor: tuple[int, ...], correlate: bool) -> tuple[np.ndarray, tuple[int, ...]]:
    """The kernel as it is laid over the input, and its anchor: rotated 180 degrees for
    convolution (the anchor moving to its mirror), as written for correlation.

    >>> applied(np.array([[1.0, 2.0, 3.0]]), (0, 0), correlate=False)
    (array([[3., 2., 1.]]), (0, 2))
    """
    if correlate:
        return kernel, tuple(anchor)
    return kernel[::-1, ::-1], tuple(n - 1 - a for n, a in zip(kernel.shape, anchor, strict=True))


def signal_sums(
    signal,
    kernel,
    *,
    correlate: bool = False,
    size: str = "full",
    border: str = "reflect",
    cval: float = 0.0,
    anchor: int | None = None,
) -> list[Sum]:
    """Each output of a 1-D convolution (or correlation) of `signal` with `kernel`, as a
    :class:`Sum`. Full size treats the signal as 0 outside, the textbook sum; same size
    extends it by `border`, as the engine does, with the kernel's `anchor` (default: its
    centre, m // 2) over each output; valid size needs no values outside."""
    if size not in SIZE_MODES:
        raise ValueError(f"unknown size mode {size!r}; choose one of {', '.join(SIZE_MODES)}")
    a = np.asarray(signal, dtype=np.float64).ravel()
    k = np.asarray(kernel, dtype=np.float64).ravel()
    n, m = a.size, k.size
    if anchor is not None and size != "same":
        raise ValueError(f"an anchor applies to same size only, not {size}")
    weights, (_, anchor) = applied(k[np.newaxis], (0, m // 2 if anchor is None else anchor), correlate)
    if size == "valid" and m > n:
        raise ValueError(f"valid size needs a kernel no longer than the signal ({m} > {n})")
    # Where the applied kernel's first weight lies for output 0, and how many outputs there are.
    first, count = {"same": (-anchor, n), "full": (-(m - 1), n + m - 1), "valid": (0, n - m + 1)}[size]
    extended = Padded(a[np.newaxis], (0, 0), (m, m), "constant" if size == "full" else border, cval).band(0, 1)[0]
    sums = []
    for out in range(count):
        start = first + out
        positions = np.arange(start, start + m)
        sums.append(Sum(start, extended[positions + m], weights[0], (positions >= 0) & (positions < n)))
    return sums


def pixel_sums(
    image: np.ndarray,
    kernel: np.ndarray,
    at: tuple[int, int],
    *,
    anchor: tuple[int, int] | None = None,
    correlate: bool = False,
    border: str = "reflect",
    cval: float = 0.0,
) -> list[Sum]:
    """The output at `at` (row, column) of filtering `image` ((H, W) or (H, W, C)) with a 2-D
    kernel, one :class:`Sum` a channel, with the neighbourhood extended by `border`."""
    kernel = np.asarray(kernel, dtype=np.float64)
    height, width = image.shape[:2]
    row, column = at
    if not (0 <= row < height and 0 <= column < width):
        raise ValueError(f"pixel x={column}, y={row} lies outside the {width}x{height} image")
    kh, kw = kernel.shape
    weights, (ay, ax) = applied(kernel, anchor if anchor is not None else (kh // 2, kw // 2), correlate)
    top, left = row - ay, column - ax
    padded = Padded(image, (kh, kh), (kw, kw), border, cval)
    window = padded.band(top + kh, top + 2 * kh)[:, left + kw : left + 2 * kw].astype(np.float64)
    rows, columns = np.meshgrid(np.arange(top, top + kh), np.arange(left, left + kw), indexing="ij")
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    planes = window[..., np.newaxis] if window.ndim == 2 else window
    return [Sum((top, left), planes[..., c], weights, inside) for c in range(planes.shape[2])]
