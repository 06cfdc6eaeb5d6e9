"""Turn a --kernel argument (a file, stdin, a named kernel with parameters, or inline text) into a kernel."""

from __future__ import annotations

import inspect
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConvcliError, UsageError
from .named import KERNELS
from .text import MAX_NUMBER, KernelSyntaxError, echoed, parse_kernel_text

if TYPE_CHECKING:
    from .formats import Parsed

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*")
_MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Kernel:
    """A resolved kernel and what its source may say beside the matrix: the anchor (row,
    column, in the array's order; None: the centre), with `anchor_note` saying which rule of
    the source placed it (an ImageMagick string's origin), and the scale and offset for the
    result. `label` is what it is called: a named kernel's name, a file's stem, or "kernel"
    inline; `parameters` are a named kernel's that differ from their defaults, `turns` the
    quarter turns counter-clockwise it was given and `normalised` whether it was divided by its
    sum (imaging.naming makes output names of these). `source` names the file (or stdin) it was
    read from; "" for a named or inline kernel."""

    matrix: np.ndarray
    label: str
    anchor: tuple[int, int] | None = None
    scale: float = 1.0
    offset: float = 0.0
    kind: str = "a named kernel"
    source: str = ""
    anchor_note: str = ""
    parameters: tuple[tuple[str, float], ...] = ()
    turns: int = 0
    normalised: bool = False

    def normalized(self) -> Kernel:
        """The kernel divided by its sum, so that it keeps a flat image's level; a file's scale
        (its divisor) is dropped, as the division replaces it.

        >>> named_kernel("box:2").normalized().matrix.sum()
        np.float64(1.0)
        """
        with np.errstate(over="ignore", invalid="ignore"):
            total, size = self.matrix.sum(), np.abs(self.matrix).sum()
        if not np.isfinite(total):
            # Dividing by an infinite sum would leave every weight 0: an all-black result.
            raise ValueError(f"the kernel's sum overflows ({total}), so it cannot be normalised")
        # 0 up to rounding, relative to the weights' size: 1e-40 + 1e-40 is no zero sum.
        if abs(total) <= 1e-12 * size:
            raise ValueError("the kernel sums to 0, so it cannot be normalised")
        return replace(self, matrix=self.matrix / total, scale=1.0, normalised=True)

    def anchored(self, row: int, column: int) -> Kernel:
        """The kernel with its anchor at (`row`, `column`), counted from 0 at the top left.

        >>> named_kernel("box:2").anchored(0, 1).anchor
        (0, 1)
        """
        height, width = self.matrix.shape
        if not (0 <= row < height and 0 <= column < width):
            raise ValueError(f"x={column}, y={row} lies outside the {width}x{height} kernel{_spans(width, height)}")
        return replace(self, anchor=(row, column), anchor_note="")

    @property
    def centre(self) -> tuple[int, int]:
        """The anchor, or the default one: (height // 2, width // 2)."""
        return self.anchor if self.anchor is not None else (self.matrix.shape[0] // 2, self.matrix.shape[1] // 2)

    def rotated(self, degrees: int) -> Kernel:
        """The kernel turned `degrees` (a multiple of 90) counter-clockwise, its anchor with it.

        >>> named_kernel("sobel-x").rotated(90).matrix
        array([[-1., -2., -1.],
               [ 0.,  0.,  0.],
               [ 1.,  2.,  1.]])
        """
        if degrees % 90:
            raise ValueError(f"rotation must be a multiple of 90 degrees, not {degrees}")
        turns = (degrees // 90) % 4
        if turns == 0:
            return self
        anchor = self.centre  # an even kernel's default anchor turns with it, off the new default
        height, width = self.matrix.shape
        for _ in range(turns):  # rot90 moves (row, column) to (width - 1 - column, row)
            anchor = (width - 1 - anchor[1], anchor[0])
            height, width = width, height
        if self.anchor is None and anchor == (height // 2, width // 2):
            anchor = None
        return replace(
            self,
            matrix=np.rot90(self.matrix, turns).copy(),
            anchor=anchor,
            turns=(self.turns + turns) % 4,
            anchor_note=self.anchor_note and f"{self.anchor_note}; turned with the kernel",
        )


def _spans(width: int, height: int) -> str:
    """Where an origin may lie in a kernel of this size, x first."""
    return f" (x from 0 to {width - 1}, y from 0 to {height - 1})"


def canonical_name(name: str) -> str:
    """Kernel names ignore case and treat '_' as '-': 'Sobel_X' is 'sobel-x'."""
    return name.strip().lower().replace("_", "-")


def named_kernel(spec: str) -> Kernel:
    """Build a named kernel from ``NAME`` or ``NAME:ARGS``; ARGS are comma-separated
    values in the order of the parameters, or ``key=value`` pairs.

    >>> named_kernel("shift:dx=-1").matrix
    array([[1., 0., 0.]])
    """
    name, _, args = spec.partition(":")
    key = canonical_name(name)
    if key not in KERNELS:
        raise UsageError(f"unknown kernel {echoed(name)}{_suggestion(key)}")
    make = KERNELS[key].make
    params = inspect.signature(make).parameters
    kwargs: dict[str, float] = {}
    positional = list(params)
    for index, arg in enumerate(a.strip() for a in args.split(",") if a.strip()):
        pname, eq, text = arg.partition("=")
        if not eq:
            if index >= len(positional):
                raise UsageError(f"kernel {key!r} takes {_describe(params)}, got too many values")
            pname, text = positional[index], arg
        pname = pname.strip().lower().replace("-", "_")  # as kernel names, parameter names ignore case
        if pname not in params:
            raise UsageError(f"kernel {key!r} has no parameter {echoed(pname)}; it takes {_describe(params)}")
        if pname in kwargs:
            raise UsageError(f"kernel {key!r}: {pname} is given twice")
        try:
            if len(text.strip()) > MAX_NUMBER:
                raise ValueError
            kwargs[pname] = float(text)
        except ValueError:
            raise UsageError(f"kernel {key!r}: {pname}={echoed(text.strip())} is not a number") from None
    defaults = {name: parameter.default for name, parameter in params.items()}
    # In the parameters' order, so that `motion:angle=30,length=5` and `motion:5,30` name one kernel.
    changed = tuple((name, kwargs[name]) for name in params if name in kwargs and kwargs[name] != defaults[name])
    try:
        return Kernel(make(**kwargs), key, parameters=changed)
    except ValueError as exc:
        raise UsageError(f"kernel {key!r}: {exc}") from None


def resolve_kernel(spec: str) -> Kernel:
    """Resolve a --kernel argument: ``-`` (the text on stdin), an existing file, else a named
    kernel, else inline text: an ImageMagick string (``"3x3: ..."``), JSON rows, or rows.

    >>> resolve_kernel("1 2 1").matrix
    array([[1., 2., 1.]])
    >>> resolve_kernel("3x1+0+0: 1 2 1").anchor
    (0, 0)
    """
    if spec == "-":
        try:
            return _from_text(_text(sys.stdin.buffer.read(_MAX_FILE_BYTES + 1), "stdin"), "stdin", "stdin")
        except KernelSyntaxError as exc:
            raise ConvcliError(str(exc)) from None
    if len(spec) > _MAX_FILE_BYTES:  # only a caller of the library can pass one: argv holds 128 KiB
        raise UsageError(f"--kernel {echoed(spec)}: too long for an inline kernel (over 1 MiB characters)")
    if os.path.exists(spec):
        return read_kernel_file(Path(spec))
    if _looks_like_path(spec):
        raise ConvcliError(f"{spec}: no such kernel file")
    head = spec.partition(":")[0].strip()
    word = _NAME.match(head)
    if word and not _is_float(word.group(0)):
        if canonical_name(head) in KERNELS:
            return named_kernel(spec)
        hint = _suggestion(canonical_name(head))
        raise UsageError(f"unknown kernel {echoed(spec)}: no such file or kernel name{hint}")
    try:
        return _from_text(spec, "kernel", None)
    except KernelSyntaxError as exc:
        raise UsageError(f"--kernel {echoed(spec)}: {exc}") from None  # a 4002-number row needs no echo


def read_kernel_file(path: Path) -> Kernel:
    """Read a kernel file, by its extension: .npy, .json, .csv, .mat (libvips), or text of
    any of these kinds: rows of numbers, an ImageMagick string, a libvips matrix, JSON.
    Every problem becomes a ConvcliError naming the file."""
    from . import formats  # the file formats load for a kernel file or text only, not for a named kernel

    try:
        # Read to the bound, not to the end: a device or a pipe (-k /dev/zero, -k <(yes)) has no size to check first.
        with open(path, "rb") as source:
            data = source.read(_MAX_FILE_BYTES + 1)
        if len(data) > _MAX_FILE_BYTES:
            raise ConvcliError(f"{path}: too large for a kernel file (over 1 MiB)")
    except IsADirectoryError:
        raise ConvcliError(f"{path}: is a directory, not a kernel file") from None
    except OSError as exc:
        raise ConvcliError(f"{path}: cannot read kernel file ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return _kernel(formats.load_npy(data, str(path)), path.stem, "a NumPy array", str(path))
        text = _text(data, str(path))
        kinds = {
            ".json": (formats.parse_json, "JSON"),
            ".csv": (formats.parse_csv, "CSV"),
            ".mat": (formats.parse_vips, "a libvips matrix"),
        }
        if suffix in kinds:
            parse, kind = kinds[suffix]
            return _kernel(parse(text, str(path)), path.stem, kind, str(path))
        return _from_text(text, path.stem, str(path))
    except KernelSyntaxError as exc:
        raise ConvcliError(str(exc)) from None


def _text(data: bytes, where: str) -> str:
    """A kernel's bytes as text: UTF-8, with or without the byte-order mark Windows editors add."""
    if len(data) > _MAX_FILE_BYTES:
        raise ConvcliError(f"{where}: too large for a kernel (over 1 MiB)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConvcliError(f"{where}: not a text file (a kernel file holds rows of numbers)") from None


def _from_text(text: str, label: str, source: str | None) -> Kernel:
    """Text of any kind, told apart by its shape; `source` names it in errors (None: inline)."""
    from . import formats

    where = source or ""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        return _kernel(formats.parse_json(text, where), label, "JSON", where)
    if formats.looks_like_imagemagick(text):
        return _kernel(formats.parse_imagemagick(text, where), label, "an ImageMagick kernel string", where)
    header = formats.vips_header(text)
    if header is not None:
        kind = (
            f"a libvips matrix (read so because its first line, {' '.join(text.split(chr(10))[0].split())}, "
            "gives the size of the rows that follow)"
        )
        return _kernel(formats.parse_vips(text, where), label, kind, where)
    matrix = parse_kernel_text(text, source)
    formats.check_size(matrix.shape[1], matrix.shape[0], where)
    return Kernel(matrix, label, kind="rows of numbers", source=where)


def _kernel(parsed: Parsed, label: str, kind: str, where: str) -> Kernel:
    """The kernel `parsed` from `where` (a file's path; "" inline), its anchor checked."""
    from . import formats

    shape = parsed.matrix.shape
    if parsed.anchor is not None and not all(0 <= a < n for a, n in zip(parsed.anchor, shape, strict=True)):
        height, width = parsed.matrix.shape
        raise KernelSyntaxError(
            f"{formats.at(where)}origin x={parsed.anchor[1]}, y={parsed.anchor[0]} lies outside the {width}x{height} "
            f"kernel{_spans(width, height)}"
        )
    return Kernel(parsed.matrix, label, parsed.anchor, parsed.scale, parsed.offset, kind, where, parsed.anchor_note)


def _looks_like_path(spec: str) -> bool:
    """A single word with a directory separator or a file extension (`k/edge.txt`,
    `3x3.txt`), that is not a number or fraction such as `1/16`."""
    if re.search(r"[\s,;]", spec) or all(_is_float(part) for part in spec.split("/", 1)):
        return False
    return "/" in spec or os.sep in spec or re.search(r"\.[A-Za-z]\w*$", spec) is not None


def _is_float(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _suggestion(key: str) -> str:
    import difflib  # for a misspelt name only

    close = difflib.get_close_matches(key, list(KERNELS), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (known kernels: {', '.join(KERNELS)})"


def _describe(params) -> str:
    if not params:
        return "no parameters"
    return ", ".join(f"{p.name}={p.default:g}" for p in params.values())
