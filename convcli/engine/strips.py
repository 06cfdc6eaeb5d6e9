"""Run a filter over horizontal strips of the output, each with the input rows it needs,
spread over a thread pool. NumPy's ufuncs and FFTs release the GIL, so threads run in parallel;
strips small enough for the cache keep every pass over a strip out of main memory.

An interrupt stops the threads too: signals reach only the main thread, which waits here, so
when its waiting is cut short (Ctrl-C, SIGTERM) it sets the run's cancellation flag, which the
threads check between strips and the filters between their passes (:func:`cancellation`)."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable

# How many bytes one strip's working set may take. On one thread a strip that stays well
# inside a core's L2 (2 MiB on the machine measured) is fastest. On several threads each
# ufunc call must also be long enough to pay for handing the GIL over, so strips are
# twice as large. benchmarks/README.md has the sweep.
CACHE_BYTES = 1 << 20
CACHE_BYTES_THREADED = 2 << 20

# The main thread waits for the strips in slices of this many seconds, so that a signal's
# exception is raised promptly wherever waiting on a lock is not interruptible (Windows).
_WAIT_SLICE = 0.1
# After an interrupt, how long the main thread waits for the threads to see the flag and
# leave, before it lets the interrupt go on regardless: a check comes every few milliseconds.
_CANCEL_GRACE = 2.0

# A filter of one strip: ``apply(band, out=...)`` fills `out` from the input rows in `band`.
StripFilter = Callable[..., object]


class Cancelled(Exception):
    """Raised inside a strip filter whose run was cancelled: the rest of the strip is not wanted."""


def available_cores() -> int:
    """The cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def rows_for_cache(row_bytes: int, buffers: int, threads: int = 1, halo: int = 0) -> int:
    """How many output rows fit `buffers` row-sized arrays in one strip's byte budget (at least one).

    A strip reads `halo` input rows beyond its own, so it is made at least that tall, as far as
    one row-sized array of that height fits the budget: in strips of 5 rows, a Gaussian of
    sigma 2 read 21 input rows for each 5 and ran 1.3x slower than in strips of 16 (taller
    ones gained nothing more).

    >>> rows_for_cache(48_000, 3), rows_for_cache(48_000, 3, threads=2), rows_for_cache(48_000, 4, halo=16)
    (7, 14, 16)
    """
    budget = CACHE_BYTES if threads <= 1 else CACHE_BYTES_THREADED
    return max(1, budget // max(1, buffers * row_bytes), min(halo, budget // max(1, row_bytes)))


class _Current(threading.local):
    """The cancellation flag of the run this thread is working for; a flag never set on a
    thread working for none (the main thread filtering alone, which a signal stops itself)."""

    cancelled = threading.Event()


_current = _Current()


def cancellation() -> threading.Event:
    """The flag a strip filter checks between its passes: once set, it raises :class:`Cancelled`.
    Fetched once per strip, it costs one ``is_set()`` per check.

    >>> cancellation().is_set()
    False
    """
    return _current.cancelled


def run(work: Callable[[int, int], None], height: int, rows: int, threads: int) -> None:
    """Call ``work(r0, r1)`` for consecutive strips of `rows` of the `height` output rows, on up
    to `threads` threads: top to bottom on one, each helper taking the next strip not yet taken
    on several. The first exception raised in any strip propagates, and the other strips are
    abandoned. An exception in the waiting main thread (KeyboardInterrupt) stops the threads
    before it propagates.
    """
    starts = range(0, height, rows)

    def strip(r0: int) -> None:
        work(r0, min(r0 + rows, height))

    if threads <= 1 or len(starts) == 1:
        for r0 in starts:
            strip(r0)
        return
    _Strips(strip, starts, helpers=min(threads, len(starts))).run()


class _Strips:
    """One run's strips, taken one at a time by the helper threads that drain them."""

    def __init__(self, work: Callable[[int], None], starts: range, helpers: int):
        self._work = work
        self._starts = iter(starts)
        self._lock = threading.Lock()
        self.cancelled = threading.Event()
        self._error: BaseException | None = None
        self._helpers = helpers
        self._active = 0  # helpers inside drain() now
        self._left = 0  # helpers that have finished
        self._finished = threading.Event()  # set by the last helper to leave

    def run(self) -> None:
        """Start the helpers, wait for them to leave, then raise the first strip's failure, if any."""
        try:
            _POOL.start(self.drain, self._helpers)
            while not self._finished.wait(_WAIT_SLICE):
                pass
        except BaseException:  # Ctrl-C or SIGTERM here: the helpers stop at their next check
            self.cancelled.set()
            self._wait_for_active_helpers()
            raise
        if self._error is not None:
            raise self._error

    def _wait_for_active_helpers(self) -> None:
        """Up to _CANCEL_GRACE seconds for the helpers at work to leave, so that a caller who
        goes on (a Python session) finds the cores free and `out` no longer written to. Those
        not started yet (an interrupt while they were being queued) will leave at once."""
        deadline = time.monotonic() + _CANCEL_GRACE
        while self._active and time.monotonic() < deadline:
            time.sleep(0.001)

    def drain(self) -> None:
        """A helper's share: strips until none is left or the run is cancelled."""
        with self._lock:
            self._active += 1
        _current.cancelled = self.cancelled
        try:
            while (r0 := self._next()) is not None:
                self._work(r0)
        except Cancelled:
            pass
        except BaseException as exc:  # the first failure is the run's; the other helpers stop
            with self._lock:
                self._error = self._error or exc
            self.cancelled.set()
        finally:
            del _current.cancelled
            self._leave()

    def _next(self) -> int | None:
        with self._lock:
            return None if self.cancelled.is_set() else next(self._starts, None)

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1
            self._left += 1
            if self._left == self._helpers:
                self._finished.set()


class _Pool:
    """Threads kept for the process, as starting threads for every call costs more than
    filtering a small image. Daemon threads, unlike concurrent.futures' own: those are joined
    when the interpreter exits, which after Ctrl-C waited for the strips under way to finish
    (53 s with an 801x801 kernel), and a second Ctrl-C there printed a traceback."""

    def __init__(self):
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, task: Callable[[], None], copies: int) -> None:
        """Queue `copies` calls of `task`, and see that the pool has as many threads to run
        them side by side (another run's calls may be ahead of them)."""
        with self._lock:
            while len(self._threads) < copies:
                thread = threading.Thread(target=self._serve, name=f"convcli-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)
        for _ in range(copies):
            self._tasks.put(task)

    def _serve(self) -> None:
        while True:
            self._tasks.get()()

    def _forget(self) -> None:
        """In a forked child: the parent's threads do not exist there."""
        self.__init__()


_POOL = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL._forget)
