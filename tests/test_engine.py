"""The engine against scipy.ndimage and scipy.signal, on random arrays, for every mode and method."""

import itertools

import numpy as np
import pytest
from scipy import ndimage, signal

from convcli import convolve, correlate
from convcli.engine import BORDER_MODES, direct, normalize_border, plan_for
from convcli.engine.borders import Padded
from convcli.engine.lowrank import svd_factors
from convcli.engine.separable import rank1_factors

TOL = 1e-4
KERNEL_SHAPES = [(1, 1), (3, 3), (4, 4), (2, 5), (5, 2), (1, 4), (3, 1), (6, 3)]
METHODS = ["auto", "direct", "separable", "lowrank", "fft"]


def rng(seed=0):
    return np.random.default_rng(seed)


def kernel_for(method, shape, r):
    """A random kernel; rank 1 when the separable path is forced."""
    if method == "separable":
        return np.outer(r.uniform(-1, 1, shape[0]), r.uniform(-1, 1, shape[1]))
    return r.uniform(-1, 1, shape)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("border", BORDER_MODES)
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_same_size_matches_scipy_ndimage(method, border, shape):
    r = rng(hash((method, border, shape)) % 2**32)
    image = r.uniform(0, 1, (11, 13))
    kernel = kernel_for(method, shape, r)
    for ours, theirs in ((convolve, ndimage.convolve), (correlate, ndimage.correlate)):
        got = ours(image, kernel, border=border, cval=0.3, method=method)
        want = theirs(image, kernel, mode=border, cval=0.3)
        assert got.dtype == np.float32 and got.shape == image.shape
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("border", BORDER_MODES)
@pytest.mark.parametrize("shape", [(9, 9), (12, 7), (8, 20), (1, 15)])
def test_kernel_larger_than_image(method, border, shape):
    """Periodic extension past the image, as scipy.ndimage does, in every mode."""
    r = rng(7)
    image = r.uniform(0, 1, (5, 4))
    kernel = kernel_for(method, shape, r) / np.prod(shape)
    for ours, theirs in ((convolve, ndimage.convolve), (correlate, ndimage.correlate)):
        got = ours(image, kernel, border=border, cval=-0.5, method=method)
        want = theirs(image, kernel, mode=border, cval=-0.5)
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


@pytest.mark.parametrize("border", BORDER_MODES)
def test_single_row_and_column_images(border):
    r = rng(3)
    for image in (r.uniform(0, 1, (1, 9)), r.uniform(0, 1, (9, 1)), r.uniform(0, 1, (1, 1))):
        kernel = r.uniform(-1, 1, (3, 4))
        got = convolve(image, kernel, border=border)
        np.testing.assert_allclose(got, ndimage.convolve(image, kernel, mode=border), atol=TOL)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", ["full", "valid"])
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_full_and_valid_match_scipy_signal(method, size, shape):
    r = rng(11)
    image = r.uniform(-1, 1, (10, 12))
    kernel = kernel_for(method, shape, r)
    got = convolve(image, kernel, size=size, method=method)
    np.testing.assert_allclose(got, signal.convolve2d(image, kernel, mode=size), atol=TOL)
    got = correlate(image, kernel, size=size, method=method)
    np.testing.assert_allclose(got, signal.correlate2d(image, kernel, mode=size), atol=TOL)


def test_full_with_kernel_larger_than_image():
    r = rng(5)
    image, kernel = r.uniform(size=(3, 4)), r.uniform(size=(6, 7))
    np.testing.assert_allclose(convolve(image, kernel, size="full"), signal.convolve2d(image, kernel, "full"), atol=TOL)


def test_valid_with_kernel_larger_than_image_is_an_error():
    with pytest.raises(ValueError, match="no larger than the image"):
        convolve(np.ones((3, 3)), np.ones((4, 1)), size="valid")


@pytest.mark.parametrize("border", BORDER_MODES)
def test_color_channels_are_filtered_independently(border):
    r = rng(2)
    image = r.uniform(0, 255, (8, 10, 3))
    kernel = r.uniform(-1, 1, (4, 3))
    got = convolve(image, kernel, border=border)
    assert got.shape == image.shape
    for c in range(3):
        want = ndimage.convolve(image[..., c], kernel, mode=border)
        np.testing.assert_allclose(got[..., c], want, rtol=1e-5, atol=1e-3)


def test_worked_example_exact():
    a, b = [1, 0.5, 1, 1], [1, 0.5, 0.25]
    assert convolve(a, b, size="full").tolist() == [1, 1, 1.5, 1.625, 0.75, 0.25]
    assert convolve(a, b, size="full", dtype=np.float64).tolist() == [1, 1, 1.5, 1.625, 0.75, 0.25]
    assert correlate(a, b, size="full").tolist() == [0.25, 0.625, 1.5, 1.25, 1.5, 1]
    assert correlate(a, b, size="full").tolist() == np.correlate(a, b, "full").tolist()
    assert convolve(b, a, size="full").tolist() == [1, 1, 1.5, 1.625, 0.75, 0.25]


@pytest.mark.parametrize("border", BORDER_MODES)
@pytest.mark.parametrize("n", [3, 4])
def test_one_dimensional_signals_match_scipy(border, n):
    r = rng(n)
    a, k = r.uniform(size=17), r.uniform(-1, 1, n)
    np.testing.assert_allclose(convolve(a, k, border=border), ndimage.convolve1d(a, k, mode=border), atol=TOL)
    np.testing.assert_allclose(correlate(a, k, border=border), ndimage.correlate1d(a, k, mode=border), atol=TOL)
    np.testing.assert_allclose(convolve(a, k, size="full"), np.convolve(a, k, "full"), atol=TOL)
    np.testing.assert_allclose(convolve(a, k, size="valid"), np.convolve(a, k, "valid"), atol=TOL)


@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (2, 5)])
def test_anchor_rule_of_the_design(shape):
    """convolve(f, k, anchor) == correlate(f, rot180(k), anchor mirrored), for every anchor."""
    r = rng(9)
    image, kernel = r.uniform(size=(9, 8)), r.uniform(-1, 1, shape)
    kh, kw = shape
    for cy, cx in itertools.product(range(kh), range(kw)):
        a = convolve(image, kernel, anchor=(cy, cx), border="wrap")
        b = correlate(image, kernel[::-1, ::-1], anchor=(kh - 1 - cy, kw - 1 - cx), border="wrap")
        np.testing.assert_array_equal(a, b)
        # scipy's origin counts from the centre: origin = anchor - k // 2.
        want = ndimage.correlate(image, kernel, mode="wrap", origin=(cy - kh // 2, cx - kw // 2))
        got = correlate(image, kernel, anchor=(cy, cx), border="wrap")
        np.testing.assert_allclose(got, want, atol=TOL)


@pytest.mark.parametrize("method", ["auto", "direct", "lowrank", "fft"])
def test_float64_on_request(method):
    r = rng(4)
    image, kernel = r.uniform(size=(20, 20)), r.uniform(size=(5, 5))
    got = convolve(image, kernel, dtype=np.float64, method=method)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ndimage.convolve(image, kernel, mode="reflect"), atol=1e-11)


def test_integer_input_is_computed_in_float():
    image = np.array([[0, 255, 255]], dtype=np.uint8)
    got = convolve(image, [[1, 1, 1]])
    assert got.dtype == np.float32
    assert got.tolist() == [[255.0, 510.0, 765.0]]


def test_auto_picks_by_kernel_size_rank_sparsity_and_threads():
    big = (3000, 4000, 3)
    r = rng(1)

    def method(kernel, threads=1):
        return plan_for(big, kernel, threads=threads).method

    assert method(np.outer([1, 2, 1], [1, 2, 3, 2, 1])) == "separable"
    assert method([[1, 2, 1], [2, 4, 2], [1, 2, 0]]) == "direct"
    # A sparse rank-1 kernel (a shift) is cheaper tap by tap than in two passes.
    assert method([[0, 0, 0], [0, 0, 1], [0, 0, 0]]) == "direct"
    rank2 = np.outer(r.random(7), r.random(7)) + np.outer(r.random(7), r.random(7))
    assert method(rank2) == "lowrank"
    assert method(r.uniform(-1, 1, (15, 15))) == method(r.uniform(-1, 1, (31, 31))) == "fft"
    assert method(r.uniform(-1, 1, (5, 5))) == "direct"
    # A dense kernel's fused passes gain from a second thread about as much as the FFT does...
    assert method(r.uniform(-1, 1, (5, 5)), threads=2) == "direct"
    # ...a sparse one's shift-and-add (a cross of 25 taps in 13x13) far less.
    cross = np.eye(13) + np.eye(13)[::-1]
    assert direct.work(cross).fused is False
    assert method(cross) == "direct"
    assert method(cross, threads=2) == "fft"
    assert plan_for((5, 5), r.uniform(-1, 1, (3, 3))).method == "direct"


def test_auto_takes_no_svd_where_low_rank_cannot_win(monkeypatch):
    """An SVD of a large kernel leaves OpenBLAS's threads spinning on every core."""
    from convcli.engine import lowrank

    def refuse(kernel, rtol=1e-6):
        raise AssertionError(f"SVD of a {kernel.shape} kernel")

    monkeypatch.setattr(lowrank, "svd_factors", refuse)
    big = (1080, 1920, 3)
    assert plan_for(big, np.outer(np.hanning(81), np.hanning(81))).method == "fft"  # rank 1
    assert plan_for(big, rng(14).uniform(0, 1, (41, 41))).method == "fft"
    assert plan_for(big, [[1, 2, 1], [2, 4, 2], [1, 2, 0]]).method == "direct"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("threads", [1, 3])
def test_strips_tiles_and_threads_cover_the_image_exactly(method, threads, monkeypatch):
    """One output row per strip and 16x20 FFT tiles, so every seam is crossed many times."""
    from convcli.engine import fourier, planning, strips

    monkeypatch.setattr(planning, "SERIAL_SECONDS", 0)  # thread even this small image
    monkeypatch.setattr(strips, "CACHE_BYTES", 1)
    monkeypatch.setattr(strips, "CACHE_BYTES_THREADED", 1)
    monkeypatch.setattr(fourier, "tile_shape", lambda *args: (16, 20))
    r = rng(8)
    image = r.uniform(0, 1, (37, 45, 3))
    kernel = kernel_for(method, (5, 6), r)
    for border in BORDER_MODES:
        got = correlate(image, kernel, border=border, method=method, threads=threads)
        for c in range(3):
            want = ndimage.correlate(image[..., c], kernel, mode=border)
            np.testing.assert_allclose(got[..., c], want, atol=TOL, rtol=0)


def test_every_method_agrees_on_a_large_image():
    r = rng(12)
    image = r.uniform(0, 1, (300, 410, 3)).astype(np.float32)
    kernel = np.outer(r.uniform(-1, 1, 9), r.uniform(-1, 1, 7))
    results = {m: convolve(image, kernel, method=m) for m in METHODS}
    want = np.stack([ndimage.convolve(image[..., c].astype(np.float64), kernel, mode="reflect") for c in range(3)], -1)
    for method, got in results.items():
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0, err_msg=method)


def test_svd_factors_give_the_numerical_rank():
    r = rng(13)
    rank2 = np.outer(r.random(6), r.random(5)) + np.outer(r.random(6), r.random(5))
    factors = svd_factors(rank2)
    assert len(factors) == 2
    np.testing.assert_allclose(sum(np.outer(c, w) for c, w in factors), rank2, atol=1e-12)
    assert svd_factors(np.zeros((3, 3))) == []


def test_rank1_factors():
    col, row = rank1_factors(np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(np.outer(col, row), np.outer([1, 2, 1], [-1, 0, 1]))
    assert rank1_factors(np.eye(3)) is None
    zero_column, zero_row = rank1_factors(np.zeros((3, 2)))  # zero is rank 0, separable too
    assert zero_column.tolist() == [0, 0, 0] and zero_row.tolist() == [0, 0]


def test_border_aliases():
    assert normalize_border("symmetric") == "reflect"
    assert normalize_border("BORDER_REFLECT_101") == "mirror"
    assert normalize_border("edge") == "nearest"
    assert normalize_border("grid-wrap") == "wrap"
    assert normalize_border("Constant") == "constant"
    with pytest.raises(ValueError, match="unknown border mode 'bogus'"):
        normalize_border("bogus")


def test_padding_matches_design_table():
    row = np.array([[1, 2, 3, 4]])

    def pad(mode, cval=0):
        return Padded(row, (0, 0), (3, 3), mode, cval).band(0, 1).tolist()

    assert pad("reflect") == [[3, 2, 1, 1, 2, 3, 4, 4, 3, 2]]
    assert pad("mirror") == [[4, 3, 2, 1, 2, 3, 4, 3, 2, 1]]
    assert pad("nearest") == [[1, 1, 1, 1, 2, 3, 4, 4, 4, 4]]
    assert pad("wrap") == [[2, 3, 4, 1, 2, 3, 4, 1, 2, 3]]
    assert pad("constant", 9) == [[9, 9, 9, 1, 2, 3, 4, 9, 9, 9]]


@pytest.mark.parametrize("border", BORDER_MODES)
@pytest.mark.parametrize("rows, cols", [((2, 3), (1, 4)), ((9, 7), (11, 6)), ((0, 0), (0, 0)), ((4, 0), (0, 2))])
def test_padding_band_by_band_equals_numpy_pad(border, rows, cols):
    """Bands of any height, stacked, give numpy.pad's extension (scipy's, past the image too)."""
    image = rng(6).random((5, 4, 3))
    padded = Padded(image, rows, cols, border, 0.5)
    numpy_mode = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}
    widths = [rows, cols, (0, 0)]
    if border == "constant":
        want = np.pad(image, widths, mode="constant", constant_values=0.5)
    else:
        want = np.pad(image, widths, mode=numpy_mode[border])
    for height in (1, 2, 5, padded.shape[0]):
        bands = [padded.band(a, min(a + height, padded.shape[0])) for a in range(0, padded.shape[0], height)]
        np.testing.assert_array_equal(np.concatenate(bands), want)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), size="huge"), "unknown size mode"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), method="magic"), "unknown method"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), threads=0), "threads"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), threads=1.5), "threads"),
        (lambda: convolve(np.ones((3, 3)), np.eye(3), method="separable"), "rank-1"),
        (lambda: convolve(np.ones((3, 3)), [[np.nan]]), "NaN or infinite"),
        (lambda: convolve(np.ones((3, 3)), np.ones((0, 3))), "empty"),
        (lambda: convolve(np.ones((3, 3)), np.ones((2, 2, 2))), "1-D or 2-D"),
        (lambda: convolve(np.ones((2, 2, 2, 2)), np.ones((3, 3))), "1-D, 2-D or 3-D"),
        (lambda: convolve(np.ones(5), np.ones((3, 3))), "1-D signal needs a 1-D kernel"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), anchor=(3, 0)), "outside"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), anchor=(1, 1), size="full"), "anchor"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), dtype=np.int32), "float32 or float64"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), cval=np.inf), "cval"),
        (lambda: convolve(np.array([["a"]]), np.ones((3, 3))), "real numbers"),
        (lambda: convolve(np.ones((0, 3)), np.ones((3, 3))), "empty"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nan_and_infinity_stay_where_they_are():
    r = rng(15)
    image = r.uniform(0, 1, (60, 70)).astype(np.float32)
    image[30, 30], image[10, 50] = np.nan, np.inf
    kernel = r.uniform(0, 1, (15, 15))
    assert plan_for(image.shape, kernel).method == "fft"  # for a finite image of this size
    got = convolve(image, kernel)
    want = ndimage.convolve(image.astype(np.float64), kernel, mode="reflect")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], atol=TOL * 10)
    with pytest.raises(ValueError, match="the fft method would spread"):
        convolve(image, kernel, method="fft")


def test_auto_counts_call_overhead_and_padded_width():
    """Huge kernels on tiny or narrow images: shift-and-add pays per tap, the FFT does not."""
    r = rng(16)
    gaussian_100 = np.outer(*[np.exp(-0.5 * (np.arange(-400, 401) / 100) ** 2)] * 2)
    assert plan_for((3000, 8, 3), gaussian_100).method == "fft"
    assert plan_for((1, 1), r.uniform(0, 1, (801, 801))).method == "fft"
    assert plan_for((2000, 10), np.outer(np.hanning(801), np.hanning(801))).method == "fft"
    assert plan_for((5, 5, 3), r.uniform(0, 1, (1001, 1001))).method == "fft"


def test_small_work_runs_on_one_thread():
    assert plan_for((200, 300, 3), [[1, 2, 1], [2, 4, 2], [1, 2, 0]], threads=4).threads == 1
    assert plan_for((3000, 4000, 3), rng(17).uniform(0, 1, (31, 31)), threads=2).threads == 2


def test_zero_kernel_with_every_method():
    image = rng(18).uniform(0, 1, (9, 8, 3))
    for method in METHODS:
        assert not convolve(image, np.zeros((3, 4)), method=method).any()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plan_for((10, 10), np.ones((3, 3)), threads=-1), "threads"),
        (lambda: plan_for((10, 10), np.ones((3, 3)), threads=0), "threads"),
        (lambda: plan_for((10, 10), np.ones((3, 3)), dtype=np.float16), "float32 or float64"),
        (lambda: plan_for((2, 2, 2, 2), np.ones((3, 3))), "1-D, 2-D or 3-D"),
        (lambda: plan_for((0, 5), np.ones((3, 3))), "empty"),
        (lambda: plan_for((2, 2), np.ones((3, 3)), size="valid"), "no larger than the image"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), threads=True), "threads"),
        (lambda: convolve(np.ones((5, 5)), np.ones((3, 3)), anchor=(1.7, 0.2)), "two whole numbers"),
        (lambda: convolve(np.ones((5, 5)), np.ones((3, 3)), anchor=1), "two whole numbers"),
        (lambda: convolve(np.ones((5, 5)), np.ones((3, 3)), anchor=(1, 1, 1)), "two whole numbers"),
        (lambda: convolve(np.ones((5, 5)), np.ones((3, 3)), cval=None), "cval must be a real number"),
        (lambda: convolve(np.ones((5, 5)), np.ones((3, 3)), cval=[1, 2]), "cval must be a real number"),
        (lambda: convolve(np.ones((5, 5, 0)), np.ones((3, 3))), "empty"),
    ],
)
def test_plan_for_and_convolve_check_the_same_things(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_method_names_ignore_case():
    image = rng(19).uniform(0, 1, (9, 8))
    kernel = np.ones((3, 3))
    np.testing.assert_array_equal(convolve(image, kernel, method="FFT"), convolve(image, kernel, method="fft"))


def test_a_1d_signal_takes_its_anchor_as_one_number_or_a_1_tuple():
    want = convolve([1.0, 2, 3, 4], [1.0, 0, 0], size="same", anchor=(0, 0))
    for anchor in (0, (0,), (0, 0)):
        np.testing.assert_array_equal(convolve([1.0, 2, 3, 4], [1.0, 0, 0], size="same", anchor=anchor), want)


@pytest.mark.parametrize("method", ["auto", "lowrank"])
def test_a_nearly_separable_kernel_keeps_float64_precision(method):
    """Its second singular value is a millionth of the first: float32 may drop it, float64 must not."""
    kernel = np.array([[1.0, 1e-6], [1e-6, 1e-6]])
    image = rng(4).uniform(0, 1, (9, 8))
    got = convolve(image, kernel, dtype=np.float64, method=method, size="full")
    np.testing.assert_allclose(got, signal.convolve2d(image, kernel), rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="rank-1"):
        convolve(image, kernel, dtype=np.float64, method="separable")
    convolve(image, kernel, dtype=np.float32, method="separable")  # within float32's precision, it is rank 1


def test_a_complex_kernel_is_refused():
    with pytest.raises(ValueError, match="real numbers"):
        convolve(np.ones((3, 3)), np.array([[1j]]))


def test_cores_are_counted_where_the_os_has_no_affinity_mask(monkeypatch):
    import os

    from convcli.engine import strips

    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert strips.available_cores() == 6
