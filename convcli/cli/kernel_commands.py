"""The inspecting commands: `convcli kernels` lists the named kernels, `convcli kernel show` explains one."""

from __future__ import annotations

import inspect
from typing import Annotated, Optional

import numpy as np
import typer
from rich import box
from rich.table import Table

from ..kernels import KERNELS, Kernel
from ..kernels.properties import properties
from .app import app
from .options import AnchorOpt, NormalizeOpt, RotateOpt, prepared_kernel
from .output import number, stdout

kernel_app = typer.Typer(help="Inspect a kernel.", no_args_is_help=True)
app.add_typer(kernel_app, name="kernel")


@app.command("kernels")
def kernels() -> None:
    """List every named kernel with its parameters and what it does. Example: convcli kernels"""
    table = Table("name", "parameters (defaults)", "what it does", box=box.SIMPLE_HEAD)
    for entry in KERNELS.values():
        parameters = inspect.signature(entry.make).parameters.values()
        table.add_row(entry.name, ", ".join(f"{p.name}={p.default:g}" for p in parameters) or "-", entry.summary)
    stdout(110).print(table)


@kernel_app.command("show")
def show(
    kernel: Annotated[
        str,
        typer.Argument(
            metavar="KERNEL",
            help="A name with optional parameters (sobel-x, gaussian:sigma=1), a kernel file, '-' for stdin, "
            "or inline rows ('1 2 1; 2 4 2; 1 2 1').",
            show_default=False,
        ),
    ],
    params: Annotated[
        Optional[list[str]],
        typer.Argument(metavar="PARAMS", help="A named kernel's parameters, as in 'gaussian sigma=2' "
                       "(the same as 'gaussian:sigma=2').", show_default=False),
    ] = None,
    rotate: RotateOpt = 0,
    anchor: AnchorOpt = None,
    normalize: NormalizeOpt = False,
) -> None:
    """Show a kernel's matrix, sum and rank, and whether convolution and correlation differ for it.
    Examples: convcli kernel show emboss | convcli kernel show gaussian sigma=0.8"""
    if params:
        kernel = f"{kernel}{',' if ':' in kernel else ':'}{','.join(params)}"
    resolved = prepared_kernel(kernel, rotate, anchor, normalize)
    facts = properties(resolved.matrix, resolved.centre)
    height, width = resolved.matrix.shape
    out = stdout(12 * width + 10)
    out.print(f"[bold]{resolved.label}[/]: {height}x{width}, anchor at row {resolved.centre[0]}, "
              f"column {resolved.centre[1]}{' (the centre)' if resolved.anchor is None else ''}", soft_wrap=True)
    out.print(_matrix(resolved.matrix, resolved.centre))
    for line in _facts(resolved, facts):
        out.print(line, soft_wrap=True)
    if not facts.same_both_ways:
        out.print(_matrix(facts.flipped, facts.flipped_anchor))


def _facts(kernel: Kernel, facts) -> list[str]:
    total = number(facts.total)
    if abs(facts.total - 1) < 1e-9:
        meaning = "flat areas keep their brightness (a blur or a sharpen)"
    elif abs(facts.total) < 1e-9:
        meaning = "flat areas become 0: it responds to change (edges, derivatives)"
    else:
        meaning = f"flat areas are multiplied by {total}; --normalize divides the kernel by its sum"
    lines = [f"sum {total}: {meaning}"]
    if facts.factors is not None:
        column, row = (", ".join(number(v) for v in factor) for factor in facts.factors)
        lines.append(f"rank 1: separable, the outer product of column [{column}] and row [{row}], "
                     "so it runs as two 1-D passes")
    else:
        lines.append(f"rank {facts.rank}: not separable" + (f"; it runs as {facts.rank} separable passes "
                                                            "or one 2-D pass" if facts.rank > 1 else ""))
    if kernel.scale != 1 or kernel.offset != 0:
        lines.append(f"the kernel file scales results by {number(kernel.scale)} and adds {number(kernel.offset)}")
    if facts.same_both_ways:
        lines.append("it equals its 180-degree rotation and is anchored at its centre: convolution and "
                     "correlation give the same result for this kernel")
    elif facts.flip_symmetric:
        lines.append("it equals its 180-degree rotation, but its anchor is not the centre, so convolution "
                     "moves the anchor to its mirror and the two results differ by a shift. "
                     f"Convolution applies it anchored at row {facts.flipped_anchor[0]}, "
                     f"column {facts.flipped_anchor[1]}:")
    else:
        lines.append("they differ: convolution applies this kernel rotated 180 degrees (correlation, as CNNs "
                     "compute, applies it as written). Convolution uses this flipped kernel:")
    return lines


def _matrix(matrix: np.ndarray, anchor: tuple[int, int]) -> Table:
    """The matrix as an aligned table; the anchor cell in bold."""
    table = Table(show_header=False, box=box.SQUARE, padding=(0, 1))
    for _ in range(matrix.shape[1]):
        table.add_column(justify="right")
    for r, row in enumerate(matrix):
        table.add_row(*(f"[bold]{number(v)}[/]" if (r, c) == tuple(anchor) else number(v)
                        for c, v in enumerate(row)))
    return table
