"""Direct correlation: every tap of the kernel applied to shifted views of the strip, either fused
(one einsum call multiplies and adds a block of taps in a single loop) or one shift-and-add per
non-zero tap, whichever does less work for the kernel's pattern of zeros."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .strips import Cancelled, cancellation

# A kernel is fused where at least this share of the box around its non-zero taps is non-zero.
# einsum's fused loop costs about as much per tap as one ufunc pass, where a shift-and-add costs
# two (a multiply into a buffer, an add of it), so a box half full costs the same either way;
# sparser kernels (a diagonal motion streak) are cheaper one non-zero tap at a time.
DENSE_SHARE = 0.5

# Taps fused in one einsum call: its time on a strip is then a few milliseconds, so that an
# interrupt is answered between two calls (the flag is checked there), while each call after the
# first, which adds into the result through a buffer, costs only ~1% more.
TAPS_PER_CALL = 128


class Work(NamedTuple):
    """How :func:`correlate_valid` applies a kernel: `fused` or one pass per tap, the taps it
    computes (the box's for fused, the non-zero ones otherwise), and the ufunc or einsum calls
    it makes on each strip (a shift-and-add is two calls)."""

    fused: bool
    taps: int
    calls: int


def work(kernel: np.ndarray) -> Work:
    """The work :func:`correlate_valid` does for `kernel`.

    >>> work(np.ones((5, 5))), work(np.eye(15)), work(np.zeros((3, 3)))
    (Work(fused=True, taps=25, calls=1), Work(fused=False, taps=15, calls=29), Work(fused=False, taps=0, calls=1))
    """
    box = _box(kernel)
    nonzero = int(np.count_nonzero(kernel))
    if box is None:
        return Work(False, 0, 1)
    height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
    if nonzero >= DENSE_SHARE * height * width:
        rows, cols = _block(height, width)
        blocks = -(-height // rows) * -(-width // cols)
        return Work(True, height * width, 2 * blocks - 1)
    return Work(False, nonzero, 2 * nonzero - 1)


class Taps:
    """`kernel` (kh, kw) prepared once for the strips of a run in `dtype`: ``Taps(kernel,
    dtype)(padded, out)`` is :func:`correlate_valid`."""

    def __init__(self, kernel: np.ndarray, dtype):
        taps = np.asarray(kernel).astype(dtype)
        self.shape = taps.shape
        self.work = work(taps)
        self.box = _box(taps)
        self.taps = None if self.box is None else taps[self.box]

    def __call__(self, padded: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.box is None:
            out.fill(0)
            return out
        # The box's taps only: the rows and columns of zeros around it shift where the views start.
        view = padded[self.box[0].start :, self.box[1].start :]
        if self.work.fused:
            return _fused(view, self.taps, out)
        return _shift_and_add(view, self.taps, out)


def correlate_valid(padded: np.ndarray, kernel: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Correlate `padded` (H, W[, C]) with `kernel` (kh, kw) where the kernel fits wholly
    inside, writing the (H - kh + 1, W - kw + 1[, C]) result into `out` and returning it.

    Arithmetic stays in ``out.dtype``. Zero rows and columns around the kernel's non-zero
    taps cost nothing, nor do the zeros of a sparse kernel (shift, motion).

    >>> correlate_valid(np.arange(5.0)[None, :], np.array([[1.0, 0.0, -1.0]]), np.empty((1, 3)))
    array([[-2., -2., -2.]])
    """
    return Taps(kernel, out.dtype)(padded, out)


def _box(kernel: np.ndarray) -> tuple[slice, slice] | None:
    """The smallest rows-by-columns box holding every non-zero tap, or None if there is none."""
    rows, cols = np.nonzero(kernel)
    if rows.size == 0:
        return None
    return slice(int(rows.min()), int(rows.max()) + 1), slice(int(cols.min()), int(cols.max()) + 1)


def _block(height: int, width: int) -> tuple[int, int]:
    """The kernel rows and columns one einsum call takes: whole rows while they fit TAPS_PER_CALL."""
    cols = min(width, TAPS_PER_CALL)
    return max(1, TAPS_PER_CALL // cols), cols


def _fused(padded: np.ndarray, taps: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[y, x] = sum of taps[i, j] * padded[y + i, x + j]`` as einsum over a view whose axes
    (y, i, j, x) reach every shifted window of `padded` without a copy: einsum's loop
    multiplies and adds in one pass over the strip per tap, with no buffer for the products.
    A pixel's channels are taken as more x positions, so that einsum loops over whole rows."""
    oh = out.shape[0]
    height, width = taps.shape
    step0, step1 = padded.strides[:2]
    step = padded.strides[-1]
    evenly_spaced = padded.ndim == 2 or step1 == padded.shape[2] * step
    if not (evenly_spaced and out.flags.c_contiguous):  # a strided view: einsum would loop on channels innermost
        return _shift_and_add(padded, taps, out)
    target = out.reshape(oh, -1)
    windows = as_strided(padded, (oh, height, width, target.shape[1]), (step0, step0, step1, step), writeable=False)
    rows, cols = _block(height, width)
    if rows >= height and cols >= width:
        np.einsum("ij,yijx->yx", taps, windows, out=target)
        return out
    term = np.empty_like(target)
    cancelled = cancellation()
    for i in range(0, height, rows):
        for j in range(0, width, cols):
            if cancelled.is_set():
                raise Cancelled
            block = taps[i : i + rows, j : j + cols], windows[:, i : i + rows, j : j + cols]
            if i == j == 0:
                np.einsum("ij,yijx->yx", *block, out=target)
            else:
                np.add(target, np.einsum("ij,yijx->yx", *block, out=term), out=target)
    return out


def _shift_and_add(padded: np.ndarray, taps: np.ndarray, out: np.ndarray) -> np.ndarray:
    """One multiply and one add per non-zero tap, over the whole strip each."""
    oh, ow = out.shape[:2]
    rows, cols = np.nonzero(taps)
    # The first tap writes, the others add: no pass is spent zeroing `out`.
    np.multiply(padded[rows[0] : rows[0] + oh, cols[0] : cols[0] + ow], taps[rows[0], cols[0]], out=out)
    if rows.size > 1:
        product = np.empty_like(out)
        # A large kernel makes thousands of passes over the strip: an interrupt is answered
        # between two of them, not after the last.
        cancelled = cancellation()
        for i, j in zip(rows[1:], cols[1:], strict=True):
            if cancelled.is_set():
                raise Cancelled
            np.multiply(padded[i : i + oh, j : j + ow], taps[i, j], out=product)
            np.add(out, product, out=out)
    return out
