"""What a kernel is: its sum, its rank and separable factors, and whether flipping it matters."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..engine.separable import rank1_factors


@dataclass(frozen=True)
class Properties:
    """A kernel's sum and rank; its 1-D factors (column, row) when the rank is 1; whether it
    equals its 180-degree rotation; and whether convolution and correlation give the same
    image, which also needs the anchor to be its own mirror (the exact centre)."""

    total: float
    rank: int
    factors: tuple[np.ndarray, np.ndarray] | None
    flip_symmetric: bool
    same_both_ways: bool
    flipped: np.ndarray
    flipped_anchor: tuple[int, int]


def properties(matrix: np.ndarray, anchor: tuple[int, int]) -> Properties:
    """The :class:`Properties` of `matrix` applied at `anchor` (row, column).

    >>> p = properties(np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]), (1, 1))
    >>> p.rank, p.flip_symmetric, [f.tolist() for f in p.factors]
    (1, False, [[1.0, 2.0, 1.0], [1.0, 0.0, -1.0]])
    >>> properties(np.array([[1.0, 1.0]]), (0, 1)).same_both_ways  # symmetric, but off-centre
    False
    >>> properties(np.array([[0.0, 1, 2, 1]]), (0, 2)).same_both_ways  # symmetric about its anchor
    True
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    height, width = matrix.shape
    scale = float(np.abs(matrix).max()) or 1.0
    rank = int(np.linalg.matrix_rank(matrix, tol=1e-9 * scale * max(matrix.shape)))
    flipped = matrix[::-1, ::-1].copy()
    symmetric = bool(np.allclose(matrix, flipped, rtol=0.0, atol=1e-12 * scale))
    mirror = (height - 1 - anchor[0], width - 1 - anchor[1])
    factors = _readable(rank1_factors(matrix)) if rank <= 1 else None
    return Properties(
        float(matrix.sum()), rank, factors, symmetric, _point_symmetric(matrix, anchor, scale), flipped, mirror
    )


def _point_symmetric(matrix: np.ndarray, anchor: tuple[int, int], scale: float) -> bool:
    """Whether the weight at every offset from the anchor equals the weight at minus that
    offset, counting cells outside the matrix as 0: exactly when convolution and correlation
    agree ("0 1 2 1" does, anchored on the 2)."""
    reach = [max(a, n - 1 - a) for a, n in zip(anchor, matrix.shape, strict=True)]
    centred = np.zeros((2 * reach[0] + 1, 2 * reach[1] + 1))
    top, left = reach[0] - anchor[0], reach[1] - anchor[1]
    centred[top : top + matrix.shape[0], left : left + matrix.shape[1]] = matrix
    return bool(np.allclose(centred, centred[::-1, ::-1], rtol=0.0, atol=1e-12 * scale))


def _readable(factors):
    """Scale the factors for reading: whole numbers where they can be ([1, 2, 1] x [1, 0, -1]
    for Sobel, not [0.5, 1, 0.5] x [2, 0, -2]), else two factors of the same sum (a Gaussian's
    two 1-D Gaussians)."""
    if factors is None:
        return None
    column, row = factors
    nonzero = column[column != 0]
    if nonzero.size:
        unit = float(np.abs(nonzero).min()) * np.sign(nonzero[0])
        column, row = column / unit, row * unit
    denominator = np.lcm.reduce([Fraction(float(v)).limit_denominator(100).denominator for v in column])
    if denominator <= 100 and np.allclose(column * denominator, np.round(column * denominator), atol=1e-9):
        column, row = column * denominator, row / denominator  # Scharr: [3, 10, 3] x [1, 0, -1]
    whole = all(np.allclose(f, np.round(f), rtol=0, atol=1e-9) for f in (column, row))
    if not whole and column.sum() != 0 and row.sum() != 0:
        total = column.sum() * row.sum()
        share = float(np.sqrt(abs(total)) / abs(column.sum()))
        column, row = column * share, row / share
    return column, row
