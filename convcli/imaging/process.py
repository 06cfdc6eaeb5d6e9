"""One image file through a filter: read, split channels, filter, map to range, write."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ConvcliError, UsageError
from . import channels, files, mapping, sixteen, stdout, target, writing
from .allowlist import TIFF_SIGNATURES
from .depth import convert
from .naming import destination_for
from .pipeline import Output, Pipeline, Treatment
from .settings import FilterSettings
from .transforms import Filter

_DEFAULTS = FilterSettings()


def filter_file(
    source: Path,
    output: Path | None,
    transform: Filter,
    settings: FilterSettings = _DEFAULTS,
    *,
    warn: Callable[[str], None] = lambda message: None,
) -> Path:
    """Filter the colour channels of `source` with `transform` (a :class:`.transforms.Filter`)
    and write the result to `output`, as `settings` say (see :class:`.settings.FilterSettings`);
    `warn` is given each warning, a line that names the file.

    `output` defaults to ``<stem>.<tag><suffix>`` beside the source. The image is filtered a
    strip at a time by :class:`.pipeline.Pipeline`, the value outside it being `settings.cval`,
    in the input's units. The result, times `scale` plus `offset`, goes to
    the output's depth through the mapping the settings name, or through
    :func:`.mapping.peak_to_white` given a `peak`. An existing output, the input included, is
    replaced only with `force`. A `source` of "-" is stdin, whose result goes to stdout unless
    `output` says otherwise; an `output` of "-" is stdout, in `format`, by default the input's
    own format where convcli writes it, else PNG; a file on stdout is written in the format its
    name says, and no image goes where it must not (see :mod:`.stdout`). Returns the path
    written ("-" for stdout).

    >>> import tempfile
    >>> from PIL import Image
    >>> from convcli.kernels import resolve_kernel
    >>> from convcli.imaging.transforms import KernelFilter
    >>> folder = Path(tempfile.mkdtemp())
    >>> Image.fromarray(np.full((2, 3), 100, np.uint8)).save(folder / "grey.png")
    >>> brighter = KernelFilter(resolve_kernel("1.1"))
    >>> filter_file(folder / "grey.png", None, brighter, FilterSettings(tag="brighter", depth="16")).name
    'grey.brighter.png'
    >>> np.asarray(Image.open(folder / "grey.brighter.png")).max()  # 110 of 255 in 16 bits
    np.uint16(28270)
    """
    max_pixels, force = settings.max_pixels, settings.force
    output = destination_for(source, output, settings.tag, settings.format)
    to_stdout = files.is_stream(output)
    destination = Path("stdout") if to_stdout else output
    # The format is settled before stdin is waited for.
    fmt = stdout.check(settings.format) if to_stdout else format_for(output, settings.format)
    source, stream = files.input_data(source, max_pixels)
    if source.is_dir():
        raise ConvcliError(f"{source}: is a directory, not an image")
    if fmt is None:
        fmt = files.NPY if _is_array(source, stream) else files.input_format(source, stream)
    if not to_stdout:
        check_destination(source if stream is None else None, destination, force)
    if settings.quality is not None and fmt not in files.LOSSY_FORMATS:
        warn(f"{destination}: --quality applies to JPEG and WebP only; {fmt} is written as usual")
    planes, info = _read(source, fmt, destination, max_pixels, warn, stream, settings.allow_damaged)
    try:
        return _write_filtered(planes, info, transform, settings, source, output, fmt, warn)
    finally:
        planes.close()


def _write_filtered(
    planes: channels.Planes,
    info: dict,
    transform: Filter,
    settings: FilterSettings,
    source: Path,
    output: Path,
    fmt: str,
    warn: Callable[[str], None],
) -> Path:
    """filter_file's filtering and writing of the `planes` read from `source`, with `info`'s metadata."""
    force = settings.force
    destination = Path("stdout") if files.is_stream(output) else output
    if settings.linear and planes.bands == "CMYK":
        raise UsageError(f"{source}: --linear decodes sRGB, and CMYK ink values are not sRGB")
    value_mapping = mapping.named(settings.mapping)
    effect = functools.partial(mapping.effect, value_mapping, peak=settings.peak)
    chosen = target.choose(planes, fmt, settings.depth, destination, warn, effect)
    if settings.peak is not None:  # a fixed scale, in the input's units: converted as the values are
        top = float(convert(np.array([settings.peak], np.float64), planes.depth, chosen.depth)[0])
        value_mapping = functools.partial(mapping.peak_to_white, peak=top)
    treatment = Treatment(settings.cval, settings.alpha, settings.linear, settings.scale, settings.offset)
    result = Output(chosen.depth, chosen.alpha, value_mapping)
    try:
        run = Pipeline(planes, transform, treatment)
        if _streams(planes, fmt, chosen, info):
            _write_rows(run, result, output, chosen.mode, info, force)
            _warn_of_run(run, destination, settings.alpha, warn)
            return output
        count = planes.colours + chosen.alpha
        pixels = run.write(np.empty(planes.shape + ((count,) if count > 1 else ()), chosen.depth.dtype), result)
    except ValueError as exc:  # what the engine refuses for this image's values (NaN for the FFT)
        raise ConvcliError(f"{source}: {exc}") from None
    _warn_of_run(run, destination, settings.alpha, warn)
    source_mode = planes.source_mode
    planes.close()  # the decoded image is not needed to encode the result
    del run
    if chosen.mode is None:
        writing.write_array_atomic(pixels, output, force=force)
        return output
    if chosen.mode in sixteen.MODES.values():
        writing.write_sixteen_atomic(pixels, output, fmt, info, force=force)
        return output
    image = channels.to_image(pixels, chosen.mode)
    del pixels  # Pillow holds its own copy
    if settings.depth is None:  # a depth asked for is the one written
        image = channels.recode(image, source_mode, lambda mode: files.holds(fmt, mode))
    if image.mode in ("LA", "RGBA") and not files.holds(fmt, image.mode):
        image = channels.one_transparent_colour(image)  # alpha reaches here for GIF's one key only
    _warn_of_losses(image, fmt, info, destination, warn)
    writing.write_image_atomic(image, output, fmt, settings.quality, info, force=force)
    return output


def format_for(destination: Path, format: str | None) -> str | None:
    """The format `destination` is written in: `format` (a name such as png or jpg), which must
    agree with the extension where there is one, else the extension's; None for stdout ("-"),
    or a device or FIFO without an extension (/dev/null), when no `format` is given: the
    input's format decides.

    >>> format_for(Path("a.tif"), None), format_for(Path("-"), "jpg"), format_for(Path("-"), None)
    ('TIFF', 'JPEG', None)
    """
    to_stdout = files.is_stream(destination)
    if not format:
        unnamed = to_stdout or (writing.is_special(destination) and not destination.suffix)
        return None if unnamed else files.output_format(destination)
    fmt = files.format_named(format)
    if not to_stdout and not writing.is_special(destination) and destination.suffix:
        named = files.output_format(destination)
        if named != fmt:
            raise UsageError(f"{destination}: its extension says {named}, --format says {fmt}; choose one")
    return fmt


# The most bytes of output rows made ahead of a TIFF writer taking them a block at a time.
_BLOCK_BYTES = 8 << 20


def _streams(planes: channels.Planes, fmt: str, chosen: target.Target, info: dict) -> bool:
    """Whether the result is written a block of rows at a time: a TIFF read so is written so,
    where the writer of row blocks keeps all of it (else the result is made whole, and
    written as any other)."""
    if isinstance(planes.pixels, np.ndarray) or fmt != "TIFF":
        return False
    from .tiff_writer import keeps

    return keeps(chosen.mode, info)


def _write_rows(run: Pipeline, result: Output, output: Path, mode: str, info: dict, force: bool) -> None:
    """Write the TIFF `run` makes as its blocks of rows are made, atomically."""
    from . import tiff_writer

    height, width = run.planes.shape
    count = run.planes.colours + result.alpha
    shape = (height, width) + ((count,) if count > 1 else ())
    row_bytes = width * count * np.dtype(result.depth.dtype).itemsize

    def write(stream, blocks) -> None:
        tiff_writer.write_tiff_rows(stream, shape, result.depth.dtype, blocks, mode=mode, info=info)

    with writing.streamed(output, "TIFF", write, force=force) as sink:
        for block in run.blocks(result, max(1, _BLOCK_BYTES // row_bytes)):
            sink.put(block)


def _warn_of_run(run: Pipeline, destination: Path, alpha: str, warn) -> None:
    """Say what the run found in the values: NaN, or opacity filtered away."""
    if run.saw_nan:
        warn(f"{destination}: the result has NaN values, written as 0")
    if run.visible and not run.opaque:
        warn(
            f"{destination}: filtering alpha with this kernel (--alpha {alpha}) leaves no opacity, so "
            "the image is fully transparent; --alpha keep keeps the input's alpha"
        )


def _warn_of_losses(image, fmt: str, info: dict, destination: Path, warn) -> None:
    """Say what Pillow's writer will change on its own, and drop a profile it would mislabel."""
    quantises = files.holds(fmt, "P") and not files.holds(fmt, "RGB")  # GIF and the like
    if image.mode in ("RGB", "RGBA") and quantises:
        warn(f"{destination}: {fmt} holds at most 256 colours; Pillow reduces the result to a palette")
    if image.mode in ("L", "LA") and "icc_profile" in info and not files.holds(fmt, "L"):
        info.pop("icc_profile")  # a grey profile does not describe the RGB the format stores grey as
    if fmt == "JPEG":  # a JPEG marker holds 65,533 bytes; XMP's names its namespace in 29 of them
        for key, what, room in (("exif", "EXIF", 65533), ("xmp", "XMP", 65533 - 29), ("comment", "comment", 65533)):
            if len(info.get(key, b"")) > room:
                warn(
                    f"{destination}: the input's {what} ({len(info[key]):,} bytes) is larger than a JPEG holds; "
                    "left out"
                )
                info.pop(key)


def load_planes(
    source: Path, max_pixels: int | None = files.DEFAULT_MAX_PIXELS, cmyk_as_rgb: bool = False
) -> channels.Planes:
    """The planes of an image or .npy file ("-": stdin), as filter_file reads them; CMYK stays
    CMYK unless `cmyk_as_rgb`."""
    source, stream = files.input_data(source, max_pixels)
    if _is_array(source, stream):
        return channels.from_array(files.read_array(source, max_pixels, stream), str(source))
    image = files.read_image(source, max_pixels, stream=stream)[0]
    if isinstance(image, np.ndarray):
        return channels.from_decoded(image, str(source))
    if cmyk_as_rgb and image.mode == "CMYK":
        image = image.convert("RGB")
    return channels.from_image(image, str(source))


def _is_tiff(source: Path) -> bool:
    try:
        with open(source, "rb") as file:
            return file.read(4) in TIFF_SIGNATURES
    except OSError:  # read_image says why
        return False


def _is_array(source: Path, stream) -> bool:
    return stream.getvalue().startswith(files.NPY_MAGIC) if stream is not None else files.is_array_file(source)


def _read(
    source: Path, fmt: str, destination: Path, max_pixels: int | None, warn, stream=None, allow_damaged=False
) -> tuple[channels.Planes, dict]:
    """The planes of `source` (or of `stream`, stdin's data) and the metadata to carry into the output."""
    if _is_array(source, stream):
        return channels.from_array(files.read_array(source, max_pixels, stream), str(source)), {}
    if stream is None and not allow_damaged and _is_tiff(source):
        from .tiff_rows import open_rows

        rows = open_rows(source, max_pixels, warn=warn)
        if rows is not None:  # read a band at a time, as it is filtered
            return channels.from_rows(rows), rows.info
    image, info = files.read_image(source, max_pixels, warn, stream, allow_damaged=allow_damaged)
    if isinstance(image, np.ndarray):  # 16-bit colour, or a JPEG
        return channels.from_decoded(image, str(source)), info
    if image.mode == "CMYK" and not files.holds(fmt, "CMYK"):
        warn(f"{destination}: {fmt} has no CMYK; converted to RGB by Pillow's simple formula (no colour management)")
        image = image.convert("RGB")
        info.pop("icc_profile", None)  # it describes the inks, not the RGB result
    return channels.from_image(image, str(source)), info


def check_destination(source: Path | None, destination: Path, force: bool) -> None:
    """Refuse what a run must not write over: a directory, and unless `force` the input image
    (`source`; None for stdin) or any other existing file, or a symbolic link that leads to no
    file. Devices and FIFOs are written into, as `>` would, so they are never refused. The
    write itself refuses, unless `force`, a file that appears after this check."""
    refuse_directory(destination)
    if force or writing.is_special(destination):
        return
    if source is not None and same_file(source, destination):
        raise ConvcliError(f"{destination}: is the input image; use --force to overwrite it")
    if destination.exists():
        raise ConvcliError(f"{destination}: exists; use --force to replace it")
    if writing.through_link(destination) is None:  # replacing a loop would lose the link
        raise ConvcliError(writing.leads_nowhere(destination))


def refuse_directory(destination: Path) -> None:
    if destination.is_dir():
        raise ConvcliError(f"{destination}: is a directory; give an image file name")


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))
