"""Errors a user can cause, each carrying the exit code the CLI should return; and SIGINT and
SIGTERM as exceptions, each answered once."""

import signal


class ConvcliError(Exception):
    """A failure on valid usage: unreadable input, unwritable output, bad file content."""

    exit_code = 1


class Terminated(BaseException):
    """SIGTERM, raised wherever the program is, so that what it was writing is removed on the way out."""


def raise_interrupted(signum, frame) -> None:
    """The CLI's SIGINT handler: KeyboardInterrupt, once. A second Ctrl-C, impatient, must not
    cut short the removal of a half-written file, nor end in a traceback from wherever the
    program is by then (the interpreter's exit, say): it is ignored, as a SIGTERM is then."""
    _stop_answering()
    raise KeyboardInterrupt


def raise_terminated(signum, frame) -> None:
    """The SIGTERM handler: stop as Ctrl-C does, by an exception, once. A second SIGTERM (a
    batch's worker gets its process group's and then its parent's), or a Ctrl-C then, must not
    cut short the removal of a half-written file, nor escape the worker as a traceback."""
    _stop_answering()
    raise Terminated()


def _stop_answering() -> None:
    """Ignore SIGTERM, and SIGINT where convcli's handler has it: the program is stopping already.
    A SIGINT handled by someone else (Python's own, in a session that called the CLI) stays theirs."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signal.getsignal(signal.SIGINT) is raise_interrupted:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class UsageError(ConvcliError):
    """A bad command line: an unknown name, an out-of-range option value."""

    exit_code = 2
