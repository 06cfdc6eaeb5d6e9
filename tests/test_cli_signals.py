"""Interrupts: SIGINT and SIGTERM stop convcli cleanly, with no partial output and no temp file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from processes import files_in, writing_a_temporary


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    """A large noisy image: writing its PNG takes long enough to be interrupted."""
    path = tmp_path_factory.mktemp("noise") / "noise.png"
    Image.fromarray(np.random.default_rng(13).integers(0, 256, (2500, 2500, 3), dtype=np.uint8)).save(
        path, compress_level=1
    )
    return path


@pytest.mark.parametrize("name, code, message", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
@pytest.mark.parametrize("moment", ["early", "writing"])
def test_a_signal_leaves_no_partial_output(name, code, message, moment, noise, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "convcli", "blur", str(noise), "--sigma", "4", "-o", "out.png"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    if moment == "writing":  # wait until the temporary output is open, then interrupt its writing
        while not writing_a_temporary(process.pid, tmp_path) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert writing_a_temporary(process.pid, tmp_path), "the write never started"
    else:
        time.sleep(0.6)  # past start-up: reading or filtering
    process.send_signal(getattr(signal, name))
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err.decode()
    assert out == b"" and err.decode().strip() == f"error: {message}"
    assert files_in(tmp_path) == set()  # neither the output nor a temporary file


def handles_sigterm(pid: int) -> bool:
    """Whether the process has a handler of its own for SIGTERM: convcli's, installed with its
    SIGINT handler before it loads the command line (the interpreter's own start-up comes before)."""
    with open(f"/proc/{pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:")).split()[1]
    return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_during_start_up_is_one_line_not_a_traceback(name, code, noise, tmp_path):
    """While Typer, rich and the commands load, a signal ends convcli with one line and its exit code."""
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
        process = subprocess.Popen(
            [sys.executable, "-m", "convcli", "blur", str(noise), "-o", "out.png"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while not handles_sigterm(process.pid):
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(getattr(signal, name))
        _, err = process.communicate(timeout=60)
        assert process.returncode == code, err.decode()
        assert err.decode().strip() == f"error: {'interrupted' if code == 130 else 'terminated'}"
        assert files_in(tmp_path) == set()


@pytest.mark.parametrize("name, code, message", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_a_signal_while_a_tiff_streams_leaves_nothing_and_stops_at_once(name, code, message, noise, tmp_path):
    """A TIFF read and written a band at a time: its output is open from the first block on."""
    import tifffile

    source = tmp_path.parent / f"{tmp_path.name}-noise.tif"
    tifffile.imwrite(source, np.asarray(Image.open(noise)), photometric="rgb", rowsperstrip=16, compression="zlib")
    process = subprocess.Popen(
        [sys.executable, "-m", "convcli", "blur", str(source), "--sigma", "4", "-o", "out.tif"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not writing_a_temporary(process.pid, tmp_path) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert writing_a_temporary(process.pid, tmp_path), "the write never started"
    time.sleep(0.1)  # blocks of rows on their way to the file
    process.send_signal(getattr(signal, name))
    sent = time.monotonic()
    out, err = process.communicate(timeout=60)
    assert time.monotonic() - sent < 1.5, "not stopped within a second or so"
    assert process.returncode == code, err.decode()
    assert out == b"" and err.decode().strip() == f"error: {message}"
    assert files_in(tmp_path) == set()
