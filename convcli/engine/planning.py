"""Choosing how to compute a correlation: each method's cost on this image and kernel, and
a plan that runs the chosen one strip by strip."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np

from ..choices import METHODS
from ..wording import counted
from . import direct, fourier, lowrank, separable, strips

# Seconds on one core, fitted by benchmarks/calibrate.py on a 2-core x86-64 (AVX-512) machine:
# per value computed per tap, fused (einsum's multiply-add, direct.py) or as a shift-and-add
# (a multiply and an add, each a pass over a cache-sized strip); per output value on top
# (reading the input rows into the strip, allocating and first touching the output); and per
# call per strip, the Python and ufunc overhead that dominates when a huge kernel meets a
# small image. The FFT's own constants are in fourier.py. Only ratios matter for the choice;
# the scale makes --verbose's estimate a time.
SECONDS_PER_FUSED_TAP = 0.1e-9
SECONDS_PER_TAP = 0.2e-9
SECONDS_PER_OUTPUT = 1.5e-9
SECONDS_PER_TAP_CALL = 1.4e-6
# A fused pass's setup on each strip (the strided view, einsum parsing its operands): 10 us.
SECONDS_PER_FUSED_PASS = 10e-6

# What each extra thread adds to the speed, measured on 2 cores: an FFT tile is milliseconds
# of work with the GIL released, and so is a fused pass over a strip (einsum); a shift-and-add
# call on a cache-sized strip is ~20 us, so handing the GIL over between calls eats most of the
# second core there.
FFT_GAIN_PER_THREAD = 0.8
FUSED_GAIN_PER_THREAD = 0.75
TAP_GAIN_PER_THREAD = 0.15

# Work estimated under this many seconds runs on one thread: handing strips to other threads
# costs more than it saves there (a 300x200 RGB emboss: 0.9 ms on one thread, 1.2 ms on two).
SERIAL_SECONDS = 0.002


@dataclass(frozen=True)
class Plan:
    """How a correlation will run: the method, a short description of its shape, the cost
    model's estimate in seconds, the threads it will use, the strip height, and `build`,
    which makes the strip filter (deferred, as the FFT's kernel spectrum is not worth
    computing for a plan that loses)."""

    method: str
    detail: str
    seconds: float
    threads: int
    rows: int
    build: Callable[[], strips.StripFilter]


def make_plan(
    kernel: np.ndarray,
    out_shape: tuple[int, ...],
    dtype,
    method: str = "auto",
    threads: int = 1,
    finite: bool = True,
) -> Plan:
    """Plan the valid correlation of an image by `kernel` (float64, 2-D) whose valid output
    has `out_shape` ((H, W) or (H, W, C)), computed in `dtype` on up to `threads` threads.

    `method` "auto" takes the plan the cost model finds cheapest; a named method is planned
    as asked ("separable" needs a rank-1 kernel). If the image holds NaN or infinities
    (`finite` False), auto keeps to the methods that keep them where they are: the FFT
    spreads one over its whole tile, and low rank's terms can turn inf into NaN.

    >>> make_plan(np.ones((3, 3)), (100, 100), np.float32, "direct").method
    'direct'
    >>> make_plan(np.ones((9, 9)), (100, 100), np.float32).detail
    'column 9 x row 9'
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    dtype = np.dtype(dtype)
    if method == "fft" and not finite:
        raise ValueError(
            "the fft method would spread the image's NaN or infinite values over whole tiles; "
            "use the direct or separable method, or replace them first"
        )
    if method != "auto":
        makers = {"direct": _direct, "separable": _separable, "lowrank": _lowrank, "fft": _fft}
        plan = makers[method](kernel, out_shape, dtype, threads)
        if plan is None:
            raise ValueError("method='separable' needs a rank-1 (separable) kernel")
        return _serial_if_small(plan)
    rank1 = _separable(kernel, out_shape, dtype, threads)
    candidates = [_direct(kernel, out_shape, dtype, threads), rank1]
    if finite:
        candidates.append(_fft(kernel, out_shape, dtype, threads))
    best = min((p for p in candidates if p is not None), key=lambda p: p.seconds)
    # Low rank needs an SVD, and for kernels over ~40 a side LAPACK wakes OpenBLAS's threads,
    # which then spin on every core for tens of milliseconds: the filtering that follows ran
    # 70% slower. So it is planned only where it could win: rank 2 or more (rank 1 is the
    # separable plan) and two passes cheaper than the best plan so far.
    kh, kw = kernel.shape
    one_term = _separable_passes(np.ones(kh), np.ones(kw), out_shape)
    lower_bound = _tap_seconds(one_term + one_term, out_shape, threads, best.rows)
    if finite and rank1 is None and lower_bound < best.seconds:
        best = min(best, _lowrank(kernel, out_shape, dtype, threads), key=lambda p: p.seconds)
    return _serial_if_small(best)


def _serial_if_small(plan: Plan) -> Plan:
    if plan.seconds < SERIAL_SECONDS and plan.threads > 1:
        return Plan(plan.method, plan.detail, plan.seconds, 1, plan.rows, plan.build)
    return plan


def _threads_used(threads: int, rows: int, height: int) -> int:
    """No more threads than there are strips."""
    return max(1, min(threads, math.ceil(height / rows)))


def _on_threads(seconds: float, gain_per_thread: float, used: int) -> float:
    """`seconds` on one core, spread over `used` threads."""
    return seconds / (1 + gain_per_thread * (used - 1))


def _outputs(out_shape) -> int:
    return math.prod(out_shape)


def _row_bytes(out_shape, dtype) -> int:
    return math.prod(out_shape[1:]) * dtype.itemsize


class _Passes(NamedTuple):
    """The cost of direct passes on one core: seconds of taps, seconds of calls per strip,
    and whether every pass is fused (which decides what a second thread gains)."""

    taps: float
    calls: float
    fused: bool

    def __add__(self, other):
        return _Passes(self.taps + other.taps, self.calls + other.calls, self.fused and other.fused)


def _passes(work: direct.Work, values: int) -> _Passes:
    """One direct pass over `values` values."""
    if work.fused:
        calls = SECONDS_PER_FUSED_PASS + (work.calls - 1) * SECONDS_PER_TAP_CALL
        return _Passes(work.taps * values * SECONDS_PER_FUSED_TAP, calls, True)
    return _Passes(work.taps * values * SECONDS_PER_TAP, work.calls * SECONDS_PER_TAP_CALL, False)


def _separable_passes(column: np.ndarray, row: np.ndarray, out_shape) -> _Passes:
    """A column pass then a row pass: the column pass covers the padded width, W + kw - 1,
    which on a narrow image is far more than W."""
    height, width = out_shape[:2]
    channels = _outputs(out_shape) // (height * width)
    down, across = direct.work(column[:, np.newaxis]), direct.work(row[np.newaxis, :])
    padded_width = width + row.size - 1
    return _passes(down, height * padded_width * channels) + _passes(across, _outputs(out_shape))


def _tap_seconds(passes: _Passes, out_shape, threads: int, rows: int) -> float:
    strips_count = math.ceil(out_shape[0] / rows)
    one_core = passes.taps + _outputs(out_shape) * SECONDS_PER_OUTPUT + strips_count * passes.calls
    gain = FUSED_GAIN_PER_THREAD if passes.fused else TAP_GAIN_PER_THREAD
    return _on_threads(one_core, gain, _threads_used(threads, rows, out_shape[0]))


def _tap_plan(method, detail, passes: _Passes, buffers, halo, out_shape, dtype, threads, build) -> Plan:
    """A plan of direct passes whose strips each hold `buffers` row-sized arrays in the cache
    and read `halo` input rows beyond their own."""
    rows = strips.rows_for_cache(_row_bytes(out_shape, dtype), buffers, threads, halo)
    seconds = _tap_seconds(passes, out_shape, threads, rows)
    return Plan(method, detail, seconds, _threads_used(threads, rows, out_shape[0]), rows, build)


def _direct(kernel, out_shape, dtype, threads) -> Plan:
    work = direct.work(kernel)
    return _tap_plan(
        "direct",
        counted(int(np.count_nonzero(kernel)), "tap"),
        _passes(work, _outputs(out_shape)),
        2 if work.fused and work.calls == 1 else 3,  # the strip and the result, and a buffer for products
        kernel.shape[0] - 1,
        out_shape,
        dtype,
        threads,
        lambda: direct.Taps(kernel, dtype),
    )


def _rank_tolerance(dtype: np.dtype) -> float:
    """The smallest singular value, relative to the largest, that the factors must keep: what
    arithmetic in `dtype` keeps. A fixed 1e-6 let float64 results of a nearly separable kernel
    err by a millionth of its scale, float32's precision."""
    return 10 * float(np.finfo(dtype).eps)


def _separable(kernel, out_shape, dtype, threads) -> Plan | None:
    factors = separable.rank1_factors(kernel, rtol=_rank_tolerance(dtype))
    if factors is None:
        return None
    column, row = factors
    return _tap_plan(
        "separable",
        f"column {column.size} x row {row.size}",
        _separable_passes(column, row, out_shape),
        4,
        kernel.shape[0] - 1,
        out_shape,
        dtype,
        threads,
        lambda: separable.Factors(column, row, dtype),
    )


def _lowrank(kernel, out_shape, dtype, threads) -> Plan:
    factors = lowrank.svd_factors(kernel, rtol=_rank_tolerance(dtype))
    # Each term after the first costs one more pass to add it in.
    adds = max(0, len(factors) - 1)
    passes = _Passes(adds * _outputs(out_shape) * SECONDS_PER_TAP / 2, adds * SECONDS_PER_TAP_CALL, True)
    for column, row in factors:
        passes += _separable_passes(column, row, out_shape)
    return _tap_plan(
        "lowrank",
        f"rank {len(factors)}",
        passes,
        5,
        kernel.shape[0] - 1,
        out_shape,
        dtype,
        threads,
        lambda: lowrank.Terms(factors, dtype),
    )


def _fft(kernel, out_shape, dtype, threads) -> Plan:
    plane = out_shape[:2]
    channels = _outputs(out_shape) // _outputs(plane)
    tile = fourier.tile_shape(kernel.shape, plane, channels, dtype.itemsize)

    def build() -> strips.StripFilter:
        spectrum = fourier.kernel_spectrum(kernel, tile, dtype)
        return partial(fourier.correlate_valid, spectrum=spectrum, kernel_shape=kernel.shape, tile=tile)

    rows = tile[0] - kernel.shape[0] + 1
    used = _threads_used(threads, rows, plane[0])
    one_core = (
        fourier.fft_seconds(tile, kernel.shape, plane, channels, dtype.itemsize)
        + _outputs(out_shape) * SECONDS_PER_OUTPUT
    )
    seconds = _on_threads(one_core, FFT_GAIN_PER_THREAD, used)
    return Plan("fft", f"tiles {tile[0]}x{tile[1]}", seconds, used, rows, build)
