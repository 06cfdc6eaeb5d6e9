"""Batches: many inputs and patterns, --out-dir and --name, --jobs, failures that do not stop the
others, existing outputs, --dry-run, progress only on a terminal, and interrupts mid-batch."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from processes import SAMPLES, convcli, failed, files_in, ok, pixels, save


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three small photos, a truncated PNG, an empty file and a text file named .png, in `in/`."""
    images = tmp_path / "in"
    images.mkdir()
    rng = np.random.default_rng(5)
    for name in ("a", "b", "c"):
        save(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), images / f"{name}.png")
    (images / "cut.png").write_bytes((images / "a.png").read_bytes()[:200])
    (images / "empty.png").write_bytes(b"")
    (images / "notes.png").write_text("not an image\n")
    return images


def stderr_lines(result) -> list[str]:
    return result.stderr.decode().strip().splitlines()


def test_a_batch_writes_every_good_image_and_reports_each_bad_one(folder, tmp_path):
    result = convcli(
        "blur",
        "in/a.png",
        "in/cut.png",
        "in/b.png",
        "in/empty.png",
        "in/notes.png",
        "in/c.png",
        "--out-dir",
        "out",
        cwd=tmp_path,
    )
    assert result.returncode == 1 and result.stdout == b""
    err = result.stderr.decode()
    assert "Traceback" not in err
    errors = [line for line in stderr_lines(result) if line.startswith("error: ")]
    assert len(errors) == 3
    for name, problem in (
        ("cut.png", "damaged PNG"),
        ("empty.png", "is empty (0 bytes)"),
        ("notes.png", "not an image"),
    ):
        assert any(f"in/{name}: " in line and problem in line for line in errors), err
    assert stderr_lines(result)[-1] == "6 images: 3 written, 3 failed"
    assert files_in(tmp_path / "out") == {"a.blur.png", "b.blur.png", "c.blur.png"}
    ok(convcli("blur", "in/b.png", "-o", "single.png", cwd=tmp_path))
    np.testing.assert_array_equal(pixels(tmp_path / "out/b.blur.png"), pixels(tmp_path / "single.png"))


def test_one_process_and_two_give_the_same_images(folder, tmp_path):
    for jobs in ("1", "2"):
        result = convcli("sobel", "in/[abc].png", "-d", f"out{jobs}", "--jobs", jobs, cwd=tmp_path)
        assert result.returncode == 0, result.stderr.decode()
        assert stderr_lines(result)[-1] == "3 images: 3 written"
    for name in ("a", "b", "c"):
        np.testing.assert_array_equal(
            pixels(tmp_path / f"out1/{name}.sobel.png"), pixels(tmp_path / f"out2/{name}.sobel.png")
        )


def test_patterns_are_expanded_by_convcli_and_a_pattern_matching_nothing_is_a_usage_error(folder, tmp_path):
    deep = folder / "deeper" / "still"
    deep.mkdir(parents=True)
    save(np.zeros((4, 4), np.uint8), deep / "d.png")
    (deep / "a-loop").symlink_to("../..")  # ** must not follow it round and round
    save(np.zeros((4, 4), np.uint8), folder / ".b.png")  # hidden: matched only by a pattern that says so
    listed = convcli("blur", "in/**/[a-d].png", "-d", "out", "--dry-run", cwd=tmp_path).stdout.decode()
    assert [line.split(" -> ")[0] for line in listed.splitlines()] == [
        "in/a.png",
        "in/b.png",
        "in/c.png",
        "in/deeper/still/d.png",
    ]
    err = ok(
        convcli("apply", "in/**/[a-d].png", "-k", "shift", "-d", "out", "--name", "{parent}-{stem}{ext}", cwd=tmp_path)
    )
    assert err.strip().splitlines()[-1] == "4 images: 4 written"
    assert files_in(tmp_path / "out") == {"in-a.png", "in-b.png", "in-c.png", "still-d.png"}
    failed(convcli("blur", "in/*.tif", "-d", "out", cwd=tmp_path), 2, "no file matches 'in/*.tif'")
    failed(convcli("blur", "-", "in/a.png", cwd=tmp_path), 2, "'-' (stdin) holds one image")


def test_name_templates_choose_names_formats_and_subdirectories(folder, tmp_path):
    ok(
        convcli(
            "apply",
            "in/a.png",
            "in/b.png",
            "-k",
            "emboss",
            "--correlate",
            "-d",
            "out",
            "--name",
            "{filter}/{stem}{ext}",
            "--format",
            "tif",
            cwd=tmp_path,
        )
    )
    assert files_in(tmp_path / "out" / "emboss.correlate") == {"a.tif", "b.tif"}
    with Image.open(tmp_path / "out" / "emboss.correlate" / "a.tif") as written:
        assert written.format == "TIFF"
    # Without --out-dir, --name names the output beside each input.
    ok(convcli("blur", "in/a.png", "in/b.png", "--name", "{stem}_soft.jpg", cwd=tmp_path))
    assert {"a_soft.jpg", "b_soft.jpg"} <= files_in(folder)
    failed(convcli("blur", "in/a.png", "--name", "{stem}{size}", cwd=tmp_path), 2, "unknown field {size}")
    failed(convcli("blur", "in/a.png", "in/b.png", "--name", "same.png", cwd=tmp_path), 2, "{stem} or {name}")


def test_outputs_that_would_collide_are_refused_before_anything_is_written(tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        save(np.zeros((4, 4), np.uint8), tmp_path / folder / "photo.png")
    failed(
        convcli("blur", "x/photo.png", "y/photo.png", "-d", "out", cwd=tmp_path),
        2,
        "x/photo.png and y/photo.png would both be written to out/photo.blur.png",
        "{dir}",
    )
    assert not (tmp_path / "out").exists()


def test_output_options_that_cannot_go_together_are_usage_errors(folder, tmp_path):
    failed(
        convcli("blur", "in/a.png", "in/b.png", "-o", "one.png", cwd=tmp_path), 2, "-o names one output", "--out-dir"
    )
    failed(convcli("blur", "in/a.png", "-o", "one.png", "-d", "out", cwd=tmp_path), 2, "-o names the output itself")
    failed(convcli("blur", "in/a.png", "-d", "out", "--force", "--skip-existing", cwd=tmp_path), 2, "choose one")
    failed(convcli("blur", "in/a.png", "in/b.png", "--jobs", "0", cwd=tmp_path), 2, "--jobs")
    assert files_in(tmp_path) == {"in"}


def test_existing_outputs_are_refused_skipped_or_replaced_never_silently(folder, tmp_path):
    run = ("blur", "in/a.png", "in/b.png", "-d", "out")
    ok(convcli(*run, cwd=tmp_path))
    save(np.full((2, 2), 7, np.uint8), tmp_path / "out" / "a.blur.png")  # a file of the user's, not ours
    refused = convcli(*run, cwd=tmp_path)
    assert refused.returncode == 1
    assert "error: out/a.blur.png: exists; use --force to replace it" in refused.stderr.decode()
    assert stderr_lines(refused)[-1] == "2 images: 0 written, 2 failed"
    assert pixels(tmp_path / "out" / "a.blur.png").shape == (2, 2)

    (tmp_path / "out" / "b.blur.png").unlink()
    resumed = ok(convcli(*run, "--skip-existing", cwd=tmp_path))
    assert "skipped in/a.png: out/a.blur.png exists" in resumed
    assert resumed.strip().splitlines()[-1] == "2 images: 1 written, 1 skipped (output exists)"
    assert pixels(tmp_path / "out" / "a.blur.png").shape == (2, 2)

    ok(convcli(*run, "--force", cwd=tmp_path))
    assert pixels(tmp_path / "out" / "a.blur.png").shape == (24, 32, 3)


def test_dry_run_lists_the_batch_and_makes_nothing(folder, tmp_path):
    (tmp_path / "out").mkdir()
    save(np.zeros((2, 2), np.uint8), tmp_path / "out" / "b.blur.png")
    result = convcli("blur", "in/[ab].png", "in/gone.png", "-d", "out", "--dry-run", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == b""
    assert result.stdout.decode().splitlines() == [
        "in/a.png -> out/a.blur.png",
        "in/b.png -> out/b.blur.png (exists: would be refused without --force)",
        "in/gone.png -> out/gone.blur.png (no such file)",
    ]
    skipping = convcli("blur", "in/[ab].png", "-d", "out", "--dry-run", "--skip-existing", cwd=tmp_path)
    assert skipping.returncode == 0
    assert "in/b.png -> out/b.blur.png (exists: would be skipped)" in skipping.stdout.decode()
    fresh = convcli("blur", "in/a.png", "in/b.png", "-d", "new/dir", "--dry-run", cwd=tmp_path)
    assert fresh.returncode == 0 and not (tmp_path / "new").exists()
    assert files_in(tmp_path / "out") == {"b.blur.png"}


def test_quiet_prints_errors_only(folder, tmp_path):
    quiet = convcli("blur", "in/a.png", "in/b.png", "-d", "out", "-q", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == b"" and quiet.stdout == b""
    failing = convcli("blur", "in/a.png", "in/cut.png", "-d", "out2", "-q", cwd=tmp_path)
    assert failing.returncode == 1
    assert [line.split(":")[0] for line in stderr_lines(failing)] == ["error", "2 images"]


def test_a_single_image_goes_to_stdout_in_a_pipe_and_beside_the_input_at_a_terminal(folder, tmp_path):
    piped = convcli("blur", "in/a.png", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stdout.startswith(b"\x89PNG")
    assert piped.stderr.decode().strip() == (
        "wrote the result to stdout (no -o given, and stdout is a pipe or a file named for its format)"
    )
    assert "a.blur.png" not in files_in(folder)
    at_a_terminal = convcli("blur", "in/a.png", cwd=tmp_path, terminal=True)
    assert at_a_terminal.returncode == 0 and at_a_terminal.stdout == b""
    assert at_a_terminal.stderr.decode().strip() == "wrote in/a.blur.png"
    with Image.open(tmp_path / "in" / "a.blur.png") as written:
        np.testing.assert_array_equal(np.asarray(written), pixels_of(piped.stdout))
    # Several images in a pipe still go to files: stdout holds one image.
    ok(convcli("blur", "in/b.png", "in/c.png", cwd=tmp_path))
    assert {"b.blur.png", "c.blur.png"} <= files_in(folder)


def pixels_of(data: bytes) -> np.ndarray:
    import io

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def test_the_progress_bar_is_drawn_on_a_terminal_only(folder, tmp_path):
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "convcli", "blur", "in/[abc].png", "-d", "out"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the terminal's other end is closed: the process has left
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0 and process.stdout.read() == b""
    assert "━".encode() in drawn and b"3/3" in drawn  # the bar, and how far it got
    assert drawn.rstrip().endswith(b"3 images: 3 written")
    logged = ok(convcli("blur", "in/[abc].png", "-d", "out2", cwd=tmp_path)).splitlines()
    assert sorted(logged[:-1]) == [f"wrote out2/{n}.blur.png" for n in "abc"]  # in the order they finish
    assert logged[-1] == "3 images: 3 written"


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> Path:
    """Eight noisy photos, slow enough to write that a batch of them can be interrupted."""
    folder = tmp_path_factory.mktemp("noisy")
    rng = np.random.default_rng(11)
    for number in range(8):
        Image.fromarray(rng.integers(0, 256, (900, 1200, 3), dtype=np.uint8)).save(
            folder / f"n{number}.png", compress_level=1
        )
    return folder


def start_batch(noisy: Path, out: Path, *options: str) -> subprocess.Popen:
    """A batch in a session of its own, so that the test can see whether any of its processes remain."""
    return subprocess.Popen(
        [sys.executable, "-m", "convcli", "blur", str(noisy / "n*.png"), "--sigma", "3", "-d", str(out), *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def assert_only_whole_images(out: Path) -> set[str]:
    names = files_in(out)
    assert not [name for name in names if name.startswith(".") or name.endswith(".tmp")], names
    for name in names:
        with Image.open(out / name) as image:
            image.load()  # a half-written PNG would fail here
    return names


def no_process_left(process: subprocess.Popen) -> bool:
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("name, code, message", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
@pytest.mark.parametrize("to", ["convcli", "its process group"])
def test_an_interrupted_batch_leaves_whole_images_only(name, code, message, to, noisy, tmp_path):
    out = tmp_path / "out"
    process = start_batch(noisy, out, "--jobs", "2")
    # Mid-batch: once one image is written and the next ones are being written.
    wait_for(
        lambda: out.is_dir() and any(n.endswith(".blur.png") for n in os.listdir(out)) and _writing(process.pid, out)
    )
    if to == "convcli":
        process.send_signal(getattr(signal, name))
    else:  # as Ctrl-C at a terminal does: every process of the foreground group gets it
        os.killpg(process.pid, getattr(signal, name))
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err.decode()
    lines = err.decode().strip().splitlines()
    assert "Traceback" not in err.decode() and lines[-1] == f"error: {message}"
    assert lines[-2].startswith("8 images: ") and "not done (stopped)" in lines[-2]
    written = assert_only_whole_images(out)
    assert 1 <= len(written) < 8
    wait_for(lambda: no_process_left(process), seconds=10)


def test_a_worker_that_dies_fails_its_image_and_the_batch_goes_on(noisy, tmp_path):
    out = tmp_path / "out"
    process = start_batch(noisy, out, "--jobs", "2")
    wait_for(lambda: _writing(process.pid, out))  # a worker has its temporary file open
    os.kill(_writing(process.pid, out)[0], signal.SIGKILL)  # as the kernel's out-of-memory killer would
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    text = err.decode()
    assert "the worker process filtering it died (killed by signal 9, perhaps for lack of memory)" in text
    assert text.strip().splitlines()[-1] == "8 images: 7 written, 1 failed"
    assert len(assert_only_whole_images(out)) == 7


def _writing(pid: int, folder: Path) -> list[int]:
    """The worker processes of `pid` that have a temporary output file open in `folder`."""
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        children = [int(child) for child in listing.read().split()]
    pattern = re.escape(os.path.realpath(folder)) + r"/(#[0-9]+ \(deleted\)|[^/]*\.tmp)"
    writing = []
    for child in children:
        try:
            opened = [os.readlink(f"/proc/{child}/fd/{fd}") for fd in os.listdir(f"/proc/{child}/fd")]
        except OSError:  # it left meanwhile
            continue
        # An unnamed (O_TMPFILE) file shows as FOLDER/#INODE (deleted); a named one ends in .tmp.
        # (The reading catches a codec's stderr in an unnamed file too, but in /tmp.)
        if any(re.fullmatch(pattern, path) for path in opened):
            writing.append(child)
    return writing


def test_a_batch_of_sample_photos_matches_single_runs(tmp_path):
    photos = [SAMPLES / "camera.png", SAMPLES / "chelsea.png"]
    ok(convcli("apply", *photos, "-k", "emboss", "-d", "out", "-j", "2", cwd=tmp_path))
    for photo in photos:
        ok(convcli("apply", photo, "-k", "emboss", "-o", f"{photo.stem}.png", cwd=tmp_path))
        np.testing.assert_array_equal(
            pixels(tmp_path / "out" / f"{photo.stem}.emboss.png"), pixels(tmp_path / f"{photo.stem}.png")
        )


def test_an_unforeseen_error_fails_its_image_only(tmp_path):
    """An exception convcli does not expect (a decoder's bug on one odd file) is that image's failure."""
    from dataclasses import dataclass

    from convcli.cli import batch
    from convcli.cli.options import OutputOptions
    from convcli.imaging.settings import FilterSettings
    from convcli.imaging.transforms import Filter

    @dataclass(frozen=True)
    class Exploding(Filter):
        def planned(self, shape, dtype, finite, cval):
            raise RuntimeError("a codec's bug")

    source = save(np.zeros((4, 4), np.uint8), tmp_path / "odd.png")
    job = batch.Job(Exploding(), FilterSettings(tag="odd", alpha="ignore"), OutputOptions())
    outcome = batch._attempt(job, (source, tmp_path / "out.png"))
    assert outcome.status == "failed" and outcome.code == 1
    assert outcome.error == f"{source}: unexpected RuntimeError: a codec's bug"
    assert files_in(tmp_path) == {"odd.png"}


def test_one_image_takes_the_batch_options_too(folder, red_square, tmp_path):
    ok(convcli("blur", "in/a.png", "-d", "new/out", cwd=tmp_path))  # the directory is made
    assert files_in(tmp_path / "new" / "out") == {"a.blur.png"}
    again = convcli("blur", "in/a.png", "-d", "new/out", "--skip-existing", cwd=tmp_path)
    assert again.returncode == 0 and again.stderr.decode().strip() == "skipped in/a.png: new/out/a.blur.png exists"
    warned = convcli("blur", red_square, "-o", "flat.jpg", cwd=tmp_path)
    assert warned.returncode == 0 and "warning:" in warned.stderr.decode()  # JPEG drops the alpha
    quiet = convcli("blur", red_square, "-o", "flat2.jpg", "-q", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == b""


def test_outputs_that_would_be_read_or_mislabelled_are_refused_before_anything_is_done(folder, tmp_path):
    save(np.zeros((4, 4), np.uint8), folder / "a.blur.png")
    failed(
        convcli("blur", "in/a.png", "in/a.blur.png", "--force", cwd=tmp_path),
        2,
        "in/a.blur.png is an input, and the output of in/a.png too",
    )
    failed(
        convcli("blur", "in/a.png", "in/b.png", "-d", "out", "--format", "png", "--name", "{stem}.jpg", cwd=tmp_path),
        2,
        "its extension says JPEG, --format says PNG",
    )
    failed(
        convcli("blur", "in/a.png", "in/b.png", "-d", "out", "--name", "{stem}", cwd=tmp_path),
        2,
        "out/a: has no extension",
    )
    failed(
        convcli("blur", "-d", "out", cwd=tmp_path, stdin=(folder / "a.png").read_bytes()),
        2,
        "stdin's image has no name",
    )
    for template in ("../{stem}{ext}", "/tmp/{stem}{ext}"):
        failed(convcli("blur", "in/a.png", "--name", template, cwd=tmp_path), 2, "no leading / and no ..")
    assert files_in(tmp_path) == {"in"}


def test_dir_mirrors_the_input_folders(tmp_path):
    for folder in ("shots/2023", "shots/2024"):
        (tmp_path / folder).mkdir(parents=True)
        save(np.zeros((4, 4), np.uint8), tmp_path / folder / "cat.png")
    failed(
        convcli("blur", "shots/**/*.png", "-d", "out", cwd=tmp_path),
        2,
        "would both be written to out/cat.blur.png",
        "{dir}",
    )
    ok(convcli("blur", "shots/**/*.png", "-d", "out", "--name", "{dir}/{stem}{ext}", cwd=tmp_path))
    assert files_in(tmp_path / "out" / "shots" / "2023") == files_in(tmp_path / "out" / "shots" / "2024") == {"cat.png"}
    elsewhere = tmp_path / "shots" / "2023"
    failed(
        convcli("blur", tmp_path / "shots/2024/cat.png", "-d", "out2", "--name", "{dir}/{stem}{ext}", cwd=elsewhere),
        2,
        "{dir} is for inputs below the current folder",
    )


def test_dry_run_foresees_an_unwritable_folder(folder, tmp_path, permissions_apply):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    result = convcli("blur", "in/a.png", "-d", "locked", "--dry-run", cwd=tmp_path, **permissions_apply)
    assert result.returncode == 1
    assert result.stdout.decode() == "in/a.png -> locked/a.blur.png (directory 'locked' is not writable)\n"


def test_verbose_lines_of_a_batch_name_their_image_and_one_image_is_one(folder, tmp_path):
    err = ok(convcli("blur", "in/[ab].png", "-d", "out", "-v", cwd=tmp_path))
    notes = [line for line in err.splitlines() if "took" in line]
    assert sorted(line.split(": ")[0] for line in notes) == ["in/a.png", "in/b.png"]
    assert ok(convcli("blur", "in/[a].png", "-d", "out2", cwd=tmp_path)).splitlines()[-1] == "1 image: 1 written"


def test_a_worker_stopped_twice_while_writing_still_removes_its_file_and_says_no_traceback(noisy, tmp_path):
    """A worker gets its process group's SIGTERM and then its parent's: the second must not cut
    short the first's cleaning up, nor escape as a traceback."""
    out = tmp_path / "out"
    process = start_batch(noisy, out, "--jobs", "2")
    wait_for(lambda: _writing(process.pid, out))
    writer = _writing(process.pid, out)[0]
    os.kill(writer, signal.SIGTERM)
    time.sleep(0.002)  # the first is being answered: its file removed, the worker leaving
    with contextlib.suppress(ProcessLookupError):  # on a loaded machine it may have left already
        os.kill(writer, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    text = err.decode()
    assert "Traceback" not in text, text
    assert "the worker process filtering it died (exit code 143)" in text
    assert text.strip().splitlines()[-1] == "8 images: 7 written, 1 failed"
    assert len(assert_only_whole_images(out)) == 7


def test_sigterm_is_answered_once_and_then_ignored():
    from convcli.errors import Terminated, raise_terminated

    before = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        with pytest.raises(Terminated):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises here, in the main thread
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
