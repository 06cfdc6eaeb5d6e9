"""Separable correlation: a rank-1 kernel applied as a column pass then a row pass."""

from __future__ import annotations

import numpy as np

from . import direct


def rank1_factors(kernel: np.ndarray, rtol: float = 1e-6) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (column, row) with ``outer(column, row) == kernel``, or None if the kernel's rank is above 1.

    The factors are taken from the kernel's own entries (the column through its largest
    entry, divided by that entry, and the row through it), so integer kernels such as
    Sobel factor exactly, where an SVD would leave rounding in every tap.

    >>> rank1_factors(np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]))
    (array([0.5, 1. , 0.5]), array([ 2.,  0., -2.]))
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    i, j = np.unravel_index(np.argmax(np.abs(kernel)), kernel.shape)
    pivot = kernel[i, j]
    if pivot == 0:  # all zeros: the product of two zero vectors
        return np.zeros(kernel.shape[0]), np.zeros(kernel.shape[1])
    column = kernel[:, j] / pivot
    row = kernel[i, :].copy()
    if np.allclose(np.outer(column, row), kernel, rtol=0.0, atol=rtol * abs(pivot)):
        return column, row
    return None


class Factors:
    """``outer(column, row)`` prepared once for the strips of a run in `dtype`:
    ``Factors(column, row, dtype)(padded, out)`` is :func:`correlate_valid`."""

    def __init__(self, column: np.ndarray, row: np.ndarray, dtype):
        self.column = direct.Taps(np.asarray(column)[:, np.newaxis], dtype)
        self.row = direct.Taps(np.asarray(row)[np.newaxis, :], dtype)

    def __call__(self, padded: np.ndarray, out: np.ndarray) -> np.ndarray:
        vertical = np.empty((out.shape[0],) + padded.shape[1:], dtype=out.dtype)
        self.column(padded, vertical)
        return self.row(vertical, out)


def correlate_valid(padded: np.ndarray, column: np.ndarray, row: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Correlate `padded` with ``outer(column, row)`` into `out` in two 1-D passes (valid positions only)."""
    return Factors(column, row, out.dtype)(padded, out)
