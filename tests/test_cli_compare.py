"""`convcli compare`: the panel of original, convolved, correlated and difference, and its legend."""

from __future__ import annotations

import numpy as np
import pytest
from processes import SAMPLES, convcli, failed, files_in, ok, pixels, save

GAP = 4


def panels(path, width):
    strip = pixels(path)
    return [strip[:, i * (width + GAP) : i * (width + GAP) + width] for i in range(4)]


def test_the_panel_holds_the_original_both_filters_and_their_difference(tmp_path):
    source = SAMPLES / "chelsea.png"
    err = ok(convcli("compare", source, "-k", "emboss", "-o", "panel.png", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "emboss", "-o", "conv.png", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "emboss", "--correlate", "-o", "corr.png", cwd=tmp_path))
    original = pixels(source)
    height, width = original.shape[:2]
    assert pixels(tmp_path / "panel.png").shape == (height, 4 * width + 3 * GAP, 3)
    first, convolved, correlated, difference = panels(tmp_path / "panel.png", width)
    np.testing.assert_array_equal(first, original)
    np.testing.assert_array_equal(convolved, pixels(tmp_path / "conv.png"))
    np.testing.assert_array_equal(correlated, pixels(tmp_path / "corr.png"))
    assert difference.max() == 255 and difference.min() == 0  # stretched: the largest difference is white
    assert "original | convolved | correlated | difference" in err
    assert "max |convolved - correlated| = " in err and "mean = " in err


def test_the_numbers_are_the_real_differences(tmp_path):
    image = np.zeros((5, 7), np.uint8)
    image[2, 3] = 100
    source = save(image, tmp_path / "dot.png")
    err = ok(convcli("compare", source, "-k", "shift", cwd=tmp_path, terminal=True))
    # The dot moves right one way and left the other: differences of 100 at two pixels of 35.
    assert "max |convolved - correlated| = 100, mean = 5.71429" in err
    assert "dot.compare-shift.png" in files_in(tmp_path)


def test_a_flip_symmetric_kernel_makes_no_difference_and_says_why(tmp_path):
    err = ok(convcli("compare", SAMPLES / "camera.png", "-k", "gaussian:2", "-o", "g.png", cwd=tmp_path))
    assert "The difference is exactly 0" in err and "equals the one opposite it across the origin" in err
    assert panels(tmp_path / "g.png", 512)[3].max() == 0


def test_an_even_symmetric_kernel_differs_by_a_shift(tmp_path):
    err = ok(convcli("compare", SAMPLES / "camera.png", "-k", "1 1", "-o", "e.png", cwd=tmp_path))
    assert "origin is off-centre, so the flip shifts the result" in err


def test_mapping_options_apply_to_the_filtered_panels(tmp_path):
    source = SAMPLES / "camera.png"
    ok(convcli("compare", source, "-k", "sobel-x", "--abs", "-o", "p.png", cwd=tmp_path))
    ok(convcli("apply", source, "-k", "sobel-x", "--abs", "-o", "a.png", cwd=tmp_path))
    np.testing.assert_array_equal(panels(tmp_path / "p.png", 512)[1], pixels(tmp_path / "a.png"))


@pytest.mark.parametrize(
    "args, code, fragments",
    [
        (["nope.png", "-k", "emboss"], 1, ("nope.png: no such file",)),
        (["IMG", "-k", "nosuch"], 2, ("unknown kernel",)),
        (["IMG", "-k", "emboss", "-o", "x.xyz"], 2, ("x.xyz",)),
        (["IMG", "-k", "emboss", "--abs", "--rescale"], 2, ("exclude each other",)),
    ],
)
def test_compare_errors(args, code, fragments, tmp_path):
    args = [str(SAMPLES / "camera.png") if a == "IMG" else a for a in args]
    failed(convcli("compare", *args, cwd=tmp_path), code, *fragments)
    assert files_in(tmp_path) == set()


def test_a_kernel_symmetric_about_its_origin_makes_no_difference(tmp_path):
    err = ok(convcli("compare", SAMPLES / "camera.png", "-k", "0 1 2 1", "-o", "z.png", cwd=tmp_path))
    assert "The difference is exactly 0" in err and "flat image" not in err


def test_compare_refuses_an_output_that_cannot_hold_a_panel_before_filtering(tmp_path):
    failed(
        convcli("compare", SAMPLES / "camera.png", "-k", "emboss", "-o", "c.npy", cwd=tmp_path),
        2,
        "c.npy: compare writes an 8-bit panel image",
    )
