"""Kernels in the peers' formats: ImageMagick strings, libvips matrix files, JSON, CSV and .npy.

Each parser returns a :class:`Parsed` kernel, or raises KernelSyntaxError naming where the
problem is. `scale` multiplies the filtered result and `offset` is added after, as GIMP's
divisor (1/scale) and offset do.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
from dataclasses import dataclass

import numpy as np

from ..wording import counted
from .text import MAX_NUMBER, KernelSyntaxError, echoed, number, parse_kernel_text

# Wider or taller kernels than this are refused before any memory is taken for them: a
# header's dimensions must not be trusted (the Gaussian's largest radius, 2000, gives 4001).
MAX_SIDE = 4001
# A JSON kernel is at most an object holding rows holding numbers; deeper nesting is refused
# before json.loads, whose recursion a few thousand brackets would exhaust.
MAX_JSON_DEPTH = 3
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)  # an unterminated one runs to the end
_JSON_BRACKETS = re.compile(r"[^\[\]{}]+")

_IMAGEMAGICK = re.compile(r"^\s*(\d+)(?:x(\d+))?(?:([+-]\d+)([+-]\d+))?\s*:(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    """A kernel matrix with what its format may say beside it: the anchor (row, column) and,
    where the format's own rule placed it, a few words saying which (`anchor_note`), and the
    scale and offset for the result."""

    matrix: np.ndarray
    anchor: tuple[int, int] | None = None
    scale: float = 1.0
    offset: float = 0.0
    anchor_note: str = ""


def looks_like_imagemagick(text: str) -> bool:
    """``WxH[+X+Y]: values`` or ``N: values``, as ImageMagick's -morphology and -convolve take."""
    return _IMAGEMAGICK.match(text) is not None


def parse_imagemagick(text: str, where: str) -> Parsed:
    """An ImageMagick kernel string: ``"3x3: -1,0,1 -2,0,2 -1,0,1"``, ``"3: ..."`` (square),
    with an optional origin ``+X+Y`` (column, row). ``nan`` and ``-`` mark cells outside the
    neighbourhood, which weigh nothing.

    The string means what it means to ImageMagick: without an origin, ImageMagick's is
    ``((width - 1) // 2, (height - 1) // 2)``, which for an even side is one cell before
    convcli's own default (``height // 2, width // 2``). ImageMagick's ``-morphology Convolve``
    is then convcli's convolution at that anchor, and ``-morphology Correlate`` its
    correlation (``-convolve`` correlates too, the kernel normalised first).

    >>> parse_imagemagick("2x1+0+0: 1, -1", "k").anchor
    (0, 0)
    >>> parse_imagemagick("4x2: 1 2 3 4 5 6 7 8", "k").anchor
    (0, 1)
    """
    match = _IMAGEMAGICK.match(text)
    if match is None:
        raise KernelSyntaxError(f"{at(where)}not an ImageMagick kernel (WxH[+X+Y]: values)")
    width = _whole(match.group(1), "width", where)
    height = _whole(match.group(2), "height", where) if match.group(2) else width
    check_size(width, height, where)
    body = match.group(5)
    if ";" in body:
        raise KernelSyntaxError(f"{at(where)}holds several ImageMagick kernels; convcli applies one")
    tokens = [t for t in re.split(r"[,\s]+", body.strip()) if t]
    if len(tokens) != width * height:
        raise KernelSyntaxError(
            f"{at(where)}a {width}x{height} kernel needs {counted(width * height, 'value')}, found {len(tokens)}"
        )
    if all(t.lower() in ("nan", "-") for t in tokens):
        raise KernelSyntaxError(f"{at(where)}every cell is nan or -: the kernel is empty")
    values = [0.0 if t.lower() in ("nan", "-") else number(t, where or "ImageMagick kernel") for t in tokens]
    matrix = np.array(values, np.float64).reshape(height, width)
    if match.group(3) is None:
        x, y = (width - 1) // 2, (height - 1) // 2
        return Parsed(matrix, (y, x), anchor_note=_default_origin(x, y, width, height))
    x, y = (_whole(match.group(g), "origin", where) for g in (3, 4))
    if not (0 <= x < width and 0 <= y < height):
        raise KernelSyntaxError(f"{at(where)}origin +{x}+{y} lies outside the {width}x{height} kernel")
    return Parsed(matrix, (y, x), anchor_note=f"the string's origin +{x}+{y}")


def _default_origin(x: int, y: int, width: int, height: int) -> str:
    """ImageMagick's default origin in words: the centre of an odd kernel, else the rule that put it there."""
    if width % 2 and height % 2:
        return f"the centre, ImageMagick's origin +{x}+{y}"
    return f"ImageMagick's default origin +{x}+{y}: x = (width - 1) // 2, y = (height - 1) // 2"


def _whole(digits: str, what: str, where: str) -> int:
    """A side or origin of an ImageMagick kernel; beyond 9 digits it is refused, not converted."""
    if len(digits.lstrip("+-")) > 9:
        raise KernelSyntaxError(f"{at(where)}{what} {echoed(digits)} is too large (sides are 1 to {MAX_SIDE})")
    return int(digits)


def vips_header(text: str) -> tuple[int, int, float, float] | None:
    """The ``width height [scale [offset]]`` first line of a libvips matrix, if the text has
    one followed by exactly `height` rows of `width` numbers; None otherwise."""
    rows = [line.split("#", 1)[0].split() for line in text.splitlines()]
    rows = [row for row in rows if row]
    if not rows or not 2 <= len(rows[0]) <= 4 or any(len(v) > MAX_NUMBER for v in rows[0]):
        return None  # not a header; read as rows of numbers, a too long number is said so there
    try:
        width, height = (int(v) for v in rows[0][:2])
        extra = [float(v) for v in rows[0][2:]]
    except ValueError:
        return None
    if width < 1 or height < 1 or len(rows) - 1 != height or any(len(row) != width for row in rows[1:]):
        return None
    return width, height, *(extra + [1.0, 0.0][len(extra) :])


def parse_vips(text: str, where: str) -> Parsed:
    """A libvips matrix: a first line ``width height [scale [offset]]``, then the rows;
    libvips divides the result by scale and adds offset.

    >>> parse_vips("2 1 2 128\\n1 -1\\n", "k.mat")
    Parsed(matrix=array([[ 1., -1.]]), anchor=None, scale=0.5, offset=128.0, anchor_note='')
    """
    rows = [line.split("#", 1)[0].split() for line in text.splitlines()]
    rows = [row for row in rows if row]
    if not rows or not 2 <= len(rows[0]) <= 4:
        raise KernelSyntaxError(f"{at(where)}a libvips matrix starts with 'width height [scale [offset]]'")
    long = next((v for v in rows[0] if len(v) > MAX_NUMBER), None)
    if long is not None:
        raise KernelSyntaxError(
            f"{at(where)}line 1: {echoed(long)} is too long for a number (over {MAX_NUMBER} characters)"
        )
    try:
        width, height = (int(v) for v in rows[0][:2])
    except ValueError:
        raise KernelSyntaxError(f"{at(where)}line 1: width and height must be whole numbers") from None
    check_size(width, height, where)
    header = vips_header(text)
    if header is None:
        raise KernelSyntaxError(
            f"{at(where)}the header says {width}x{height}, but {counted(len(rows) - 1, 'row')} of "
            f"{', '.join(sorted({str(len(r)) for r in rows[1:]})) or 'no'} numbers follow"
        )
    _, _, scale, offset = header
    if scale == 0 or not math.isfinite(scale) or not math.isfinite(offset):
        raise KernelSyntaxError(f"{at(where)}line 1: scale must be a non-zero number and offset finite")
    matrix = parse_kernel_text("\n".join(" ".join(row) for row in rows[1:]), where)
    return Parsed(matrix, None, 1.0 / scale, offset)


_JSON_KEYS = ("kernel", "scale", "divisor", "offset", "origin")


def parse_json(text: str, where: str) -> Parsed:
    """JSON: a list of rows (or one flat row), or an object ``{"kernel": rows, "scale": s,
    "divisor": d, "offset": o, "origin": [x, y]}`` whose keys but kernel are optional; the origin
    is x (the column) first, as --origin and ImageMagick's +X+Y are.

    >>> parse_json('{"kernel": [[1, 2, 1]], "divisor": 4}', "k.json").scale
    0.25
    """
    check_json_depth(text, where)
    number_of = functools.partial(_json_token, where=where)
    try:
        data = json.loads(text, parse_int=number_of, parse_float=number_of)
    except json.JSONDecodeError as exc:
        raise KernelSyntaxError(f"{at(where)}not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(data, list):
        return Parsed(_json_rows(data, where))
    if not isinstance(data, dict) or "kernel" not in data:
        raise KernelSyntaxError(f"{at(where)}JSON must be a list of rows or an object with a 'kernel' key")
    if "anchor" in data:  # its [row, column] would silently mean another cell as [x, y]
        raise KernelSyntaxError(
            f"{at(where)}'anchor': [row, column] is no longer read; the key is 'origin': [x, y], column first"
            f"{_as_origin(data['anchor'])}"
        )
    unknown = sorted(set(data) - set(_JSON_KEYS))
    if unknown:
        raise KernelSyntaxError(f"{at(where)}unknown key {echoed(unknown[0])} (keys: {', '.join(_JSON_KEYS)})")
    matrix = _json_rows(data["kernel"], where)
    scale = _json_number(data.get("scale", 1.0), "scale", where)
    divisor = _json_number(data.get("divisor", 1.0), "divisor", where)
    if scale == 0 or divisor == 0:
        raise KernelSyntaxError(f"{at(where)}scale and divisor must not be 0")
    origin = data.get("origin")
    anchor = None
    if origin is not None:
        if not (isinstance(origin, list) and len(origin) == 2 and all(type(v) is int for v in origin)):
            raise KernelSyntaxError(f"{at(where)}origin must be [x, y], two whole numbers (column, row)")
        anchor = (origin[1], origin[0])
    return Parsed(matrix, anchor, scale / divisor, _json_number(data.get("offset", 0.0), "offset", where))


def _as_origin(anchor) -> str:
    """The old [row, column] anchor as the origin it means, where it is two whole numbers."""
    if isinstance(anchor, list) and len(anchor) == 2 and all(type(v) is int for v in anchor):
        return f': write "origin": [{anchor[1]}, {anchor[0]}]'
    return ""


def check_json_depth(text: str, where: str) -> None:
    """Refuse JSON nested deeper than a kernel can be (an object > rows > row), counting the
    brackets outside strings, before the parser recurses into them."""
    brackets = _JSON_BRACKETS.sub("", _JSON_STRING.sub("", text))
    if not brackets:
        return
    codes = np.frombuffer(brackets.encode("ascii"), np.uint8)
    depth = int(np.cumsum(np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)).max())
    if depth > MAX_JSON_DEPTH:
        raise KernelSyntaxError(
            f"{at(where)}JSON nested {depth} levels deep; a kernel needs {MAX_JSON_DEPTH} at most (object > rows > row)"
        )


def _json_token(token: str, where: str) -> int | float:
    """A JSON number, its length bounded before it is converted (int() refuses 4,300 digits)."""
    if len(token) > MAX_NUMBER:
        raise KernelSyntaxError(f"{at(where)}{echoed(token)} is too long for a number (over {MAX_NUMBER} characters)")
    return float(token) if any(c in token for c in ".eE") else int(token)


def _json_rows(rows, where: str) -> np.ndarray:
    if isinstance(rows, list) and rows and not any(isinstance(row, list) for row in rows):
        rows = [rows]
    if not (isinstance(rows, list) and rows and all(isinstance(row, list) and row for row in rows)):
        raise KernelSyntaxError(f"{at(where)}the kernel must be a non-empty list of rows of numbers")
    if len(rows) > MAX_SIDE or any(len(row) != len(rows[0]) for row in rows):
        width = len(rows[0])
        bad = next((i for i, row in enumerate(rows, 1) if len(row) != width), len(rows))
        count = len(rows[bad - 1])
        raise KernelSyntaxError(f"{at(where)}row {bad} has {count} number{'s' * (count != 1)}, but row 1 has {width}")
    check_size(len(rows[0]), len(rows), where)
    return np.array([[_json_number(v, f"row {i}", where) for v in row] for i, row in enumerate(rows, 1)])


def _json_number(value, what: str, where: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):
        raise KernelSyntaxError(f"{at(where)}{what}: {_dumped(value)} is not a finite number")
    return float(value)


def _dumped(value) -> str:
    """A JSON value as a message shows it, cut as :func:`echoed` cuts a token (JSON escapes
    control characters itself)."""
    text = json.dumps(value)
    return text if len(text) <= 40 else f"{text[:40]}... ({len(text)} characters)"


def parse_csv(text: str, where: str) -> Parsed:
    """CSV: one row of the kernel a line, one number a cell; an empty cell is an error, not a gap.

    >>> parse_csv("1,2,1\\n2,4,2\\n", "k.csv").matrix.shape
    (2, 3)
    """
    rows = []
    for line_no, cells in enumerate(_csv_lines(text, where), start=1):
        if not cells or (len(cells) == 1 and not cells[0].strip()) or cells[0].lstrip().startswith("#"):
            continue
        values = [number(cell.strip(), f"{at(where)}line {line_no}") if cell.strip() else None for cell in cells]
        if None in values:
            raise KernelSyntaxError(f"{at(where)}line {line_no}: cell {values.index(None) + 1} is empty")
        if rows and len(values) != len(rows[0]):
            raise KernelSyntaxError(
                f"{at(where)}line {line_no}: {counted(len(values), 'cell')}, but the first row has {len(rows[0])}"
            )
        rows.append(values)
    if not rows:
        raise KernelSyntaxError(f"{at(where)}the kernel is empty (no numbers found)")
    check_size(len(rows[0]), len(rows), where)
    return Parsed(np.array(rows, np.float64))


def _csv_lines(text: str, where: str):
    """The cells of each line; a cell over csv's own limit (128 KiB) is a syntax error, not csv.Error."""
    reader = csv.reader(io.StringIO(text))
    try:
        yield from reader
    except csv.Error as exc:
        raise KernelSyntaxError(f"{at(where)}line {reader.line_num}: not CSV ({exc})") from None


def load_npy(data: bytes, where: str) -> Parsed:
    """A .npy array of real numbers, 1-D (one row) or 2-D; never a pickled object."""
    if not data.startswith(np.lib.format.MAGIC_PREFIX):
        raise KernelSyntaxError(f"{at(where)}not a NumPy .npy file (it does not start as one)")
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise KernelSyntaxError(f"{at(where)}not a NumPy .npy array ({exc})") from None
    if array.dtype.kind not in "biuf" or array.ndim not in (1, 2) or array.size == 0:
        raise KernelSyntaxError(
            f"{at(where)}a kernel array must be 1-D or 2-D real numbers, not {array.dtype} of shape {array.shape}"
        )
    matrix = np.atleast_2d(array.astype(np.float64))
    check_size(matrix.shape[1], matrix.shape[0], where)
    if not np.isfinite(matrix).all():
        raise KernelSyntaxError(f"{at(where)}the kernel holds NaN or infinite values")
    return Parsed(matrix)


def at(where: str) -> str:
    """The prefix naming where a problem is; inline kernels (where "") are named by the caller."""
    return f"{where}: " if where else ""


def check_size(width: int, height: int, where: str) -> None:
    """Refuse sides beyond 4001 (the widest Gaussian) in every format, rows of numbers too."""
    if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE:
        raise KernelSyntaxError(f"{at(where)}a {width}x{height} kernel; sides must be 1 to {MAX_SIDE}")
