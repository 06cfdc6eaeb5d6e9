"""The engine in a process forked after it has run on threads (multiprocessing's "fork" start,
the default on Linux before Python 3.14): the parent's pool threads do not exist in the child."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

import convcli

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def test_a_forked_child_filters_on_threads_after_its_parent_did():
    image = np.random.default_rng(0).random((600, 600), dtype=np.float32)
    kernel = np.ones((9, 9), np.float32)
    expected = convcli.convolve(image, kernel, threads=2, method="direct")  # starts the pool's threads
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only with the right answer, never return into pytest
        try:
            result = convcli.convolve(image, kernel, threads=2, method="direct")
            os._exit(0 if np.array_equal(result, expected) else 3)
        finally:
            os._exit(4)
    deadline = time.monotonic() + 20
    while (done := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    if done == (0, 0):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's convolve hung: it waited for the parent's pool threads")
    assert os.waitstatus_to_exitcode(done[1]) == 0
