"""The filtering commands: blur, sharpen, sobel and apply."""

from __future__ import annotations

import contextlib
import enum
import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape

from ..engine import convolve, correlate, plan_for
from ..errors import UsageError
from ..filters import sobel as sobel_filter
from ..imaging import DEFAULT_MAX_PIXELS, destination_for, filter_file
from ..imaging.files import output_format
from ..imaging.mapping import gradient
from ..kernels import Kernel, named
from .app import app, stderr, warn
from .options import (
    AbsOpt,
    AlphaOpt,
    AnchorOpt,
    BorderOpt,
    ClipOpt,
    CorrelateOpt,
    CvalOpt,
    DepthOpt,
    DivisorOpt,
    DryRunOpt,
    EngineOptions,
    FileOptions,
    ForceOpt,
    FormatOpt,
    InputArg,
    KernelOpt,
    LinearOpt,
    MaxPixelsOpt,
    Method,
    MethodOpt,
    NormalizeOpt,
    OffsetOpt,
    OutputOpt,
    QualityOpt,
    RescaleOpt,
    RotateOpt,
    ScaleOpt,
    ThreadsOpt,
    ValueMapping,
    VerboseOpt,
    engine_options,
    input_path,
    prepared_kernel,
    result_mapping,
)


class Axis(str, enum.Enum):
    x = "x"
    y = "y"
    both = "both"


@app.command()
def blur(
    image: InputArg = None,
    sigma: Annotated[float, typer.Option(help="Gaussian standard deviation in pixels (> 0).")] = 2.0,
    output: OutputOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quality: QualityOpt = None,
    alpha: AlphaOpt = None,
    linear: LinearOpt = False,
    depth: DepthOpt = None,
    format: FormatOpt = None,
    dry_run: DryRunOpt = False,
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Gaussian blur. Example: convcli blur photo.png --sigma 3 -o soft.png"""
    options = engine_options(border, cval, method, threads, verbose)
    kernel = Kernel(_option_kernel("sigma", named.gaussian, sigma), "blur")
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth, format, dry_run)
    _run(image, output, "blur", kernel, False, options, files)


@app.command()
def sharpen(
    image: InputArg = None,
    amount: Annotated[
        float, typer.Option(help="Strength: the kernel is identity - amount x laplacian; 1 is the classic 3x3.")
    ] = 1.0,
    output: OutputOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quality: QualityOpt = None,
    alpha: AlphaOpt = None,
    linear: LinearOpt = False,
    depth: DepthOpt = None,
    format: FormatOpt = None,
    dry_run: DryRunOpt = False,
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Sharpen with a 3x3 Laplacian kernel. Example: convcli sharpen photo.png --amount 0.5"""
    options = engine_options(border, cval, method, threads, verbose)
    kernel = Kernel(_option_kernel("amount", named.sharpen, amount), "sharpen")
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth, format, dry_run)
    _run(image, output, "sharpen", kernel, False, options, files)


@app.command()
def sobel(
    image: InputArg = None,
    axis: Annotated[
        Axis, typer.Option(help="x: vertical edges, y: horizontal edges, both: gradient magnitude.")
    ] = Axis.both,
    output: OutputOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quality: QualityOpt = None,
    alpha: AlphaOpt = None,
    linear: LinearOpt = False,
    depth: DepthOpt = None,
    format: FormatOpt = None,
    dry_run: DryRunOpt = False,
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Sobel edges, scaled so the strongest edge is white (float output: the exact gradient).
    Example: convcli sobel photo.png --axis x"""
    options = engine_options(border, cval, method, threads, verbose)

    def transform(colour, cval):
        with timed(options, colour, named.sobel_x(), passes=1 if axis is not Axis.both else 2):
            return sobel_filter(
                colour, axis.value, border=options.border, cval=cval,
                method=options.method, threads=options.threads, dtype=colour.dtype,
            )

    tag = "sobel" if axis is Axis.both else f"sobel-{axis.value}"
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth, format, dry_run)
    _write(image, output, tag, transform, options.cval, files, ValueMapping(gradient), "ignore")


@app.command()
def apply(
    kernel: KernelOpt,
    image: InputArg = None,
    correlate_: CorrelateOpt = False,
    normalize: NormalizeOpt = False,
    rotate: RotateOpt = 0,
    anchor: AnchorOpt = None,
    scale: ScaleOpt = None,
    divisor: DivisorOpt = None,
    offset: OffsetOpt = None,
    clip: ClipOpt = False,
    absolute: AbsOpt = False,
    rescale: RescaleOpt = False,
    output: OutputOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quality: QualityOpt = None,
    alpha: AlphaOpt = None,
    linear: LinearOpt = False,
    depth: DepthOpt = None,
    format: FormatOpt = None,
    dry_run: DryRunOpt = False,
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Convolve with any kernel. Example: convcli apply photo.png --kernel emboss --correlate"""
    options = engine_options(border, cval, method, threads, verbose)
    if kernel == "-" and (image is None or str(image) == "-"):
        raise UsageError("stdin cannot hold both the image and the kernel: give one of them as a file")
    resolved = prepared_kernel(kernel, rotate, anchor, normalize)
    value_mapping = result_mapping(resolved, scale, divisor, offset, clip, absolute, rescale)
    tag = resolved.label + (".correlate" if correlate_ else "")
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth, format, dry_run)
    _run(image, output, tag, resolved, correlate_, options, files, value_mapping)


def _option_kernel(option: str, make, value: float):
    """Build a named kernel from one option's value; the kernel's own check names the
    parameter first ("sigma must be ..."), which the message turns into the option."""
    try:
        return make(value)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None


def _run(
    image, output, tag, kernel: Kernel, as_correlation, options: EngineOptions, file_options: FileOptions,
    value_mapping=ValueMapping(),
) -> None:
    check_method(kernel.matrix, options)
    # A kernel without negative weights averages, and averaging must weigh colour by opacity.
    default_alpha = "premultiply" if (kernel.matrix >= 0).all() else "ignore"
    transform = kernel_transform(kernel, as_correlation, options)
    _write(image, output, tag, transform, options.cval, file_options, value_mapping, default_alpha)


def kernel_transform(kernel: Kernel, as_correlation: bool, options: EngineOptions):
    """The filter the image pipeline calls: colour planes and the value outside them in, the
    convolution (or correlation) out, timed for --verbose."""
    operation = correlate if as_correlation else convolve

    def transform(colour, cval):
        with timed(options, colour, kernel.matrix):
            return operation(
                colour, kernel.matrix, border=options.border, cval=cval, anchor=kernel.anchor,
                method=options.method, threads=options.threads, dtype=colour.dtype,
            )

    return transform


@contextlib.contextmanager
def timed(options: EngineOptions, colour, kernel, passes: int = 1):
    """With --verbose, report on stderr the plan the engine follows and the time the filtering took."""
    start = time.perf_counter()
    yield
    if options.verbose:
        plan = plan_for(
            colour.shape, kernel, method=options.method, threads=options.threads, dtype=colour.dtype,
            finite=bool(np.isfinite(colour).all()),
        )
        elapsed = time.perf_counter() - start
        what = f"{plan.method} ({plan.detail})" + (f" x{passes} passes" if passes > 1 else "")
        stderr.print(
            f"{'x'.join(map(str, colour.shape))}: {what} on {plan.threads} thread(s), "
            f"estimated {passes * plan.seconds:.3f} s, took {elapsed:.3f} s",
            style="dim",
        )


def check_method(kernel, options: EngineOptions) -> None:
    """Refuse a --method the kernel cannot take before any image is read (auto takes any)."""
    if options.method == "auto":
        return
    try:
        plan_for((1, 1), kernel, method=options.method)
    except ValueError as exc:
        raise UsageError(f"--method {options.method}: {exc}") from None


def _dry_run(source: Path, destination: Path, file_options: FileOptions) -> None:
    """What a run would write: `source -> destination`, with what would stop it, and the exit
    status the run would have for what can be known without reading the image. The line is
    requested text, on stdout, unless the image itself would go there."""
    to_stdout = str(destination) == "-"
    if not to_stdout and not file_options.format:
        output_format(destination)  # an extension naming no format: a usage error, as in the run
    problem = ""
    if str(source) != "-" and not source.is_file():
        problem = "no such file" if not source.exists() else "not a file"
    elif not to_stdout and not destination.parent.is_dir():
        problem = f"directory {str(destination.parent)!r} does not exist"
    elif not to_stdout and str(source) != "-" and destination.exists() and source.resolve() == destination.resolve():
        problem = "" if file_options.force else "is the input image: would be refused without --force"
    elif not to_stdout and destination.exists() and destination.is_file():
        problem = "" if file_options.force else "exists: would be refused without --force"
    note = f" ({problem})" if problem else (" (exists: would be replaced)" if not to_stdout and destination.exists()
                                            else "")
    line = f"{'stdin' if str(source) == '-' else source} -> {'stdout' if to_stdout else destination}{note}"
    (sys.stderr if to_stdout else sys.stdout).write(line + "\n")
    if problem:
        raise typer.Exit(1)


def _write(
    image, output, tag, transform, cval: float, file_options: FileOptions, value_mapping: ValueMapping,
    default_alpha: str,
) -> None:
    if file_options.dry_run:
        source = input_path(image)
        _dry_run(source, destination_for(source, output, tag, file_options.format), file_options)
        return
    written = filter_file(
        input_path(image), output, tag, transform, cval=cval, value_mapping=value_mapping.function,
        scale=value_mapping.scale, offset=value_mapping.offset, force=file_options.force, warn=warn,
        max_pixels=file_options.max_pixels or None, quality=file_options.quality,
        alpha=file_options.alpha.value if file_options.alpha else default_alpha, linear=file_options.linear,
        depth=file_options.depth.value if file_options.depth else None, format=file_options.format,
    )
    stderr.print(f"wrote {'the result to stdout' if str(written) == '-' else escape(str(written))}", style="dim")
