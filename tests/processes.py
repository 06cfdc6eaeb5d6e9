"""Running convcli as a real process and checking what it leaves: the helpers of the CLI tests."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"


def convcli(
    *args, cwd: Path, stdin: bytes | None = None, terminal: bool = False, **popen
) -> subprocess.CompletedProcess:
    """Run `python -m convcli ARGS` in `cwd`, as a user's shell would: with stdout a pipe, or
    with `terminal`, a terminal (where an image is written to a file, not to stdout)."""
    command = [sys.executable, "-m", "convcli", *map(str, args)]
    if not terminal:
        return subprocess.run(
            command, cwd=cwd, input=stdin if stdin is not None else b"", capture_output=True, timeout=60, **popen
        )
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            input=stdin if stdin is not None else b"",
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
            **popen,
        )
        os.set_blocking(leader, False)
        try:
            result.stdout = os.read(leader, 1 << 20)
        except BlockingIOError:  # nothing was written
            result.stdout = b""
    finally:
        os.close(follower)
        os.close(leader)
    return result


def ok(result: subprocess.CompletedProcess) -> str:
    """Assert success with nothing on stdout; return stderr."""
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert result.stdout == b""
    return err


def failed(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """Assert one error line on stderr holding `fragments`, exit `code`, no traceback, empty stdout."""
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert result.stdout == b""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err
    return lines[0]


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def save(array, path: Path) -> Path:
    """Write `array` as an image; uint16 (H, W) becomes 16-bit grey (I;16)."""
    Image.fromarray(np.asarray(array)).save(path)
    return path


def files_in(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def shows(result: subprocess.CompletedProcess) -> str:
    """Assert success with the requested text on stdout and nothing on stderr; return stdout."""
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b"", result.stderr.decode()
    return result.stdout.decode()


def writing_a_temporary(pid: int, folder: Path) -> bool:
    """Whether the process has its temporary output open in `folder`: an unnamed (O_TMPFILE)
    file, which /proc shows as `FOLDER/#INODE (deleted)`, or a named one, `.NAME.*.tmp`."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:  # it left, or closed a file meanwhile
        return False
    pattern = re.escape(os.path.realpath(folder)) + r"/(#[0-9]+ \(deleted\)|[^/]*\.tmp)"
    return any(re.fullmatch(pattern, link) for link in links)


def run_main(*args, cwd: Path | None = None) -> int:
    """convcli's main() in this process, as the console script calls it (in `cwd`), for the tests
    where a real process is not the point; the signal handler main() installs is put back."""
    import signal

    from convcli.cli import main

    handler = signal.getsignal(signal.SIGTERM)
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return main([str(arg) for arg in args])
    finally:
        os.chdir(before)
        signal.signal(signal.SIGTERM, handler)
