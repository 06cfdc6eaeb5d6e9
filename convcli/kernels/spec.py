"""Turn a --kernel argument (a file, a named kernel with parameters, or inline rows) into a matrix."""

from __future__ import annotations

import difflib
import inspect
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConvcliError, UsageError
from .named import KERNELS
from .text import KernelSyntaxError, parse_kernel_text

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*")
_MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Kernel:
    """A resolved kernel and a short label for file names and messages."""

    matrix: np.ndarray
    label: str


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
        raise UsageError(f"unknown kernel {name!r}{_suggestion(key)}")
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
        pname = pname.strip().replace("-", "_")
        if pname not in params:
            raise UsageError(f"kernel {key!r} has no parameter {pname!r}; it takes {_describe(params)}")
        if pname in kwargs:
            raise UsageError(f"kernel {key!r}: {pname} is given twice")
        try:
            kwargs[pname] = float(text)
        except ValueError:
            raise UsageError(f"kernel {key!r}: {pname}={text.strip()!r} is not a number") from None
    try:
        return Kernel(make(**kwargs), key)
    except ValueError as exc:
        raise UsageError(f"kernel {key!r}: {exc}") from None


def resolve_kernel(spec: str) -> Kernel:
    """Resolve a --kernel argument: an existing file, else a named kernel, else inline rows.

    >>> resolve_kernel("1 2 1").matrix
    array([[1., 2., 1.]])
    """
    if os.path.exists(spec):
        return Kernel(read_kernel_file(Path(spec)), Path(spec).stem)
    if _looks_like_path(spec):
        raise ConvcliError(f"{spec}: no such kernel file")
    head = spec.partition(":")[0].strip()
    word = _NAME.match(head)
    if word and not _is_float(word.group(0)):
        if canonical_name(head) in KERNELS:
            return named_kernel(spec)
        hint = _suggestion(canonical_name(head))
        raise UsageError(f"unknown kernel {spec!r}: no such file or kernel name{hint}")
    try:
        return Kernel(parse_kernel_text(spec), "kernel")
    except KernelSyntaxError as exc:
        raise UsageError(f"--kernel {spec!r}: {exc}") from None


def read_kernel_file(path: Path) -> np.ndarray:
    """Read a text kernel file; every problem becomes a ConvcliError naming the file."""
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise ConvcliError(f"{path}: too large for a kernel file (over 1 MiB)")
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ConvcliError(f"{path}: is a directory, not a kernel file") from None
    except UnicodeDecodeError:
        raise ConvcliError(f"{path}: not a text file (a kernel file holds rows of numbers)") from None
    except OSError as exc:
        raise ConvcliError(f"{path}: cannot read kernel file ({exc.strerror or exc})") from None
    try:
        return parse_kernel_text(text, str(path))
    except KernelSyntaxError as exc:
        raise ConvcliError(str(exc)) from None


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
    close = difflib.get_close_matches(key, list(KERNELS), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (known kernels: {', '.join(KERNELS)})"


def _describe(params) -> str:
    if not params:
        return "no parameters"
    return ", ".join(f"{p.name}={p.default:g}" for p in params.values())
