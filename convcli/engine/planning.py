"""Choosing how to compute a correlation: each method's cost on this image and kernel, and
a plan that runs the chosen one strip by strip."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from . import direct, fourier, lowrank, separable, strips

METHODS = ("auto", "direct", "separable", "lowrank", "fft")

# Seconds on one core, fitted by benchmarks/calibrate.py on a 2-core x86-64 (AVX-512) machine:
# per output value per tap (a multiply and an add in a cache-sized strip), and per output
# value on top (allocating and first touching the output). The FFT's own constants are in
# fourier.py. Only ratios matter for the choice; the scale makes --verbose's estimate a time.
SECONDS_PER_TAP = 0.2e-9
SECONDS_PER_OUTPUT = 1.5e-9

# What each extra thread adds to the speed, measured on 2 cores: an FFT tile is milliseconds
# of work with the GIL released, a shift-and-add call on a cache-sized strip is ~20 us, so
# handing the GIL over between calls eats most of the second core there.
FFT_GAIN_PER_THREAD = 0.8
TAP_GAIN_PER_THREAD = 0.15


@dataclass(frozen=True)
class Plan:
    """How a correlation will run: the method, a short description of its shape, the cost
    model's estimate in seconds on the threads planned for, the strip height, and `build`,
    which makes the strip filter (deferred, as the FFT's kernel spectrum is not worth
    computing for a plan that loses)."""

    method: str
    detail: str
    seconds: float
    rows: int
    build: Callable[[], strips.StripFilter]


def make_plan(
    kernel: np.ndarray, out_shape: tuple[int, ...], dtype, method: str = "auto", threads: int = 1
) -> Plan:
    """Plan the valid correlation of an image by `kernel` (float64, 2-D) whose valid output
    has `out_shape` ((H, W) or (H, W, C)), computed in `dtype` on `threads` threads.

    `method` "auto" takes the plan the cost model finds cheapest; a named method is planned
    as asked ("separable" needs a rank-1 kernel).

    >>> make_plan(np.ones((3, 3)), (100, 100), np.float32, "direct").method
    'direct'
    >>> make_plan(np.ones((9, 9)), (100, 100), np.float32).detail
    'column 9 x row 9'
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    dtype = np.dtype(dtype)
    if method != "auto":
        makers = {"direct": _direct, "separable": _separable, "lowrank": _lowrank, "fft": _fft}
        plan = makers[method](kernel, out_shape, dtype, threads)
        if plan is None:
            raise ValueError("method='separable' needs a rank-1 (separable) kernel")
        return plan
    rank1 = _separable(kernel, out_shape, dtype, threads)
    candidates = [_direct(kernel, out_shape, dtype, threads), rank1, _fft(kernel, out_shape, dtype, threads)]
    best = min((p for p in candidates if p is not None), key=lambda p: p.seconds)
    # Low rank needs an SVD, and for kernels over ~40 a side LAPACK wakes OpenBLAS's threads,
    # which then spin on every core for tens of milliseconds: the filtering that follows ran
    # 70% slower. So it is planned only where it could win: rank 2 or more (rank 1 is the
    # separable plan) and two passes cheaper than the best plan so far.
    kh, kw = kernel.shape
    if rank1 is None and _tap_seconds(2 * (kh + kw) + 1, out_shape, threads, best.rows) < best.seconds:
        best = min(best, _lowrank(kernel, out_shape, dtype, threads), key=lambda p: p.seconds)
    return best


def _on_threads(seconds: float, gain_per_thread: float, threads: int, rows: int, height: int) -> float:
    """`seconds` on one core, spread over `threads` (no more than there are strips)."""
    used = min(threads, math.ceil(height / rows))
    return seconds / (1 + gain_per_thread * (used - 1))


def _outputs(out_shape) -> int:
    return math.prod(out_shape)


def _row_bytes(out_shape, dtype) -> int:
    return math.prod(out_shape[1:]) * dtype.itemsize


def _tap_seconds(taps: float, out_shape, threads: int, rows: int) -> float:
    one_core = _outputs(out_shape) * (taps * SECONDS_PER_TAP + SECONDS_PER_OUTPUT)
    return _on_threads(one_core, TAP_GAIN_PER_THREAD, threads, rows, out_shape[0])


def _tap_plan(method, detail, taps, buffers, out_shape, dtype, threads, build) -> Plan:
    """A shift-and-add plan: `taps` multiply-adds per output value, over strips that hold
    `buffers` row-sized arrays in the cache."""
    rows = strips.rows_for_cache(_row_bytes(out_shape, dtype), buffers, threads)
    return Plan(method, detail, _tap_seconds(taps, out_shape, threads, rows), rows, build)


def _direct(kernel, out_shape, dtype, threads) -> Plan:
    taps = int(np.count_nonzero(kernel))
    return _tap_plan(
        "direct", f"{taps} taps", taps, 3, out_shape, dtype, threads,
        lambda: partial(direct.correlate_valid, kernel=kernel),
    )


def _separable(kernel, out_shape, dtype, threads) -> Plan | None:
    factors = separable.rank1_factors(kernel)
    if factors is None:
        return None
    column, row = factors
    taps = np.count_nonzero(column) + np.count_nonzero(row)
    return _tap_plan(
        "separable", f"column {column.size} x row {row.size}", taps, 4, out_shape, dtype, threads,
        lambda: partial(separable.correlate_valid, column=column, row=row),
    )


def _lowrank(kernel, out_shape, dtype, threads) -> Plan:
    factors = lowrank.svd_factors(kernel)
    # Each term after the first costs one more pass to add it in.
    taps = sum(np.count_nonzero(c) + np.count_nonzero(r) for c, r in factors) + max(0, len(factors) - 1)
    return _tap_plan(
        "lowrank", f"rank {len(factors)}", taps, 5, out_shape, dtype, threads,
        lambda: partial(lowrank.correlate_valid, factors=factors),
    )


def _fft(kernel, out_shape, dtype, threads) -> Plan:
    plane = out_shape[:2]
    channels = _outputs(out_shape) // _outputs(plane)
    tile = fourier.tile_shape(kernel.shape, plane, channels, dtype.itemsize)

    def build() -> strips.StripFilter:
        spectrum = fourier.kernel_spectrum(kernel, tile, dtype)
        return partial(fourier.correlate_valid, spectrum=spectrum, kernel_shape=kernel.shape, tile=tile)

    rows = tile[0] - kernel.shape[0] + 1
    one_core = (
        fourier.fft_seconds(tile, kernel.shape, plane, channels, dtype.itemsize)
        + _outputs(out_shape) * SECONDS_PER_OUTPUT
    )
    return Plan(
        "fft",
        f"tiles {tile[0]}x{tile[1]}",
        _on_threads(one_core, FFT_GAIN_PER_THREAD, threads, rows, plane[0]),
        rows,
        build,
    )
