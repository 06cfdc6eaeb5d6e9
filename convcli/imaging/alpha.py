"""Filtering an image with an alpha channel: which treatment a kernel gets by default, and the
steps of the treatments that :mod:`.pipeline` applies a strip at a time.

Beyond the image lies opaque `cval`: colour `cval`, alpha opaque, so that a constant border
darkens or lightens an opaque image with alpha as it does one without, and its edge stays
opaque. The treatments (``choices.ALPHA_MODES``):

- "premultiply": colour is weighted by opacity, colour and alpha are filtered together, and
  colour is divided by the filtered alpha: what ImageMagick does (libvips after its
  `premultiply`), so that transparent pixels' hidden colour does not bleed in as a dark
  fringe. Where the filtered alpha is below half a step of the input's opacity there is no
  colour to recover, and it is left black. Colour is divided by the filtered opacity clipped
  to opaque, so that a kernel's gain (weights summing over 1) acts on opaque colour as it
  would without alpha.
- "keep": alpha is returned unchanged; only colour is filtered, after the colour of each fully
  transparent pixel is replaced by :func:`fill_hidden`'s, which comes from visible pixels
  alone. A kernel sees the visible colour carry on under the transparency, as a border mode
  carries an image past its edge, so the shape's outline makes no edge of its own, and the
  result's visible pixels are the same whatever colour was hidden.
- "separate": colour and alpha are filtered each as they are, hidden colour included.
- "ignore": alpha is returned unchanged; colour is filtered as stored, hidden colour included
  (it shows wherever the kernel reaches it).

In "premultiply" and "keep" the visible result does not depend on the colour stored under
fully transparent pixels (alpha 0), NaN included."""

from __future__ import annotations

import numpy as np


def default_mode(kernel: np.ndarray) -> str:
    """The alpha mode a filter with `kernel`'s weights gets unless one is asked for.

    A kernel without negative weights averages, and an average must weigh colour by opacity:
    "premultiply", whose alpha is filtered too, so a blurred shape gets a soft edge. Any other
    kernel (Sobel, emboss, sharpen, a Laplacian, a kernel file with a negative weight) would
    make a filtered alpha of little but its edges: "keep" leaves alpha as it is and fills the
    colour hidden under full transparency from the visible colour first. Neither lets that
    hidden colour reach a visible pixel.

    >>> default_mode(np.full((3, 3), 1 / 9)), default_mode(np.array([[-1.0, 0.0, 1.0]]))
    ('premultiply', 'keep')
    """
    return "premultiply" if bool((np.asarray(kernel) >= 0).all()) else "keep"


def over_black(values: np.ndarray, opacity: np.ndarray, opaque: float) -> np.ndarray:
    """`values` ((H, W) or (H, W, C), of any dtype) composited over black with `opacity` ((H, W),
    opaque at `opaque`): what a format without alpha shows of a result with alpha, as libvips'
    savers flatten onto their black background. Integers are rounded half to even.

    >>> over_black(np.array([[200, 200, 200]], np.uint8), np.array([[0, 128, 255]], np.uint8), 255)
    array([[  0, 100, 200]], dtype=uint8)
    """
    weight = np.clip(opacity.astype(np.float32) / opaque, 0, 1)
    flat = values * (weight if values.ndim == 2 else weight[..., np.newaxis])
    return flat.astype(values.dtype) if values.dtype.kind == "f" else np.round(flat).astype(values.dtype)


def fill_hidden(colour: np.ndarray, alpha: np.ndarray, opaque: float) -> np.ndarray:
    """`colour` ((H, W) or (H, W, C)) with the colour of each fully transparent pixel (alpha 0
    or below) replaced by a smooth blend of the visible colour around it, weighted by opacity
    (`opaque` is full opacity); visible pixels keep theirs. Where no pixel is visible, all
    colour becomes 0.

    The blend is a pyramid's push-pull: the opacity-weighted colour is summed over 2x2 blocks
    level by level, and on the way back each level's gaps (and faint blocks, in part) take the
    coarser level's colour, bilinearly interpolated. Sums are float64 and every blend is
    written as a step from one colour towards another, so that a flat float32 colour (that of
    8- and 16-bit images) fills with exactly that colour: an edge filter then finds no edge
    along the outline. The time is linear in the pixels, whatever the transparent areas.

    >>> colour = np.array([[9.0, 10.0, 0.0, 0.0, 30.0]])
    >>> fill_hidden(colour, np.array([[255.0, 255.0, 0.0, 0.0, 255.0]]), 255).round(2)
    array([[ 9.  , 10.  , 13.34, 18.47, 30.  ]])
    """
    hidden = ~(alpha > 0)
    if not hidden.any():
        return colour
    if hidden.all():
        return np.zeros_like(colour)
    # Planes first, (C, H, W): the pyramid's every step then runs along rows, not over 3 bands.
    planes = np.ascontiguousarray(np.moveaxis(colour, -1, 0)) if colour.ndim == 3 else colour[np.newaxis]
    if not np.isfinite(planes).all():  # NaN or infinity under alpha 0 would survive times 0
        planes = np.where(hidden, 0, planes)
    # float32 colour times float32 opacity is exact in float64: what a flat colour needs.
    opacity = np.where(hidden, 0, alpha / np.asarray(opaque, alpha.dtype))
    coarse = _push_pull(_sum_blocks(planes, opacity), _sum_blocks(opacity), colour.dtype)
    filled = _upsample(coarse, alpha.shape)
    np.copyto(filled, planes, where=~hidden)
    return np.moveaxis(filled, 0, -1).copy() if colour.ndim == 3 else filled[0]


def _push_pull(weighted: np.ndarray, weight: np.ndarray, dtype) -> np.ndarray:
    """The colour everywhere (in `dtype`), from the opacity-weighted colour (C, H, W) and the
    weights (H, W), float64, which sum to more than 0; a weight of 1 or more is a colour fully
    known. Only the division is float64: the blends are steps, exact for a flat colour."""
    known = weight > 0
    own = np.divide(weighted, weight, out=np.zeros_like(weighted), where=known).astype(dtype)
    if weight.shape == (1, 1) or (weight >= 1).all():
        return own
    guess = _upsample(_push_pull(_sum_blocks(weighted), _sum_blocks(weight), dtype), weight.shape)
    np.copyto(own, guess, where=~known)
    guess -= own
    guess *= np.clip(1.0 - weight, 0.0, 1.0).astype(dtype)
    own += guess
    return own


def _sum_blocks(values: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Sums over 2x2 blocks of the last two axes (an odd last row or column summed alone), in
    float64, of `values` or of `values` times `weight`."""
    height, width = values.shape[-2:]
    sums = np.zeros(values.shape[:-2] + ((height + 1) // 2, (width + 1) // 2))
    product = np.empty_like(sums) if weight is not None else None
    for row in (0, 1):
        for column in (0, 1):
            part = values[..., row::2, column::2]
            if weight is not None:
                into = product[..., : part.shape[-2], : part.shape[-1]]
                part = np.multiply(part, weight[row::2, column::2], out=into, dtype=np.float64)
            sums[..., : part.shape[-2], : part.shape[-1]] += part
    return sums


def _upsample(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation of a level (the last two axes) to the finer `shape`, whose pixels
    2i and 2i + 1 lie a quarter of a coarse pixel before and after coarse pixel i; the edge
    value holds beyond the outermost centres."""
    result = coarse
    for axis in (-1, -2):  # columns first: the larger pass then runs along whole rows
        doubled = np.repeat(result, 2, axis=axis)
        step = np.diff(result, axis=axis) / 4  # written as steps, a flat colour stays exact
        after, before, keep = ([slice(None)] * result.ndim for _ in range(3))
        after[axis], before[axis], keep[axis] = slice(1, -1, 2), slice(2, None, 2), slice(shape[axis])
        doubled[tuple(after)] += step
        doubled[tuple(before)] -= step
        result = doubled[tuple(keep)]
    return result
