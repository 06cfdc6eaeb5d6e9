"""Convolution beside correlation: one panel image of original | convolved | correlated | difference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConvcliError, UsageError
from . import channels, files, mapping, stdout, writing
from .depth import EIGHT, convert, convert_alpha
from .naming import destination_for
from .pipeline import Pipeline, Treatment
from .process import check_destination, format_for, load_planes
from .settings import FilterSettings
from .target import check_size
from .transforms import Filter

_DEFAULTS = FilterSettings(tag="compare")

GAP = 4  # pixels of mid-grey between the panels
_GAP_VALUE = 128
# Transparency is shown over GIMP's mid-tone checks: squares of 8 pixels, grey 102 and 153.
CHECK_SIZE = 8
CHECK_GREYS = (102, 153)


@dataclass(frozen=True)
class Comparison:
    """What compare wrote and found: the difference's largest and mean absolute value (in the
    input's units), the difference shown white (the 99th percentile, or the largest where
    fewer than 1% of pixels differ) and the gain that made it white."""

    path: Path
    max_difference: float
    mean_difference: float
    white_difference: float
    gain: float


def compare_file(
    source: Path, output: Path | None, convolve: Filter, correlate: Filter, settings: FilterSettings = _DEFAULTS
) -> Comparison:
    """Filter `source` both ways and write one 8-bit panel, left to right: the original, the
    convolution, the correlation (each mapped to pixels as `settings.mapping` names, after
    `scale` and `offset`), and |convolution - correlation| amplified so that its 99th
    percentile is white: stretched to its largest value, a few edges would outshine the rest
    and leave the panel dark. Of `settings`, `tag`, `cval`, `alpha`, `force` and `max_pixels`
    count too, as for :func:`.process.filter_file`. An alpha channel is treated as `alpha`
    says (see :class:`.settings.FilterSettings`), and the
    first three panels show each image as it is seen: composited over grey checks
    (CHECK_SIZE-pixel squares of CHECK_GREYS), so the colour hidden under transparency is not
    shown; the difference is then of colour weighted by opacity, which is 0 where both are
    transparent. `output` defaults to ``<stem>.<tag>.png`` beside the source, or stdout ("-")
    for stdin's image ("-"); the panel goes to stdout as PNG, or into a file there in the format
    its name says (see :mod:`.stdout`)."""
    value_mapping, scale, offset = mapping.named(settings.mapping), settings.scale, settings.offset
    destination = destination_for(source, output, settings.tag, format="png")
    to_stdout = files.is_stream(destination)
    if to_stdout:
        fmt = stdout.check(default="PNG")
    else:
        fmt = format_for(destination, None) or "PNG"  # a device named without an extension
    if fmt == files.NPY or not files.writes(fmt, "RGB"):
        raise UsageError(
            f"{'stdout' if to_stdout else destination}: compare writes an 8-bit panel image; {fmt} cannot hold it "
            "(use .png, .jpg, .tif, .webp)"
        )
    if not to_stdout:
        check_destination(None if files.is_stream(source) else source, destination, settings.force)
    planes = load_planes(source, settings.max_pixels, cmyk_as_rgb=True)
    height, width = planes.shape
    check_size(fmt, 4 * width + 3 * GAP, height, destination)  # the panel's, before any filtering
    treatment = Treatment(settings.cval, settings.alpha)
    try:
        convolved, convolved_alpha = Pipeline(planes, convolve, treatment).filtered()
        correlated, correlated_alpha = Pipeline(planes, correlate, treatment).filtered()
    except ValueError as exc:  # what the engine refuses for this image's values (NaN for the FFT)
        raise ConvcliError(f"{source}: {exc}") from None
    if not planes.has_alpha:
        difference = np.abs(convolved - correlated)
    else:
        difference = np.abs(_seen(convolved, convolved_alpha, planes) - _seen(correlated, correlated_alpha, planes))
    largest = float(difference.max()) if difference.size else 0.0
    mean = float(difference.mean()) if difference.size else 0.0
    white = float(np.percentile(difference, 99)) if difference.size else 0.0
    if white <= 0:  # fewer than 1% of the pixels differ: their largest difference is white
        white = largest

    def shown(
        values: np.ndarray, opacity: np.ndarray | None, mapped: Callable = value_mapping, adjust: bool = True
    ) -> np.ndarray:
        if adjust:
            values = values * scale + offset
        pixels = mapped(convert(values, planes.depth, EIGHT), EIGHT)
        if opacity is None:
            return pixels
        return _over_checks(pixels, mapping.to_range(convert_alpha(opacity.copy(), planes.depth, EIGHT), EIGHT))

    gain = EIGHT.white / convert(np.array([white]), planes.depth, EIGHT)[0] if white > 0 else 0.0
    original = planes.colour()
    panels = [
        shown(original, planes.alpha(), mapping.to_range, adjust=False),
        shown(convolved, convolved_alpha),
        shown(correlated, correlated_alpha),
        mapping.to_range(convert(difference, planes.depth, EIGHT) * gain, EIGHT),
    ]
    gap = np.full((height, GAP) + original.shape[2:], _GAP_VALUE, np.uint8)
    strip = np.concatenate([part for panel in panels for part in (panel, gap)][:-1], axis=1)
    writing.write_image_atomic(
        channels.to_image(strip, "L" if strip.ndim == 2 else "RGB"), destination, fmt, force=settings.force
    )
    return Comparison(destination, largest, mean, white, float(gain))


def _seen(colour: np.ndarray, opacity: np.ndarray, planes: channels.Planes) -> np.ndarray:
    """Colour weighted by its opacity (clipped to 0..1): what is left of it over black."""
    weight = np.clip(opacity / planes.depth.opaque, 0, 1)
    return colour * (weight if colour.ndim == 2 else weight[..., np.newaxis])


def _over_checks(pixels: np.ndarray, opacity: np.ndarray) -> np.ndarray:
    """8-bit `pixels` ((H, W) or (H, W, C)) composited by their 8-bit `opacity` over the checks."""
    rows, columns = np.indices(opacity.shape)
    checks = np.where((rows // CHECK_SIZE + columns // CHECK_SIZE) % 2 == 0, *CHECK_GREYS).astype(np.float32)
    weight = opacity.astype(np.float32) / EIGHT.opaque
    if pixels.ndim == 3:
        checks, weight = checks[..., np.newaxis], weight[..., np.newaxis]
    return mapping.to_range(pixels * weight + checks * (1 - weight), EIGHT)
