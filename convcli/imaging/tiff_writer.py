"""A TIFF written a band of rows at a time, so that an image larger than memory never is held
whole: its strips are encoded as the rows come, through tifffile.

The file carries what today's whole-image TIFF writers give the same `info`
(:func:`.writing.write_image_atomic` through Pillow for 8-bit and 16-bit grey images,
:func:`.sixteen.write` for 16-bit colour and grey with alpha): the input's lossless compression
(LZW, deflate, PackBits; none otherwise), its resolution as it was (none where it stated none),
the ICC profile, the descriptive tags, XMP and IPTC, with alpha unassociated. Strips are of
about 64 KB, as libtiff lays them out (and as Pillow does for compressed ones; its uncompressed
files have one strip, which no reader could take a band at a time); 16-bit colour gets the
horizontal differencing that sixteen's LZW and deflate give it. What is not written: the EXIF
and GPS sub-directories that Pillow nests in an 8-bit TIFF (tifffile cannot nest them).
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import numpy as np

from . import sixteen
from .writing import save_params

# The modes written: Pillow's 8-bit ones and 16-bit grey, and :mod:`.sixteen`'s 16-bit ones.
MODES = ("L", "LA", "RGB", "RGBA", "I;16", *sixteen.MODES.values())
# The tags that point to the EXIF and GPS sub-directories.
_EXIF_DIRECTORY, _GPS_DIRECTORY = 0x8769, 0x8825
# Pillow's compression names as tifffile's codes: Pillow writes "tiff_deflate" as Adobe's code
# 8 (its old code, 32946, is what sixteen's writer keeps).
_PILLOW_CODES = {"raw": 1, "tiff_lzw": 5, "tiff_adobe_deflate": 8, "tiff_deflate": 8, "packbits": 32773}
_SIXTEEN_CODES = {"raw": 1, "tiff_lzw": 5, "tiff_adobe_deflate": 8, "tiff_deflate": 32946, "packbits": 32773}
_STRIP_BYTES = 1 << 16
# Room in a classic TIFF (offsets of 32 bits) for the directory and tags beside the data.
_CLASSIC_ROOM = 2**32 - (64 << 20)
# The most a strip grows by when compressed: LZW's 12-bit codes over incompressible bytes at worst.
_GROWTH = {1: 1.0, 5: 1.5, 8: 1.01, 32946: 1.01, 32773: 1.01}
# Strips encoded ahead on the encoder's threads: enough to keep each core busy.
_AHEAD = 2 * (os.cpu_count() or 1)


def keeps(mode: str, info: dict) -> bool:
    """Whether a TIFF of `mode` with `info` (:func:`.files.metadata`'s) is written here with all
    that the whole-image writers keep of it: not where its EXIF nests the EXIF or GPS directory.

    >>> keeps("RGB", {}), keeps("F", {})
    (True, False)
    """
    if mode not in MODES:
        return False
    if not info.get("exif"):
        return True
    from PIL import Image

    exif = Image.Exif()
    exif.load(info["exif"])
    return not ({_EXIF_DIRECTORY, _GPS_DIRECTORY} & set(exif))


def write_tiff_rows(
    stream: BinaryIO,
    shape: tuple[int, ...],
    dtype,
    blocks: Iterable[np.ndarray],
    *,
    mode: str,
    info: dict,
    compression: str | None = None,
) -> None:
    """Write a TIFF of `shape` ((H, W) or (H, W, C)) and `dtype` (uint8 or uint16) into
    `stream` from `blocks`, arrays of whole rows given top to bottom, any number of rows each,
    with the metadata of `info` (:func:`.files.metadata`'s) as today's TIFF writers place it for
    the image's `mode` ("L", "LA", "RGB", "RGBA", "I;16", or :data:`.sixteen.MODES`' 16-bit
    ones). `compression`, a Pillow name ("raw", "tiff_lzw", "tiff_adobe_deflate",
    "tiff_deflate", "packbits"), replaces info's. A BigTIFF is written where a classic TIFF's
    offsets could not reach the data. `stream` is seekable, and readable too where the image
    states no resolution (tifffile writes one, which is removed after).

    >>> import io, tifffile
    >>> out = io.BytesIO()
    >>> rows = np.arange(24, dtype=np.uint8).reshape(4, 2, 3)
    >>> write_tiff_rows(out, rows.shape, np.uint8, [rows[:3], rows[3:]], mode="RGB", info={})
    >>> np.array_equal(tifffile.imread(io.BytesIO(out.getvalue())), rows)
    True
    """
    import tifffile

    dtype = np.dtype(dtype)
    height, width = shape[:2]
    channels = shape[2] if len(shape) > 2 else 1
    wide = mode in sixteen.MODES.values()  # written today by sixteen, the rest by Pillow
    params = save_params(info, "TIFF", mode)
    named = compression or params.get("compression", "raw")
    code = (_SIXTEEN_CODES if wide else _PILLOW_CODES)[named]
    predictor = 2 if wide and code in (5, 8, 32946) else 1
    row_bytes = width * channels * dtype.itemsize
    rowsperstrip = max(1, min(height, _STRIP_BYTES // row_bytes))
    big = height * row_bytes * _GROWTH[code] > _CLASSIC_ROOM
    resolution, unit = sixteen.tiff_resolution(params)
    strips = _strips(blocks, height, rowsperstrip, (width, channels) if channels > 1 else (width,), dtype)
    # Named here: tifffile would take a file opened from a descriptor's number for its name.
    with tifffile.TiffWriter(tifffile.FileHandle(stream, name="image.tif"), bigtiff=big) as tiff:
        tiff.write(
            _encoded(strips, code, predictor),
            shape=shape,
            dtype=dtype,
            photometric="rgb" if channels >= 3 else "minisblack",
            extrasamples=("unassalpha",) if channels in (2, 4) else None,
            planarconfig="contig",
            compression=code,
            predictor=predictor,
            rowsperstrip=rowsperstrip,
            resolution=resolution,
            resolutionunit=unit,
            iccprofile=params.get("icc_profile"),
            extratags=sixteen.extratags(params.get("tiffinfo", {})),
            metadata=None,  # tifffile's own JSON description of the array
            software=False,  # tifffile would name itself
        )
    if resolution is None:
        sixteen.drop_tags(stream, {282, 283, 296})


def _strips(blocks: Iterable[np.ndarray], height: int, rows: int, row_shape: tuple, dtype: np.dtype) -> Iterator:
    """`blocks` regrouped into strips of `rows` rows (the last one shorter), in `dtype`; all
    `height` rows of the image, neither fewer nor more."""
    held: list[np.ndarray] = []
    count = total = 0
    for block in blocks:
        block = np.asarray(block, dtype=dtype)
        if block.shape[1:] != row_shape:
            raise ValueError(f"a block of rows {block.shape[1:]} in an image of rows {row_shape}")
        total += len(block)
        if total > height:
            raise ValueError(f"more rows than the image's {height}")
        while len(block):
            taken = block[: rows - count]
            held.append(taken)
            count += len(taken)
            block = block[len(taken) :]
            if count == rows:
                yield held[0] if len(held) == 1 else np.concatenate(held)
                held, count = [], 0
    if total < height:
        raise ValueError(f"{total} rows of the image's {height}")
    if held:
        yield np.concatenate(held)


def _encoded(strips: Iterator[np.ndarray], code: int, predictor: int) -> Iterator[bytes]:
    """Each strip as the bytes the file holds, in the native byte order tifffile writes: raw,
    or differenced and compressed by tifffile's codecs, several strips at once on threads
    (zlib and LZW let them run), in order."""
    if code == 1:
        yield from (np.ascontiguousarray(strip).tobytes() for strip in strips)
        return
    from tifffile import TIFF

    compress = TIFF.COMPRESSORS[code]
    difference = TIFF.PREDICTORS[predictor] if predictor > 1 else None

    def encode(strip: np.ndarray) -> bytes:
        strip = strip.reshape(strip.shape[0], strip.shape[1], -1)  # rows, columns, samples
        if difference is not None:
            strip = difference(strip, axis=-2)
        return compress(strip, axis=-2) if code == 32773 else compress(strip)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="convcli-tiff") as pool:
        ahead: collections.deque = collections.deque()
        for strip in strips:
            ahead.append(pool.submit(encode, strip))
            if len(ahead) >= _AHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
