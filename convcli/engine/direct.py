"""Direct correlation: one vectorised shift-and-add per non-zero kernel tap."""

from __future__ import annotations

import numpy as np

from .strips import Cancelled, cancellation


def correlate_valid(padded: np.ndarray, kernel: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Correlate `padded` (H, W[, C]) with `kernel` (kh, kw) where the kernel fits wholly
    inside, writing the (H - kh + 1, W - kw + 1[, C]) result into `out` and returning it.

    Arithmetic stays in ``out.dtype``. Zero taps cost nothing, so sparse kernels (shift,
    motion, Sobel) are cheap.

    >>> correlate_valid(np.arange(5.0)[None, :], np.array([[1.0, 0.0, -1.0]]), np.empty((1, 3)))
    array([[-2., -2., -2.]])
    """
    oh, ow = out.shape[:2]
    taps = kernel.astype(out.dtype)
    rows, cols = np.nonzero(taps)
    if rows.size == 0:
        out.fill(0)
        return out
    # The first tap writes, the others add: no pass is spent zeroing `out`.
    np.multiply(padded[rows[0] : rows[0] + oh, cols[0] : cols[0] + ow], taps[rows[0], cols[0]], out=out)
    if rows.size > 1:
        product = np.empty_like(out)
        # A large kernel makes thousands of passes over the strip: an interrupt is answered
        # between two of them, not after the last.
        cancelled = cancellation()
        for i, j in zip(rows[1:], cols[1:], strict=True):
            if cancelled.is_set():
                raise Cancelled
            np.multiply(padded[i : i + oh, j : j + ow], taps[i, j], out=product)
            np.add(out, product, out=out)
    return out
