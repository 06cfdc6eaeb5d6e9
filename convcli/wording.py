"""How messages count things: one rule for plurals, which every layer's messages share."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for exactly one: "1 row", "3 rows", "0 values".

    >>> counted(1, "row"), counted(3, "row"), counted(2, "matrix", "matrices")
    ('1 row', '3 rows', '2 matrices')
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
