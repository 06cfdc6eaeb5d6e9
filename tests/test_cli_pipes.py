"""convcli in shell pipelines: stdin and stdout, '-', --format, and messages kept off stdout."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from processes import SAMPLES, convcli, failed, files_in, ok, pixels, shows

CONVCLI = f"{shlex.quote(sys.executable)} -m convcli"


def bash(script: str, cwd, **popen) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=cwd, capture_output=True, timeout=120, **popen)


def test_a_pipeline_of_two_filters_equals_the_two_steps_on_files(tmp_path):
    photo = shlex.quote(str(SAMPLES / "chelsea.png"))
    result = bash(f"cat {photo} | {CONVCLI} blur | {CONVCLI} sobel > edges.png", tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"" and result.stderr == b""  # filters in a pipeline are silent
    ok(convcli("blur", SAMPLES / "chelsea.png", "-o", "blur.png", cwd=tmp_path))
    ok(convcli("sobel", "blur.png", "-o", "want.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "edges.png"), pixels(tmp_path / "want.png"))
    assert files_in(tmp_path) == {"edges.png", "blur.png", "want.png"}  # nothing else written


def test_dash_reads_stdin_and_writes_stdout_in_the_inputs_format_or_the_one_asked(tmp_path):
    jpeg = (SAMPLES / "rocket.jpg").read_bytes()
    same = convcli("blur", "-", "-o", "-", cwd=tmp_path, stdin=jpeg)
    assert same.returncode == 0 and same.stdout.startswith(b"\xff\xd8")  # JPEG in, JPEG out
    png = convcli("blur", "-o", "-", "--format", "png", cwd=tmp_path, stdin=jpeg)
    assert png.stdout.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png.stdout)) as result:
        assert result.size == (640, 427)
    from_file = convcli("apply", SAMPLES / "camera.png", "-k", "sobel-x", "-o", "-", "--format", "npy", cwd=tmp_path)
    gradient = np.load(io.BytesIO(from_file.stdout))
    assert gradient.dtype == np.float32 and gradient.min() < 0  # .npy: the exact signed values
    again = convcli("apply", "-k", "identity", "-o", "-", cwd=tmp_path, stdin=from_file.stdout)
    np.testing.assert_array_equal(np.load(io.BytesIO(again.stdout)), gradient)  # an array in, an array out
    assert files_in(tmp_path) == set()


def test_stdin_problems_are_clear_errors(tmp_path):
    failed(convcli("blur", cwd=tmp_path, stdin=b""), 2, "stdin: no image data")
    failed(convcli("blur", cwd=tmp_path, stdin=b"not an image"), 1, "stdin: not an image in a format convcli reads")
    failed(
        convcli("blur", "-o", "-", "--format", "xyz", cwd=tmp_path, stdin=(SAMPLES / "camera.png").read_bytes()),
        2,
        "--format 'xyz'",
    )


def test_image_data_is_not_written_to_a_terminal(tmp_path):
    result = convcli("blur", SAMPLES / "camera.png", "-o", "-", cwd=tmp_path, terminal=True)
    assert result.returncode == 2 and result.stdout == b""
    assert b"stdout is a terminal" in result.stderr


def test_dry_run_lists_what_would_be_written_and_writes_nothing(dot, tmp_path):
    at_a_terminal = convcli("blur", dot, "--dry-run", cwd=tmp_path, terminal=True)
    assert at_a_terminal.returncode == 0 and at_a_terminal.stderr == b""
    assert at_a_terminal.stdout.decode().replace("\r\n", "\n") == f"{dot} -> {tmp_path / 'dot.blur.png'}\n"
    into_a_pipe = convcli("blur", dot, "--dry-run", cwd=tmp_path)
    assert into_a_pipe.stdout == b"" and into_a_pipe.stderr.decode() == f"{dot} -> stdout\n"
    (tmp_path / "taken.png").write_bytes(b"keep")
    refused = convcli("apply", dot, "-k", "shift", "-o", "taken.png", "--dry-run", cwd=tmp_path)
    assert refused.returncode == 1  # the exit status the run would have
    assert refused.stdout.decode() == f"{dot} -> taken.png (exists: would be refused without --force)\n"
    forced = shows(convcli("apply", dot, "-k", "shift", "-o", "taken.png", "--dry-run", "--force", cwd=tmp_path))
    assert forced == f"{dot} -> taken.png (exists: would be replaced)\n"
    piped = convcli("blur", "--dry-run", cwd=tmp_path, stdin=b"anything")
    assert piped.returncode == 0 and piped.stdout == b"" and piped.stderr == b"stdin -> stdout\n"  # not into a pipe
    missing = convcli("blur", "nope.png", "-o", "nope.blur.png", "--dry-run", cwd=tmp_path)
    assert missing.returncode == 1 and b"(no such file)" in missing.stdout
    jpeg = convcli("blur", dot, "--format", "jpg", "--dry-run", cwd=tmp_path, terminal=True)
    assert jpeg.stdout.decode().rstrip().endswith("dot.blur.jpg")
    assert files_in(tmp_path) == {"dot.png", "taken.png"} and (tmp_path / "taken.png").read_bytes() == b"keep"


def test_special_files_are_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    ok(convcli("blur", SAMPLES / "camera.png", "-o", fifo, "--format", "png", cwd=tmp_path))
    data, _ = reader.communicate(timeout=60)
    assert data.startswith(b"\x89PNG") and fifo.is_fifo()
    ok(convcli("blur", SAMPLES / "camera.png", "-o", "/dev/null", "--format", "png", cwd=tmp_path))
    assert Path("/dev/null").is_char_device()


def test_format_and_extension_must_agree(dot, tmp_path):
    failed(
        convcli("blur", dot, "-o", "q.jpg", "--format", "png", cwd=tmp_path),
        2,
        "q.jpg: its extension says JPEG, --format says PNG",
    )
    assert files_in(tmp_path) == {"dot.png"}


def test_stdout_that_cannot_be_written_is_one_error_line(tmp_path):
    closed = subprocess.run(
        [sys.executable, "-m", "convcli", "blur", str(SAMPLES / "camera.png"), "-o", "-"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=None,
        stderr=subprocess.PIPE,
        close_fds=True,
        pass_fds=(),
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert closed.returncode == 1 and closed.stderr.decode().strip() == "error: stdout is closed: give -o FILE"
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "convcli", "blur", str(SAMPLES / "camera.png"), "-o", "-"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.decode().strip() == "error: stdout: cannot write: No space left on device"


def test_stdin_cannot_be_both_image_and_kernel(tmp_path):
    failed(
        convcli("apply", "-k", "-", cwd=tmp_path, stdin=(SAMPLES / "camera.png").read_bytes()),
        2,
        "stdin cannot hold both the image and the kernel",
    )


def test_a_file_filtered_into_a_pipe_or_a_redirection_needs_no_dash(tmp_path):
    photo = shlex.quote(str(SAMPLES / "camera.png"))
    result = bash(
        f"{CONVCLI} blur {photo} | {CONVCLI} sobel > edges.png && {CONVCLI} blur {photo} > soft.png", tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()
    said = "wrote the result to stdout (no -o given, and stdout is a pipe or a file named for its format)"
    assert result.stderr.decode().count(said) == 2
    ok(convcli("blur", SAMPLES / "camera.png", "-o", "blur.png", cwd=tmp_path))
    ok(convcli("sobel", "blur.png", "-o", "want.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "edges.png"), pixels(tmp_path / "want.png"))
    np.testing.assert_array_equal(pixels(tmp_path / "soft.png"), pixels(tmp_path / "blur.png"))
    assert files_in(tmp_path) == {"edges.png", "soft.png", "blur.png", "want.png"}


def test_compare_and_explain_read_stdin_and_compare_writes_stdout(tmp_path):
    photo = shlex.quote(str(SAMPLES / "camera.png"))
    result = bash(f"cat {photo} | {CONVCLI} compare -k emboss > panel.png", tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "wrote the panel to stdout: original | convolved | correlated" in result.stderr.decode()
    assert pixels(tmp_path / "panel.png").shape == (512, 4 * 512 + 3 * 4)
    explained = bash(f"cat {photo} | {CONVCLI} explain - --at 3,4 -k emboss", tmp_path)
    assert explained.returncode == 0 and explained.stderr == b""
    assert explained.stdout.decode().startswith("stdin, pixel x=3, y=4: convolution")
    assert files_in(tmp_path) == {"panel.png"}


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_large_image_goes_down_a_pipe_whole_and_a_reader_that_leaves_early_is_an_error(unbuffered, tmp_path):
    """With PYTHONUNBUFFERED, stdout's binary layer is the raw pipe, which takes 64 KiB at a time."""
    noise = np.random.default_rng(3).integers(0, 256, (600, 700, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.png")
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    whole = bash(
        f"{CONVCLI} blur noise.png -o - | cat > piped.png && {CONVCLI} blur noise.png -o file.png", tmp_path, env=env
    )
    assert whole.returncode == 0, whole.stderr.decode()
    assert (tmp_path / "piped.png").read_bytes() == (tmp_path / "file.png").read_bytes()
    assert len((tmp_path / "file.png").read_bytes()) > 1 << 17  # more than a pipe holds at once
    early = bash(f"{CONVCLI} blur noise.png -o - | head -c 10 > /dev/null", tmp_path, env=env)
    assert early.returncode == 1
    assert early.stderr.decode().strip() == "error: stdout: the reader closed the pipe before the image was written"


def test_stdout_takes_the_image_when_it_is_a_pipe_or_a_file_but_not_dev_null(tmp_path):
    shutil_photo = tmp_path / "photo.png"
    shutil_photo.write_bytes((SAMPLES / "camera.png").read_bytes())
    result = bash(f"{CONVCLI} blur photo.png > /dev/null", tmp_path)  # as a cron job's >/dev/null 2>&1 would
    assert result.returncode == 0 and result.stderr.decode().strip() == "wrote photo.blur.png"
    assert pixels(tmp_path / "photo.blur.png").shape == (512, 512)


def test_dev_stdout_as_output_is_stdout(tmp_path):
    photo = shlex.quote(str(SAMPLES / "rocket.jpg"))
    result = bash(
        f"{CONVCLI} blur {photo} -o /dev/stdout > a.jpg && {CONVCLI} blur {photo} -o /dev/stdout --format png > b.png",
        tmp_path,
    )
    assert result.returncode == 0 and result.stderr == b"", result.stderr.decode()
    assert (tmp_path / "a.jpg").read_bytes().startswith(b"\xff\xd8")  # the input's format
    assert pixels(tmp_path / "b.png").shape == (427, 640, 3)


def test_explain_reads_a_piped_image_without_a_dash(tmp_path):
    photo = shlex.quote(str(SAMPLES / "camera.png"))
    explained = bash(f"{CONVCLI} explain --at 3,4 -k emboss < {photo}", tmp_path)
    assert explained.returncode == 0 and explained.stdout.decode().startswith("stdin, pixel x=3, y=4")


def into(stdout: Path, *args, cwd: Path, stdin: bytes = b"", append: bool = False) -> subprocess.CompletedProcess:
    """convcli with stdout redirected to the file `stdout`, as `> stdout` (`>> stdout`) would."""
    with open(stdout, "ab" if append else "wb") as out:
        return subprocess.run(
            [sys.executable, "-m", "convcli", *map(str, args)],
            cwd=cwd,
            input=stdin,
            stdout=out,
            stderr=subprocess.PIPE,
            timeout=60,
        )


def refused(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert all(fragment in err for fragment in fragments), err


def test_a_redirection_is_written_in_the_format_its_name_says(tmp_path):
    (tmp_path / "photo.png").write_bytes((SAMPLES / "camera.png").read_bytes())
    named = into(tmp_path / "soft.jpg", "blur", "photo.png", cwd=tmp_path)
    assert named.returncode == 0, named.stderr.decode()
    ok(convcli("blur", "photo.png", "-o", "want.jpg", cwd=tmp_path))
    assert (tmp_path / "soft.jpg").read_bytes() == (tmp_path / "want.jpg").read_bytes()  # as -o soft.jpg writes it
    piped = into(tmp_path / "soft.tif", "blur", cwd=tmp_path, stdin=(tmp_path / "photo.png").read_bytes())
    assert piped.returncode == 0 and piped.stderr == b"", piped.stderr.decode()
    with Image.open(tmp_path / "soft.tif") as written:
        assert written.format == "TIFF" and written.size == (512, 512)
    panel = into(tmp_path / "panel.webp", "compare", "photo.png", "-k", "emboss", "-o", "/dev/stdout", cwd=tmp_path)
    assert panel.returncode == 0, panel.stderr.decode()  # into stdout's file, not over it
    with Image.open(tmp_path / "panel.webp") as written:
        assert written.format == "WEBP" and written.size == (4 * 512 + 3 * 4, 512)
    refused(
        into(tmp_path / "other.jpg", "blur", "photo.png", "--format", "png", cwd=tmp_path),
        2,
        "stdout is other.jpg: its extension says JPEG, --format says PNG; choose one",
    )
    assert (tmp_path / "other.jpg").read_bytes() == b""


def test_no_image_goes_into_a_log_nor_after_what_a_file_holds(tmp_path):
    """A script's log on stdout: compare writes its panel beside the input, as at a terminal;
    stdin's image, which has nowhere else to go, is refused. An image appended (>>) is no image."""
    (tmp_path / "photo.png").write_bytes((SAMPLES / "camera.png").read_bytes())
    log = tmp_path / "run.log"
    compared = into(log, "compare", "photo.png", "-k", "emboss", cwd=tmp_path)
    assert compared.returncode == 0 and "wrote photo.compare-emboss.png" in compared.stderr.decode()
    assert log.read_bytes() == b"" and pixels(tmp_path / "photo.compare-emboss.png").shape == (512, 4 * 512 + 3 * 4)
    refused(
        into(log, "blur", cwd=tmp_path, stdin=(tmp_path / "photo.png").read_bytes(), append=True),
        2,
        "stdout is run.log, and '.log' names no image format convcli writes: give -o FILE",
    )
    assert log.read_bytes() == b""
    (tmp_path / "soft.png").write_bytes(b"earlier")
    held = "stdout is soft.png, which holds 7 bytes already, appended to with >>"
    refused(into(tmp_path / "soft.png", "blur", "photo.png", cwd=tmp_path, append=True), 1, held)
    foreseen = into(tmp_path / "soft.png", "blur", "photo.png", "--dry-run", cwd=tmp_path, append=True)
    assert foreseen.returncode == 1 and foreseen.stderr.decode().startswith(f"photo.png -> stdout ({held}")
    assert (tmp_path / "soft.png").read_bytes() == b"earlier"
    assert files_in(tmp_path) == {"photo.png", "photo.compare-emboss.png", "run.log", "soft.png"}


def test_a_file_on_stdout_whose_name_cannot_be_learnt_takes_the_format_said(tmp_path):
    """An unnamed file (O_TMPFILE, as Python's TemporaryFile makes it) stands for one whose
    name the system will not say: written into only in the format --format names."""
    photo = (SAMPLES / "camera.png").read_bytes()
    for asked, code in (([], 2), (["--format", "png"], 0)):
        with tempfile.TemporaryFile(dir=tmp_path) as out:
            result = subprocess.run(
                [sys.executable, "-m", "convcli", "blur", "-", "-o", "-", *asked],
                input=photo,
                stdout=out,
                stderr=subprocess.PIPE,
                cwd=tmp_path,
                timeout=60,
            )
            out.seek(0)
            written = out.read()
        assert result.returncode == code, result.stderr.decode()
        if code:
            refused(result, 2, "stdout is a file whose name convcli cannot learn", "--format")
            assert written == b""
        else:
            assert written.startswith(b"\x89PNG")
