"""The command line's traps for file names that start with '-', caught before Click parses it.

Click reads ``convcli blur -dash.png`` as ``-d ash.png`` (a short option with its value
attached), silently; and after ``--`` it reads everything as a name, ``-o`` too. Both are
refused here, with the fix, when a file shows which was meant.
"""

from __future__ import annotations

import functools
import os

from ..errors import UsageError


def check_arguments(args: list[str]) -> list[str]:
    """`args`, unchanged, unless one names an existing file that Click would read as short
    options (``-dash.png``: ``-d ash.png``), or one after ``--`` is an option that names no
    file (``-- photo.png -o out.png``): then a UsageError saying how to write it (exit 2).

    >>> check_arguments(["blur", "photo.png", "-o", "out.png"])
    ['blur', 'photo.png', '-o', 'out.png']
    """
    end = args.index("--") if "--" in args else len(args)
    for index, arg in enumerate(args[:end]):
        if _clustered(arg) and os.path.lexists(arg) and not _is_value(args, index):
            raise UsageError(
                f"{arg}: read as {_reading(arg)}; to name the file {arg}, put -- before it "
                f"(options first: convcli COMMAND [OPTIONS] -- {arg}), or write ./{arg}"
            )
    for arg in args[end + 1 :]:
        if arg.startswith("-") and arg != "-" and arg.split("=", 1)[0] in _options() and not os.path.lexists(arg):
            raise UsageError(
                f"{arg}: after --, every argument is a file name; put the options before -- "
                f"(convcli COMMAND [OPTIONS] -- FILE...)"
            )
    return args


def _clustered(arg: str) -> bool:
    """Short options run together, or one with its value attached: -qv, -dash.png."""
    return len(arg) > 2 and arg[0] == "-" and arg[1] != "-"


def _is_value(args: list[str], index: int) -> bool:
    """Whether args[index] is the value of the option before it (``-o -dash.png``)."""
    return index > 0 and _options().get(args[index - 1]) is True


def _reading(arg: str) -> str:
    """How Click reads a cluster: flags one by one, until one that takes the rest as its value."""
    options = _options()
    parts = []
    for position, letter in enumerate(arg[1:], start=1):
        parts.append(f"-{letter}")
        if options.get(f"-{letter}") is True:
            parts.append(arg[position + 1 :])
            break
    return " ".join(parts)


@functools.cache
def _options() -> dict[str, bool]:
    """Every option name of every command, and whether it takes a value: from the app itself,
    built only when an argument looks like a trap."""

    import typer

    from . import commands
    from .app import app

    commands.load_all()

    names: dict[str, bool] = {}
    pending = [typer.main.get_command(app)]
    while pending:
        command = pending.pop()
        pending.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            if param.param_type_name == "option":
                for name in (*param.opts, *param.secondary_opts):
                    names[name] = names.get(name, False) or not (param.is_flag or param.count)
    return names
