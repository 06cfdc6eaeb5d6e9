"""The colour stored under fully transparent pixels is never seen: under the default --alpha of
every named kernel, of blur, sharpen and sobel, of kernel files, and in compare's panels.

Each test builds images that differ only in that hidden colour (green, blue, random) and
checks that what is visible (alpha > 0) comes out the same."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from processes import run_main

from convcli.choices import KERNEL_NAMES
from convcli.imaging.alpha import fill_hidden
from convcli.imaging.channels import from_array
from convcli.imaging.pipeline import Pipeline, Treatment
from convcli.imaging.transforms import KernelFilter
from convcli.kernels import Kernel


def _disc(size: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A shaded disc with a partly transparent rim on a transparent background: its colour and
    visible pixels vary, so a kernel has something to act on besides the outline."""
    rows, columns = np.mgrid[:size, :size]
    radius = np.hypot(rows - size / 2 + 0.5, columns - size / 2 + 0.5)
    colour = np.stack([200 + columns, 40 + 3 * rows, np.full_like(rows, 90)], axis=-1) % 256
    colour[8:14, 18:22] = (30, 220, 250)  # a patch: an edge inside the disc
    alpha = np.clip((size * 3 / 8 - radius) * 128, 0, 255)  # opaque inside, a rim of 128, clear outside
    return colour.astype(np.float64), alpha


def _hiding(colour: np.ndarray, alpha: np.ndarray, hidden: str, white: float) -> np.ndarray:
    colour = colour.copy()
    clear = alpha == 0
    if hidden == "random":
        colour[clear] = np.random.default_rng(7).uniform(0, white, (int(clear.sum()), colour.shape[-1]))
    else:
        colour[clear] = {"green": (0, white, 0), "blue": (0, 0, white)}[hidden]
    return colour


HIDDEN = ("green", "blue", "random")


def _rgba_png(path, hidden: str) -> None:
    colour, alpha = _disc()
    pixels = np.dstack([_hiding(colour, alpha, hidden, 255), alpha])
    Image.fromarray(np.rint(pixels).astype(np.uint8), "RGBA").save(path)


def _visible(path) -> tuple[np.ndarray, np.ndarray]:
    """The visible pixels' values (alpha > 0, colour and alpha) and the alpha plane."""
    if str(path).endswith(".npy"):
        pixels = np.load(path)
    else:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGBA" if image.mode in ("RGBA", "P") else image.mode))
    alpha = pixels[..., -1]
    return pixels[alpha > 0], alpha


def _same_visible(outputs: list) -> None:
    first, first_alpha = _visible(outputs[0])
    assert (first_alpha > 0).sum() > 100  # there is something visible to compare
    for other in outputs[1:]:
        values, alpha = _visible(other)
        np.testing.assert_array_equal(alpha, first_alpha)
        np.testing.assert_array_equal(values, first)


COMMANDS = [["apply", "-k", name] for name in KERNEL_NAMES] + [
    ["blur"],
    ["sharpen"],
    ["sobel"],
    ["sobel", "--axis", "x"],
    ["apply", "-k", "shift:dx=5"],
    ["apply", "-k", "sobel-x", "--correlate"],
    ["apply", "-k", "laplacian", "--method", "fft"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_named_kernel_shows_the_hidden_colour_by_default(command, tmp_path):
    outputs = []
    for hidden in HIDDEN:
        _rgba_png(tmp_path / f"{hidden}.png", hidden)
        assert run_main(*command[:1], f"{hidden}.png", *command[1:], "-o", f"{hidden}.out.png", cwd=tmp_path) == 0
        outputs.append(tmp_path / f"{hidden}.out.png")
    _same_visible(outputs)


@pytest.mark.parametrize("weights", ["-1 -1 -1\n-1 8 -1\n-1 -1 -1\n", "0 0 0\n0 0 1\n0 0 0\n", "1 -2 3\n"])
def test_kernel_files_do_not_show_the_hidden_colour(weights, tmp_path):
    (tmp_path / "k.txt").write_text(weights)
    outputs = []
    for hidden in HIDDEN:
        _rgba_png(tmp_path / f"{hidden}.png", hidden)
        assert run_main("apply", f"{hidden}.png", "-k", "k.txt", "-o", f"{hidden}.out.png", cwd=tmp_path) == 0
        outputs.append(tmp_path / f"{hidden}.out.png")
    _same_visible(outputs)


@pytest.mark.parametrize("dtype, white", [(np.uint16, 65535), (np.float32, 1.0), (np.uint8, 255)])
@pytest.mark.parametrize("grey", [False, True], ids=["rgba", "grey-alpha"])
@pytest.mark.parametrize("kernel", ["emboss", "laplacian", "gaussian"])
def test_16_bit_float_and_grey_alpha_keep_the_hidden_colour_hidden(dtype, white, grey, kernel, tmp_path):
    colour, alpha = _disc()
    scale = white / 255
    outputs = []
    for hidden in HIDDEN:
        values = _hiding(colour, alpha, hidden, 255) * scale
        if grey:
            values = values[..., :1]
        pixels = np.dstack([values, alpha / 255 * (1.0 if dtype is np.float32 else white)]).astype(dtype)
        np.save(tmp_path / f"{hidden}.npy", pixels)
        assert run_main("apply", f"{hidden}.npy", "-k", kernel, "-o", f"{hidden}.out.npy", cwd=tmp_path) == 0
        outputs.append(tmp_path / f"{hidden}.out.npy")
    _same_visible(outputs)


def test_the_default_for_a_kernel_with_negative_weights_keeps_alpha_and_fills_under_it(tmp_path):
    """What the default does besides hiding: alpha is the input's, and a flat colour stays flat
    up to its outline, so an edge filter finds no edge the transparency made."""
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 1] = 255  # green hidden
    rgba[5:15, 5:15] = (200, 30, 30, 255)
    Image.fromarray(rgba).save(tmp_path / "square.png")
    assert run_main("apply", "square.png", "-k", "laplacian", "-o", "out.png", cwd=tmp_path) == 0
    got = np.asarray(Image.open(tmp_path / "out.png"))
    np.testing.assert_array_equal(got[..., 3], rgba[..., 3])
    assert (got[5:15, 5:15, :3] == 0).all()  # a Laplacian of a flat square: nothing, up to its edge


def test_sobel_finds_no_edge_along_the_soft_outline_of_a_flat_colour(tmp_path):
    """Sobel stretches its strongest edge to white: a fill off by a rounding error would show
    as a white outline."""
    _, alpha = _disc()
    rgba = np.dstack([np.full(alpha.shape + (3,), (173, 91, 7)), alpha]).astype(np.uint8)
    rgba[alpha == 0, :3] = 0  # black hidden, as most editors leave it
    Image.fromarray(rgba).save(tmp_path / "flat.png")
    assert run_main("sobel", "flat.png", "-o", "edges.png", cwd=tmp_path) == 0
    got = np.asarray(Image.open(tmp_path / "edges.png"))
    assert (got[..., :3] == 0).all() and np.array_equal(got[..., 3], rgba[..., 3])


def test_ignore_is_colour_as_stored_and_says_so(tmp_path):
    """--alpha ignore filters the colour as stored: asked for, the hidden colour does show."""
    for hidden in ("green", "blue"):
        _rgba_png(tmp_path / f"{hidden}.png", hidden)
        run_main("apply", f"{hidden}.png", "-k", "emboss", "--alpha", "ignore", "-o", f"{hidden}.out.png", cwd=tmp_path)
    green, blue = (_visible(tmp_path / f"{hidden}.out.png")[0] for hidden in ("green", "blue"))
    assert not np.array_equal(green, blue)


def test_fill_hidden_uses_visible_colour_only():
    colour, alpha = _disc(24)
    colour = colour.astype(np.float32)  # as 8-bit images are filtered: a flat band fills exactly
    filled = [fill_hidden(_hiding(colour, alpha, hidden, 255), alpha, 255) for hidden in HIDDEN]
    for other in filled[1:]:
        np.testing.assert_array_equal(other, filled[0])
    np.testing.assert_array_equal(filled[0][alpha > 0], colour[alpha > 0])  # visible colour untouched
    visible = colour[alpha > 0]
    assert (filled[0] >= visible.min(axis=0)).all() and (filled[0] <= visible.max(axis=0)).all()


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (6, 1), (3, 3), (17, 30)])
def test_one_visible_pixel_fills_every_shape_with_its_colour(shape):
    alpha = np.zeros(shape, np.float32)
    alpha[-1, -1] = 3  # faint, in a corner: its colour is all there is to see
    colour = np.full(shape + (3,), np.nan, np.float32)
    colour[-1, -1] = (12.375, 200.1, 0.5)
    filled = fill_hidden(colour, alpha, 255)
    assert filled.shape == colour.shape and filled.dtype == np.float32
    np.testing.assert_array_equal(filled, np.broadcast_to(colour[-1, -1], colour.shape))
    assert (fill_hidden(colour[..., 0], np.zeros(shape, np.float32), 255) == 0).all()  # nothing to see


def test_nan_under_full_transparency_stays_hidden():
    colour, alpha = _disc(16)
    hidden = colour.copy()
    hidden[alpha == 0] = np.nan
    blur = KernelFilter(Kernel(np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]) / 3, "blur"))

    def filtered(colour, mode):
        planes = from_array(np.dstack([colour, alpha]).astype(np.float32) / 255, "disc")
        return Pipeline(planes, blur, Treatment(alpha=mode)).filtered()

    for mode in ("premultiply", "keep"):
        want = filtered(colour, mode)
        got = filtered(hidden, mode)
        seen = want[1] > 0
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[0][seen], want[0][seen])
        assert np.isfinite(got[0][seen]).all()


@pytest.mark.parametrize("kernel", ["shift:dx=5", "emboss", "gaussian"])
def test_compare_shows_each_image_as_it_is_seen(kernel, tmp_path):
    panels = []
    for hidden in HIDDEN:
        _rgba_png(tmp_path / f"{hidden}.png", hidden)
        assert run_main("compare", f"{hidden}.png", "-k", kernel, "-o", f"{hidden}.panel.png", cwd=tmp_path) == 0
        with Image.open(tmp_path / f"{hidden}.panel.png") as panel:
            panels.append(np.asarray(panel))
    for other in panels[1:]:
        np.testing.assert_array_equal(other, panels[0])
    original = panels[0][:, :40]
    _, alpha = _disc()
    behind = original[alpha == 0]
    assert np.isin(behind, (102, 153)).all()  # the grey checks show through, in both greys
    assert {102, 153} <= set(np.unique(behind))


@pytest.mark.parametrize("command", [["apply", "-k", "emboss"], ["blur"], ["sobel"], ["sharpen"]], ids=" ".join)
@pytest.mark.parametrize("suffix", [".bmp", ".ppm", ".jpg"])
def test_an_output_without_alpha_shows_the_result_over_black_never_the_hidden_colour(command, suffix, tmp_path):
    """JPEG, BMP, PNM hold no alpha: the image is still filtered with its alpha, then flattened
    onto black (as libvips' savers do), so every pixel is visible and none shows the hidden colour."""
    outputs = []
    for hidden in HIDDEN:
        _rgba_png(tmp_path / f"{hidden}.png", hidden)
        assert run_main(*command[:1], f"{hidden}.png", *command[1:], "-o", f"{hidden}{suffix}", cwd=tmp_path) == 0
        with Image.open(tmp_path / f"{hidden}{suffix}") as image:
            outputs.append(np.asarray(image.convert("RGB")).astype(int))
    for other in outputs[1:]:
        np.testing.assert_array_equal(other, outputs[0])
    assert (outputs[0][:3, :3] <= 1).all()  # a corner, clear in the input: black
    assert run_main(*command[:1], "green.png", *command[1:], "-o", "with-alpha.png", cwd=tmp_path) == 0
    rgba = np.asarray(Image.open(tmp_path / "with-alpha.png")).astype(float)
    flattened = np.round(rgba[..., :3] * rgba[..., 3:] / 255)
    if suffix != ".jpg":  # lossless: exactly the result with alpha, composited over black
        np.testing.assert_array_equal(outputs[0], flattened)


@pytest.mark.parametrize("alpha_mode", ["premultiply", "separate", "keep"])
@pytest.mark.parametrize("cval", ["0", "200"])
def test_a_constant_border_is_opaque_cval_so_an_opaque_image_with_alpha_filters_as_one_without(
    alpha_mode, cval, tmp_path
):
    """--cval is a colour: beyond the image lies opaque cval, so alpha stays opaque at the edge
    (it took cval too: alpha 92 in a corner for cval 0) and the colour is that of the same
    picture without alpha (cval 200 showed as white through premultiplication)."""
    rgb = np.random.default_rng(3).integers(0, 256, (12, 14, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])).save(tmp_path / "rgba.png")
    common = ["-k", "gaussian", "--border", "constant", "--cval", cval]
    assert run_main("apply", "rgb.png", *common, "-o", "rgb.out.png", cwd=tmp_path) == 0
    assert run_main("apply", "rgba.png", *common, "--alpha", alpha_mode, "-o", "rgba.out.png", cwd=tmp_path) == 0
    without = np.asarray(Image.open(tmp_path / "rgb.out.png")).astype(int)
    with_alpha = np.asarray(Image.open(tmp_path / "rgba.out.png")).astype(int)
    assert (with_alpha[..., 3] == 255).all()
    assert np.abs(with_alpha[..., :3] - without).max() <= 1
