"""Kernels in the peers' formats (ImageMagick, libvips, JSON, CSV, .npy, stdin), and a kernel's
rotation, origin and normalisation."""

import io
import json

import numpy as np
import pytest

from convcli import convolve
from convcli.errors import ConvcliError, UsageError
from convcli.kernels import named_kernel, resolve_kernel
from convcli.kernels.formats import parse_imagemagick, parse_vips

SOBEL_ROWS = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def test_imagemagick_strings_inline_and_in_files(tmp_path):
    kernel = resolve_kernel("3x3: -1,0,1 -2,0,2 -1,0,1")
    np.testing.assert_array_equal(kernel.matrix, SOBEL_ROWS)
    assert kernel.anchor == (1, 1)  # ImageMagick's origin, the centre of an odd kernel
    assert resolve_kernel("3x3+0+2: -1,0,1 -2,0,2 -1,0,1").anchor == (2, 0)  # +X+Y: column, row
    np.testing.assert_array_equal(resolve_kernel("2: 1 2 3 4").matrix, [[1, 2], [3, 4]])  # N: is NxN
    np.testing.assert_array_equal(resolve_kernel("3x1: 1,nan,-").matrix, [[1, 0, 0]])  # outside: weighs 0
    (tmp_path / "edge.txt").write_text("3x3: -1,0,1\n -2,0,2\n -1,0,1\n")
    np.testing.assert_array_equal(resolve_kernel(str(tmp_path / "edge.txt")).matrix, SOBEL_ROWS)


@pytest.mark.parametrize(
    "text, message",
    [
        ("3x3: 1 2 3", "a 3x3 kernel needs 9 values, found 3"),
        ("3x3+3+0: 1 2 3 4 5 6 7 8 9", r"origin \+3\+0 lies outside the 3x3 kernel"),
        ("2x1: 1 x", "'x' is not a number"),
        ("99999x99999: 1", "sides must be 1 to 4001"),
        ("0x3:", "sides must be 1 to 4001"),
        ("1x1: 1; 1x1: 2", "several ImageMagick kernels"),
    ],
)
def test_bad_imagemagick_strings(text, message):
    with pytest.raises(UsageError, match=message):
        resolve_kernel(text)


def test_libvips_matrix_files(tmp_path):
    (tmp_path / "sobel.mat").write_text("3 3 4 128\n-1 0 1\n-2 0 2\n-1 0 1\n")
    kernel = resolve_kernel(str(tmp_path / "sobel.mat"))
    np.testing.assert_array_equal(kernel.matrix, SOBEL_ROWS)
    assert (kernel.scale, kernel.offset, kernel.label) == (0.25, 128, "sobel")  # libvips divides by scale
    (tmp_path / "plain.txt").write_text("2 1\n1 -1\n")  # sniffed: the header matches the rows
    assert resolve_kernel(str(tmp_path / "plain.txt")).matrix.tolist() == [[1, -1]]
    (tmp_path / "rows.txt").write_text("1 2 1\n2 4 2\n1 2 1\n")  # no header: rows of numbers
    assert resolve_kernel(str(tmp_path / "rows.txt")).matrix.shape == (3, 3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("3 3\n1 2 3\n", r"header says 3x3, but 1 row of 3 numbers follow"),
        ("3 3 0\n1 2 3\n1 2 3\n1 2 3\n", "scale must be a non-zero number"),
        ("a b\n1\n", "width and height must be whole numbers"),
        ("100000 100000\n1\n", "sides must be 1 to 4001"),
        ("", "starts with 'width height"),
    ],
)
def test_bad_libvips_matrices(text, message, tmp_path):
    path = tmp_path / "bad.mat"
    path.write_text(text)
    with pytest.raises(ConvcliError, match=f"bad.mat: .*{message}"):
        resolve_kernel(str(path))


def test_json_rows_and_objects(tmp_path):
    (tmp_path / "rows.json").write_text(json.dumps(SOBEL_ROWS))
    np.testing.assert_array_equal(resolve_kernel(str(tmp_path / "rows.json")).matrix, SOBEL_ROWS)
    spec = {"kernel": [[1, 2, 1]], "divisor": 4, "offset": 10, "origin": [2, 0]}
    (tmp_path / "full.json").write_text(json.dumps(spec))
    kernel = resolve_kernel(str(tmp_path / "full.json"))
    assert (kernel.scale, kernel.offset, kernel.anchor) == (0.25, 10, (0, 2))  # [x, y]: the anchor is (row, column)
    assert resolve_kernel("[1, 2, 1]").matrix.tolist() == [[1, 2, 1]]  # inline, one flat row


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[1, 2], [3]", "not valid JSON"),
        ("[[1, 2], [3]]", "row 2 has 1 number, but row 1 has 2"),
        ('[[1, "a"]]', r'"a" is not a finite number'),
        ("[[1, true]]", "true is not a finite number"),
        ('{"kernel": [[1]], "sacle": 2}', "unknown key 'sacle'"),
        ('{"kernel": [[1]], "origin": [0]}', r"origin must be \[x, y\]"),
        ('{"weights": [[1]]}', "object with a 'kernel' key"),
        ("[]", "non-empty list of rows"),
        ('{"kernel": [[1]], "divisor": 0}', "must not be 0"),
    ],
)
def test_bad_json_kernels(text, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConvcliError, match=f"bad.json: .*{message}"):
        resolve_kernel(str(path))


def test_csv_kernels(tmp_path):
    (tmp_path / "k.csv").write_text("# a binomial\n1,2,1\n2, 4 ,2\n1,2,1\n")
    assert resolve_kernel(str(tmp_path / "k.csv")).matrix.tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    for text, message in (
        ("1,,2\n", "line 1: cell 2 is empty"),
        ("1,2\n1\n", "line 2: 1 cell, but the first"),
        ("1,a\n", "'a' is not a number"),
        ("\n", "empty"),
    ):
        (tmp_path / "bad.csv").write_text(text)
        with pytest.raises(ConvcliError, match=f"bad.csv: .*{message}"):
            resolve_kernel(str(tmp_path / "bad.csv"))


def test_npy_kernels(tmp_path):
    np.save(tmp_path / "k.npy", np.array(SOBEL_ROWS, np.float32))
    np.testing.assert_array_equal(resolve_kernel(str(tmp_path / "k.npy")).matrix, SOBEL_ROWS)
    np.save(tmp_path / "row.npy", np.array([1, 2, 1]))
    assert resolve_kernel(str(tmp_path / "row.npy")).matrix.shape == (1, 3)
    for name, array, message in (
        ("cube.npy", np.zeros((2, 2, 2)), "1-D or 2-D real numbers"),
        ("nan.npy", np.array([[1, np.nan]]), "NaN or infinite"),
        ("text.npy", np.array(["a"]), "1-D or 2-D real numbers"),
        ("objects.npy", np.array([{"a": 1}], dtype=object), "not a NumPy .npy array"),
    ):
        np.save(tmp_path / name, array, allow_pickle=True)
        with pytest.raises(ConvcliError, match=f"{name}: .*{message}"):
            resolve_kernel(str(tmp_path / name))
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY\x01\x00junk")
    with pytest.raises(ConvcliError, match="junk.npy: not a NumPy .npy array"):
        resolve_kernel(str(tmp_path / "junk.npy"))


def test_a_kernel_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"3x3: -1,0,1 -2,0,2 -1,0,1")))
    np.testing.assert_array_equal(resolve_kernel("-").matrix, SOBEL_ROWS)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("\ufeff1 2\n3\n".encode())))  # a BOM, too
    with pytest.raises(ConvcliError, match="stdin: line 2: row has 1 number"):
        resolve_kernel("-")


def test_rotation_turns_the_kernel_and_its_anchor_counter_clockwise():
    kernel = named_kernel("sobel-x")
    np.testing.assert_array_equal(kernel.rotated(90).matrix, named_kernel("sobel-y").matrix * -1)
    np.testing.assert_array_equal(kernel.rotated(180).matrix, kernel.matrix[::-1, ::-1])
    np.testing.assert_array_equal(kernel.rotated(-90).matrix, kernel.rotated(270).matrix)
    assert kernel.rotated(360) is kernel and kernel.rotated(90).turns == 1 and kernel.rotated(-90).turns == 3
    corner = resolve_kernel("3x2+2+0: 1 2 3 4 5 6")  # anchor on the 3, top right
    turned = corner.rotated(90)
    assert turned.matrix[turned.anchor] == 3 and turned.anchor == (0, 0)
    with pytest.raises(ValueError, match="multiple of 90"):
        kernel.rotated(45)


def test_anchor_moves_where_the_kernel_lands():
    image = np.zeros((5, 5))
    image[2, 2] = 1
    kernel = resolve_kernel("1 2 3")
    centred = convolve(image, kernel.matrix, border="constant")
    anchored = kernel.anchored(0, 0)
    moved = convolve(image, anchored.matrix, border="constant", anchor=anchored.anchor)
    np.testing.assert_array_equal(moved[2], [0, 0, 1, 2, 3])
    np.testing.assert_array_equal(centred[2], [0, 1, 2, 3, 0])
    for row, column in ((0, 3), (1, 0), (-1, 0)):
        with pytest.raises(ValueError, match=f"x={column}, y={row} lies outside the 3x1 kernel"):
            kernel.anchored(row, column)


def test_normalising_divides_by_the_sum():
    assert named_kernel("box:2").normalized().matrix.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="sums to 0"):
        named_kernel("sobel-x").normalized()


def test_imagemagick_and_vips_parsers_name_their_source():
    with pytest.raises(ValueError, match="^here: not an ImageMagick kernel"):
        parse_imagemagick("1 2", "here")
    assert parse_vips("1 1\n5\n", "k").matrix.tolist() == [[5.0]]
