"""A TIFF written from blocks of rows (convcli.imaging.tiff_writer) with the tags today's
whole-image writers give, and the atomic streamed write (convcli.imaging.writing.streamed)."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import tifffile
from PIL import Image

from convcli.errors import ConvcliError
from convcli.imaging import files, sixteen, tiff_writer, writing

RNG = np.random.default_rng(16)
MODES = {"L": (), "LA": (2,), "RGB": (3,), "RGBA": (4,), "I;16": (), "LA;16": (2,), "RGB;16": (3,), "RGBA;16": (4,)}
# Layout tags, which differ by how many strips each writer makes.
LAYOUT = {273, 278, 279}


def image(mode: str, height: int = 45, width: int = 31) -> np.ndarray:
    dtype = np.uint16 if "16" in mode else np.uint8
    return RNG.integers(0, np.iinfo(dtype).max, (height, width, *MODES[mode]), dtype=dtype, endpoint=True)


def in_blocks(data: np.ndarray):
    """Blocks of 1, 7, 13, ... rows, as a pipeline might give them."""
    top, size = 0, 1
    while top < len(data):
        yield data[top : top + size]
        top, size = top + size, size + 6


def streamed_bytes(data: np.ndarray, mode: str, info: dict, **options) -> bytes:
    out = io.BytesIO()
    tiff_writer.write_tiff_rows(out, data.shape, data.dtype, in_blocks(data), mode=mode, info=info, **options)
    return out.getvalue()


def tags_of(data: bytes) -> dict:
    with tifffile.TiffFile(io.BytesIO(data)) as tiff:
        return {tag.code: tag.value for tag in tiff.pages.first.tags}


def today(data: np.ndarray, mode: str, info: dict, tmp_path) -> bytes:
    """What write_image_atomic or write_sixteen_atomic writes for the same image and info."""
    path = tmp_path / "today.tif"
    if mode in sixteen.MODES.values():
        writing.write_sixteen_atomic(data, path, "TIFF", info, force=True)
    else:
        writing.write_image_atomic(Image.fromarray(data), path, "TIFF", info=info, force=True)
    return path.read_bytes()


def source_info(tmp_path, compression: str | None) -> dict:
    """read_image's info of a TIFF with a profile, a resolution in centimetres, descriptive tags, XMP."""
    path = tmp_path / "source.tif"
    tifffile.imwrite(
        path,
        image("RGB", 4, 4),
        photometric="rgb",
        compression=compression,
        resolution=(118, 59),
        resolutionunit="CENTIMETER",
        iccprofile=b"\1" * 64,
        extratags=[(271, 2, 0, "Scanner Co", True), (315, 2, 0, "Ada", True), (700, 1, 5, b"<x/>!", True)],
        metadata=None,
        software=False,
    )
    return files.read_image(path)[1]


@pytest.mark.parametrize("compression", [None, "lzw", "zlib", "deflate", "packbits"])
@pytest.mark.parametrize("mode", MODES)
def test_read_back_equal_with_todays_tags(mode, compression, tmp_path):
    data = image(mode)
    info = source_info(tmp_path, compression)
    written = streamed_bytes(data, mode, info)
    assert np.array_equal(tifffile.imread(io.BytesIO(written)), data)
    if mode in ("L", "LA", "RGB", "RGBA", "I;16"):
        with Image.open(io.BytesIO(written)) as back:
            assert back.mode == mode and np.array_equal(np.asarray(back), data)
    tags, expected = laid_out(written), laid_out(today(data, mode, info, tmp_path))
    assert tags == expected
    assert tags[259] == {None: 1, "lzw": 5, "zlib": 8, "packbits": 32773}.get(compression, tags[259])


def laid_out(data: bytes) -> dict:
    """The tags of a TIFF but those of its strips' layout, with the defaults that one writer
    states and the other leaves unsaid (SamplesPerPixel 1, PlanarConfig 1 of grey)."""
    return {277: 1, 284: 1} | {code: value for code, value in tags_of(data).items() if code not in LAYOUT}


@pytest.mark.parametrize("mode", ["RGB", "RGB;16"])
def test_no_resolution_is_invented(mode, tmp_path):
    written = streamed_bytes(image(mode), mode, {})
    assert not {282, 283, 296} & set(tags_of(written))


def test_compression_replaces_infos():
    data = image("RGB")
    written = streamed_bytes(data, "RGB", {"compression": "tiff_lzw"}, compression="packbits")
    assert tags_of(written)[259] == 32773 and np.array_equal(tifffile.imread(io.BytesIO(written)), data)


def test_strips_of_about_64_kb():
    data = image("RGB", 500, 100)
    tags = tags_of(streamed_bytes(data, "RGB", {"compression": "tiff_adobe_deflate"}))
    assert tags[278] == 65536 // 300 and len(tags[273]) == -(-500 // tags[278])


def test_too_few_or_too_many_rows_fail():
    data = image("L", 20, 10)
    for blocks in ([data[:19]], [data, data[:1]]):
        with pytest.raises(ValueError, match="rows"):
            tiff_writer.write_tiff_rows(
                io.BytesIO(), data.shape, data.dtype, blocks, mode="L", info={}, compression="packbits"
            )


def test_bigtiff_where_classic_offsets_would_not_reach(monkeypatch):
    monkeypatch.setattr(tiff_writer, "_CLASSIC_ROOM", 1000)
    data = image("RGB")
    written = streamed_bytes(data, "RGB", {})
    assert written[2:4] == b"+\x00" and np.array_equal(tifffile.imread(io.BytesIO(written)), data)


# --- the streamed atomic write ------------------------------------------------------------------


def tiff_of(data: np.ndarray, mode: str):
    def write(stream, blocks):
        tiff_writer.write_tiff_rows(stream, data.shape, data.dtype, blocks, mode=mode, info={})

    return write


def test_streamed_publishes_the_file(tmp_path):
    data = image("RGB;16")
    with writing.streamed(tmp_path / "out.tif", "TIFF", tiff_of(data, "RGB;16")) as sink:
        for block in in_blocks(data):
            sink.put(block)
    assert np.array_equal(tifffile.imread(tmp_path / "out.tif"), data)
    assert os.listdir(tmp_path) == ["out.tif"]


def test_a_producer_that_raises_leaves_nothing(tmp_path):
    data = image("RGB")
    with pytest.raises(KeyError), writing.streamed(tmp_path / "out.tif", "TIFF", tiff_of(data, "RGB")) as sink:
        sink.put(data[:10])
        raise KeyError("the filter failed")  # not an encoder's failure: it passes as it is
    assert os.listdir(tmp_path) == []


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(tmp_path):
    data = image("L")
    (tmp_path / "out.tif").write_text("user data")

    def run(force: bool) -> None:
        with writing.streamed(tmp_path / "out.tif", "TIFF", tiff_of(data, "L"), force=force) as sink:
            sink.put(data)

    with pytest.raises(writing.Appeared, match="appeared while convcli was working; use --force"):
        run(force=False)
    assert (tmp_path / "out.tif").read_text() == "user data" and os.listdir(tmp_path) == ["out.tif"]
    run(force=True)
    assert np.array_equal(tifffile.imread(tmp_path / "out.tif"), data)


def test_an_encoder_failure_is_one_line_naming_the_file(tmp_path):
    data = image("L", 400, 100)
    told = tiff_of(image("RGB", 400, 100), "RGB")  # rows of another shape than the encoder is told
    with pytest.raises(ConvcliError) as caught, writing.streamed(tmp_path / "out.tif", "TIFF", told) as sink:
        for block in in_blocks(data):
            sink.put(block)
    assert str(caught.value).startswith(f"{tmp_path / 'out.tif'}: cannot write TIFF: a block of rows")
    assert os.listdir(tmp_path) == []


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ConvcliError, match="does not exist"):
        with writing.streamed(tmp_path / "no" / "out.tif", "TIFF", tiff_of(image("L"), "L")):
            pass


def test_stdout_gets_the_file_whole(tmp_path, capfdbinary, monkeypatch):
    import sys

    data = image("RGB")
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    with writing.streamed(files.STREAM, "TIFF", tiff_of(data, "RGB")) as sink:
        sink.put(data)
    assert np.array_equal(tifffile.imread(io.BytesIO(buffer.getvalue())), data)
