"""`convcli explain`: a 1-D convolution step by step, or one pixel of a filtered image, as sums of products."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from rich import box
from rich.table import Table

from ..engine import SIZE_MODES
from ..errors import UsageError
from ..imaging import DEFAULT_MAX_PIXELS, load_planes
from ..imaging.mapping import to_range
from ..kernels import Kernel, parse_kernel_text
from ..kernels.text import KernelSyntaxError
from ..steps import pixel_sums, signal_sums
from .app import app
from .options import (
    AnchorOpt,
    BorderOpt,
    CorrelateOpt,
    CvalOpt,
    KernelOpt,
    MaxPixelsOpt,
    Method,
    NormalizeOpt,
    RotateOpt,
    engine_options,
    prepared_kernel,
)
from .output import number as cell
from .output import stdout

_BAND_NAMES = {"L": ["grey"], "RGB": ["red", "green", "blue"], "CMYK": ["cyan", "magenta", "yellow", "black"]}


@app.command()
def explain(
    image: Annotated[
        Optional[Path],
        typer.Argument(metavar="[IMAGE]", help="An image whose pixel --at to explain. Omit it for --signal.",
                       show_default=False),
    ] = None,
    kernel: KernelOpt = ...,
    signal: Annotated[
        Optional[str],
        typer.Option(help="A 1-D signal to convolve step by step, such as '1 0.5 1 1' (instead of IMAGE).",
                     show_default=False),
    ] = None,
    at: Annotated[
        Optional[str],
        typer.Option(metavar="X,Y", help="The pixel of IMAGE to explain: column x, row y, from 0,0 at the top left.",
                     show_default=False),
    ] = None,
    correlate_: CorrelateOpt = False,
    size: Annotated[
        str, typer.Option(help="For --signal: full (every overlap, the textbook sum), same or valid.")
    ] = "full",
    rotate: RotateOpt = 0,
    anchor: AnchorOpt = None,
    normalize: NormalizeOpt = False,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
) -> None:
    """Show convolution as sums of products: every output of a 1-D signal, or one pixel of an image.
    Examples: convcli explain --signal '1 0.5 1 1' --kernel '1 0.5 0.25'  |
    convcli explain photo.png --at 10,20 --kernel emboss"""
    options = engine_options(border, cval, Method.auto, 1, False)
    if (image is None) == (signal is None):
        raise UsageError("give either IMAGE (with --at) or --signal, not both or neither")
    if signal is not None:
        if at is not None:
            raise UsageError("--at is for an IMAGE; --signal explains every output")
        if size not in SIZE_MODES:
            raise UsageError(f"--size must be one of {', '.join(SIZE_MODES)}, not {size!r}")
        _explain_signal(signal, prepared_kernel(kernel, rotate, anchor, normalize), correlate_, size, options)
    else:
        if at is None:
            raise UsageError("--at X,Y is needed to explain a pixel of an image")
        _explain_pixel(image, _position(at), prepared_kernel(kernel, rotate, anchor, normalize), correlate_,
                       options, max_pixels or None)


def _position(text: str) -> tuple[int, int]:
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise UsageError(f"--at must be 'x,y', two whole numbers from 0, not {text!r}")
    return int(parts[1]), int(parts[0])


def _explain_signal(text: str, kernel: Kernel, correlate: bool, size: str, options) -> None:
    try:
        a = parse_kernel_text(text)
    except KernelSyntaxError as exc:
        raise UsageError(f"--signal: {exc}") from None
    if a.shape[0] != 1 or kernel.matrix.shape[0] != 1:
        raise UsageError("--signal and its --kernel must each be one row of numbers")
    a, b = a[0], kernel.matrix[0]
    try:
        sums = signal_sums(a, b, correlate=correlate, size=size, border=options.border, cval=options.cval)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    m = b.size
    shift = {"full": (0, m - 1), "same": (m // 2, m // 2), "valid": (m - 1, 0)}[size][1 if correlate else 0]
    if correlate:
        index = f"n + k - {shift}" if shift else "n + k"
        lines = [f"Correlation of a = {_list(a)} with b = {_list(b)}, {size} size ({len(sums)} outputs).",
                 f"c[n] = sum over k of a[{index}] b[k]: b slides along a as written, not flipped "
                 "(what a CNN computes and calls convolution)."]
    else:
        index = f"n - k + {shift}" if shift else "n - k"
        lines = [f"Convolution of a = {_list(a)} with b = {_list(b)}, {size} size ({len(sums)} outputs).",
                 f"c[n] = sum over k of a[{index}] b[k]: b is flipped to {_list(b[::-1])} and slides along a."]
    lines.append("Outside a, the values are 0 (the textbook sum)." if size == "full"
                 else f"Outside a, values come from the border mode {options.border}; they are in brackets."
                 if size == "same" else
                 "Only positions where b lies wholly inside a count.")
    lines.append("")
    lines += _slide(a, sums, "b" if correlate else "b flipped", size)
    lines += ["", f"c = {_list([s.total for s in sums])}"]
    stdout().print("\n".join(lines), soft_wrap=True, markup=False)


def _slide(a: np.ndarray, sums, label: str, size: str) -> list[str]:
    """The signal on one row, then the kernel under it at each step, and each step's sum."""
    low = min(0, sums[0].start)
    high = max(a.size, sums[-1].start + sums[0].weights.size)
    shown = {}
    for s in sums:
        for offset, (value, inside) in enumerate(zip(s.values, s.inside)):
            shown[s.start + offset] = _number(value) if inside else "·" if size == "full" else f"({_number(value)})"
    shown.update({i: _number(v) for i, v in enumerate(a)})
    width = max(len(text) for text in [*shown.values(), *(_number(w) for w in sums[0].weights)]) + 2
    name_width = max(len(label), len(f"c[{len(sums) - 1}]")) + 2

    def row(cells: dict[int, str]) -> str:
        return "".join(cells.get(i, "").ljust(width) for i in range(low, high)).rstrip()

    lines = ["a:".ljust(name_width) + row(shown)]
    for n, s in enumerate(sums):
        weights = {s.start + j: _number(w) for j, w in enumerate(s.weights)}
        terms = [(v, w) for v, w, inside in zip(s.values, s.weights, s.inside) if inside or size != "full"]
        products = " + ".join(f"{_number(v)}×{_number(w)}" for v, w in terms) or "0"
        name = (label + ":") if n == 0 else ""
        lines.append(f"{name.ljust(name_width)}{row(weights).ljust((high - low) * width)}   "
                     f"c[{n}] = {products} = {_number(s.total)}")
    return lines


def _explain_pixel(path: Path, at: tuple[int, int], kernel: Kernel, correlate: bool, options, max_pixels) -> None:
    planes = load_planes(path, max_pixels)
    try:
        sums = pixel_sums(planes.colour, kernel.matrix, at, anchor=kernel.anchor, correlate=correlate,
                          border=options.border, cval=options.cval)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    out = stdout(40 * kernel.matrix.shape[1] + 20)
    how = ("correlation: the kernel is laid on the image as written" if correlate
           else "convolution: the kernel is laid on the image rotated 180 degrees")
    out.print(f"{path}, pixel x={at[1]}, y={at[0]}: {how}, border {options.border}.", soft_wrap=True, markup=False)
    names = _BAND_NAMES[planes.bands]
    for name, s in zip(names, sums):
        grid = Table.grid(padding=(0, 3))
        grid.add_row("neighbourhood", "kernel as applied", "products")
        grid.add_row(_table(s.values, s.inside), _table(s.weights), _table(s.products))
        total = s.total
        mapped = total * kernel.scale + kernel.offset
        scaled = f" x {cell(kernel.scale)} + {cell(kernel.offset)} = {_number(mapped)}" if (
            kernel.scale != 1 or kernel.offset != 0) else ""
        pixel = to_range(np.array([mapped]), planes.depth)[0]
        rounding = "" if planes.depth.is_float else f" (rounded half to even, clipped to 0..{planes.depth.high:.0f})"
        out.print(f"\n{name}:")
        out.print(grid)
        out.print(f"sum of products = {_number(total)}{scaled} -> pixel value {_number(pixel)}{rounding}",
                  soft_wrap=True, markup=False)
    if planes.alpha is not None:
        out.print("The image has alpha; these sums are of colour as it is (--alpha ignore). A blur's default, "
                  "--alpha premultiply, weighs colour by opacity first.", soft_wrap=True, markup=False)


def _table(values: np.ndarray, inside: np.ndarray | None = None) -> Table:
    table = Table(show_header=False, box=box.SQUARE, padding=(0, 1))
    for _ in range(values.shape[1]):
        table.add_column(justify="right")
    for r, row in enumerate(values):
        table.add_row(*(f"{v + 0.0:.4g}" if inside is None or inside[r, c] else f"[dim]{v + 0.0:.4g}[/]"
                        for c, v in enumerate(row)))
    return table


def _number(value: float) -> str:
    return f"{float(value) + 0.0:.10g}"


def _list(values) -> str:
    return "[" + ", ".join(_number(v) for v in values) + "]"
