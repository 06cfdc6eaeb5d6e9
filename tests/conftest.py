"""Fixtures of the CLI tests: small generated images, and file permissions that hold for root."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from processes import save


def _drop_permission_override() -> None:
    """In the child before exec: give up root's power to ignore file permissions
    (CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH leave the bounding set, so exec cannot regain them)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # 24 = PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def permissions_apply() -> dict:
    """Options for `convcli` under which file permissions apply, even when the tests run as root."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return {}
    options = {"preexec_fn": _drop_permission_override}
    try:
        subprocess.run([sys.executable, "-c", ""], check=True, **options)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("running as root and cannot drop the capability to ignore file permissions")
    return options


@pytest.fixture
def dot(tmp_path) -> Path:
    """A black 7x9 grey image with one bright pixel at row 3, column 4."""
    image = np.zeros((7, 9), np.uint8)
    image[3, 4] = 200
    return save(image, tmp_path / "dot.png")


@pytest.fixture
def step(tmp_path) -> Path:
    """Dark on the left, bright from column 4: an edge that brightens to the right."""
    image = np.zeros((6, 8), np.uint8)
    image[:, 4:] = 100
    return save(image, tmp_path / "step.png")


@pytest.fixture
def red_square(tmp_path) -> Path:
    """An opaque red square on a transparent background whose hidden colour is black."""
    image = np.zeros((24, 24, 4), np.uint8)
    image[8:16, 8:16] = (255, 0, 0, 255)
    return save(image, tmp_path / "square.png")
