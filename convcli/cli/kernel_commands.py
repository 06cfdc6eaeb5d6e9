"""The inspecting commands: `convcli kernels` lists the named kernels, `convcli kernel show` explains one."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated

import typer

from .app import app
from .options import AnchorOpt, NormalizeOpt, OriginOpt, RotateOpt, refuse_anchor

kernel_app = typer.Typer(help="Inspect a kernel.")
app.add_typer(kernel_app, name="kernel")


@kernel_app.callback(invoke_without_command=True)
def _kernel_group(context: typer.Context) -> None:
    """Inspect a kernel: convcli kernel show NAME."""
    if context.invoked_subcommand is None:
        # As a bare `convcli`: the help is a usage error's message, so it goes to stderr
        # (Typer's rich help prints itself, on stdout).
        with contextlib.redirect_stdout(sys.stderr):
            text = context.get_help()
        if text:
            typer.echo(text, err=True)
        raise typer.Exit(2)


@app.command("kernels")
def kernels() -> None:
    """List every named kernel with its parameters and what it does. Example: convcli kernels"""
    from .kernel_report import print_kernel_list

    print_kernel_list()


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
        list[str] | None,
        typer.Argument(
            metavar="PARAMS",
            help="A named kernel's parameters, as in 'gaussian sigma=2' (the same as 'gaussian:sigma=2').",
            show_default=False,
        ),
    ] = None,
    rotate: RotateOpt = 0,
    origin: OriginOpt = None,
    normalize: NormalizeOpt = False,
    anchor: AnchorOpt = None,
) -> None:
    """Show a kernel's matrix, sum and rank, and whether convolution and correlation differ for it.
    Examples: convcli kernel show emboss | convcli kernel show gaussian sigma=0.8"""
    refuse_anchor(anchor)
    from .kernel_report import print_kernel

    print_kernel(kernel, params or [], rotate, origin, normalize)
