"""Which TIFF tags a filtered image carries: those whose meaning survives filtering, with their
values intact, and no resolution the input did not state. Tags are read back as libtiff lays
them out, through tifffile, not through Pillow's view of them."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import tifffile
from PIL import Image
from processes import run_main

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
DESCRIPTIVE = {
    269: "scans.pdf",  # DocumentName
    270: "a scan",  # ImageDescription
    271: "Scanner Co",  # Make
    272: "S1",  # Model
    305: "scan 1.0",  # Software
    306: "2020:01:02 03:04:05",  # DateTime
    315: "Zoë Ångström".encode(),  # Artist, in UTF-8 as many writers put it, though TIFF says ASCII
    316: "lab-3",  # HostComputer
    33432: "(c) Ada",  # Copyright
}
# What ImageMagick writes into every TIFF, and the page tags it copies from a multi-page source.
WHITE_POINT = (3127, 10000, 329, 1000)
PAGES = [(297, 3, 2, (0, 1), True), (285, 2, 0, "page one", True)]  # PageNumber, PageName


def tags_of(path) -> dict:
    with tifffile.TiffFile(path) as tiff:
        return {tag.code: tag.value for tag in tiff.pages.first.tags}


def described(path, dtype, **options) -> None:
    """A TIFF with the descriptive tags, ImageMagick's WhitePoint, its page tags and an XMP packet."""
    extratags = [(code, 2, 0, value, True) for code, value in DESCRIPTIVE.items()]
    extratags += [(318, 5, 2, WHITE_POINT, True), (700, 1, len(XMP), XMP, True), *PAGES]
    pixels = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * (1 if dtype == np.uint8 else 1000)).astype(dtype)
    tifffile.imwrite(path, pixels, photometric="rgb", metadata=None, software=False, extratags=extratags, **options)


def bare_tiff(path, pixels: np.ndarray) -> None:
    """An uncompressed RGB TIFF with only the tags that lay out its pixels: no resolution at all
    (tifffile would write one)."""
    height, width, channels = pixels.shape
    bits = pixels.dtype.itemsize * 8
    data = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, bits) if channels == 1 else None,
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (273, 4, 1, 8),
        (277, 3, 1, channels),
        (278, 4, 1, height),
        (279, 4, 1, len(data)),
    ]
    offset = 8 + len(data)
    bits_at = offset + 2 + 12 * len(entries) + 4
    entries[2] = (258, 3, channels, bits_at)  # BitsPerSample, one a sample, stored after the directory
    directory = struct.pack("<H", len(entries))
    for code, kind, count, value in entries:
        directory += struct.pack("<HHII", code, kind, count, value)
    directory += struct.pack("<I", 0) + struct.pack(f"<{channels}H", *([bits] * channels))
    path.write_bytes(b"II*\x00" + struct.pack("<I", offset) + data + directory)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_descriptive_tags_travel_intact_and_page_tags_do_not(dtype, tmp_path):
    described(tmp_path / "in.tif", dtype, compression="zlib")
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "out.tif") == 0
    tags, given = tags_of(tmp_path / "out.tif"), tags_of(tmp_path / "in.tif")
    assert {code: tags.get(code) for code in DESCRIPTIVE} == {code: given[code] for code in DESCRIPTIVE}
    assert tags[271] == "Scanner Co" and "Zo" in tags[315]
    # libtiff, which Pillow writes compressed TIFFs through, keeps rationals as floats: 0.3127 to 1e-7.
    assert np.allclose(np.divide(tags[318][::2], tags[318][1::2]), [0.3127, 0.329], rtol=1e-7, atol=0)
    assert bytes(tags[700]) == XMP
    assert 297 not in tags and 285 not in tags  # PageNumber would make this page 2 of 15392
    assert tags[258] == (dtype().itemsize * 8,) * 3 and tags[259] in (8, 32946)  # its own layout, deflate kept


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_no_resolution_is_invented(dtype, tmp_path):
    bare_tiff(tmp_path / "in.tif", (np.arange(60).reshape(4, 5, 3) * 3).astype(dtype))
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "out.tif") == 0
    assert not {282, 283, 296} & set(tags_of(tmp_path / "out.tif"))  # Pillow said 1 dpi, tifffile 1 unitless
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "out.png") == 0
    assert b"pHYs" not in (tmp_path / "out.png").read_bytes()
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "out.jpg") == 0
    with Image.open(tmp_path / "out.jpg") as jpeg:
        assert jpeg.info.get("jfif_unit") == 0 and "dpi" not in jpeg.info


def test_a_jpeg_whose_exif_states_no_resolution_gets_none(tmp_path):
    exif = Image.Exif()
    exif[0x013B] = "Ada Lovelace"
    Image.new("RGB", (6, 4), "red").save(tmp_path / "in.jpg", exif=exif)  # JFIF without a unit
    for suffix in (".png", ".tif", ".jpg"):
        assert run_main("blur", tmp_path / "in.jpg", "-o", tmp_path / f"out{suffix}") == 0
    assert b"pHYs" not in (tmp_path / "out.png").read_bytes()  # Pillow reads such a JPEG as 72 dpi
    tags = tags_of(tmp_path / "out.tif")
    assert not {282, 283, 296} & set(tags) and tags[315] == "Ada Lovelace"
    with Image.open(tmp_path / "out.jpg") as jpeg:  # Pillow's 72 dpi is its own guess again: the file has none
        assert jpeg.info.get("jfif_unit") == 0 and not {282, 283, 296} & set(jpeg.getexif())


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_resolution_keeps_its_values_and_its_unit(dtype, tmp_path):
    pixels = np.zeros((4, 5, 3), dtype)
    tifffile.imwrite(tmp_path / "cm.tif", pixels, resolution=(118, 59), resolutionunit="CENTIMETER", metadata=None)
    tifffile.imwrite(tmp_path / "shape.tif", pixels, resolution=(2, 1), resolutionunit="NONE", metadata=None)
    assert run_main("blur", tmp_path / "cm.tif", "-o", tmp_path / "cm-out.tif") == 0
    tags = tags_of(tmp_path / "cm-out.tif")
    assert (tags[282], tags[283], tags[296]) == ((118, 1), (59, 1), 3)
    assert run_main("blur", tmp_path / "cm.tif", "-o", tmp_path / "cm-out.png") == 0
    with Image.open(tmp_path / "cm-out.png") as png:  # pHYs counts per metre: 11800 and 5900
        assert tuple(round(value, 2) for value in png.info["dpi"]) == (299.72, 149.86)
    assert run_main("blur", tmp_path / "shape.tif", "-o", tmp_path / "shape-out.tif") == 0
    tags = tags_of(tmp_path / "shape-out.tif")
    assert (tags[282], tags[283], tags[296]) == ((2, 1), (1, 1), 1)  # a pixel shape, no size
    assert run_main("blur", tmp_path / "shape.tif", "-o", tmp_path / "shape-out.png") == 0
    assert b"pHYs" not in (tmp_path / "shape-out.png").read_bytes()


def test_a_tiff_gets_the_exif_tags_and_the_xmp_together(tmp_path):
    exif = Image.Exif()
    exif[0x013B] = "Ada Lovelace"  # Artist
    exif[0x0110] = "S1"  # Model
    exif[0x0100] = 999  # ImageWidth, which some cameras put in their EXIF: not this image's width
    Image.new("RGB", (6, 4), "red").save(tmp_path / "in.jpg", exif=exif, xmp=XMP)
    assert run_main("blur", tmp_path / "in.jpg", "-o", tmp_path / "out.tif") == 0
    tags = tags_of(tmp_path / "out.tif")
    assert tags[315] == "Ada Lovelace" and tags[272] == "S1" and bytes(tags[700]) == XMP
    assert tags[256] == 6


def test_iptc_and_the_exif_directory_reach_a_tiff(tmp_path):
    from PIL import TiffImagePlugin

    iptc = b"\x1c\x02\x78\x00\x07caption"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2021:05:06 07:08:09"  # DateTimeOriginal, in the EXIF directory
    source = Image.new("RGB", (5, 4), "blue")
    source.save(tmp_path / "in.tif", exif=exif.tobytes())
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[33723] = iptc
    tags.tagtype[33723] = 7
    source.save(tmp_path / "iptc.tif", tiffinfo=tags)
    assert run_main("blur", tmp_path / "in.tif", "-o", tmp_path / "out.tif") == 0
    with tifffile.TiffFile(tmp_path / "out.tif") as tiff:
        assert tiff.pages.first.tags["ExifTag"].value["DateTimeOriginal"] == "2021:05:06 07:08:09"
    assert run_main("blur", tmp_path / "iptc.tif", "-o", tmp_path / "iptc-out.tif") == 0
    assert bytes(tags_of(tmp_path / "iptc-out.tif")[33723]) == iptc
