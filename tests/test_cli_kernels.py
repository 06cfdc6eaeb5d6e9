"""The command line's kernel language: formats, stdin, rotation, origin, divisor and offset."""

from __future__ import annotations

import json

import numpy as np
import pytest
from processes import convcli, failed, files_in, ok, pixels, run_main, save, shows
from scipy import ndimage

from convcli.kernels import named_kernel


def test_apply_takes_every_kernel_format(dot, tmp_path):
    want = pixels(tmp_path / "dot.png")  # the identity, written each way
    (tmp_path / "k.mat").write_text("3 3\n0 0 0\n0 1 0\n0 0 0\n")
    (tmp_path / "k.json").write_text(json.dumps({"kernel": [[0, 0, 0], [0, 1, 0], [0, 0, 0]]}))
    (tmp_path / "k.csv").write_text("0,0,0\n0,1,0\n0,0,0\n")
    np.save(tmp_path / "k.npy", np.eye(3)[1:2].T @ np.eye(3)[1:2])
    for spec in ("k.mat", "k.json", "k.csv", "k.npy", "3x3: 0,0,0 0,1,0 0,0,0", "[[1]]"):
        assert run_main("apply", dot, "-k", spec, "-o", "out.png", "--force", cwd=tmp_path) == 0, spec
        np.testing.assert_array_equal(pixels(tmp_path / "out.png"), want, err_msg=spec)


def test_a_kernel_on_stdin(dot, tmp_path):
    ok(convcli("apply", dot, "-k", "-", "-o", "out.png", cwd=tmp_path, stdin=b"3x1: 0 0 1\n"))
    assert np.argwhere(pixels(tmp_path / "out.png")).tolist() == [[3, 5]]  # the shift kernel: moved right
    failed(convcli("apply", dot, "-k", "-", "-o", "bad.png", cwd=tmp_path, stdin=b"1 2\n3\n"), 1, "stdin: line 2")


def test_the_files_scale_and_offset_apply_unless_the_options_say_otherwise(step, tmp_path):
    (tmp_path / "gx.mat").write_text("3 1 4 128\n1 0 -1\n")  # libvips: divide by 4, add 128
    original = pixels(step).astype(float)
    raw = ndimage.convolve(original, np.array([[1.0, 0, -1]]), mode="reflect")
    ok(convcli("apply", step, "-k", "gx.mat", "-o", "file.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "file.png"), np.clip(np.rint(raw / 4 + 128), 0, 255))
    ok(convcli("apply", step, "-k", "gx.mat", "--divisor", "2", "--offset", "0", "-o", "mine.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "mine.png"), np.clip(np.rint(raw / 2), 0, 255))
    ok(convcli("apply", step, "-k", "1 0 -1", "--scale", "0.5", "-o", "scaled.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "scaled.png"), np.clip(np.rint(raw / 2), 0, 255))


def test_origin_from_the_option_and_from_an_imagemagick_origin(dot, tmp_path):
    # Convolving a dot stamps the kernel with its origin on the dot.
    ok(convcli("apply", dot, "-k", "1 1 1", "--origin", "0,0", "-o", "left.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "left.png")).tolist() == [[3, 4], [3, 5], [3, 6]]
    ok(convcli("apply", dot, "-k", "3x1+2+0: 1 1 1", "-o", "right.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "right.png")).tolist() == [[3, 2], [3, 3], [3, 4]]
    ok(convcli("apply", dot, "-k", "1 1 1", "-o", "centre.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "centre.png")).tolist() == [[3, 3], [3, 4], [3, 5]]


def test_rotate_turns_any_kernel(dot, tmp_path):
    ok(convcli("apply", dot, "-k", "shift", "--rotate", "90", "-o", "up.png", cwd=tmp_path))
    assert np.argwhere(pixels(tmp_path / "up.png")).tolist() == [[2, 4]]  # right, turned a quarter: up
    ok(convcli("apply", dot, "-k", "sobel-x", "--rotate", "90", cwd=tmp_path, terminal=True))
    assert "dot.sobel-x.rot90.png" in files_in(tmp_path)


@pytest.mark.parametrize(
    "options, fragments",
    [
        (["--rotate", "45"], ("--rotate", "multiple of 90")),
        (["--origin", "3,0"], ("--origin", "x=3, y=0 lies outside the 3x3 kernel")),
        (["--origin", "x"], ("--origin", "two whole numbers")),
        (["--scale", "2", "--divisor", "2"], ("--scale and --divisor exclude each other",)),
        (["--divisor", "0"], ("--divisor 0",)),
        (["--rescale", "--divisor", "2"], ("no effect with --rescale",)),
        (["--normalize"], ("--normalize", "sums to 0")),
    ],
)
def test_kernel_option_errors(options, fragments, dot, tmp_path):
    failed(convcli("apply", dot, "-k", "sobel-x", *options, cwd=tmp_path), 2, *fragments)
    assert files_in(tmp_path) == {"dot.png"}


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("bad.mat", b"3 3\n1 2 3\n", "header says 3x3"),
        ("bad.json", b"[[1, 2], [3]]", "row 2 has 1 number,"),
        ("bad.csv", b"1,,2\n", "cell 2 is empty"),
        ("bad.npy", b"\x93NUMPY junk", "not a NumPy .npy array"),
        ("bad.txt", b"3x3: 1 2", "needs 9 values"),
        ("huge.mat", b"99999999 99999999\n1\n", "sides must be 1 to 4001"),
        ("binary.txt", bytes(range(256)), "not a text file"),
    ],
)
def test_bad_kernel_files_in_each_format_fail_naming_the_file(name, content, fragment, dot, tmp_path):
    (tmp_path / name).write_bytes(content)
    failed(convcli("apply", dot, "-k", name, cwd=tmp_path), 1, name, fragment)
    assert files_in(tmp_path) == {"dot.png", name}


def test_new_named_kernels_run_on_an_image(tmp_path):
    source = save(np.random.default_rng(9).integers(0, 256, (12, 14), dtype=np.uint8), tmp_path / "noise.png")
    for spec in ("scharr-x", "prewitt-y", "kirsch:135", "outline", "log:1.2", "dog:1,1.6", "box:radius=2"):
        assert run_main("apply", source, "-k", spec, "-o", "out.npy", "--force", cwd=tmp_path) == 0, spec
        want = ndimage.convolve(pixels(source).astype(float), named_kernel(spec).matrix, mode="reflect")
        np.testing.assert_allclose(np.load(tmp_path / "out.npy"), want, atol=1e-3, err_msg=spec)


# --- kernels and kernel show ----------------------------------------------------------------


def test_kernels_lists_every_named_kernel_with_its_parameters(tmp_path):
    from convcli.kernels import KERNELS

    text = shows(convcli("kernels", cwd=tmp_path))
    for name in KERNELS:
        assert f" {name} " in text
    assert "sigma1=1, sigma2=1.6" in text and "direction=0" in text


def test_kernel_show_explains_an_asymmetric_kernel_and_prints_it_flipped(tmp_path):
    text = shows(convcli("kernel", "show", "emboss", cwd=tmp_path))
    assert "emboss: 3 rows x 3 columns, a named kernel; origin at x=1, y=1 (the centre)" in text
    assert "sum 1: flat areas keep their brightness" in text and "rank 3: not separable" in text
    assert "they differ: convolution applies this kernel rotated 180 degrees" in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in row.strip("│").split("│")] for row in rows]
    assert cells == [
        ["-2", "-1", "0"],
        ["-1", "[1]", "1"],
        ["0", "1", "2"],  # as written, [origin]
        ["2", "1", "0"],
        ["1", "[1]", "-1"],
        ["0", "-1", "-2"],
    ]  # flipped


def test_kernel_show_says_when_the_flip_changes_nothing(tmp_path):
    text = shows(convcli("kernel", "show", "laplacian", cwd=tmp_path))
    assert "convolution and correlation give the same result for this kernel" in text
    assert "they differ" not in text and text.count("┌") == 1  # no flipped copy
    box = shows(convcli("kernel", "show", "box", cwd=tmp_path))
    assert "1/9" in box and "column [1/3, 1/3, 1/3] and row [1/3, 1/3, 1/3]" in box


def test_kernel_show_factors_separable_kernels_and_warns_of_off_centre_origins(tmp_path):
    sobel = shows(convcli("kernel", "show", "sobel-x", cwd=tmp_path))
    assert "sum 0: flat areas become 0" in sobel
    assert "rank 1: separable, the outer product of column [1, 2, 1] and row [1, 0, -1]" in sobel
    even = shows(convcli("kernel", "show", "1 1", cwd=tmp_path))
    assert "its origin is not at its centre" in even and "with its origin at x=0, y=0" in even
    spaced = shows(convcli("kernel", "show", "motion", "length=3", "angle=90", cwd=tmp_path))
    assert spaced == shows(convcli("kernel", "show", "motion:length=3,angle=90", cwd=tmp_path))
    turned = shows(convcli("kernel", "show", "sobel-x", "--rotate", "90", cwd=tmp_path))
    assert "sobel-x.rot90: 3 rows x 3 columns" in turned and "column [1, 0, -1] and row [-1, -2, -1]" in turned


def test_kernel_show_reads_files_and_reports_bad_ones(tmp_path):
    (tmp_path / "k.mat").write_text("2 1 4 10\n1 -1\n")
    text = shows(convcli("kernel", "show", "k.mat", cwd=tmp_path))
    assert "times the file's scale 1/4" in text and "the kernel file adds 10 to every result" in text
    failed(convcli("kernel", "show", "nosuch", cwd=tmp_path), 2, "unknown kernel 'nosuch'")
    (tmp_path / "bad.json").write_text("[1, 2")
    failed(convcli("kernel", "show", "bad.json", cwd=tmp_path), 1, "bad.json", "not valid JSON")
    assert convcli("kernel", cwd=tmp_path).returncode == 2  # no subcommand: help, and a usage error


# --- found by a trial of kernel show, explain and compare -----------------------------------


def test_kernel_show_judges_the_flip_about_the_origin(tmp_path):
    same = shows(convcli("kernel", "show", "0 1 2 1", cwd=tmp_path))
    assert "convolution and correlation give the same result" in same
    moved = shows(convcli("kernel", "show", "1 2 1 0 0", "--origin", "1,0", cwd=tmp_path))
    assert "give the same result" in moved
    assert "they differ" in shows(convcli("kernel", "show", "1 2 1 0 0", cwd=tmp_path))


def test_a_files_scale_counts_in_the_sum_and_normalising_replaces_it(dot, tmp_path):
    (tmp_path / "box9.mat").write_text("3 3 9 0\n1 1 1\n1 1 1\n1 1 1\n")
    text = shows(convcli("kernel", "show", "box9.mat", cwd=tmp_path))
    assert "sum 9, times the file's scale 1/9: flat areas keep their brightness" in text
    assert "a libvips matrix" in text
    flat = save(np.full((5, 5), 90, np.uint8), tmp_path / "flat.png")
    ok(convcli("apply", flat, "-k", "box9.mat", "--normalize", "-o", "out.png", cwd=tmp_path))
    assert (pixels(tmp_path / "out.png") == 90).all()  # not 10: --normalize replaces the file's divisor
    assert "nearly" in shows(convcli("kernel", "show", "log", cwd=tmp_path))  # a LoG sums to about 0


def test_rotating_an_even_kernel_turns_its_default_origin_too(tmp_path):
    data = np.random.default_rng(12).normal(0, 100, (9, 11)).astype(np.float32)
    np.save(tmp_path / "f.npy", data)
    ok(convcli("apply", "f.npy", "-k", "1 2; 3 4", "--rotate", "180", "-o", "a.npy", cwd=tmp_path))
    ok(convcli("apply", "f.npy", "-k", "1 2; 3 4", "--correlate", "-o", "b.npy", cwd=tmp_path))
    np.testing.assert_allclose(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"), atol=1e-9)
    assert "origin at x=0, y=0" in shows(convcli("kernel", "show", "1 2; 3 4", "--rotate", "180", cwd=tmp_path))


def test_a_json_origin_outside_the_kernel_is_refused(dot, tmp_path):
    (tmp_path / "a.json").write_text('{"kernel": [[1, 2]], "origin": [5, 0]}')
    failed(convcli("kernel", "show", "a.json", cwd=tmp_path), 1, "origin x=5, y=0 lies outside the 2x1 kernel")
    failed(convcli("apply", dot, "-k", '{"kernel": [[1, 2]], "origin": [0, -1]}', cwd=tmp_path), 2, "outside")


def test_kernel_show_wording_width_and_usage(tmp_path):
    assert "(the default: width // 2, height // 2)" in shows(convcli("kernel", "show", "box:4", cwd=tmp_path))
    assert "(the centre)" in shows(convcli("kernel", "show", "box:3", cwd=tmp_path))
    narrow = shows(convcli("kernel", "show", "dog:2,3.2", cwd=tmp_path, env={"COLUMNS": "60", "PATH": ""}))
    assert "…" not in narrow and "too large to print whole" in narrow  # 27x27: its middle 15x15
    failed(convcli("kernel", "show", "1 2 1", "3", cwd=tmp_path), 2, "for named kernels only")
    bare = convcli("kernel", cwd=tmp_path)
    assert bare.returncode == 2 and bare.stdout == b"" and b"show" in bare.stderr and b"error:" not in bare.stderr
    (tmp_path / "bad.npy").write_text("hello")
    failed(convcli("kernel", "show", "bad.npy", cwd=tmp_path), 1, "bad.npy: not a NumPy .npy file")
    assert "column [3, 10, 3] and row [1, 0, -1]" in shows(convcli("kernel", "show", "scharr-x", cwd=tmp_path))
