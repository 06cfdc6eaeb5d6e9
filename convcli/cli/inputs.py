"""The IMAGE arguments as files: stdin, names, and patterns convcli expands itself."""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError


@dataclass(frozen=True)
class Inputs:
    """The images to filter, in order, each once; `batch` when they came from several
    arguments or a pattern, so that each result goes to a file of its own."""

    sources: list[Path]
    batch: bool


def one_image(argument: Path | None) -> Path:
    """IMAGE, or stdin ("-") when none is given and something is piped in."""
    from ..imaging.files import STREAM

    if argument is not None:
        return argument
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no IMAGE given, and nothing is piped to stdin")
    return STREAM


def expand(arguments: list[Path] | None) -> Inputs:
    """The files IMAGE arguments name. A pattern (``'*.png'``, ``'shots/**/*.jpg'``) that
    names no file itself is expanded, as a shell would, for lists too long for a command
    line; one that matches nothing is a usage error, as in zsh or bash's failglob. With no
    argument, stdin is the image when something is piped in."""
    if not arguments:
        return Inputs([one_image(None)], batch=False)
    from ..imaging.files import is_stream

    if any(is_stream(argument) for argument in arguments) and len(arguments) > 1:
        raise UsageError("'-' (stdin) holds one image: give it alone, or give files")
    sources, seen, patterns = [], set(), False
    for argument in arguments:
        matches = [argument]
        if not _exists(argument) and glob.has_magic(str(argument)):
            patterns = True
            matches = _matches(argument)
            if not matches:
                raise UsageError(f"no file matches {str(argument)!r}")
        for source in matches:
            key = os.path.realpath(source)
            if key not in seen:  # a file named twice (a name and a pattern) is filtered once
                seen.add(key)
                sources.append(source)
    return Inputs(sources, batch=len(arguments) > 1 or patterns)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a folder on the path refuses entry: a file, whose reading will say so
        return True


def _matches(pattern: Path) -> list[Path]:
    """The files `pattern` matches, sorted. As in zsh and bash's globstar, `**` goes through
    subfolders but not through links to folders (glob.glob follows them, and a link to a parent
    loops until the path is too long), and names that start with a dot match only a pattern
    that does."""
    parts = pattern.parts
    fixed = next(index for index, part in enumerate(parts) if glob.has_magic(part))
    base = Path(*parts[:fixed]) if fixed else Path()
    dotted = any(part.startswith(".") for part in parts[fixed:])
    found = []
    for path in base.glob(str(Path(*parts[fixed:]))):
        hidden = any(part.startswith(".") for part in path.relative_to(base).parts)
        if (dotted or not hidden) and not path.is_dir():
            found.append(path)
    return sorted(found)
