"""A TIFF read a band of rows at a time (convcli.imaging.tiff_rows): the same rows, mode and
metadata as the whole-image reader gives, in every layout it streams; None for the others; the
one-line damage error; a cache that stays bounded."""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from convcli.errors import ConvcliError
from convcli.imaging import files, tiff_rows

RNG = np.random.default_rng(15)


def pixels(shape, dtype=np.uint8) -> np.ndarray:
    return RNG.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


def write(path: Path, data: np.ndarray, **options) -> Path:
    channels = data.shape[2] if data.ndim == 3 else 1
    defaults = {"photometric": "rgb" if channels >= 3 else "minisblack", "metadata": None}
    if channels in (2, 4) and "extrasamples" not in options:
        defaults["extrasamples"] = ("unassalpha",)
    tifffile.imwrite(path, data, **{**defaults, **options})
    return path


def whole(path: Path) -> tuple[np.ndarray, dict]:
    image, info = files.read_image(path)
    return np.asarray(image), info


LAYOUTS = {
    "one strip": {},
    "rows per strip 1": {"rowsperstrip": 1},
    "rows per strip 7, deflate": {"rowsperstrip": 7, "compression": "zlib"},
    "old deflate, predictor": {"rowsperstrip": 7, "compression": "deflate", "predictor": True},
    "lzw, predictor": {"rowsperstrip": 5, "compression": "lzw", "predictor": True},
    "lzw": {"rowsperstrip": 4, "compression": "lzw"},
    "packbits": {"rowsperstrip": 3, "compression": "packbits"},
    "tiled 16x16, edge remainder": {"tile": (16, 16)},
    "tiled, deflate": {"tile": (16, 16), "compression": "zlib", "predictor": True},
    "BigTIFF": {"bigtiff": True, "rowsperstrip": 6, "compression": "zlib"},
    "big-endian": {"byteorder": ">", "rowsperstrip": 7, "compression": "lzw", "predictor": True},
    "big-endian tiled": {"byteorder": ">", "tile": (16, 16)},
}
KINDS = {  # shape's channels and dtype -> the mode the pipeline gets
    "L": ((), np.uint8),
    "LA": ((2,), np.uint8),
    "RGB": ((3,), np.uint8),
    "RGBA": ((4,), np.uint8),
    "I;16": ((), np.uint16),
    "LA;16": ((2,), np.uint16),
    "RGB;16": ((3,), np.uint16),
    "RGBA;16": ((4,), np.uint16),
}


def every_key(height: int):
    yield slice(None)
    yield from (0, 1, 6, 7, height - 1, -1, -height)
    for start, stop in ((0, 1), (0, 7), (5, 23), (6, 8), (30, height), (height - 3, height + 5), (10, 10), (-5, None)):
        yield slice(start, stop)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_band_is_the_whole_images_rows(layout, kind, tmp_path):
    channels, dtype = KINDS[kind]
    data = pixels((37, 29, *channels), dtype)
    path = write(tmp_path / "in.tif", data, **LAYOUTS[layout])
    reference, info = whole(path)
    with tiff_rows.open_rows(path, None) as rows:
        assert (rows.shape, rows.dtype, rows.mode) == (reference.shape, np.dtype(dtype), kind)
        assert rows.info == info
        for key in every_key(len(reference)):
            band = rows[key]
            assert band.dtype == rows.dtype and band.dtype.isnative
            np.testing.assert_array_equal(band, reference[key], err_msg=str(key))
        assert np.array_equal(rows[np.int64(3)], reference[3])


def test_metadata_is_read_images(tmp_path):
    """ICC profile, resolution, the descriptive tags, XMP, compression: as read_image keeps them."""
    extratags = [(271, 2, 0, "Scanner Co", True), (315, 2, 0, "Ada", True), (700, 1, 5, b"<x/>!", True)]
    for dtype in (np.uint8, np.uint16):
        path = write(
            tmp_path / f"{dtype.__name__}.tif",
            pixels((9, 8, 3), dtype),
            compression="lzw",
            resolution=(118, 59),
            resolutionunit="CENTIMETER",
            iccprofile=b"\0" * 128,
            extratags=extratags,
        )
        with tiff_rows.open_rows(path, None) as rows:
            assert rows.info == whole(path)[1]
            assert rows.info["icc_profile"] == b"\0" * 128 and rows.info["compression"] == "tiff_lzw"


def test_an_unspecified_extra_sample_is_dropped_as_pillow_drops_it(tmp_path):
    for shape, dtype in (((9, 8, 4), np.uint8), ((9, 8, 2), np.uint8), ((9, 8, 4), np.uint16)):
        path = write(tmp_path / "in.tif", pixels(shape, dtype), extrasamples=("unspecified",))
        reference, _ = whole(path)
        with tiff_rows.open_rows(path, None) as rows:
            assert rows.shape == reference.shape == shape[:2] + ((3,) if shape[2] == 4 else ())
            assert np.array_equal(rows[:], reference)


NOT_STREAMED = {
    "JPEG": lambda path: write(path, pixels((16, 16, 3)), compression="jpeg"),
    "palette": lambda path: write(path, pixels((8, 8)), photometric="palette", colormap=pixels((3, 256), np.uint16)),
    "CMYK": lambda path: write(path, pixels((8, 8, 4)), photometric="separated", extrasamples=()),
    "separate planes": lambda path: write(path, pixels((3, 8, 8)), planarconfig="separate"),
    "float": lambda path: write(path, pixels((8, 8)).astype(np.float32)),
    "1-bit": lambda path: write(path, pixels((8, 8)) > 100),
    "signed": lambda path: write(path, pixels((8, 8)).astype(np.int16)),
    "associated alpha": lambda path: write(path, pixels((8, 8, 4)), extrasamples=("assocalpha",)),
    "two pages": lambda path: tifffile.imwrite(path, pixels((2, 8, 8)), metadata=None),
    "turned": lambda path: write(path, pixels((8, 9, 3)), extratags=[(274, 3, 1, 6, True)]),
    "miniswhite": lambda path: write(path, pixels((8, 8)), photometric="miniswhite"),
    "YCbCr": lambda path: Image.fromarray(pixels((8, 8, 3))).convert("YCbCr").save(path, format="TIFF"),
    "a PNG": lambda path: Image.fromarray(pixels((8, 8, 3))).save(path, format="PNG"),
}


@pytest.mark.parametrize("layout", NOT_STREAMED)
def test_what_is_not_streamed_is_left_to_read_image(layout, tmp_path):
    path = tmp_path / "in.tif"
    NOT_STREAMED[layout](path)
    assert tiff_rows.open_rows(path, None) is None


def test_a_missing_file_and_a_fifo_are_left_to_read_image(tmp_path):
    import os

    assert tiff_rows.open_rows(tmp_path / "missing.tif", None) is None
    os.mkfifo(tmp_path / "fifo.tif")
    threading.Thread(target=lambda: open(tmp_path / "fifo.tif", "wb").close(), daemon=True).start()
    assert tiff_rows.open_rows(tmp_path / "fifo.tif", None) is None


def test_an_image_over_pillows_own_limit_is_streamed(tmp_path, monkeypatch):
    """The user's --max-pixels is the limit, not Pillow's process-wide one (which read_image turns off)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = pixels((20, 30, 3))
    with tiff_rows.open_rows(write(tmp_path / "in.tif", data), None) as rows:
        assert np.array_equal(rows[:], data)
    assert Image.MAX_IMAGE_PIXELS == 100


def test_an_image_over_max_pixels_is_refused_as_read_image_refuses_it(tmp_path):
    path = write(tmp_path / "in.tif", pixels((20, 30, 3)))
    with pytest.raises(ConvcliError) as read:
        files.read_image(path, max_pixels=100)
    with pytest.raises(ConvcliError) as streamed:
        tiff_rows.open_rows(path, 100)
    assert str(streamed.value) == str(read.value)
    assert "600 pixels, over the limit of 100" in str(streamed.value)


def strip_at(path: Path, index: int) -> tuple[int, int]:
    with tifffile.TiffFile(path) as tiff:
        page = tiff.pages.first
        return page.dataoffsets[index], page.databytecounts[index]


def test_a_file_cut_short_is_refused_at_once_in_read_images_words(tmp_path):
    path = write(tmp_path / "in.tif", pixels((40, 30, 3)), rowsperstrip=8, compression="zlib")
    offset, count = strip_at(path, 4)
    path.write_bytes(path.read_bytes()[: offset + count // 2])
    with pytest.raises(ConvcliError) as caught:
        tiff_rows.open_rows(path, None)
    message = str(caught.value)
    assert message.startswith(f"{path}: damaged TIFF: it ends inside its strip or tile 5 of 5 (cut short)")
    assert "\n" not in message


def test_a_corrupt_strip_fails_the_band_that_needs_it_with_one_line(tmp_path):
    data = pixels((40, 30, 3))
    path = write(tmp_path / "in.tif", data, rowsperstrip=8, compression="zlib")
    offset, count = strip_at(path, 2)
    damaged = bytearray(path.read_bytes())
    damaged[offset + 2 : offset + count] = bytes(reversed(damaged[offset + 2 : offset + count]))
    path.write_bytes(bytes(damaged))
    with tiff_rows.open_rows(path, None) as rows:
        assert np.array_equal(rows[:16], data[:16])  # the strips before it read
        with pytest.raises(ConvcliError) as caught:
            rows[10:20]
    message = str(caught.value)
    assert message.startswith(f"{path}: damaged TIFF: strip or tile 3 of 5: its image data cannot be decoded (")
    assert "\n" not in message


def test_a_strip_that_decodes_short_is_damage(tmp_path):
    """A deflate strip that is whole and valid but holds fewer rows than the tags promise."""
    data = pixels((16, 10, 3))
    path = write(tmp_path / "in.tif", data, rowsperstrip=8, compression="zlib")
    offset, count = strip_at(path, 1)
    short = zlib.compress(data[8:12].tobytes())
    assert len(short) <= count
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(short)] = short
    path.write_bytes(bytes(raw))
    with tiff_rows.open_rows(path, None) as rows, pytest.raises(ConvcliError, match="damaged TIFF: strip or tile 2"):
        rows[12]


def test_threads_reading_bands_at_once_each_get_their_rows(tmp_path):
    data = pixels((300, 50, 3))
    path = write(tmp_path / "in.tif", data, rowsperstrip=3, compression="zlib")
    failures = []
    with tiff_rows.open_rows(path, None, cache_bytes=20_000) as rows:

        def read(start: int) -> None:
            for top in range(start, 300, 7):
                if not np.array_equal(rows[top : top + 20], data[top : top + 20]):
                    failures.append(top)

        threads = [threading.Thread(target=read, args=(start,)) for start in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_reading_top_to_bottom_keeps_the_cache_bounded(tmp_path):
    """A 4000x4000 RGB TIFF (48 MB decoded) read in bands of 64 rows with a halo: the cache
    holds at most its limit and one strip, never the image."""
    size = 4000
    data = np.broadcast_to(np.arange(size, dtype=np.uint8)[:, None, None], (size, size, 3))
    path = write(tmp_path / "big.tif", np.ascontiguousarray(data), rowsperstrip=16, compression="zlib")
    limit = 4 << 20
    most = 0
    with tiff_rows.open_rows(path, None, cache_bytes=limit) as rows:
        strip = 16 * size * 3
        for top in range(0, size, 64):
            band = rows[max(0, top - 5) : top + 64 + 5]
            assert band[0, 0, 0] == max(0, top - 5) % 256
            most = max(most, rows.cache.nbytes)
        assert np.array_equal(rows[-1], data[-1])
    assert 0 < most <= limit + strip


def test_an_uncompressed_single_strip_is_read_a_piece_at_a_time(tmp_path):
    """One strip holding the whole image: a band reads only the bytes of its rows."""
    data = pixels((300, 4000, 3))
    path = write(tmp_path / "in.tif", data)
    with tiff_rows.open_rows(path, None, cache_bytes=1) as rows:
        assert np.array_equal(rows[100:110], data[100:110])
        assert rows.cache.nbytes <= 1 << 20  # one piece of at most 1 MiB, not the 3.6 MB strip


def test_tags_that_disagree_on_the_strips_are_left_to_read_image(tmp_path):
    """Found by the fuzz test: two StripByteCounts and one StripOffsets."""
    import struct

    path = tmp_path / "odd.tif"
    tifffile.imwrite(path, np.zeros((16, 12), np.uint8), rowsperstrip=8)
    with tifffile.TiffFile(path) as tiff:
        entry = tiff.pages.first.tags["StripOffsets"].offset
    data = bytearray(path.read_bytes())
    data[entry + 4 : entry + 8] = struct.pack("<I", 1)
    path.write_bytes(bytes(data))
    assert tiff_rows.open_rows(path, None) is None
