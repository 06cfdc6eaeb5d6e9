"""One convention each: positions are x,y; a kernel has one default; distinct kernels name their
results apart; sobel takes a fixed scale; and the messages say what happened, in plurals that agree."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from processes import files_in, pixels, run_main, save
from scipy import ndimage

import convcli
from convcli.kernels import named


def test_origin_is_x_then_y_as_at_is(tmp_path, capsys):
    """--origin 2,0 on a 1x3 kernel is column 2 of row 0, the cell --at 2,0 would name in an image."""
    image = np.zeros((3, 7), np.uint8)
    image[1, 3] = 50
    source = save(image, tmp_path / "dot.png")
    assert run_main("apply", source, "-k", "1 2 3", "--origin", "2,0", "-o", tmp_path / "out.png") == 0
    want = convcli.convolve(image.astype(float), [[1, 2, 3]], anchor=(0, 2), border="constant")
    np.testing.assert_array_equal(pixels(tmp_path / "out.png"), want)
    capsys.readouterr()
    assert run_main("explain", source, "--at", "1,1", "-k", "1 2 3", "--origin", "2,0", "--border", "constant") == 0
    text = capsys.readouterr().out
    assert "pixel x=1, y=1" in text and f"pixel value {pixels(tmp_path / 'out.png')[1, 1]} " in text


def test_the_row_first_anchor_is_refused_with_the_origin_it_means(dot, capsys):
    for command in (
        ["apply", dot, "-k", "1 2 3"],
        ["kernel", "show", "1 2 3"],
        ["explain", dot, "--at", "1,1", "-k", "1"],
    ):
        assert run_main(*command, "--anchor", "0,2") == 2
        err = capsys.readouterr().err
        assert "--anchor ROW,COL is now --origin X,Y" in err and "--origin 2,0" in err, command


def test_a_json_kernel_file_takes_its_origin_x_first_and_refuses_anchor(tmp_path, capsys):
    from convcli.kernels import resolve_kernel

    (tmp_path / "k.json").write_text(json.dumps({"kernel": [[1, 2, 3]], "origin": [2, 0]}))
    assert resolve_kernel(str(tmp_path / "k.json")).anchor == (0, 2)
    (tmp_path / "old.json").write_text(json.dumps({"kernel": [[1, 2, 3]], "anchor": [0, 2]}))
    assert run_main("kernel", "show", tmp_path / "old.json") == 1
    assert 'write "origin": [2, 0]' in capsys.readouterr().err


def test_positions_and_sizes_read_x_first_in_help_and_messages(tmp_path, capsys):
    for command in ("apply", "explain", "compare"):
        assert run_main(command, "--help") == 0
        text = re.sub(r"[\s│]+", " ", capsys.readouterr().out)
        assert "--origin X,Y" in text and "column x, then row y" in text, command
        assert command != "explain" or "--at X,Y" in text
    source = save(np.zeros((4, 5), np.uint8), tmp_path / "flat.png")
    assert run_main("apply", source, "-k", "1 2 3", "--origin", "0,1", "-o", tmp_path / "o.png") == 2
    assert "x=0, y=1 lies outside the 3x1 kernel (x from 0 to 2, y from 0 to 0)" in capsys.readouterr().err


def test_blur_and_the_gaussian_kernel_share_one_default_sigma(tmp_path, capsys):
    image = np.random.default_rng(3).integers(0, 256, (20, 24), dtype=np.uint8)
    source = save(image, tmp_path / "noise.png")
    assert run_main("blur", source, "-o", tmp_path / "blur.png") == 0
    assert run_main("apply", source, "-k", "gaussian", "-o", tmp_path / "kernel.png") == 0
    np.testing.assert_array_equal(pixels(tmp_path / "blur.png"), pixels(tmp_path / "kernel.png"))
    want = ndimage.gaussian_filter(image.astype(float), named.GAUSSIAN_SIGMA, mode="reflect")
    np.testing.assert_array_equal(pixels(tmp_path / "blur.png"), np.clip(np.rint(want), 0, 255))
    from convcli.filters import gaussian_blur, sharpen

    assert gaussian_blur.__defaults__[0] == named.gaussian.__defaults__[0] == named.GAUSSIAN_SIGMA
    assert sharpen.__defaults__[0] == named.sharpen.__defaults__[0] == named.SHARPEN_AMOUNT
    capsys.readouterr()
    for command, default in (("blur", named.GAUSSIAN_SIGMA), ("sharpen", named.SHARPEN_AMOUNT)):
        assert run_main(command, "--help") == 0
        assert f"Default: {default:g}, the" in re.sub(r"[\s│]+", " ", capsys.readouterr().out), command


def test_distinct_kernels_name_their_results_apart_and_one_kernel_names_them_alike(tmp_path, capsys):
    source = save(np.full((5, 6), 50, np.uint8), tmp_path / "photo.png")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "edge.txt").write_text("1 0 -1")
    (tmp_path / "b" / "edge.txt").write_text("-1 0 1")
    for kernel in (
        "1 2 1",
        "1 0 -1",
        "a/edge.txt",
        "b/edge.txt",
        "gaussian:2",
        "gaussian:3",
        "shift:dx=-2,dy=1",
        "motion:length=5,angle=30",
    ):
        assert run_main("apply", source, "-k", kernel, "-d", "out", cwd=tmp_path) == 0, capsys.readouterr().err
    assert run_main("apply", source, "-k", "1 2 1", "--origin", "0,0", "-d", "out", cwd=tmp_path) == 0
    assert run_main("apply", source, "-k", "sobel-x", "--origin", "0,2", "-d", "out", cwd=tmp_path) == 0
    names = files_in(tmp_path / "out")
    assert len(names) == 10
    assert {"photo.gaussian.png", "photo.gaussian-sigma=3.png", "photo.shift-dx=-2-dy=1.png"} <= names
    assert {"photo.motion-length=5-angle=30.png", "photo.sobel-x.origin-x0-y2.png"} <= names
    assert all(re.fullmatch(r"[A-Za-z0-9._=-]+", name) for name in names), names
    assert len([name for name in names if name.startswith("photo.edge-")]) == 2
    capsys.readouterr()
    # The same kernel, however it is written, names one output: the second run finds it there.
    for again in ("1,2,1", "[1, 2, 1]", "3x1: 1 2 1", "gaussian:sigma=3", "motion:5,30"):
        assert run_main("apply", source, "-k", again, "-d", "out", cwd=tmp_path) == 1, again
        assert "exists" in capsys.readouterr().err


def test_compare_names_its_panel_after_the_kernel_too(tmp_path, capsys, monkeypatch):
    from convcli.imaging import stdout

    monkeypatch.setattr(stdout, "takes_images", lambda: False)
    source = save(np.random.default_rng(1).integers(0, 256, (6, 7), dtype=np.uint8), tmp_path / "photo.png")
    for kernel in ("1 2 3", "3 2 1", "shift:dx=2"):
        assert run_main("compare", source, "-k", kernel, cwd=tmp_path) == 0, capsys.readouterr().err
    panels = files_in(tmp_path) - {"photo.png"}
    assert len(panels) == 3 and "photo.compare-shift-dx=2.png" in panels


def _edge(tmp_path, name: str, high: int):
    image = np.zeros((6, 8), np.uint8)
    image[:, 4:] = high
    return save(image, tmp_path / name)


def test_sobel_max_fixes_the_scale_so_the_frames_of_a_batch_compare(tmp_path, capsys):
    """A step of 100 is a gradient of 400 along x (4 x 100), of 50 one of 200."""
    strong, faint = _edge(tmp_path, "strong.png", 100), _edge(tmp_path, "faint.png", 50)
    assert run_main("sobel", strong, faint, "--axis", "x", "-d", "stretched", cwd=tmp_path) == 0
    assert (
        pixels(tmp_path / "stretched/strong.sobel-x.png").max()
        == pixels(tmp_path / "stretched/faint.sobel-x.png").max()
    )
    assert run_main("sobel", strong, faint, "--axis", "x", "--max", "400", "-d", "fixed", cwd=tmp_path) == 0
    assert pixels(tmp_path / "fixed/strong.sobel-x.png").max() == 255
    assert pixels(tmp_path / "fixed/faint.sobel-x.png").max() == 128  # 200 / 400 x 255 = 127.5, to even
    # In the input's units at any depth: 8-bit 400 is 16-bit 65535 when --max is 400.
    assert run_main("sobel", strong, "--axis", "x", "--max", "800", "--depth", "16", "-o", tmp_path / "s16.png") == 0
    assert pixels(tmp_path / "s16.png").max() == 32768  # 400 / 800 x 65535 = 32767.5, to even
    data = np.zeros((6, 8), np.float32)
    data[:, 4:] = 0.5
    np.save(tmp_path / "f.npy", data)
    assert run_main("sobel", tmp_path / "f.npy", "--axis", "x", "--max", "4", "-o", tmp_path / "f.out.npy") == 0
    assert np.load(tmp_path / "f.out.npy").max() == pytest.approx(0.5)  # a gradient of 2, half of --max 4
    capsys.readouterr()
    for bad in ("0", "-3", "nan", "inf"):
        assert run_main("sobel", strong, "--max", bad, "-o", tmp_path / "bad.png") == 2, bad
        assert "--max must be a positive number" in capsys.readouterr().err


def test_a_tiny_sobel_max_makes_every_gradient_white_without_nan(tmp_path, capsys):
    """255 / 1e-300 overflows float32: any gradient at all is then white, none NaN, nothing said."""
    edge = _edge(tmp_path, "edge.png", 100)
    assert run_main("sobel", edge, "--axis", "x", "--max", "1e-300", "-o", tmp_path / "tiny.npy") == 0
    assert "warning" not in capsys.readouterr().err
    result = np.load(tmp_path / "tiny.npy")
    assert not np.isnan(result).any()
    assert set(np.unique(result)) == {0.0, 255.0}  # a float result of 8-bit input: in its units


def test_a_float_image_stepped_down_to_8_bits_is_said_to_be_stretched_when_it_is(tmp_path, capsys):
    data = np.random.default_rng(5).random((8, 9)).astype(np.float32) * 3
    np.save(tmp_path / "f.npy", data)
    assert run_main("sobel", tmp_path / "f.npy", "-o", tmp_path / "s.png") == 0
    err = capsys.readouterr().err
    assert "stretched so that the strongest is 255" in err and "rounded, and clipped" not in err
    assert run_main("apply", tmp_path / "f.npy", "-k", "emboss", "--rescale", "-o", tmp_path / "r.png") == 0
    assert "stretched so that their lowest is 0 and their highest 255" in capsys.readouterr().err
    assert run_main("sobel", tmp_path / "f.npy", "--max", "2", "-o", tmp_path / "m.png") == 0
    assert "scaled so that 2 (--max) is 255" in capsys.readouterr().err
    assert run_main("apply", tmp_path / "f.npy", "-k", "emboss", "-o", tmp_path / "c.png") == 0
    assert "rounded, and clipped where outside 0..255" in capsys.readouterr().err  # what happened there


def test_explain_marks_border_values_with_parentheses_only(capsys):
    assert run_main("explain", "--signal", "1 2 3", "--kernel", "1 0 -1", "--size", "same") == 0
    text = capsys.readouterr().out
    assert "they are in (parentheses)" in text and "brackets" not in text
    assert "c[0] = (1)×-1 + 1×0 + 2×1 = 1" in text  # the border's value in parentheses, a negative weight not
    assert "c[1] = 1×-1 + 2×0 + 3×1 = 2" in text and "a:         (1)  1    2    3    (3)" in text


@pytest.mark.parametrize(
    "args, expected",
    [
        (["kernel", "show", "1 2 3"], "1 row x 3 columns,"),
        (["kernel", "show", "1; 2"], "2 rows x 1 column,"),
        (["explain", "--signal", "1", "--kernel", "1"], "(1 output)"),
    ],
)
def test_counts_agree_with_their_nouns(args, expected, capsys):
    assert run_main(*args) == 0
    assert expected in capsys.readouterr().out


def test_one_tap_and_one_row_are_singular_in_messages(dot, tmp_path, capsys):
    assert run_main("apply", dot, "-k", "identity", "-v", "--method", "direct", "-o", tmp_path / "o.png") == 0
    assert "direct (1 tap)" in capsys.readouterr().err
    from convcli.errors import ConvcliError
    from convcli.kernels import resolve_kernel

    (tmp_path / "k.mat").write_text("3 3\n1 2 3\n")
    with pytest.raises(ConvcliError, match="but 1 row of 3 numbers follow"):
        resolve_kernel(str(tmp_path / "k.mat"))
    (tmp_path / "k.csv").write_text("1,2\n3\n")
    with pytest.raises(ConvcliError, match="line 2: 1 cell, but"):
        resolve_kernel(str(tmp_path / "k.csv"))


def test_a_motion_kernel_is_as_large_as_its_streak_and_says_why_it_holds_zeros(tmp_path, capsys):
    assert run_main("kernel", "show", "motion", "length=5") == 0
    text = capsys.readouterr().out
    assert "motion-length=5: 1 row x 9 columns" in text and "origin at x=4, y=0 (the centre)" in text
    assert "Why the zeros: the streak starts at the origin" in text
    assert run_main("kernel", "show", "motion", "length=1") == 0
    assert "Why the zeros" not in capsys.readouterr().out  # one cell, no zero to explain
    for angle, shape in ((0, (1, 9)), (90, (9, 1)), (180, (1, 9)), (45, (7, 7))):
        assert named.motion(5, angle).shape == shape, angle
    # Cropped, it blurs as the square did: the rows and columns it lost held zeros only.
    image = np.random.default_rng(2).random((15, 17))
    square = np.zeros((9, 9))
    square[4, 4:] = 0.2
    np.testing.assert_allclose(
        convcli.convolve(image, named.motion(5), dtype=np.float64), ndimage.convolve(image, square, mode="reflect")
    )


def test_a_kernel_of_zeros_is_said_to_give_zeros(capsys):
    assert run_main("kernel", "show", "0 0 0") == 0
    facts = capsys.readouterr().out.splitlines()[-1]
    assert facts == "every weight is 0: every result is 0, whatever the image"  # not "rank 1", nor "responds to change"
