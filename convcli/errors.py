"""Errors a user can cause, each carrying the exit code the CLI should return."""


class ConvcliError(Exception):
    """A failure on valid usage: unreadable input, unwritable output, bad file content."""

    exit_code = 1


class UsageError(ConvcliError):
    """A bad command line: an unknown name, an out-of-range option value."""

    exit_code = 2
