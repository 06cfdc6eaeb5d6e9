"""`convcli explain`: a 1-D convolution step by step, or one pixel of a filtered image, as sums of products."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..choices import DEFAULT_MAX_PIXELS, SIZE_MODES
from ..errors import UsageError
from .app import app
from .groups import with_option_groups
from .inputs import one_image
from .options import (
    BorderOpt,
    CorrelateOpt,
    CvalOpt,
    DivisorOpt,
    EngineOptions,
    KernelOptions,
    MaxPixelsOpt,
    OffsetOpt,
    ScaleOpt,
    position,
    result_mapping,
)


@app.command()
@with_option_groups
def explain(
    image: Annotated[
        Path | None,
        typer.Argument(
            metavar="[IMAGE]",
            help="An image whose pixel --at to explain; '-' or none reads stdin. Omit it for --signal.",
            show_default=False,
        ),
    ] = None,
    signal: Annotated[
        str | None,
        typer.Option(
            help="A 1-D signal to convolve step by step, such as '1 0.5 1 1' (instead of IMAGE).", show_default=False
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            metavar="X,Y",
            help="The pixel of IMAGE to explain: column x, then row y, from 0,0 at the top left (as image "
            "viewers and --origin count).",
            show_default=False,
        ),
    ] = None,
    correlate_: CorrelateOpt = False,
    size: Annotated[
        str, typer.Option(help="For --signal: full (every overlap, the textbook sum), same or valid.")
    ] = "full",
    scale: ScaleOpt = None,
    divisor: DivisorOpt = None,
    offset: OffsetOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    *,
    kernel_options: KernelOptions,
) -> None:
    """Show convolution as sums of products: every output of a 1-D signal, or one pixel of an image.
    Examples: convcli explain --signal '1 0.5 1 1' --kernel '1 0.5 0.25'  |
    convcli explain photo.png --at 10,20 --kernel emboss"""
    options = EngineOptions(border, cval, threads=1)
    if image is None and signal is None and at is not None:
        image = one_image(None)  # piped in, as the filters read it
    if (image is None) == (signal is None):
        raise UsageError("give either IMAGE (with --at) or --signal, not both or neither")
    if signal is not None:
        if at is not None:
            raise UsageError("--at is for an IMAGE; --signal explains every output")
        if size not in SIZE_MODES:
            raise UsageError(f"--size must be one of {', '.join(SIZE_MODES)}, not {size!r}")
        from .explanation import explain_signal

        explain_signal(signal, kernel_options.resolved(), correlate_, size, options)
    else:
        if at is None:
            raise UsageError("--at X,Y is needed to explain a pixel of an image")
        from .explanation import explain_pixel

        resolved = kernel_options.resolved()
        mapping = result_mapping(resolved, scale, divisor, offset)
        pixel = position(at, "--at")
        explain_pixel(one_image(image), pixel, resolved, correlate_, options, mapping, max_pixels or None)
