"""Interrupts stop the work within a second, the engine's threads included: in a Python session
the engine's threads stop, and the next call works (issue 13, item 5)."""

from __future__ import annotations

import _thread
import signal
import threading
import time

import numpy as np
import pytest
import scipy.ndimage

import convcli
from convcli.engine import direct, plan_for, strips


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler, as in a session, whatever the test runner's worker has."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def cpu_while_idle(seconds: float) -> float:
    """The CPU time this process uses while its main thread sleeps `seconds`: its other threads'."""
    before = time.process_time()
    time.sleep(seconds)
    return time.process_time() - before


def test_ctrl_c_in_a_session_stops_the_engine_threads_and_the_next_call_works(python_sigint):
    rng = np.random.default_rng(7)
    image, kernel = rng.random((512, 512), dtype=np.float32), rng.random((301, 301))
    assert plan_for(image.shape, kernel, method="direct", threads=2).threads == 2  # some 4 s of work
    timer = threading.Timer(0.3, _thread.interrupt_main)  # Ctrl-C, without the signal's EINTR
    timer.start()
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        convcli.correlate(image, kernel, method="direct", threads=2)
    assert time.monotonic() - began < 0.3 + 1.0
    assert cpu_while_idle(0.5) < 0.1  # the threads were stopped, not left running

    small, weights = rng.random((400, 300, 3)), rng.random((7, 9))
    assert plan_for(small.shape, weights, method="direct", dtype=np.float64, threads=2).threads == 2
    got = convcli.correlate(small, weights, method="direct", dtype=np.float64, threads=2)
    np.testing.assert_allclose(got, scipy.ndimage.correlate(small, weights[:, :, None], mode="reflect"), atol=1e-12)


def test_a_failing_strip_stops_the_strip_running_beside_it():
    """The first failure propagates at once, and the strip another thread is filtering is
    abandoned, not finished behind the caller's back."""
    rng = np.random.default_rng(3)
    kernel = rng.random((1, 400_000))  # a second a strip, in 400,000 short passes
    padded = rng.random((4, 401_000), dtype=np.float32)
    calls, active = [], []

    def apply(band, out):
        calls.append(call := object())
        active.append(call)
        try:
            if len(calls) == 2:
                raise ValueError("strip failed")
            direct.correlate_valid(band, kernel, out)
        finally:
            active.remove(call)

    began = time.monotonic()
    with pytest.raises(ValueError, match="strip failed"):
        strips.run(apply, lambda start, stop: padded[start:stop], np.empty((4, 1001), np.float32), 0, 1, threads=2)
    assert time.monotonic() - began < 0.5
    assert active == []


def test_the_cancellation_flag_is_never_set_outside_a_run():
    """The main thread filtering alone, or a thread of the caller's own, finds a flag that stays clear."""
    assert not strips.cancellation().is_set()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(strips.cancellation().is_set()))
    thread.start()
    thread.join()
    assert seen == [False]
