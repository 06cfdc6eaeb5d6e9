"""Damage that Pillow's decoders pass in silence, found before an image is trusted.

Pillow gives libjpeg no voice (its warnings, "Corrupt JPEG data: premature end of data
segment", are dropped and the missing pixels drawn grey), skips the CRCs of a PNG's image data,
and has libtiff stop inflating a strip before the checksum that would tell. Each check here
reads the file's own redundancy (the decoder's warnings, checksums, sizes) and returns what is
wrong, or None. A header that promises more pixels than its data could hold is found from the
sizes alone, before any memory is taken for the pixels.
"""

from __future__ import annotations

import contextlib
import io
import logging
import struct
import zlib
from typing import BinaryIO

import numpy as np

from ..wording import counted

# The most pixels one byte of compressed data can stand for. zlib's deflate peaks at 1032:1;
# a Huffman-coded JPEG spends at least one bit on each 8x8 block of its first component.
_DEFLATE_RATIO = 1032
_JPEG_PIXELS_PER_BYTE = 64 * 8
# Arithmetic-coded JPEGs (SOF9 to SOF15, less the DHT-like markers) can code a block in less than a bit.
_ARITHMETIC_SOF = {0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_HUFFMAN_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7}


# The most pixels a byte can stand for in each of Pillow's decoders: a bit a pixel uncompressed
# (bilevel), a run of up to 128 or 255 in the RLE formats, QOI's run of 62 in one byte, GIF's
# LZW (a 12-bit code for a string of at most 4096), deflate's 1032:1 on 1-bit pixels. JPEG has
# its own bound in check_jpeg, which tells Huffman from arithmetic coding.
_PIXELS_PER_BYTE = {
    "raw": 8,
    "bmp_rle": 255,
    "tga_rle": 128,
    "packbits": 128,
    "pcx": 63 * 8,
    "qoi": 62,
    "gif": 4096,
    "zip": _DEFLATE_RATIO * 8,
}


def check_promise(tiles: list, size: int) -> str | None:
    """Whether Pillow's `tiles` (decoder, box, offset, ...) promise more pixels than a file of
    `size` bytes can hold, found before any memory is taken for them.

    >>> from PIL.ImageFile import _Tile
    >>> check_promise([_Tile("raw", (0, 0, 9000, 9000), 54, "BGR")], 631)
    'its header promises 81,000,000 pixels, and its 577 bytes of data can hold at most 4,616'
    """
    pixels = most = 0
    for tile in tiles:
        ratio = _PIXELS_PER_BYTE.get(tile[0])
        if ratio is None:  # a decoder with no known bound (libtiff's, WebP's): nothing to say
            return None
        x0, y0, x1, y1 = tile[1]
        pixels += max(0, x1 - x0) * max(0, y1 - y0)
        most = max(most, ratio * max(0, size - tile[2]))
    if tiles and pixels > most:
        data = size - min(tile[2] for tile in tiles)
        return (
            f"its header promises {counted(pixels, 'pixel')}, and its {counted(data, 'byte')} of data can hold "
            f"at most {most:,}"
        )
    return None


def check_jpeg(data: bytes) -> str | None:
    """What is wrong with a JPEG file's `data`, as libjpeg-turbo says it, or None.

    >>> check_jpeg(b"\\xff\\xd8\\xff\\xc0\\x00\\x0b\\x08\\x23\\x28\\x23\\x28\\x01\\x01\\x11\\x00\\xff\\xd9")
    'its header promises 9000x9000 pixels, and its 17 bytes can hold at most 8,704'
    """
    # Grey output entropy-decodes every component but converts none: the warnings come from decoding.
    return decode_jpeg(data, "GRAY")[1]


def decode_jpeg(data: bytes, colorspace: str) -> tuple[np.ndarray | None, str | None]:
    """A JPEG's pixels decoded strictly by libjpeg-turbo in `colorspace` (RGB or GRAY), as
    Pillow decodes them (the same library, its accurate IDCT and fancy upsampling), and None;
    or None and what is wrong with the data, where libjpeg-turbo warns of anything at all.
    A colour model TurboJPEG cannot convert to `colorspace` is no damage: (None, None)."""
    promise = check_jpeg_promise(data)
    if promise:
        return None, promise
    import simplejpeg  # libjpeg-turbo through its TurboJPEG API, which reports libjpeg's warnings

    try:
        return simplejpeg.decode_jpeg(data, colorspace=colorspace, strict=True), None
    except ValueError as exc:
        message = str(exc)
        if "Unsupported color conversion" in message:
            return None, None
        return None, message.rstrip(".") or "libjpeg-turbo cannot decode it"


def check_jpeg_promise(data: bytes) -> str | None:
    """Whether a JPEG's frame header promises more pixels than its Huffman-coded `data` can hold."""
    size = _jpeg_frame(data)
    if size is None:
        return None
    width, height, arithmetic = size
    most = len(data) * _JPEG_PIXELS_PER_BYTE
    if not arithmetic and width * height > most:
        return (
            f"its header promises {width}x{height} pixels, and its {counted(len(data), 'byte')} can hold at "
            f"most {most:,}"
        )
    return None


def _jpeg_frame(data: bytes) -> tuple[int, int, bool] | None:
    """The width, height and arithmetic coding of a JPEG's first frame header, if it has one."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes before a marker
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _HUFFMAN_SOF or marker in _ARITHMETIC_SOF:
            if position + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height, marker in _ARITHMETIC_SOF
        if marker == 0xDA:  # a scan before any frame header: nothing to go on
            return None
        position += 2 + length
    return None


def check_png(stream: BinaryIO) -> str | None:
    """What is wrong with a PNG's chunks (each CRC, the image data's size against the header's
    promise, the end chunk), read from `stream` a chunk at a time, or None."""
    stream.seek(8)
    width = height = 0
    bits_per_pixel = 8
    compressed = 0
    while True:
        header = stream.read(8)
        if len(header) < 8:
            return "it ends before its IEND chunk (cut short)"
        length, kind = struct.unpack(">I4s", header)
        name = kind.decode("latin-1")
        crc = zlib.crc32(kind)
        left = length
        while left:
            block = stream.read(min(left, 1 << 20))
            if not block:
                return f"it ends inside its {name!r} chunk (cut short)"
            crc = zlib.crc32(block, crc)
            if kind == b"IHDR" and left == length:
                width, height, depth, colour = struct.unpack(">IIBB", block[:10])
                bits_per_pixel = depth * {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4)
            left -= len(block)
        stored = stream.read(4)
        if len(stored) < 4:
            return f"it ends inside its {name!r} chunk (cut short)"
        if struct.unpack(">I", stored)[0] != crc:
            return f"its {name!r} chunk fails its CRC check (the data is damaged)"
        if kind == b"IDAT":
            compressed += length
        if kind == b"IEND":
            break
    raw = height * (1 + (width * bits_per_pixel + 7) // 8)
    if compressed * _DEFLATE_RATIO < raw:
        return (
            f"its header promises {width}x{height} pixels ({raw:,} bytes), and its {counted(compressed, 'byte')} "
            "of image data cannot hold them"
        )
    return None


def check_png_promise(width: int, height: int, bytes_per_pixel: int, data: int) -> str | None:
    """Whether a PNG header's `width` x `height` pixels of `bytes_per_pixel` could come from the
    `data` bytes that follow its header, at deflate's best, found before decoding.

    >>> check_png_promise(9000, 9000, 6, 1000)
    'its header promises 81,000,000 pixels, and its 1,000 bytes of data can hold at most 172,000'
    """
    raw = height * (1 + width * bytes_per_pixel)
    if raw > data * _DEFLATE_RATIO:
        most = data * _DEFLATE_RATIO // bytes_per_pixel
        return (
            f"its header promises {width * height:,} pixels, and its {data:,} bytes of data can hold at most {most:,}"
        )
    return None


# Pixels one byte can stand for in a TIFF strip, by its compression: LZW's 12-bit code for a
# string of at most 4096 bytes, deflate's 1032:1, PackBits' run of 128 from 2 bytes; each byte
# holding 8 bilevel pixels at most.
_TIFF_PIXELS_PER_BYTE = {5: 4096 * 8, 8: _DEFLATE_RATIO * 8, 32946: _DEFLATE_RATIO * 8, 32773: 64 * 8}


def check_tiff_promise(stream: BinaryIO) -> str | None:
    """Whether a compressed TIFF's first image promises more pixels than its strips or tiles can
    hold, found from its tags before anything is decoded."""
    import tifffile

    try:
        with quiet("tifffile"), tifffile.TiffFile(stream) as tiff:
            page = tiff.pages.first
            ratio = _TIFF_PIXELS_PER_BYTE.get(int(page.compression))
            pixels = page.imagewidth * page.imagelength
            data = sum(page.databytecounts)
    except (tifffile.TiffFileError, ValueError, struct.error, OSError, KeyError, IndexError, TypeError):
        return None  # a structure tifffile cannot follow: libtiff, decoding it, is the judge
    if ratio is not None and pixels > data * ratio:
        return (
            f"its header promises {counted(pixels, 'pixel')}, and its {counted(data, 'byte')} of compressed data "
            f"can hold at most {data * ratio:,}"
        )
    return None


def check_ico(stream: BinaryIO) -> str | None:
    """What is wrong with the PNG images an ICO holds (:func:`check_png` of each), or None."""
    header = stream.read(6)
    if len(header) < 6:
        return None
    (count,) = struct.unpack("<H", header[4:6])
    entries = [struct.unpack("<II", stream.read(16)[8:16] or bytes(8)) for _ in range(count)]
    for index, (size, offset) in enumerate(entries):
        stream.seek(offset)
        data = stream.read(size)
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            problem = check_png(io.BytesIO(data))
            if problem:
                return f"its image {index + 1} of {count}, a PNG: {problem}"
    return None


def check_tiff(stream: BinaryIO) -> str | None:
    """What is wrong with the strips or tiles of a TIFF's first image: one that runs past the
    end of the file, or one that fails its codec (deflate's checksum and length, JPEG's
    warnings), checked one at a time; or None."""
    import tifffile

    try:
        with quiet("tifffile"), tifffile.TiffFile(stream) as tiff:
            page = tiff.pages.first
            offsets, counts = page.dataoffsets, page.databytecounts
            problem = check_tiff_extent(offsets, counts, stream.seek(0, io.SEEK_END))
            if problem:
                return problem
            compression = int(page.compression)
            if compression not in (7, 8, 32946):  # JPEG, deflate, Adobe deflate
                return None
            tables = page.jpegtables if compression == 7 else None
            expected = _strip_bytes(page)
            for index, (offset, count) in enumerate(zip(offsets, counts, strict=True)):
                if count == 0:
                    continue
                stream.seek(offset)
                data = stream.read(count)
                if len(data) < count:
                    return f"it ends inside its strip or tile {index + 1} of {len(offsets)} (cut short)"
                problem = _tiff_jpeg(data, tables) if compression == 7 else _inflated(data, expected)
                if problem:
                    return f"strip or tile {index + 1} of {len(offsets)}: {problem}"
    except (tifffile.TiffFileError, ValueError, struct.error, OSError, KeyError, IndexError):
        return None  # a structure tifffile cannot follow: libtiff, decoding it, is the judge
    return None


def check_tiff_extent(offsets, counts, size: int) -> str | None:
    """Whether a TIFF's strips or tiles, at `offsets` and `counts` bytes long, run past the end
    of its `size` bytes (cut short).

    >>> check_tiff_extent((8, 108), (100, 100), 150)
    'it ends inside its strip or tile 2 of 2 (cut short)'
    """
    for index, (offset, count) in enumerate(zip(offsets, counts, strict=True)):
        if count and offset + count > size:
            return f"it ends inside its strip or tile {index + 1} of {len(offsets)} (cut short)"
    return None


@contextlib.contextmanager
def quiet(name: str):
    """Keep a library's log (tifffile's "TiffTag.fromfile raised ...") off stderr: what matters
    of it is returned as the damage."""
    logger = logging.getLogger(name)
    saved = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = saved


def _strip_bytes(page) -> int:
    """The bytes one whole strip or tile of `page` inflates to."""
    bits = page.bitspersample * (page.samplesperpixel if page.planarconfig == 1 else 1)
    if page.is_tiled:
        return page.tilelength * ((page.tilewidth * bits + 7) // 8)
    return min(page.rowsperstrip, page.imagelength) * ((page.imagewidth * bits + 7) // 8)


def _inflated(data: bytes, expected: int) -> str | None:
    inflater = zlib.decompressobj()
    try:
        size = len(inflater.decompress(data, expected + 1))
    except zlib.error as exc:
        return f"its deflate data is damaged ({exc})"
    if not inflater.eof and size <= expected:  # the input ran out before the stream's end and checksum
        return "its deflate data is cut short"
    return None


def _tiff_jpeg(data: bytes, tables: bytes | None) -> str | None:
    """A TIFF strip of JPEG data, made whole with the file's shared tables, checked as a JPEG."""
    if tables and tables.startswith(b"\xff\xd8") and data.startswith(b"\xff\xd8"):
        data = tables[:-2] + data[2:]  # the tables' SOI..EOI around this strip's frame and scan
    return check_jpeg(data)
