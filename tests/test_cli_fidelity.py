"""The command line keeps what an image holds: frames, size limits, quality, alpha, metadata,
light, bit depth, modes and the mapping of signed results."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from processes import SAMPLES, convcli, failed, files_in, ok, pixels, run_main, save
from scipy import ndimage

from convcli.kernels import named


def test_animations_and_multi_page_files_are_refused_not_cut_to_one_frame(tmp_path):
    frames = [Image.fromarray(np.full((4, 5), value, np.uint8)) for value in (0, 120, 240)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    for name in ("anim.gif", "pages.tif"):
        failed(
            convcli("blur", name, cwd=tmp_path), 1, name, "more than one frame or page", "single images", f"'{name}[0]'"
        )
    assert files_in(tmp_path) == {"anim.gif", "pages.tif"}


def test_max_pixels_guards_against_decompression_bombs(dot, tmp_path):
    """A 7x9 image is 63 pixels: over a limit of 50, under one of 63."""
    line = failed(convcli("blur", dot, "--max-pixels", "50", cwd=tmp_path), 1, str(dot), "63 pixels", "--max-pixels")
    assert "decompression" in line
    ok(convcli("blur", dot, "--max-pixels", "63", cwd=tmp_path, terminal=True))
    ok(convcli("blur", dot, "--max-pixels", "0", "-o", "unlimited.png", cwd=tmp_path))


def test_pillows_own_bomb_limit_is_replaced_by_convclis(tmp_path):
    """An image over Pillow's default limit is refused with convcli's message, not Pillow's warning."""
    Image.new("L", (9500, 9500)).save(tmp_path / "huge.png")  # 90.25 Mpx of zeros: a small file
    failed(convcli("blur", "huge.png", cwd=tmp_path), 1, "huge.png", "9500x9500", "--max-pixels")


def test_quality_sets_jpeg_and_webp_compression(tmp_path):
    source = SAMPLES / "chelsea.png"
    for suffix in (".jpg", ".webp"):
        ok(convcli("apply", source, "-k", "identity", "--quality", "20", "-o", f"low{suffix}", cwd=tmp_path))
        ok(convcli("apply", source, "-k", "identity", "--quality", "95", "-o", f"high{suffix}", cwd=tmp_path))
        assert (tmp_path / f"low{suffix}").stat().st_size < (tmp_path / f"high{suffix}").stat().st_size / 2
    # JPEG defaults to 92, not Pillow's 75.
    ok(convcli("apply", source, "-k", "identity", "-o", "default.jpg", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "identity", "--quality", "92", "-o", "q92.jpg", cwd=tmp_path))
    assert (tmp_path / "default.jpg").read_bytes() == (tmp_path / "q92.jpg").read_bytes()
    failed(convcli("blur", source, "--quality", "0", "-o", "x.jpg", cwd=tmp_path), 2, "--quality")


@pytest.mark.parametrize(
    "options, edge, flat",
    [
        ([], 0, 0),  # -400 clipped to black
        (["--clip"], 0, 0),  # the default, said aloud
        (["--abs"], 255, 0),  # |-400| clipped to white
        (["--rescale"], 0, 255),  # min -400 -> 0, max 0 -> 255
        (["--scale", "0.25", "--offset", "128"], 28, 128),  # GIMP-style divisor 4, offset 128
        (["--offset", "500"], 100, 255),
    ],
)
def test_apply_maps_signed_results_as_asked(options, edge, flat, step, tmp_path):
    """Correlating sobel-x gives -400 on an edge that brightens to the right, 0 elsewhere."""
    ok(convcli("apply", step, "-k", "sobel-x", "--correlate", *options, "-o", "out.png", cwd=tmp_path))
    got = pixels(tmp_path / "out.png")
    assert got[:, 3:5].min() == got[:, 3:5].max() == edge
    assert got[:, :2].min() == got[:, 6:].max() == flat


@pytest.mark.parametrize(
    "options, fragment",
    [
        (["--abs", "--rescale"], "exclude each other"),
        (["--clip", "--abs"], "exclude each other"),
        (["--rescale", "--clip"], "exclude each other"),
        (["--scale", "0"], "--scale 0"),
        (["--offset", "nan"], "--offset"),
        (["--rescale", "--offset", "10"], "no effect with --rescale"),
    ],
)
def test_apply_mapping_usage_errors(options, fragment, dot, tmp_path):
    failed(convcli("apply", dot, "-k", "emboss", *options, cwd=tmp_path), 2, fragment)


def test_blur_of_a_transparent_image_has_no_dark_fringe(red_square, tmp_path):
    ok(convcli("blur", red_square, "--sigma", "2", "-o", "soft.png", cwd=tmp_path))
    got = pixels(tmp_path / "soft.png").astype(int)
    fringe = (got[..., 3] > 0) & (got[..., 3] < 255)
    assert fringe.sum() > 50  # the edge is now partly transparent
    assert got[..., 0][fringe].min() >= 254 and got[..., 1:3][fringe].max() <= 1  # and still pure red

    ok(convcli("blur", red_square, "--sigma", "2", "--alpha", "ignore", "-o", "dark.png", cwd=tmp_path))
    dark = pixels(tmp_path / "dark.png").astype(int)
    assert np.array_equal(dark[..., 3], pixels(red_square)[..., 3])  # alpha untouched
    inside = pixels(red_square)[..., 3] == 255
    assert dark[..., 0][inside].min() < 200  # the black behind the transparency bled in


def test_alpha_separate_blurs_colour_and_alpha_each_as_they_are(red_square, tmp_path):
    ok(convcli("blur", red_square, "--sigma", "2", "--alpha", "separate", "-o", "out.png", cwd=tmp_path))
    got = pixels(tmp_path / "out.png").astype(int)
    premultiplied = pixels(red_square)
    fringe = (got[..., 3] > 0) & (got[..., 3] < 255)
    assert fringe.sum() > 50 and got[..., 0][fringe].min() < 128  # dark fringe: colour not weighted
    assert not np.array_equal(got[..., 3], premultiplied[..., 3])


def test_edge_filters_leave_alpha_alone_by_default(red_square, tmp_path):
    ok(convcli("sobel", red_square, cwd=tmp_path, terminal=True))
    ok(convcli("apply", red_square, "-k", "emboss", cwd=tmp_path, terminal=True))
    for name in ("square.sobel.png", "square.emboss.png"):
        assert np.array_equal(pixels(tmp_path / name)[..., 3], pixels(red_square)[..., 3])


def test_icc_profile_resolution_and_exif_survive_with_the_orientation_reset(tmp_path):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x013B] = "Ada Lovelace"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(tmp_path / "in.png", icc_profile=icc, dpi=(300, 300), exif=exif)
    for suffix in (".png", ".jpg", ".tif"):
        ok(convcli("blur", "in.png", "-o", f"out{suffix}", cwd=tmp_path))
        with Image.open(tmp_path / f"out{suffix}") as result:
            assert result.size == (2, 3)  # turned upright on load
            assert result.info.get("icc_profile") == icc
            assert tuple(round(d) for d in result.info["dpi"]) == (300, 300)
            written = result.getexif()
            assert written.get(0x013B) == "Ada Lovelace" and written.get(0x0112, 1) == 1


def test_tiff_tags_travel_but_not_the_tiff_layout(tmp_path):
    from PIL import TiffImagePlugin

    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[271], tags[305], tags[33432] = "Scanner Co", "scan 1.0", "(c) Ada"  # Make, Software, Copyright
    Image.fromarray(np.zeros((4, 5), np.float32)).save(tmp_path / "in.tif", tiffinfo=tags)
    for suffix in (".png", ".jpg", ".tif"):
        ok(convcli("blur", "in.tif", "-o", f"out{suffix}", cwd=tmp_path))
        with Image.open(tmp_path / f"out{suffix}") as result:
            written = result.getexif()
            assert (written.get(271), written.get(305), written.get(33432)) == ("Scanner Co", "scan 1.0", "(c) Ada")
            if suffix != ".tif":  # a float TIFF's sample format and strips describe no PNG or JPEG
                assert not {256, 258, 273, 339} & set(written)


def test_a_cmyk_profile_is_not_attached_to_the_rgb_result(tmp_path):
    Image.new("CMYK", (3, 2), (0, 255, 0, 0)).save(tmp_path / "in.jpg", icc_profile=b"not an RGB profile")
    ok(convcli("blur", "in.jpg", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        assert result.mode == "RGB" and "icc_profile" not in result.info


def test_linear_light_makes_a_blurred_black_white_edge_lighter(tmp_path):
    image = np.zeros((5, 10), np.uint8)
    image[:, 5:] = 255
    source = save(image, tmp_path / "edge.png")
    ok(convcli("apply", source, "-k", "0.5 0.5", "-o", "gamma.png", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "0.5 0.5", "--linear", "-o", "linear.png", cwd=tmp_path))
    # Column 4 mixes black (4) and white (5) half and half: 128 in stored values, but half
    # the light is sRGB 188.
    assert pixels(tmp_path / "gamma.png")[2, 4] == 128
    assert pixels(tmp_path / "linear.png")[2, 4] == 188
    # Flat regions are unchanged by the round trip.
    assert pixels(tmp_path / "linear.png")[2, 0] == 0 and pixels(tmp_path / "linear.png")[2, 9] == 255


def test_fully_transparent_pixels_stay_black_with_every_method(tmp_path):
    """Premultiplied, colour is divided by the filtered alpha: the FFT's rounding noise over
    a near-zero alpha must not come out as colour."""
    image = np.zeros((160, 160, 2), np.uint8)
    image[60:100, 60:100] = (200, 255)
    source = save(image, tmp_path / "la.png")
    results = {}
    for method in ("direct", "fft"):
        ok(convcli("blur", source, "--sigma", "8", "--method", method, "-o", f"{method}.png", cwd=tmp_path))
        results[method] = pixels(tmp_path / f"{method}.png").astype(int)
        transparent = results[method][..., 1] == 0
        assert transparent.sum() > 1000 and results[method][..., 0][transparent].max() == 0
    assert np.abs(results["direct"] - results["fft"]).max() <= 1


def test_rescale_leaves_a_flat_result_as_it_is(tmp_path):
    source = save(np.full((5, 6), 100, np.uint8), tmp_path / "flat.png")
    ok(convcli("apply", source, "-k", "emboss", "--rescale", "-o", "out.png", cwd=tmp_path))
    assert pixels(tmp_path / "out.png").min() == pixels(tmp_path / "out.png").max() == 100


def test_quality_on_a_lossless_format_warns(dot, tmp_path):
    err = ok(convcli("blur", dot, "--quality", "50", "-o", "out.png", cwd=tmp_path))
    assert "warning:" in err and "--quality applies to JPEG and WebP only" in err


def test_high_quality_jpeg_keeps_full_resolution_colour(tmp_path):
    from PIL import JpegImagePlugin

    for quality, sampling in (("92", 0), ("75", 2)):  # 4:4:4 from 90 up, as ImageMagick; else 4:2:0
        ok(convcli("blur", SAMPLES / "chelsea.png", "--quality", quality, "-o", f"q{quality}.jpg", cwd=tmp_path))
        with Image.open(tmp_path / f"q{quality}.jpg") as result:
            assert JpegImagePlugin.get_sampling(result) == sampling


# --- modes and bit depths -------------------------------------------------------------------

SOBEL_X = named.sobel_x()


def test_float_tiff_in_gives_float_tiff_out_with_signed_values(tmp_path):
    data = np.random.default_rng(1).normal(0, 1000, (12, 15)).astype(np.float32)
    Image.fromarray(data).save(tmp_path / "data.tif")
    ok(convcli("apply", "data.tif", "-k", "sobel-x", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "data.sobel-x.tif") as result:
        assert result.mode == "F"
        got = np.asarray(result)
    want = ndimage.convolve(data.astype(np.float64), SOBEL_X, mode="reflect")
    assert got.min() < -1000  # signed and unclipped
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-2)


def test_32_bit_integer_tiff_keeps_values_past_16_and_24_bits(tmp_path):
    data = np.array([[-70000, 0, 5], [2**31 - 1, 16_777_217, -(2**31)]], np.int32)
    Image.fromarray(data).save(tmp_path / "counts.tif")
    ok(convcli("apply", "counts.tif", "-k", "identity", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "counts.identity.tif") as result:
        assert result.mode == "I"
        np.testing.assert_array_equal(np.asarray(result), data)  # 16,777,217 needs more than float32


def test_depth_float_keeps_the_exact_signed_values_in_tiff_and_npy(step, tmp_path):
    original = pixels(step).astype(np.float64)
    want = ndimage.convolve(original, SOBEL_X, mode="reflect")
    assert want.max() > 255
    ok(convcli("apply", step, "-k", "sobel-x", "--depth", "float", "-o", "gx.tif", cwd=tmp_path))
    with Image.open(tmp_path / "gx.tif") as result:
        assert result.mode == "F"
        np.testing.assert_array_equal(np.asarray(result), want)
    flipped = ndimage.correlate(original, SOBEL_X, mode="reflect")
    assert flipped.min() < 0
    ok(convcli("apply", step, "-k", "sobel-x", "--correlate", "--depth", "float", "-o", "c.tif", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "c.tif"), flipped)
    ok(convcli("apply", step, "-k", "sobel-x", "-o", "gx.npy", cwd=tmp_path))  # .npy: float by default
    array = np.load(tmp_path / "gx.npy")
    assert array.dtype == np.float32
    np.testing.assert_array_equal(array, want)
    ok(convcli("apply", step, "-k", "sobel-x", "--depth", "8", "-o", "gx8.npy", cwd=tmp_path))
    assert np.load(tmp_path / "gx8.npy").dtype == np.uint8
    np.testing.assert_array_equal(np.load(tmp_path / "gx8.npy"), np.clip(want, 0, 255))


def test_depth_16_keeps_what_8_bits_would_round_away(tmp_path):
    image = np.tile(np.array([[10, 11]], np.uint8), (3, 2))
    source = save(image, tmp_path / "fine.png")
    ok(convcli("apply", source, "-k", "0.5 0.5", "--depth", "16", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        assert result.mode.startswith("I;16") or result.mode == "I"
        values = np.asarray(result)
    # (10 + 11) / 2 = 10.5 in 8-bit units is 2698.5 in 16-bit units (rounded to even), where an
    # 8-bit result would have been 10 or 11. The last column averages 11 with its reflection.
    assert values[:, :3].ravel().tolist() == [2698] * 9 and values[:, 3].tolist() == [11 * 257] * 3


def test_depth_8_scales_16_bit_values_down(tmp_path):
    source = save(np.array([[0, 257 * 100, 65535]], np.uint16), tmp_path / "deep.png")
    ok(convcli("apply", source, "-k", "identity", "--depth", "8", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        assert result.mode == "L" and np.asarray(result).tolist() == [[0, 100, 255]]


@pytest.mark.parametrize(
    "image, output, fragments",
    [
        ("grey", "out.png", ("PNG cannot hold float grey", "--depth float", ".npy", ".tif")),
        ("colour", "out.gif", ("GIF cannot hold 16-bit RGB", ".npy", ".png or .tif")),
        ("colour", "out.tif", ("TIFF cannot hold float RGB", ".npy")),
        ("grey", "out.jpg", ("JPEG cannot hold 16-bit grey",)),
    ],
)
def test_a_depth_the_format_cannot_hold_is_a_usage_error(image, output, fragments, tmp_path):
    array = np.zeros((4, 5), np.uint8) if image == "grey" else np.zeros((4, 5, 3), np.uint8)
    source = save(array, tmp_path / "in.png")
    depth = "float" if "float" in fragments[0] else "16"
    failed(convcli("blur", source, "--depth", depth, "-o", output, cwd=tmp_path), 2, output, *fragments)
    assert files_in(tmp_path) == {"in.png"}


def test_float_into_an_8_bit_format_is_clipped_with_a_warning(tmp_path):
    Image.fromarray(np.array([[-5.0, 100.4, 300.0]], np.float32)).save(tmp_path / "data.tif")
    err = ok(convcli("apply", "data.tif", "-k", "identity", "-o", "view.png", cwd=tmp_path))
    assert "PNG holds no float grey; the values are written as 8-bit integers, rounded, and clipped" in err
    assert pixels(tmp_path / "view.png").tolist() == [[0, 100, 255]]


def test_npy_in_and_out_round_trip_exactly(tmp_path):
    data = np.random.default_rng(2).normal(0, 1, (6, 7)).astype(np.float64)
    np.save(tmp_path / "field.npy", data)
    ok(convcli("apply", "field.npy", "-k", "identity", cwd=tmp_path, terminal=True))
    back = np.load(tmp_path / "field.identity.npy")
    assert back.dtype == np.float64  # float64 data is filtered and written in float64
    np.testing.assert_array_equal(back, data)
    rgba = np.random.default_rng(3).integers(0, 256, (5, 6, 4), dtype=np.uint8)
    np.save(tmp_path / "rgba.npy", rgba)
    ok(convcli("apply", "rgba.npy", "-k", "shift", "-o", "moved.png", cwd=tmp_path))
    moved = pixels(tmp_path / "moved.png")
    assert moved.shape == (5, 6, 4) and np.array_equal(moved[:, 1:], rgba[:, :-1])


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "bad.npy: is empty (0 bytes)"),
        (b"\x93NUMPY garbage", "not a NumPy .npy array"),
        ("pickle", "holds Python objects, which convcli never unpickles"),
        ("complex", "arrays of complex128 are not supported"),
        ("cube", "is not an image"),
    ],
)
def test_bad_npy_files_are_clear_errors(content, fragment, tmp_path):
    path = tmp_path / "bad.npy"
    if content == "pickle":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif content == "complex":
        np.save(path, np.zeros((3, 3), complex))
    elif content == "cube":
        np.save(path, np.zeros((3, 3, 3, 3)))
    else:
        path.write_bytes(content)
    failed(convcli("blur", path, cwd=tmp_path), 1, "bad.npy", fragment)
    assert files_in(tmp_path) == {"bad.npy"}


def test_bilevel_images_stay_bilevel_when_the_result_is_black_and_white(tmp_path):
    bits = np.zeros((6, 8), bool)
    bits[2:4, 3:5] = True
    Image.fromarray(bits).save(tmp_path / "bits.png")
    ok(convcli("apply", "bits.png", "-k", "shift", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "bits.shift.png") as result:
        assert result.mode == "1"
        assert np.array_equal(np.asarray(result)[:, 1:], bits[:, :-1])
    ok(convcli("blur", "bits.png", "--sigma", "1", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "bits.blur.png") as result:
        assert result.mode == "L" and 0 < np.asarray(result)[1, 3] < 255  # grey shades need grey


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_images_stay_palette_images_while_their_colours_fit(transparent, tmp_path):
    indices = np.random.default_rng(4).integers(0, 3, (30, 40), dtype=np.uint8)
    palette = Image.frombytes("P", (40, 30), indices.tobytes())
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    if transparent:
        palette.info["transparency"] = bytes([255, 100, 0])
    palette.save(tmp_path / "pal.png")
    shown = np.asarray(palette.convert("RGBA"))
    # --alpha separate: premultiplying would blacken the colour under fully transparent pixels.
    ok(
        convcli(
            "apply", "pal.png", "-k", "shift", "--border", "wrap", "--alpha", "separate", cwd=tmp_path, terminal=True
        )
    )
    with Image.open(tmp_path / "pal.shift.png") as result:
        assert result.mode == "P"
        assert np.array_equal(np.asarray(result.convert("RGBA")), np.roll(shown, 1, axis=1))
    ok(convcli("blur", "pal.png", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "pal.blur.png") as result:
        assert result.mode == ("RGBA" if transparent else "RGB")  # a blur's thousands of shades


def test_cmyk_is_filtered_as_inks_and_stays_cmyk_with_its_profile(tmp_path):
    inks = np.zeros((6, 8, 4), np.uint8)
    inks[:, 4:] = (10, 200, 30, 90)
    Image.frombytes("CMYK", (8, 6), inks.tobytes()).save(tmp_path / "print.tif", icc_profile=b"a CMYK profile")
    ok(convcli("apply", "print.tif", "-k", "0.5 0.5", "-o", "out.tif", cwd=tmp_path))
    with Image.open(tmp_path / "out.tif") as result:
        assert result.mode == "CMYK" and result.info.get("icc_profile") == b"a CMYK profile"
        got = np.asarray(result).astype(float)
    want = np.rint(ndimage.convolve(inks.astype(float), np.array([[0.5, 0.5]])[..., np.newaxis], mode="reflect"))
    np.testing.assert_array_equal(got, want)


def test_cmyk_into_a_format_without_cmyk_becomes_rgb_with_a_warning(tmp_path):
    Image.new("CMYK", (4, 3), (0, 255, 0, 0)).save(tmp_path / "print.jpg")
    err = ok(convcli("blur", "print.jpg", "-o", "out.png", cwd=tmp_path))
    assert "PNG has no CMYK; converted to RGB" in err
    with Image.open(tmp_path / "out.png") as result:
        assert result.mode == "RGB"


def test_linear_light_refuses_cmyk(tmp_path):
    Image.new("CMYK", (4, 3)).save(tmp_path / "print.tif")
    failed(convcli("blur", "print.tif", "--linear", cwd=tmp_path), 2, "print.tif", "CMYK", "not sRGB")


def _png_48_bit(pixels: np.ndarray, path) -> None:
    """A 16-bit RGB PNG, which Pillow reads but cannot write."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width, _ = pixels.shape
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def test_16_bit_colour_read_as_8_bits_is_said_not_hidden(tmp_path):
    # PNG keeps its 16 bits (tests/test_sixteen_bit_colour.py); Pillow still narrows a 48-bit PPM.
    _png_48_bit(np.full((3, 4, 3), 1000, np.uint16), tmp_path / "scan.png")
    assert "8 bits" not in ok(convcli("blur", "scan.png", cwd=tmp_path, terminal=True))
    (tmp_path / "scan.ppm").write_bytes(b"P6 4 3 65535\n" + np.full((3, 4, 3), 1000, ">u2").tobytes())
    err = ok(convcli("blur", "scan.ppm", "-o", "ppm.png", cwd=tmp_path))
    assert "scan.ppm: this 16-bit colour PPM is read by Pillow at 8 bits per channel" in err
    assert "8 bits" not in ok(convcli("blur", SAMPLES / "chelsea.png", "-o", "c.png", cwd=tmp_path))


# --- found by a trial of the depths and modes -------------------------------------------------


def test_offset_and_scale_are_in_the_input_units_whatever_the_output_depth(step, tmp_path):
    ok(
        convcli(
            "apply",
            step,
            "-k",
            "sobel-x",
            "--correlate",
            "--scale",
            "0.25",
            "--offset",
            "128",
            "-o",
            "eight.png",
            cwd=tmp_path,
        )
    )
    ok(
        convcli(
            "apply",
            step,
            "-k",
            "sobel-x",
            "--correlate",
            "--scale",
            "0.25",
            "--offset",
            "128",
            "--depth",
            "16",
            "-o",
            "sixteen.png",
            cwd=tmp_path,
        )
    )
    eight, sixteen = pixels(tmp_path / "eight.png"), pixels(tmp_path / "sixteen.png")
    assert eight[0, 0] == 128 and eight[0, 3] == 28
    np.testing.assert_array_equal(sixteen, eight.astype(np.int64) * 257)  # the same picture, in 16 bits


def test_clip_clips_float_output_too(step, tmp_path):
    ok(convcli("apply", step, "-k", "sobel-x", "--correlate", "-o", "signed.npy", cwd=tmp_path))
    ok(convcli("apply", step, "-k", "sobel-x", "--correlate", "--clip", "-o", "clipped.npy", cwd=tmp_path))
    signed, clipped = np.load(tmp_path / "signed.npy"), np.load(tmp_path / "clipped.npy")
    assert signed.min() == -400 and clipped.min() == 0
    np.testing.assert_array_equal(clipped, np.clip(signed, 0, 255))


def test_linear_light_keeps_the_sign_of_signed_results(step, tmp_path):
    ok(convcli("apply", step, "-k", "sobel-x", "--correlate", "--linear", "-o", "gx.npy", cwd=tmp_path))
    gradient = np.load(tmp_path / "gx.npy")
    assert gradient.min() < 0 and gradient[0, 0] == 0


def test_an_opaque_alpha_channel_changes_no_colour(tmp_path):
    colour = np.random.default_rng(5).integers(0, 40, (6, 7, 3), dtype=np.uint8)
    save(colour, tmp_path / "rgb.png")
    save(np.dstack([colour, np.full((6, 7), 255, np.uint8)]), tmp_path / "rgba.png")
    for name in ("rgb", "rgba"):  # a kernel of gain 9: premultiplying must not divide it away
        ok(convcli("apply", f"{name}.png", "-k", "1 1 1; 1 1 1; 1 1 1", "-o", f"{name}.out.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "rgba.out.png")[..., :3], pixels(tmp_path / "rgb.out.png"))
    assert (pixels(tmp_path / "rgba.out.png")[..., 3] == 255).all()


def test_filtering_alpha_into_nothing_is_warned_of(tmp_path):
    save(np.full((5, 6, 4), 200, np.uint8), tmp_path / "opaque.png")
    err = ok(convcli("sobel", "opaque.png", "--alpha", "premultiply", "-o", "out.png", cwd=tmp_path))
    assert "leaves no opacity" in err and "--alpha keep" in err
    assert "leaves no opacity" not in ok(convcli("sobel", "opaque.png", "-o", "kept.png", cwd=tmp_path))


def test_faint_16_bit_alpha_keeps_its_colour(tmp_path):
    pixel = np.array([[[40000, 20000, 10000, 100]]], np.uint16)
    np.save(tmp_path / "faint.npy", np.tile(pixel, (3, 3, 1)))
    ok(convcli("apply", "faint.npy", "-k", "identity", "--depth", "16", "-o", "out.npy", cwd=tmp_path))
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), np.tile(pixel, (3, 3, 1)))


def test_float_alpha_is_opacity_whatever_the_depth(tmp_path):
    rgba = np.ones((3, 4, 4), np.float32)
    rgba[..., :3] = 0.5
    np.save(tmp_path / "float.npy", rgba)
    ok(convcli("blur", "float.npy", "-o", "out.png", cwd=tmp_path))
    assert (pixels(tmp_path / "out.png")[..., 3] == 255).all()  # 1.0 is opaque, not 1/255


def test_signed_integer_arrays_keep_their_values_in_8_bits(tmp_path):
    np.save(tmp_path / "small.npy", np.array([[-64, 0, 63]], np.int8))
    ok(convcli("apply", "small.npy", "-k", "identity", "--depth", "8", "-o", "out.png", cwd=tmp_path))
    assert pixels(tmp_path / "out.png").tolist() == [[0, 0, 63]]  # saturated, as OpenCV casts CV_8S


def test_float_images_are_filtered_in_float64(tmp_path):
    data = np.random.default_rng(6).uniform(0, 1, (40, 50)).astype(np.float32)
    data[20, 25] = 1e7  # one spike: float32 FFT rounding would follow it over the whole tile
    Image.fromarray(data).save(tmp_path / "hdr.tif")
    ok(convcli("blur", "hdr.tif", "--sigma", "6", "--method", "fft", "-o", "out.tif", cwd=tmp_path))
    want = ndimage.gaussian_filter(data.astype(np.float64), 6, mode="reflect")
    got = pixels(tmp_path / "out.tif")
    assert np.abs(got - want)[:5, :5].max() < 1e-5


def test_rgb_into_gif_warns_of_the_palette(tmp_path):
    err = ok(convcli("blur", SAMPLES / "chelsea.png", "-o", "cat.gif", cwd=tmp_path))
    assert "GIF holds at most 256 colours" in err
    assert "256 colours" not in ok(convcli("apply", "cat.gif", "-k", "identity", "-o", "again.gif", cwd=tmp_path))


def test_16_bit_pgm_stays_16_bit(tmp_path):
    data = np.array([[0, 1000, 65535]], np.uint16)
    Image.fromarray(data).save(tmp_path / "deep.pgm")
    err = ok(convcli("apply", "deep.pgm", "-k", "identity", "-o", "out.tif", cwd=tmp_path))
    assert "32-bit" not in err
    with Image.open(tmp_path / "out.tif") as result:
        assert result.mode == "I;16" and np.asarray(result).tolist() == data.tolist()


def test_a_grey_profile_is_not_put_on_rgb(tmp_path):
    from PIL import ImageCms

    grey = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # any profile will do
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "grey.png", icc_profile=grey)
    ok(convcli("blur", "grey.png", "-o", "out.webp", cwd=tmp_path))  # WebP stores grey as RGB
    with Image.open(tmp_path / "out.webp") as result:
        assert result.mode == "RGB" and "icc_profile" not in result.info
    ok(convcli("blur", "grey.png", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        assert result.info.get("icc_profile") == grey


def test_big_endian_arrays_are_read(tmp_path):
    np.save(tmp_path / "fits.npy", np.array([[1, 2], [300, 65535]], ">u2"))
    ok(convcli("apply", "fits.npy", "-k", "identity", "-o", "out.png", cwd=tmp_path))
    assert pixels(tmp_path / "out.png").tolist() == [[1, 2], [300, 65535]]


def test_nan_data_is_a_clear_error_for_the_fft_and_a_warning_for_pixels(tmp_path):
    data = np.zeros((8, 9), np.float32)
    data[4, 4] = np.nan
    np.save(tmp_path / "nan.npy", data)
    failed(convcli("blur", "nan.npy", "--method", "fft", cwd=tmp_path), 1, "nan.npy", "NaN")
    err = ok(convcli("blur", "nan.npy", "--sigma", "4", "-v", "-o", "out.png", cwd=tmp_path))
    assert "fft" not in err  # -v names the method that really ran
    assert "NaN values, written as 0" in err and "RuntimeWarning" not in err
    np.save(tmp_path / "empty.npy", np.zeros((0, 5), np.float32))
    failed(convcli("blur", "empty.npy", cwd=tmp_path), 1, "empty.npy", "no pixels")


def test_sobel_into_float_gives_the_exact_signed_gradient(step, tmp_path):
    ok(convcli("sobel", step, "--axis", "x", "-o", "gx.npy", cwd=tmp_path))
    want = ndimage.convolve(pixels(step).astype(float), SOBEL_X, mode="reflect")
    np.testing.assert_array_equal(np.load(tmp_path / "gx.npy"), want)


def test_a_depth_asked_for_is_written_even_for_a_bilevel_image(tmp_path):
    Image.fromarray(np.eye(4, dtype=bool)).save(tmp_path / "bits.png")
    ok(convcli("apply", "bits.png", "-k", "identity", "--depth", "8", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        assert result.mode == "L"


def test_xmp_comments_and_tiff_compression_are_kept(tmp_path):
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(tmp_path / "in.jpg", xmp=xmp, comment=b"shot 12")
    ok(convcli("blur", "in.jpg", "-o", "out.jpg", cwd=tmp_path))
    with Image.open(tmp_path / "out.jpg") as result:
        assert result.info.get("xmp") == xmp and result.info.get("comment") == b"shot 12"
    Image.fromarray(np.zeros((4, 5), np.float32)).save(tmp_path / "in.tif", compression="tiff_lzw")
    ok(convcli("blur", "in.tif", "-o", "out.tif", cwd=tmp_path))
    with Image.open(tmp_path / "out.tif") as result:
        assert result.info.get("compression") == "tiff_lzw" and result.mode == "F"


def test_an_output_without_extension_is_worded_plainly(dot, tmp_path):
    failed(convcli("blur", dot, "-o", "result", cwd=tmp_path), 2, "result: has no extension to name")


# --- found by a second trial ----------------------------------------------------------------


def test_rgba_through_npy_and_back_keeps_alpha_and_colour(tmp_path):
    rgba = np.random.default_rng(10).integers(0, 256, (6, 7, 4), dtype=np.uint8)
    rgba[..., 3] = np.random.default_rng(11).integers(1, 256, (6, 7), dtype=np.uint8)
    save(rgba, tmp_path / "in.png")
    ok(convcli("apply", "in.png", "-k", "identity", "--alpha", "ignore", "-o", "mid.npy", cwd=tmp_path))
    middle = np.load(tmp_path / "mid.npy")
    assert middle[..., 3].max() <= 1.0  # float alpha is opacity, 0..1
    ok(convcli("apply", "mid.npy", "-k", "identity", "--alpha", "ignore", "-o", "out.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "out.png"), rgba)


def test_32_bit_integers_into_float_output_stay_exact(tmp_path):
    data = np.array([[16_777_217, 2**31 - 1, 123_456_789]], np.int32)
    Image.fromarray(data).save(tmp_path / "big.tif")
    ok(convcli("apply", "big.tif", "-k", "identity", "-o", "out.npy", cwd=tmp_path))
    out = np.load(tmp_path / "out.npy")
    assert out.dtype == np.float64 and out.tolist() == data.tolist()


def test_signed_integer_arrays_with_alpha_are_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 3, 2), np.int8))
    failed(convcli("blur", "a.npy", cwd=tmp_path), 1, "a.npy", "no agreed opaque value")


def test_orientation_is_dropped_from_xmp_as_well(tmp_path):
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(tmp_path / "in.jpg", exif=exif, xmp=xmp)
    ok(convcli("blur", "in.jpg", "-o", "once.jpg", cwd=tmp_path))
    ok(convcli("blur", "once.jpg", "-o", "twice.jpg", cwd=tmp_path))
    for name in ("once.jpg", "twice.jpg"):
        with Image.open(tmp_path / name) as result:
            assert result.size == (30, 40) and b"Orientation" not in result.info.get("xmp", b"")


def test_a_tiffs_profile_does_not_go_into_the_exif(tmp_path):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + b"\0" * 70_000
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(tmp_path / "in.tif", icc_profile=profile)
    ok(convcli("blur", "in.tif", "-o", "out.jpg", cwd=tmp_path))  # a 70 KB EXIF would not fit a JPEG
    with Image.open(tmp_path / "out.jpg") as result:
        assert result.info.get("icc_profile") == profile and 34675 not in result.getexif()


def test_transparent_gif_stays_transparent(tmp_path):
    indices = np.zeros((6, 8), np.uint8)
    indices[2:4, 2:5] = 1
    gif = Image.frombytes("P", (8, 6), indices.tobytes())
    gif.putpalette([0, 0, 255, 255, 0, 0])
    gif.save(tmp_path / "in.gif", transparency=0)
    err = ok(convcli("apply", "in.gif", "-k", "shift", "-o", "out.gif", cwd=tmp_path))
    assert "transparency" not in err
    with Image.open(tmp_path / "out.gif") as result:
        alpha = np.asarray(result.convert("RGBA"))[..., 3]
    assert alpha[2:4, 3:6].min() == 255 and alpha[0].max() == 0  # the red block moved right, the rest clear


def _shrunk(mask: np.ndarray, by: int) -> np.ndarray:
    """`mask` less every pixel within `by` pixels (a square's reach) of its outside."""
    padded = np.pad(mask, by)
    height, width = mask.shape
    inner = np.ones_like(mask)
    for dy in range(2 * by + 1):
        for dx in range(2 * by + 1):
            inner &= padded[dy : dy + height, dx : dx + width]
    return inner


def test_a_blurred_transparent_gif_keeps_its_transparency_thresholded_at_half(tmp_path, capsys):
    """ImageMagick's `convert disc.gif -blur 0x2 out.gif`: opacity of 128 of 255 or more becomes
    opaque, the rest GIF's one transparent colour. The disc is red on the left, blue on the right."""
    rows, columns = np.mgrid[:40, :40]
    disc = np.hypot(rows - 19.5, columns - 19.5) < 15
    indices = np.where(disc, np.where(columns < 20, 1, 2), 0).astype(np.uint8)
    gif = Image.frombytes("P", (40, 40), indices.tobytes())
    gif.putpalette([0, 255, 0, 255, 0, 0, 0, 0, 255])  # hidden green
    gif.save(tmp_path / "disc.gif", transparency=0)
    assert run_main("blur", "disc.gif", "-o", "soft.gif", cwd=tmp_path) == 0
    assert "transparency" not in capsys.readouterr().err
    with Image.open(tmp_path / "soft.gif") as result:
        assert result.mode == "P" and "transparency" in result.info
        got = np.asarray(result.convert("RGBA")).astype(int)
    assert (got[..., 3][_shrunk(~disc, 2)] == 0).all() and (got[..., 3][_shrunk(disc, 2)] == 255).all()
    assert np.isin(got[..., 3], (0, 255)).all()
    # ImageMagick's threshold on this disc: 892 transparent pixels, where the input had 884.
    assert (got[..., 3] == 0).sum() == 892
    # The blur shows in the colour: red and blue mix across the middle, as ImageMagick's do.
    imagemagick = [[245, 0, 10], [228, 0, 27], [196, 0, 59], [153, 0, 102], [103, 0, 152], [59, 0, 196], [27, 0, 228]]
    assert np.abs(got[20, 16:23, :3] - imagemagick).max() <= 3


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_written_to_gif_becomes_its_transparent_colour(mode, tmp_path, capsys):
    rgba = np.zeros((6, 40, 4), np.uint8)
    rgba[..., :3] = np.arange(40)[:, np.newaxis] * 6  # 40 shades: more than a shift keeps
    rgba[..., 3] = np.arange(40)[np.newaxis, :] * 255 // 39  # a ramp of opacity
    Image.fromarray(rgba).convert(mode).save(tmp_path / "ramp.png")
    assert run_main("apply", "ramp.png", "-k", "identity", "-o", "ramp.gif", cwd=tmp_path) == 0
    assert "transparency" not in capsys.readouterr().err
    with Image.open(tmp_path / "ramp.gif") as result:
        alpha = np.asarray(result.convert("RGBA"))[..., 3]
    want = np.where(rgba[..., 3] >= 128, 255, 0)  # ImageMagick's threshold: half of opaque
    np.testing.assert_array_equal(alpha, want)


def test_colour_alpha_survives_formats_that_hold_rgba(tmp_path):
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 3] = 128
    save(rgba, tmp_path / "in.png")
    for suffix in (".qoi", ".webp", ".tif"):
        err = ok(convcli("apply", "in.png", "-k", "identity", "-o", f"out{suffix}", cwd=tmp_path))
        assert "transparency dropped" not in err
        assert (pixels(tmp_path / f"out{suffix}")[..., 3] == 128).all()


def test_a_grey_jpegs_profile_stays_in_jpeg(tmp_path):
    from PIL import ImageCms

    grey = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    Image.fromarray(np.full((8, 8), 90, np.uint8)).save(tmp_path / "in.jpg", icc_profile=grey)
    ok(convcli("blur", "in.jpg", "-o", "out.jpg", cwd=tmp_path))
    with Image.open(tmp_path / "out.jpg") as result:
        assert result.mode == "L" and result.info.get("icc_profile") == grey


def test_cval_is_in_pixel_units_under_linear_light(tmp_path):
    save(np.full((6, 6), 128, np.uint8), tmp_path / "grey.png")
    ok(
        convcli(
            "apply",
            "grey.png",
            "-k",
            "box",
            "--border",
            "constant",
            "--cval",
            "128",
            "--linear",
            "-o",
            "out.png",
            cwd=tmp_path,
        )
    )
    assert (pixels(tmp_path / "out.png") == 128).all()


def test_xmp_comments_and_text_reach_png_and_tiff(tmp_path):
    from PIL import PngImagePlugin

    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(tmp_path / "in.jpg", xmp=xmp, comment=b"shot 12")
    ok(convcli("blur", "in.jpg", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        assert result.info.get("xmp") == xmp and result.text.get("Comment") == "shot 12"
    ok(convcli("blur", "in.jpg", "-o", "out.tif", cwd=tmp_path))
    with Image.open(tmp_path / "out.tif") as result:
        assert bytes(result.tag_v2.get(700, b"")) == xmp
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Title", "Cat")
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "titled.png", pnginfo=chunks)
    ok(convcli("blur", "titled.png", "-o", "again.png", cwd=tmp_path))
    with Image.open(tmp_path / "again.png") as result:
        assert result.text.get("Title") == "Cat"


def test_fax_compression_of_a_bilevel_tiff_is_kept(tmp_path):
    Image.fromarray(np.eye(8, dtype=bool)).save(tmp_path / "fax.tif", compression="group4")
    ok(convcli("apply", "fax.tif", "-k", "shift", "-o", "out.tif", cwd=tmp_path))
    with Image.open(tmp_path / "out.tif") as result:
        assert result.mode == "1" and result.info.get("compression") == "group4"
    ok(convcli("blur", "fax.tif", "-o", "grey.tif", cwd=tmp_path))  # grey cannot be fax-compressed
    with Image.open(tmp_path / "grey.tif") as result:
        assert result.mode == "L"


def test_no_warning_comes_before_a_usage_error_and_stub_formats_fail_early(tmp_path):
    save(np.zeros((4, 5, 4), np.uint8), tmp_path / "in.png")
    failed(
        convcli("apply", "in.png", "-k", "identity", "--depth", "16", "-o", "x.jpg", cwd=tmp_path),
        2,
        "JPEG cannot hold 16-bit",
    )
    failed(convcli("blur", "in.png", "-o", "x.bufr", cwd=tmp_path), 1, "x.bufr", "Pillow does not write")
