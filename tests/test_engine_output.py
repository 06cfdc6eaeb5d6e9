"""The engine's input dtypes: any real image converted strip by strip, never as a whole, against
scipy on every method, thread count, border and size."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from scipy import ndimage, signal

from convcli import convolve, correlate
from convcli.engine import BORDER_MODES, fourier, planning, strips

METHODS = ["direct", "separable", "lowrank", "fft"]
LAYOUTS = [("same", border) for border in BORDER_MODES] + [("full", "constant"), ("valid", "constant")]
IMAGE_DTYPES = ["uint8", "uint16", "int16", "int32", "bool", "float16", ">f4", ">u2", "float64"]
CVAL = 0.3


@pytest.fixture
def many_strips(monkeypatch):
    """One output row per strip and 16x20 FFT tiles, threaded even on these small images."""
    monkeypatch.setattr(planning, "SERIAL_SECONDS", 0)
    monkeypatch.setattr(strips, "CACHE_BYTES", 1)
    monkeypatch.setattr(strips, "CACHE_BYTES_THREADED", 1)
    monkeypatch.setattr(fourier, "tile_shape", lambda *args: (16, 20))


def image_of(dtype: str, shape, r: np.random.Generator) -> np.ndarray:
    """Values that use the dtype: past 255 for 16 bits (so that 8-bit `out` clips), negative for signed."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return r.random(shape) < 0.5
    if dtype.kind == "f":
        return r.uniform(-50, 300, shape).astype(dtype)
    low = 0 if dtype.kind == "u" else -400
    high = 255 if dtype.itemsize == 1 else 1000
    return r.integers(low, high, shape, endpoint=True).astype(dtype)


def kernel_for(method: str, shape, r: np.random.Generator) -> np.ndarray:
    """Eighths from -1 to 2: negative results and results past the image's range, so that clipping shows."""
    if method == "separable":
        return np.outer(r.integers(-4, 9, shape[0]), r.integers(-4, 9, shape[1])) / 32
    return r.integers(-8, 17, shape) / 8


def reference(image: np.ndarray, kernel: np.ndarray, flip: bool, size: str, border: str) -> np.ndarray:
    """scipy's float64 answer, channel by channel."""
    planes = image.astype(np.float64).reshape(image.shape[:2] + (-1,))
    results = []
    for plane in np.moveaxis(planes, -1, 0):
        if size == "same":
            filtered = (ndimage.convolve if flip else ndimage.correlate)(plane, kernel, mode=border, cval=CVAL)
        else:
            filtered = (signal.convolve2d if flip else signal.correlate2d)(plane, kernel, mode=size)
        results.append(filtered)
    return np.stack(results, axis=-1).reshape(results[0].shape + image.shape[2:])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size, border", LAYOUTS)
def test_every_image_dtype_matches_scipy(method, threads, size, border, many_strips):
    """Each run takes the next image dtype in turn, so that every pairing of method, threads,
    border, size, kernel parity and flip meets several."""
    seed = METHODS.index(method) * 100 + threads * 10 + LAYOUTS.index((size, border))
    r = np.random.default_rng(seed)
    cases = itertools.product([(3, 3), (4, 2), (2, 5)], [True, False])
    for turn, (kernel_shape, flip) in enumerate(cases):
        image = image_of(IMAGE_DTYPES[(seed + turn) % len(IMAGE_DTYPES)], (23, 17, 2) if turn % 2 else (23, 17), r)
        kernel = kernel_for(method, kernel_shape, r)
        want = reference(image, kernel, flip, size, border)
        run = convolve if flip else correlate
        got = run(image, kernel, border=border, cval=CVAL, size=size, method=method, threads=threads)
        assert got.dtype == np.float32 and got.shape == want.shape
        scale = np.abs(kernel).sum() * max(1.0, float(np.abs(image.astype(np.float64)).max()))
        np.testing.assert_allclose(got, want, rtol=0, atol=4e-6 * scale)


def test_a_uint8_image_is_never_converted_whole():
    """NumPy's allocations while filtering an 8-bit image: the float32 result and a few strips,
    where converting the image first took as much again."""
    image = np.random.default_rng(1).integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    tracemalloc.start()
    try:
        convolve(image, np.full((3, 3), 1 / 9), method="separable", threads=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.25 * image.size * 4


def test_a_float16_image_of_large_values_may_take_the_fft():
    """Its sum, in float16, overflowed: the image was taken for one holding infinities."""
    image = np.full((64, 64), 60000, dtype=np.float16)
    got = convolve(image, np.full((9, 9), 1 / 81), method="fft", border="nearest")
    np.testing.assert_allclose(got, 60000, rtol=1e-5)


def test_big_endian_and_strided_images_read_as_their_values():
    r = np.random.default_rng(2)
    image = r.uniform(0, 1, (12, 30, 3))
    kernel = r.uniform(-1, 1, (3, 4))
    want = convolve(image[:, ::2, 1], kernel, dtype=np.float64)
    for view in (image.astype(">f8")[:, ::2, 1], np.asfortranarray(image)[:, ::2, 1]):
        np.testing.assert_array_equal(convolve(view, kernel, dtype=np.float64), want)
