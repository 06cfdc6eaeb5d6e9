"""Options shared by the commands: their Typer declarations and the checks that turn them into settings."""

from __future__ import annotations

import enum
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from ..engine import METHODS, available_cores, normalize_border
from ..errors import UsageError
from ..imaging import DEPTHS
from ..imaging.alpha import ALPHA_MODES
from ..imaging.mapping import abs_to_range, clip_to_range, rescale_to_range, to_range
from ..kernels import Kernel, named, resolve_kernel

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
InputArg = Annotated[
    Optional[Path],
    typer.Argument(
        help="Input image (PNG, JPEG, TIFF, BMP, WebP, ...) or NumPy .npy array; '-' or none reads stdin.",
        metavar="IMAGE",
        show_default=False,
        readable=False,
    ),
]
FormatOpt = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        help="Output format where no extension says it (stdout): png, jpeg, tiff, webp, npy, ... "
        "Default: the input's own, else png.",
        show_default=False,
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Print what would be written, and whether it exists; read and write nothing.")
]
OutputOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--output", "-o",
        help="Output file; its extension picks the format (.npy: a NumPy array); '-' for stdout. "
        "Default: IMAGE.<filter>.<ext> beside the input, or stdout for stdin's image.",
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
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace an existing output file, even the input image; without it, "
                       "convcli refuses to.")
]
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


KernelOpt = Annotated[
    str,
    typer.Option(
        "--kernel", "-k",
        help="A kernel: a file (rows of numbers, .csv, .json, .npy, a libvips .mat, an ImageMagick "
        "string), '-' for stdin, a name with optional parameters (gaussian:sigma=2, "
        "motion:length=9,angle=30, shift:dx=1,dy=0), inline rows such as '1 2 1; 2 4 2; 1 2 1', or "
        "an ImageMagick string such as '3x3: -1,0,1 -2,0,2 -1,0,1'. Names: " + ", ".join(named.KERNELS) + ".",
        show_default=False,
    ),
]
CorrelateOpt = Annotated[
    bool,
    typer.Option("--correlate", help="Apply the kernel as written (cross-correlation, as CNNs do) "
                 "instead of rotated 180 degrees (true convolution)."),
]
NormalizeOpt = Annotated[bool, typer.Option("--normalize", help="Divide the kernel by its sum.")]
RotateOpt = Annotated[
    int, typer.Option(help="Turn the kernel this many degrees counter-clockwise first (a multiple of 90).")
]
AnchorOpt = Annotated[
    Optional[str],
    typer.Option(
        metavar="ROW,COL",
        help="The kernel cell over the output pixel, counted from 0,0 at the top left. "
        "Default: the centre, (height // 2, width // 2), or the kernel file's own.",
        show_default=False,
    ),
]
ScaleOpt = Annotated[
    Optional[float],
    typer.Option(help="Multiply the result by this before mapping it to pixels (GIMP's 1/divisor). "
                 "Default: the kernel file's scale, else 1.", show_default=False),
]
DivisorOpt = Annotated[
    Optional[float],
    typer.Option(help="Divide the result by this, as GIMP's convolution matrix does (--scale 1/D).",
                 show_default=False),
]
OffsetOpt = Annotated[
    Optional[float],
    typer.Option(help="Add this after scaling, in the input's pixel units: 128 shows signed 8-bit results "
                 "around grey. Default: the kernel file's offset, else 0.", show_default=False),
]
ClipOpt = Annotated[
    bool,
    typer.Option("--clip", help="Clip the result to the pixel range: what integer outputs always get, and "
                 "float outputs (.npy, --depth float; unclipped by default) too, to 0..white."),
]
AbsOpt = Annotated[bool, typer.Option("--abs", help="Map |result| to pixels: edges of either sign show bright.")]
RescaleOpt = Annotated[bool, typer.Option("--rescale", help="Stretch the result's min..max to the full pixel range.")]


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
    format: str | None = None  # for stdout; None: the input's
    dry_run: bool = False


def input_path(image: Path | None) -> Path:
    """IMAGE, or "-" (stdin) when none is given and something is piped in."""
    if image is not None:
        return image
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no IMAGE given, and nothing is piped to stdin")
    return Path("-")


def engine_options(border: str, cval: float, method: Method, threads: int | None, verbose: bool) -> EngineOptions:
    try:
        normalize_border(border)
    except ValueError as exc:
        raise UsageError(f"--border: {exc}") from None
    if not math.isfinite(cval):
        raise UsageError(f"--cval must be a finite number, not {cval}")
    return EngineOptions(border, cval, method.value, threads or available_cores(), verbose)


def result_mapping(
    kernel: Kernel,
    scale: float | None,
    divisor: float | None,
    offset: float | None,
    clip: bool = False,
    absolute: bool = False,
    rescale: bool = False,
) -> ValueMapping:
    """How results map to pixels: clipped (default, or --clip, which clips float output too),
    absolute or rescaled, after a scale (--scale, or 1/--divisor) and --offset; where these
    are not given, the kernel file's own scale and offset."""
    chosen = [name for name, on in (("--clip", clip), ("--abs", absolute), ("--rescale", rescale)) if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} exclude each other; choose one")
    if scale is not None and divisor is not None:
        raise UsageError("--scale and --divisor exclude each other; --scale S is --divisor 1/S")
    if rescale and (scale is not None or divisor is not None or offset is not None):
        raise UsageError(
            "--scale, --divisor and --offset have no effect with --rescale, which stretches min..max anyway"
        )
    for name, value in (("--scale", scale), ("--divisor", divisor), ("--offset", offset)):
        if value is not None and not math.isfinite(value):
            raise UsageError(f"{name} must be a finite number, not {value}")
        if value == 0 and name != "--offset":
            raise UsageError(f"{name} 0 would make every pixel the same")
    function = abs_to_range if absolute else rescale_to_range if rescale else clip_to_range if clip else to_range
    if scale is None:
        scale = kernel.scale if divisor is None else 1 / divisor
    return ValueMapping(function, scale, kernel.offset if offset is None else offset)


def prepared_kernel(spec: str, rotate: int = 0, anchor: str | None = None, normalize: bool = False) -> Kernel:
    """The --kernel resolved, then turned by --rotate, divided by its sum for --normalize, and
    anchored at --anchor; a bad value is a usage error naming its option."""
    kernel = resolve_kernel(spec)
    for option, change in (("--rotate", rotate and (lambda k: k.rotated(rotate))),
                           ("--normalize", normalize and (lambda k: k.normalized())),
                           ("--anchor", anchor is not None and (lambda k: k.anchored(anchor)))):
        if change:
            try:
                kernel = change(kernel)
            except ValueError as exc:
                raise UsageError(f"{option}: {exc}") from None
    return kernel
