"""`convcli sharpen`: identity minus a Laplacian."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app
from .filtering import option_kernel, run_kernel
from .groups import with_option_groups
from .options import EngineOptions, ImagesArg, OutputOptions, PixelOptions, ValueMapping


@app.command()
@with_option_groups
def sharpen(
    images: ImagesArg = None,
    amount: Annotated[
        float | None,
        typer.Option(
            help="Strength: the kernel is identity - amount x laplacian; 1 is the classic 3x3. "
            "Default: 1, the sharpen kernel's (as -k sharpen).",
            show_default=False,
        ),
    ] = None,
    *,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    """Sharpen with a 3x3 Laplacian kernel. Example: convcli sharpen photo.png --amount 0.5"""
    from ..kernels import Kernel, named

    kernel = Kernel(option_kernel("amount", named.sharpen, amount), "sharpen")
    run_kernel(images, "sharpen", kernel, False, ValueMapping(), outputs, pixels, engine)
