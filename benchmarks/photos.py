"""The photo-like test images every benchmark generates, so that all of them measure the same content."""

from __future__ import annotations

import numpy as np


def make_image(width: int, height: int, rng: np.random.Generator, top: int = 0) -> np.ndarray:
    """A photo-like float32 RGB image in 0..255: smooth gradients, edges and noise.

    `top` makes rows top..top+height of a taller image, so a large one can be made band by band.
    """
    y, x = np.mgrid[top : top + height, 0:width].astype(np.float32)
    base = 127 + 60 * np.sin(x / 97.0) * np.cos(y / 61.0) + 40 * ((x // 256 + y // 256) % 2)
    channels = [base + 20 * np.sin((x + 50 * c) / 23.0) for c in range(3)]
    image = np.stack(channels, axis=-1) + rng.normal(0, 8, (height, width, 3)).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.float32)
