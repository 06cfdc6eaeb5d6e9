"""Options shared by the commands: their Typer declarations and the checks that turn them into settings."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from ..engine import METHODS, available_cores, normalize_border
from ..errors import UsageError
from ..imaging import DEPTHS
from ..imaging.alpha import ALPHA_MODES
from ..imaging.mapping import abs_to_range, clip_to_range, rescale_to_range, to_range

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


def engine_options(border: str, cval: float, method: Method, threads: int | None, verbose: bool) -> EngineOptions:
    try:
        normalize_border(border)
    except ValueError as exc:
        raise UsageError(f"--border: {exc}") from None
    if not math.isfinite(cval):
        raise UsageError(f"--cval must be a finite number, not {cval}")
    return EngineOptions(border, cval, method.value, threads or available_cores(), verbose)


def result_mapping(scale: float, offset: float, clip: bool, absolute: bool, rescale: bool):
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
