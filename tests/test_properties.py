"""Properties of the engine, on arrays hypothesis generates: linearity, shift equivariance, the flip
rule of DESIGN.md, commutativity, separability, identity, agreement of every method with every
other and with scipy, in every border mode and size."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage, signal

from convcli import convolve, correlate
from convcli.choices import BORDER_MODES, SIZE_MODES

# float64 throughout, so that the comparisons can be tight: every method sums the same products,
# in another order, and the FFT's rounding is relative to the largest values.
EXACT = {"dtype": np.float64}
EXAMPLES = settings(max_examples=150, deadline=None)

values = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)
weights = st.one_of(st.just(0.0), st.floats(-3, 3, allow_nan=False, allow_infinity=False, allow_subnormal=False))
sides = st.integers(1, 12)
kernel_sides = st.integers(1, 6)
borders = st.sampled_from(BORDER_MODES)
methods = st.sampled_from(["direct", "lowrank", "fft"])  # separable takes rank-1 kernels only: see below


@st.composite
def images(draw, min_side: int = 1):
    shape = (draw(st.integers(min_side, 12)), draw(st.integers(min_side, 12)))
    return draw(arrays(np.float64, shape, elements=values))


@st.composite
def kernels(draw, max_side: int = 6):
    shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    return draw(arrays(np.float64, shape, elements=weights))


@st.composite
def rank_one(draw):
    column = draw(arrays(np.float64, draw(kernel_sides), elements=weights))
    row = draw(arrays(np.float64, draw(kernel_sides), elements=weights))
    return np.outer(column, row)


def tolerance(image, kernel) -> float:
    return 1e-9 * (np.abs(kernel).sum() * np.abs(image).max(initial=0) + 1)


@EXAMPLES
@given(images(), images(), kernels(), st.floats(-3, 3), st.floats(-3, 3), borders, methods)
def test_linearity(f, g, k, a, b, border, method):
    g = np.resize(g, f.shape)
    mixed = convolve(a * f + b * g, k, border=border, method=method, **EXACT)
    apart = a * convolve(f, k, border=border, method=method, **EXACT) + b * convolve(
        g, k, border=border, method=method, **EXACT
    )
    np.testing.assert_allclose(mixed, apart, rtol=0, atol=tolerance(np.abs(a * f) + np.abs(b * g), k) * 10)


@EXAMPLES
@given(images(), kernels(), st.integers(-20, 20), st.integers(-20, 20), methods)
def test_shifting_the_image_shifts_the_result_everywhere_under_wrap(f, k, dy, dx, method):
    shifted = convolve(np.roll(f, (dy, dx), axis=(0, 1)), k, border="wrap", method=method, **EXACT)
    want = np.roll(convolve(f, k, border="wrap", method=method, **EXACT), (dy, dx), axis=(0, 1))
    np.testing.assert_allclose(shifted, want, rtol=0, atol=tolerance(f, k))


@EXAMPLES
@given(images(min_side=8), kernels(max_side=3), st.integers(0, 2), st.integers(0, 2), borders)
def test_shifting_the_image_shifts_the_result_away_from_the_borders(f, k, dy, dx, border):
    """Where neither result reads past the image, the border mode cannot matter."""
    height, width = f.shape
    moved = np.zeros_like(f)
    moved[dy:, dx:] = f[: height - dy, : width - dx]
    shifted = convolve(moved, k, border=border, **EXACT)
    want = convolve(f, k, border=border, **EXACT)
    reach = max(k.shape)  # rows and columns whose sums may reach past an edge, in either image
    inner = (slice(dy + reach, height - reach), slice(dx + reach, width - reach))
    source = (slice(reach, height - dy - reach), slice(reach, width - dx - reach))
    np.testing.assert_allclose(shifted[inner], want[source], rtol=0, atol=tolerance(f, k))


@EXAMPLES
@given(images(), kernels(), st.data(), borders, methods)
def test_convolution_is_correlation_with_the_kernel_rotated_and_the_anchor_mirrored(f, k, data, border, method):
    kh, kw = k.shape
    cy, cx = data.draw(st.integers(0, kh - 1)), data.draw(st.integers(0, kw - 1))
    got = convolve(f, k, anchor=(cy, cx), border=border, cval=1.5, method=method, **EXACT)
    want = correlate(
        f, k[::-1, ::-1], anchor=(kh - 1 - cy, kw - 1 - cx), border=border, cval=1.5, method=method, **EXACT
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(f, k))


@EXAMPLES
@given(images(), images(), methods)
def test_full_convolution_commutes(f, g, method):
    np.testing.assert_allclose(
        convolve(f, g, size="full", method=method, **EXACT),
        convolve(g, f, size="full", method=method, **EXACT),
        rtol=0,
        atol=tolerance(f, g) + tolerance(g, f),
    )


@EXAMPLES
@given(images(), rank_one(), borders, st.sampled_from(SIZE_MODES))
def test_a_separable_kernel_in_two_passes_equals_its_outer_product_in_one(f, k, border, size):
    if size == "valid" and (k.shape[0] > f.shape[0] or k.shape[1] > f.shape[1]):
        return  # no valid position
    np.testing.assert_allclose(
        convolve(f, k, border=border, size=size, method="separable", **EXACT),
        convolve(f, k, border=border, size=size, method="direct", **EXACT),
        rtol=0,
        atol=tolerance(f, k),
    )


@EXAMPLES
@given(images(), kernel_sides, kernel_sides, st.data(), borders, st.sampled_from(["auto", "direct", "separable"]))
def test_an_identity_kernel_returns_the_input_exactly(f, kh, kw, data, border, method):
    cy, cx = data.draw(st.integers(0, kh - 1)), data.draw(st.integers(0, kw - 1))
    delta = np.zeros((kh, kw))
    delta[cy, cx] = 1.0
    for operation in (convolve, correlate):  # anchored on its one, the delta maps each pixel to itself
        got = operation(f, delta, anchor=(cy, cx), border=border, method=method, **EXACT)
        np.testing.assert_array_equal(got, f)


@EXAMPLES
@given(images(), kernels(), borders, st.sampled_from(SIZE_MODES))
def test_every_method_agrees_with_every_other(f, k, border, size):
    if size == "valid" and (k.shape[0] > f.shape[0] or k.shape[1] > f.shape[1]):
        return
    results = {m: convolve(f, k, border=border, size=size, method=m, **EXACT) for m in ("direct", "lowrank", "fft")}
    for method, result in results.items():
        np.testing.assert_allclose(result, results["direct"], rtol=0, atol=tolerance(f, k), err_msg=method)


@EXAMPLES
@given(images(), kernels(), borders, methods, st.floats(-5, 5))
def test_same_size_agrees_with_scipy_ndimage(f, k, border, method, cval):
    for ours, theirs in ((convolve, ndimage.convolve), (correlate, ndimage.correlate)):
        np.testing.assert_allclose(
            ours(f, k, border=border, cval=cval, method=method, **EXACT),
            theirs(f, k, mode=border, cval=cval),
            rtol=0,
            atol=tolerance(f, k) + 1e-9 * abs(cval) * np.abs(k).sum(),
        )


@EXAMPLES
@given(images(), kernels(), st.sampled_from(["full", "valid"]), methods)
def test_full_and_valid_agree_with_scipy_signal(f, k, size, method):
    if size == "valid" and (k.shape[0] > f.shape[0] or k.shape[1] > f.shape[1]):
        return
    np.testing.assert_allclose(
        convolve(f, k, size=size, method=method, **EXACT),
        signal.convolve2d(f, k, mode=size),
        rtol=0,
        atol=tolerance(f, k),
    )
    np.testing.assert_allclose(
        correlate(f, k, size=size, method=method, **EXACT),
        signal.correlate2d(f, k, mode=size),
        rtol=0,
        atol=tolerance(f, k),
    )
