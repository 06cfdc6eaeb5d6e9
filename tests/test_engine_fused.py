"""The direct passes' two ways of applying taps (engine/direct.py): fused, one einsum over a
strided view of the shifted windows, in blocks of TAPS_PER_CALL taps; and one shift-and-add
per non-zero tap for sparse kernels and strided views. Each against scipy.ndimage."""

import numpy as np
import pytest
from scipy import ndimage

from convcli import convolve, correlate
from convcli.engine import BORDER_MODES, direct, plan_for

TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


def rng(seed=0):
    return np.random.default_rng(seed)


def scipy_result(image, kernel, flip, border):
    """scipy's convolve or correlate in float64, the kernel broadcast over the channels (its
    default origin is convcli's default anchor, even kernels included)."""
    weights = kernel if image.ndim == 2 else kernel[:, :, np.newaxis]
    run = ndimage.convolve if flip else ndimage.correlate
    return run(image.astype(np.float64), weights, mode=border)


def check(image, kernel, flip, border, dtype, **options):
    run = convolve if flip else correlate
    got = run(image, kernel, border=border, dtype=dtype, method="direct", **options)
    want = scipy_result(image, kernel, flip, border)
    scale = max(1.0, float(np.abs(kernel).sum()))
    np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flip", [False, True], ids=["correlate", "convolve"])
@pytest.mark.parametrize("border", BORDER_MODES)
@pytest.mark.parametrize("shape", [(3, 3), (4, 6), (5, 2), (1, 7), (6, 1)])
def test_fused_taps_match_scipy(shape, border, flip, dtype):
    """Odd and even kernels, rows and columns, every border, on RGB and grey images."""
    kernel = rng(1).uniform(-1, 1, shape)
    assert direct.work(kernel).fused
    for image in (rng(2).random((23, 19, 3)), rng(3).random((17, 26))):
        check(image, kernel, flip, border, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flip", [False, True], ids=["correlate", "convolve"])
@pytest.mark.parametrize("shape", [(12, 12), (1, 300), (3, 140)])
def test_fused_taps_in_several_blocks_match_scipy(shape, flip, dtype):
    """More taps than one einsum call takes: blocks of whole rows (12x12: 10 rows, then 2), of
    one row's columns (1x300: 128, 128, 44), and both (3x140), each block added in turn."""
    kernel = rng(4).uniform(-1, 1, shape)
    work = direct.work(kernel)
    assert work.fused and work.calls > 1
    image = rng(5).random((20, 330, 3))
    for border in ("reflect", "wrap"):
        check(image, kernel, flip, border, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flip", [False, True], ids=["correlate", "convolve"])
@pytest.mark.parametrize("border", BORDER_MODES)
def test_the_box_of_zeros_around_a_kernel_is_skipped_in_the_right_place(border, flip, dtype):
    """Zero rows and columns on each side, unequal: the views must start at the box, fused
    (a dense block) or tap by tap (a sparse one), and the anchor stays the whole kernel's."""
    dense = np.zeros((7, 6))
    dense[1:3, 2:5] = rng(6).uniform(-1, 1, (2, 3))
    sparse = np.zeros((9, 8))
    sparse[2, 6], sparse[5, 1], sparse[7, 3] = 1.0, -2.0, 0.5
    assert direct.work(dense).fused and direct.work(dense).taps == 6
    assert not direct.work(sparse).fused and direct.work(sparse).taps == 3
    image = rng(7).random((21, 18, 3))
    for kernel in (dense, sparse):
        check(image, kernel, flip, border, dtype)
        if not flip:
            got = correlate(image, kernel, border=border, anchor=(5, 1), dtype=dtype, method="direct")
            want = scipy_anchored(image, kernel, (5, 1), border)
            np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE[dtype] * 4)


def scipy_anchored(image, kernel, anchor, border="nearest"):
    """scipy's correlate with the kernel cell `anchor` over each output pixel."""
    origin = [a - n // 2 for a, n in zip(anchor, kernel.shape, strict=True)] + [0]
    return ndimage.correlate(image, kernel[:, :, np.newaxis], mode=border, origin=origin)


def test_an_anchor_moves_the_fused_windows_as_scipy_moves_them():
    kernel = rng(8).uniform(-1, 1, (4, 5))
    image = rng(9).random((15, 16, 3))
    for anchor in [(0, 0), (3, 4), (1, 3)]:
        got = correlate(image, kernel, border="nearest", anchor=anchor, dtype=np.float64, method="direct")
        np.testing.assert_allclose(got, scipy_anchored(image, kernel, anchor), atol=1e-12)


def test_sparse_kernels_go_tap_by_tap_and_dense_ones_fused():
    """Under half of the box non-zero: a shift-and-add per non-zero tap (two calls each but the
    first), no work for the zeros; else one fused call over the box."""
    assert direct.work(np.eye(15)) == direct.Work(False, 15, 29)
    assert direct.work(np.ones((5, 5))) == direct.Work(True, 25, 1)
    half = np.zeros((4, 4))
    half[:2] = 1.0
    assert direct.work(half) == direct.Work(True, 8, 1)  # a 2x4 box, all of it non-zero
    checker = np.indices((4, 4)).sum(axis=0) % 2 == 0
    assert direct.work(checker.astype(float)).fused  # half the box: fused
    assert direct.work(np.zeros((3, 3))) == direct.Work(False, 0, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_view_of_strided_channels_is_filtered_tap_by_tap(dtype):
    """Three channels of a four-channel array: a column kernel needs no padded columns, so the
    strip is a view of the image itself, whose channels are not evenly spaced along a row,
    which the fused view's single x axis cannot reach; such strips go tap by tap."""
    rgba = rng(10).random((30, 20, 4)).astype(dtype)
    image = rgba[:, :, :3]
    kernel = rng(11).uniform(-1, 1, (5, 1))
    assert direct.work(kernel).fused
    for flip in (False, True):
        check(image, kernel, flip, "reflect", dtype)
    # The result written into a strided `out` directly, as a caller of direct.correlate_valid may.
    out = np.zeros((26, 20, 4), dtype)[:, :, 1:]
    direct.correlate_valid(image, kernel, out)
    want = ndimage.correlate(image.astype(np.float64), kernel[:, :, np.newaxis], mode="reflect")[2:-2]
    np.testing.assert_allclose(out, want, atol=TOLERANCE[dtype] * 5)


def test_fused_strips_on_threads_cover_the_image(monkeypatch):
    """One output row per strip on three threads: every strip's view starts where it should."""
    from convcli.engine import planning, strips

    monkeypatch.setattr(planning, "SERIAL_SECONDS", 0)
    monkeypatch.setattr(strips, "CACHE_BYTES_THREADED", 1)
    image, kernel = rng(12).random((40, 33, 3)), rng(13).uniform(-1, 1, (6, 5))
    assert plan_for(image.shape, kernel, method="direct", threads=3).rows == 1
    for flip in (False, True):
        check(image, kernel, flip, "mirror", np.float64, threads=3)


def test_auto_keeps_dense_small_kernels_off_the_fft_on_two_threads():
    """Fused passes gain from a second thread as the FFT does: at 4000x3000 RGB on two
    threads a Gaussian of sigma 2 is separable and a 5x5 direct, where they were both FFT
    while a shift-and-add gained 1.15x from the second thread."""
    big = (3000, 4000, 3)
    from convcli.kernels import named

    assert plan_for(big, named.gaussian(2), threads=2).method == "separable"
    assert plan_for(big, rng(14).uniform(0, 1, (5, 5)), threads=2).method == "direct"
