"""The convcli command line: Typer commands that parse options and call the image pipeline.

main() imports the module that declares the command it runs, and no other (see commands.py);
`app` holds the commands loaded so far, every one after commands.load_all(). The modules that
declare commands import only Typer, rich and the names in convcli.choices at their top; NumPy,
Pillow and the engine are imported inside the commands that use them, so that `convcli --help`,
and Typer's parsing of any command, load neither.
"""

from .app import app, main

__all__ = ["app", "main"]
