"""The command line end to end: real processes on real files, checking pixels, streams and exit codes."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from processes import SAMPLES, convcli, failed, files_in, ok, pixels, run_main, save
from scipy import ndimage

# --- the commands -------------------------------------------------------------------------


def test_apply_shift_moves_the_dot_right_and_correlate_moves_it_left(dot, tmp_path):
    err = ok(convcli("apply", dot, "--kernel", "shift", cwd=tmp_path, terminal=True))
    assert "dot.shift.png" in err
    moved = pixels(tmp_path / "dot.shift.png")
    assert np.argwhere(moved).tolist() == [[3, 5]] and moved[3, 5] == 200

    ok(convcli("apply", dot, "--kernel", "shift", "--correlate", cwd=tmp_path, terminal=True))
    moved = pixels(tmp_path / "dot.shift.correlate.png")
    assert np.argwhere(moved).tolist() == [[3, 3]] and moved[3, 3] == 200


def test_apply_shift_parameters_move_down_and_left(dot, tmp_path):
    ok(convcli("apply", dot, "--kernel", "shift:dx=-2,dy=1", "-o", "a.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "a.png")).tolist() == [[4, 2]]
    ok(convcli("apply", dot, "--kernel", "shift:-2,1", "--correlate", "-o", "b.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "b.png")).tolist() == [[2, 6]]


def test_convolving_a_dot_stamps_the_kernel_and_correlating_stamps_it_rotated(dot, tmp_path):
    kernel = "0 0 0; 0.25 0.5 0; 0 0 0.125"
    ok(convcli("apply", dot, "-k", kernel, "-o", "conv.png", cwd=tmp_path))
    ok(convcli("apply", dot, "-k", kernel, "--correlate", "-o", "corr.png", cwd=tmp_path))
    stamp = np.array([[0, 0, 0], [50, 100, 0], [0, 0, 25]])
    assert pixels(tmp_path / "conv.png")[2:5, 3:6].tolist() == stamp.tolist()
    assert pixels(tmp_path / "corr.png")[2:5, 3:6].tolist() == stamp[::-1, ::-1].tolist()
    assert pixels(tmp_path / "conv.png").sum() == pixels(tmp_path / "corr.png").sum() == 175


def test_blur_matches_scipy_gaussian_filter_on_the_sample_photo(tmp_path):
    source = SAMPLES / "chelsea.png"
    ok(convcli("blur", source, "--sigma", "3", "-o", "soft.png", cwd=tmp_path))
    original = pixels(source).astype(np.float64)
    want = ndimage.gaussian_filter(original, sigma=(3, 3, 0), mode="reflect")
    got = pixels(tmp_path / "soft.png")
    assert got.shape == original.shape and got.dtype == np.uint8
    # float32 arithmetic may put a value a hair across a .5 rounding boundary.
    assert np.abs(got - np.rint(want)).max() <= 1


def test_blur_default_output_goes_beside_the_input(tmp_path):
    source = shutil.copy(SAMPLES / "camera.png", tmp_path / "photo.png")
    err = ok(convcli("blur", source, cwd=tmp_path, terminal=True))
    assert err.strip() == f"wrote {tmp_path / 'photo.blur.png'}"
    assert pixels(tmp_path / "photo.blur.png").shape == (512, 512)
    assert pixels(tmp_path / "photo.png").tolist() == pixels(SAMPLES / "camera.png").tolist()


def test_sharpen_applies_identity_minus_amount_laplacian(tmp_path):
    image = np.full((5, 5), 100, np.uint8)
    image[2, 2] = 120
    source = save(image, tmp_path / "flat.png")
    ok(convcli("sharpen", source, cwd=tmp_path, terminal=True))
    got = pixels(tmp_path / "flat.sharpen.png").astype(int)
    # 5 x 120 - 4 x 100 = 200 in the centre; each 4-neighbour gets 100 - 20 = 80.
    assert got[2, 2] == 200 and got[1, 2] == got[2, 1] == got[3, 2] == got[2, 3] == 80
    assert got[0, 0] == 100

    ok(convcli("sharpen", source, "--amount", "0.5", "-o", "half.png", cwd=tmp_path))
    got = pixels(tmp_path / "half.png").astype(int)
    assert got[2, 2] == 160 and got[1, 2] == 90


def test_sharpen_rounds_half_to_even_and_clips(tmp_path):
    image = np.array([[0, 0, 0], [0, 255, 0], [0, 0, 0]], np.uint8)
    source = save(image, tmp_path / "p.png")
    ok(convcli("sharpen", source, "--border", "constant", cwd=tmp_path, terminal=True))
    # The centre would be 5 x 255 (clipped to 255); its neighbours -255 (clipped to 0).
    assert pixels(tmp_path / "p.sharpen.png").tolist() == [[0, 0, 0], [0, 255, 0], [0, 0, 0]]
    ok(convcli("apply", source, "-k", "0.5", "--border", "constant", "-o", "half.png", cwd=tmp_path))
    assert pixels(tmp_path / "half.png")[1, 1] == 128  # 127.5 rounds to the even 128


def test_sobel_magnitude_is_stretched_so_the_strongest_edge_is_white(step, tmp_path):
    ok(convcli("sobel", step, cwd=tmp_path, terminal=True))
    got = pixels(tmp_path / "step.sobel.png")
    assert got.max() == 255
    assert got[:, 3].tolist() == got[:, 4].tolist() == [255] * 6
    assert got[:, :3].max() == 0 and got[:, 5:].max() == 0


def test_sobel_axis_picks_the_direction(step, tmp_path):
    ok(convcli("sobel", step, "--axis", "y", "-o", "y.png", cwd=tmp_path))
    assert pixels(tmp_path / "y.png").max() == 0  # a vertical edge has no d/dy
    ok(convcli("sobel", step, "--axis", "x", "-o", "x.png", cwd=tmp_path))
    assert pixels(tmp_path / "x.png")[:, 3:5].min() == 255


def test_sobel_of_16_bit_grey_stays_16_bit_and_reaches_65535(tmp_path):
    image = np.zeros((6, 8), np.uint16)
    image[:, 4:] = 1000
    source = save(image, tmp_path / "deep.png")
    ok(convcli("sobel", source, cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "deep.sobel.png") as result:
        assert result.mode.startswith("I;16") or result.mode == "I"
        got = np.asarray(result)
    assert got.max() == 65535 and got[:, 3].min() == 65535


def test_sobel_x_convolved_is_positive_where_brightening_right_correlated_is_not(step, tmp_path):
    """Clipping to 0..255 keeps only positive values, so the sign shows: convolved +d/dx, correlated -d/dx."""
    ok(convcli("apply", step, "-k", "sobel-x", "-o", "conv.png", cwd=tmp_path))
    ok(convcli("apply", step, "-k", "sobel-x", "--correlate", "-o", "corr.png", cwd=tmp_path))
    assert pixels(tmp_path / "conv.png")[:, 3:5].min() == 255  # 4 x 100, clipped
    assert pixels(tmp_path / "corr.png").max() == 0  # -400 everywhere on the edge, clipped to 0


def test_apply_named_kernel_emboss_convolve_and_correlate_differ(tmp_path):
    source = SAMPLES / "camera.png"
    ok(convcli("apply", source, "-k", "emboss", "-o", "conv.png", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "emboss", "--correlate", "-o", "corr.png", cwd=tmp_path))
    original = pixels(source).astype(np.float64)
    emboss = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    want_conv = np.clip(np.rint(ndimage.convolve(original, emboss, mode="reflect")), 0, 255)
    want_corr = np.clip(np.rint(ndimage.correlate(original, emboss, mode="reflect")), 0, 255)
    assert np.array_equal(pixels(tmp_path / "conv.png"), want_conv)
    assert np.array_equal(pixels(tmp_path / "corr.png"), want_corr)
    assert not np.array_equal(want_conv, want_corr)


def test_apply_kernel_file_with_normalize(tmp_path):
    kernel = tmp_path / "binomial.txt"
    kernel.write_text("# binomial, not normalised\n1, 2, 1\n\n2 4 2   # middle\n1 2 1\n")
    image = np.zeros((5, 5), np.uint8)
    image[2, 2] = 160
    source = save(image, tmp_path / "p.png")
    ok(convcli("apply", source, "--kernel", kernel, "--normalize", cwd=tmp_path, terminal=True))
    (written,) = tmp_path.glob("p.binomial-*.png")  # the file's stem and a hash of its weights, normalised
    got = pixels(written)
    assert got[1:4, 1:4].tolist() == [[10, 20, 10], [20, 40, 20], [10, 20, 10]]


def test_apply_fraction_kernel_file_equals_normalize(tmp_path):
    (tmp_path / "k.txt").write_text("1/16 2/16 1/16\n2/16 4/16 2/16\n1/16 2/16 1/16\n")
    source = SAMPLES / "chelsea.png"
    ok(convcli("apply", source, "-k", "k.txt", "-o", "a.png", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "1 2 1; 2 4 2; 1 2 1", "--normalize", "-o", "b.png", cwd=tmp_path))
    assert np.array_equal(pixels(tmp_path / "a.png"), pixels(tmp_path / "b.png"))


@pytest.mark.parametrize(
    "border, want",
    [
        ("reflect", [20, 10, 10, 20]),
        ("mirror", [30, 20, 10, 20]),
        ("nearest", [10, 10, 10, 20]),
        ("wrap", [30, 40, 10, 20]),
        ("constant", [99, 99, 10, 20]),
        ("BORDER_REFLECT_101", [30, 20, 10, 20]),
        ("edge", [10, 10, 10, 20]),
    ],
)
def test_border_modes_on_the_command_line(border, want, tmp_path):
    """`shift:dx=2` moves the row 2 pixels right; the two pushed in on the left come from the border."""
    source = save(np.array([[10, 20, 30, 40]], np.uint8), tmp_path / "row.png")
    args = ("apply", source, "-k", "shift:dx=2", "--border", border, "--cval", "99", "-o", "a.png")
    ok(convcli(*args, cwd=tmp_path))
    assert pixels(tmp_path / "a.png")[0].tolist() == want


def test_rgba_alpha_is_carried_through_unchanged_with_alpha_ignore(tmp_path):
    r = np.random.default_rng(1)
    data = r.integers(0, 256, (6, 7, 4), dtype=np.uint8)
    source = save(data, tmp_path / "rgba.png")
    ok(convcli("apply", source, "-k", "shift", "--alpha", "ignore", cwd=tmp_path, terminal=True))
    got = pixels(tmp_path / "rgba.shift.png")
    assert got.shape == (6, 7, 4)
    assert np.array_equal(got[..., 3], data[..., 3])
    assert np.array_equal(got[:, 1:, :3], data[:, :-1, :3])  # colour moved one pixel right


def test_grey_alpha_and_palette_images(tmp_path):
    la = np.dstack([np.arange(12, dtype=np.uint8).reshape(3, 4) * 20, np.full((3, 4), 77, np.uint8)])
    source = save(la, tmp_path / "la.png")
    ok(convcli("apply", source, "-k", "identity", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "la.identity.png") as result:
        assert result.mode == "LA"
        assert np.array_equal(np.asarray(result), la)

    palette = Image.fromarray(np.array([[0, 1], [2, 0]], np.uint8), "P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    palette.save(tmp_path / "pal.png")
    ok(convcli("apply", tmp_path / "pal.png", "-k", "identity", cwd=tmp_path, terminal=True))
    with Image.open(tmp_path / "pal.identity.png") as result:
        assert result.mode == "P"  # three colours still fit a palette
        assert np.asarray(result.convert("RGB")).tolist() == [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 0, 0]]]


def test_sixteen_bit_grey_is_filtered_without_8_bit_rounding(tmp_path):
    image = np.array([[1000, 1001, 1002, 1003]], np.uint16)
    source = save(image, tmp_path / "deep.png")
    ok(convcli("apply", source, "-k", "0.5 0.5", "-o", "out.png", cwd=tmp_path))
    with Image.open(tmp_path / "out.png") as result:
        got = np.asarray(result).astype(int)
    # Convolving [0.5 0.5] averages each pixel with its right-hand neighbour: 1000.5 -> 1000 (even).
    assert got.tolist() == [[1000, 1002, 1002, 1003]]


def test_exif_orientation_is_applied_before_filtering(tmp_path):
    image = Image.fromarray(np.array([[0, 255, 255]], np.uint8))  # stored 1 x 3
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image.save(tmp_path / "rotated.png", exif=exif)
    ok(convcli("apply", tmp_path / "rotated.png", "-k", "identity", "-o", "out.png", cwd=tmp_path))
    assert pixels(tmp_path / "out.png").tolist() == [[0], [255], [255]]


@pytest.mark.parametrize("suffix, fmt", [(".jpg", "JPEG"), (".tif", "TIFF"), (".bmp", "BMP"), (".webp", "WEBP")])
def test_output_format_follows_the_extension(suffix, fmt, dot, tmp_path):
    ok(convcli("blur", dot, "-o", f"out{suffix}", cwd=tmp_path))
    with Image.open(tmp_path / f"out{suffix}") as result:
        assert result.format == fmt


@pytest.mark.parametrize("suffix", [".jpg", ".bmp", ".pdf"])
def test_output_without_alpha_is_flattened_with_a_warning(suffix, tmp_path):
    source = save(np.full((4, 4, 4), 128, np.uint8), tmp_path / "a.png")
    err = ok(convcli("blur", source, "-o", f"a{suffix}", cwd=tmp_path))
    assert "warning:" in err and "no alpha channel; the result is flattened onto black" in err
    if suffix != ".pdf":
        with Image.open(tmp_path / f"a{suffix}") as result:
            assert result.mode == "RGB"


@pytest.mark.parametrize("suffix", [".webp", ".gif", ".jpg"])
def test_16_bit_to_an_8_bit_format_is_scaled_down_with_a_warning(suffix, tmp_path):
    """Pillow alone would clip 16-bit values to 255 and write a white image."""
    image = np.repeat(np.array([[0, 16448, 32896, 65535]], np.uint16), 4, axis=0)  # 0, 64, 128, 255 x 257
    source = save(image, tmp_path / "deep.png")
    err = ok(convcli("apply", source, "-k", "identity", "-o", f"out{suffix}", cwd=tmp_path))
    assert "warning:" in err and "8 bits" in err
    with Image.open(tmp_path / f"out{suffix}") as result:
        got = np.asarray(result.convert("L")).astype(int)
    assert np.abs(got - [[0, 64, 128, 255]] * 4).max() <= 8  # lossy WebP and JPEG move dark levels a little


def test_16_bit_to_tiff_keeps_16_bit_without_a_warning(tmp_path):
    image = np.array([[1000, 1001], [65535, 3]], np.uint16)
    source = save(image, tmp_path / "deep.png")
    err = ok(convcli("apply", source, "-k", "identity", "-o", "out.tif", cwd=tmp_path))
    assert "warning" not in err
    assert pixels(tmp_path / "out.tif").tolist() == image.tolist()


def test_input_whose_extension_names_no_writable_format_gets_a_png_beside_it(tmp_path):
    save(np.array([[0, 255, 0]], np.uint8), tmp_path / "scan.png").rename(tmp_path / "scan.v2")  # a PNG, by content
    ok(convcli("apply", "scan.v2", "-k", "identity", cwd=tmp_path, terminal=True))
    assert np.asarray(Image.open(tmp_path / "scan.v2.identity.png").convert("L")).tolist() == [[0, 255, 0]]


def test_a_format_pillow_reads_outside_the_allowlist_is_refused(tmp_path):
    (tmp_path / "icon.xpm").write_text(
        '/* XPM */\nstatic char *icon[] = {\n"3 1 2 1",\n"a c #000000",\n"b c #FFFFFF",\n"aba"};\n'
    )
    failed(convcli("apply", "icon.xpm", "-k", "identity", cwd=tmp_path), 1, "icon.xpm: is an XPM image", "PNG, JPEG")


def test_sobel_axis_is_part_of_the_default_name(step, tmp_path):
    for axis, name in (("x", "step.sobel-x.png"), ("y", "step.sobel-y.png"), ("both", "step.sobel.png")):
        ok(convcli("sobel", step, "--axis", axis, cwd=tmp_path, terminal=True))
        assert (tmp_path / name).exists()


def test_output_through_a_symbolic_link_writes_the_file_it_points_to(dot, tmp_path):
    (tmp_path / "real.png").write_bytes(b"old")
    (tmp_path / "link.png").symlink_to("real.png")
    failed(convcli("apply", dot, "-k", "shift", "-o", "link.png", cwd=tmp_path), 1, "link.png: exists", "--force")
    ok(convcli("apply", dot, "-k", "shift", "-o", "link.png", "--force", cwd=tmp_path))
    assert (tmp_path / "link.png").is_symlink()
    assert np.argwhere(pixels(tmp_path / "real.png")).tolist() == [[3, 5]]


def test_force_allows_overwriting_the_input(dot, tmp_path):
    failed(convcli("apply", dot, "-k", "shift", "-o", dot, cwd=tmp_path), 1, str(dot), "--force")
    assert np.argwhere(pixels(dot)).tolist() == [[3, 4]]
    ok(convcli("apply", dot, "-k", "shift", "-o", dot, "--force", cwd=tmp_path))
    assert np.argwhere(pixels(dot)).tolist() == [[3, 5]]


def test_an_existing_output_is_refused_unless_forced(dot, tmp_path):
    save(np.full((2, 2), 9, np.uint8), tmp_path / "dot.blur.png")
    failed(convcli("blur", dot, cwd=tmp_path, terminal=True), 1, "dot.blur.png: exists; use --force to replace it")
    assert pixels(tmp_path / "dot.blur.png").shape == (2, 2)
    failed(convcli("compare", dot, "-k", "shift", "-o", "dot.blur.png", cwd=tmp_path), 1, "exists")
    ok(convcli("blur", dot, "--force", cwd=tmp_path, terminal=True))
    assert pixels(tmp_path / "dot.blur.png").shape == (7, 9)


def test_console_script_and_module_are_the_same_program(tmp_path):
    script = Path(sys.executable).parent / ("convcli.exe" if os.name == "nt" else "convcli")
    if not script.exists():
        pytest.skip("convcli console script not installed next to this Python")
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("convcli ")
    assert convcli("--version", cwd=tmp_path).stdout.decode() == version.stdout


def test_help_lists_commands_and_no_arguments_shows_usage(tmp_path):
    result = convcli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("blur", "sharpen", "sobel", "apply"):
        assert command in result.stdout.decode()
    bare = convcli(cwd=tmp_path)
    assert bare.returncode == 2 and bare.stdout == b""
    assert "Usage" in bare.stderr.decode()


@pytest.mark.parametrize("args", [["--help"], ["blur", "--help"], ["apply", "--help"], ["explain", "--help"]])
def test_help_loads_neither_numpy_nor_pillow(args):
    """Start-up stays lean: the engine and the image pipeline load inside the commands that use them."""
    script = f"import sys; from convcli.cli import main; main({args!r}); print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "Usage" in loaded
    for heavy in ("'numpy'", "'PIL'", "'convcli.engine'", "'convcli.imaging'", "'convcli.kernels'"):
        assert heavy not in loaded


# --- errors: one line, the right exit code, nothing written -------------------------------


def test_missing_input_file(tmp_path):
    failed(convcli("blur", "nowhere.png", cwd=tmp_path), 1, "nowhere.png", "no such file")
    assert files_in(tmp_path) == set()


def test_directory_as_input(tmp_path):
    (tmp_path / "photos").mkdir()
    failed(convcli("blur", "photos", cwd=tmp_path), 1, "photos", "directory")


def test_text_file_as_input(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    failed(convcli("sobel", "notes.png", cwd=tmp_path), 1, "notes.png", "not an image")
    assert files_in(tmp_path) == {"notes.png"}


def test_truncated_image(tmp_path):
    data = (SAMPLES / "chelsea.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    failed(convcli("blur", "cut.png", cwd=tmp_path), 1, "cut.png", "damaged PNG", "cut short")
    assert files_in(tmp_path) == {"cut.png"}


def test_unreadable_input(dot, tmp_path, permissions_apply):
    dot.chmod(0)
    failed(convcli("blur", dot, cwd=tmp_path, **permissions_apply), 1, str(dot), "permission denied")
    assert files_in(tmp_path) == {"dot.png"}


def test_unknown_kernel_name_suggests_the_closest(dot, tmp_path):
    failed(convcli("apply", dot, "-k", "embos", cwd=tmp_path), 2, "'embos'", "did you mean 'emboss'?")
    failed(convcli("apply", dot, "-k", "sobelx", cwd=tmp_path), 2, "did you mean 'sobel-x'?")
    assert files_in(tmp_path) == {"dot.png"}


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["blur", "dot.png", "--sigma", "0"], ["--sigma", "positive"]),
        (["blur", "dot.png", "--sigma", "-1"], ["--sigma", "positive"]),
        (["blur", "dot.png", "--sigma", "nan"], ["--sigma", "positive"]),
        (["blur", "dot.png", "--sigma", "soft"], ["--sigma"]),
        (["sharpen", "dot.png", "--amount", "inf"], ["--amount", "finite"]),
        (["sobel", "dot.png", "--axis", "z"], ["--axis"]),
        (["blur", "dot.png", "--border", "bogus"], ["--border", "bogus", "reflect"]),
        (["blur", "dot.png", "--border", "constant", "--cval", "nan"], ["--cval", "finite"]),
        (["apply", "dot.png"], ["--kernel"]),
        (["apply", "dot.png", "-k", "gaussian:sigma=-2"], ["gaussian", "sigma", "positive"]),
        (["apply", "dot.png", "-k", "box:size=2.5"], ["box", "size", "whole number"]),
        (["apply", "dot.png", "-k", "motion:speed=3"], ["motion", "no parameter 'speed'"]),
        (["apply", "dot.png", "-k", "1 2; 3"], ["--kernel '1 2; 3': row 2", "has 1 number"]),
        (["apply", "dot.png", "-k", "laplacian", "--normalize"], ["--normalize", "sums to 0"]),
        (["blur", "dot.png", "-o", "dot.xyz"], ["dot.xyz", "'.xyz'"]),
        (["blur", "dot.png", "--no-such-option"], ["--no-such-option"]),
        (["frobnicate", "dot.png"], ["frobnicate"]),
    ],
)
def test_usage_errors_exit_2(args, fragments, dot, tmp_path):
    failed(convcli(*args, cwd=tmp_path), 2, *fragments)
    assert files_in(tmp_path) == {"dot.png"}


@pytest.mark.parametrize(
    "content, fragments",
    [
        ("1 2 3\n4 5\n", ["line 2", "2 numbers", "first row (line 1) has 3"]),
        ("1 two 3\n", ["line 1", "'two' is not a number"]),
        ("1 nan 3\n", ["line 1", "not a finite number"]),
        ("1 1/0 3\n", ["line 1", "divides by zero"]),
        ("# nothing here\n\n", ["empty"]),
    ],
)
def test_malformed_kernel_files_exit_1_naming_file_and_line(content, fragments, dot, tmp_path):
    (tmp_path / "bad.txt").write_text(content)
    failed(convcli("apply", dot, "-k", "bad.txt", cwd=tmp_path), 1, "bad.txt", *fragments)
    assert files_in(tmp_path) == {"dot.png", "bad.txt"}


def test_binary_kernel_file(dot, tmp_path):
    (tmp_path / "k.bin").write_bytes(bytes(range(256)))
    failed(convcli("apply", dot, "-k", "k.bin", cwd=tmp_path), 1, "k.bin", "not a text file")


def test_output_into_a_missing_directory(dot, tmp_path):
    failed(convcli("blur", dot, "-o", "no/such/dir/out.png", cwd=tmp_path), 1, "out.png", "does not exist")
    assert files_in(tmp_path) == {"dot.png"}


def test_output_that_is_a_directory_is_refused_and_left_alone(dot, tmp_path):
    (tmp_path / "out.png").mkdir()
    line = failed(convcli("blur", dot, "-o", "out.png", cwd=tmp_path), 1, "out.png", "is a directory")
    assert ".tmp" not in line
    assert (tmp_path / "out.png").is_dir()
    assert files_in(tmp_path) == {"dot.png", "out.png"}


def test_unwritable_output_directory(dot, tmp_path, permissions_apply):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    result = convcli("blur", dot, "-o", locked / "out.png", cwd=tmp_path, **permissions_apply)
    failed(result, 1, str(locked / "out.png"), "cannot write", "ermission denied")
    assert files_in(locked) == set()
    assert files_in(tmp_path) == {"dot.png", "locked"}


def test_output_into_a_directory_that_refuses_new_files_is_not_called_missing(dot, tmp_path):
    """/proc exists but answers 'no such file' to creating one; the message must not say it is missing."""
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    line = failed(convcli("blur", dot, "-o", "/proc/out.png", cwd=tmp_path), 1, "/proc/out.png", "cannot write")
    assert "does not exist" not in line


def test_a_failed_write_leaves_the_existing_output_whole_and_no_temp_file(tmp_path):
    """Pillow's XBM writer takes bilevel images only: the error comes after the temp file exists."""
    (tmp_path / "old.xbm").write_bytes(b"precious")
    failed(
        convcli("blur", SAMPLES / "chelsea.png", "-o", "old.xbm", "--force", cwd=tmp_path), 1, "old.xbm", "cannot write"
    )
    assert (tmp_path / "old.xbm").read_bytes() == b"precious"
    assert files_in(tmp_path) == {"old.xbm"}


@pytest.mark.parametrize("spec", ["./missing.txt", "kernels/edge.txt", "3x3.txt"])
def test_a_missing_kernel_file_is_reported_as_such(spec, dot, tmp_path):
    failed(convcli("apply", dot, "-k", spec, cwd=tmp_path), 1, spec, "no such kernel file")


def test_a_kernel_parameter_given_twice_is_refused(dot, tmp_path):
    failed(convcli("apply", dot, "-k", "gaussian:2,sigma=3", cwd=tmp_path), 2, "sigma is given twice")


def test_every_example_in_the_help_runs(tmp_path, capsys, monkeypatch):
    """The examples in `convcli --help` and each command's help, run on a real photo.png, in
    this process, as from a terminal: results go to files, the text asked for to stdout."""
    from convcli.cli import app  # noqa: PLC0415 - only this test needs them
    from convcli.cli.commands import load_all
    from convcli.imaging import stdout

    load_all()
    monkeypatch.setattr(stdout, "takes_images", lambda: False)

    shutil.copy(SAMPLES / "chelsea.png", tmp_path / "photo.png")
    commands = app.registered_commands + [
        command for group in app.registered_groups for command in group.typer_instance.registered_commands
    ]
    texts = [app.info.epilog] + [command.callback.__doc__ for command in commands]
    examples = [
        example.strip()
        for text in texts
        for part in text.split("Example")[1:]
        for example in part.split(":", 1)[1].split("|")
    ]
    assert len(examples) >= 11
    for number, example in enumerate(examples):
        words = shlex.split(example)
        assert words[0] == "convcli"
        here = tmp_path / str(number)  # each in a directory of its own: outputs are not replaced
        here.mkdir()
        shutil.copy(tmp_path / "photo.png", here / "photo.png")
        code = run_main(*words[1:], cwd=here)
        out, err = capsys.readouterr()
        assert code == 0, (example, err)
        if words[1] in ("explain", "kernels", "kernel"):  # these print the text asked for
            assert out.strip() and not err, example
        else:
            assert not out and len(set(here.iterdir())) > 1, example


@pytest.mark.parametrize("method", ["auto", "direct", "separable", "lowrank", "fft"])
def test_every_method_moves_the_dot_the_same_way(method, dot, tmp_path):
    ok(convcli("apply", dot, "-k", "shift", "--method", method, "-o", "conv.png", cwd=tmp_path))
    ok(convcli("apply", dot, "-k", "shift", "--correlate", "--method", method, "-o", "corr.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "conv.png")).tolist() == [[3, 5]]
    assert np.argwhere(pixels(tmp_path / "corr.png")).tolist() == [[3, 3]]


@pytest.mark.parametrize("method", ["direct", "lowrank", "fft"])
def test_methods_and_threads_agree_on_a_photo(method, tmp_path):
    source = SAMPLES / "chelsea.png"
    ok(convcli("apply", source, "-k", "motion:length=7,angle=30", "-o", "auto.png", cwd=tmp_path))
    ok(
        convcli(
            "apply",
            source,
            "-k",
            "motion:length=7,angle=30",
            "--method",
            method,
            "--threads",
            "3",
            "-o",
            "forced.png",
            cwd=tmp_path,
        )
    )
    difference = np.abs(pixels(tmp_path / "auto.png").astype(int) - pixels(tmp_path / "forced.png"))
    assert difference.max() <= 1  # float32 rounding may move a value across a .5 boundary


def test_verbose_reports_the_method_and_time_on_stderr(tmp_path):
    err = ok(
        convcli(
            "blur",
            SAMPLES / "camera.png",
            "--sigma",
            "3",
            "--method",
            "fft",
            "--threads",
            "1",
            "-v",
            "-o",
            "soft.png",
            cwd=tmp_path,
        )
    )
    report = err.splitlines()[0]
    assert report.startswith("512x512: fft (tiles ") and "on 1 thread(s)" in report
    assert "estimated" in report and "took" in report
    quiet = ok(convcli("blur", SAMPLES / "camera.png", "-o", "soft.png", "--force", cwd=tmp_path))
    assert "took" not in quiet


def test_verbose_reports_the_threads_really_used(dot, tmp_path):
    err = ok(
        convcli("apply", dot, "-k", "emboss", "--method", "FFT", "--threads", "8", "-v", cwd=tmp_path, terminal=True)
    )
    assert ": fft (tiles " in err and "on 1 thread(s)" in err  # a 7x9 image is not worth a second thread


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["apply", "dot.png", "-k", "emboss", "--method", "separable"], ["--method separable", "rank-1"]),
        (["blur", "dot.png", "--method", "quick"], ["--method", "quick"]),
        (["blur", "dot.png", "--threads", "0"], ["--threads"]),
        (["sobel", "dot.png", "--threads", "many"], ["--threads"]),
    ],
)
def test_method_and_threads_usage_errors(args, fragments, dot, tmp_path):
    failed(convcli(*args, cwd=tmp_path), 2, *fragments)
    assert files_in(tmp_path) == {"dot.png"}
