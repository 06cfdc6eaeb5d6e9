"""What the inspecting commands print: the table of named kernels, and one kernel's matrix,
sum, rank and flip."""

from __future__ import annotations

import inspect

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from ..imaging.naming import kernel_title
from ..kernels import KERNELS, Kernel
from ..kernels.properties import properties
from ..kernels.spec import canonical_name
from ..kernels.text import echoed
from ..wording import counted
from .app import printable
from .options import prepared_kernel
from .output import number, stdout


def print_kernel_list() -> None:
    """The named kernels, with their parameters and what each does."""
    table = Table("name", "parameters (defaults)", "what it does", box=box.SIMPLE_HEAD)
    for entry in KERNELS.values():
        parameters = inspect.signature(entry.make).parameters.values()
        table.add_row(entry.name, ", ".join(f"{p.name}={p.default:g}" for p in parameters) or "-", entry.summary)
    stdout(110).print(table)


def print_kernel(kernel: str, params: list[str], rotate: int, origin: str | None, normalize: bool) -> None:
    """A kernel (`params` are a named kernel's, as words) turned, anchored and normalised as the
    options say: its matrix, sum, rank, and whether the flip matters, with the flipped matrix."""
    if params:
        if canonical_name(kernel.partition(":")[0]) not in KERNELS:
            words = echoed(" ".join(params))
            raise UsageError(f"parameters ({words}) are for named kernels only, not {echoed(kernel)}")
        kernel = f"{kernel}{',' if ':' in kernel else ':'}{','.join(params)}"
    resolved = prepared_kernel(kernel, rotate, origin, normalize)
    facts = properties(resolved.matrix, resolved.centre)
    height, width = resolved.matrix.shape
    shown, note = _window(resolved.matrix, resolved.centre)
    out = stdout(sum(max(len(number(v)) for v in column) + 5 for column in shown.T) + 10)
    if resolved.anchor_note:  # the source's own rule: an ImageMagick string's origin
        where = f" ({resolved.anchor_note})"
    elif resolved.anchor is None:
        where = " (the centre)" if height % 2 and width % 2 else " (the default: width // 2, height // 2)"
    else:
        where = ""
    out.print(  # the name holds a file's, and the kind may quote its first line
        printable(
            f"{kernel_title(resolved)}: {counted(height, 'row')} x {counted(width, 'column')}, {resolved.kind}; "
            f"origin at {_cell(resolved.centre)}{where}"
        ),
        soft_wrap=True,
        markup=False,
    )
    zeros = KERNELS[resolved.label].zeros if resolved.kind == "a named kernel" else ""
    if zeros and not resolved.matrix.all():  # motion:length=1 is one cell, and nothing to explain
        out.print(f"Why the zeros: {zeros}.", soft_wrap=True, markup=False)
    if note:
        out.print(note, soft_wrap=True, markup=False)
    out.print(_matrix(shown, _shifted(resolved.centre, resolved.matrix)))
    for line in _facts(resolved, facts):
        out.print(line, soft_wrap=True, markup=False)
    if not facts.same_both_ways:
        flipped, _ = _window(facts.flipped, facts.flipped_anchor)
        out.print(_matrix(flipped, _shifted(facts.flipped_anchor, facts.flipped)))


# Larger kernels are shown by their middle: a 801x801 Gaussian would print megabytes.
_SHOWN = 15


def _window(matrix: np.ndarray, anchor: tuple[int, int]) -> tuple[np.ndarray, str]:
    """The matrix, or its middle _SHOWN x _SHOWN cells around the anchor with a note saying so."""
    if max(matrix.shape) <= _SHOWN:
        return matrix, ""
    top, left = (_start(a, n) for a, n in zip(anchor, matrix.shape, strict=True))
    window = matrix[top : top + _SHOWN, left : left + _SHOWN]
    return window, (
        f"(too large to print whole: rows {top}-{top + window.shape[0] - 1} and columns "
        f"{left}-{left + window.shape[1] - 1} around the origin)"
    )


def _start(anchor: int, size: int) -> int:
    return min(max(anchor - _SHOWN // 2, 0), max(size - _SHOWN, 0))


def _shifted(anchor: tuple[int, int], matrix: np.ndarray) -> tuple[int, int]:
    """The anchor's place in :func:`_window`'s cells."""
    if max(matrix.shape) <= _SHOWN:
        return anchor
    return tuple(a - _start(a, n) for a, n in zip(anchor, matrix.shape, strict=True))


def _facts(kernel: Kernel, facts) -> list[str]:
    gain = facts.total * kernel.scale  # what a flat area is multiplied by, the file's scale included
    total = number(facts.total) + (f", times the file's scale {number(kernel.scale)}" if kernel.scale != 1 else "")
    size = float(np.abs(kernel.matrix).sum()) * abs(kernel.scale)
    if not kernel.matrix.any():
        return [f"every weight is 0: every result is {number(kernel.offset)}, whatever the image"]
    if abs(gain - 1) < 1e-9:
        meaning = "flat areas keep their brightness"
    elif abs(gain) <= 1e-3 * size:
        meaning = "flat areas become 0, or nearly: it responds to change (edges, derivatives)"
    else:
        meaning = f"flat areas are multiplied by {number(gain)}; --normalize makes that 1"
    lines = [f"sum {total}: {meaning}"]
    if kernel.offset != 0:
        lines.append(f"the kernel file adds {number(kernel.offset)} to every result")
    if facts.factors is not None:
        column, row = (", ".join(number(v) for v in factor) for factor in facts.factors)
        lines.append(
            f"rank 1: separable, the outer product of column [{column}] and row [{row}], so it runs as two 1-D passes"
        )
    else:
        lines.append(
            f"rank {facts.rank}: not separable"
            + (f"; it runs as {facts.rank} separable passes or one 2-D pass" if facts.rank > 1 else "")
        )
    if facts.same_both_ways:
        lines.append(
            "every weight equals the one opposite it across the origin, so convolution and "
            "correlation give the same result for this kernel"
        )
    elif facts.flip_symmetric:
        lines.append(
            "it equals its 180-degree rotation, but its origin is not at its centre: convolution "
            "moves the origin to its mirror, so the two results differ by a shift. "
            f"Convolution applies it with its origin at {_cell(facts.flipped_anchor)}:"
        )
    else:
        lines.append(
            "they differ: convolution applies this kernel rotated 180 degrees (correlation, as CNNs "
            f"compute, applies it as written). Convolution uses this flipped kernel, its origin at "
            f"{_cell(facts.flipped_anchor)}:"
        )
    return lines


def _cell(anchor: tuple[int, int]) -> str:
    """A kernel cell given as (row, column), worded x first, as --origin takes it."""
    return f"x={anchor[1]}, y={anchor[0]}"


def _matrix(matrix: np.ndarray, anchor: tuple[int, int]) -> Table:
    """The matrix as an aligned table; the origin cell in brackets."""
    table = Table(show_header=False, box=box.SQUARE, padding=(0, 1))
    for _ in range(matrix.shape[1]):
        table.add_column(justify="right")
    for r, row in enumerate(matrix):
        table.add_row(*(Text(f"[{number(v)}]" if (r, c) == tuple(anchor) else number(v)) for c, v in enumerate(row)))
    return table
