"""Which module declares each command, so that a run imports the one it runs and no other:
`blur` loads neither compare's panels nor explain's sums. Help, and a word that names no
command, load them all, and --help lists them in one order, whichever loaded first."""

from __future__ import annotations

import importlib

from typer.core import TyperGroup

# Each command (for a group, its name) and the module that declares it, in --help's order.
COMMANDS = {
    "blur": "blur_command",
    "sharpen": "sharpen_command",
    "sobel": "sobel_command",
    "apply": "apply_command",
    "compare": "compare_command",
    "explain": "explain_command",
    "kernels": "kernel_commands",
    "kernel": "kernel_commands",
}


def load(args: list[str]) -> None:
    """Declare the command `args` run, or, where they name none, every command. The command is
    the first argument that is not an option, as convcli itself takes flags only (--version,
    --help), never an option's value."""
    name = next((arg for arg in args if not arg.startswith("-")), None)
    modules = [COMMANDS[name]] if name in COMMANDS else dict.fromkeys(COMMANDS.values())
    for module in modules:
        importlib.import_module(f".{module}", __package__)


def load_all() -> None:
    load([])


class Listed(TyperGroup):
    """convcli's group of commands, which --help lists in the order of COMMANDS."""

    def list_commands(self, ctx) -> list[str]:
        order = list(COMMANDS)
        return sorted(super().list_commands(ctx), key=lambda name: order.index(name) if name in order else len(order))
