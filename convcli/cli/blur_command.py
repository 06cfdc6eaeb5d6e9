"""`convcli blur`: a Gaussian blur."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app
from .filtering import option_kernel, run_kernel
from .groups import with_option_groups
from .options import EngineOptions, ImagesArg, OutputOptions, PixelOptions, ValueMapping


@app.command()
@with_option_groups
def blur(
    images: ImagesArg = None,
    sigma: Annotated[
        float | None,
        typer.Option(
            help="Gaussian standard deviation in pixels (> 0). Default: 2, the gaussian kernel's (as -k gaussian).",
            show_default=False,
        ),
    ] = None,
    *,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    """Gaussian blur. Examples: convcli blur photo.png --sigma 3 -o soft.png  |
    convcli blur '*.png' --sigma 3 --out-dir soft"""
    from ..kernels import Kernel, named

    kernel = Kernel(option_kernel("sigma", named.gaussian, sigma), "blur")
    run_kernel(images, "blur", kernel, False, ValueMapping(), outputs, pixels, engine)
