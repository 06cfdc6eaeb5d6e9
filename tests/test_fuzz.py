"""Fuzzed bad input: damaged images and kernel files, and wild option values. Each must end as
convcli's own error, naming the file or option, with its exit code: never another exception
(a traceback), never a hang."""

from __future__ import annotations

import inspect
import io
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from processes import files_in

from convcli.choices import KERNEL_NAMES
from convcli.cli import main
from convcli.errors import ConvcliError
from convcli.imaging import FilterSettings, KernelFilter, filter_file
from convcli.kernels import KERNELS, named_kernel, resolve_kernel

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _samples() -> dict[str, bytes]:
    """Small valid files of the formats and modes a damaged file most often comes from."""
    rng = np.random.default_rng(21)
    rgb = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    made = {}

    def save(name: str, image: Image.Image, **options) -> None:
        buffer = io.BytesIO()
        image.save(buffer, format=name.split(".")[-1].upper().replace("JPG", "JPEG").replace("TIF", "TIFF"), **options)
        made[name] = buffer.getvalue()

    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the orientation code runs too
    save("rgb.png", Image.fromarray(rgb))
    save("rgba.png", Image.fromarray(np.dstack([rgb, rgb[..., :1]])))
    save("grey16.png", Image.fromarray(rng.integers(0, 65536, (9, 7), dtype=np.uint16)))
    save("palette.png", Image.fromarray(rgb).quantize(8))
    save("photo.jpg", Image.fromarray(rgb), quality=90, exif=exif.tobytes())
    save("progressive.jpg", Image.fromarray(rgb), progressive=True)
    save("lzw.tif", Image.fromarray(rgb), compression="tiff_lzw")
    save("float.tif", Image.fromarray(rng.normal(0, 1, (8, 9)).astype(np.float32)))
    save("exif.tif", Image.fromarray(rgb), exif=exif.tobytes())
    buffer = io.BytesIO()
    np.save(buffer, rng.normal(size=(6, 5)))
    made["array.npy"] = buffer.getvalue()
    return made


SAMPLES = _samples()


@st.composite
def damaged(draw) -> tuple[str, bytes]:
    """A sample file cut short, with bytes overwritten, or both."""
    name = draw(st.sampled_from(sorted(SAMPLES)))
    data = bytearray(SAMPLES[name])
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data) - 1)) :]
    for _ in range(draw(st.integers(0 if len(data) < len(SAMPLES[name]) else 1, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return name, bytes(data)


identity = KernelFilter(named_kernel("identity"))


@FUZZ
@given(damaged())
def test_a_damaged_image_is_read_or_refused_with_convclis_own_error(tmp_path, case):
    name, data = case
    source = tmp_path / name
    source.write_bytes(data)
    output = tmp_path / ("out" + Path(name).suffix)
    output.unlink(missing_ok=True)
    try:
        filter_file(source, output, identity, FilterSettings(tag="fuzz", force=True))
    except ConvcliError as exc:
        assert str(exc).startswith(str(source)) and "\n" not in str(exc)
        assert not output.exists()


def test_a_batch_of_damaged_images_reports_each_and_writes_the_rest(tmp_path):
    """Hundreds of damaged files in one real batch: no traceback, no hang, nothing unforeseen."""
    rng = np.random.default_rng(8)
    folder = tmp_path / "damaged"
    folder.mkdir()
    for number in range(240):
        name = sorted(SAMPLES)[number % len(SAMPLES)]
        data = bytearray(SAMPLES[name])
        if number % 3:
            del data[rng.integers(0, len(data)) :]
        for _ in range(rng.integers(0 if number % 3 else 1, 6)):
            if data:
                data[rng.integers(0, len(data))] = rng.integers(0, 256)
        (folder / f"{number:03d}-{name}").write_bytes(bytes(data))
    result = subprocess.run(
        [sys.executable, "-m", "convcli", "blur", "damaged/*", "-d", "out", "--name", "{stem}.png", "-j", "2"],
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    err = result.stderr.decode()
    assert result.returncode in (0, 1) and result.stdout == b"", err
    assert "Traceback" not in err and "unexpected" not in err and "died" not in err, err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    for line in lines[:-1]:  # each a line of convcli's own, naming its file; Pillow's warnings too
        assert line.startswith(("error: damaged/", "warning: damaged/", "warning: out/", "wrote out/")), line
    written = len(files_in(tmp_path / "out")) if (tmp_path / "out").exists() else 0
    assert lines[-1] == f"240 images: {written} written" + (f", {len(errors)} failed" if errors else "")
    for name in files_in(tmp_path / "out") if written else ():
        with Image.open(tmp_path / "out" / name) as image:
            image.load()


# --- kernels -------------------------------------------------------------------------------

KERNEL_SUFFIXES = ["", ".txt", ".json", ".csv", ".mat", ".npy"]


@FUZZ
@given(st.sampled_from(KERNEL_SUFFIXES), st.binary(max_size=300))
def test_a_kernel_file_of_junk_is_read_or_refused_with_convclis_own_error(tmp_path, suffix, data):
    path = tmp_path / f"k{suffix}"
    path.write_bytes(data)
    try:
        kernel = resolve_kernel(str(path))
    except ConvcliError as exc:
        assert str(path) in str(exc)
        return
    assert kernel.matrix.ndim == 2 and kernel.matrix.size and np.isfinite(kernel.matrix).all()


kernel_text = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from(
            [
                "1",
                "-2",
                "0.5",
                "1/16",
                "nan",
                "inf",
                "1e309",
                ";",
                " ",
                ",",
                "\n",
                "[",
                "]",
                "{",
                "}",
                ":",
                "x",
                "3x3",
                "+1",
                "gaussian",
                "sigma=",
                "box",
                "999999",
                "-",
                '"',
                "#",
            ]
        ),
        max_size=25,
    ).map("".join),
)


@FUZZ
@given(kernel_text.filter(lambda text: text.strip() != "-"))  # "-" reads the kernel from stdin
def test_a_kernel_written_inline_is_read_or_refused_with_convclis_own_error(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)  # no file of the test's may be taken for the kernel
    try:
        kernel = resolve_kernel(text)
    except ConvcliError as exc:
        assert "\n" not in str(exc).strip() or "\n" in text
        return
    assert kernel.matrix.ndim == 2 and kernel.matrix.size and np.isfinite(kernel.matrix).all()


parameter = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, 1e-300, 1e-200, -0.0, 2000.5, 4001, 1e308, 0.5]),
)


@pytest.mark.parametrize("name", KERNEL_NAMES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_named_kernel_with_any_parameters_is_built_or_refused_with_a_value_error(name, data):
    """The contract the command line relies on: a bad parameter is a ValueError, which it words."""
    entry = KERNELS[name]
    values = data.draw(st.lists(parameter, max_size=len(inspect.signature(entry.make).parameters)))
    try:
        matrix = entry.make(*values)
    except ValueError:
        return
    assert matrix.ndim == 2 and 0 < max(matrix.shape) <= 4001 and np.isfinite(matrix).all(), values


@pytest.mark.parametrize(
    "name, header",
    [
        ("big.mat", "99999 99999\n1\n"),
        ("big.mat", "4002 1\n1\n"),
        ("big.mat", "2147483648 1\n1\n"),
        ("big.mat", "-3 3\n1\n"),
        ("big.mat", "99999 99999 1 0\n"),
        ("big.txt", "3x99999999: 1\n"),
        ("big.txt", "100000x100000+0+0: 1"),
        ("big.txt", "99999:"),
    ],
)
def test_huge_or_negative_sizes_in_a_kernel_header_are_refused_before_any_memory_is_taken(tmp_path, name, header):
    path = tmp_path / name
    path.write_text(header)
    with pytest.raises(ConvcliError, match=name):
        resolve_kernel(str(path))


# --- options, through the command line's own main() ---------------------------------------


def run(args: list[str], capsys) -> tuple[int, str]:
    """convcli's main() in this process, as the command line calls it: its exit code and stderr."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        code = main(args)
    finally:
        signal.signal(signal.SIGTERM, handler)
    return code, capsys.readouterr().err


@pytest.fixture
def photo(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (10, 12), dtype=np.uint8)).save("photo.png")
    return "photo.png"


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["blur", "photo.png", "--sigma", "0"], 2, "--sigma"),
        (["blur", "photo.png", "--sigma", "-0.5"], 2, "--sigma"),
        (["blur", "photo.png", "--sigma", "nan"], 2, "--sigma"),
        (["blur", "photo.png", "--sigma", "inf"], 2, "--sigma"),
        (["blur", "photo.png", "--sigma", "1e308"], 2, "--sigma"),
        (["sharpen", "photo.png", "--amount", "nan"], 2, "--amount"),
        (["blur", "photo.png", "--jobs", "0"], 2, "--jobs"),
        (["blur", "photo.png", "--jobs", "-3"], 2, "--jobs"),
        (["blur", "photo.png", "--threads", "0"], 2, "--threads"),
        (["blur", "photo.png", "--quality", "0"], 2, "--quality"),
        (["blur", "photo.png", "--max-pixels", "-1"], 2, "--max-pixels"),
        (["blur", "photo.png", "--cval", "inf", "--border", "constant"], 2, "--cval"),
        (["apply", "photo.png", "-k", "1 nan 1"], 2, "not a finite number"),
        (["apply", "photo.png", "-k", "1 inf"], 2, "not a finite number"),
        (["apply", "photo.png", "-k", "1 1e309"], 2, "not a finite number"),
        (["apply", "photo.png", "-k", "gaussian:sigma=nan"], 2, "sigma"),
        (["apply", "photo.png", "-k", "gaussian:sigma=0"], 2, "sigma"),
        (["apply", "photo.png", "-k", "gaussian:sigma=1e6"], 2, "gaussian"),
        (["apply", "photo.png", "-k", "box:size=0"], 2, "size"),
        (["apply", "photo.png", "-k", "motion:length=-1"], 2, "length"),
        (["apply", "photo.png", "-k", "shift:dx=1e9"], 2, "dx"),
        (["apply", "photo.png", "-k", "emboss", "--scale", "nan"], 2, "--scale"),
        (["apply", "photo.png", "-k", "emboss", "--divisor", "0"], 2, "--divisor"),
        (["apply", "photo.png", "-k", "emboss", "--origin", "9,9"], 2, "--origin"),
        (["apply", "photo.png", "-k", "emboss", "--rotate", "45"], 2, "--rotate"),
        (["blur", "photo.png", "-o", "photo.png"], 1, "is the input image"),
        (["blur", "photo.png", "-o", "nowhere/out.png"], 1, "does not exist"),
        (["blur", "photo.png", "-o", "."], 1, "is a directory"),
        (["blur", "photo.png", "--name", "{stem}{ext}"], 1, "is the input image"),
        (["blur", "missing.png", "-o", "out.png"], 1, "no such file"),
        (["blur", "photo.png", "--depth", "16", "-o", "out.jpg"], 2, "16"),
    ],
)
def test_wild_options_are_one_error_line_with_their_exit_code(photo, capsys, args, code, fragment):
    got, err = run(args, capsys)
    lines = err.strip().splitlines()
    assert got == code, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err
    assert files_in(Path.cwd()) == {"photo.png"}


# --- found by a trial of bad input -----------------------------------------------------------


def test_values_beyond_float32_are_refused_not_turned_into_black(photo, capsys):
    for args, fragment in (
        (["apply", "photo.png", "-k", "1e39 1", "-o", "a.png"], "the kernel's largest weight 1e+39 is beyond float32"),
        (["blur", "photo.png", "--border", "constant", "--cval", "1e40", "-o", "b.png"], "cval 1e+40 is beyond"),
    ):
        code, err = run(args, capsys)
        assert code == 1 and err.strip().splitlines() == [f"error: photo.png: {err.split('photo.png: ')[1].strip()}"]
        assert fragment in err
    code, err = run(["apply", "photo.png", "-k", "1 1 1", "--scale", "1e308", "-o", "c.png"], capsys)
    assert code == 0 and "Warning" not in err and "overflow" not in err  # saturated, as asked, without numpy's noise
    assert files_in(Path.cwd()) == {"photo.png", "c.png"}


def test_a_librarys_warning_is_one_line_of_convclis(capsys):
    code, err = run(["explain", "--signal", "1e308 1e308", "--kernel", "1e308 1"], capsys)
    assert code == 0 and err.strip() == "warning: overflow encountered in multiply"


def test_exif_too_large_for_a_jpeg_is_left_out_with_a_warning(photo, capsys):
    exif = Image.Exif()
    exif[0x010E] = "x" * 200_000  # ImageDescription
    Image.open(photo).save("big-exif.png", exif=exif.tobytes())
    code, err = run(["blur", "big-exif.png", "-o", "out.jpg"], capsys)
    assert code == 0 and "the input's EXIF (200,0" in err and "larger than a JPEG holds; left out" in err
    with Image.open("out.jpg") as written:
        assert written.format == "JPEG"


def test_a_device_without_an_extension_takes_the_inputs_format(photo, capsys):
    assert run(["blur", "photo.png", "-o", "/dev/null"], capsys)[0] == 0
    assert run(["compare", "photo.png", "-k", "emboss", "-o", "/dev/null"], capsys)[0] == 0  # its panel: PNG


@pytest.mark.parametrize(
    "spec, fragment",
    [
        (" ".join(["1"] * 4002), "a 4002x1 kernel; sides must be 1 to 4001"),
        ("3x3: nan,nan,nan - - - nan,-,nan", "every cell is nan or -: the kernel is empty"),
        ("GAUSSIAN:SIGMA=nan", "sigma must be a positive number"),  # parameter names ignore case too
    ],
)
def test_inline_kernels_found_wanting(spec, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConvcliError, match=re.escape(fragment)):
        resolve_kernel(spec)


def test_damaged_npy_files_say_what_is_wrong(tmp_path):
    from convcli.imaging.files import read_array

    np.save(tmp_path / "good.npy", np.arange(12.0).reshape(3, 4))
    data = (tmp_path / "good.npy").read_bytes()
    pickled = io.BytesIO()
    np.save(pickled, np.array([[None]], dtype=object), allow_pickle=True)
    for name, content, fragment in (
        ("cut.npy", data[:-10], "cut short: its header promises 96 bytes of 3x4 float64 values, and 86 follow"),
        ("objects.npy", pickled.getvalue(), "holds Python objects, which convcli never unpickles"),
        ("header.npy", data[:20] + b"\x00" + data[21:], "its header is damaged"),
    ):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ConvcliError, match=re.escape(f"{tmp_path / name}: ") + ".*" + re.escape(fragment)):
            read_array(tmp_path / name)


def test_templates_and_signals_found_wanting(photo, capsys):
    assert "no leading / and no .." in run(["blur", "photo.png", "--name", "../x{ext}"], capsys)[1]
    code, err = run(["explain", "--signal", " ", "--kernel", "1 2"], capsys)
    assert code == 2 and err.strip() == "error: --signal is empty: give its numbers, such as '1 0.5 1 1'"


def test_a_folder_that_refuses_entry_is_one_error_line_and_the_batch_goes_on(tmp_path, permissions_apply):
    (tmp_path / "locked").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "locked" / "a.png")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "b.png")
    (tmp_path / "unreadable.png").write_bytes(b"")
    (tmp_path / "unreadable.png").chmod(0)
    (tmp_path / "locked").chmod(0)
    try:
        one = convcli_process(["blur", "locked/a.png", "-o", "x.png"], tmp_path, permissions_apply)
        assert one.returncode == 1 and one.stderr.decode() == "error: locked/a.png: Permission denied\n"
        batch = convcli_process(
            ["blur", "b.png", "locked/a.png", "-d", "out", "--name", "{dir}/{stem}{ext}"], tmp_path, permissions_apply
        )
        assert batch.returncode == 1 and "error: locked/a.png: Permission denied" in batch.stderr.decode()
        assert batch.stderr.decode().strip().splitlines()[-1] == "2 images: 1 written, 1 failed"
        # An output is replaced whole, never read: --force replaces an unreadable one.
        forced = convcli_process(["blur", "b.png", "-o", "unreadable.png", "--force"], tmp_path, permissions_apply)
        assert forced.returncode == 0, forced.stderr.decode()
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert (tmp_path / "unreadable.png").stat().st_size > 0


def convcli_process(args: list[str], cwd: Path, popen: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "convcli", *args],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        **popen,
    )
