"""Interrupts: SIGINT and SIGTERM stop convcli cleanly, with no partial output and no temp file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from processes import files_in


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
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    if moment == "writing":  # wait until the temporary output exists, then interrupt its writing
        while not any(n.endswith(".tmp") for n in files_in(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert any(n.endswith(".tmp") for n in files_in(tmp_path)), "the write never started"
    else:
        time.sleep(0.6)  # past start-up: reading or filtering
    process.send_signal(getattr(signal, name))
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err.decode()
    assert out == b"" and err.decode().strip() == f"error: {message}"
    assert files_in(tmp_path) == set()  # neither the output nor a temporary file
