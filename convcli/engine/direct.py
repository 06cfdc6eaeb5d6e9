"""Direct correlation: one vectorised shift-and-add per non-zero kernel tap."""

from __future__ import annotations

import numpy as np


def correlate_valid(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlate `padded` (H, W[, C]) with `kernel` (kh, kw) where the kernel fits wholly inside.

    Output shape is (H - kh + 1, W - kw + 1[, C]); arithmetic stays in ``padded.dtype``.
    Zero taps cost nothing, so sparse kernels (shift, motion, Sobel) are cheap.

    >>> correlate_valid(np.arange(5.0)[None, :], np.array([[1.0, 0.0, -1.0]]))
    array([[-2., -2., -2.]])
    """
    kh, kw = kernel.shape
    oh = padded.shape[0] - kh + 1
    ow = padded.shape[1] - kw + 1
    out = np.zeros((oh, ow) + padded.shape[2:], dtype=padded.dtype)
    tmp = np.empty_like(out)
    taps = kernel.astype(padded.dtype)
    for i, j in zip(*np.nonzero(taps)):
        np.multiply(padded[i : i + oh, j : j + ow], taps[i, j], out=tmp)
        np.add(out, tmp, out=out)
    return out
