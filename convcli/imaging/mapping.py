"""Mapping filtered float values to an output depth: rounded and clipped for integers, kept for float."""

from __future__ import annotations

import numpy as np

from .depth import EIGHT, Depth


def to_range(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """Integer depths: round half to even, clip to the depth's range and convert. `values`
    (float) is rounded and clipped in place: an image-sized temporary less. Float: the values
    as they are, signed and unclipped, in float32.

    >>> to_range(np.array([-3.0, 0.5, 1.5, 254.5, 300.0]))
    array([  0,   0,   2, 254, 255], dtype=uint8)
    """
    if depth.is_float:
        return values.astype(depth.dtype, copy=False)
    np.rint(values, out=values)
    np.clip(values, depth.low, depth.high, out=values)
    return values.astype(depth.dtype)


def stretch_to_max(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """Scale absolute values so their maximum becomes the depth's white (all zeros stay zero),
    then round as :func:`to_range` does. For gradients, whose range depends on the kernel
    and would otherwise clip or look dark; the sign is dropped. `values` is overwritten.

    >>> stretch_to_max(np.array([0.0, -2.0, 4.0]))
    array([  0, 128, 255], dtype=uint8)
    """
    magnitude = np.abs(values, out=values)
    peak = float(magnitude.max()) if magnitude.size else 0.0
    if peak > 0:
        magnitude *= depth.white / peak
    return to_range(magnitude, depth)


def rescale_to_range(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """Stretch linearly so the smallest value becomes 0 and the largest the depth's white,
    then round as :func:`to_range` does. A flat result has nothing to stretch and is only
    clipped, as ImageMagick's -auto-level leaves it. `values` is overwritten.

    >>> rescale_to_range(np.array([-2.0, 0.0, 2.0]))
    array([  0, 128, 255], dtype=uint8)
    >>> rescale_to_range(np.array([100.0, 100.0]))
    array([100, 100], dtype=uint8)
    """
    low = float(values.min()) if values.size else 0.0
    high = float(values.max()) if values.size else 0.0
    if high > low:
        values -= low
        values *= depth.white / (high - low)
    return to_range(values, depth)


def abs_to_range(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """Take absolute values (an edge's strength, whichever its sign), then round and clip as
    :func:`to_range` does. `values` is overwritten.

    >>> abs_to_range(np.array([-300.0, -3.0, 3.0]))
    array([255,   3,   3], dtype=uint8)
    """
    return to_range(np.abs(values, out=values), depth)


def scaled(mapping, scale: float = 1.0, offset: float = 0.0):
    """`mapping` applied to ``values * scale + offset``, as GIMP's divisor and offset: an
    offset of 128 shows a signed 8-bit result (emboss, a derivative) around mid-grey.

    >>> scaled(to_range, 0.5, 128)(np.array([-100.0, 0.0, 100.0]), EIGHT)
    array([ 78, 128, 178], dtype=uint8)
    """

    def mapped(values: np.ndarray, depth: Depth) -> np.ndarray:
        if scale != 1.0:
            values *= scale
        if offset != 0.0:
            values += offset
        return mapping(values, depth)

    return mapped
