"""The filters filter_file applies: callables of the colour planes and the value outside them
that call the engine, picklable so that worker processes can run them, and timed on request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine import convolve, correlate, plan_for
from ..filters import sobel
from ..kernels import Kernel, named


@dataclass(frozen=True, kw_only=True)
class Filter:
    """A filter computing with the engine's `border`, `method` and `threads` (None: all cores);
    `report`, if any, is given a line saying the engine's plan and the time it took."""

    border: str = "reflect"
    method: str = "auto"
    threads: int | None = None
    report: Callable[[str], None] | None = field(default=None, compare=False)

    def reporting(self, report: Callable[[str], None]) -> Filter:
        return replace(self, report=report)

    def _options(self, cval: float) -> dict:
        return {"border": self.border, "cval": cval, "method": self.method, "threads": self.threads}


@dataclass(frozen=True)
class KernelFilter(Filter):
    """Convolution with `kernel`, or correlation.

    >>> from convcli.kernels import named_kernel
    >>> KernelFilter(named_kernel("shift:dx=1,dy=0"), correlate=False, border="constant")(np.eye(2), 0.0)
    array([[0., 1.],
           [0., 0.]])
    """

    kernel: Kernel
    correlate: bool = False

    def __call__(self, colour: np.ndarray, cval: float) -> np.ndarray:
        operation = correlate if self.correlate else convolve
        start = time.perf_counter()
        options = self._options(cval)
        result = operation(colour, self.kernel.matrix, anchor=self.kernel.anchor, dtype=colour.dtype, **options)
        _time(self, colour, self.kernel.matrix, start)
        return result


@dataclass(frozen=True)
class SobelFilter(Filter):
    """The Sobel gradient along `axis` (x, y) or its magnitude (both)."""

    axis: str = "both"

    def __call__(self, colour: np.ndarray, cval: float) -> np.ndarray:
        start = time.perf_counter()
        result = sobel(colour, self.axis, dtype=colour.dtype, **self._options(cval))
        _time(self, colour, named.sobel_x(), start, passes=1 if self.axis != "both" else 2)
        return result


def _time(applied: Filter, colour: np.ndarray, kernel: np.ndarray, start: float, passes: int = 1) -> None:
    """For `applied.report`, the plan the engine follows and the time the filtering took."""
    if applied.report is None:
        return
    elapsed = time.perf_counter() - start
    plan = plan_for(
        colour.shape,
        kernel,
        method=applied.method,
        threads=applied.threads,
        dtype=colour.dtype,
        finite=bool(np.isfinite(colour).all()),
    )
    what = f"{plan.method} ({plan.detail})" + (f" x{passes} passes" if passes > 1 else "")
    applied.report(
        f"{'x'.join(map(str, colour.shape))}: {what} on {plan.threads} thread(s), "
        f"estimated {passes * plan.seconds:.3f} s, took {elapsed:.3f} s"
    )
