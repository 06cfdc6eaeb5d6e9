"""sRGB encoding and linear light: filtering light as it adds up, not as it is stored."""

from __future__ import annotations

import numpy as np


def to_linear(values: np.ndarray, white: float) -> np.ndarray:
    """sRGB-encoded values in 0..white to linear light in the same range (IEC 61966-2-1).

    >>> to_linear(np.array([0.0, 10.0, 128.0, 255.0]), 255).round(2)
    array([  0.  ,   0.77,  55.04, 255.  ])
    """
    v = values / white
    return np.where(v <= 0.04045, v / 12.92, ((np.maximum(v, 0.04045) + 0.055) / 1.055) ** 2.4) * white


def to_srgb(values: np.ndarray, white: float) -> np.ndarray:
    """Linear light in 0..white back to sRGB encoding; negative light is clipped to 0,
    and values above the range follow the curve, to be clipped when mapped to pixels.

    >>> to_srgb(to_linear(np.array([0.0, 10.0, 128.0, 255.0]), 255), 255).round(6)
    array([  0.,  10., 128., 255.])
    """
    v = np.maximum(values / white, 0.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055) * white
