"""Bit depths: the number types an image's values are read and written as, and moving between them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Depth:
    """A number type for pixel values: its NumPy dtype, the value of full intensity (white),
    the range integer values are clipped to (float values are never clipped), the float type
    that holds every value exactly for the arithmetic, and whether values are fractions of
    white (8 and 16 bits, scaled into each other) or plain numbers (32-bit integers and floats,
    which keep their values between depths, as OpenCV's saturate_cast does)."""

    name: str
    dtype: type
    white: float
    low: float
    high: float
    compute: type = np.float32
    relative: bool = True

    @property
    def is_float(self) -> bool:
        return self.name == "float"

    @property
    def opaque(self) -> float:
        """Full opacity: white for integers, 1.0 for floats whatever units their colour carries."""
        return 1.0 if self.is_float else self.white


EIGHT = Depth("8", np.uint8, 255, 0, 255)
SIXTEEN = Depth("16", np.uint16, 65535, 0, 65535)
# Pillow's mode I and signed integer arrays: plain numbers, whose white (for --rescale and
# stretching) is 16-bit's. Values up to 2**31 need float64: float32 is exact only to 2**24.
INT32 = Depth("32", np.int32, 65535, -(2**31), 2**31 - 1, np.float64, relative=False)


def floating(white: float = 1.0, dtype: type = np.float32) -> Depth:
    """Float values; `white` is full intensity in the units they carry: 1.0 for a float image,
    the source's white when an integer image is written as float (its values are kept as they
    are). Float data is filtered in float64, so that a bright spike's FFT rounding does not
    swamp faint values; float64 (from .npy files) is written as float64 too."""
    return Depth("float", dtype, white, -np.inf, np.inf, np.float64, relative=False)


def of_dtype(dtype: np.dtype) -> Depth | None:
    """The depth an array of `dtype` is read as; None for types convcli does not read.

    >>> of_dtype(np.dtype(np.uint16)).name, of_dtype(np.dtype(np.float64)).name, of_dtype(np.dtype(bool))
    ('16', 'float', None)
    """
    if dtype == np.uint8:
        return EIGHT
    if dtype == np.uint16:
        return SIXTEEN
    if dtype in (np.int8, np.int16, np.int32):
        return INT32
    if dtype.kind == "f":
        return floating(dtype=np.float64 if dtype == np.float64 else np.float32)
    return None


def named(name: str, source: Depth) -> Depth:
    """The depth `--depth name` asks for, for an image read at `source`: a float output keeps
    the source's values and so its white."""
    if name == "float":
        # 32-bit integers need float64 to stay exact.
        return source if source.is_float else floating(source.white, np.float64 if source is INT32 else np.float32)
    return {"8": EIGHT, "16": SIXTEEN}[name]


def convert(values: np.ndarray, source: Depth, target: Depth) -> np.ndarray:
    """Scale `values` (float, in place) from `source` units to `target` units: 8 and 16 bits
    by the ratio of their whites (8-bit 255 is 16-bit 65535). 32-bit and float values are not
    scaled either way: they are plain numbers, and go into another depth as they are.

    >>> convert(np.array([255.0, 1.0]), EIGHT, SIXTEEN)
    array([65535.,   257.])
    >>> convert(np.array([255.0, -1.5]), floating(255), SIXTEEN)
    array([255. ,  -1.5])
    """
    if source.relative and target.relative and source.white != target.white:
        values *= target.white / source.white
    return values


def convert_alpha(alpha: np.ndarray, source: Depth, target: Depth) -> np.ndarray:
    """Scale opacity (in place) from `source` to `target` units, opaque to opaque: alpha is
    always scaled, and float alpha runs 0..1.

    >>> convert_alpha(np.array([1.0, 0.5]), floating(), EIGHT)
    array([255. , 127.5])
    >>> convert_alpha(np.array([255.0]), EIGHT, floating(255))
    array([1.])
    """
    if source.opaque != target.opaque:
        alpha *= target.opaque / source.opaque
    return alpha
