"""Issue 13, items 7-9: what a hostile kernel text, image size or file name can make convcli do.

Every attack input is made here. Each failure must be one line on stderr and an exit code
(1 for a file's content, 2 for the command line), never a traceback, a black image written
with exit 0, a silently resized one, a forged line or a raw escape sequence.
"""

from __future__ import annotations

import io
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convcli.cli import main
from convcli.cli.options import position
from convcli.errors import ConvcliError, UsageError
from convcli.kernels import formats, resolve_kernel
from convcli.kernels.text import number

DEEP = "[" * 3000 + "1" + "]" * 3000
HUGE_INT = "[[1" + "7" * 5000 + "]]"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    """convcli's main() in this process: its exit code, stdout and stderr."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        code = main([str(arg) for arg in args])
    finally:
        signal.signal(signal.SIGTERM, handler)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error(err: str, *fragments: str) -> str:
    """The one line of stderr, an error holding `fragments`, and short."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err[:2000]
    assert len(lines[0]) < 400, lines[0][:2000]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def photo(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (6, 7), dtype=np.uint8)).save("photo.png")
    return "photo.png"


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# Item 7: tracebacks from kernel text.


@pytest.mark.parametrize(
    "text, fragment", [(DEEP, "nested 3000 levels deep"), (HUGE_INT, "(5001 characters) is too long for a number")]
)
def test_deep_or_long_json_is_one_line_from_a_file_inline_stdin_and_kernel_show(
    text, fragment, photo, capsys, monkeypatch
):
    Path("k.json").write_text(text)
    code, _, err = run(["apply", photo, "-k", "k.json", "-o", "a.png"], capsys)
    assert code == 1 and one_error(err, "k.json: ", fragment)
    code, _, err = run(["apply", photo, "-k", text, "-o", "a.png"], capsys)
    assert code == 2 and one_error(err, "--kernel ", fragment)
    _stdin(monkeypatch, text.encode())
    code, _, err = run(["apply", photo, "-k", "-", "-o", "a.png"], capsys)
    assert code == 1 and one_error(err, "stdin: ", fragment)
    for kernel, expected in (("k.json", 1), (text, 2)):
        code, out, err = run(["kernel", "show", kernel], capsys)
        assert code == expected and out == "" and one_error(err, fragment)
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["k.json", "photo.png"]


def test_json_depth_counts_brackets_outside_strings_only():
    formats.check_json_depth('{"kernel": [[1, 2]], "scale": 1}', "k")
    with pytest.raises(ValueError, match="row 1: .* is not a finite number"):
        formats.parse_json('[[1, "[[[[[[[[ {{{{"]]', "k")  # brackets in a string are text
    with pytest.raises(ValueError, match="^k: JSON nested 4 levels deep; a kernel needs 3 at most"):
        formats.parse_json('{"kernel": [[[1]]]}', "k")
    with pytest.raises(ValueError, match="not valid JSON"):  # an open string runs to the end, brackets and all
        formats.parse_json('[[1, "unterminated \\" [[[[', "k")
    formats.check_json_depth("", "k")


@pytest.mark.parametrize(
    "parse, text, fragment",
    [
        (
            formats.parse_json,
            '{"kernel": [[1]], "scale": ' + "1" * 101 + "}",
            "(101 characters) is too long for a number",
        ),
        (formats.parse_json, "[[0." + "5" * 200 + "]]", "(202 characters) is too long"),
        (formats.parse_json, '{"kernel": [[1]], "' + "k" * 5000 + '": 1}', "unknown key 'kkkk"),
        (formats.parse_json, '{"kernel": [[1]], "offset": [' + "1, " * 5000 + "1]}", "offset: [1, 1,"),
        (formats.parse_csv, "1," + "2" * 200_000 + "\n", "line 1: not CSV (field larger than field limit"),
        (formats.parse_csv, "1," + "2" * 5000 + "\n", "(5000 characters) is too long"),
        (formats.parse_imagemagick, "3" * 5000 + "x3: 1", "width '333"),
        (formats.parse_imagemagick, "1x" + "3" * 5000 + ": 1", "height '333"),
        (formats.parse_imagemagick, "1x1+" + "1" * 5000 + "+0: 1", "origin '+111"),
        (formats.parse_imagemagick, "1x1: " + "1" * 5000, "(5000 characters) is too long"),
        (formats.parse_vips, "9" * 5000 + " 1\n1\n", "line 1: '999"),
        (formats.parse_vips, "1 1 " + "2" * 200 + "\n1\n", "line 1: '222"),
        (formats.parse_vips, "2 1\n1 " + "2" * 200 + "\n", "(200 characters) is too long"),
    ],
)
def test_long_numbers_are_refused_short_in_every_kernel_syntax(parse, text, fragment):
    with pytest.raises(ValueError) as raised:
        parse(text, "k")
    message = str(raised.value)
    assert message.startswith("k: ") and fragment in message and len(message) < 300, message[:500]


def test_rows_of_numbers_cut_the_token_they_refuse():
    with pytest.raises(ValueError) as raised:
        number("9" * 100_000, "row 1")
    assert str(raised.value) == (
        "row 1: '9999999999999999999999999999999999999999'... (100000 characters) is too long for a number "
        "(over 100 characters)"
    )
    for token in ("1e999", "x" * 50, "1/0"):
        with pytest.raises(ValueError) as raised:
            number(token, "row 1")
        assert len(str(raised.value)) < 120


def test_an_inline_kernel_has_a_bounded_size_and_every_echo_is_cut():
    with pytest.raises(UsageError, match=r"too long for an inline kernel \(over 1 MiB"):
        resolve_kernel("1 " * 600_000)
    for spec in ("1 2 " + "3" * 100_000, "foo" * 30_000, "box:size=" + "1" * 50_000, "box:" + "q" * 50_000 + "=1"):
        with pytest.raises(UsageError) as raised:
            resolve_kernel(spec)
        assert len(str(raised.value)) < 500 and "characters)" in str(raised.value), str(raised.value)[:500]
    with pytest.raises(UsageError, match=r"two whole numbers, not '1,1{38}'\.\.\. \(5002 characters\)"):
        position("1," + "1" * 5000, "--origin")


def test_long_options_and_kernel_show_parameters_are_cut(photo, capsys):
    code, _, err = run(["blur", photo, "--border", "x" * 100_000, "-o", "a.png"], capsys)
    assert code == 2 and one_error(err, "--border: unknown border mode 'xxx", "(100000 characters)")
    code, _, err = run(["kernel", "show", "1 2 1", "q" * 100_000], capsys)
    assert code == 2 and one_error(err, "are for named kernels only")
    code, _, err = run(["apply", photo, "-k", "1 " + "1" * 100_000, "-o", "a.png"], capsys)
    assert code == 2 and one_error(err, "(100000 characters) is too long for a number")


# Item 8: wrong results with exit 0.


@pytest.mark.parametrize("weights", ["1e308 1e308", "1e308 1e308 -1e308", "-1e308; -1e308"])
def test_normalize_refuses_a_sum_that_overflows_inline_and_in_a_file(weights, photo, capsys):
    code, _, err = run(["apply", photo, "-k", weights, "--normalize", "-o", "a.png"], capsys)
    assert code == 2 and one_error(err, "--normalize: the kernel's sum overflows")
    Path("k.txt").write_text(weights)
    code, _, err = run(["apply", photo, "-k", "k.txt", "--normalize", "-o", "a.png"], capsys)
    assert code == 1 and one_error(err, "k.txt: --normalize: the kernel's sum overflows")
    assert not Path("a.png").exists()


def test_normalize_takes_tiny_weights_and_still_refuses_a_zero_sum(photo, capsys):
    np.testing.assert_allclose(resolve_kernel("1e-40 3e-40").normalized().matrix, [[0.25, 0.75]])
    with pytest.raises(ValueError, match="sums to 0"):
        resolve_kernel("1e-40 -1e-40").normalized()
    Path("edge.txt").write_text("1 0 -1")
    code, _, err = run(["apply", photo, "-k", "edge.txt", "--normalize", "-o", "a.png"], capsys)
    assert code == 1 and one_error(err, "edge.txt: --normalize: the kernel sums to 0")


def _image(shape: tuple[int, int], name: str) -> str:
    Image.fromarray(np.full(shape, 90, np.uint8)).save(name)
    return name


@pytest.mark.parametrize(
    "shape, output, fragment",
    [
        ((1, 70000), "w.gif", "GIF holds images of at most 65535x65535 pixels, and this one is 70000x1"),
        ((70000, 1), "w.tga", "TGA holds images of at most 65535x65535"),
        ((1, 65535), "w.pcx", "PCX holds images of at most 65534x65535"),
        ((1, 16384), "w.webp", "WEBP holds images of at most 16383x16383"),
        ((65501, 1), "w.jpg", "JPEG holds images of at most 65500x65500"),
        ((300, 257), "w.ico", "ICO holds images of at most 256x256 pixels, and this one is 257x300"),
        ((200, 256), "w.ico", "ICO keeps an image as it is only if it is a square of 16, 24, 32"),
        ((8, 8), "w.icns", "ICNS icons are made by resizing the image to every size from 16 to 1024"),
    ],
)
def test_an_image_larger_than_its_output_format_holds_is_refused_naming_the_limit(
    shape, output, fragment, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["blur", _image(shape, "in.png"), "-o", output], capsys)
    assert code == 1 and one_error(err, f"error: {output}: {fragment}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_the_size_is_refused_before_filtering_and_sizes_that_fit_are_written(tmp_path, monkeypatch, capsys):
    from convcli.imaging import KernelFilter, filter_file
    from convcli.kernels import named_kernel

    monkeypatch.chdir(tmp_path)

    class Never(KernelFilter):
        def planned(self, *args, **kwargs):
            raise AssertionError("filtered")

    never = Never(named_kernel("identity"))
    with pytest.raises(ConvcliError, match="a.gif: GIF holds images of at most 65535x65535"):
        filter_file(Path(_image((1, 65536), "in.png")), Path("a.gif"), never)
    for shape in ((256, 256), (10, 200), (48, 48)):
        code, _, err = run(["blur", _image(shape, "icon.png"), "-o", "icon.ico", "--force"], capsys)
        assert code == 0 and err.strip() == "wrote icon.ico"
        with Image.open("icon.ico") as written:
            assert written.size == shape[::-1]


# Item 9: names.

NAMES = ["evil\nerror: all is well.png", "e\x1b[2J\x1b]0;owned\x07.png", "c1\x9b31m\x7f.png", "bidi\u202egnp.txt"]


@pytest.mark.parametrize("name", NAMES)
def test_control_characters_in_a_file_name_are_escaped_in_errors(name, photo, capsys):
    Path(name).write_bytes(b"not an image at all")
    code, _, err = run(["blur", name, "-o", "a.png"], capsys)
    line = one_error(err)
    assert code == 1 and not any(c in line for c in "\n\x1b\x07\x9b\x7f\u202e")
    assert repr(name)[1:-1].split("\\")[0] in line  # the name, shown up to its first escape
    Path("k.txt").write_text("1 x")
    Path("k.txt").rename(name + ".txt")
    code, _, err = run(["apply", photo, "-k", name + ".txt", "-o", "a.png"], capsys)
    assert code == 1 and not any(c in one_error(err) for c in "\n\x1b\x07\x9b\x7f\u202e")


def test_control_characters_are_escaped_in_wrote_skipped_dry_run_and_kernel_show(photo, capsys):
    name = "out\nerror: forged\x1b[31m.png"
    code, _, err = run(["blur", photo, "-o", name], capsys)
    assert code == 0 and err == "wrote out\\nerror: forged\\x1b[31m.png\n"
    code, out, err = run(["blur", photo, "-o", name, "--dry-run"], capsys)
    expected = "photo.png -> out\\nerror: forged\\x1b[31m.png (exists: would be refused without --force)\n"
    assert code == 1 and out == expected
    Image.open(photo).save("b.png")
    run(["blur", photo, "b.png", "--name", "{stem}\x1b.png"], capsys)
    code, _, err = run(["blur", photo, "b.png", "--name", "{stem}\x1b.png", "--skip-existing"], capsys)  # again
    assert code == 0 and "\x1b" not in err and "skipped photo.png: photo\\x1b.png exists" in err
    Path("k\x1b[2J.txt").write_text("1 2 1")
    code, out, err = run(["kernel", "show", "k\x1b[2J.txt"], capsys)
    assert code == 0 and "\x1b" not in out and out.startswith("k\\x1b[2J: 1 row x 3 columns")


def test_emoji_codes_in_a_name_are_shown_as_written(photo, capsys):
    """rich prints :smile: as its emoji unless told not to: a name is shown as the file is called."""
    code, _, err = run(["blur", photo, "-o", ":smile:.png"], capsys)
    assert code == 0 and err == "wrote :smile:.png\n"
    Path(":x:.txt").write_text("1 2 1")
    code, out, _ = run(["kernel", "show", ":x:.txt"], capsys)
    assert code == 0 and out.startswith(":x:: 1 row x 3 columns")


def test_a_name_read_as_a_short_option_is_refused_with_the_fix(photo, capsys):
    from convcli.cli.arguments import check_arguments

    Image.open(photo).save("-dash.png")
    with pytest.raises(UsageError) as raised:
        check_arguments(["blur", "-dash.png"])
    assert str(raised.value).startswith("-dash.png: read as -d ash.png; to name the file -dash.png, put -- before it")
    with pytest.raises(UsageError, match="^-o: after --, every argument is a file name; put the options before --"):
        check_arguments(["blur", "--", "-dash.png", "-o", "out.png"])
    for fine in (
        ["blur", "-o", "-dash.png", photo],
        ["blur", "-o", "out.png", "--", "-dash.png"],
        ["blur", "-qv", "x"],
    ):
        assert check_arguments(fine) == fine
    code, _, err = run(["blur", "-o", "out.png", "--", "-dash.png"], capsys)  # -- ends the options (Click)
    assert code == 0 and err == "wrote out.png\n" and Path("out.png").exists()


def test_main_refuses_a_name_read_as_a_short_option(photo, capsys):
    Image.open(photo).save("-dash.png")
    code, _, err = run(["blur", "-dash.png"], capsys)
    assert code == 2 and one_error(err, "-dash.png: read as -d ash.png", "put -- before it")
    assert not Path("ash.png").exists()


def test_a_laplacian_of_gaussian_with_a_huge_sigma_is_built_or_refused_not_overflowed():
    from convcli.kernels import named

    try:
        named.laplacian_of_gaussian(1.3407807929942597e154, 1e-300)  # sigma**2 overflows Python's float
    except ValueError:
        pass
