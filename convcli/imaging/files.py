"""Reading images and arrays, and naming the formats convcli reads and writes, with errors that name the file."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import stat
import struct
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps, TiffImagePlugin, UnidentifiedImageError

from ..choices import DEFAULT_MAX_PIXELS
from ..errors import ConvcliError, UsageError
from ..kernels.text import echoed
from . import allowlist, background, integrity, sixteen

LOSSY_FORMATS = ("JPEG", "WEBP")


def read_image(
    path: Path,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    warn: Callable[[str], None] = lambda message: None,
    stream: BinaryIO | None = None,
    *,
    allow_damaged: bool = False,
) -> tuple[Image.Image | np.ndarray, dict]:
    """Open and fully decode `path`, with its EXIF orientation applied; return it and the
    :func:`metadata` to write with its result (taken before turning it upright, which drops
    a TIFF's tags). A PNG or TIFF of 16-bit colour or 16-bit grey with alpha, which Pillow
    has no mode for, is returned as an (H, W, C) uint16 array read by :mod:`.sixteen`; a grey
    or colour JPEG as an (H, W) or (H, W, 3) uint8 array that libjpeg-turbo decoded strictly;
    any other image as a Pillow image (see :func:`.channels.from_decoded`).

    Only the formats of :mod:`.allowlist` are opened, recognised by their content. An image
    over `max_pixels` (None: no limit) is refused before it is decoded, and so is an animation
    or a multi-page file: filtering only its first frame would lose the rest. Damage that a
    decoder reports or that :mod:`.integrity` finds fails the image, unless `allow_damaged`,
    which `warn`s of it instead. 16-bit colour that Pillow decodes to 8 bits (PPM, a TIFF
    compressed by a codec :mod:`.sixteen` does not take) is read with a `warn`ing, and so is
    what Pillow itself warns of (corrupt EXIF, a truncated tag), each once, naming the file.
    A `stream` (stdin's data) is read instead of the file; `path` then only names it in messages.
    """

    def damaged(problem: str, fmt: str | None = None) -> None:
        if not allow_damaged:
            raise damage_error(path, problem, fmt)
        warn(f"{path}: {_damaged(fmt)}: {problem}; read anyway, as --allow-damaged asks")

    with warnings.catch_warnings(record=True) as pillows:
        warnings.simplefilter("always")
        image, info = _decoded(path, max_pixels, warn, damaged, stream, allow_damaged)
    for message in dict.fromkeys(" ".join(str(caught.message).split()) for caught in pillows):
        warn(f"{path}: {message}")
    return image, info


def _decoded(
    path: Path,
    max_pixels: int | None,
    warn: Callable[[str], None],
    damaged: Callable[[str, str | None], None],
    stream: BinaryIO | None,
    allow_damaged: bool,
) -> tuple[Image.Image | np.ndarray, dict]:
    with _reading(path, _undecodable_image), pillow_limit_off():
        problem = _on_the_file(_ico_damage, path, stream)  # Pillow decodes an ICO as it opens it
        if problem:
            damaged(problem, "ICO")
        wide = _on_the_file(sixteen.header, path, stream)
        if wide is not None:
            return _decoded_sixteen(wide, path, max_pixels, warn, damaged, stream, allow_damaged)
        with _said_by_codecs(path, warn):
            opened = allowlist.open_image(stream if stream is not None else str(path))
        with opened:
            check_size(path, *opened.size, max_pixels)
            # is_animated looks for a second frame only: counting them all walks every page.
            if getattr(opened, "is_animated", False):
                _refuse_frames(path)
            if _narrowed(opened):
                warn(
                    f"{path}: this 16-bit colour {opened.format} is read by Pillow at 8 bits per channel, and "
                    "the result has 8-bit precision (convcli keeps 16 bits of grey or RGB, with or without alpha, "
                    "in PNG and in TIFF uncompressed or with LZW, deflate or PackBits)"
                )
            problem = integrity.check_promise(opened.tile, _byte_size(path, stream))
            if opened.format in ("JPEG", "MPO"):
                problem = problem or integrity.check_jpeg_promise(_data(path, stream))
            if opened.format == "TIFF":
                problem = problem or _on_the_file(integrity.check_tiff_promise, path, stream)
            if problem:
                damaged(problem, opened.format)
            if opened.format == "JPEG" and opened.mode in _STRICT_JPEG and not allow_damaged:
                return _decoded_jpeg(opened, path, stream, damaged)
            _load(
                opened.load,
                opened.format,
                path,
                lambda: _damage(opened.format, path, stream),
                damaged,
                lambda line: damaged(line.removeprefix(f"{path}: "), opened.format),  # a codec's words: damage
                tolerant=allow_damaged,
            )
            upright = opened
            if _orientation(opened.getexif(), opened.info.get("xmp")) != 1:  # else a copy, for nothing
                upright = ImageOps.exif_transpose(opened)
            if opened.format == "PPM" and upright.mode == "I":
                # Pillow reads 16-bit PGM as 32-bit; its values never pass 65535.
                upright = upright.convert("I;16")
            return upright, metadata(opened)  # after turning upright: it drops the orientation


def _decoded_jpeg(opened: Image.Image, path: Path, stream: BinaryIO | None, damaged) -> tuple[np.ndarray, dict]:
    """A grey or YCbCr JPEG's pixels, upright: decoded once, strictly, by libjpeg-turbo into
    an array, which is both the check for damage and the image (Pillow's decoding alongside
    the check took a second decoding, and its image then a copy into NumPy)."""
    data = _data(path, stream)
    pixels, problem = background.in_background(lambda: integrity.decode_jpeg(data, _STRICT_JPEG[opened.mode]))
    if problem:
        damaged(problem, "JPEG")
    if pixels is None:  # a colour model TurboJPEG does not convert: Pillow's own decoding
        opened.load()
        pixels = np.asarray(opened)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    orientation = _orientation(opened.getexif(), opened.info.get("xmp"))
    return sixteen.upright(pixels, orientation), metadata(opened)


def _byte_size(path: Path, stream: BinaryIO | None) -> int:
    """How many bytes the image has: stdin's data held in `stream`, or the file's."""
    return len(stream.getvalue()) if stream is not None else os.stat(path).st_size


def _narrowed(opened: Image.Image) -> bool:
    """Whether Pillow narrows the opened image's 16-bit colour to 8 bits: a 16-bit raw mode
    ("RGB;16B"), or a PPM whose maximum value is over 255."""
    if opened.mode not in ("RGB", "RGBA", "CMYK"):
        return False
    for tile in opened.tile:
        if ";16" in str(tile.args):
            return True
        if tile.codec_name == "ppm" and isinstance(tile.args, tuple) and tile.args[-1] > 255:
            return True
    return False


def _decoded_sixteen(
    wide: sixteen.Header,
    path: Path,
    max_pixels: int | None,
    warn: Callable[[str], None],
    damaged: Callable[[str, str | None], None],
    stream: BinaryIO | None,
    allow_damaged: bool,
) -> tuple[np.ndarray, dict]:
    """A 16-bit colour PNG or TIFF, decoded by :mod:`.sixteen` under the checks that the other
    images get from Pillow's header: the size, the frames, the header's promise, the damage."""
    check_size(path, wide.width, wide.height, max_pixels)
    if wide.frames:
        _refuse_frames(path)
    if wide.format == "PNG":
        data_size = _byte_size(path, stream) - wide.data_offset
        problem = integrity.check_png_promise(wide.width, wide.height, 2 * wide.channels, data_size)
    else:
        problem = _on_the_file(integrity.check_tiff_promise, path, stream)
    if problem:
        damaged(problem, wide.format)

    def said(line: str) -> None:  # libpng's warnings are about its chunks: check_png judges the damage
        if line.removeprefix(f"{path}: ") not in sixteen.HARMLESS:
            warn(line)

    def decode(source: BinaryIO) -> np.ndarray:
        try:
            return sixteen.decode(wide, source)
        except Exception as exc:  # noqa: BLE001 - a codec fails in its own way: ValueError, ImcdError, ...
            # tifffile and libpng stop at the first broken strip or row: nothing is left to filter.
            raise ConvcliError(f"{path}: damaged {wide.format}: its image data cannot be decoded ({exc})") from None

    pixels = _load(
        lambda: _on_the_file(decode, path, stream),
        wide.format,
        path,
        lambda: _damage(wide.format, path, stream),
        damaged,
        said,
        tolerant=allow_damaged,
    )
    if wide.format == "PNG":
        info = _on_the_file(sixteen.png_metadata, path, stream)
        exif = Image.Exif()
        if info.get("exif"):
            exif.load(info["exif"])
        orientation = _orientation(exif, info.get("xmp"))
        kept = _kept(info, info.pop("text"), exif, wide.mode)
    else:
        kept, orientation = _on_the_file(tiff_file_metadata, path, stream)
    return sixteen.upright(pixels, orientation), kept


def damage_error(path: Path, problem: str, fmt: str | None = None) -> ConvcliError:
    """The failure of an image damaged as `problem` says, in `fmt` (TIFF, PNG, ...) if known."""
    return ConvcliError(f"{path}: {_damaged(fmt)}: {problem} (--allow-damaged reads what can be decoded)")


def _damaged(fmt: str | None) -> str:
    return f"damaged {fmt}" if fmt else "damaged"


def check_size(path: Path, width: int, height: int, max_pixels: int | None) -> None:
    """Refuse an image of `width` x `height` over `max_pixels` (None: no limit) before it is decoded."""
    if max_pixels is not None and width * height > max_pixels:
        raise ConvcliError(
            f"{path}: {width}x{height} is {width * height:,} pixels, over the limit of "
            f"{max_pixels:,} that guards against decompression bombs; "
            "raise it with --max-pixels if you trust the file"
        )


def _refuse_frames(path: Path) -> None:
    raise ConvcliError(
        f"{path}: has more than one frame or page; convcli filters single images only "
        f"(extract one first, e.g. with ImageMagick: magick '{path.name}[0]' frame.png)"
    )


def _load(
    decode: Callable[[], object],
    fmt: str | None,
    path: Path,
    check: Callable[[], str | None],
    damaged: Callable[[str, str | None], None],
    said: Callable[[str], None],
    tolerant: bool,
):
    """What `decode` returns, run while `check` looks, on another core, for the damage its
    decoder passes over (zlib and libjpeg-turbo let other threads run), so that the check costs
    no time of its own; what a codec prints while decoding goes to `said`. Damage fails the
    image through `damaged`. `tolerant` (--allow-damaged) checks first instead, to have the
    decoder decode what it can of a damaged file rather than fail."""
    if tolerant:
        problem = check()
        if problem:
            damaged(problem, fmt)
        with _said_by_codecs(path, said), _truncated_allowed(allowed=problem is not None):
            return decode()
    found: list = []

    def run() -> None:
        try:
            found.append(check())
        except Exception as exc:  # noqa: BLE001 - raised where the image is read, below
            found.append(exc)

    worker = threading.Thread(target=run, name="convcli-check", daemon=True)
    worker.start()
    try:
        with _said_by_codecs(path, said):
            decoded = decode()
    finally:
        while worker.is_alive():  # in short waits, so that a signal is answered at once
            worker.join(0.05)
        problem = found[0] if found else None
        if isinstance(problem, str):  # the check's account of the damage before the decoder's
            damaged(problem, fmt)
    if isinstance(problem, Exception):
        raise problem
    return decoded


def _data(path: Path, stream: BinaryIO | None) -> bytes:
    return stream.getvalue() if stream is not None else path.read_bytes()


def _damage(fmt: str | None, path: Path, stream: BinaryIO | None) -> str | None:
    """What :mod:`.integrity` finds wrong with the file, for the formats whose decoders pass damage."""
    if fmt in ("JPEG", "MPO"):
        return integrity.check_jpeg(_data(path, stream))
    check = {"PNG": integrity.check_png, "TIFF": integrity.check_tiff}.get(fmt)
    return None if check is None else _on_the_file(check, path, stream)


def _ico_damage(source: BinaryIO) -> str | None:
    """:func:`.integrity.check_ico` of an ICO file (by its signature); None for any other file."""
    if source.read(4) != b"\x00\x00\x01\x00":
        return None
    source.seek(0)
    return integrity.check_ico(source)


def _on_the_file(check: Callable[[BinaryIO], str | None], path: Path, stream: BinaryIO | None) -> str | None:
    """`check` of the file read a part at a time, through a stream of its own."""
    if stream is not None:
        return check(io.BytesIO(stream.getbuffer()))
    with open(path, "rb") as source:
        return check(source)


@contextlib.contextmanager
def _said_by_codecs(path: Path, warn: Callable[[str], None]):
    """Catch what C codecs write to stderr themselves while they decode (libtiff: "tempfile.tif:
    Using code not yet in table."), and say it as warnings naming `path`, once each; dropped if
    the decoding fails, whose error says enough."""
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr is no file (tests): nothing reaches it
        yield
        return
    sys.stderr.flush()
    saved = os.dup(descriptor)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), descriptor)
        try:
            yield
        finally:
            os.dup2(saved, descriptor)
            os.close(saved)
        caught.seek(0)
        said = caught.read().decode("utf-8", "replace").splitlines()
    for line in dict.fromkeys(line.strip().removeprefix("tempfile.tif: ") for line in said if line.strip()):
        warn(f"{path}: {line}")


def _undecodable_image(exc: Exception) -> str:
    if isinstance(exc, allowlist.RefusedFormat):
        return str(exc)
    if isinstance(exc, UnidentifiedImageError):
        return f"not an image in a format convcli reads ({allowlist.READ_FORMATS_NAMED}), or a damaged one"
    said = str(exc)
    for pillows, ours in _PILLOW_SAYS:
        if said.startswith(pillows):
            return f"damaged: {ours}"
    return f"cannot decode image ({said})"


# Pillow's words for a decoder's failure, and what they mean to the user.
_PILLOW_SAYS = (
    ("image file is truncated", "it is cut short"),
    ("broken data stream", "its compressed data is broken"),
    ("decoder error", "its compressed data is broken"),
    ("could not create decoder object", "its data cannot be decoded (cut short?)"),
    ("unrecognized data stream contents", "its compressed data is broken"),
)


@contextlib.contextmanager
def _reading(path: Path, undecodable: Callable[[Exception], str]):
    """Turn a failure to read `path` into one line naming it; `undecodable` words the
    failures of a file that is there but cannot be decoded."""
    if path.is_file() and path.stat().st_size == 0:  # Pillow would call it an unknown format
        raise ConvcliError(f"{path}: is empty (0 bytes)")
    try:
        yield
    except FileNotFoundError:
        raise ConvcliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConvcliError(f"{path}: is a directory, not an image") from None
    except PermissionError:
        raise ConvcliError(f"{path}: permission denied") from None
    except ConvcliError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file fails decoders in any way: struct.error,
        # IndexError, KeyError, tokenize.TokenError (a .npy header), ... all mean it cannot be decoded.
        raise ConvcliError(f"{path}: {undecodable(exc)}") from None


# Modes convcli converts to RGB on load: their ICC profile describes another colour space.
_OTHER_COLOUR_SPACES = ("LAB", "YCbCr", "HSV")
# The JPEG modes that libjpeg-turbo decodes strictly into an array, and the colour space it decodes them to.
_STRICT_JPEG = {"L": "GRAY", "RGB": "RGB"}


# The tags of an EXIF, or of a TIFF's own directory, whose meaning survives filtering: who
# made the image, with what and when, what it shows, its colorimetry, and the EXIF and GPS
# sub-directories (exposure, lens, place). Every other tag describes how the source stored its
# pixels (size, samples, strips, tiles, palette, compression, page number and name) or is used up
# on load (the orientation), and would misdescribe the result. The resolution travels on its
# own (see _resolution); a TIFF's XMP, IPTC and ICC profile too (in a JPEG's EXIF a large
# profile would not fit).
_DESCRIPTIVE_TAGS = frozenset(
    {
        269,  # DocumentName
        270,  # ImageDescription
        271,  # Make
        272,  # Model
        305,  # Software
        306,  # DateTime
        315,  # Artist
        316,  # HostComputer
        318,  # WhitePoint
        319,  # PrimaryChromaticities
        18246,  # Rating
        18249,  # RatingPercent
        33432,  # Copyright
        34665,  # the EXIF sub-directory
        34853,  # the GPS sub-directory
        40091,  # XPTitle
        40092,  # XPComment
        40093,  # XPAuthor
        40094,  # XPKeywords
        40095,  # XPSubject
    }
)
# The orientation an XMP packet may repeat; Pillow's getexif() falls back to it.
_XMP_ORIENTATION = re.compile(rb'\s*tiff:Orientation="\d"|<tiff:Orientation>\d</tiff:Orientation>')
_XMP_ORIENTATION_VALUE = re.compile(rb'tiff:Orientation(?:="|>)([1-8])')


# A TIFF's compression is kept when it loses nothing and suits every mode.
_LOSSLESS_TIFF_COMPRESSIONS = ("tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits", "group3", "group4")


def metadata(image: Image.Image) -> dict:
    """The ICC profile, resolution, EXIF, XMP, comment and lossless TIFF compression of a
    loaded image, as keyword arguments of Pillow's save(). Only descriptive EXIF tags travel
    (a TIFF's own Make, Software, Artist, Copyright, ... among them, in the EXIF): not the
    orientation, as the pixels were turned upright on load, nor any tag of the source's layout.
    A resolution is kept only where the file states one (see :func:`tiff_metadata` for TIFF's).

    >>> metadata(Image.new("RGB", (1, 1)))
    {}
    """
    if image.format == "TIFF":
        return tiff_metadata(image.getexif(), keeps_profile=image.mode not in _OTHER_COLOUR_SPACES)
    return _kept(image.info, getattr(image, "text", {}), image.getexif(), image.mode, image.format)


def _kept(info: dict, text: dict, exif: Image.Exif, mode: str, fmt: str | None = "PNG") -> dict:
    """:func:`metadata` of an image other than a TIFF, from its `info`, its PNG `text` chunks and its EXIF."""
    kept = {}
    if info.get("icc_profile") and mode not in _OTHER_COLOUR_SPACES:
        kept["icc_profile"] = info["icc_profile"]
    if fmt in ("JPEG", "MPO"):
        # JFIF's density counts only with a unit (0: a pixel shape); else the EXIF's, if any.
        # Pillow would say 72 dpi for a JPEG whose EXIF has none.
        dpi = info.get("dpi") if info.get("jfif_unit") in (1, 2) else _resolution(exif).get("dpi")
    else:
        dpi = info.get("dpi")
    if dpi:
        kept["dpi"] = dpi
    if info.get("xmp"):
        kept["xmp"] = _without_orientation(info["xmp"])
    if info.get("comment"):  # JPEG and GIF comments
        kept["comment"] = info["comment"]
    text = {k: v for k, v in text.items() if k not in ("XML:com.adobe.xmp", "exif")}
    if text:  # PNG text chunks: Title, Author, Copyright, ...
        kept["text"] = text
    if _descriptive(exif):
        kept["exif"] = exif.tobytes()
    return kept


def tiff_metadata(tags: Image.Exif, keeps_profile: bool = True) -> dict:
    """:func:`metadata` of a TIFF from the `tags` of its first directory (Pillow's getexif() of
    a TIFF): its ICC profile unless not `keeps_profile`, its resolution, XMP, IPTC, lossless
    compression, and its descriptive tags as an EXIF."""
    kept = {}
    if keeps_profile and tags.get(34675):
        kept["icc_profile"] = bytes(tags[34675])
    kept.update(_resolution(tags))
    if tags.get(700):
        kept["xmp"] = _without_orientation(tags[700])
    iptc = tags.get(33723)
    if isinstance(iptc, tuple) and all(isinstance(item, int) for item in iptc):  # Photoshop types it LONG
        iptc = struct.pack(f"{tags.endian or '<'}{len(iptc)}I", *iptc)
    if isinstance(iptc, bytes) and iptc:
        kept["iptc"] = iptc
    compression = TiffImagePlugin.COMPRESSION_INFO.get(tags.get(259, 1))
    if compression in _LOSSLESS_TIFF_COMPRESSIONS:
        kept["compression"] = compression
    if _descriptive(tags):
        kept["exif"] = tags.tobytes()
    return kept


def _resolution(tags: Image.Exif) -> dict:
    """The resolution that TIFF or EXIF `tags` state, if they state one: "resolution" as they
    have it, (x, y, unit) with unit 1 none (a pixel shape), 2 inch (when none is given, as both
    standards say) or 3 centimetre, for a TIFF to keep as it is; and "dpi", per inch, for
    formats that count in inches, where the unit is one."""
    if 282 not in tags or 283 not in tags:
        return {}
    x, y, unit = tags[282], tags[283], tags.get(296, 2)
    try:
        per_inch = {2: 1.0, 3: 2.54}.get(unit)
        dpi = None if per_inch is None or not float(x) > 0 or not float(y) > 0 else (x * per_inch, y * per_inch)
    except (TypeError, ValueError, ZeroDivisionError):  # a damaged tag: no resolution stated
        return {}
    found = {"resolution": (x, y, unit)}
    if dpi is not None:
        found["dpi"] = tuple(float(value) for value in dpi)
    return found


def _descriptive(exif: Image.Exif) -> bool:
    """Drop every tag but the descriptive ones from `exif`'s main directory; whether any is left.
    Text is kept as the bytes it was: Pillow reads it as Latin-1, and would write it back as
    ASCII, with "?" for every other byte (UTF-8 names among them)."""
    for tag in list(exif):
        if tag not in _DESCRIPTIVE_TAGS:
            del exif[tag]
        elif isinstance(exif[tag], str):
            exif[tag] = exif[tag].encode("latin-1", "replace")
    return len(exif) > 0


def _without_orientation(xmp) -> bytes:
    return _XMP_ORIENTATION.sub(b"", xmp if isinstance(xmp, bytes) else str(xmp).encode())


def _orientation(exif: Image.Exif, xmp) -> int:
    """The orientation an image is displayed in, from its EXIF or else its XMP, as Pillow's getexif() finds it."""
    if exif.get(0x0112):
        return int(exif[0x0112])
    found = _XMP_ORIENTATION_VALUE.search(xmp if isinstance(xmp, bytes) else str(xmp or "").encode())
    return int(found[1]) if found else 1


def _tiff_tags(source: BinaryIO) -> Image.Exif:
    """The tags of a TIFF's first directory, read by Pillow as its getexif() of a TIFF reads them."""
    head = source.read(16)
    tags = Image.Exif()
    tags.bigtiff = head[2:4] in (b"+\x00", b"\x00+")
    tags.endian = "<" if head[:2] == b"II" else ">"
    tags.load_from_fp(source, _tiff_directory(head))
    return tags


def tiff_file_metadata(source: BinaryIO) -> tuple[dict, int]:
    """:func:`tiff_metadata` and the orientation of a TIFF, read while the file is open (its
    EXIF sub-directory is read from it)."""
    tags = _tiff_tags(source)
    orientation = _orientation(tags, tags.get(700))
    return tiff_metadata(tags), orientation


@contextlib.contextmanager
def _truncated_allowed(allowed: bool):
    """Let Pillow decode what it can of a damaged image that --allow-damaged accepts, rather than fail."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = allowed
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


@contextlib.contextmanager
def pillow_limit_off():
    """read_image checks the size itself, with the user's limit: Pillow's own check is a
    process-wide setting that only warns up to twice its limit."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


# .npy files are read and written with NumPy; the name stands beside Pillow's format names.
NPY = "NPY"
NPY_MAGIC = np.lib.format.MAGIC_PREFIX  # how every .npy file starts
# "-" for IMAGE or -o: stdin or stdout, as in most Unix tools.
STREAM = Path("-")


def is_stream(path: Path) -> bool:
    return str(path) == "-"


# The most bytes a pixel takes in any format convcli reads (RGBA float64 in a .npy), and room for
# headers and metadata beside them: stdin may bring no more than --max-pixels of these.
_MOST_BYTES_PER_PIXEL = 32
_HEADER_ROOM = 16 << 20
# stdin is read in blocks this size, so that a signal is answered between two of them; its
# header is looked at once this much has come.
_STDIN_BLOCK = 1 << 20
_STDIN_HEAD = 64 << 10


def input_data(source: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> tuple[Path, io.BytesIO | None]:
    """The input's name, and its bytes where it can be read only once and has no size to check
    first: stdin ("-"), a pipe, a FIFO, a device (``<(cat photo.png)``, ``/dev/zero``), read
    whole as :func:`stdin_data` reads stdin, bounded. A regular file (or one that cannot be
    looked at, whose reading will say why) is left to be opened: None."""
    if is_stream(source):
        return stdin_data(max_pixels)
    try:
        mode = os.stat(source).st_mode
    except OSError:
        return source, None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return source, None
    try:
        with open(source, "rb") as stream:
            data = _bounded(stream, source, max_pixels)
    except OSError as exc:
        raise ConvcliError(f"{source}: cannot read: {exc.strerror or exc}") from None
    if not data.getbuffer().nbytes:
        raise ConvcliError(f"{source}: is empty (0 bytes)")
    return source, data


def stdin_data(max_pixels: int | None = DEFAULT_MAX_PIXELS) -> tuple[Path, io.BytesIO]:
    """stdin's bytes, bounded as :func:`_bounded` says, and the name that stands for them in messages."""
    name = Path("stdin")
    data = _bounded(sys.stdin.buffer, name, max_pixels)
    if not data.getbuffer().nbytes:
        raise UsageError("stdin: no image data (give IMAGE, or pipe an image in)")
    return name, data


def _bounded(source: BinaryIO, name: Path, max_pixels: int | None) -> io.BytesIO:
    """All of `source`, a stream that can be read once only, named `name` in messages.

    The stream is bounded as it comes: its header is read as soon as it has arrived, so that
    an image over `max_pixels` (None: no limit) or data that is no image convcli reads is
    refused at once, and no more bytes are taken than an image of `max_pixels` pixels can
    hold. It is read a block at a time, so that Ctrl-C and SIGTERM stop it at once.
    """
    cap = None if max_pixels is None else _bytes_for(max_pixels)
    why = f"more than an image within --max-pixels {max_pixels or 0:,} can take; raise --max-pixels (0: no limit)"
    data = bytearray()
    looked = False
    while True:
        block = source.read1(_STDIN_BLOCK)
        if not block:
            break
        data += block
        if not looked and len(data) >= _STDIN_HEAD:
            looked = True
            promised = _check_head(bytes(data), name, max_pixels)
            if promised is not None and (cap is None or _bytes_for(promised) < cap):
                cap = _bytes_for(promised)
                why = f"more than the {promised:,} pixels its header promises can take"
        if cap is not None and len(data) > cap:
            raise ConvcliError(f"{name}: more than {cap:,} bytes, {why}")
    return io.BytesIO(bytes(data))


def _bytes_for(pixels: int) -> int:
    """The most bytes an image of `pixels` pixels can take, with its metadata, in any format."""
    return pixels * _MOST_BYTES_PER_PIXEL + _HEADER_ROOM


def _check_head(head: bytes, name: Path, max_pixels: int | None) -> int | None:
    """Refuse stdin from its first bytes: an image over `max_pixels` or no image at all; else
    the pixels its header promises. A TIFF whose first directory lies beyond `head` is judged
    once all of it has come (None)."""
    if head.startswith(NPY_MAGIC):
        shape, _ = _npy_header(io.BytesIO(head), name)
        pixels = shape[0] * shape[1] if len(shape) >= 2 else math.prod(shape)
    else:
        try:
            # What Pillow warns of in a part of the file is said, if it holds, when all of it is read.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with allowlist.open_image(io.BytesIO(head)) as peek:
                    pixels = peek.size[0] * peek.size[1]
        except allowlist.RefusedFormat as exc:
            raise ConvcliError(f"{name}: {exc}") from None
        except Exception:  # noqa: BLE001 - whatever a plugin raises on a header it cannot read
            wide = sixteen.header(io.BytesIO(head))  # 16-bit grey and alpha TIFF, which Pillow cannot open
            if wide is not None:
                pixels = wide.width * wide.height
            elif head[:4] in allowlist.TIFF_SIGNATURES and _tiff_directory(head) >= len(head):
                return None
            else:
                raise ConvcliError(
                    f"{name}: not an image in a format convcli reads ({allowlist.READ_FORMATS_NAMED})"
                ) from None
    if max_pixels is not None and pixels > max_pixels:
        raise ConvcliError(
            f"{name}: its header promises {pixels:,} pixels, over the limit of {max_pixels:,}; "
            "raise it with --max-pixels if you trust the stream"
        )
    return pixels


def _tiff_directory(head: bytes) -> int:
    """Where a TIFF's (or BigTIFF's) first image directory starts, by its header; 0 if nowhere."""
    order = "<" if head[:2] == b"II" else ">"
    if head[2:4] in (b"+\x00", b"\x00+"):
        return struct.unpack(order + "Q", head[8:16])[0]
    return struct.unpack(order + "I", head[4:8])[0]


def writer_of(suffix: str) -> str | None:
    """The Pillow format that writes files ending in `suffix` (".png"), if any.

    The usual formats are known once Pillow's preinit has run; only other extensions load
    every plugin, which costs each run tens of milliseconds.

    >>> writer_of(".JPG"), writer_of(".tif"), writer_of(".xpm")
    ('JPEG', 'TIFF', None)
    """
    suffix = suffix.lower()
    Image.preinit()
    if suffix not in Image.EXTENSION:
        Image.init()
    fmt = Image.EXTENSION.get(suffix)
    return fmt if fmt in Image.SAVE else None


def input_format(path: Path, stream: io.BytesIO | None = None) -> str:
    """The input's own format where convcli writes it, else PNG: what stdout gets unasked."""
    if stream is None:
        return NPY if is_array_file(path) else writer_of(path.suffix) or "PNG"
    wide = sixteen.header(io.BytesIO(stream.getvalue()))
    if wide is not None:
        return wide.format
    try:
        with allowlist.open_image(io.BytesIO(stream.getvalue())) as peek:
            return peek.format if peek.format in Image.SAVE else "PNG"
    except Exception:  # not an image: reading it will say so, naming stdin
        return "PNG"


def extension_of(fmt: str) -> str:
    """The usual extension of a format: .jpg for JPEG, .tif for TIFF, .npy for arrays."""
    usual = {"JPEG": ".jpg", "TIFF": ".tif", NPY: ".npy"}
    if fmt in usual:
        return usual[fmt]
    Image.preinit()
    if fmt not in Image.EXTENSION.values():
        Image.init()
    return next(ext for ext, name in Image.EXTENSION.items() if name == fmt)


def format_named(name: str) -> str:
    """The format `--format name` asks for: a Pillow format or an extension (png, jpg, tif, npy).

    >>> format_named("jpg"), format_named("TIFF"), format_named("npy")
    ('JPEG', 'TIFF', 'NPY')
    """
    key = name.strip().lower().lstrip(".")
    if key == "npy":
        return NPY
    fmt = writer_of(f".{key}") or (key.upper() if key.upper() in Image.SAVE else None)
    if fmt is None:
        raise UsageError(
            f"--format {echoed(name)}: not a format convcli can write (png, jpeg, tiff, webp, bmp, npy, ...)"
        )
    return fmt


def is_array_file(path: Path) -> bool:
    return path.suffix.lower() == ".npy"


def read_array(path: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS, stream: BinaryIO | None = None) -> np.ndarray:
    """Load a .npy file (no pickled objects), refusing one over `max_pixels`, or one cut short,
    from its header, before reading its data; a `stream` is read instead of the file, as
    :func:`read_image` does. A file is memory-mapped, read-only: its values are read where they
    are used, and a file larger than memory can be filtered."""
    with _reading(path, lambda exc: f"not a NumPy .npy array ({exc})"):
        with open(path, "rb") if stream is None else contextlib.nullcontext(stream) as source:
            shape, dtype = _npy_header(source, path)
            pixels = shape[0] * shape[1] if len(shape) >= 2 else math.prod(shape)
            if max_pixels is not None and pixels > max_pixels:
                raise ConvcliError(
                    f"{path}: {pixels:,} pixels, over the limit of {max_pixels:,}; raise it with --max-pixels"
                )
            data = source.tell()
            size = source.seek(0, os.SEEK_END)
            if size - data < math.prod(shape) * dtype.itemsize:
                raise ConvcliError(
                    f"{path}: cut short: its header promises {math.prod(shape) * dtype.itemsize:,} bytes of "
                    f"{'x'.join(map(str, shape))} {dtype} values, and {size - data:,} follow"
                )
            source.seek(0)
            if stream is None:  # a file is mapped, and read only where it is filtered
                return np.load(path, mmap_mode="r", allow_pickle=False)
            return np.load(source, allow_pickle=False)


def _npy_header(source: BinaryIO, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype a .npy header declares, checked as far as a header can be."""
    if source.read(len(NPY_MAGIC)) != NPY_MAGIC:  # np.load's own message would invite unpickling
        raise ConvcliError(f"{path}: not a NumPy .npy array (it does not start as one)")
    source.seek(0)
    try:
        version = np.lib.format.read_magic(source)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(source)
    except Exception:  # noqa: BLE001 - numpy parses the header as Python literals: any failure
        raise ConvcliError(f"{path}: not a NumPy .npy array (its header is damaged)") from None
    if dtype.hasobject:
        raise ConvcliError(f"{path}: holds Python objects, which convcli never unpickles; save numbers instead")
    return shape, dtype


def output_format(path: Path) -> str:
    """The format that writes `path`, chosen by its extension: Pillow's name, or NPY."""
    if is_array_file(path):
        return NPY
    fmt = writer_of(path.suffix)
    if fmt is None:
        what = "has no extension to name a format"
        if path.suffix:
            what = f"extension {path.suffix!r} names no image format"
        raise UsageError(
            f"{path}: {what} convcli can write "
            "(use .png, .jpg, .tif, .bmp, .webp, .npy or another format Pillow writes, or say it with --format)"
        )
    return fmt


def holds(fmt: str, mode: str) -> bool:
    """Whether `fmt` holds images of Pillow `mode` and reads them back unchanged (for grey,
    L, that it stays grey: lossy formats change values). "LA" and "RGBA" ask whether alpha
    survives; "P+transparency" a palette with per-colour opacity, "P+key" one with a single
    fully transparent colour (GIF). NPY holds any array.

    >>> holds("PNG", "LA"), holds("JPEG", "LA"), holds("PNG", "I;16"), holds("WEBP", "I;16")
    (True, False, True, False)
    >>> holds("TIFF", "F"), holds("PNG", "F"), holds("JPEG", "CMYK"), holds("PNG", "CMYK")
    (True, False, True, False)
    >>> holds("GIF", "P+key"), holds("GIF", "P+transparency"), holds("JPEG", "L"), holds("WEBP", "L")
    (True, False, True, False)
    >>> holds("PNG", "RGB;16"), holds("TIFF", "LA;16"), holds("JPEG", "RGB;16")
    (True, True, False)
    """
    if mode in sixteen.MODES.values():
        return fmt in sixteen.FORMATS
    return fmt == NPY or _round_trips(fmt, mode)


def writes(fmt: str, mode: str) -> bool:
    """Whether `mode` is written as `fmt` at all (some of Pillow's formats have a stub writer,
    others refuse modes), so that a run can fail before it filters rather than after; the
    16-bit colour modes of :mod:`.sixteen` are written as PNG and TIFF only."""
    if mode in sixteen.MODES.values():
        return fmt in sixteen.FORMATS
    return fmt == NPY or _writes(fmt, mode)


@functools.cache
def _writes(fmt: str, mode: str) -> bool:
    try:
        Image.new(mode, (8, 8)).save(io.BytesIO(), format=fmt)
    except Exception:  # any refusal, whatever its type
        return False
    return True


def _sample(mode: str) -> Image.Image:
    if mode in ("LA", "RGBA"):
        grey_alpha = np.array([[[10, 7], [200, 255], [3, 128]]], np.uint8)
        if mode == "LA":
            return Image.fromarray(grey_alpha)
        return Image.fromarray(np.concatenate([grey_alpha[..., :1].repeat(3, axis=-1), grey_alpha[..., 1:]], -1))
    if mode in ("I;16", "I", "F"):
        values = {"I;16": [0, 1000, 65535], "I": [-5, 0, 70000], "F": [-1.5, 0.25, 1e6]}[mode]
        return Image.fromarray(np.array([values], {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]))
    if mode == "L":
        return Image.fromarray(np.full((8, 8), 100, np.uint8))
    if mode == "RGB":  # more colours than a palette holds
        values = np.arange(512)
        colours = np.stack([values % 256, values // 256, 255 - values % 256], axis=-1)
        return Image.fromarray(colours[np.newaxis].astype(np.uint8))
    if mode == "CMYK":
        # Flat blocks, which JPEG reproduces exactly: a lossy format must not fail for its losses.
        inks = np.repeat(np.array([[[0, 10, 200, 255], [255, 0, 3, 128]]], np.uint8), 8, axis=1)
        return Image.frombytes("CMYK", (16, 8), np.repeat(inks, 8, axis=0).tobytes())
    if mode == "1":
        return Image.fromarray(np.array([[0, 255, 255, 0]], np.uint8)).point(lambda v: v // 255, mode="1")
    palette = Image.frombytes("P", (3, 1), bytes([0, 1, 2]))
    palette.putpalette(bytes([0, 0, 0, 255, 0, 0, 0, 255, 0]))
    if mode == "P+transparency":
        palette.info["transparency"] = bytes([0, 128, 255])
    elif mode == "P+key":
        palette.info["transparency"] = 0
    return palette


@functools.cache
def _round_trips(fmt: str, mode: str) -> bool:
    # Pillow's format plug-ins say nothing reliable about what they keep: some refuse a
    # mode, others silently clip 16-bit to 8, drop alpha or flatten a palette. Writing a tiny
    # sample and reading it back is the only honest test. It is read back as any input is, by
    # the allowlist: a format convcli does not read (EPS, whose reading runs Ghostscript; PDF)
    # holds nothing convcli can vouch for.
    sample = _sample(mode)
    buffer = io.BytesIO()
    try:
        sample.save(buffer, format=fmt)
        buffer.seek(0)
        with allowlist.open_image(buffer) as back:
            if mode in ("LA", "RGBA"):
                return "A" in back.getbands() and np.array_equal(back.getchannel("A"), sample.getchannel("A"))
            if mode.startswith("P"):
                return back.mode == "P" and np.array_equal(
                    np.asarray(back.convert("RGBA")), np.asarray(sample.convert("RGBA"))
                )
            if mode == "L":
                return back.mode == "L"
            if back.mode != sample.mode and not (mode == "I;16" and back.mode == "I"):
                return False
            return np.array_equal(np.asarray(back), np.asarray(sample))
    except Exception:  # any failure to write or read back means the format cannot hold it
        return False
