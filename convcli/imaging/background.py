"""Long C calls on a daemon thread, waited for in short slices: a signal is answered only
between two of the main thread's steps, and one call of a codec may hold its thread for
seconds (a whole JPEG decoded by libjpeg-turbo, a whole WebP encoded by Pillow), so that this
way Ctrl-C and SIGTERM stop the run at once. An interrupted call is left to finish into what
is its own; nothing of it is used."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Result = TypeVar("Result")


class Background(Generic[Result]):
    """`work()` running on a daemon thread, from the moment this is made."""

    def __init__(self, work: Callable[[], Result]):
        self._outcome: list = []

        def run() -> None:
            try:
                self._outcome.append((True, work()))
            except BaseException as exc:  # noqa: BLE001 - raised in the waiting thread, by wait()
                self._outcome.append((False, exc))

        self._thread = threading.Thread(target=run, name="convcli-codec", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait(self) -> Result:
        """Wait for `work` to end; return what it returned, or raise what it raised."""
        while self._thread.is_alive():
            self._thread.join(0.05)
        succeeded, value = self._outcome[0]
        if not succeeded:
            raise value
        return value


def in_background(work: Callable[[], Result]) -> Result:
    """What `work()` returns, run on a daemon thread; what it raises is raised here.

    >>> in_background(lambda: 6 * 7)
    42
    """
    return Background(work).wait()
