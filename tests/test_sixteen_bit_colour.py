"""16-bit colour, and 16-bit grey with alpha, read, filtered and written at 16 bits per channel.

Pillow holds no 16-bit colour; these images go through libpng (imagecodecs) and tifffile. The
results are read back here with those libraries, never with convcli, and never with Pillow,
which would narrow them to 8 bits.
"""

from __future__ import annotations

import io
import struct
import zlib

import imagecodecs
import numpy as np
import pytest
import scipy.ndimage
import tifffile
from processes import convcli, run_main, save

# grey and alpha, RGB, RGBA
CHANNELS = (2, 3, 4)


def fine(shape, seed=0) -> np.ndarray:
    """16-bit values in pairs that differ only below 1/256 (257 k and 257 k + 1..3): an 8-bit
    reading makes the two of a pair equal."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 255, shape) * 257 + rng.integers(1, 4, shape)).astype(np.uint16)


def write_png(pixels: np.ndarray, path, *chunks: tuple[bytes, bytes], after: tuple = ()) -> None:
    """libpng's PNG of `pixels`, with `chunks` after its header and `after` after its image data."""

    def laid(pairs) -> bytes:
        return b"".join(struct.pack(">I", len(d)) + c + d + struct.pack(">I", zlib.crc32(c + d)) for c, d in pairs)

    encoded = imagecodecs.png_encode(pixels)
    header_end = 8 + 8 + 13 + 4
    path.write_bytes(encoded[:header_end] + laid(chunks) + encoded[header_end:-12] + laid(after) + encoded[-12:])


def write_tiff(pixels: np.ndarray, path, **options) -> None:
    channels = pixels.shape[0 if options.get("planarconfig") == "separate" else -1]
    options.setdefault("photometric", "rgb" if channels >= 3 else "minisblack")
    options.setdefault("extrasamples", ("unassalpha",) if channels in (2, 4) else None)
    tifffile.imwrite(path, pixels, metadata=None, software=False, **options)


def read(path) -> np.ndarray:
    if path.suffix == ".png":
        return imagecodecs.png_decode(path.read_bytes())
    return tifffile.imread(path)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("channels", CHANNELS)
def test_values_that_differ_below_one_256th_survive_a_round_trip_bit_exact(suffix, channels, tmp_path):
    data = fine((6, 7, channels))
    source = tmp_path / f"in{suffix}"
    (write_png if suffix == ".png" else write_tiff)(data, source)
    assert run_main("apply", source, "-k", "identity", "-o", tmp_path / f"out{suffix}") == 0
    result = read(tmp_path / f"out{suffix}")
    assert result.dtype == np.uint16 and result.shape == data.shape
    assert np.array_equal(result, data)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_blur_of_16_bit_colour_agrees_with_scipy_on_the_16_bit_values(suffix, tmp_path):
    data = fine((12, 14, 3), seed=1)
    source = tmp_path / f"in{suffix}"
    (write_png if suffix == ".png" else write_tiff)(data, source)
    assert run_main("blur", source, "--sigma", "1.5", "-o", tmp_path / f"out{suffix}") == 0
    expected = scipy.ndimage.gaussian_filter(data.astype(np.float64), sigma=(1.5, 1.5, 0), mode="reflect")
    result = read(tmp_path / f"out{suffix}").astype(np.float64)
    assert np.abs(result - expected).max() <= 1
    assert len(np.unique(result % 257)) > 4  # the low bytes carry the blur, not only the high ones


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_depth_16_writes_8_bit_colour_as_16_bit_colour(suffix, tmp_path):
    rgba = np.random.default_rng(2).integers(0, 256, (5, 6, 4)).astype(np.uint8)
    rgba[..., 3] = 255
    save(rgba, tmp_path / "in.png")
    assert run_main("apply", tmp_path / "in.png", "-k", "identity", "--depth", "16", "-o", tmp_path / f"o{suffix}") == 0
    result = read(tmp_path / f"o{suffix}")
    assert result.dtype == np.uint16 and np.array_equal(result, rgba.astype(np.uint16) * 257)


def test_formats_without_16_bit_colour_still_get_8_bits_and_a_warning(tmp_path, capsys):
    data = fine((4, 5, 3))
    write_png(data, tmp_path / "in.png")
    assert run_main("apply", tmp_path / "in.png", "-k", "identity", "-o", tmp_path / "out.bmp") == 0
    assert "out.bmp: BMP holds 8 bits per channel; 16-bit values scaled to 0..255" in capsys.readouterr().err
    assert run_main("blur", tmp_path / "in.png", "--depth", "16", "-o", tmp_path / "out.jpg") == 2
    err = capsys.readouterr().err
    assert "JPEG cannot hold 16-bit RGB (--depth 16); write .npy, which holds any depth, or .png or .tif" in err
    assert "PNG cannot hold" not in err


def test_16_bit_grey_with_a_transparent_colour_key_gets_its_alpha(tmp_path):
    grey = fine((4, 6))
    grey[0, 0] = 1234
    write_png(grey, tmp_path / "in.png", (b"tRNS", struct.pack(">H", 1234)))
    assert run_main("apply", tmp_path / "in.png", "-k", "identity", "--alpha", "ignore", "-o", tmp_path / "o.png") == 0
    result = read(tmp_path / "o.png")
    assert result.shape == (4, 6, 2) and result[0, 0, 1] == 0 and (result[..., 1] == 65535).sum() == 23
    assert np.array_equal(result[..., 0], grey)


def test_a_png_keeps_its_profile_resolution_text_and_exif_and_is_turned_upright(tmp_path):
    from PIL import Image, ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x013B] = "Ada Lovelace"  # Artist
    exif[0x0112] = 6  # displayed turned 90 degrees clockwise
    data = fine((3, 5, 3))
    write_png(
        data,
        tmp_path / "in.png",
        (b"iCCP", b"sRGB\0\0" + zlib.compress(icc)),
        (b"pHYs", struct.pack(">IIB", 11811, 11811, 1)),  # 300 dpi
        (b"eXIf", exif.tobytes()[6:]),
        after=((b"tEXt", b"Title\0Cat"),),  # text after the image data, where Pillow looks only on load
    )
    assert run_main("apply", tmp_path / "in.png", "-k", "identity", "-o", tmp_path / "out.png") == 0
    result = read(tmp_path / "out.png")
    assert np.array_equal(result, np.rot90(data, -1))
    with Image.open(tmp_path / "out.png") as written:  # only the metadata is read through Pillow
        assert written.info.get("icc_profile") == icc
        assert tuple(round(d) for d in written.info["dpi"]) == (300, 300)
        assert written.getexif().get(0x013B) == "Ada Lovelace" and written.getexif().get(0x0112, 1) == 1
        assert written.text.get("Title") == "Cat"


def test_a_tiffs_alpha_premultiplied_into_its_colour_is_divided_out(tmp_path):
    straight = np.array([[[40000, 20000, 65535, 32768], [1000, 2000, 3000, 0]]], np.uint16)
    premultiplied = straight.copy()
    premultiplied[..., :3] = np.rint(straight[..., :3] * (straight[..., 3:] / 65535.0)).astype(np.uint16)
    write_tiff(premultiplied, tmp_path / "in.tif", extrasamples=("assocalpha",))
    assert run_main("apply", tmp_path / "in.tif", "-k", "identity", "--alpha", "ignore", "-o", tmp_path / "o.png") == 0
    result = read(tmp_path / "o.png")
    assert np.abs(result[0, 0].astype(int) - straight[0, 0]).max() <= 1 and result[0, 1, 3] == 0


def test_a_planar_tiff_and_an_oriented_one_are_read_as_they_show(tmp_path):
    data = fine((4, 6, 3))
    write_tiff(np.moveaxis(data, -1, 0), tmp_path / "planar.tif", planarconfig="separate", compression="zlib")
    write_tiff(data, tmp_path / "turned.tif", extratags=[(274, 3, 1, 8, True)])  # 90 degrees anticlockwise
    assert run_main("apply", tmp_path / "planar.tif", "-k", "identity", "-o", tmp_path / "p.png") == 0
    assert run_main("apply", tmp_path / "turned.tif", "-k", "identity", "-o", tmp_path / "t.tif") == 0
    assert np.array_equal(read(tmp_path / "p.png"), data)
    assert np.array_equal(read(tmp_path / "t.tif"), np.rot90(data, 1))
    with tifffile.TiffFile(tmp_path / "t.tif") as tiff:
        assert 274 not in tiff.pages.first.tags  # used up on load


def test_16_bit_colour_through_stdin_and_stdout(tmp_path):
    data = fine((5, 4, 2))
    write_tiff(data, tmp_path / "in.tif", compression="lzw", predictor=True)
    result = convcli("apply", "-", "-k", "identity", cwd=tmp_path, stdin=(tmp_path / "in.tif").read_bytes())
    assert result.returncode == 0, result.stderr.decode()
    assert np.array_equal(tifffile.imread(io.BytesIO(result.stdout)), data)  # stdout gets the input's format


def test_the_size_limit_is_checked_from_the_header_before_decoding(tmp_path, capsys):
    write_png(fine((20, 30, 3)), tmp_path / "in.png")
    write_tiff(fine((20, 30, 4)), tmp_path / "in.tif")
    for name in ("in.png", "in.tif"):
        assert run_main("blur", tmp_path / name, "--max-pixels", "500", "-o", tmp_path / "o.png") == 1
        assert "30x20 is 600 pixels, over the limit of 500" in capsys.readouterr().err
    # A header that promises 100000 x 100000 pixels in a file of a few hundred bytes.
    bomb = bytearray((tmp_path / "in.png").read_bytes())
    bomb[16:24] = struct.pack(">II", 100_000, 100_000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
    (tmp_path / "bomb.png").write_bytes(bytes(bomb))
    assert run_main("blur", tmp_path / "bomb.png", "--max-pixels", "0", "-o", tmp_path / "b.png") == 1
    assert "damaged PNG: its header promises 10,000,000,000 pixels" in capsys.readouterr().err


def test_damage_is_found_before_the_16_bit_decoders_are_trusted(tmp_path, capsys):
    write_png(fine((20, 30, 3)), tmp_path / "in.png")
    data = bytearray((tmp_path / "in.png").read_bytes())
    data[60] ^= 0xFF  # inside the image data
    (tmp_path / "flipped.png").write_bytes(bytes(data))
    (tmp_path / "short.png").write_bytes(bytes(data[: len(data) // 2]))
    write_tiff(fine((20, 30, 3)), tmp_path / "in.tif", compression="zlib", rowsperstrip=5)
    tiff = (tmp_path / "in.tif").read_bytes()
    (tmp_path / "short.tif").write_bytes(tiff[: len(tiff) // 2])
    for name, said in (
        ("flipped.png", "damaged PNG: its 'IDAT' chunk fails its CRC check"),
        ("short.png", "damaged PNG"),
        ("short.tif", "damaged TIFF"),
    ):
        assert run_main("blur", tmp_path / name, "-o", tmp_path / f"o-{name}.png") == 1, name
        assert said in capsys.readouterr().err, name
    assert not list(tmp_path.glob("o-*"))


def test_more_frames_or_pages_are_refused_as_for_8_bits(tmp_path, capsys):
    actl = (b"acTL", struct.pack(">II", 2, 0))
    write_png(fine((3, 4, 3)), tmp_path / "animated.png", actl)
    with tifffile.TiffWriter(tmp_path / "pages.tif") as tiff:
        for _ in range(2):
            tiff.write(fine((3, 4, 3)), photometric="rgb", metadata=None)
    for name in ("animated.png", "pages.tif"):
        assert run_main("blur", tmp_path / name, "-o", tmp_path / "o.png") == 1
        assert "has more than one frame or page" in capsys.readouterr().err
