"""Where a filtered image is written: an output name made from the input's by a template."""

from __future__ import annotations

import os
import re
import string
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from . import files

if TYPE_CHECKING:
    from ..kernels import Kernel

DEFAULT_TEMPLATE = "{stem}.{filter}{ext}"
FIELDS = {
    "stem": "the input's name without its extension (photo)",
    "ext": "the output's extension, with its dot: the input's (.png), else --format's, else .png",
    "filter": "what the filter is called (blur, sobel-x, emboss.correlate)",
    "name": "the input's whole name (photo.png)",
    "parent": "the name of the folder that holds the input",
    "dir": "the input's folder as given, below the current one (shots/2024; . for the current one)",
}


def kernel_name(kernel: Kernel) -> str:
    """What a kernel's results are called (the {filter} field), a safe file name (letters,
    digits, ``.``, ``-``, ``_``, ``=``) that tells distinct kernels apart. A named kernel: its
    name, the parameters given that differ from their defaults (``-sigma=3``), then what the
    options did (``.rot90``, ``.normalized``, ``.origin-x0-y2``). A kernel given as numbers (inline, a file, stdin): its
    file's stem, or "kernel", and 8 hex digits of a hash of its weights, origin, scale and
    offset, which --rotate, --normalize and --origin change with them.

    >>> from convcli.kernels import named_kernel, resolve_kernel
    >>> kernel_name(named_kernel("gaussian:sigma=3")), kernel_name(named_kernel("shift:dx=-2,dy=1"))
    ('gaussian-sigma=3', 'shift-dx=-2-dy=1')
    >>> kernel_name(named_kernel("sobel-x").rotated(90)), kernel_name(resolve_kernel("1 2 1"))
    ('sobel-x.rot90', 'kernel-4d2eb67d')
    """
    if kernel.kind != "a named kernel":
        stem = Path(kernel.source).stem if kernel.source and kernel.source != "stdin" else "kernel"
        return f"{_safe(stem)}-{_digest(kernel)}"
    name = kernel.label + "".join(f"-{parameter}={_number(value)}" for parameter, value in kernel.parameters)
    if kernel.turns:
        name += f".rot{kernel.turns * 90}"
    if kernel.normalised:
        name += ".normalized"
    if kernel.anchor is not None:
        name += f".origin-x{kernel.anchor[1]}-y{kernel.anchor[0]}"
    return name


def kernel_title(kernel: Kernel) -> str:
    """What messages call a kernel: a named one as its results are named, one given as numbers
    by its file's stem (or "kernel", "stdin"), which says more to its user than a hash."""
    return kernel_name(kernel) if kernel.kind == "a named kernel" else kernel.label


def filter_name(kernel: Kernel, correlate: bool) -> str:
    """The {filter} field of `apply`'s results: the kernel's name, and ``.correlate`` for a correlation.

    >>> from convcli.kernels import named_kernel
    >>> filter_name(named_kernel("emboss"), correlate=True)
    'emboss.correlate'
    """
    return kernel_name(kernel) + (".correlate" if correlate else "")


def _digest(kernel: Kernel) -> str:
    """8 hex digits that stand for the kernel's effect: -0.0 weighs as 0.0, and the default
    origin as the same cell given."""
    import hashlib

    import numpy as np

    matrix = np.ascontiguousarray(kernel.matrix, dtype="<f8") + 0.0
    numbers = (*matrix.shape, *kernel.centre, float(kernel.scale) + 0.0, float(kernel.offset) + 0.0)
    facts = ",".join(repr(float(n)) for n in numbers).encode()
    return hashlib.sha256(facts + matrix.tobytes()).hexdigest()[:8]


def _number(value: float) -> str:
    """A parameter's value in a file name: 2, not 2.0; 1e20 without its '+'."""
    text = str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
    return text.replace("e+", "e")


def _safe(stem: str) -> str:
    """A file's stem with what a file name should not hold (spaces, quotes, colons) made '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip(".-") or "kernel"


def check_template(template: str) -> None:
    """Refuse a template that names no field, names an unknown one, or cannot be filled in.

    >>> try:
    ...     check_template("{stem}-{size}.png")
    ... except UsageError as exc:
    ...     print(exc)
    --name '{stem}-{size}.png': unknown field {size}; the fields are {stem}, {ext}, {filter}, {name}, {parent}, {dir}
    """
    fields = ", ".join(f"{{{field}}}" for field in FIELDS)
    try:
        parsed = [
            (field, spec, conversion)
            for _, field, spec, conversion in string.Formatter().parse(template)
            if field is not None
        ]
    except ValueError as exc:
        raise UsageError(f"--name {template!r}: {exc}; the fields are {fields}") from None
    for field, spec, conversion in parsed:
        if field not in FIELDS:
            raise UsageError(f"--name {template!r}: unknown field {{{field}}}; the fields are {fields}")
        if spec or conversion:
            raise UsageError(f"--name {template!r}: {{{field}}} takes no format or conversion")
    if Path(template).is_absolute() or ".." in Path(template).parts:
        raise UsageError(
            f"--name {template!r}: names are made inside --out-dir, or beside each input: no leading / and no .."
        )
    if not any(field in ("stem", "name") for field, _, _ in parsed):
        raise UsageError(f"--name {template!r}: without {{stem}} or {{name}} every input would get the same name")


def output_name(source: Path, tag: str, template: str = DEFAULT_TEMPLATE, format: str | None = None) -> str:
    """The name `template` gives the result of filtering `source` with the filter `tag`.

    The extension stays the input's when Pillow writes that format; otherwise (``scan``,
    ``scan.v2``, ``icon.xpm``) the whole name is the stem and the result is a PNG. `format`
    (a name such as "jpg") replaces the extension.

    >>> output_name(Path("d/photo.png"), "blur"), output_name(Path("icon.xpm"), "blur")
    ('photo.blur.png', 'icon.xpm.blur.png')
    >>> output_name(Path("IMG.JPG"), "sobel", "{stem}_{filter}{ext}", format="tif")
    'IMG_sobel.tif'
    """
    if files.is_array_file(source) or files.writer_of(source.suffix):
        stem, ext = source.stem, source.suffix
    else:
        stem, ext = source.name, ".png"
    if format:
        ext = files.extension_of(files.format_named(format))
    folder = Path(os.path.abspath(source)).parent
    return template.format(
        stem=stem, ext=ext, filter=tag, name=source.name, parent=folder.name, dir=_below_here(folder, template)
    )


def _below_here(folder: Path, template: str) -> str:
    """The {dir} field: `folder` relative to the current one, which it must lie in."""
    if "{dir}" not in template:
        return ""
    relative = os.path.relpath(folder)
    if relative == ".." or relative.startswith(".." + os.sep):
        raise UsageError(
            f"--name {template!r}: {{dir}} is for inputs below the current folder, and {folder} "
            "is not; cd to a folder above the inputs"
        )
    return relative


def destination_for(
    source: Path,
    output: Path | None,
    tag: str,
    format: str | None = None,
    out_dir: Path | None = None,
    template: str | None = None,
) -> Path:
    """Where filter_file writes: `output`, else stdout ("-") for stdin, else the `template`'s
    name (by default ``<stem>.<tag><ext>``) in `out_dir`, or beside the source.

    >>> destination_for(Path("d/photo.png"), None, "blur", out_dir=Path("out"))
    PosixPath('out/photo.blur.png')
    """
    if output is not None:
        return output
    if files.is_stream(source):
        return files.STREAM
    name = output_name(source, tag, template or DEFAULT_TEMPLATE, format)
    return (out_dir if out_dir is not None else source.parent) / name
