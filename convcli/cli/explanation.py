"""What `convcli explain` prints: a 1-D convolution step by step, or one pixel of an image as
sums of products, with the engine's own border extension."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from ..imaging import load_planes
from ..imaging.files import is_stream
from ..imaging.mapping import to_range
from ..kernels import Kernel, parse_kernel_text
from ..kernels.text import KernelSyntaxError
from ..steps import pixel_sums, signal_sums
from ..wording import counted
from .app import printable
from .options import EngineOptions, ValueMapping
from .output import number as cell
from .output import stdout

_BAND_NAMES = {"L": ["grey"], "RGB": ["red", "green", "blue"], "CMYK": ["cyan", "magenta", "yellow", "black"]}


def explain_signal(text: str, kernel: Kernel, correlate: bool, size: str, options: EngineOptions) -> None:
    """Print every output of `text`, a signal, convolved (or correlated) with a one-row kernel."""
    if not text.strip():
        raise UsageError("--signal is empty: give its numbers, such as '1 0.5 1 1'")
    try:
        a = parse_kernel_text(text)
    except KernelSyntaxError as exc:
        raise UsageError(f"--signal: {exc}") from None
    if a.shape[0] != 1 or kernel.matrix.shape[0] != 1:
        raise UsageError("--signal and its --kernel must each be one row of numbers")
    a, b = a[0], kernel.matrix[0]
    column = kernel.anchor[1] if kernel.anchor is not None else None
    try:
        sums = signal_sums(
            a, b, correlate=correlate, size=size, border=options.border, cval=options.cval, anchor=column
        )
    except ValueError as exc:
        raise UsageError(
            f"--origin applies to --size same only, not {size}" if "anchor" in str(exc) else str(exc)
        ) from None
    m = b.size
    centre = m // 2 if column is None else column
    shift = {"full": (0, m - 1), "same": (centre, centre), "valid": (m - 1, 0)}[size][1 if correlate else 0]
    if correlate:
        index = f"n + k - {shift}" if shift else "n + k"
        lines = [
            f"Correlation of a = {_list(a)} with b = {_list(b)}, {size} size ({counted(len(sums), 'output')}).",
            f"c[n] = sum over k of a[{index}] b[k]: b slides along a as written, not flipped "
            "(what a CNN computes and calls convolution).",
        ]
    else:
        index = f"n - k + {shift}" if shift else "n - k"
        lines = [
            f"Convolution of a = {_list(a)} with b = {_list(b)}, {size} size ({counted(len(sums), 'output')}).",
            f"c[n] = sum over k of a[{index}] b[k]: b is flipped to {_list(b[::-1])} and slides along a.",
        ]
    lines.append(
        "Outside a, the values are 0 (the textbook sum)."
        if size == "full"
        else f"Outside a, values come from the border mode {options.border}; they are in (parentheses)."
        if size == "same"
        else "Only positions where b lies wholly inside a count."
    )
    lines.append("")
    lines += _slide(a, sums, "b" if correlate else "b flipped", size)
    lines += ["", f"c = {_list([s.total for s in sums])}"]
    stdout().print("\n".join(lines), soft_wrap=True, markup=False)


# Beyond these the picture would not fit a screen: a longer signal gets its sums without the
# sliding picture, a longer kernel each sum without its terms, and more steps only the first
# and last few.
_PICTURED_COLUMNS = 24
_TERMS = 9
_STEPS = 40


def _slide(a: np.ndarray, sums, label: str, size: str) -> list[str]:
    """The signal on one row, then the kernel under it at each step, and each step's sum."""
    if len(sums) > _STEPS:
        kept = [*enumerate(sums)][: _STEPS // 2] + [(None, None)] + [*enumerate(sums)][-_STEPS // 2 :]
    else:
        kept = list(enumerate(sums))
    low = min(0, sums[0].start)
    high = max(a.size, sums[-1].start + sums[0].weights.size)
    if high - low > _PICTURED_COLUMNS:
        lines = [f"(a has {a.size} values: the sums alone, without the sliding picture)"]
        return lines + [
            f"c[{n}] = {_terms(s, size)}" if s is not None else f"... ({len(sums) - _STEPS} more)" for n, s in kept
        ]
    high = max(a.size, sums[-1].start + sums[0].weights.size)
    shown = {}
    for s in sums:
        for offset, (value, inside) in enumerate(zip(s.values, s.inside, strict=True)):
            shown[s.start + offset] = _number(value) if inside else "·" if size == "full" else f"({_number(value)})"
    shown.update({i: _number(v) for i, v in enumerate(a)})
    width = max(len(text) for text in [*shown.values(), *(_number(w) for w in sums[0].weights)]) + 2
    name_width = max(len(label), len(f"c[{len(sums) - 1}]")) + 2

    def row(cells: dict[int, str]) -> str:
        return "".join(cells.get(i, "").ljust(width) for i in range(low, high)).rstrip()

    lines = ["a:".ljust(name_width) + row(shown)]
    for n, s in kept:
        if s is None:
            lines.append(f"... ({len(sums) - _STEPS} more)")
            continue
        weights = {s.start + j: _number(w) for j, w in enumerate(s.weights)}
        name = (label + ":") if n == 0 else ""
        lines.append(f"{name.ljust(name_width)}{row(weights).ljust((high - low) * width)}   c[{n}] = {_terms(s, size)}")
    return lines


def _terms(s, size: str) -> str:
    """``(1)×0.25 + 0.5×0.5 = 0.75``: the products that count (full size skips the zeros outside),
    a value from the border mode in parentheses, as in the picture above them."""
    terms = [
        (_number(v) if inside else f"({_number(v)})", _number(w))
        for v, w, inside in zip(s.values, s.weights, s.inside, strict=True)
        if inside or size != "full"
    ]
    if len(terms) > _TERMS:
        return f"the sum of {len(terms)} products = {_number(s.total)}"
    return " + ".join(f"{v}×{w}" for v, w in terms) + f" = {_number(s.total)}" if terms else "0"


# Larger kernels are summed, not tabled: a 101x101 neighbourhood is no longer a picture.
_TABLED = 15


def explain_pixel(
    path: Path,
    at: tuple[int, int],
    kernel: Kernel,
    correlate: bool,
    options: EngineOptions,
    mapping: ValueMapping,
    max_pixels: int | None,
) -> None:
    """Print pixel `at` (row, column) of the image at `path`, filtered, as each channel's sum of products."""
    planes = load_planes(path, max_pixels)
    try:
        sums = pixel_sums(
            planes.colour(),
            kernel.matrix,
            at,
            anchor=kernel.anchor,
            correlate=correlate,
            border=options.border,
            cval=options.cval,
        )
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    top, left = sums[0].start
    here = (at[0] - top, at[1] - left)
    out = stdout(3 * 13 * min(kernel.matrix.shape[1], _TABLED) + 20)
    how = (
        "correlation: the kernel is laid on the image as written"
        if correlate
        else "convolution: the kernel is laid on the image rotated 180 degrees"
    )
    name = "stdin" if is_stream(path) else printable(str(path))
    out.print(
        f"{name}, pixel x={at[1]}, y={at[0]}: {how}, border {options.border}. The neighbourhood starts at "
        f"x={left}, y={top}; [brackets] mark the cell over the pixel, (parentheses) values from the "
        "border mode.",
        soft_wrap=True,
        markup=False,
    )
    tabled = max(kernel.matrix.shape) <= _TABLED
    if not tabled:
        out.print(
            f"The kernel is {kernel.matrix.shape[1]}x{kernel.matrix.shape[0]}: tables are shown up to "
            f"{_TABLED}x{_TABLED}; each sum is over all {kernel.matrix.size} products.",
            soft_wrap=True,
            markup=False,
        )
    for name, s in zip(_BAND_NAMES[planes.bands], sums, strict=True):
        out.print(f"\n{name}:", markup=False)
        if tabled:
            grid = Table.grid(padding=(0, 3))
            grid.add_row("neighbourhood", "kernel as applied", "products")
            grid.add_row(_table(s.values, here, s.inside), _table(s.weights, here), _table(s.products, here))
            out.print(grid)
        out.print(_result(s.total, mapping, planes.depth), soft_wrap=True, markup=False)
    if planes.has_alpha:
        out.print(
            "The image has alpha; these sums are of colour as stored (--alpha ignore). Where the kernel "
            "reaches a transparent pixel, apply's default differs: it weighs colour by opacity (--alpha "
            "premultiply, for kernels without negative weights) or first fills the colour hidden under full "
            "transparency from the visible colour (--alpha keep, for the others).",
            soft_wrap=True,
            markup=False,
        )


def _result(total: float, mapping: ValueMapping, depth) -> str:
    mapped = total * mapping.scale + mapping.offset
    scaled = (
        f" x {cell(mapping.scale)} + {cell(mapping.offset)} = {_number(mapped)}"
        if (mapping.scale != 1 or mapping.offset != 0)
        else ""
    )
    pixel = to_range(np.array([mapped]), depth)[0]
    line = f"sum of products = {_number(total)}{scaled} -> pixel value {_number(pixel)}"
    if depth.is_float:
        return line
    line += f" (rounded half to even, clipped to 0..{depth.high:.0f})"
    if abs(abs(mapped - np.floor(mapped)) - 0.5) < 1e-3:
        line += "; this close to a half, convcli apply, which may compute in float32, can round the other way"
    return line


def _table(values: np.ndarray, here: tuple[int, int], inside: np.ndarray | None = None) -> Table:
    table = Table(show_header=False, box=box.SQUARE, padding=(0, 1))
    for _ in range(values.shape[1]):
        table.add_column(justify="right")
    for r, row in enumerate(values):
        cells = []
        for c, v in enumerate(row):
            text = f"{v + 0.0:.6g}"
            if inside is not None and not inside[r, c]:
                text = f"({text})"
            cells.append(Text(f"[{text}]" if (r, c) == here else text))
        table.add_row(*cells)
    return table


def _number(value: float) -> str:
    return f"{float(value) + 0.0:.10g}"


def _list(values) -> str:
    return "[" + ", ".join(_number(v) for v in values) + "]"
