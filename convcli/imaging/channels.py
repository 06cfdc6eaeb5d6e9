"""Pillow images to NumPy planes and back: colour channels, alpha, and bit depth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import ConvcliError

# The modes convcli filters, with the largest value of each; others are converted on load.
MAX_VALUE = {"L": 255, "LA": 255, "RGB": 255, "RGBA": 255, "I;16": 65535}
_CONVERTED = {"1": "L", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB", "PA": "RGBA"}


@dataclass
class Planes:
    """An image as float32 colour planes, (H, W) or (H, W, C), and its untouched alpha plane."""

    colour: np.ndarray
    alpha: np.ndarray | None
    mode: str

    @property
    def max_value(self) -> int:
        return MAX_VALUE[self.mode]


def split(image: Image.Image, source: str) -> Planes:
    """Split `image` into colour and alpha; palette images become RGB(A), 16-bit stays 16-bit."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in _CONVERTED:
        image = image.convert(_CONVERTED[image.mode])
    # I;16, I;16B and I;16L differ only in byte order, which numpy reads for us.
    mode = "I;16" if image.mode.startswith("I;16") else image.mode
    if mode not in MAX_VALUE:
        raise ConvcliError(f"{source}: image mode {mode} is not supported (8-bit L/LA/RGB/RGBA or 16-bit grey)")
    pixels = np.asarray(image)
    alpha = None
    if mode in ("LA", "RGBA"):
        pixels, alpha = pixels[..., :-1], pixels[..., -1].copy()
        if mode == "LA":
            pixels = pixels[..., 0]
    return Planes(pixels.astype(np.float32), alpha, mode)


def merge(colour: np.ndarray, planes: Planes) -> Image.Image:
    """Rebuild an image of `planes.mode` from integer colour values and the original alpha."""
    if planes.alpha is not None:
        if colour.ndim == 2:
            colour = colour[..., np.newaxis]
        colour = np.concatenate([colour, planes.alpha[..., np.newaxis]], axis=-1)
    return Image.fromarray(colour)
