"""The convcli command line: Typer commands that parse options and call the image pipeline."""

from . import compare_command, explain_command, filtering, kernel_commands  # noqa: F401 - defining the commands registers them with the app
from .app import app, main

__all__ = ["app", "main"]
