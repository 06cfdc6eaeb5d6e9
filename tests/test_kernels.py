"""Named kernels, their conventions, and kernels written as text."""

import numpy as np
import pytest
from scipy import ndimage

from convcli import convolve, correlate
from convcli.choices import KERNEL_NAMES
from convcli.errors import ConvcliError, UsageError
from convcli.filters import gaussian_blur, sharpen, sobel
from convcli.kernels import KERNELS, named_kernel, parse_kernel_text, resolve_kernel
from convcli.kernels.named import box, emboss, gaussian, motion, shift, sobel_x, sobel_y, unsharp
from convcli.kernels.text import KernelSyntaxError


def point(shape=(9, 9), at=(4, 4)):
    image = np.zeros(shape)
    image[at] = 1.0
    return image


def brightest(image):
    return np.unravel_index(np.argmax(image), image.shape)


def test_the_command_line_offers_every_named_kernel_in_the_registrys_order():
    assert KERNEL_NAMES == tuple(KERNELS)


def test_every_named_kernel_builds_with_defaults():
    for name, entry in KERNELS.items():
        matrix = named_kernel(name).matrix
        assert matrix.ndim == 2 and np.all(np.isfinite(matrix)), name
        assert entry.summary


def test_convolving_a_point_stamps_the_kernel_correlating_stamps_it_rotated():
    for name in ("emboss", "sobel-x", "sobel-y", "motion:3,45", "shift:1,-1"):
        k = named_kernel(name).matrix
        kh, kw = k.shape
        image = point((kh + 6, kw + 6), (kh // 2 + 3, kw // 2 + 3))
        conv = convolve(image, k, border="constant")
        corr = correlate(image, k, border="constant")
        np.testing.assert_allclose(conv[3 : 3 + kh, 3 : 3 + kw], k, atol=1e-6)
        np.testing.assert_allclose(corr[3 : 3 + kh, 3 : 3 + kw], k[::-1, ::-1], atol=1e-6)
        assert not np.allclose(conv, corr), name


def test_sobel_x_points_right_under_convolution():
    ramp = np.tile(np.arange(8.0), (5, 1))  # brightens to the right by 1 per pixel
    assert np.all(convolve(ramp, sobel_x(), border="nearest")[:, 1:-1] == 8)
    assert np.all(correlate(ramp, sobel_x(), border="nearest")[:, 1:-1] == -8)


def test_sobel_y_points_down_under_convolution():
    ramp = np.tile(np.arange(8.0)[:, None], (1, 5))  # brightens downward
    assert np.all(convolve(ramp, sobel_y(), border="nearest")[1:-1] == 8)
    assert np.all(correlate(ramp, sobel_y(), border="nearest")[1:-1] == -8)
    np.testing.assert_allclose(sobel(ramp, "y", border="nearest"), ndimage.sobel(ramp, axis=0, mode="nearest"))


def test_sobel_magnitude():
    r = np.random.default_rng(1)
    image = r.uniform(size=(12, 10))
    want = np.hypot(ndimage.sobel(image, 0, mode="reflect"), ndimage.sobel(image, 1, mode="reflect"))
    np.testing.assert_allclose(sobel(image), want, atol=1e-5)
    np.testing.assert_allclose(sobel(image, "x"), ndimage.sobel(image, 1, mode="reflect"), atol=1e-5)
    with pytest.raises(ValueError, match="axis"):
        sobel(image, "z")


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.3, 4.0])
def test_gaussian_matches_scipy_gaussian_filter(sigma):
    image = np.random.default_rng(2).uniform(size=(40, 33))
    for border in ("reflect", "nearest", "wrap", "mirror", "constant"):
        got = gaussian_blur(image, sigma, border=border)
        want = ndimage.gaussian_filter(image, sigma, mode=border, truncate=4.0)
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_gaussian_box_unsharp_preserve_the_mean():
    for k in (gaussian(1.5), box(4), unsharp(2.0, 0.7), named_kernel("sharpen:2").matrix):
        assert k.sum() == pytest.approx(1.0)
    assert gaussian(1.0, truncate=4).shape == (9, 9)
    assert gaussian(1.0, truncate=2).shape == (5, 5)


def test_sharpen_amount():
    np.testing.assert_array_equal(named_kernel("sharpen").matrix, [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(
        named_kernel("sharpen:amount=0.5").matrix, [[0, -0.5, 0], [-0.5, 3, -0.5], [0, -0.5, 0]]
    )
    flat = np.full((5, 5), 7.0)
    np.testing.assert_allclose(sharpen(flat, 3.0), flat)


def test_emboss_is_not_flip_symmetric():
    k = emboss()
    assert not np.array_equal(k, k[::-1, ::-1])
    assert k.sum() == 1


def test_motion_points_along_its_angle():
    for angle, step in ((0, (0, 1)), (90, (-1, 0)), (180, (0, -1)), (270, (1, 0))):
        k = motion(5, angle)
        cy, cx = k.shape[0] // 2, k.shape[1] // 2
        assert k.sum() == pytest.approx(1.0)
        cells = [(cy + t * step[0], cx + t * step[1]) for t in range(5)]
        assert all(k[cell] == pytest.approx(0.2) for cell in cells), angle
        assert np.count_nonzero(k) == 5, angle  # nothing beside the streak, not even 1e-17
    diagonal = motion(4, 45)
    c = diagonal.shape[0] // 2
    assert diagonal[c, c] > 0 and diagonal[c - 1, c + 1] > 0 and diagonal[c + 1, c - 1] == 0


def test_shift_moves_a_point():
    image = point()
    assert brightest(convolve(image, shift(2, -1), border="constant")) == (3, 6)
    assert brightest(correlate(image, shift(2, -1), border="constant")) == (5, 2)
    assert shift(0, 0).tolist() == [[1.0]]


@pytest.mark.parametrize(
    "spec, message",
    [
        ("gaussian:sigma=0", "sigma must be a positive number"),
        ("gaussian:-1", "sigma must be a positive number"),
        ("gaussian:nan", "sigma must be a positive number"),
        ("gaussian:sigma=1e9", "over 4001 wide"),
        ("box:size=2.5", "whole number"),
        ("motion:length=0", "whole number"),
        ("shift:dx=1.5", "whole number"),
        ("unsharp:amount=inf", "finite"),
        ("emboss:3", "no parameters"),
        ("gaussian:1,2,3", "too many"),
        ("gaussian:radius=3", "no parameter 'radius'"),
        ("gaussian:sigma=big", "'big' is not a number"),
    ],
)
def test_bad_named_kernel_parameters(spec, message):
    with pytest.raises(UsageError, match=message):
        named_kernel(spec)


def test_named_kernel_parameters_positional_and_keyword():
    np.testing.assert_array_equal(named_kernel("motion:7,90").matrix, motion(7, 90))
    np.testing.assert_array_equal(named_kernel("motion:angle=90,length=7").matrix, motion(7, 90))
    np.testing.assert_array_equal(named_kernel("Sobel_X").matrix, sobel_x())


def test_parse_text_file_syntax():
    text = "# a binomial kernel\n1, 2, 1\n\n2 4 2   # middle\n1/16 1/8 -1/16\n"
    np.testing.assert_array_equal(parse_kernel_text(text, "k.txt"), [[1, 2, 1], [2, 4, 2], [1 / 16, 1 / 8, -1 / 16]])
    np.testing.assert_array_equal(parse_kernel_text("1 2 1; 2 4 2;1 2 1"), [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(parse_kernel_text("1e-1,-2.5,+3"), [[0.1, -2.5, 3]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 2 3\n4 5\n", "k.txt: line 2: row has 2 numbers, but the first row (line 1) has 3"),
        ("# c\n\n1 2\n3 4\n5\n", "k.txt: line 5: row has 1 number, but the first row (line 3) has 2"),
        ("1 2\nx 4\n", "k.txt: line 2: 'x' is not a number"),
        ("1 nan\n1 1\n", "k.txt: line 1: 'nan' is not a finite number"),
        ("1 inf\n1 1\n", "k.txt: line 1: 'inf' is not a finite number"),
        ("1 1e999\n1 1\n", "k.txt: line 1: '1e999' is not a finite number"),
        ("1 1/0\n1 1\n", "k.txt: line 1: '1/0' divides by zero"),
        ("1 1/2/3\n1 1\n", "'1/2/3' is not a number"),
        ("# nothing\n\n", "k.txt: the kernel is empty"),
        ("", "k.txt: the kernel is empty"),
    ],
)
def test_parse_errors_name_file_line_and_problem(text, message):
    with pytest.raises(KernelSyntaxError) as info:
        parse_kernel_text(text, "k.txt")
    assert message in str(info.value)


def test_inline_errors_point_at_the_row():
    with pytest.raises(UsageError, match=r"row 2: row has 1 number, but the first row \(row 1\) has 2"):
        resolve_kernel("1 2; 3")
    # Rows count across lines and ';' alike, as a pasted multi-line kernel is one argument.
    with pytest.raises(UsageError, match=r"^--kernel '1 2; 3 4\\n5 x': row 3: 'x' is not a number$"):
        resolve_kernel("1 2; 3 4\n5 x")


def test_one_line_kernel_files_report_the_line():
    with pytest.raises(KernelSyntaxError, match=r"^k.txt: line 1: 'two' is not a number$"):
        parse_kernel_text("1 two 3\n", "k.txt")


def test_resolve_prefers_an_existing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "emboss").write_text("1 2\n3 4\n")
    resolved = resolve_kernel("emboss")
    np.testing.assert_array_equal(resolved.matrix, [[1, 2], [3, 4]])
    assert resolved.label == "emboss"
    (tmp_path / "edges.txt").write_text("-1 0 1\n")
    assert resolve_kernel("edges.txt").label == "edges"


def test_resolve_names_and_inline():
    assert resolve_kernel("gaussian:2").label == "gaussian"
    assert resolve_kernel("-1 0 1").label == "kernel"
    np.testing.assert_array_equal(resolve_kernel("-1 0 1").matrix, [[-1, 0, 1]])


@pytest.mark.parametrize(
    "spec, message",
    [
        ("sobelx", "did you mean 'sobel-x'"),
        ("gausian:2", "did you mean 'gaussian'"),
        ("frobnicate", "known kernels: identity"),
        ("1 x 2", "'x' is not a number"),
        ("inf 1", "'inf' is not a finite number"),
    ],
)
def test_resolve_errors_are_usage_errors(spec, message):
    with pytest.raises(UsageError, match=message) as info:
        resolve_kernel(spec)
    assert info.value.exit_code == 2


def test_bad_kernel_files_are_failures_naming_the_file(tmp_path):
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("1 2 3\n4 5 6\n7 8\n")
    binary = tmp_path / "junk.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    for path, message in (
        (ragged, "ragged.txt: line 3: row has 2 numbers"),
        (binary, "junk.txt: not a text file"),
        (tmp_path, "is a directory"),
    ):
        with pytest.raises(ConvcliError) as info:
            resolve_kernel(str(path))
        assert message in str(info.value)
        assert info.value.exit_code == 1


@pytest.mark.parametrize("name", ["sobel", "scharr", "prewitt"])
def test_every_gradient_kernel_points_like_sobel(name):
    ramp = np.tile(np.arange(7.0), (7, 1))  # brightens to the right
    gx = convolve(ramp, named_kernel(f"{name}-x").matrix, border="nearest")
    gy = convolve(ramp.T, named_kernel(f"{name}-y").matrix, border="nearest")
    assert gx[3, 3] > 0 and gy[3, 3] > 0
    np.testing.assert_array_equal(named_kernel(f"{name}-y").matrix, named_kernel(f"{name}-x").matrix.T)


def test_laplacian_of_gaussian_matches_scipy():
    image = np.random.default_rng(7).uniform(0, 1, (30, 40))
    for sigma in (0.8, 1.4, 3.0):
        got = convolve(image, named_kernel(f"log:sigma={sigma}").matrix, dtype=np.float64)
        np.testing.assert_allclose(got, ndimage.gaussian_laplace(image, sigma), atol=1e-12)


def test_difference_of_gaussians_is_the_difference_of_two_blurs():
    image = np.random.default_rng(8).uniform(0, 1, (30, 40))
    got = convolve(image, named_kernel("dog:1,2").matrix, dtype=np.float64, border="nearest")
    want = ndimage.gaussian_filter(image, 1, mode="nearest") - ndimage.gaussian_filter(image, 2, mode="nearest")
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert named_kernel("dog").matrix.sum() == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("direction", range(0, 360, 45))
def test_kirsch_responds_most_towards_its_direction(direction):
    y, x = np.mgrid[-3:4, -3:4].astype(float)
    angle = np.radians(direction)
    ramp = x * np.cos(angle) - y * np.sin(angle)  # brightens towards `direction` (y grows down)
    responses = {d: convolve(ramp, named_kernel(f"kirsch:{d}").matrix)[3, 3] for d in range(0, 360, 45)}
    assert max(responses, key=responses.get) == direction
    assert sorted(named_kernel(f"kirsch:{direction}").matrix.ravel().tolist()) == [-3] * 5 + [0] + [5] * 3


def test_outline_box_radius_and_their_errors():
    np.testing.assert_array_equal(named_kernel("outline").matrix, [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    assert named_kernel("box:radius=2").matrix.shape == (5, 5)
    for spec, message in (
        ("box:size=5,radius=2", "size or radius, not both"),
        ("kirsch:30", "multiple of 45"),
        ("log:0", "sigma must be a positive"),
        ("box:radius=0.5", "radius must be a whole"),
    ):
        with pytest.raises(UsageError, match=message):
            named_kernel(spec)


def test_a_gaussians_factors_read_as_two_equal_1d_gaussians():
    from convcli.kernels.properties import properties

    facts = properties(gaussian(1.0), (4, 4))
    column, row = facts.factors
    np.testing.assert_allclose(column, row)
    np.testing.assert_allclose(np.outer(column, row), gaussian(1.0))


def test_a_difference_of_gaussians_with_the_wider_first_is_the_negated_one():
    from convcli.kernels.named import difference_of_gaussians

    np.testing.assert_allclose(difference_of_gaussians(1.6, 1.0), -difference_of_gaussians(1.0, 1.6))


def test_kernel_refusals_in_the_library(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="did you mean 'emboss'"):
        resolve_kernel("embos")
    with pytest.raises(UsageError, match="sigma is given twice"):
        resolve_kernel("gaussian:2,sigma=3")
    (tmp_path / "huge.txt").write_text("1 " * (600 * 1024))
    with pytest.raises(ConvcliError, match="huge.txt: too large for a kernel file"):
        resolve_kernel("huge.txt")
    (tmp_path / "far.json").write_text('{"kernel": [[1, 2]], "origin": [0, 3]}')
    with pytest.raises(ConvcliError, match="far.json: origin x=0, y=3 lies outside the 2x1 kernel"):
        resolve_kernel("far.json")
    (tmp_path / "k.txt").mkdir()
    with pytest.raises(ConvcliError, match="k.txt"):
        resolve_kernel("k.txt")


def test_sobel_magnitude_is_taken_strip_by_strip_on_threads_as_hypot_gives_it(monkeypatch):
    """The magnitude is computed in each strip's finishing step, on the engine's threads: one-row
    strips on three threads, an RGB image, float64, a caller's `out` and `finish` (which sees
    the magnitude), and a 1-D signal."""
    from convcli.engine import planning, strips

    monkeypatch.setattr(planning, "SERIAL_SECONDS", 0)
    monkeypatch.setattr(strips, "CACHE_BYTES_THREADED", 1)
    image = np.random.default_rng(3).random((31, 17, 3))
    planes = np.moveaxis(image, -1, 0)
    want = np.stack(
        [np.hypot(ndimage.sobel(p, 1, mode="mirror"), ndimage.sobel(p, 0, mode="mirror")) for p in planes], -1
    )
    got = sobel(image, border="mirror", dtype=np.float64, method="direct", threads=3)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    seen = []

    def finish(values, rows):
        seen.append(rows)
        return values * 2

    out = np.full(image.shape, -1.0, np.float32)
    assert sobel(image, border="mirror", method="separable", threads=3, out=out, finish=finish) is out
    np.testing.assert_allclose(out, 2 * want, rtol=1e-5, atol=1e-5)
    assert sorted(rows.start for rows in seen) == list(range(31))
    signal = np.array([0.0, 1.0, 4.0, 9.0, 16.0])
    np.testing.assert_allclose(sobel(signal[np.newaxis].repeat(3, 0), border="nearest")[1], [4, 16, 32, 48, 28])


def test_sobel_magnitude_beyond_the_squares_range_is_hypot():
    """Where dx² + dy² overflows (float32: gradients beyond 1.8e19) or a value is NaN, the strip
    falls back to np.hypot, which neither overflows nor turns inf and NaN into NaN."""
    image = np.zeros((3, 4), np.float32)
    image[:, 2:] = 1e19
    got = sobel(image, border="nearest")
    assert np.all(np.isfinite(got)) and got.max() == pytest.approx(4e19, rel=1e-6)
    image[1, 0] = np.nan
    assert np.isnan(sobel(image, border="nearest")[1, 1])
