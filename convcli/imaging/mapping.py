"""Mapping filtered float values to an output depth: rounded and clipped for integers, kept for float.

Each mapping takes the values in the output's units and overwrites them. Those that stretch
by the result's lowest and highest values (:func:`rescale_to_range`, :func:`stretch_to_max`,
:func:`gradient` at integer depths, see :func:`needs_extent`) take them as `extent`, which a
pipeline working a strip at a time finds with :func:`extent` in a first pass; without it, a
mapping finds them in the `values` given."""

from __future__ import annotations

import numpy as np

from ..engine.output import store
from .depth import EIGHT, Depth

# The lowest and highest finite values of a result.
Extent = tuple[float, float]


def to_range(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """Integer depths: round half to even, clip to the depth's range and convert; NaN becomes 0.
    Float: the values as they are, signed and unclipped.

    >>> to_range(np.array([-3.0, 0.5, 1.5, 254.5, 300.0, np.nan]))
    array([  0,   0,   2, 254, 255,   0], dtype=uint8)
    """
    if depth.is_float:
        with np.errstate(over="ignore"):  # float64 results past float32's range become infinite, as in C
            return values.astype(depth.dtype, copy=False)
    # The engine's rule for an integer out=, whose ends are the integer depths' own.
    pixels = np.empty(values.shape, depth.dtype)
    store(values, pixels, owned=True)
    return pixels


def clip_to_range(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """:func:`to_range`, but float values too are clipped, to 0..white: what --clip asks for.

    >>> from convcli.imaging.depth import floating
    >>> clip_to_range(np.array([-0.5, 0.25, 3.0]), floating())
    array([0.  , 0.25, 1.  ], dtype=float32)
    """
    if depth.is_float:
        np.clip(values, 0, depth.white, out=values)
    return to_range(values, depth)


def gradient(values: np.ndarray, depth: Depth = EIGHT, extent: Extent | None = None) -> np.ndarray:
    """Sobel's mapping: integer outputs are stretched as :func:`stretch_to_max` does; float
    outputs keep the exact, signed gradient.

    >>> from convcli.imaging.depth import floating
    >>> gradient(np.array([-2.0, 4.0]), EIGHT), gradient(np.array([-2.0, 4.0]), floating())
    (array([128, 255], dtype=uint8), array([-2.,  4.], dtype=float32))
    """
    return to_range(values, depth) if depth.is_float else stretch_to_max(values, depth, extent)


def peak_to_white(values: np.ndarray, depth: Depth, peak: float) -> np.ndarray:
    """Sobel's mapping at a fixed scale (sobel --max): absolute values scaled so that `peak`
    (in the values' units) becomes the depth's white, and clipped to 0..white at every depth,
    float included; then rounded as :func:`to_range` does. The same `peak` for every image of
    a batch makes their edges comparable, as a stretch to each one's own maximum does not.
    `values` is overwritten.

    >>> peak_to_white(np.array([-2.0, 1.0, 8.0]), EIGHT, 4.0)
    array([128,  64, 255], dtype=uint8)
    """
    magnitude = np.abs(values, out=values)
    factor = depth.white / peak
    if factor > float(np.finfo(magnitude.dtype).max):  # a peak so small that any gradient at all is white
        magnitude = np.where(magnitude > 0, depth.white, magnitude).astype(magnitude.dtype)
    else:
        with np.errstate(over="ignore"):  # what overflows is white, as clipped below
            magnitude *= factor
    np.clip(magnitude, 0, depth.white, out=magnitude)
    return to_range(magnitude, depth)


def stretch_to_max(values: np.ndarray, depth: Depth = EIGHT, extent: Extent | None = None) -> np.ndarray:
    """Scale absolute values so their maximum becomes the depth's white (all zeros stay zero),
    then round as :func:`to_range` does. For gradients, whose range depends on the kernel
    and would otherwise clip or look dark; the sign is dropped. `values` is overwritten.
    The maximum is that of the finite values in `extent` (the whole result's), else in `values`.

    >>> stretch_to_max(np.array([0.0, -2.0, 4.0]))
    array([  0, 128, 255], dtype=uint8)
    >>> stretch_to_max(np.array([0.0, -2.0]), extent=(-2.0, 4.0))  # a strip of that result
    array([  0, 128], dtype=uint8)
    """
    low, high = extent or _extent(values)
    peak = max(-low, high, 0.0)
    magnitude = np.abs(values, out=values)
    if peak > 0:
        magnitude *= depth.white / peak
    return to_range(magnitude, depth)


def rescale_to_range(values: np.ndarray, depth: Depth = EIGHT, extent: Extent | None = None) -> np.ndarray:
    """Stretch linearly so the smallest value becomes 0 and the largest the depth's white,
    then round as :func:`to_range` does. A flat result has nothing to stretch and is only
    clipped, as ImageMagick's -auto-level leaves it. `values` is overwritten. The smallest and
    largest are those of the finite values in `extent` (the whole result's), else in `values`.

    >>> rescale_to_range(np.array([-2.0, 0.0, 2.0]))
    array([  0, 128, 255], dtype=uint8)
    >>> rescale_to_range(np.array([100.0, 100.0]))
    array([100, 100], dtype=uint8)
    """
    low, high = extent or _extent(values)
    if high > low:
        values -= low
        values *= depth.white / (high - low)
    return to_range(values, depth)


def abs_to_range(values: np.ndarray, depth: Depth = EIGHT) -> np.ndarray:
    """Take absolute values (an edge's strength, whichever its sign), then round and clip as
    :func:`to_range` does. `values` is overwritten.

    >>> abs_to_range(np.array([-300.0, -3.0, 3.0]))
    array([255,   3,   3], dtype=uint8)
    """
    return to_range(np.abs(values, out=values), depth)


def effect(function, depth: Depth, peak: float | None = None) -> str | None:
    """What the mapping `function` (or, given a `peak`, :func:`peak_to_white`) does to values
    written at the integer `depth`, in a warning's words; None for plain rounding and clipping
    (:func:`to_range`, :func:`clip_to_range`), which a message words for itself.

    >>> effect(gradient, EIGHT)
    'made absolute and stretched so that the strongest is 255'
    """
    white = f"{depth.white:.0f}"
    if peak is not None:
        return f"made absolute and scaled so that {peak:g} (--max) is {white}, and clipped above"
    return {
        abs_to_range: f"made absolute, rounded, and clipped above {white}",
        rescale_to_range: f"stretched so that their lowest is 0 and their highest {white}",
        gradient: f"made absolute and stretched so that the strongest is {white}",
        stretch_to_max: f"made absolute and stretched so that the strongest is {white}",
    }.get(function)


def named(name: str):
    """The mapping called `name`, one of ``choices.MAPPINGS`` (as settings name them).

    >>> named("abs_to_range") is abs_to_range
    True
    """
    return {
        "to_range": to_range,
        "clip_to_range": clip_to_range,
        "abs_to_range": abs_to_range,
        "rescale_to_range": rescale_to_range,
        "gradient": gradient,
    }[name]


def needs_extent(function, depth: Depth) -> bool:
    """Whether the mapping `function` at `depth` stretches by the whole result's extent.

    >>> from convcli.imaging.depth import floating
    >>> needs_extent(rescale_to_range, floating()), needs_extent(gradient, floating()), needs_extent(gradient, EIGHT)
    (True, False, True)
    """
    return function in (rescale_to_range, stretch_to_max) or (function is gradient and not depth.is_float)


def extent(values: np.ndarray) -> Extent:
    """The lowest and highest finite values, (inf, -inf) for none: :func:`merged` over the
    strips of a result gives the whole result's.

    >>> extent(np.array([3.0, np.nan, -1.0, np.inf]))
    (-1.0, 3.0)
    """
    finite = np.isfinite(values)
    low = np.min(values, initial=np.inf, where=finite)
    high = np.max(values, initial=-np.inf, where=finite)
    return float(low), float(high)


def merged(extents) -> Extent:
    """The extent of the values whose parts have `extents`; (0, 0) where none is finite,
    which stretches nothing (NaN or infinity would make every pixel the same).

    >>> merged([(1.0, 2.0), (np.inf, -np.inf), (-3.0, 0.0)])
    (-3.0, 2.0)
    """
    lows, highs = zip(*extents, strict=True) if extents else ((), ())
    low, high = min(lows, default=np.inf), max(highs, default=-np.inf)
    return (low, high) if low <= high else (0.0, 0.0)


def has_nan(values: np.ndarray) -> bool:
    """Whether any value is NaN: a max propagates NaN, in a tenth of nan_to_num's time."""
    return values.size > 0 and bool(np.isnan(values.max()))


def _extent(values: np.ndarray) -> Extent:
    return merged([extent(values)])
