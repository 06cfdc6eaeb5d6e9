"""No clobbering, really: a file that appears while convcli works is kept, two writers of one
output do not both win, a killed run leaves nothing, and what a run made for a failed image goes."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from processes import files_in

from convcli.cli import main
from convcli.imaging import writing

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see a write start")


def run(args: list[str], capsys, stream: str = "err") -> tuple[int, list[str]]:
    """convcli's main() in this process: its exit code and the lines of its stderr (or stdout)."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        code = main([str(arg) for arg in args])
    finally:
        signal.signal(signal.SIGTERM, handler)
    return code, getattr(capsys.readouterr(), stream).strip().splitlines()


@pytest.fixture
def photo(tmp_path, monkeypatch) -> Path:
    """A tiny image in the current folder, the test's own."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(5).integers(0, 256, (6, 7), dtype=np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A noisy image whose PNG takes long enough to write that a test can act while it is written."""
    path = tmp_path_factory.mktemp("big") / "big.png"
    noise = np.random.default_rng(13).integers(0, 256, (1200, 1200, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path, compress_level=1)
    return path


def appears_while_encoding(monkeypatch, make) -> None:
    """Call `make()` once, when the image has been encoded into the temporary file and before it
    takes its place: what a user or another program does while convcli works. (Pillow also saves
    into memory, to learn what a format holds: those saves are not the output's.)"""
    save = Image.Image.save

    def saving(self, fp, *args, **kwargs):
        save(self, fp, *args, **kwargs)
        if isinstance(fp, (io.BufferedWriter, io.BufferedRandom)) and not getattr(saving, "done", False):
            saving.done = True
            make()

    monkeypatch.setattr(Image.Image, "save", saving)


def one_error(lines: list[str], *fragments: str) -> str:
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines
    assert not re.search(r"\.tmp|/proc|#[0-9]", lines[0]), lines  # never the temporary file
    return lines[0]


# --- a file that appears during the run ----------------------------------------------------------


@pytest.mark.parametrize("what", ["a file", "a symbolic link to a file", "a dangling link", "a looping link"])
def test_what_appears_at_the_destination_during_the_run_is_kept(what, photo, tmp_path, capsys, monkeypatch):
    victim = tmp_path / "victim.png"
    (tmp_path / "data.txt").write_text("user data")

    def make():
        if what == "a file":
            victim.write_text("user data")
        else:
            links = {
                "a symbolic link to a file": "data.txt",
                "a dangling link": "nowhere",
                "a looping link": "victim.png",
            }
            os.symlink(links[what], victim)

    appears_while_encoding(monkeypatch, make)
    code, lines = run(["blur", photo, "-o", "victim.png"], capsys)
    assert code == 1
    one_error(lines, "victim.png", "appeared while convcli was working", "--force")
    if what == "a file":
        assert victim.read_text() == "user data"
    else:
        assert victim.is_symlink() and os.readlink(victim) in ("data.txt", "nowhere", "victim.png")
    assert (tmp_path / "data.txt").read_text() == "user data"
    assert files_in(tmp_path) == {"photo.png", "victim.png", "data.txt"}  # and no temporary file


def test_what_appears_just_before_the_final_link_is_kept(photo, tmp_path, capsys, monkeypatch):
    """The last moment: between the image's writing and the link(2) that puts it in place."""
    victim = tmp_path / "victim.png"
    link = os.link

    def late(source, destination, **kwargs):
        if destination == "victim.png" and not victim.exists():
            victim.write_text("user data")
        return link(source, destination, **kwargs)

    monkeypatch.setattr(os, "link", late)
    code, lines = run(["blur", photo, "-o", "victim.png"], capsys)
    assert code == 1
    one_error(lines, "victim.png: appeared while convcli was working")
    assert victim.read_text() == "user data"
    assert files_in(tmp_path) == {"photo.png", "victim.png"}


def test_an_array_output_is_not_clobbered_either(photo, tmp_path, capsys, monkeypatch):
    save = np.save  # .npy is not written by Pillow

    def saving(stream, array, **kwargs):
        save(stream, array, **kwargs)
        (tmp_path / "out.npy").write_text("user data")

    monkeypatch.setattr(np, "save", saving)
    code, lines = run(["blur", photo, "-o", "out.npy"], capsys)
    assert code == 1
    one_error(lines, "out.npy: appeared")
    assert (tmp_path / "out.npy").read_text() == "user data"


def start(*args, cwd: Path, python: list[str] | None = None) -> subprocess.Popen:
    command = python or [sys.executable, "-m", "convcli"]
    return subprocess.Popen(
        [*command, *map(str, args)], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def open_temporaries(pid: int, folder: Path) -> list[str]:
    """The temporary outputs the process has open in `folder`: unnamed (O_TMPFILE) ones, which
    /proc shows as `FOLDER/#INODE (deleted)`, and named ones, whose names end in .tmp. (Others,
    elsewhere, are not the output: the reading catches a codec's stderr in one in /tmp.)"""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:  # it closed a file, or left, meanwhile
        return []
    pattern = re.escape(os.path.realpath(folder)) + r"/(#[0-9]+ \(deleted\)|[^/]*\.tmp)"
    return [link for link in links if re.fullmatch(pattern, link)]


def stopped_while_writing(process: subprocess.Popen, folder: Path) -> None:
    """Wait until `process` writes its output into a temporary file in `folder`, and stop it there (SIGSTOP)."""
    deadline = time.monotonic() + 60
    while not open_temporaries(process.pid, folder):
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, "the write never started"
        time.sleep(0.002)
    process.send_signal(signal.SIGSTOP)


def test_the_issues_race_a_file_written_meanwhile_is_kept(big, tmp_path):
    """`convcli blur big.png -o victim.png &`, then `echo "user data" > victim.png` while it works."""
    process = start("blur", big, "--sigma", "1", "-o", "victim.png", cwd=tmp_path)
    stopped_while_writing(process, tmp_path)
    (tmp_path / "victim.png").write_text("user data\n")
    process.send_signal(signal.SIGCONT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err.decode()
    one_error(err.decode().strip().splitlines(), "victim.png: appeared while convcli was working")
    assert (tmp_path / "victim.png").read_text() == "user data\n"
    assert files_in(tmp_path) == {"victim.png"}


def test_of_two_writers_of_one_output_one_wins_and_the_other_fails(big, tmp_path):
    first = start("blur", big, "--sigma", "1", "-o", "out.png", cwd=tmp_path)
    stopped_while_writing(first, tmp_path)  # it has passed its check that out.png is free, and not yet written it
    second = start("blur", big, "--sigma", "1", "-o", "out.png", cwd=tmp_path)
    stopped_while_writing(second, tmp_path)  # the same: both would now write out.png
    for process in (first, second):
        process.send_signal(signal.SIGCONT)
    errors = [process.communicate(timeout=60)[1].decode() for process in (first, second)]
    assert sorted([first.returncode, second.returncode]) == [0, 1], errors
    loser = errors[[first.returncode, second.returncode].index(1)]
    one_error(loser.strip().splitlines(), "out.png: appeared while convcli was working")
    with Image.open(tmp_path / "out.png") as image:
        assert image.size == (1200, 1200)
        image.load()  # whole: a torn PNG fails here
    assert files_in(tmp_path) == {"out.png"}


# --- --force ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named temporary"])
def test_force_still_replaces_atomically(unnamed, photo, tmp_path, capsys, monkeypatch):
    """The old file is replaced by a rename, never rewritten in place: a reader holding it keeps
    its old content whole, a hard link to it too, and its permissions are kept."""
    if not unnamed:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    victim = tmp_path / "victim.png"
    victim.write_text("old")
    victim.chmod(0o640)
    os.link(victim, tmp_path / "other-name")
    appears_while_encoding(monkeypatch, lambda: None)
    with open(victim) as reader:
        code, lines = run(["blur", photo, "-o", "victim.png", "--force"], capsys)
        assert code == 0, lines
        assert reader.read() == "old"
    assert (tmp_path / "other-name").read_text() == "old"
    with Image.open(victim) as image:
        assert image.size == (7, 6)
    assert victim.stat().st_mode & 0o777 == 0o640
    assert files_in(tmp_path) == {"photo.png", "victim.png", "other-name"}


def test_force_replaces_a_file_that_appears_during_the_run(photo, tmp_path, capsys, monkeypatch):
    appears_while_encoding(monkeypatch, lambda: (tmp_path / "out.png").write_text("user data"))
    code, lines = run(["blur", photo, "-o", "out.png", "--force"], capsys)
    assert code == 0, lines
    with Image.open(tmp_path / "out.png") as image:
        assert image.size == (7, 6)
    assert files_in(tmp_path) == {"photo.png", "out.png"}


# --- leftovers -------------------------------------------------------------------------------------


def test_a_run_killed_while_writing_leaves_nothing(big, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    process = start("blur", big, "--sigma", "1", "-o", out / "o.png", cwd=tmp_path)
    stopped_while_writing(process, out)
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert files_in(out) == set()


# convcli with the unnamed temporary files of Linux taken away, as on a system without them.
_WITHOUT_O_TMPFILE = [
    sys.executable,
    "-c",
    "import os, sys; del os.O_TMPFILE; from convcli.cli import main; sys.exit(main())",
]


def test_without_unnamed_files_a_later_run_removes_a_killed_runs_temporary_only(big, tmp_path, capsys, monkeypatch):
    process = start("blur", big, "--sigma", "1", "-o", "o.png", cwd=tmp_path, python=_WITHOUT_O_TMPFILE)
    stopped_while_writing(process, tmp_path)
    process.kill()
    process.communicate(timeout=60)
    (left,) = files_in(tmp_path)
    assert re.fullmatch(rf"\.o\.png\.convcli-{process.pid}\.[0-9a-f]{{8}}\.tmp", left), left
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kept = {
            f".o.png.convcli-{alive.pid}.0123abcd.tmp",  # convcli's name, but its writer runs
            ".o.png.a1b2c3.tmp",  # a look-alike of another program's (or of mkstemp's)
            ".o.png.convcli-notapid.0123abcd.tmp",
            ".hidden",
        }
        for name in kept:
            (tmp_path / name).write_text("someone's")
        os.mkdir(tmp_path / ".x.convcli-999999999.0123abcd.tmp")  # a folder is never convcli's
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
        Image.new("L", (3, 3)).save(tmp_path / "small.png")
        monkeypatch.chdir(tmp_path)
        code, lines = run(["blur", "small.png", "-o", "s.png"], capsys)
    finally:
        alive.kill()
        alive.wait()
    assert code == 0, lines
    assert files_in(tmp_path) == kept | {"small.png", "s.png", ".x.convcli-999999999.0123abcd.tmp"}
    assert all((tmp_path / name).read_text() == "someone's" for name in kept)


def test_an_output_that_is_a_symbolic_link_loop_is_refused_without_force(photo, tmp_path, capsys):
    os.symlink("loop.png", tmp_path / "loop.png")
    os.symlink("b.png", tmp_path / "a.png")
    os.symlink("a.png", tmp_path / "b.png")
    for name in ("loop.png", "a.png"):
        code, lines = run(["blur", photo, "-o", name], capsys)
        assert code == 1
        one_error(lines, name, "symbolic link", "--force")
        assert (tmp_path / name).is_symlink()
    code, lines = run(["blur", photo, "-o", "loop.png", "--dry-run"], capsys, "out")
    assert code == 1
    assert lines == [
        f"{photo} -> loop.png (is a symbolic link that leads to no file: would be refused without --force)"
    ]
    code, lines = run(["blur", photo, "-o", "loop.png", "--force"], capsys)
    assert code == 0 and not (tmp_path / "loop.png").is_symlink()


def test_writing_through_a_link_still_writes_the_file_it_points_to(photo, tmp_path, capsys):
    """As `>` does: a dangling link's file is created, an existing one replaced only with --force."""
    (tmp_path / "real").mkdir()
    os.symlink("real/new.png", tmp_path / "new.png")
    assert run(["blur", photo, "-o", "new.png"], capsys)[0] == 0
    assert os.readlink(tmp_path / "new.png") == "real/new.png" and (tmp_path / "real" / "new.png").is_file()
    code, lines = run(["blur", photo, "-o", "new.png"], capsys)
    assert code == 1
    one_error(lines, "new.png: exists")
    assert run(["blur", photo, "-o", "new.png", "--force"], capsys)[0] == 0
    assert (tmp_path / "new.png").is_symlink()
    assert files_in(tmp_path / "real") == {"new.png"}


def test_a_failed_batch_image_leaves_no_folder_made_for_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("good", "bad", "kept"):
        (tmp_path / "in" / folder).mkdir(parents=True)
    Image.new("L", (3, 3)).save(tmp_path / "in" / "good" / "a.png")
    (tmp_path / "in" / "bad" / "b.png").write_bytes(b"not an image")
    (tmp_path / "in" / "kept" / "c.png").write_bytes(b"not an image either")
    (tmp_path / "out" / "in" / "kept").mkdir(parents=True)  # there before the run: it stays
    code, lines = run(["blur", "in/*/*.png", "-d", "out", "--name", "{dir}/{stem}{ext}", "-j", "1"], capsys)
    assert code == 1
    assert lines[-1] == "3 images: 1 written, 2 failed", lines
    assert files_in(tmp_path / "out" / "in") == {"good", "kept"}
    assert files_in(tmp_path / "out" / "in" / "good") == {"a.png"}


def test_a_failed_single_image_leaves_no_out_dir_made_for_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    code, lines = run(["blur", "bad.png", "-d", "new/out"], capsys)
    assert code == 1
    assert files_in(tmp_path) == {"bad.png"}


def test_stale_temporaries_are_listed_for_their_destination_only(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    for name in (f".a.png.convcli-{dead.pid}.0123abcd.tmp", f".b.png.convcli-{dead.pid}.0123abcd.tmp"):
        (tmp_path / name).write_text("")
    os.symlink("/etc/passwd", tmp_path / f".c.png.convcli-{dead.pid}.0123abcd.tmp")  # a link is not convcli's
    assert writing.stale_temporaries(tmp_path, "a.png") == [tmp_path / f".a.png.convcli-{dead.pid}.0123abcd.tmp"]
    assert len(writing.stale_temporaries(tmp_path)) == 2
