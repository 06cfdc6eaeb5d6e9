"""The engine's input and output dtypes: any real image converted strip by strip, never as a whole;
`out=` of any float or integer dtype, views and memory maps included, integers rounded half to even
and clipped; and the per-strip `finish` step: against scipy on every method, thread count, border
and size."""

from __future__ import annotations

import itertools
import threading
import tracemalloc

import numpy as np
import pytest
from scipy import ndimage, signal

from convcli import convolve, correlate
from convcli.engine import BORDER_MODES, fourier, planning, strips

METHODS = ["direct", "separable", "lowrank", "fft"]
LAYOUTS = [("same", border) for border in BORDER_MODES] + [("full", "constant"), ("valid", "constant")]
IMAGE_DTYPES = ["uint8", "uint16", "int16", "int32", "bool", "float16", ">f4", ">u2", "float64"]
OUT_DTYPES = [None, "uint8", "uint16", "int16", "float32", "float64", "float16", ">i2"]
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


def assert_written_as(got: np.ndarray, want: np.ndarray, tolerance: float) -> None:
    """`got` holds `want` in its dtype: for integers the nearest level, half to even, clipped to
    the range; where float rounding (`tolerance`) could tip `want` across a half, either neighbour."""
    if got.dtype.kind == "f":
        precision = 2e-3 if got.dtype.itemsize == 2 else 0
        np.testing.assert_allclose(got, want.astype(got.dtype), rtol=precision, atol=tolerance)
        return
    info = np.iinfo(got.dtype)
    clipped = np.clip(want, info.min, info.max)
    assert np.all(np.abs(got - clipped) <= 0.5 + tolerance)
    near_half = np.abs(np.abs(clipped - np.floor(clipped)) - 0.5) <= tolerance
    np.testing.assert_array_equal(got[~near_half], np.rint(clipped[~near_half]).astype(got.dtype))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size, border", LAYOUTS)
def test_every_image_and_out_dtype_matches_scipy(method, threads, size, border, many_strips):
    """Each run takes the next image dtype and `out` dtype in turn, so that every pairing of
    method, threads, border, size, kernel parity and flip meets several of each."""
    seed = METHODS.index(method) * 100 + threads * 10 + LAYOUTS.index((size, border))
    r = np.random.default_rng(seed)
    cases = itertools.product([(3, 3), (4, 2), (2, 5)], [True, False])
    for turn, (kernel_shape, flip) in enumerate(cases):
        image_dtype = IMAGE_DTYPES[(seed + turn) % len(IMAGE_DTYPES)]
        out_dtype = OUT_DTYPES[(seed // 3 + turn) % len(OUT_DTYPES)]
        image = image_of(image_dtype, (23, 17, 2) if turn % 2 else (23, 17), r)
        kernel = kernel_for(method, kernel_shape, r)
        want = reference(image, kernel, flip, size, border)
        out = None if out_dtype is None else np.full(want.shape, 7, dtype=out_dtype)
        run = convolve if flip else correlate
        got = run(image, kernel, border=border, cval=CVAL, size=size, method=method, threads=threads, out=out)
        assert got.shape == want.shape
        if out is None:
            assert got.dtype == np.float32
        else:
            assert got is out
        # float32 arithmetic, and the FFT's rounding relative to the largest values
        scale = np.abs(kernel).sum() * max(1.0, float(np.abs(image.astype(np.float64)).max()))
        assert_written_as(got, want, tolerance=4e-6 * scale)


def test_integer_out_rounds_half_to_even_clips_and_writes_nan_as_zero():
    """scipy.ndimage.correlate(values, [1.0], output=uint8) gives 0 1 2 3 44 249 0 0 1 254 0 (C's
    conversion: truncated toward zero, wrapped past the range); convcli gives the nearest level."""
    values = np.array([0.0, 1, 2.5, 3.5, 300, -7.6, -0.5, 0.5, 1.5, 254.6, np.nan], dtype=np.float32)
    eight = correlate(values, [1.0], out=np.empty(values.shape, np.uint8))
    assert eight.tolist() == [0, 1, 2, 4, 255, 0, 0, 0, 2, 255, 0]
    signed = correlate(values, [1.0], out=np.empty(values.shape, np.int16))
    assert signed.tolist() == [0, 1, 2, 4, 300, -8, 0, 0, 2, 255, 0]


def test_the_ends_of_32_and_64_bit_ranges_are_reached_exactly():
    """int32's largest value is no float32: what lies past it is that value, not a wrapped one."""
    values = np.array([-1e30, -3e9, 1.5, 3e9, 1e30, np.inf])
    assert correlate(values, [1.0], out=np.empty(6, np.int32)).tolist() == [
        -(2**31),
        -(2**31),
        2,
        2**31 - 1,
        2**31 - 1,
        2**31 - 1,
    ]
    assert correlate(values, [1.0], out=np.empty(6, np.uint64)).tolist()[-2:] == [2**64 - 1] * 2
    assert correlate(values, [1.0], dtype=np.float64, out=np.empty(6, np.int64)).tolist()[:2] == [-(2**63), -3 * 10**9]


def test_float_out_keeps_signed_values_and_float16_overflows_to_infinity():
    got = correlate(np.array([-3.25, 1e5]), [1.0], out=np.empty(2, np.float16))
    assert got.tolist() == [-3.25, np.inf]
    wide = correlate(np.array([1.0, 2.0]), [1 / 3], dtype=np.float64, out=np.empty(2, np.float64))
    assert wide.tolist() == [1 / 3, 2 / 3]


def test_a_uint8_image_is_never_converted_whole():
    """NumPy's allocations while filtering an 8-bit image: the float32 result and a few strips,
    where converting the image first took as much again; into an 8-bit `out`, a few strips only."""
    image = np.random.default_rng(1).integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    as_float = image.size * 4
    out = np.empty_like(image)
    blur = np.full((3, 3), 1 / 9)
    tracemalloc.start()
    try:
        convolve(image, blur, method="separable", threads=1)
        _, floats = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        convolve(image, blur, method="separable", threads=1, out=out)
        _, levels = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert floats < 1.25 * as_float
    assert levels < 0.25 * as_float


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


@pytest.mark.parametrize("method", METHODS)
def test_out_may_be_a_view_of_another_array(method, many_strips):
    r = np.random.default_rng(3)
    grey = r.integers(0, 256, (20, 18), dtype=np.uint8)
    kernel = kernel_for(method, (3, 3), r)
    want = convolve(grey, kernel, method=method)
    for dtype in (np.float32, np.uint8):
        rgb = np.zeros((20, 18, 3), dtype=dtype)
        convolve(grey, kernel, method=method, threads=2, out=rgb[..., 1])
        assert_written_as(rgb[..., 1], want.astype(np.float64), tolerance=1e-3)
        assert not rgb[..., [0, 2]].any()
    fortran = np.zeros((20, 18), dtype=np.float32, order="F")
    convolve(grey, kernel, method=method, out=fortran)
    np.testing.assert_array_equal(fortran, want)


def test_out_may_be_a_memory_map(tmp_path):
    image = np.random.default_rng(4).integers(0, 65536, (40, 30), dtype=np.uint16)
    out = np.lib.format.open_memmap(tmp_path / "out.npy", mode="w+", dtype=np.uint16, shape=image.shape)
    assert convolve(image, np.ones((3, 3)) / 9, out=out) is out
    out.flush()
    want = np.clip(np.rint(ndimage.convolve(image.astype(np.float64), np.ones((3, 3)) / 9, mode="reflect")), 0, 65535)
    assert np.abs(np.load(tmp_path / "out.npy").astype(np.float64) - want).max() <= 1


def test_out_may_be_the_image_itself_or_overlap_it():
    r = np.random.default_rng(5)
    kernel = r.uniform(-1, 1, (5, 3))
    image = r.uniform(0, 1, (30, 20)).astype(np.float32)
    want = correlate(image.copy(), kernel)
    same = image.copy()
    assert correlate(same, kernel, out=same) is same
    np.testing.assert_array_equal(same, want)
    # The result one row below the image, in the same buffer: strips would read rows already written.
    buffer = np.zeros((31, 20), np.float32)
    buffer[:30] = image
    correlate(buffer[:30], kernel, out=buffer[1:])
    np.testing.assert_array_equal(buffer[1:], want)


@pytest.mark.parametrize(
    "out, error, message",
    [
        ([[0.0] * 4] * 3, TypeError, "out must be a NumPy array, not list"),
        (np.zeros((3, 5)), ValueError, r"out has shape \(3, 5\); this result needs \(3, 4\)"),
        (np.zeros((3, 4), bool), ValueError, "out must hold floats or integers, not bool"),
        (np.zeros((3, 4), complex), ValueError, "not complex128"),
        (np.broadcast_to(np.float32(0), (3, 4)), ValueError, "out is read-only"),
    ],
)
def test_an_out_that_cannot_take_the_result_is_refused(out, error, message):
    with pytest.raises(error, match=message):
        convolve(np.ones((3, 4)), np.ones((3, 3)), out=out)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("method", METHODS)
def test_finish_sees_every_strip_once_and_its_result_is_written(threads, method, many_strips):
    r = np.random.default_rng(6)
    image = r.integers(0, 256, (37, 21, 3), dtype=np.uint8)
    kernel = kernel_for(method, (5, 4), r)
    seen, names, lock = [], set(), threading.Lock()

    def finish(values, rows):
        assert values.dtype == np.float32 and values.shape == (rows.stop - rows.start, 21, 3)
        with lock:
            seen.append(rows)
            names.add(threading.current_thread().name)
        return np.sqrt(np.abs(values)) * 10

    out = np.empty(image.shape, np.uint8)
    convolve(image, kernel, method=method, threads=threads, out=out, finish=finish)
    covered = sorted((rows.start, rows.stop) for rows in seen)
    assert covered[0][0] == 0 and covered[-1][1] == 37
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(covered))
    if threads == 1:
        assert [rows.start for rows in seen] == [start for start, _ in covered]  # top to bottom
        assert names == {threading.current_thread().name}
    else:
        assert len(seen) > 2 and all(name.startswith("convcli-") for name in names)
    want = np.sqrt(np.abs(convolve(image, kernel, method=method))) * 10
    assert_written_as(out, want.astype(np.float64), tolerance=1e-3)


def test_finish_may_work_in_place_or_return_any_real_dtype():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)

    def halve_in_place(values, rows):
        values /= 2
        return values

    floats = np.empty((3, 4), np.float32)
    assert convolve(image, [[1.0]], out=floats, finish=halve_in_place) is floats
    np.testing.assert_array_equal(floats, image / 2)
    wider = convolve(image, [[1.0]], out=np.empty((3, 4), np.uint8), finish=lambda v, rows: (v * 30).astype(np.uint16))
    np.testing.assert_array_equal(wider, np.minimum(image.astype(int) * 30, 255))
    rows_seen = []
    signal_1d = convolve(np.arange(5), [1.0], finish=lambda v, rows: rows_seen.append(rows) or v + rows.stop)
    assert signal_1d.tolist() == [5, 6, 7, 8, 9] and rows_seen == [slice(0, 5)]


@pytest.mark.parametrize(
    "finish, error, message",
    [
        (lambda values, rows: None, TypeError, "finish returned None for rows 0:3"),
        (lambda values, rows: values[:, :2], ValueError, r"finish returned shape \(3, 2\) for rows 0:3, not \(3, 4\)"),
        (lambda values, rows: "done", TypeError, "not real numbers"),
        ("scale", TypeError, "finish must be a function of"),
    ],
)
def test_a_finish_that_returns_no_strip_is_refused(finish, error, message):
    with pytest.raises(error, match=message):
        convolve(np.ones((3, 4)), np.ones((3, 3)), finish=finish)


def test_an_error_in_finish_stops_the_strips_running_beside_it(many_strips):
    """The first strip's finish fails once another strip is under way; that strip sees the run
    cancelled from inside its own finish, and no strip starts after."""
    other_started = threading.Event()
    cancelled_seen = []

    def finish(values, rows):
        if rows.start == 0:
            assert other_started.wait(10)
            raise ValueError("finish failed")
        other_started.set()
        flag = strips.cancellation()
        cancelled_seen.append(flag.wait(10))
        return values

    with pytest.raises(ValueError, match="finish failed"):
        convolve(np.ones((40, 5)), np.ones((3, 3)), method="direct", threads=2, finish=finish)
    assert cancelled_seen == [True]

    calls = []

    def failing(values, rows):
        calls.append(rows)
        raise ValueError("finish failed")

    with pytest.raises(ValueError, match="finish failed"):  # and on one thread, at its first strip
        convolve(np.ones((40, 5)), np.ones((3, 3)), method="direct", threads=1, finish=failing)
    assert calls == [slice(0, 1)]
