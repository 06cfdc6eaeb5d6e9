"""`convcli apply`: convolution (or correlation) with any kernel."""

from __future__ import annotations

from ..errors import UsageError
from .app import app
from .filtering import run_kernel
from .groups import with_option_groups
from .options import CorrelateOpt, EngineOptions, ImagesArg, KernelOptions, MappingOptions, OutputOptions, PixelOptions


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
    run_kernel(images, tag, kernel, correlate_, mapping.for_kernel(kernel), outputs, pixels, engine)
