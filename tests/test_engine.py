"""The engine against scipy.ndimage and scipy.signal, on random arrays, for every mode and method."""

import itertools

import numpy as np
import pytest
from scipy import ndimage, signal

from convcli import convolve, correlate
from convcli.engine import BORDER_MODES, normalize_border
from convcli.engine.borders import pad
from convcli.engine.separable import rank1_factors

TOL = 1e-4
KERNEL_SHAPES = [(1, 1), (3, 3), (4, 4), (2, 5), (5, 2), (1, 4), (3, 1), (6, 3)]
METHODS = ["auto", "direct", "separable"]


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
    np.testing.assert_allclose(
        convolve(image, kernel, size="full"), signal.convolve2d(image, kernel, "full"), atol=TOL
    )


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
    np.testing.assert_allclose(
        convolve(a, k, border=border), ndimage.convolve1d(a, k, mode=border), atol=TOL
    )
    np.testing.assert_allclose(
        correlate(a, k, border=border), ndimage.correlate1d(a, k, mode=border), atol=TOL
    )
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


def test_float64_on_request():
    r = rng(4)
    image, kernel = r.uniform(size=(20, 20)), r.uniform(size=(5, 5))
    got = convolve(image, kernel, dtype=np.float64)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ndimage.convolve(image, kernel, mode="reflect"), atol=1e-12)


def test_integer_input_is_computed_in_float():
    image = np.array([[0, 255, 255]], dtype=np.uint8)
    got = convolve(image, [[1, 1, 1]])
    assert got.dtype == np.float32
    assert got.tolist() == [[255.0, 510.0, 765.0]]


def test_auto_uses_separable_path_for_rank1(monkeypatch):
    from convcli.engine import direct, separable

    calls = []
    for module in (direct, separable):
        original = module.correlate_valid
        monkeypatch.setattr(
            module,
            "correlate_valid",
            lambda *a, _m=module.__name__, _f=original: calls.append(_m.rsplit(".")[-1]) or _f(*a),
        )
    convolve(np.ones((10, 10)), np.outer([1, 2, 1], [1, 2, 3, 2, 1]))
    assert calls == ["separable"]
    calls.clear()
    convolve(np.ones((10, 10)), [[1, 2, 1], [2, 4, 2], [1, 2, 0]])
    assert calls == ["direct"]
    calls.clear()
    # A sparse rank-1 kernel (a shift) is cheaper tap by tap than in two passes.
    convolve(np.ones((10, 10)), [[0, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert calls == ["direct"]


def test_rank1_factors():
    col, row = rank1_factors(np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(np.outer(col, row), np.outer([1, 2, 1], [-1, 0, 1]))
    assert rank1_factors(np.eye(3)) is None
    assert rank1_factors(np.zeros((3, 3))) is None


def test_border_aliases():
    assert normalize_border("symmetric") == "reflect"
    assert normalize_border("BORDER_REFLECT_101") == "mirror"
    assert normalize_border("edge") == "nearest"
    assert normalize_border("grid-wrap") == "wrap"
    assert normalize_border("Constant") == "constant"
    with pytest.raises(ValueError, match="unknown border mode 'bogus'"):
        normalize_border("bogus")


def test_pad_matches_design_table():
    row = np.array([[1, 2, 3, 4]])
    assert pad(row, (0, 0), (3, 3), "reflect").tolist() == [[3, 2, 1, 1, 2, 3, 4, 4, 3, 2]]
    assert pad(row, (0, 0), (3, 3), "mirror").tolist() == [[4, 3, 2, 1, 2, 3, 4, 3, 2, 1]]
    assert pad(row, (0, 0), (3, 3), "nearest").tolist() == [[1, 1, 1, 1, 2, 3, 4, 4, 4, 4]]
    assert pad(row, (0, 0), (3, 3), "wrap").tolist() == [[2, 3, 4, 1, 2, 3, 4, 1, 2, 3]]
    assert pad(row, (0, 0), (3, 3), "constant", 9).tolist() == [[9, 9, 9, 1, 2, 3, 4, 9, 9, 9]]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), size="huge"), "unknown size mode"),
        (lambda: convolve(np.ones((3, 3)), np.ones((3, 3)), method="fft"), "unknown method"),
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
