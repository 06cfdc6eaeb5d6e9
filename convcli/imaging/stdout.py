"""Whether image data may go to stdout, and in which format: the one rule every command that
writes an image there goes by.

A pipe takes an image in the format asked for, else the input's; so do a device (/dev/null) and
a socket, when stdout is asked for. A terminal takes none. A regular file is an image file the
shell named (``> soft.jpg``): its extension is the format written, as ``-o soft.jpg`` would
choose it, and ``--format`` must agree; a name that says another format (``run.log``) gets no
image data, nor does a file that holds data already (``>>``, which would append the image to
it). A name without an extension, or one that cannot be learnt (no /proc, an unnamed
file), is written only in a format the command is told. Without ``-o``, a result goes to stdout
only where stdout is a pipe or a file named for an image format; elsewhere beside its input.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConvcliError, UsageError
from . import files

try:
    import fcntl
except ImportError:  # Windows: no append flag to read, and no name but by /proc, which it has not
    fcntl = None

# Names that, opened, are whatever stdout leads to (a regular file too, which an atomic write
# would replace rather than write into): as -o they mean stdout itself.
NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def means_stdout(path: Path | None) -> bool:
    """Whether an output named `path` is stdout: "-", or a name that opens stdout.

    >>> means_stdout(Path("-")), means_stdout(Path("/dev/stdout")), means_stdout(Path("out.png"))
    (True, True, False)
    """
    return path is not None and (files.is_stream(path) or str(path) in NAMES)


@dataclass(frozen=True)
class Stdout:
    """What stdout leads to: its `kind` ("closed", "terminal", "pipe", "file", "other" for a
    device or a socket, "stream" for one with no file descriptor, such as a test's capture);
    for a file, its `name` where it can be learnt, the bytes it `holds` before where writing
    would begin, and whether it is `appending` (``>>``)."""

    kind: str
    name: str | None = None
    holds: int = 0
    appending: bool = False


def where() -> Stdout:
    """What stdout leads to, now."""
    if sys.stdout is None:
        return Stdout("closed")
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return Stdout("stream")
    try:
        status = os.fstat(fd)
    except OSError:
        return Stdout("closed")
    if os.isatty(fd):
        return Stdout("terminal")
    if stat.S_ISFIFO(status.st_mode):
        return Stdout("pipe")
    if not stat.S_ISREG(status.st_mode):
        return Stdout("other")
    try:
        at = os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        at = 0
    return Stdout("file", _name(fd, status), max(status.st_size, at), _appending(fd))


def takes_images() -> bool:
    """Whether a result for which no output is named goes to stdout: a pipe, or a file whose
    name says an image format convcli writes (what else it must be is checked as it is
    written, by :func:`check`). Not a terminal, nor /dev/null (a cron job's ``>/dev/null``
    would lose the result), a socket (a service's journal) or a log file."""
    out = where()
    return out.kind == "pipe" or (out.kind == "file" and out.name is not None and _named(Path(out.name)) is not None)


def takes_result_of(source: Path) -> bool:
    """Whether the result of the image file `source`, given no output, goes to stdout: where
    :func:`takes_images`. stdin's image ("-") is left to the caller: its result has nowhere else to go."""
    return not files.is_stream(source) and takes_images()


def check(format: str | None = None, *, default: str | None = None) -> str | None:
    """Refuse to write image data where stdout leads if it must not go there, with one line
    that says why and what to do instead; else the format to write: a file's name's (which
    `format`, ``--format``'s name, must agree with), else `format`'s, else `default` (the
    format the command writes unasked; None: the input's, which the caller knows)."""
    out = where()
    asked = files.format_named(format) if format else None
    if out.kind == "closed":
        raise ConvcliError("stdout is closed: give -o FILE")
    if out.kind == "terminal":
        raise UsageError(
            "stdout is a terminal: give -o FILE, or redirect stdout to a pipe or to a file named for its format"
        )
    if out.kind != "file":
        return asked or default
    fmt = _file_format(out, asked, default)
    if out.holds:
        how = ", appended to with >>" if out.appending else ""
        raise ConvcliError(
            f"stdout is {_shown(out)}, which holds {out.holds:,} bytes already{how}: an image after them "
            "would be no image; redirect with > to an empty file, or give -o FILE"
        )
    return fmt


def _file_format(out: Stdout, asked: str | None, default: str | None) -> str:
    """The format a regular file on stdout is written in, by its name's extension."""
    if out.name is None:
        if asked or default:
            return asked or default
        raise UsageError(
            "stdout is a file whose name convcli cannot learn (an unnamed file, or no /proc): "
            "say its format with --format, or give -o FILE"
        )
    name = Path(out.name)
    if not name.suffix:
        if asked or default:
            return asked or default
        raise UsageError(f"stdout is {_shown(out)}, whose name says no format: give --format, or -o FILE")
    named = _named(name)
    if named is None:
        raise UsageError(
            f"stdout is {_shown(out)}, and {name.suffix!r} names no image format convcli writes: give -o FILE, "
            "or redirect stdout to a file named for its format (.png, .jpg, .tif, .webp, .npy, ...)"
        )
    if asked is not None and asked != named:
        raise UsageError(f"stdout is {_shown(out)}: its extension says {named}, --format says {asked}; choose one")
    return named


def _named(name: Path) -> str | None:
    """The format a file's extension names, as -o takes it; None for one convcli does not write."""
    return files.NPY if files.is_array_file(name) else files.writer_of(name.suffix)


def _name(fd: int, status: os.stat_result) -> str | None:
    """The name of the regular file open as `fd`, where the system says it (/proc on Linux,
    F_GETPATH on macOS) and it still names that file; None for an unnamed or deleted file."""
    try:
        name = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        name = _path_of(fd)
    try:
        return name if name is not None and os.path.samestat(os.stat(name), status) else None
    except OSError:  # deleted: /proc says "NAME (deleted)", which names nothing
        return None


def _path_of(fd: int) -> str | None:
    try:
        path = fcntl.fcntl(fd, fcntl.F_GETPATH, bytes(1024))  # macOS's; elsewhere no such attribute
    except (AttributeError, OSError):
        return None
    return os.fsdecode(path.split(b"\0", 1)[0])


def _appending(fd: int) -> bool:
    try:
        return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)
    except (AttributeError, OSError):
        return False


def _shown(out: Stdout) -> str:
    """A file's name as the user would have typed it: relative, below the current folder."""
    if out.name is None:
        return "an unnamed file"
    relative = os.path.relpath(out.name)
    return out.name if relative == ".." or relative.startswith(".." + os.sep) else relative
