"""Errors a user can cause, each carrying the exit code the CLI should return; and SIGTERM as an exception."""

import signal


class ConvcliError(Exception):
    """A failure on valid usage: unreadable input, unwritable output, bad file content."""

    exit_code = 1


class Terminated(BaseException):
    """SIGTERM, raised wherever the program is, so that what it was writing is removed on the way out."""


def raise_terminated(signum, frame) -> None:
    """The SIGTERM handler: stop as Ctrl-C does, by an exception, once. A second SIGTERM (a
    batch's worker gets its process group's and then its parent's) must not cut short the
    removal of a half-written file, nor escape the worker as a traceback."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


class UsageError(ConvcliError):
    """A bad command line: an unknown name, an out-of-range option value."""

    exit_code = 2
