"""`convcli compare`: convolution beside correlation in one panel image, and how much they differ."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..choices import DEFAULT_MAX_PIXELS
from .app import app, note, shown, stderr
from .groups import with_option_groups
from .inputs import one_image
from .options import (
    EngineOptions,
    ForceOpt,
    KernelOptions,
    MappingOptions,
    MaxPixelsOpt,
)


@app.command()
@with_option_groups
def compare(
    image: Annotated[
        Path | None,
        typer.Argument(
            help="Input image (PNG, JPEG, TIFF, ...) or NumPy .npy array; '-' or none reads stdin.",
            metavar="[IMAGE]",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The panel, an 8-bit image; its extension picks the format; '-' for "
            "stdout (PNG; into a file on stdout, the format its name says). Default: stdout when it is a pipe "
            "or a file named for an image format (> panel.jpg), else IMAGE.compare-<kernel>.png beside the input. "
            "A file on stdout named for another format (> run.log), or that holds data (>>), gets no image.",
            show_default=False,
            readable=False,
        ),
    ] = None,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    *,
    kernel_options: KernelOptions,
    mapping: MappingOptions,
    engine: EngineOptions,
) -> None:
    """Write original | convolved | correlated | difference side by side; say how much they differ.
    An image with alpha is filtered as apply filters it; its panels show it over grey checks.
    Example: convcli compare photo.png --kernel emboss -o panel.png"""
    from ..imaging import stdout
    from ..imaging.alpha import default_mode
    from ..imaging.compare import compare_file
    from ..imaging.files import STREAM, is_stream
    from ..imaging.naming import kernel_name, kernel_title
    from ..imaging.settings import FilterSettings
    from ..kernels.properties import properties

    resolved = kernel_options.resolved()
    value_mapping = mapping.for_kernel(resolved)
    engine.check_method(resolved.matrix)
    source = one_image(image)
    if stdout.means_stdout(output) or (output is None and stdout.takes_result_of(source)):
        output = STREAM
    report = note if engine.verbose else None
    settings = FilterSettings(
        tag=f"compare-{kernel_name(resolved)}",
        mapping=value_mapping.name,
        scale=value_mapping.scale,
        offset=value_mapping.offset,
        cval=engine.cval,
        alpha=default_mode(resolved.matrix),
        force=force,
        max_pixels=max_pixels or None,
    )
    result = compare_file(
        source,
        output,
        engine.kernel_filter(resolved, correlate=False).reporting(report),
        engine.kernel_filter(resolved, correlate=True).reporting(report),
        settings,
    )
    facts = properties(resolved.matrix, resolved.centre)
    if result.max_difference == 0:
        legend = "difference (all black: there is none)"
    else:
        legend = (
            f"difference (|convolved - correlated| of the filter's values, before they are mapped to "
            f"pixels, x {result.gain:.3g}: white is a difference of {result.white_difference:.4g} or more)"
        )
    where = "the panel to stdout" if is_stream(result.path) else shown(str(result.path))
    stderr.print(f"wrote {where}: original | convolved | correlated | {legend}", soft_wrap=True)
    if result.max_difference == 0 and facts.same_both_ways:
        stderr.print(
            f"The difference is exactly 0: every weight of {shown(kernel_title(resolved))} equals the one "
            "opposite it across the origin, so flipping the kernel changes nothing.",
            soft_wrap=True,
        )
    elif result.max_difference == 0:
        stderr.print(
            "The difference is 0 on this image, although the kernel is not its own 180-degree rotation: "
            "the image has nothing the flip can show (a flat image?).",
            soft_wrap=True,
        )
    else:
        why = (
            "it equals its 180-degree rotation, but its origin is off-centre, so the flip shifts the result"
            if facts.flip_symmetric and not facts.same_both_ways
            else "rounding only: the kernel is symmetric about its origin"
            if facts.same_both_ways
            else "convolution applies the kernel rotated 180 degrees, correlation as written"
        )
        stderr.print(
            f"max |convolved - correlated| = {result.max_difference:.6g}, mean = "
            f"{result.mean_difference:.6g} (in the input's pixel units): {why}.",
            soft_wrap=True,
        )
