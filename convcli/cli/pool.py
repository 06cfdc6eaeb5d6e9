"""Worker processes for a batch, each filtering one image at a time, that stop cleanly: on
SIGTERM a worker abandons its image where it is, and its atomic write removes the temporary file."""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from pathlib import Path
from typing import TypeVar

from ..errors import Terminated, raise_terminated

Task = TypeVar("Task")
Result = TypeVar("Result")

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# How long stopped workers get to leave on their own before they are killed.
_GRACE_SECONDS = 10.0


def _serve(connection, work: Callable) -> None:
    """A worker's life: take a task, send back its result, until told to stop."""
    # Ctrl-C reaches every process on the terminal; the parent alone answers it, by SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, raise_terminated)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked by the parent until now
    try:
        while (task := connection.recv()) is not None:
            connection.send(work(task))
    except (Terminated, EOFError, BrokenPipeError):  # stopped, or the parent is gone
        sys.exit(143)


class _Worker:
    def __init__(self, context, work: Callable):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, work), daemon=True)
        # Until the worker has its own handlers, a signal must not reach it: with the parent's,
        # it would print a traceback.
        blocked = (
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS) if hasattr(signal, "pthread_sigmask") else None
        )
        try:
            self.process.start()
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()
        self.task = None


class Pool:
    """`jobs` processes that run `work(task)` for each task and hand back (task, result) pairs
    as they finish; a task whose worker died gets `died(task, how)` as its result, and another
    worker takes its place. Used as a context manager: leaving it by an exception (Ctrl-C,
    SIGTERM) stops the workers mid-task and waits for them to remove their temporary files;
    `temporary(task)` names the files a task leaves when its worker is killed, which are removed."""

    def __init__(
        self,
        work: Callable[[Task], Result],
        jobs: int,
        died: Callable[[Task, str], Result],
        temporary: Callable[[Task], list[Path]],
    ):
        # fork: a worker starts with convcli already imported. The parent runs no thread that
        # could hold a lock at the fork (the progress bar is refreshed by hand, not by a thread).
        linux_fork = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("fork" if linux_fork else None)
        self._work, self._jobs, self._died, self._temporary = work, jobs, died, temporary
        self._workers: list[_Worker] = []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        for worker in self._workers:
            if kind is not None:
                worker.process.terminate()
                continue
            try:
                worker.connection.send(None)
            except OSError:  # it has left already
                pass
        for worker in self._workers:
            worker.process.join(_GRACE_SECONDS)
            if worker.process.is_alive():  # deep in a computation: it cannot clean up in time
                worker.process.kill()
                worker.process.join()
                if worker.task is not None:
                    self._remove_temporary(worker.task)
            worker.connection.close()

    def _remove_temporary(self, task: Task) -> None:
        for path in self._temporary(task):
            path.unlink(missing_ok=True)

    def run(self, tasks: list[Task], timeout: float | None = None) -> Iterator[tuple[Task | None, Result | None]]:
        """The tasks' results in the order they finish; with a `timeout`, (None, None) whenever
        that long passes without one, so that the caller can refresh a display."""
        queue = iter(tasks)
        while len(self._workers) < min(self._jobs, len(tasks)):
            self._workers.append(_Worker(self._context, self._work))
        for worker in self._workers:
            self._give(worker, queue)
        while busy := [worker for worker in self._workers if worker.task is not None]:
            ready = wait([worker.connection for worker in busy], timeout)
            if not ready:
                yield None, None
            for worker in busy:
                if worker.connection not in ready:
                    continue
                task = worker.task
                try:
                    result = worker.connection.recv()
                except (EOFError, ConnectionResetError):  # it died with the task: what it wrote goes too
                    worker, how = self._replace(worker)
                    self._remove_temporary(task)
                    result = self._died(task, how)
                worker.task = None
                yield task, result
                self._give(worker, queue)

    def _give(self, worker: _Worker, queue: Iterator[Task]) -> None:
        worker.task = next(queue, None)
        if worker.task is None:
            return
        try:
            worker.connection.send(worker.task)
        except OSError:  # it died between two images: the image goes to the worker that replaces it
            task = worker.task
            worker, _ = self._replace(worker)
            worker.task = task
            worker.connection.send(task)

    def _replace(self, dead: _Worker) -> tuple[_Worker, str]:
        """A worker died (killed for its memory, a crash in a codec): a new one, and how."""
        dead.process.join()
        dead.connection.close()
        code = dead.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        if code == -signal.SIGKILL:
            how += ", perhaps for lack of memory"
        worker = _Worker(self._context, self._work)
        self._workers[self._workers.index(dead)] = worker
        return worker, how
