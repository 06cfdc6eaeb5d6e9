"""Requested text on stdout: a console sized for wide tables, and numbers written for reading."""

from __future__ import annotations

import shutil
import sys
from fractions import Fraction

from rich.console import Console


def stdout(columns: int = 80) -> Console:
    """stdout for requested text: wide enough for the tables, uncoloured when redirected."""
    width = max(columns, shutil.get_terminal_size((80, 24)).columns)
    return Console(file=sys.stdout, width=width, highlight=False, soft_wrap=False, emoji=False)  # :x: is a name


def number(value: float) -> str:
    """Whole numbers as such, simple fractions as 1/16, others to 4 significant digits.

    >>> number(-0.0), number(0.0625), number(0.1234567)
    ('0', '1/16', '0.1235')
    """
    if float(value).is_integer():
        return f"{value + 0.0:.0f}"  # + 0.0: no "-0"
    fraction = Fraction(float(value)).limit_denominator(1000)
    if abs(float(fraction) - value) < 1e-12 * max(1.0, abs(value)):
        return str(fraction)
    return f"{value:.4g}"
