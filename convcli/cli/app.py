"""The Typer app, its console on stderr, and main(): every user error ends as one line and an exit code."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import warnings
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..errors import ConvcliError, Terminated, raise_terminated
from . import commands
from .arguments import check_arguments

# emoji=False: rich would print a file named :smile:.png as the emoji, and load its table of them too.
stderr = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)

app = typer.Typer(
    help="Filter images by true convolution (the kernel rotated 180 degrees) or, with "
    "--correlate, by cross-correlation as CNNs compute it.",
    epilog="Examples:  convcli blur photo.png --sigma 3   |   "
    "convcli apply photo.png --kernel emboss --correlate   |   "
    "convcli apply photo.png --kernel '1 2 1; 2 4 2; 1 2 1' --normalize",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=commands.Listed,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Filter images by true convolution or, with --correlate, by correlation."""


def os_error(exc: OSError) -> str:
    """An operating system's refusal as one line naming its file: "photos/a.png: Permission denied"."""
    return f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)


# What a terminal would act on rather than show: C0 controls (newline, ESC), DEL, C1 controls,
# the line and paragraph separators, and the bidirectional overrides that reorder what is read.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe to print in one line: each control character as its Python escape (a
    newline as a backslash and n, ESC as a backslash and x1b), so that a file name cannot
    forge a line of its own or drive the terminal.

    >>> print(printable("a.png\\nerror: b\\x1b[2J"))
    a.png\\nerror: b\\x1b[2J
    """
    return _UNSHOWABLE.sub(lambda match: repr(match.group())[1:-1], text)


def shown(text: str) -> str:
    """`text` as :func:`printable` makes it, its rich markup escaped too: for stderr.print."""
    return escape(printable(text))


def note(message: str) -> None:
    stderr.print(shown(message), style="dim")


def warn(message: str) -> None:
    stderr.print(f"[yellow]warning:[/] {shown(message)}")


def error(message: str) -> None:
    stderr.print(f"[bold red]error:[/] [red]{shown(message)}[/]")


def _one_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning (NumPy's overflow, say) as one warning line, not Python's two with
    the library's source."""
    warn(str(message))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every user error ends as one red line on stderr and exit code 1 or 2;
    an interrupt (SIGINT) or SIGTERM leaves no partial output and exits 130 or 143."""
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, raise_terminated)
    warnings.showwarning = _one_line
    commands.load(args)
    if not args:
        # A bare `convcli` is a usage error: show the help, but on stderr, as stdout is for data.
        with contextlib.redirect_stdout(sys.stderr):
            app(args=["--help"], prog_name="convcli", standalone_mode=False)
        return 2
    try:
        result = app(args=check_arguments(args), prog_name="convcli", standalone_mode=False)
        if result == 130:  # Typer turns KeyboardInterrupt into this exit code, silently
            error("interrupted")
    except ConvcliError as exc:
        error(str(exc))
        return exc.exit_code
    except typer.TyperException as exc:
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "convcli"
        error(f"{exc.format_message()} (see '{command} --help')")
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        error("interrupted")
        return 130
    except Terminated:
        error("terminated")
        return 143
    except MemoryError:
        error("out of memory: the image or kernel is too large")
        return 1
    except OSError as exc:  # where a path cannot even be looked at (a folder on it refuses entry)
        error(os_error(exc))
        return 1
    return result if isinstance(result, int) else 0
