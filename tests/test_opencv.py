"""convcli's correlation against OpenCV's filter2D, where OpenCV is installed (pip install
opencv-python-headless); filter2D correlates, anchors at (k // 2) and has no wrap border."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import EXACT, EXAMPLES, images, kernels, tolerance

from convcli import convolve, correlate

cv2 = pytest.importorskip("cv2", exc_type=ImportError)  # missing, or unloadable (no libGL)

OPENCV_BORDERS = {
    "reflect": cv2.BORDER_REFLECT,
    "mirror": cv2.BORDER_REFLECT_101,
    "nearest": cv2.BORDER_REPLICATE,
    "constant": cv2.BORDER_CONSTANT,  # filter2D fills with 0
}


@EXAMPLES
@given(images(min_side=6), kernels(), st.sampled_from(sorted(OPENCV_BORDERS)))
def test_correlation_matches_filter2d(f, k, border):
    want = cv2.filter2D(f, cv2.CV_64F, k, borderType=OPENCV_BORDERS[border])
    np.testing.assert_allclose(correlate(f, k, border=border, **EXACT), want, rtol=0, atol=tolerance(f, k))
    # Convolution is filter2D with the kernel flipped and the anchor mirrored.
    kh, kw = k.shape
    anchor = (kw - 1 - kw // 2, kh - 1 - kh // 2)  # OpenCV's anchor is (x, y)
    flipped = cv2.filter2D(f, cv2.CV_64F, k[::-1, ::-1].copy(), anchor=anchor, borderType=OPENCV_BORDERS[border])
    np.testing.assert_allclose(convolve(f, k, border=border, **EXACT), flipped, rtol=0, atol=tolerance(f, k))


@EXAMPLES
@given(images(min_side=6), kernels(), st.sampled_from(sorted(OPENCV_BORDERS)))
def test_float32_colour_matches_filter2d(f, k, border):
    colour = np.stack([f, -f, 2 * f], axis=-1).astype(np.float32)
    want = cv2.filter2D(colour, cv2.CV_32F, k.astype(np.float32), borderType=OPENCV_BORDERS[border])
    got = correlate(colour, k, border=border)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * (np.abs(k).sum() * np.abs(colour).max() + 1))
