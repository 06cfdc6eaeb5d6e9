"""The convcli command line: Typer commands that parse options and call the image pipeline.

The modules that declare commands import only Typer, rich and the names in convcli.choices at
their top; NumPy, Pillow and the engine are imported inside the commands that use them, so
that `convcli --help`, and Typer's parsing of any command, load neither.
"""

from . import compare_command, explain_command, filtering, kernel_commands  # noqa: F401 - defining the commands registers them with the app
from .app import app, main

__all__ = ["app", "main"]
