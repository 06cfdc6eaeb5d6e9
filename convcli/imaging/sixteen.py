"""16-bit colour PNG and TIFF, which Pillow has no modes for, read and written outside it.

Pillow holds 16 bits a channel only for grey: it reads a 48-bit PNG or TIFF as 8-bit RGB and
cannot write one. These are read and written here, as NumPy arrays of (H, W, C) uint16 with C
2 (grey and alpha), 3 (RGB) or 4 (RGBA), alpha unassociated and last: PNG by libpng (through
imagecodecs' png_decode and png_encode), TIFF by tifffile with imagecodecs' codecs. Everything
else, 16-bit grey without alpha included, stays with Pillow. The files come here only after
:mod:`.allowlist` has recognised them as PNG or TIFF by their signatures, and their header is
read here before anything is decoded, so that the caller can check the size and the damage
first (see files.read_image).
"""

from __future__ import annotations

import fractions
import io
import os
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from .allowlist import PNG_SIGNATURE, TIFF_SIGNATURES

# The modes of the arrays read and written here, named as Pillow names its raw modes.
MODES = {2: "LA;16", 3: "RGB;16", 4: "RGBA;16"}
FORMATS = ("PNG", "TIFF")

# PNG colour types (grey, RGB, grey and alpha, RGBA) and the channels libpng decodes them to.
_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
# TIFF codecs read here: none, LZW, Adobe deflate, deflate, PackBits; others (JPEG, ZSTD, ...)
# are left to Pillow, which reads them at 8 bits per channel and says so. Each is one of the
# codecs integrity.check_tiff_promise bounds, so that none can expand a small file past belief.
TIFF_COMPRESSIONS = (1, 5, 8, 32946, 32773)
_PILLOW_COMPRESSIONS = {
    "raw": None,
    "tiff_lzw": "lzw",
    "tiff_adobe_deflate": "adobe_deflate",
    "tiff_deflate": "deflate",
    "packbits": "packbits",
}
# A TIFF's ExtraSamples: 0 unspecified (not alpha: dropped, as Pillow does), 1 alpha
# premultiplied into the colour, 2 alpha on its own.
_UNSPECIFIED, _ASSOCIATED, _UNASSOCIATED = 0, 1, 2
# Strips of about this many bytes, as libtiff writes them (Pillow's STRIP_SIZE).
_STRIP_BYTES = 1 << 16
# What libpng says of every interlaced file that imagecodecs decodes: its own call, not the file.
HARMLESS = ("PNG warning: Interlace handling should be turned on when using png_read_image",)


@dataclass(frozen=True)
class Header:
    """What the header of a 16-bit colour PNG or TIFF says, before any pixel is decoded:
    `format` PNG or TIFF, its size, the channels it decodes to (2, 3 or 4), whether a second
    frame or page follows, and where its image data starts (a PNG's first IDAT)."""

    format: str
    width: int
    height: int
    channels: int
    frames: bool
    data_offset: int = 0

    @property
    def mode(self) -> str:
        return MODES[self.channels]


def header(source: BinaryIO) -> Header | None:
    """The :class:`Header` of a PNG or TIFF whose samples are 16 bits and whose pixels are
    colour or carry alpha (or a transparent colour key), read from `source`'s start; None for
    any other file, and for one whose header cannot be read (its reader then says why)."""
    source.seek(0)
    head = source.read(8)
    source.seek(0)
    try:
        if head == PNG_SIGNATURE:
            return _png_header(source)
        if head[:4] in TIFF_SIGNATURES:
            return _tiff_header(source)
    except (OSError, ValueError, struct.error, EOFError):
        return None
    return None


def _png_header(source: BinaryIO) -> Header | None:
    source.seek(8)
    length, kind = struct.unpack(">I4s", source.read(8))
    if kind != b"IHDR" or length != 13:
        return None
    width, height, depth, colour = struct.unpack(">IIBB", source.read(10))
    if depth != 16 or colour not in _PNG_CHANNELS:
        return None
    source.seek(8 + 8 + length + 4)
    channels, frames = _PNG_CHANNELS[colour], False
    while True:  # the chunks before the image data: a colour key, an animation
        chunk = source.read(8)
        if len(chunk) < 8:
            return None
        length, kind = struct.unpack(">I4s", chunk)
        if kind == b"IDAT":
            break
        data = source.read(min(length, 8))
        if kind == b"tRNS" and colour in (0, 2):  # a transparent colour: libpng decodes it to alpha
            channels += 1
        elif kind == b"acTL" and len(data) >= 4:
            frames = struct.unpack(">I", data[:4])[0] > 1
        source.seek(length - len(data) + 4, os.SEEK_CUR)
    if channels == 1:  # 16-bit grey alone: Pillow holds it
        return None
    return Header("PNG", width, height, channels, frames, source.tell() - 8)


def _tiff_header(source: BinaryIO) -> Header | None:
    import tifffile

    from .integrity import quiet

    try:
        with quiet("tifffile"), tifffile.TiffFile(source) as tiff:
            page = tiff.pages.first
            channels = _tiff_channels(page)
            if channels is None:
                return None
            return Header("TIFF", page.imagewidth, page.imagelength, channels, second_page(tiff))
    except Exception:  # noqa: BLE001 - a structure tifffile cannot follow: Pillow, opening it, judges it
        return None


def _tiff_channels(page) -> int | None:
    """The channels a TIFF page decodes to here, or None where it is not read here."""
    if page.bitspersample != 16 or page.sampleformat != 1 or page.is_subsampled:
        return None
    if int(page.compression) not in TIFF_COMPRESSIONS or page.predictor not in (1, 2):
        return None
    extras = tuple(page.extrasamples)
    photometric, samples = int(page.photometric), page.samplesperpixel
    if len(extras) != samples - (3 if photometric == 2 else 1) or len(extras) > 1:
        return None
    alpha = bool(extras) and extras[0] in (_ASSOCIATED, _UNASSOCIATED)
    if photometric == 2:  # RGB
        return 4 if alpha else 3
    if photometric == 1 and alpha:  # grey, black at 0, with alpha; grey alone Pillow holds
        return 2
    return None


def second_page(tiff) -> bool:
    """Whether a second page follows the first, looked for without counting them all."""
    import tifffile

    try:
        tiff.pages[1]
    except IndexError:
        return False
    except tifffile.TiffFileError:  # a broken link to a page that is not read
        return False
    return True


def decode(found: Header, source: BinaryIO) -> np.ndarray:
    """The pixels of the file `found` describes, as (H, W, C) uint16 with unassociated alpha last."""
    if found.format == "PNG":
        import imagecodecs

        source.seek(0)
        return imagecodecs.png_decode(source.read())
    return _decode_tiff(source)


def _decode_tiff(source: BinaryIO) -> np.ndarray:
    import tifffile

    from .integrity import quiet

    source.seek(0)
    with quiet("tifffile"), tifffile.TiffFile(source) as tiff:
        page = tiff.pages.first
        pixels = page.asarray()
        if page.axes.startswith("S"):  # separate planes: one sample after another
            pixels = np.moveaxis(pixels, 0, -1)
        extras = tuple(page.extrasamples)
    pixels = pixels.astype(np.uint16, copy=False)  # native byte order
    if extras and extras[0] == _UNSPECIFIED:
        return np.ascontiguousarray(pixels[..., :-1])
    if extras and extras[0] == _ASSOCIATED:
        return _unassociated(pixels)
    return pixels


def _unassociated(pixels: np.ndarray) -> np.ndarray:
    """Colour divided by its alpha, as Pillow turns RGBa into RGBA: premultiplied alpha is what
    a TIFF may store, straight alpha what convcli filters and writes."""
    alpha = pixels[..., -1:].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.where(alpha > 0, pixels[..., :-1] * 65535.0 / alpha, 0.0)
    colour = np.clip(np.rint(colour), 0, 65535).astype(np.uint16)
    return np.concatenate([colour, pixels[..., -1:]], axis=-1)


def png_metadata(source: BinaryIO) -> dict:
    """What Pillow's PNG reader puts in an image's info (icc_profile, dpi, exif, xmp, text
    chunks and the rest), read by Pillow's own chunk readers from every chunk before and after
    the image data, without decoding it; text chunks are also gathered under "text", as
    Pillow's `text` has them."""
    from PIL import PngImagePlugin

    source.seek(8)
    png = PngImagePlugin.PngStream(source)
    while True:
        cid, pos, length = png.read()
        if cid == b"IEND":
            break
        if cid in _PNG_METADATA:
            png.call(cid, pos, length)
        else:
            source.seek(pos + length)
        source.read(4)  # its CRC: integrity.check_png has checked it
    return {**png.im_info, "text": dict(png.im_text)}


# The chunks that hold what files.metadata carries: the profile, the resolution, text, EXIF.
_PNG_METADATA = (b"iCCP", b"pHYs", b"tEXt", b"zTXt", b"iTXt", b"eXIf")


def upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """`pixels` turned as an EXIF `orientation` (1 to 8) says they are displayed, as Pillow's
    ImageOps.exif_transpose turns an image.

    >>> upright(np.array([[1, 2], [3, 4]]), 6).tolist()
    [[3, 1], [4, 2]]
    """
    turns = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
        8: lambda a: np.rot90(a, 1),
    }
    turn = turns.get(orientation)
    return pixels if turn is None else np.ascontiguousarray(turn(pixels))


def write(pixels: np.ndarray, stream: BinaryIO, fmt: str, params: dict) -> None:
    """Write (H, W, C) uint16 `pixels` as a PNG or TIFF into `stream`, with the metadata of
    `params`, Pillow's save() keywords as writing.save_params gives them for `fmt`."""
    stream.write(_png(pixels, params) if fmt == "PNG" else _tiff(pixels, params))


def _png(pixels: np.ndarray, params: dict) -> bytes:
    """libpng's PNG of `pixels`, with the chunks Pillow's PNG writer would give `params` (the
    profile, the resolution, the text chunks, the EXIF) after its header."""
    import imagecodecs

    encoded = imagecodecs.png_encode(pixels, level=6)  # zlib's default, as Pillow's
    chunks = []
    if params.get("icc_profile"):
        chunks.append((b"iCCP", b"ICC Profile\0\0" + zlib.compress(params["icc_profile"])))
    if params.get("dpi"):
        x, y = (int(value / 0.0254 + 0.5) for value in params["dpi"])  # dots per metre, as Pillow's
        chunks.append((b"pHYs", struct.pack(">IIB", x, y, 1)))
    if params.get("pnginfo") is not None:
        chunks.extend((cid, data) for cid, data, *_ in params["pnginfo"].chunks)
    if params.get("exif"):
        chunks.append((b"eXIf", params["exif"].removeprefix(b"Exif\0\0")))
    end_of_header = 8 + 8 + 13 + 4
    laid = b"".join(
        struct.pack(">I", len(data)) + cid + data + struct.pack(">I", zlib.crc32(cid + data)) for cid, data in chunks
    )
    return encoded[:end_of_header] + laid + encoded[end_of_header:]


def _tiff(pixels: np.ndarray, params: dict) -> bytes:
    """tifffile's TIFF of `pixels`: strips of about 64 KB, alpha unassociated, the lossless
    compression of `params` (LZW and deflate with horizontal differencing, which 16-bit
    samples need to compress), and its tags; no resolution where `params` has none."""
    import tifffile

    height, width, channels = pixels.shape
    compression = _PILLOW_COMPRESSIONS.get(params.get("compression", "raw"))
    resolution, unit = tiff_resolution(params)
    stream = io.BytesIO()  # tifffile takes no file opened from a bare descriptor
    tifffile.imwrite(
        stream,
        pixels,
        photometric="rgb" if channels >= 3 else "minisblack",
        extrasamples=("unassalpha",) if channels in (2, 4) else None,
        planarconfig="contig",
        compression=compression,
        predictor=compression in ("lzw", "adobe_deflate", "deflate"),
        rowsperstrip=max(1, _STRIP_BYTES // (width * channels * 2)),
        resolution=resolution,
        resolutionunit=unit,
        iccprofile=params.get("icc_profile"),
        extratags=extratags(params.get("tiffinfo", {})),
        metadata=None,  # tifffile's own JSON description of the array
        software=False,  # tifffile would name itself
    )
    if resolution is None:
        drop_tags(stream, {282, 283, 296})
    return stream.getvalue()


def tiff_resolution(params: dict) -> tuple[tuple | None, int | None]:
    """The resolution and unit of `params` as tifffile takes them: exact rationals."""
    if "x_resolution" in params:
        x, y = (_rational(params[key]) for key in ("x_resolution", "y_resolution"))
        return (x, y), int(params.get("resolution_unit", 2))
    if params.get("dpi"):
        return tuple(_rational(value) for value in params["dpi"]), 2
    return None, None


def _rational(value) -> tuple[int, int]:
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        numerator, denominator = int(value.numerator), int(value.denominator)
        if 0 < numerator < 2**32 and 0 < denominator < 2**32:
            return numerator, denominator
    fraction = fractions.Fraction(float(value)).limit_denominator(2**16)
    return fraction.numerator, fraction.denominator


def extratags(tags) -> list[tuple]:
    """tifffile's (code, type, count, value, writeonce) of each tag Pillow would write from
    `tags` (its `tiffinfo`), typed as Pillow types them; the EXIF and GPS sub-directories,
    which tifffile cannot nest, are left out."""
    from PIL import TiffTags

    kept = []
    for code in sorted(tags):
        value = tags[code]
        if code in (34665, 34853) or isinstance(value, dict):
            continue
        if isinstance(value, str):  # Pillow reads ASCII tags as Latin-1: its bytes, as they were
            kept.append((code, 2, 0, value.encode("latin-1", "replace"), True))
            continue
        if isinstance(value, bytes):
            kept.append((code, TiffTags.lookup(code).type or 7, len(value), value, True))
            continue
        values = value if isinstance(value, tuple) else (value,)
        kind = TiffTags.lookup(code).type
        if kind in (5, 10) or any(isinstance(item, float) or hasattr(item, "denominator") for item in values):
            flat = [part for item in values for part in _rational(item)]
            kept.append((code, 5, len(values), flat, True))
        elif all(isinstance(item, int) for item in values):
            kind = kind if kind in (1, 3, 4, 7) else (3 if max(values, default=0) < 2**16 else 4)
            kept.append((code, kind, len(values), values if len(values) > 1 else values[0], True))
    return kept


def drop_tags(stream: io.BytesIO, codes: set[int]) -> None:
    """Remove the entries of `codes` from the first directory of the TIFF in `stream`:
    tifffile always writes a resolution (1 by 1, no unit), and a file without one must not get
    one. The directory is rewritten in place, shorter, its next-directory link moved up."""
    stream.seek(0)
    head = stream.read(16)
    order = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"+\x00", b"\x00+")
    count_format, entry, link = ("Q", 20, "Q") if big else ("H", 12, "I")
    offset = struct.unpack(order + ("Q" if big else "I"), head[8:16] if big else head[4:8])[0]
    stream.seek(offset)
    count_size = struct.calcsize(count_format)
    (count,) = struct.unpack(order + count_format, stream.read(count_size))
    entries = stream.read(count * entry)
    following = stream.read(struct.calcsize(link))
    kept = [
        entries[i : i + entry]
        for i in range(0, len(entries), entry)
        if struct.unpack(order + "H", entries[i : i + 2])[0] not in codes
    ]
    stream.seek(offset)
    rewritten = struct.pack(order + count_format, len(kept)) + b"".join(kept) + following
    stream.write(rewritten + bytes(count_size + len(entries) + len(following) - len(rewritten)))
