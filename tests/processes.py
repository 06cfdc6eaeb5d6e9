"""Running convcli as a real process and checking what it leaves: the helpers of the CLI tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"


def convcli(*args, cwd: Path, stdin: bytes | None = None, **popen) -> subprocess.CompletedProcess:
    """Run `python -m convcli ARGS` in `cwd`, as a user's shell would, with no terminal."""
    return subprocess.run(
        [sys.executable, "-m", "convcli", *map(str, args)],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=60,
        **popen,
    )


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
