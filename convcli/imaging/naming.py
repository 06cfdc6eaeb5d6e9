"""Where a filtered image is written: an output name made from the input's by a template."""

from __future__ import annotations

import os
import string
from pathlib import Path

from ..errors import UsageError
from . import files

DEFAULT_TEMPLATE = "{stem}.{filter}{ext}"
FIELDS = {
    "stem": "the input's name without its extension (photo)",
    "ext": "the output's extension, with its dot: the input's (.png), else --format's, else .png",
    "filter": "what the filter is called (blur, sobel-x, emboss.correlate)",
    "name": "the input's whole name (photo.png)",
    "parent": "the name of the folder that holds the input",
    "dir": "the input's folder as given, below the current one (shots/2024; . for the current one)",
}


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
