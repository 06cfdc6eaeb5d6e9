"""The command line keeps what an image holds: frames, size limits, quality, alpha, metadata,
light and the mapping of signed results."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from processes import SAMPLES, convcli, failed, files_in, ok, pixels, save


def test_animations_and_multi_page_files_are_refused_not_cut_to_one_frame(tmp_path):
    frames = [Image.fromarray(np.full((4, 5), value, np.uint8)) for value in (0, 120, 240)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    for name in ("anim.gif", "pages.tif"):
        failed(convcli("blur", name, cwd=tmp_path), 1, name, "3 frames", "single images", f"'{name}[0]'")
    assert files_in(tmp_path) == {"anim.gif", "pages.tif"}


def test_max_pixels_guards_against_decompression_bombs(dot, tmp_path):
    """A 7x9 image is 63 pixels: over a limit of 50, under one of 63."""
    line = failed(convcli("blur", dot, "--max-pixels", "50", cwd=tmp_path), 1, str(dot), "63 pixels", "--max-pixels")
    assert "decompression" in line
    ok(convcli("blur", dot, "--max-pixels", "63", cwd=tmp_path))
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
    ok(convcli("sobel", red_square, cwd=tmp_path))
    ok(convcli("apply", red_square, "-k", "emboss", cwd=tmp_path))
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

