"""Options shared by the commands: their Typer declarations and the checks that turn them into settings."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..choices import (
    ALPHA_MODES,
    DEFAULT_MAX_PIXELS,
    DEPTHS,
    KERNEL_NAMES,
    METHODS,
    normalize_border,
)
from ..errors import ConvcliError, UsageError

if TYPE_CHECKING:
    from ..imaging.settings import FilterSettings
    from ..imaging.transforms import KernelFilter, SobelFilter
    from ..kernels import Kernel

Method = enum.Enum("Method", {name: name for name in METHODS}, type=str)


ImagesArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Input images (PNG, JPEG, TIFF, BMP, WebP, ...) or NumPy .npy arrays, or patterns convcli "
        "expands itself ('scans/*.tif', 'shots/**/*.jpg'); '-' or none reads stdin.",
        metavar="[IMAGE]...",
        show_default=False,
        # convcli reads the files itself, so an unreadable one is a failure (exit 1), not a usage error.
        readable=False,
    ),
]
# Help panels: each group's options stand together in --help.
_OUTPUT, _IMAGE, _ENGINE, _KERNEL, _MAPPING = "Output", "Image", "Engine", "Kernel", "Result to pixels"

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Output file; its extension picks the format (.npy: a NumPy array); '-' for stdout. Default: "
        "stdout when it is a pipe or a file named for an image format (> soft.jpg writes JPEG), or the image "
        "came from stdin; else IMAGE.<filter>.<ext> beside the input. A file on stdout named for another format "
        "(> run.log), or that holds data (>>), gets no image.",
        show_default=False,
        readable=False,  # an output is replaced whole, never read: --force must replace an unreadable one
        rich_help_panel=_OUTPUT,
    ),
]
OutDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--out-dir",
        "-d",
        metavar="DIR",
        help="Write each result into this directory, made if missing, named by --name.",
        show_default=False,
        file_okay=False,
        readable=False,
        rich_help_panel=_OUTPUT,
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="TEMPLATE",
        help="Output names: {stem} (photo), {ext} (.png), {filter} (blur), {name} (photo.png), {parent} (the "
        "input's folder's name), {dir} (the input's folder, below the current one: shots/2024); a / makes "
        "subdirectories. Default: {stem}.{filter}{ext}, in --out-dir or beside each input.",
        show_default=False,
        rich_help_panel=_OUTPUT,
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="Output format where no extension says it (stdout, names made by --name): png, jpeg, tiff, webp, "
        "npy, ... Default: the input's own, else png.",
        show_default=False,
        rich_help_panel=_OUTPUT,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an existing output file, even the input image; without it, convcli refuses to.",
        rich_help_panel=_OUTPUT,
    ),
]
SkipExistingOpt = Annotated[
    bool,
    typer.Option(
        "--skip-existing",
        help="Leave an image whose output exists alone, and go on with the others (to resume a batch).",
        rich_help_panel=_OUTPUT,
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print what would be written, and whether it exists; read and write nothing.",
        rich_help_panel=_OUTPUT,
    ),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Images filtered at once, each by a process of its own. Default: the number of cores.",
        show_default=False,
        rich_help_panel=_OUTPUT,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print errors only: no progress bar, 'wrote' lines or warnings, and the summary only if something failed.",
        rich_help_panel=_OUTPUT,
    ),
]
BorderOpt = Annotated[
    str,
    typer.Option(
        help="Edge handling: reflect (dcba|abcd), mirror (dcb|abcd), nearest (aaa|abcd), wrap (bcd|abcd), "
        "constant (--cval). numpy and OpenCV names (symmetric, edge, reflect_101, ...) are accepted too.",
        rich_help_panel=_ENGINE,
    ),
]
CvalOpt = Annotated[
    float,
    typer.Option(
        help="Value outside the image for --border constant, in pixel units; with alpha, outside is opaque.",
        rich_help_panel=_ENGINE,
    ),
]
AlphaMode = enum.Enum("AlphaMode", {name: name for name in ALPHA_MODES}, type=str)
AlphaOpt = Annotated[
    AlphaMode | None,
    typer.Option(
        case_sensitive=False,
        help="Alpha channel: premultiply (colour weighted by opacity, alpha filtered too: a blur's soft edge, "
        "no dark fringe), keep (alpha unchanged; the colour hidden under fully transparent pixels is first "
        "filled in from the visible colour around it), separate (colour and alpha filtered each as stored) or "
        "ignore (alpha unchanged, colour filtered as stored: hidden colour shows where the kernel reaches it). "
        "Default: premultiply for kernels without negative weights (blurs, shift), keep for the others "
        "(Sobel, emboss, sharpen, kernel files with a negative weight); under either, hidden colour never "
        "reaches a visible pixel.",
        show_default=False,
        rich_help_panel=_IMAGE,
    ),
]
LinearOpt = Annotated[
    bool,
    typer.Option(
        "--linear",
        help="Filter in linear light: decode sRGB first, encode after, so a blurred edge between "
        "black and white is as bright as the light mixes (for photos; not for data or masks).",
        rich_help_panel=_IMAGE,
    ),
]
DepthChoice = enum.Enum("DepthChoice", {name: name for name in DEPTHS}, type=str)
DepthOpt = Annotated[
    DepthChoice | None,
    typer.Option(
        case_sensitive=False,
        help="Output values: 8 or 16 bits per channel, or float (the filter's exact, signed numbers, in "
        "the input's units; for .tif grey and .npy). Default: the input's where the format holds it, "
        "float for .npy.",
        show_default=False,
        rich_help_panel=_IMAGE,
    ),
]
MaxPixelsOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="Refuse images of more pixels than this, a guard against decompression bombs; 0: no limit.",
        rich_help_panel=_IMAGE,
    ),
]
AllowDamagedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-damaged",
        help="Filter what a damaged image (a JPEG cut short, a failed checksum) still decodes to, with a "
        "warning; without it, damage fails the image.",
        rich_help_panel=_IMAGE,
    ),
]
QualityOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=100,
        help="JPEG and WebP quality, 1-100. Default: 92 for JPEG, 80 for WebP.",
        show_default=False,
        rich_help_panel=_IMAGE,
    ),
]
MethodOpt = Annotated[
    Method,
    typer.Option(
        case_sensitive=False,
        help="How to compute: direct (shift-and-add per tap), separable (rank-1 kernels), lowrank "
        "(sum of separable passes), fft (tiled FFT), or auto: the fastest by a cost model.",
        rich_help_panel=_ENGINE,
    ),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Threads to use. Default: all available cores, shared among --jobs.",
        show_default=False,
        rich_help_panel=_ENGINE,
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Print the method chosen and the time it took to stderr.", rich_help_panel=_ENGINE
    ),
]


KernelOpt = Annotated[
    str,
    typer.Option(
        "--kernel",
        "-k",
        help="A kernel: a file (rows of numbers, .csv, .json, .npy, a libvips .mat, an ImageMagick "
        "string), '-' for stdin, a name with optional parameters (gaussian:sigma=2, "
        "motion:length=9,angle=30, shift:dx=1,dy=0), inline rows such as '1 2 1; 2 4 2; 1 2 1', or "
        "an ImageMagick string such as '3x3: -1,0,1 -2,0,2 -1,0,1'. Names: " + ", ".join(KERNEL_NAMES) + ".",
        show_default=False,
        rich_help_panel=_KERNEL,
    ),
]
CorrelateOpt = Annotated[
    bool,
    typer.Option(
        "--correlate",
        help="Apply the kernel as written (cross-correlation, as CNNs do) "
        "instead of rotated 180 degrees (true convolution).",
        rich_help_panel=_KERNEL,
    ),
]
NormalizeOpt = Annotated[
    bool, typer.Option("--normalize", help="Divide the kernel by its sum.", rich_help_panel=_KERNEL)
]
RotateOpt = Annotated[
    int,
    typer.Option(
        help="Turn the kernel this many degrees counter-clockwise first (a multiple of 90).", rich_help_panel=_KERNEL
    ),
]
OriginOpt = Annotated[
    str | None,
    typer.Option(
        "--origin",
        metavar="X,Y",
        help="The kernel cell over the output pixel: column x, then row y, from 0,0 at the top left "
        "(x first, as --at and ImageMagick's 3x3+X+Y). Default: the centre, (width // 2, height // 2), "
        "or the kernel's own: a JSON file's \"origin\", an ImageMagick string's +X+Y or, without one, "
        "ImageMagick's ((width - 1) // 2, (height - 1) // 2).",
        show_default=False,
        rich_help_panel=_KERNEL,
    ),
]
# The old spelling, row first: read as x,y it would silently pick another cell, so it is refused.
AnchorOpt = Annotated[str | None, typer.Option("--anchor", hidden=True, show_default=False)]
ScaleOpt = Annotated[
    float | None,
    typer.Option(
        help="Multiply the result by this before mapping it to pixels (GIMP's 1/divisor). "
        "Default: the kernel file's scale, else 1.",
        show_default=False,
        rich_help_panel=_MAPPING,
    ),
]
DivisorOpt = Annotated[
    float | None,
    typer.Option(
        help="Divide the result by this, as GIMP's convolution matrix does (--scale 1/D).",
        show_default=False,
        rich_help_panel=_MAPPING,
    ),
]
OffsetOpt = Annotated[
    float | None,
    typer.Option(
        help="Add this after scaling, in the input's pixel units: 128 shows signed 8-bit results "
        "around grey. Default: the kernel file's offset, else 0.",
        show_default=False,
        rich_help_panel=_MAPPING,
    ),
]
ClipOpt = Annotated[
    bool,
    typer.Option(
        "--clip",
        help="Clip the result to the pixel range: what integer outputs always get, and "
        "float outputs (.npy, --depth float; unclipped by default) too, to 0..white.",
        rich_help_panel=_MAPPING,
    ),
]
AbsOpt = Annotated[
    bool,
    typer.Option("--abs", help="Map |result| to pixels: edges of either sign show bright.", rich_help_panel=_MAPPING),
]
RescaleOpt = Annotated[
    bool,
    typer.Option("--rescale", help="Stretch the result's min..max to the full pixel range.", rich_help_panel=_MAPPING),
]


@dataclass(frozen=True)
class EngineOptions:
    """How the engine computes: every filtering command takes these options."""

    border: BorderOpt = "reflect"
    cval: CvalOpt = 0.0
    method: MethodOpt = Method.auto
    threads: ThreadsOpt = None  # None: all cores, or the batch's share of them
    verbose: VerboseOpt = False

    def __post_init__(self):
        if len(self.border) > 40:  # no mode is this long; the message must not echo it whole
            from ..kernels.text import echoed

            raise UsageError(f"--border: unknown border mode {echoed(self.border)}")
        try:
            normalize_border(self.border)
        except ValueError as exc:
            raise UsageError(f"--border: {exc}") from None
        if not math.isfinite(self.cval):
            raise UsageError(f"--cval must be a finite number, not {self.cval}")
        object.__setattr__(self, "method", Method(self.method).value)

    def kernel_filter(self, kernel: Kernel, correlate: bool) -> KernelFilter:
        """The filter of `kernel` (correlated or convolved) that computes as these options say."""
        from ..imaging.transforms import KernelFilter

        return KernelFilter(kernel, correlate, border=self.border, method=self.method, threads=self.threads)

    def sobel_filter(self, axis: str) -> SobelFilter:
        from ..imaging.transforms import SobelFilter

        return SobelFilter(axis, border=self.border, method=self.method, threads=self.threads)

    def check_method(self, kernel) -> None:
        """Refuse a --method the kernel cannot take before any image is read (auto takes any)."""
        if self.method == "auto":
            return
        from ..engine import plan_for

        try:
            plan_for((1, 1), kernel, method=self.method)
        except ValueError as exc:
            raise UsageError(f"--method {self.method}: {exc}") from None


@dataclass(frozen=True)
class PixelOptions:
    """How images are read and their results written: the filtering commands take these options."""

    alpha: AlphaOpt = None  # None: by the kernel
    linear: LinearOpt = False
    depth: DepthOpt = None  # None: the input's
    quality: QualityOpt = None
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS  # 0: no limit
    allow_damaged: AllowDamagedOpt = False


@dataclass(frozen=True)
class OutputOptions:
    """Where results go, what may be replaced, and how a batch runs and reports."""

    output: OutputOpt = None
    out_dir: OutDirOpt = None
    name: NameOpt = None
    format: FormatOpt = None  # None: the input's
    force: ForceOpt = False
    skip_existing: SkipExistingOpt = False
    dry_run: DryRunOpt = False
    jobs: JobsOpt = None  # None: the cores
    quiet: QuietOpt = False

    def __post_init__(self):
        from ..imaging.files import STREAM
        from ..imaging.stdout import means_stdout

        if means_stdout(self.output):  # /dev/stdout: written into as stdout is, never replaced
            object.__setattr__(self, "output", STREAM)


@dataclass(frozen=True)
class KernelOptions:
    """The kernel and how it is turned, normalised and anchored: apply, compare and explain take these."""

    kernel: KernelOpt
    rotate: RotateOpt = 0
    origin: OriginOpt = None
    normalize: NormalizeOpt = False
    anchor: AnchorOpt = None

    def __post_init__(self):
        refuse_anchor(self.anchor)

    def resolved(self) -> Kernel:
        return prepared_kernel(self.kernel, self.rotate, self.origin, self.normalize)


def refuse_anchor(anchor: str | None) -> None:
    """Refuse --anchor ROW,COL, saying the --origin X,Y it means."""
    if anchor is None:
        return
    parts = anchor.replace(" ", "").split(",")
    meant = f": --origin {parts[1]},{parts[0]}" if len(parts) == 2 and all(_WHOLE.fullmatch(p) for p in parts) else ""
    raise UsageError(f"--anchor ROW,COL is now --origin X,Y, column first (as --at and ImageMagick's +X+Y){meant}")


_WHOLE = re.compile(r"-?\d{1,9}")


def position(text: str, option: str) -> tuple[int, int]:
    """An option's "X,Y" (column, then row: the order images are pointed at in) as (row, column),
    the order arrays are indexed in and the library takes.

    >>> position("3, 1", "--at")
    (1, 3)
    """
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2 or not all(_WHOLE.fullmatch(part) for part in parts):
        from ..kernels.text import echoed

        raise UsageError(f"{option} must be X,Y (column, then row), two whole numbers, not {echoed(text)}")
    return int(parts[1]), int(parts[0])


@dataclass(frozen=True)
class MappingOptions:
    """How a kernel's results become pixels: apply and compare take these options."""

    scale: ScaleOpt = None
    divisor: DivisorOpt = None
    offset: OffsetOpt = None
    clip: ClipOpt = False
    absolute: AbsOpt = False
    rescale: RescaleOpt = False

    def for_kernel(self, kernel: Kernel) -> ValueMapping:
        return result_mapping(kernel, self.scale, self.divisor, self.offset, self.clip, self.absolute, self.rescale)


@dataclass(frozen=True)
class ValueMapping:
    """How results become pixels: the mapping called `name` (one of choices.MAPPINGS: to_range,
    integer outputs clipped and float ones kept, clip_to_range, abs_to_range, rescale_to_range,
    or gradient, Sobel's stretch), after `scale` and `offset`; or, given a `peak` (sobel
    --max, in the input's units), peak_to_white, which maps that value to white."""

    name: str = "to_range"
    scale: float = 1.0
    offset: float = 0.0
    peak: float | None = None


def filter_settings(
    tag: str,
    value_mapping: ValueMapping,
    default_alpha: str,
    pixels: PixelOptions,
    outputs: OutputOptions,
    engine: EngineOptions,
) -> FilterSettings:
    """The settings each image of a filtering command is filtered with: its options, and the
    filter's `tag` and `default_alpha` where --alpha is not given."""
    from ..imaging.settings import FilterSettings

    return FilterSettings(
        tag=tag,
        mapping=value_mapping.name,
        scale=value_mapping.scale,
        offset=value_mapping.offset,
        peak=value_mapping.peak,
        cval=engine.cval,
        alpha=pixels.alpha.value if pixels.alpha else default_alpha,
        linear=pixels.linear,
        depth=pixels.depth.value if pixels.depth else None,
        format=outputs.format,
        quality=pixels.quality,
        force=outputs.force,
        max_pixels=pixels.max_pixels or None,
        allow_damaged=pixels.allow_damaged,
    )


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
    name = "abs_to_range" if absolute else "rescale_to_range" if rescale else "clip_to_range" if clip else "to_range"
    if scale is None:
        scale = kernel.scale if divisor is None else 1 / divisor
    return ValueMapping(name, scale, kernel.offset if offset is None else offset)


def prepared_kernel(spec: str, rotate: int = 0, origin: str | None = None, normalize: bool = False) -> Kernel:
    """The --kernel resolved, then turned by --rotate, divided by its sum for --normalize, and
    anchored at --origin (X,Y); a bad value is a usage error naming its option."""
    from ..kernels import resolve_kernel

    cell = position(origin, "--origin") if origin is not None else None
    kernel = resolve_kernel(spec)
    for option, change in (
        ("--rotate", rotate and (lambda k: k.rotated(rotate))),
        ("--normalize", normalize and (lambda k: k.normalized())),
        ("--origin", cell is not None and (lambda k: k.anchored(*cell))),
    ):
        if change:
            try:
                kernel = change(kernel)
            except ValueError as exc:
                if option == "--normalize" and kernel.source:  # the file's weights are at fault, not the option
                    raise ConvcliError(f"{kernel.source}: {option}: {exc}") from None
                raise UsageError(f"{option}: {exc}") from None
    return kernel
