"""Mapping filtered float values back to an integer image's range."""

from __future__ import annotations

import numpy as np


def to_range(values: np.ndarray, max_value: int) -> np.ndarray:
    """Round half to even, clip to [0, max_value], and return uint8 or uint16.
    `values` (float) is rounded and clipped in place: an image-sized temporary less.

    >>> to_range(np.array([-3.0, 0.5, 1.5, 254.5, 300.0]), 255)
    array([  0,   0,   2, 254, 255], dtype=uint8)
    """
    dtype = np.uint8 if max_value <= 255 else np.uint16
    np.rint(values, out=values)
    np.clip(values, 0, max_value, out=values)
    return values.astype(dtype)


def stretch_to_max(values: np.ndarray, max_value: int) -> np.ndarray:
    """Scale absolute values so their maximum becomes `max_value` (all zeros stay zero),
    then round as :func:`to_range` does. For gradients, whose range depends on the kernel
    and would otherwise clip or look dark; the sign is dropped. `values` is overwritten.

    >>> stretch_to_max(np.array([0.0, -2.0, 4.0]), 255)
    array([  0, 128, 255], dtype=uint8)
    """
    magnitude = np.abs(values, out=values)
    peak = float(magnitude.max()) if magnitude.size else 0.0
    if peak > 0:
        magnitude *= max_value / peak
    return to_range(magnitude, max_value)
