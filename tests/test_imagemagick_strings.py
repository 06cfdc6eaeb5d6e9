"""An ImageMagick kernel string means what it means to ImageMagick: its origin (its default for
even sides included) and what -morphology Convolve and Correlate compute with it.

The expectations are ImageMagick 6.9.11's own (/usr/bin/convert), stored here as CI has no
ImageMagick, with the commands that made them."""

import numpy as np
import pytest
from processes import pixels, run_main, save

from convcli.kernels import resolve_kernel

# The origins ImageMagick reports for every size from 1x1 to 5x4 with no origin given:
# convert xc: -define morphology:showkernel=1 -morphology Convolve "WxH: 1 1 ..." null:
IMAGEMAGICK_ORIGINS = (
    "1x1+0+0 1x2+0+0 1x3+0+1 1x4+0+1 2x1+0+0 2x2+0+0 2x3+0+1 2x4+0+1 3x1+1+0 3x2+1+0 "
    "3x3+1+1 3x4+1+1 4x1+1+0 4x2+1+0 4x3+1+1 4x4+1+1 5x1+2+0 5x2+2+0 5x3+2+1 5x4+2+1"
).split()


@pytest.mark.parametrize("reported", IMAGEMAGICK_ORIGINS)
def test_a_string_without_an_origin_is_anchored_at_imagemagicks(reported):
    size, x, y = reported.split("+")
    width, height = (int(side) for side in size.split("x"))
    kernel = resolve_kernel(f"{size}: " + " ".join(["1"] * (width * height)))
    assert kernel.matrix.shape == (height, width)
    assert kernel.centre == (int(y), int(x))  # the anchor it is applied at; ImageMagick's +X+Y is column, row


def test_an_explicit_origin_is_column_then_row_and_n_means_n_by_n():
    assert resolve_kernel("4x3+3+1: " + "1 " * 12).anchor == (1, 3)
    assert resolve_kernel("2x2+0+1: 1 2 3 4").anchor == (1, 0)
    assert resolve_kernel("4: " + "1 " * 16).centre == (1, 1)  # 4x4+1+1, as ImageMagick says


IMAGE = np.array(  # np.random.default_rng(14).integers(0, 256, (6, 7), dtype=np.uint8)
    [
        [61, 78, 120, 38, 162, 82, 187],
        [212, 65, 73, 65, 167, 49, 0],
        [103, 92, 232, 121, 179, 22, 31],
        [185, 230, 179, 253, 187, 28, 89],
        [171, 190, 48, 220, 240, 61, 153],
        [86, 230, 97, 45, 164, 252, 36],
    ],
    np.uint8,
)
# Each case: the kernel, convcli's border and options, and ImageMagick's output of
# convert image.png -define convolve:scale=0.1 -virtual-pixel VP -morphology METHOD KERNEL -depth 8 out.png
CASES = {
    "2x2, Convolve, edge": (
        "2x2: 1,2 3,4",
        ["--border", "nearest"],
        [
            [61, 67, 94, 87, 87, 130, 124],
            [106, 96, 87, 80, 93, 127, 98],
            [179, 134, 89, 107, 118, 119, 27],
            [127, 128, 170, 190, 171, 118, 32],
            [180, 196, 188, 179, 225, 137, 65],
            [145, 165, 146, 109, 185, 172, 124],
        ],
    ),
    "4x1, Convolve, tile": (
        "4x1: 1,2,3,4",
        ["--border", "wrap"],
        [
            [108, 120, 75, 91, 100, 98, 132],
            [68, 83, 125, 77, 87, 85, 102],
            [47, 84, 127, 148, 167, 109, 94],
            [97, 155, 204, 215, 187, 171, 119],
            [123, 155, 157, 158, 139, 187, 162],
            [151, 95, 127, 146, 110, 121, 157],
        ],
    ),
    "3x4, Convolve, black": (
        "3x4: 1 0 2 0 3 0 1 1 0 2 0 0",
        ["--border", "constant"],
        [
            [24, 73, 55, 42, 66, 58, 65],
            [86, 83, 68, 103, 100, 80, 23],
            [97, 120, 162, 146, 145, 95, 14],
            [107, 155, 162, 172, 136, 77, 42],
            [134, 171, 132, 181, 132, 72, 105],
            [107, 128, 106, 96, 84, 114, 26],
        ],
    ),
    "3x2+2+1, Convolve, mirror": (  # ImageMagick's mirror repeats the edge pixel: convcli's reflect
        "3x2+2+1: 1 2 0 3 0 4",
        ["--border", "reflect"],
        [
            [80, 63, 126, 78, 130, 88, 104],
            [148, 104, 121, 78, 74, 28, 23],
            [174, 134, 215, 95, 95, 44, 39],
            [170, 199, 195, 163, 129, 83, 80],
            [138, 165, 116, 164, 195, 81, 111],
            [119, 129, 113, 151, 130, 122, 122],
        ],
    ),
    "2x2+1+1, Convolve, edge": (
        "2x2+1+1: 1,2 3,4",
        ["--border", "nearest"],
        [
            [96, 87, 80, 93, 127, 98, 130],
            [134, 89, 107, 118, 119, 27, 9],
            [128, 170, 190, 171, 118, 32, 48],
            [196, 188, 179, 225, 137, 65, 108],
            [165, 146, 109, 185, 172, 124, 117],
            [143, 176, 76, 92, 199, 165, 36],
        ],
    ),
    "2x3, Correlate, edge": (  # also -convolve "2x3: ..." with no scale: it normalises, and correlates
        "2x3: 1 2 3 0 4 0",
        ["--border", "nearest", "--correlate"],
        [
            [124, 81, 84, 73, 148, 89, 112],
            [126, 88, 134, 104, 154, 69, 68],
            [139, 140, 161, 177, 155, 22, 44],
            [152, 200, 120, 211, 174, 41, 97],
            [150, 207, 121, 146, 161, 139, 87],
            [115, 189, 116, 101, 151, 213, 71],
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_result_is_imagemagicks_within_one_level(case, tmp_path):
    kernel, options, expected = CASES[case]
    save(IMAGE, tmp_path / "in.png")
    code = run_main("apply", "in.png", "-k", kernel, "--scale", "0.1", *options, "-o", "out.png", "-q", cwd=tmp_path)
    assert code == 0
    # ImageMagick rounds to 16 bits before 8, so a sum near a half may land one level away.
    assert np.abs(pixels(tmp_path / "out.png").astype(int) - expected).max() <= 1, case


def test_kernel_show_names_the_origin_it_used(tmp_path, capsys):
    def first_line(*args):
        assert run_main("kernel", "show", *args, cwd=tmp_path) == 0
        return capsys.readouterr().out.splitlines()[0]

    assert first_line("2x2: 1,2 3,4").endswith(
        "origin at x=0, y=0 (ImageMagick's default origin +0+0: x = (width - 1) // 2, y = (height - 1) // 2)"
    )
    assert "origin at x=1, y=0 (ImageMagick's default origin +1+0" in first_line("4x1: 1,2,3,4")
    assert first_line("3: 1 2 3 4 5 6 7 8 9").endswith("(the centre, ImageMagick's origin +1+1)")
    origin = "the string's origin +1+0"
    assert first_line("2x2+1+0: 1,2 3,4").endswith(f"origin at x=1, y=0 ({origin})")
    turned = first_line("2x2+1+0: 1,2 3,4", "--rotate", "90")
    assert turned.endswith(f"origin at x=0, y=0 ({origin}; turned with the kernel)")
    assert first_line("2x2+1+0: 1,2 3,4", "--origin", "1,1").endswith("origin at x=1, y=1")  # the option's
