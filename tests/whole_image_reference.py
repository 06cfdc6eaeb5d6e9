"""The pipeline as it was before it ran a strip at a time (convcli 0.x up to issue 15): every
step on the whole image, in floats. Kept as the reference the streaming pipeline must equal
(tests/test_pipeline_streaming.py); the per-pixel formulas (light, depth, mapping, fill_hidden,
over_black) are the package's own, which have tests of their own."""

from __future__ import annotations

import functools

import numpy as np

from convcli.engine import convolve, correlate
from convcli.imaging import light, mapping
from convcli.imaging.alpha import fill_hidden, over_black
from convcli.imaging.depth import convert, convert_alpha


def kernel_transform(kernel, anchor=None, *, correlated=False, border="reflect", method="auto"):
    """What KernelFilter's call did: the engine on the whole colour planes."""

    def transform(colour, cval):
        operation = correlate if correlated else convolve
        return operation(colour, kernel, anchor=anchor, dtype=colour.dtype, border=border, cval=cval, method=method)

    return transform


def filter_with_alpha(colour, alpha, white, transform, mode, faint=0.5, cval=0.0):
    if mode == "ignore":
        return transform(colour, cval), alpha
    if mode == "keep":
        return transform(fill_hidden(colour, alpha, white), cval), alpha
    grey = colour.ndim == 2
    planes = colour[..., np.newaxis] if grey else colour
    if mode == "premultiply":
        opacity = (alpha / white)[..., np.newaxis]
        planes = np.where(opacity > 0, planes * opacity, 0).astype(planes.dtype, copy=False)
    colour_out, alpha_out = transform(planes, cval), transform(alpha, white)
    if mode == "premultiply":
        weight = np.minimum(alpha_out, white) / white
        covered = alpha_out >= faint
        colour_out = np.divide(
            colour_out, weight[..., np.newaxis], out=np.zeros_like(colour_out), where=covered[..., np.newaxis]
        )
    return (colour_out[..., 0] if grey else colour_out), alpha_out


def filter_planes(colour, alpha, depth, transform, cval, mode, linear):
    white = depth.white
    colour = light.to_linear(colour, white) if linear else colour
    outside = float(light.to_linear(np.array(cval, np.float64), white)) if linear else cval
    if alpha is None:
        result, opacity = transform(colour, outside), None
    else:
        opaque = depth.opaque
        faint = opaque / 131070 if depth.is_float else 0.5
        result, opacity = filter_with_alpha(colour, alpha, opaque, transform, mode, faint, outside)
    return (light.to_srgb(result, white) if linear else result), opacity


def pixels(
    colour,
    alpha,
    depth,
    transform,
    target_depth,
    keeps_alpha,
    *,
    cval=0.0,
    mode="keep",
    linear=False,
    scale=1.0,
    offset=0.0,
    mapping_name="to_range",
    peak=None,
):
    """What filter_file wrote for these planes: colour then alpha, (H, W) or (H, W, C)."""
    filtered, opacity = filter_planes(colour, alpha, depth, transform, cval, mode, linear)
    with np.errstate(over="ignore", invalid="ignore"):
        if scale != 1.0:
            filtered *= scale
        if offset != 0.0:
            filtered += offset
    value_mapping = mapping.named(mapping_name)
    if peak is not None:
        top = float(convert(np.array([peak], np.float64), depth, target_depth)[0])
        value_mapping = functools.partial(mapping.peak_to_white, peak=top)
    values = value_mapping(convert(filtered, depth, target_depth), target_depth)
    if opacity is not None:
        opacity = mapping.to_range(convert_alpha(opacity, depth, target_depth), target_depth)
        if not keeps_alpha:
            values, opacity = over_black(values, opacity, target_depth.opaque), None
    if opacity is None:
        return values
    if values.ndim == 2:
        values = values[..., np.newaxis]
    return np.concatenate([values, opacity[..., np.newaxis].astype(values.dtype)], axis=-1)
