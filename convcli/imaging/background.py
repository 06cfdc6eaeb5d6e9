"""Long C calls on a daemon thread, waited for in short slices: a signal is answered only
between two of the main thread's steps, and one call of a codec may hold its thread for
seconds (a whole JPEG decoded by libjpeg-turbo, a whole WebP encoded), so that this way
Ctrl-C and SIGTERM stop the run at once. An interrupted call is left to finish into what is
its own; nothing of it is used."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


def in_background(work: Callable[[], Result], name: str = "convcli-codec") -> Result:
    """What `work()` returns, run on a daemon thread; what it raises is raised here.

    >>> in_background(lambda: 6 * 7)
    42
    """
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # noqa: BLE001 - raised in the waiting thread, below
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value
