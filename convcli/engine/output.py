"""Where each strip's result goes: the caller's `out` array of any real dtype, through the
caller's finishing step. Integer arrays take values rounded half to even and clipped to
their range, NaN as 0: the rule DESIGN.md gives integer images, applied one strip at a time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# A finishing step: ``finish(values, rows)`` returns what is written into ``out[rows]``.
Finish = Callable[[np.ndarray, slice], object]

# The largest number of steps np.shares_memory may take to prove two arrays apart; past it
# they are taken to overlap (a needless copy, never a wrong result).
_OVERLAP_WORK = 100_000


def checked_out(out, shape: tuple[int, ...]) -> np.ndarray:
    """`out`, if it can take a result of `shape`: a writeable real array of exactly that shape."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array, not {type(out).__name__}")
    if out.dtype.kind not in "iuf":
        raise ValueError(f"out must hold floats or integers, not {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"out has shape {out.shape}; this result needs {shape}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    return out


def overlaps(image: np.ndarray, out: np.ndarray) -> bool:
    """Whether writing `out` could change `image` before all of it is read."""
    if not np.may_share_memory(image, out):
        return False
    try:
        return bool(np.shares_memory(image, out, max_work=_OVERLAP_WORK))
    except np.exceptions.TooHardError:
        return True


class Destination:
    """`out` (H, W[, C]), filled strip by strip from results computed in `dtype`. A strip is
    computed straight into `out` where it has that dtype and is contiguous there, otherwise
    into a buffer of its own; `finish`, if given, is called on it with the strip's rows, and
    what it returns is stored. `one_d` says `out` is a 1-D signal's, seen as one row: `finish`
    then sees the signal itself, as ``out[rows]`` for the caller's 1-D `out`."""

    def __init__(self, out: np.ndarray, dtype: np.dtype, finish: Finish | None, one_d: bool):
        self.out = out
        self.dtype = dtype
        self.finish = finish
        self.one_d = one_d

    def write(self, r0: int, r1: int, compute: Callable[[np.ndarray], object]) -> None:
        """Rows `r0` to `r1` of `out`: ``compute(target)`` fills `target` with them in `dtype`."""
        part = self.out[r0:r1]
        direct = part.dtype == self.dtype and part.flags.c_contiguous
        target = part if direct else np.empty(part.shape, dtype=self.dtype)
        compute(target)
        if self.finish is None:
            if not direct:
                store(target, part, owned=True)
            return
        values, rows = (target[0], slice(0, part.shape[1])) if self.one_d else (target, slice(r0, r1))
        finished = self.finish(values, rows)
        if finished is values and direct:
            return
        finished = _finished_values(finished, values.shape, rows)
        # The values in a buffer of ours (the step worked in place) may be rounded in place.
        owned = not direct and np.may_share_memory(finished, target)
        store(finished[np.newaxis] if self.one_d else finished, part, owned=owned)


def _finished_values(finished, shape: tuple[int, ...], rows: slice) -> np.ndarray:
    if finished is None:
        raise TypeError(f"finish returned None for rows {rows.start}:{rows.stop}; it must return the values to write")
    values = np.asarray(finished)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"finish returned {values.dtype} values for rows {rows.start}:{rows.stop}, not real numbers")
    if values.shape != shape:
        raise ValueError(f"finish returned shape {values.shape} for rows {rows.start}:{rows.stop}, not {shape}")
    return values


def store(values: np.ndarray, part: np.ndarray, owned: bool = False) -> None:
    """Write `values` into `part`, converted to its dtype: for integers rounded half to even,
    clipped to the dtype's range, NaN as 0; floats as they are (float16 overflows to infinity).
    `owned`: `values` is a buffer of ours, free to be overwritten on the way.

    >>> part = np.zeros(6, np.uint8)
    >>> store(np.array([-3.0, 0.5, 1.5, 254.5, 300.0, np.nan]), part)
    >>> part
    array([  0,   0,   2, 254, 255,   0], dtype=uint8)
    """
    if part.dtype.kind == "f":
        with np.errstate(over="ignore"):
            np.copyto(part, values, casting="unsafe")
        return
    if values.dtype.kind != "f":
        low, high = _integer_bounds(part.dtype, values.dtype)
        np.copyto(part, values if low is None else np.clip(values, low, high), casting="unsafe")
        return
    values = np.rint(values, out=values if owned else None)
    # A max propagates NaN: one read of the strip, where nan_to_num would always write.
    if np.isnan(values.max()):
        np.nan_to_num(values, copy=False, nan=0.0, posinf=np.inf, neginf=-np.inf)
    low, high = _float_bounds(part.dtype, values.dtype)
    info = np.iinfo(part.dtype)
    # Where the range's ends are no floats of this kind, what lies beyond them is given the
    # ends themselves, after the cast, which would wrap int32's 2147483647 rounded to 2**31.
    below = values < low if int(low) > info.min else None
    above = values > high if int(high) < info.max else None
    np.clip(values, low, high, out=values)
    np.copyto(part, values, casting="unsafe")
    for beyond, end in ((below, info.min), (above, info.max)):
        if beyond is not None:
            np.copyto(part, end, where=beyond)


def _float_bounds(target: np.dtype, source: np.dtype):
    """The floats of `source`'s kind nearest the integer `target`'s range from inside it:
    its ends where the kind holds them exactly, as float32 and float64 hold 0..65535."""
    info, largest, kind = np.iinfo(target), float(np.finfo(source).max), source.type
    low, high = kind(max(info.min, -largest)), kind(min(info.max, largest))
    if int(low) < info.min:
        low = np.nextafter(low, kind(0))
    if int(high) > info.max:
        high = np.nextafter(high, kind(0))
    return low, high


def _integer_bounds(target: np.dtype, source: np.dtype):
    """The range integer `source` values are clipped to before they are cast to the integer
    `target`; (None, None) where every `source` value fits already."""
    if np.can_cast(source, target, casting="safe"):
        return None, None
    info, own = np.iinfo(target), np.iinfo(source)
    return max(info.min, own.min), min(info.max, own.max)
