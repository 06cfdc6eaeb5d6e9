"""Filtering an image with an alpha channel: premultiplied, separately, or with alpha left alone."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..choices import ALPHA_MODES


def filter_with_alpha(
    colour: np.ndarray,
    alpha: np.ndarray,
    white: float,
    transform: Callable[[np.ndarray], np.ndarray],
    mode: str,
    faint: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Filter `colour` ((H, W) or (H, W, C) float) and its `alpha` ((H, W) float, opaque at
    `white`) with `transform`, which filters channels independently.

    - "premultiply": colour is weighted by opacity, colour and alpha are filtered together,
      and colour is divided by the filtered alpha: what libvips and ImageMagick do, so that
      transparent pixels' hidden colour does not bleed in as a dark fringe. Where the filtered
      alpha is below `faint` there is no colour to recover, and it is left black. Colour is
      divided by the filtered opacity clipped to opaque, so that a kernel's gain (weights
      summing over 1) acts on opaque colour as it would without alpha.
    - "separate": colour and alpha are filtered each as they are.
    - "ignore": only colour is filtered; alpha is returned unchanged.

    Returns the filtered colour and alpha, both float.

    >>> colour = np.array([[0.0, 200.0, 200.0]])
    >>> alpha = np.array([[0.0, 255.0, 255.0]])
    >>> blur = lambda planes: (planes + np.roll(planes, 1, axis=1)) / 2
    >>> filter_with_alpha(colour, alpha, 255, blur, "premultiply")[0].round(1)
    array([[200., 200., 200.]])
    >>> filter_with_alpha(colour, alpha, 255, blur, "ignore")[0]
    array([[100., 100., 200.]])
    """
    if mode not in ALPHA_MODES:
        raise ValueError(f"unknown alpha mode {mode!r}; choose one of {', '.join(ALPHA_MODES)}")
    if mode == "ignore":
        return transform(colour), alpha
    grey = colour.ndim == 2
    planes = colour[..., np.newaxis] if grey else colour
    if mode == "premultiply":
        planes = planes * (alpha / white)[..., np.newaxis]
    filtered = transform(np.concatenate([planes, alpha[..., np.newaxis]], axis=-1))
    colour_out, alpha_out = filtered[..., :-1], filtered[..., -1]
    if mode == "premultiply":
        # Dividing the FFT's rounding noise by a near-zero alpha gave random colours: below
        # `faint` the colour is left black.
        weight = np.minimum(alpha_out, white) / white
        covered = alpha_out >= faint
        colour_out = np.divide(
            colour_out, weight[..., np.newaxis], out=np.zeros_like(colour_out), where=covered[..., np.newaxis]
        )
    return (colour_out[..., 0] if grey else colour_out), alpha_out
