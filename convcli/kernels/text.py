"""Kernels written as text: rows of numbers, in a file or inline ("1 2 1; 2 4 2; 1 2 1")."""

from __future__ import annotations

import math
import re

import numpy as np

from ..wording import counted

_SEPARATORS = re.compile(r"[,\s]+")


class KernelSyntaxError(ValueError):
    """A kernel text that cannot be read; the message names the source, line and problem."""


def parse_kernel_text(text: str, source: str | None = None) -> np.ndarray:
    """Parse rows of numbers into a float64 matrix.

    Rows are lines (or ``;``-separated parts); numbers are separated by spaces or commas;
    ``#`` starts a comment; blank rows are skipped; fractions such as ``1/16`` are allowed.
    Errors name the problem and where it is: ``source: line N`` for a file's text, or
    ``row N`` for an inline kernel (`source` None), whose rows are counted across lines and ``;``.

    >>> parse_kernel_text("1 2 1; 2 4 2; 1 2 1  # binomial")
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    prefix = "" if source is None else f"{source}: "
    parts = [
        (line_no, part)
        for line_no, line in enumerate(text.splitlines(), start=1)
        for part in line.split("#", 1)[0].split(";")
    ]
    rows: list[list[float]] = []
    first = ""
    for row_no, (line_no, part) in enumerate(parts, start=1):
        tokens = [t for t in _SEPARATORS.split(part.strip()) if t]
        if not tokens:
            continue
        where = f"row {row_no}" if source is None else f"line {line_no}"
        values = [number(t, f"{prefix}{where}") for t in tokens]
        if rows and len(values) != len(rows[0]):
            raise KernelSyntaxError(
                f"{prefix}{where}: row has {counted(len(values), 'number')}, but the first row ({first}) has "
                f"{len(rows[0])}"
            )
        if not rows:
            first = where
        rows.append(values)
    if not rows:
        raise KernelSyntaxError(f"{prefix}the kernel is empty (no numbers found)")
    return np.array(rows, dtype=np.float64)


# No real weight needs more characters than this (a float64 in full is 24); a longer token is
# refused before it is converted, and Python's int() would refuse one of 4,300 digits anyway.
MAX_NUMBER = 100
# Echoed tokens are cut to this many characters: a rejected 100,000-digit number is one short line.
_ECHOED = 40


def echoed(token: str) -> str:
    """A user's token as a message quotes it: in quotes, its control characters escaped,
    and cut to 40 characters with its length said where it is longer.

    >>> echoed("1x"), echoed("9" * 100_000)
    ("'1x'", "'9999999999999999999999999999999999999999'... (100000 characters)")
    """
    if len(token) <= _ECHOED:
        return repr(token)
    return f"{token[:_ECHOED]!r}... ({len(token)} characters)"


def number(token: str, where: str) -> float:
    """The value of one number token (``0.25``, ``-1e3``, ``1/16``), or KernelSyntaxError
    naming `where` and the token, which must be short and finite."""
    if len(token) > MAX_NUMBER:
        raise KernelSyntaxError(f"{where}: {echoed(token)} is too long for a number (over {MAX_NUMBER} characters)")
    numerator, slash, denominator = token.partition("/")
    try:
        value = float(numerator)
        if slash:
            divisor = float(denominator)
            if divisor == 0:
                raise KernelSyntaxError(f"{where}: {echoed(token)} divides by zero")
            value /= divisor
    except ValueError as exc:
        if isinstance(exc, KernelSyntaxError):
            raise
        raise KernelSyntaxError(f"{where}: {echoed(token)} is not a number") from None
    if not math.isfinite(value):
        raise KernelSyntaxError(f"{where}: {echoed(token)} is not a finite number")
    return value
