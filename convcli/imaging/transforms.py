"""The filters filter_file applies, planned for one image and applied a band of rows at a
time by :mod:`.pipeline`: picklable, so that worker processes can run them, and timed on request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine import BandFilter, Plan, band_filter
from ..kernels import Kernel, named


@dataclass(frozen=True, kw_only=True)
class Filter:
    """A filter computing with the engine's `border`, `method` and `threads` (None: all cores);
    `report`, if any, is given a line saying the engine's plan and the time it took.

    ``planned(shape, dtype, finite, cval)`` is the filter for an image of `shape`, (H, W, C),
    in `dtype` (`finite`: free of NaN and infinities), extended by a constant border of `cval`
    where the border is constant: a :class:`Planned`."""

    border: str = "reflect"
    method: str = "auto"
    threads: int | None = None
    report: Callable[[str], None] | None = field(default=None, compare=False)

    def reporting(self, report: Callable[[str], None]) -> Filter:
        return replace(self, report=report)

    def _band(self, shape, kernel, dtype, finite: bool, cval: float, correlate: bool, anchor=None) -> BandFilter:
        options = {"method": self.method, "threads": self.threads, "finite": finite, "cval": cval}
        return band_filter(shape, kernel, correlate=correlate, anchor=anchor, dtype=dtype, **options)

    def told(self, shape: tuple[int, ...], planned: Planned, seconds: float) -> None:
        """Give `report` the plan followed for an image of `shape` and the `seconds` it took."""
        if self.report is None:
            return
        plan, passes = planned.plan, planned.passes
        what = f"{plan.method} ({plan.detail})" + (f" x{passes} passes" if passes > 1 else "")
        shown = shape[:2] if shape[2:] == (1,) else shape  # grey is H x W, as the image's size is said
        self.report(
            f"{'x'.join(map(str, shown))}: {what} on {plan.threads} thread(s), "
            f"estimated {passes * plan.seconds:.3f} s, took {seconds:.3f} s"
        )


@dataclass(frozen=True)
class Planned:
    """A filter planned for one image: ``planned(band)`` filters `band`, rows ``r0`` to
    ``r1 + rows[0] + rows[1]`` of the image extended by `rows` (above, below) and `cols`
    (left, right) by the filter's `border`, into output rows ``r0`` to ``r1``; in strips
    of ``plan.rows`` on ``plan.threads`` threads. Sobel's magnitude makes `passes` 2."""

    bands: tuple[BandFilter, ...]
    border: str
    combine: Callable[[list[np.ndarray]], np.ndarray] | None = None

    @property
    def plan(self) -> Plan:
        return self.bands[0].plan

    @property
    def passes(self) -> int:
        return len(self.bands)

    @property
    def rows(self) -> tuple[int, int]:
        return self.bands[0].rows

    @property
    def cols(self) -> tuple[int, int]:
        return self.bands[0].cols

    def __call__(self, band: np.ndarray) -> np.ndarray:
        results = [apply(band) for apply in self.bands]
        return results[0] if self.combine is None else self.combine(results)


@dataclass(frozen=True)
class KernelFilter(Filter):
    """Convolution with `kernel`, or correlation.

    >>> from convcli.kernels import named_kernel
    >>> planned = KernelFilter(named_kernel("shift:dx=1,dy=0"), border="constant").planned((2, 2, 1))
    >>> planned.rows, planned.cols
    ((0, 0), (1, 1))
    >>> planned(np.pad(np.eye(2)[..., np.newaxis], ((0, 0), (1, 1), (0, 0))))[..., 0]
    array([[0., 1.],
           [0., 0.]], dtype=float32)
    """

    kernel: Kernel
    correlate: bool = False

    def planned(self, shape, dtype=np.float32, finite: bool = True, cval: float = 0.0) -> Planned:
        matrix, anchor = self.kernel.matrix, self.kernel.anchor
        return Planned((self._band(shape, matrix, dtype, finite, cval, self.correlate, anchor),), self.border)


@dataclass(frozen=True)
class SobelFilter(Filter):
    """The Sobel gradient along `axis` (x, y) or its magnitude (both), as :func:`convcli.filters.sobel`."""

    axis: str = "both"

    def planned(self, shape, dtype=np.float32, finite: bool = True, cval: float = 0.0) -> Planned:
        kernels = {"x": (named.sobel_x(),), "y": (named.sobel_y(),), "both": (named.sobel_x(), named.sobel_y())}
        bands = tuple(self._band(shape, kernel, dtype, finite, cval, correlate=False) for kernel in kernels[self.axis])
        return Planned(bands, self.border, _magnitude if self.axis == "both" else None)


def _magnitude(gradients: list[np.ndarray]) -> np.ndarray:
    gx, gy = gradients
    return np.hypot(gx, gy, out=gx)
