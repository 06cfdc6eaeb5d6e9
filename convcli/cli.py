"""The convcli command line: Typer commands that parse options and call the image pipeline."""

from __future__ import annotations

import contextlib
import enum
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Optional

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .engine import METHODS, available_cores, convolve, correlate, normalize_border, plan_for
from .errors import ConvcliError, UsageError
from .filters import sobel as sobel_filter
from .imaging import DEFAULT_MAX_PIXELS, DEPTHS, filter_file
from .imaging.alpha import ALPHA_MODES
from .imaging.mapping import abs_to_range, clip_to_range, gradient, rescale_to_range, to_range
from .kernels import named, resolve_kernel

stderr = Console(stderr=True, soft_wrap=True, highlight=False)

app = typer.Typer(
    help="Filter images by true convolution (the kernel rotated 180 degrees) or, with "
    "--correlate, by cross-correlation as CNNs compute it.",
    epilog="Examples:  convcli blur photo.png --sigma 3   |   "
    "convcli apply photo.png --kernel emboss --correlate   |   "
    "convcli apply photo.png --kernel '1 2 1; 2 4 2; 1 2 1' --normalize",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Axis(str, enum.Enum):
    x = "x"
    y = "y"
    both = "both"


Method = enum.Enum("Method", {name: name for name in METHODS}, type=str)


ImageArg = Annotated[
    Path,
    typer.Argument(
        help="Input image (PNG, JPEG, TIFF, BMP, WebP, ...) or NumPy .npy array.",
        metavar="IMAGE",
        show_default=False,
        # convcli reads the file itself, so an unreadable one is a failure (exit 1), not a usage error.
        readable=False,
    ),
]
OutputOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--output", "-o",
        help="Output file; its extension picks the format (.npy: a NumPy array). "
        "Default: IMAGE.<filter>.<ext> beside the input.",
        show_default=False,
    ),
]
BorderOpt = Annotated[
    str,
    typer.Option(
        help="Edge handling: reflect (dcba|abcd), mirror (dcb|abcd), nearest (aaa|abcd), wrap (bcd|abcd), "
        "constant (--cval). numpy and OpenCV names (symmetric, edge, reflect_101, ...) are accepted too."
    ),
]
CvalOpt = Annotated[float, typer.Option(help="Value outside the image for --border constant, in pixel units.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Allow the output to overwrite the input image.")]
AlphaMode = enum.Enum("AlphaMode", {name: name for name in ALPHA_MODES}, type=str)
AlphaOpt = Annotated[
    Optional[AlphaMode],
    typer.Option(
        case_sensitive=False,
        help="Alpha channel: premultiply (colour weighted by opacity, no dark fringes), separate "
        "(colour and alpha filtered each as is) or ignore (alpha kept unchanged). Default: "
        "premultiply for kernels without negative weights (blurs), ignore for the others.",
        show_default=False,
    ),
]
LinearOpt = Annotated[
    bool,
    typer.Option(
        "--linear",
        help="Filter in linear light: decode sRGB first, encode after, so a blurred edge between "
        "black and white is as bright as the light mixes (for photos; not for data or masks).",
    ),
]
DepthChoice = enum.Enum("DepthChoice", {name: name for name in DEPTHS}, type=str)
DepthOpt = Annotated[
    Optional[DepthChoice],
    typer.Option(
        case_sensitive=False,
        help="Output values: 8 or 16 bits per channel, or float (the filter's exact, signed numbers, in "
        "the input's units; for .tif grey and .npy). Default: the input's where the format holds it, "
        "float for .npy.",
        show_default=False,
    ),
]
MaxPixelsOpt = Annotated[
    int,
    typer.Option(
        min=0, help="Refuse images of more pixels than this, a guard against decompression bombs; 0: no limit."
    ),
]
QualityOpt = Annotated[
    Optional[int],
    typer.Option(
        min=1, max=100, help="JPEG and WebP quality, 1-100. Default: 92 for JPEG, 80 for WebP.", show_default=False
    ),
]
MethodOpt = Annotated[
    Method,
    typer.Option(
        case_sensitive=False,
        help="How to compute: direct (shift-and-add per tap), separable (rank-1 kernels), lowrank "
        "(sum of separable passes), fft (tiled FFT), or auto: the fastest by a cost model."
    ),
]
ThreadsOpt = Annotated[
    Optional[int],
    typer.Option(min=1, help="Threads to use. Default: all available cores.", show_default=False),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Print the method chosen and the time it took to stderr.")
]


@dataclass(frozen=True)
class EngineOptions:
    """The options every command passes to the engine."""

    border: str
    cval: float
    method: str
    threads: int
    verbose: bool


@dataclass(frozen=True)
class ValueMapping:
    """How results become pixels: `function` (see imaging.mapping) after `scale` and `offset`."""

    function: Callable = to_range
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class FileOptions:
    """The options every command passes to the image pipeline."""

    force: bool
    max_pixels: int  # 0: no limit
    quality: int | None
    alpha: AlphaMode | None  # None: by the kernel
    linear: bool
    depth: DepthChoice | None  # None: the input's


def _engine_options(border: str, cval: float, method: Method, threads: int | None, verbose: bool) -> EngineOptions:
    try:
        normalize_border(border)
    except ValueError as exc:
        raise UsageError(f"--border: {exc}") from None
    if not math.isfinite(cval):
        raise UsageError(f"--cval must be a finite number, not {cval}")
    return EngineOptions(border, cval, method.value, threads or available_cores(), verbose)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Filter images by true convolution or, with --correlate, by correlation."""


@app.command()
def blur(
    image: ImageArg,
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
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Gaussian blur. Example: convcli blur photo.png --sigma 3 -o soft.png"""
    options = _engine_options(border, cval, method, threads, verbose)
    kernel = _option_kernel("sigma", named.gaussian, sigma)
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth)
    _run(image, output, "blur", kernel, False, options, files)


@app.command()
def sharpen(
    image: ImageArg,
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
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Sharpen with a 3x3 Laplacian kernel. Example: convcli sharpen photo.png --amount 0.5"""
    options = _engine_options(border, cval, method, threads, verbose)
    kernel = _option_kernel("amount", named.sharpen, amount)
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth)
    _run(image, output, "sharpen", kernel, False, options, files)


@app.command()
def sobel(
    image: ImageArg,
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
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Sobel edges, scaled so the strongest edge is white (float output: the exact gradient).
    Example: convcli sobel photo.png --axis x"""
    options = _engine_options(border, cval, method, threads, verbose)

    def transform(colour):
        with _timed(options, colour, named.sobel_x(), passes=1 if axis is not Axis.both else 2):
            return sobel_filter(
                colour, axis.value, border=options.border, cval=options.cval,
                method=options.method, threads=options.threads, dtype=colour.dtype,
            )

    tag = "sobel" if axis is Axis.both else f"sobel-{axis.value}"
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth)
    _write(image, output, tag, transform, files, ValueMapping(gradient), "ignore")


@app.command()
def apply(
    image: ImageArg,
    kernel: Annotated[
        str,
        typer.Option(
            "--kernel", "-k",
            help="A kernel file (rows of numbers), a name with optional parameters "
            "(gaussian:sigma=2, motion:length=9,angle=30, shift:dx=1,dy=0), "
            "or inline rows such as '1 2 1; 2 4 2; 1 2 1'. Names: " + ", ".join(named.KERNELS) + ".",
            show_default=False,
        ),
    ],
    correlate_: Annotated[
        bool,
        typer.Option("--correlate", help="Apply the kernel as written (cross-correlation, as CNNs do) "
                     "instead of rotated 180 degrees (true convolution)."),
    ] = False,
    normalize: Annotated[bool, typer.Option("--normalize", help="Divide the kernel by its sum.")] = False,
    scale: Annotated[
        float, typer.Option(help="Multiply the result by this before mapping it to pixels (GIMP's 1/divisor).")
    ] = 1.0,
    offset: Annotated[
        float, typer.Option(help="Add this after --scale, in pixel units: 128 shows signed 8-bit results around grey.")
    ] = 0.0,
    clip: Annotated[
        bool, typer.Option("--clip", help="Clip the result to the pixel range (the default; for scripts that say so).")
    ] = False,
    absolute: Annotated[
        bool, typer.Option("--abs", help="Map |result| to pixels: edges of either sign show bright.")
    ] = False,
    rescale: Annotated[
        bool, typer.Option("--rescale", help="Stretch the result's min..max to the full pixel range.")
    ] = False,
    output: OutputOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quality: QualityOpt = None,
    alpha: AlphaOpt = None,
    linear: LinearOpt = False,
    depth: DepthOpt = None,
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Convolve with any kernel. Example: convcli apply photo.png --kernel emboss --correlate"""
    options = _engine_options(border, cval, method, threads, verbose)
    resolved = resolve_kernel(kernel)
    matrix = resolved.matrix
    if normalize:
        total = matrix.sum()
        if abs(total) < 1e-12 * max(1.0, abs(matrix).sum()):
            raise UsageError(f"--normalize: kernel {resolved.label!r} sums to 0, so it cannot be normalised")
        matrix = matrix / total
    tag = resolved.label + (".correlate" if correlate_ else "")
    value_mapping = _value_mapping(scale, offset, clip, absolute, rescale)
    files = FileOptions(force, max_pixels, quality, alpha, linear, depth)
    _run(image, output, tag, matrix, correlate_, options, files, value_mapping)


def _option_kernel(option: str, make, value: float):
    """Build a named kernel from one option's value; the kernel's own check names the
    parameter first ("sigma must be ..."), which the message turns into the option."""
    try:
        return make(value)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None


def _value_mapping(scale: float, offset: float, clip: bool, absolute: bool, rescale: bool):
    """How apply maps results to pixels: clipped (default, or --clip, which clips float output
    too), absolute or rescaled, after --scale and --offset."""
    chosen = [name for name, on in (("--clip", clip), ("--abs", absolute), ("--rescale", rescale)) if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} exclude each other; choose one")
    if rescale and (scale != 1.0 or offset != 0.0):
        raise UsageError("--scale and --offset have no effect with --rescale, which stretches min..max anyway")
    for name, value in (("--scale", scale), ("--offset", offset)):
        if not math.isfinite(value):
            raise UsageError(f"{name} must be a finite number, not {value}")
    if scale == 0:
        raise UsageError("--scale 0 would make every pixel the same")
    function = abs_to_range if absolute else rescale_to_range if rescale else clip_to_range if clip else to_range
    return ValueMapping(function, scale, offset)


def _run(
    image, output, tag, kernel, as_correlation, options: EngineOptions, file_options: FileOptions,
    value_mapping=ValueMapping(),
) -> None:
    _check_method(kernel, options)
    operation = correlate if as_correlation else convolve

    def transform(colour):
        with _timed(options, colour, kernel):
            return operation(
                colour, kernel, border=options.border, cval=options.cval,
                method=options.method, threads=options.threads, dtype=colour.dtype,
            )

    # A kernel without negative weights averages, and averaging must weigh colour by opacity.
    default_alpha = "premultiply" if (kernel >= 0).all() else "ignore"
    _write(image, output, tag, transform, file_options, value_mapping, default_alpha)


@contextlib.contextmanager
def _timed(options: EngineOptions, colour, kernel, passes: int = 1):
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


def _check_method(kernel, options: EngineOptions) -> None:
    """Refuse a --method the kernel cannot take before any image is read (auto takes any)."""
    if options.method == "auto":
        return
    try:
        plan_for((1, 1), kernel, method=options.method)
    except ValueError as exc:
        raise UsageError(f"--method {options.method}: {exc}") from None


def _write(
    image, output, tag, transform, file_options: FileOptions, value_mapping: ValueMapping, default_alpha: str
) -> None:
    written = filter_file(
        image, output, tag, transform, value_mapping=value_mapping.function, scale=value_mapping.scale,
        offset=value_mapping.offset, force=file_options.force, warn=_warn,
        max_pixels=file_options.max_pixels or None, quality=file_options.quality,
        alpha=file_options.alpha.value if file_options.alpha else default_alpha, linear=file_options.linear,
        depth=file_options.depth.value if file_options.depth else None,
    )
    stderr.print(f"wrote {escape(str(written))}", style="dim")


def _warn(message: str) -> None:
    stderr.print(f"[yellow]warning:[/] {escape(message)}")


def _error(message: str) -> None:
    stderr.print(f"[bold red]error:[/] [red]{escape(message)}[/]")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every user error ends as one red line on stderr and exit code 1 or 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        # A bare `convcli` is a usage error: show the help, but on stderr, as stdout is for data.
        with contextlib.redirect_stdout(sys.stderr):
            app(args=["--help"], prog_name="convcli", standalone_mode=False)
        return 2
    try:
        result = app(args=args, prog_name="convcli", standalone_mode=False)
    except ConvcliError as exc:
        _error(str(exc))
        return exc.exit_code
    except typer.TyperException as exc:
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "convcli"
        _error(f"{exc.format_message()} (see '{command} --help')")
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return 130
    except MemoryError:
        _error("out of memory: the image or kernel is too large")
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
