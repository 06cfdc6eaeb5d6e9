"""The filtering commands: blur, sharpen, sobel and apply, over one image or many."""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from .app import app
from .groups import with_option_groups
from .inputs import expand
from .options import (
    CorrelateOpt,
    EngineOptions,
    ImagesArg,
    KernelOptions,
    MappingOptions,
    OutputOptions,
    PixelOptions,
    ValueMapping,
    filter_settings,
)

if TYPE_CHECKING:
    from ..imaging.transforms import Filter
    from ..kernels import Kernel


class Axis(str, enum.Enum):
    x = "x"
    y = "y"
    both = "both"


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

    kernel = Kernel(_option_kernel("sigma", named.gaussian, sigma), "blur")
    _run_kernel(images, "blur", kernel, False, ValueMapping(), outputs, pixels, engine)


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

    kernel = Kernel(_option_kernel("amount", named.sharpen, amount), "sharpen")
    _run_kernel(images, "sharpen", kernel, False, ValueMapping(), outputs, pixels, engine)


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
    _run(images, tag, engine.sobel_filter(axis.value), value_mapping, alpha, outputs, pixels, engine)


@app.command()
@with_option_groups
def apply(
    images: ImagesArg = None,
    correlate_: CorrelateOpt = False,
    *,
    kernel_options: KernelOptions,
    mapping: MappingOptions,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    """Convolve with any kernel. Example: convcli apply photo.png --kernel emboss --correlate"""
    if kernel_options.kernel == "-" and (not images or [str(image) for image in images] == ["-"]):
        raise UsageError("stdin cannot hold both the image and the kernel: give one of them as a file")
    from ..imaging.naming import filter_name

    kernel = kernel_options.resolved()
    tag = filter_name(kernel, correlate_)
    _run_kernel(images, tag, kernel, correlate_, mapping.for_kernel(kernel), outputs, pixels, engine)


def _option_kernel(option: str, make, value: float | None):
    """Build a named kernel from one option's value (None: the kernel's default); the kernel's
    own check names the parameter first ("sigma must be ..."), which the message turns into
    the option."""
    try:
        return make() if value is None else make(value)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None


def _run_kernel(
    images,
    tag: str,
    kernel: Kernel,
    as_correlation: bool,
    value_mapping: ValueMapping,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    from ..imaging.alpha import default_mode

    engine.check_method(kernel.matrix)
    transform = engine.kernel_filter(kernel, as_correlation)
    _run(images, tag, transform, value_mapping, default_mode(kernel.matrix), outputs, pixels, engine)


def _run(
    images,
    tag: str,
    transform: Filter,
    value_mapping: ValueMapping,
    default_alpha: str,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    from . import batch

    settings = filter_settings(tag, value_mapping, default_alpha, pixels, outputs, engine)
    batch.run(batch.Job(transform, settings, outputs, verbose=engine.verbose), expand(images))
