"""Low-rank correlation: a kernel of rank r applied as the sum of r separable passes (its SVD)."""

from __future__ import annotations

import numpy as np

from . import separable
from .strips import Cancelled, cancellation


def svd_factors(kernel: np.ndarray, rtol: float = 1e-6) -> list[tuple[np.ndarray, np.ndarray]]:
    """(column, row) pairs whose outer products sum to `kernel`, one per singular value above
    `rtol` times the largest: the kernel's numerical rank is the length of the list.

    >>> len(svd_factors(np.eye(3))), len(svd_factors(np.ones((5, 5)))), len(svd_factors(np.zeros((2, 2))))
    (3, 1, 0)
    """
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=np.float64))
    if s.size == 0 or s[0] == 0:
        return []
    rank = int(np.count_nonzero(s > rtol * s[0]))
    return [(u[:, i] * s[i], vt[i].copy()) for i in range(rank)]


class Terms:
    """``sum(outer(c, r) for c, r in factors)`` prepared once for the strips of a run in
    `dtype`: ``Terms(factors, dtype)(padded, out)`` is :func:`correlate_valid`."""

    def __init__(self, factors: list[tuple[np.ndarray, np.ndarray]], dtype):
        self.terms = [separable.Factors(column, row, dtype) for column, row in factors]

    def __call__(self, padded: np.ndarray, out: np.ndarray) -> np.ndarray:
        if not self.terms:
            out.fill(0)
            return out
        self.terms[0](padded, out)
        if len(self.terms) > 1:
            term = np.empty_like(out)
            cancelled = cancellation()  # each term is passes of its own: an interrupt is answered between two
            for factors in self.terms[1:]:
                if cancelled.is_set():
                    raise Cancelled
                factors(padded, term)
                np.add(out, term, out=out)
        return out


def correlate_valid(padded: np.ndarray, factors: list[tuple[np.ndarray, np.ndarray]], out: np.ndarray) -> np.ndarray:
    """Correlate `padded` with ``sum(outer(c, r) for c, r in factors)`` into `out` (valid positions)."""
    return Terms(factors, out.dtype)(padded, out)
