"""`convcli sobel`: Sobel edges, stretched to white or at a fixed scale."""

from __future__ import annotations

import enum
import math
from typing import Annotated

import typer

from ..errors import UsageError
from .app import app
from .filtering import run
from .groups import with_option_groups
from .options import EngineOptions, ImagesArg, OutputOptions, PixelOptions, ValueMapping


class Axis(str, enum.Enum):
    x = "x"
    y = "y"
    both = "both"


@app.command()
@with_option_groups
def sobel(
    images: ImagesArg = None,
    axis: Annotated[
        Axis, typer.Option(help="x: vertical edges, y: horizontal edges, both: gradient magnitude.")
    ] = Axis.both,
    peak: Annotated[
        float | None,
        typer.Option(
            "--max",
            metavar="VALUE",
            help="A fixed scale: the gradient that becomes white, in the input's units (an 8-bit step from "
            "black to white is 1020 along x or y), at every depth, float included; stronger edges clip. "
            "The same for every image, so the frames of a batch compare. Default: each image stretched "
            "so its own strongest edge is white (float output: the exact gradient).",
            show_default=False,
        ),
    ] = None,
    *,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    """Sobel edges, scaled so that the strongest edge, or --max, is white (float output: the exact gradient).
    Examples: convcli sobel photo.png --axis x  |  convcli sobel photo.png --max 400"""
    from ..imaging.alpha import default_mode
    from ..kernels import named

    if peak is not None and not (math.isfinite(peak) and peak > 0):
        raise UsageError(f"--max must be a positive number, the gradient that becomes white, not {peak}")
    tag = "sobel" if axis is Axis.both else f"sobel-{axis.value}"
    alpha = default_mode(named.sobel_x())
    value_mapping = ValueMapping("gradient", peak=peak)
    run(images, tag, engine.sobel_filter(axis.value), value_mapping, alpha, outputs, pixels, engine)
