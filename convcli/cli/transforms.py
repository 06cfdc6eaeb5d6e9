"""The filters the commands hand to the image pipeline: callables of the colour planes and the
value outside them, picklable so that worker processes can run them, timed for --verbose."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine import convolve, correlate, plan_for
from ..filters import sobel
from ..kernels import Kernel, named
from .options import EngineOptions


@dataclass(frozen=True)
class Filter:
    """A filter computing as `engine` says; `report`, if any, takes the --verbose line."""

    engine: EngineOptions
    report: Callable[[str], None] | None = field(default=None, kw_only=True)

    def reporting(self, report: Callable[[str], None]) -> Filter:
        return replace(self, report=report)


@dataclass(frozen=True)
class KernelFilter(Filter):
    """Convolution with `kernel`, or correlation."""

    kernel: Kernel
    correlate: bool

    def __call__(self, colour: np.ndarray, cval: float) -> np.ndarray:
        operation = correlate if self.correlate else convolve
        start = time.perf_counter()
        result = operation(
            colour,
            self.kernel.matrix,
            border=self.engine.border,
            cval=cval,
            anchor=self.kernel.anchor,
            method=self.engine.method,
            threads=self.engine.threads,
            dtype=colour.dtype,
        )
        _time(self.report, self.engine, colour, self.kernel.matrix, start)
        return result


@dataclass(frozen=True)
class SobelFilter(Filter):
    """The Sobel gradient along `axis` (x, y) or its magnitude (both)."""

    axis: str

    def __call__(self, colour: np.ndarray, cval: float) -> np.ndarray:
        start = time.perf_counter()
        result = sobel(
            colour,
            self.axis,
            border=self.engine.border,
            cval=cval,
            method=self.engine.method,
            threads=self.engine.threads,
            dtype=colour.dtype,
        )
        _time(self.report, self.engine, colour, named.sobel_x(), start, passes=1 if self.axis != "both" else 2)
        return result


def _time(report, engine: EngineOptions, colour: np.ndarray, kernel: np.ndarray, start: float, passes: int = 1) -> None:
    """With --verbose, the plan the engine follows and the time the filtering took."""
    if report is None:
        return
    elapsed = time.perf_counter() - start
    plan = plan_for(
        colour.shape,
        kernel,
        method=engine.method,
        threads=engine.threads,
        dtype=colour.dtype,
        finite=bool(np.isfinite(colour).all()),
    )
    what = f"{plan.method} ({plan.detail})" + (f" x{passes} passes" if passes > 1 else "")
    report(
        f"{'x'.join(map(str, colour.shape))}: {what} on {plan.threads} thread(s), "
        f"estimated {passes * plan.seconds:.3f} s, took {elapsed:.3f} s"
    )
