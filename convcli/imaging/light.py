"""sRGB encoding and linear light: filtering light as it adds up, not as it is stored."""

from __future__ import annotations

import numpy as np


def to_linear(values: np.ndarray, white: float) -> np.ndarray:
    """sRGB-encoded values in 0..white to linear light in the same range (IEC 61966-2-1).
    Negative values follow the curve mirrored, as in extended sRGB, so signs survive.

    >>> to_linear(np.array([0.0, 10.0, 128.0, 255.0, -128.0]), 255).round(2)
    array([  0.  ,   0.77,  55.04, 255.  , -55.04])
    """
    v = np.abs(values / white)
    curve = np.where(v <= 0.04045, v / 12.92, ((np.maximum(v, 0.04045) + 0.055) / 1.055) ** 2.4)
    return np.copysign(curve, values) * white


def to_srgb(values: np.ndarray, white: float) -> np.ndarray:
    """Linear light in 0..white back to sRGB encoding; negative values (a derivative's, or
    out-of-gamut light) follow the curve mirrored, and values above the range follow the curve,
    to be clipped when mapped to pixels.

    >>> to_srgb(to_linear(np.array([0.0, 10.0, 128.0, 255.0, -128.0]), 255), 255).round(6)
    array([   0.,   10.,  128.,  255., -128.])
    """
    v = np.abs(values / white)
    curve = np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.copysign(curve, values) * white
