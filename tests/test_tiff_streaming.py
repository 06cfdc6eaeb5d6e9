"""A TIFF that convcli reads a band of rows at a time is filtered a strip at a time and, into
a TIFF, written a block of rows at a time: never held whole, and giving what the whole-image
path gives for the same pixels."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image
from processes import files_in, run_main

from convcli.engine import strips
from convcli.imaging import pipeline, process, tiff_rows, tiff_writer


def _pixels(shape, dtype=np.uint8, seed=0):
    """Photo-like values; alpha, where there is one, nowhere fully transparent (a kernel with
    negative weights, which keeps alpha, would fill the colour there from the whole image)."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    ramp = np.add.outer(np.linspace(0, 0.6, shape[0]), np.linspace(0, 0.4, shape[1]))
    values = ramp.reshape(shape[:2] + (1,) * (len(shape) - 2)) + 0.3 * rng.random(shape)
    return np.round(np.clip(values, 1 / top, 1) * top).astype(dtype)


@pytest.fixture
def watched(monkeypatch):
    """The largest band of rows read from a TIFF, and the blocks written, while convcli runs."""
    seen = {"rows": 0, "blocks": []}
    read = tiff_rows.TiffRows.__getitem__

    def reading(self, key):
        band = read(self, key)
        seen["rows"] = max(seen["rows"], 1 if np.ndim(key) == 0 and not isinstance(key, slice) else len(band))
        return band

    write = tiff_writer.write_tiff_rows

    def writing(stream, shape, dtype, blocks, **options):
        def counted():
            for block in blocks:
                seen["blocks"].append(len(block))
                yield block

        write(stream, shape, dtype, counted(), **options)

    monkeypatch.setattr(tiff_rows.TiffRows, "__getitem__", reading)
    monkeypatch.setattr(tiff_writer, "write_tiff_rows", writing)
    monkeypatch.setattr(process, "_BLOCK_BYTES", 4_000)  # blocks of a few rows
    monkeypatch.setattr(pipeline, "_SCAN_BYTES", 4_000)  # alpha looked at a few rows at a time
    monkeypatch.setattr(strips, "CACHE_BYTES", 8_000)  # and strips of a few rows
    monkeypatch.setattr(strips, "CACHE_BYTES_THREADED", 8_000)
    return seen


@pytest.mark.parametrize(
    "shape, dtype, compression, tile",
    [
        ((301, 170, 3), np.uint8, "zlib", None),
        ((257, 90), np.uint8, "lzw", None),
        ((200, 130, 4), np.uint16, None, (32, 32)),
        ((150, 99, 2), np.uint8, "packbits", None),
    ],
    ids=["rgb-deflate", "grey-lzw", "rgba16-tiled", "grey-alpha-packbits"],
)
@pytest.mark.parametrize("command", [["blur", "--sigma", "2"], ["sharpen"]])
def test_a_tiff_is_filtered_and_written_a_band_at_a_time(shape, dtype, compression, tile, command, tmp_path, watched):
    pixels = _pixels(shape, dtype)
    extrasamples = ("unassalpha",) if shape[-1] in (2, 4) and len(shape) == 3 else None
    photometric = "rgb" if len(shape) == 3 and shape[2] >= 3 else "minisblack"
    options = {"tile": tile} if tile else {"rowsperstrip": 7}
    tifffile.imwrite(
        tmp_path / "in.tif",
        pixels,
        compression=compression,
        photometric=photometric,
        extrasamples=extrasamples,
        **options,
    )
    np.save(tmp_path / "same.npy", pixels)  # the same pixels, read whole
    assert run_main(*command, tmp_path / "in.tif", "-o", tmp_path / "out.tif") == 0
    assert (
        run_main(*command, tmp_path / "same.npy", "-o", tmp_path / "whole.npy", "--depth", str(8 * pixels.itemsize))
        == 0
    )
    streamed, whole = tifffile.imread(tmp_path / "out.tif").astype(int), np.load(tmp_path / "whole.npy")
    # The same pixels, to the level where float rounding of a sum near an exact half differs
    # (strips of other heights sum in another order); a 16-bit level is 1/65535.
    assert np.abs(streamed - whole).max() <= 1 and np.count_nonzero(streamed - whole) <= whole.size // 100
    assert 0 < watched["rows"] < shape[0] // 2, "the TIFF was read whole"
    assert len(watched["blocks"]) > 3 and sum(watched["blocks"]) == shape[0], "the TIFF was written whole"
    with tifffile.TiffFile(tmp_path / "in.tif") as given, tifffile.TiffFile(tmp_path / "out.tif") as written:
        page = written.pages.first
        assert page.compression == given.pages.first.compression  # the input's lossless compression kept
        assert page.dtype == dtype and page.shape == shape


def test_a_tiff_into_another_format_is_read_a_band_at_a_time(tmp_path, watched):
    pixels = _pixels((240, 160, 3))
    tifffile.imwrite(tmp_path / "in.tif", pixels, photometric="rgb", rowsperstrip=5)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "a.png") == 0
    assert run_main("blur", tmp_path / "in.png", "-o", tmp_path / "b.png") == 0
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png"))
    )
    assert 0 < watched["rows"] < 120 and watched["blocks"] == []


def test_a_strip_damaged_far_down_fails_the_run_and_leaves_nothing(tmp_path, capsys):
    pixels = _pixels((400, 64, 3))
    tifffile.imwrite(tmp_path / "in.tif", pixels, photometric="rgb", rowsperstrip=8, compression="zlib")
    with tifffile.TiffFile(tmp_path / "in.tif") as tiff:
        offset = tiff.pages.first.dataoffsets[-3]
    data = bytearray((tmp_path / "in.tif").read_bytes())
    data[offset : offset + 16] = bytes(16)
    (tmp_path / "in.tif").write_bytes(bytes(data))
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "out.tif") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "in.tif: damaged TIFF" in err[0], err
    assert files_in(tmp_path) == {"in.tif"}
