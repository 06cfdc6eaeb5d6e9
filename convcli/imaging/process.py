"""One image file through a filter: read, split channels, filter, map to range, write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ConvcliError
from . import channels, files, light, mapping
from .alpha import filter_with_alpha

Transform = Callable[[np.ndarray], np.ndarray]
Mapping = Callable[[np.ndarray, int], np.ndarray]


def filter_file(
    source: Path,
    output: Path | None,
    tag: str,
    transform: Transform,
    *,
    value_mapping: Mapping = mapping.to_range,
    force: bool = False,
    warn: Callable[[str], None] = lambda message: None,
    max_pixels: int | None = files.DEFAULT_MAX_PIXELS,
    quality: int | None = None,
    alpha: str = "ignore",
    linear: bool = False,
) -> Path:
    """Filter the colour channels of `source` with `transform` and write the result.

    `output` defaults to ``<stem>.<tag><suffix>`` beside the source. `alpha` says how an
    alpha channel is treated (see :func:`filter_with_alpha`; "ignore" carries it through
    unchanged); `linear` filters in linear light, decoding sRGB first and encoding after.
    The input file is never replaced unless `force` is set. Images over `max_pixels` are
    refused (None: no limit); `quality` is for JPEG and WebP output. Returns the path written.
    """
    if source.is_dir():
        raise ConvcliError(f"{source}: is a directory, not an image")
    destination = output if output is not None else files.default_output_path(source, tag)
    fmt = files.output_format(destination)
    if destination.is_dir():
        raise ConvcliError(f"{destination}: is a directory; give an image file name")
    if quality is not None and fmt not in files.LOSSY_FORMATS:
        warn(f"{destination}: --quality applies to JPEG and WebP only; {fmt} is written as usual")
    if _same_file(source, destination) and not force:
        raise ConvcliError(f"{destination}: is the input image; use --force to overwrite it")
    image = files.read_image(source, max_pixels)
    info = files.metadata(image)
    planes = channels.split(image, str(source))
    if planes.alpha is not None and not files.holds_alpha(fmt):
        warn(f"{destination}: {fmt} has no alpha channel; transparency dropped")
        planes.alpha = None
        planes.mode = planes.mode.removesuffix("A")
    colour = light.to_linear(planes.colour, planes.max_value) if linear else planes.colour
    if planes.alpha is None:
        filtered = transform(colour)
    else:
        filtered, planes.alpha = filter_with_alpha(colour, planes.alpha, planes.max_value, transform, alpha)
    if linear:
        filtered = light.to_srgb(filtered, planes.max_value)
    if planes.mode == "I;16" and not files.holds_16_bit(fmt):
        warn(f"{destination}: {fmt} holds 8 bits per channel; 16-bit values scaled to 0..255")
        filtered *= 255 / 65535
        planes.mode = "L"
    values = value_mapping(filtered, planes.max_value)
    files.write_image_atomic(channels.merge(values, planes), destination, fmt, quality, info)
    return destination


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))
