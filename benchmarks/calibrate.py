"""Fit the engine's cost model (convcli/engine/planning.py and fourier.py) to this machine.

    python benchmarks/calibrate.py

Prints, on a 4000x3000 RGB float32 image:
1. direct passes on one thread for kernels of 9 to 225 taps, dense ones fused and sparse ones
   a shift-and-add per tap, and the least-squares fits of SECONDS_PER_FUSED_TAP,
   SECONDS_PER_TAP and SECONDS_PER_OUTPUT;
2. FFT tiles of 128 to 1024 cells a side on all cores, and the fit of SECONDS_PER_CELL
   (tiles whose buffers fit L2) and SECONDS_PER_CELL_DOUBLING (each doubling beyond);
3. the strip budget sweep behind strips.CACHE_BYTES and CACHE_BYTES_THREADED, and what a
   second thread gains for each method (TAP_GAIN_PER_THREAD, FFT_GAIN_PER_THREAD).
Only the ratios between the constants steer `method="auto"`; copy the fitted values into
the source if they differ much from the ones there.
"""

from __future__ import annotations

import math
import statistics
import time
from functools import partial

import numpy as np

import convcli
from convcli.engine import direct, fourier, planning, strips
from convcli.engine.borders import Padded
from convcli.kernels import named


def median_time(run, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tap_model(image: np.ndarray) -> None:
    """Dense kernels run fused (einsum), kernels under half non-zero one shift-and-add per tap."""
    rng = np.random.default_rng(0)
    for label, density, name in (("fused", 1.0, "SECONDS_PER_FUSED_TAP"), ("shift-and-add", 0.3, "SECONDS_PER_TAP")):
        taps, seconds = [], []
        for size in [3, 5, 7, 9, 11, 15]:
            kernel = rng.uniform(0.5, 1, (size, size)) * (rng.random((size, size)) < density)
            kernel[0, 0] = kernel[-1, -1] = 1.0  # the box stays the whole kernel
            work = direct.work(kernel)
            assert work.fused == (density == 1.0)
            convcli.convolve(image, kernel, method="direct", threads=1)  # first-touch costs out of the way
            elapsed = median_time(partial(convcli.convolve, image, kernel, method="direct", threads=1), 3)
            taps.append(work.taps)
            seconds.append(elapsed / image.size)
            print(f"  {label} {size}x{size}, {work.taps} taps: {elapsed:.3f} s = {seconds[-1] * 1e9:.2f} ns per value")
        per_tap, per_output = np.polyfit(taps, seconds, 1)
        print(f"  fit: {name} = {per_tap:.2e}, SECONDS_PER_OUTPUT = {per_output:.2e}")


def fft_model(image: np.ndarray) -> None:
    """On all cores, as the CLI runs, converted to one core's time with FFT_GAIN_PER_THREAD:
    a second thread's share of the memory bus makes large tiles dearer than on one alone."""
    threads = strips.available_cores()
    gain = 1 + planning.FFT_GAIN_PER_THREAD * (threads - 1)
    kernel = np.random.default_rng(1).uniform(0, 1, (31, 31))
    padded = Padded(image, (15, 15), (15, 15), "reflect")
    out = np.empty_like(image)
    channels = image.shape[2]
    small, large = [], []
    for side in (128, 192, 256, 384, 512, 768, 1024):
        tile = (side, side)
        spectrum = fourier.kernel_spectrum(kernel, tile, image.dtype)
        apply = partial(fourier.correlate_valid, spectrum=spectrum, kernel_shape=kernel.shape, tile=tile)

        def strip(r0: int, r1: int, apply=apply) -> None:
            apply(padded.band(r0, r1 + 30), out=out[r0:r1])

        elapsed = median_time(partial(strips.run, strip, image.shape[0], side - 30, threads), 3)
        tiles = math.ceil(image.shape[0] / (side - 30)) * math.ceil(image.shape[1] / (side - 30))
        one_core = elapsed * gain
        per_cell = (one_core - tiles * fourier.SECONDS_PER_TILE) / (tiles * channels * side * side)
        doublings = math.log2(2 * image.itemsize * channels * side * side / fourier.L2_BYTES)
        (small if doublings <= 0 else large).append((doublings, per_cell))
        model = fourier.fft_seconds(tile, kernel.shape, image.shape[:2], channels, image.itemsize)
        print(
            f"  tiles {side}x{side}: {elapsed:.3f} s on {threads} threads = {one_core:.3f} s on one core, "
            f"model {model:.3f} s, {per_cell * 1e9:.2f} ns per cell"
        )
    base = statistics.median(cost for _, cost in small) if small else fourier.SECONDS_PER_CELL
    slope = statistics.median((cost - base) / d for d, cost in large) if large else 0.0
    print(f"  fit: SECONDS_PER_CELL = {base:.2e}, SECONDS_PER_CELL_DOUBLING = {slope:.2e}")


def threads_and_strips(image: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    work = {
        "direct 3x3 emboss": (named.emboss(), "direct"),
        "direct 5x5": (rng.uniform(0, 1, (5, 5)), "direct"),
        "separable gaussian(2)": (named.gaussian(2), "separable"),
        "separable gaussian(10)": (named.gaussian(10), "separable"),
        "fft 31x31": (rng.uniform(0, 1, (31, 31)), "fft"),
    }
    saved = strips.CACHE_BYTES, strips.CACHE_BYTES_THREADED
    try:
        for budget in (512 << 10, 1 << 20, 2 << 20, 4 << 20):
            strips.CACHE_BYTES = strips.CACHE_BYTES_THREADED = budget
            cells = []
            for name, (kernel, method) in work.items():
                one = median_time(partial(convcli.convolve, image, kernel, method=method, threads=1), 3)
                two = median_time(partial(convcli.convolve, image, kernel, method=method, threads=2), 3)
                cells.append(f"{name} {one:.3f}/{two:.3f} s")
            print(f"  strips of {budget >> 10} KiB, 1/2 threads: " + "; ".join(cells))
    finally:
        strips.CACHE_BYTES, strips.CACHE_BYTES_THREADED = saved


def main() -> None:
    image = np.random.default_rng(0).random((3000, 4000, 3), dtype=np.float32)
    print("1. direct passes, one thread")
    tap_model(image)
    print("2. FFT tiles, all cores, 31x31 kernel")
    fft_model(image)
    print("3. strip budget and threads")
    threads_and_strips(image)


if __name__ == "__main__":
    main()
