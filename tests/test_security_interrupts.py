"""Interrupts stop the work within a second, the engine's threads included: one line, exit 130
or 143, a second signal silent; in a Python session the engine's threads stop too, and the
next call works (issue 13, item 5)."""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
from PIL import Image
from processes import writing_a_temporary

import convcli
from convcli.engine import direct, plan_for, strips

# From the signal to the process's end. The work left takes tens of seconds when the threads
# do not stop; stopping takes a few milliseconds, the rest is the interpreter's exit on a
# loaded machine.
STOPS_WITHIN = 1.5
# A job of about a minute on two threads: 641,601 taps over 512x512x3, fused 128 at a time (einsum).
LONG_FILTER = ("-k", "box:size=801", "--method", "direct", "--threads", "2")


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("interrupts") / "cam.png"
    Image.fromarray(np.random.default_rng(5).integers(0, 256, (512, 512, 3), dtype=np.uint8)).save(path)
    return path


def cpu_seconds(pid: int) -> float:
    """The CPU time `pid` has used, all its threads together (utime + stime)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def stopped(process: subprocess.Popen, *signals: signal.Signals, gap: float = 0.02, group: bool = False):
    """Send `signals` to `process` (or its process group, as Ctrl-C at a terminal does), `gap`
    seconds apart (a second arrives while the first is answered, which takes some 50 ms);
    return its exit code, its stderr, and the seconds from the first to its end."""
    send = (lambda number: os.killpg(process.pid, number)) if group else process.send_signal
    sent = time.monotonic()
    for number, then in enumerate(signals):
        if number:
            time.sleep(gap)
        if process.poll() is None:
            send(then)
    try:
        _, err = process.communicate(timeout=STOPS_WITHIN + 5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"still running {STOPS_WITHIN + 5} s after the signal")
    return process.returncode, err.decode(), time.monotonic() - sent


def start(*args: str, cwd: Path) -> subprocess.Popen:
    """convcli in a session of its own, so that its processes can be signalled as a group."""
    return subprocess.Popen(
        [sys.executable, "-m", "convcli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_filtering(pids, count: int = 1) -> None:
    """Until `count` processes `pids()` have each used a second of CPU time: the start-up and the
    reading take half that, so they are filtering by then, on their threads."""
    wait_until(lambda: len(found := pids()) == count and all(cpu_seconds(pid) > 1.0 for pid in found))


@pytest.mark.parametrize(
    "signals, code, message",
    [
        ((signal.SIGINT,), 130, "interrupted"),
        ((signal.SIGTERM,), 143, "terminated"),
        ((signal.SIGINT, signal.SIGINT), 130, "interrupted"),  # an impatient second Ctrl-C
        ((signal.SIGINT, signal.SIGTERM), 130, "interrupted"),
    ],
)
def test_a_signal_stops_the_filtering_threads_within_a_second(signals, code, message, photo, tmp_path):
    process = start("apply", str(photo), *LONG_FILTER, "-o", "l.png", cwd=tmp_path)
    wait_filtering(lambda: [process.pid])
    returncode, err, seconds = stopped(process, *signals)
    assert returncode == code, err
    assert err.strip() == f"error: {message}", err  # one line, no traceback from threading
    assert seconds < STOPS_WITHIN
    assert os.listdir(tmp_path) == []


def test_ctrl_c_stops_a_batch_whose_workers_filter_on_threads(photo, tmp_path):
    """Ctrl-C reaches the whole process group; the parent stops its workers, which stop their threads."""
    (tmp_path / "in").mkdir()
    for name in "ab":
        (tmp_path / "in" / f"{name}.png").write_bytes(photo.read_bytes())
    process = start("apply", "in/*.png", *LONG_FILTER, "--jobs", "2", "-d", "out", cwd=tmp_path)
    wait_filtering(lambda: children(process.pid), count=2)
    returncode, err, seconds = stopped(process, signal.SIGINT, group=True)
    assert returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-2:] == ["2 images: 0 written, 2 not done (stopped)", "error: interrupted"]
    assert seconds < STOPS_WITHIN
    out = tmp_path / "out"
    assert not out.exists() or os.listdir(out) == []  # nothing written, no temporary file left
    with pytest.raises(ProcessLookupError):  # no worker left behind
        os.killpg(process.pid, 0)


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

    small, weights = rng.random((600, 400, 3)), rng.random((7, 9))
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

    out = np.empty((4, 1001), np.float32)

    def strip(r0, r1):
        calls.append(call := object())
        active.append(call)
        try:
            if len(calls) == 2:
                raise ValueError("strip failed")
            direct.correlate_valid(padded[r0:r1], kernel, out[r0:r1])
        finally:
            active.remove(call)

    began = time.monotonic()
    with pytest.raises(ValueError, match="strip failed"):
        strips.run(strip, 4, rows=1, threads=2)
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


def test_a_signal_stops_a_run_while_one_long_encoder_call_writes_its_webp(tmp_path):
    # Pillow encodes a WebP in one C call of seconds: the run must not wait for it to return.
    noise = np.random.default_rng(4).integers(0, 256, (3500, 3500, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.png", compress_level=0)
    out = tmp_path / "out"
    out.mkdir()
    process = start("apply", str(tmp_path / "noise.png"), "-k", "identity", "-o", "out/o.webp", cwd=tmp_path)
    wait_until(lambda: writing_a_temporary(process.pid, out))
    time.sleep(0.3)  # well inside the encoder's call
    returncode, err, seconds = stopped(process, signal.SIGINT)
    assert returncode == 130 and err.strip() == "error: interrupted", err
    assert seconds < STOPS_WITHIN
    assert os.listdir(out) == []
