"""The filtering pipeline: an image's rows through a filter a strip at a time, from the
pixels as decoded, in their own dtype, to the output's. Everything between (to float,
linear light, premultiplied alpha, the filter, back to sRGB, scale and offset, the value
mapping, alpha, flattening onto black) runs on each strip, with the kernel's halo, while
it is in the cache, on the engine's threads: no image-sized float array is ever made.

Two steps look at more than a strip. A mapping that stretches by the result's extent
(--rescale, sobel's stretch) takes a first pass that filters the image for the extent
alone, and so costs the filtering twice. And "keep", where some pixels are fully
transparent, fills their colour from the visible colour around them by a pyramid over the
whole image (:func:`.alpha.fill_hidden`): there the colour is made whole, in floats, first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..choices import ALPHA_MODES
from ..engine import strips
from ..engine.borders import Padded
from . import light, mapping
from .alpha import fill_hidden, over_black
from .channels import Planes
from .depth import Depth, convert, convert_alpha

# The bytes of pixels looked at at a time for fully transparent ones.
_SCAN_BYTES = 8 << 20


@dataclass(frozen=True)
class Treatment:
    """What is done to the values around the filter: `cval` (in the input's units) beyond the
    image for a constant border, the `alpha` mode (see :func:`.alpha.default_mode`), `linear`
    light, and the `scale` and `offset` the result is multiplied by and added to."""

    cval: float = 0.0
    alpha: str = "keep"
    linear: bool = False
    scale: float = 1.0
    offset: float = 0.0

    def __post_init__(self):
        if self.alpha not in ALPHA_MODES:
            raise ValueError(f"unknown alpha mode {self.alpha!r}; choose one of {', '.join(ALPHA_MODES)}")


@dataclass(frozen=True)
class Output:
    """What the values become: integers or floats of `depth` through `mapping` (one of
    :mod:`.mapping`'s, of the values and `depth`); alpha kept where `alpha`, else the result
    flattened onto black."""

    depth: Depth
    alpha: bool
    mapping: Callable[..., np.ndarray] = mapping.to_range


class Pipeline:
    """`planes` filtered by `transform` (a :class:`.transforms.Filter`) as `treatment` says.

    :meth:`write` fills an output array, :meth:`filtered` gives the filtered values whole.
    After a run, `saw_nan` says the values held NaN, `visible` that the input had a pixel not
    fully transparent and `opaque` that the output has one.

    >>> from convcli.imaging.channels import from_array
    >>> from convcli.imaging.depth import EIGHT
    >>> from convcli.imaging.transforms import KernelFilter
    >>> from convcli.kernels import named_kernel
    >>> planes = from_array(np.array([[0, 100, 200]], np.uint8), "row")
    >>> run = Pipeline(planes, KernelFilter(named_kernel("box:3")), Treatment())
    >>> out = np.empty((1, 3), np.uint8)
    >>> run.write(out, Output(EIGHT, alpha=False))
    array([[ 33, 100, 167]], dtype=uint8)
    """

    def __init__(self, planes: Planes, transform, treatment: Treatment):
        self.planes, self.treatment = planes, treatment
        self.saw_nan = self.visible = self.opaque = False
        self._lock = threading.Lock()
        self._transform = transform
        depth, colours = planes.depth, planes.colours
        self._mode = treatment.alpha if planes.has_alpha else None
        self._filters_alpha = self._mode in ("premultiply", "separate")
        channels = colours + self._filters_alpha
        height, width = planes.shape
        self._shape = (height, width, channels)
        pixels, self._linear_done = self._source()
        cval = treatment.cval
        if self._linear_done:  # the colour read is in linear light already, and so must the border's be
            cval = float(light.to_linear(np.array(cval, np.float64), depth.white))
        self.planned = transform.planned(self._shape, depth.compute, self._finite(pixels, cval), cval)
        cvals = [cval] * colours + [depth.opaque] * self._filters_alpha
        rows, cols = self.planned.rows, self.planned.cols
        self._padded = Padded(pixels, rows, cols, self.planned.border, np.array(cvals, depth.compute), depth.compute)
        self._halo = sum(rows)
        self._inside = (slice(rows[0], None), slice(cols[0], cols[0] + width))

    def write(self, out: np.ndarray, output: Output) -> np.ndarray:
        """Fill `out` with the result at `output`'s depth, (H, W) or (H, W, C), colour then
        alpha where `output` keeps it, and return it. The extent a stretching mapping needs
        comes from a first pass over the whole image."""
        for _ in self.blocks(output, len(out), out):
            pass
        return out

    def blocks(self, output: Output, rows: int, out: np.ndarray | None = None) -> Iterator[np.ndarray]:
        """The result as :meth:`write` makes it, in blocks of `rows` rows from the top, each
        made when it is asked for (views of `out` where given, else an array of its own): what
        a writer that takes the image a band of rows at a time consumes."""
        began = time.perf_counter()
        height, width, _ = self._shape
        count = self.planes.colours + (output.alpha and self._mode is not None)
        extent = self._extent(output.depth) if mapping.needs_extent(output.mapping, output.depth) else None
        for start in range(0, height, rows):
            stop = min(start + rows, height)
            if out is None:
                block = np.empty((stop - start, width) + ((count,) if count > 1 else ()), output.depth.dtype)
            else:
                block = out[start:stop]
            self._fill(block, start, output, extent)
            yield block
        self._transform.told(self._shape, self.planned, time.perf_counter() - began)

    def _fill(self, block: np.ndarray, start: int, output: Output, extent: mapping.Extent | None) -> None:
        layered = block.reshape(block.shape[:2] + (-1,))

        def strip(r0: int, r1: int) -> None:
            colour, alpha = self._values(r0, r1)
            self._check_nan(colour, output.depth)
            colour = convert(colour, self.planes.depth, output.depth)
            options = {} if extent is None else {"extent": extent}
            pixels = output.mapping(colour, output.depth, **options)
            part = layered[r0 - start : r1 - start]
            if alpha is not None:
                opacity = mapping.to_range(convert_alpha(alpha, self.planes.depth, output.depth), output.depth)
                if opacity.any():
                    self.opaque = True
                if output.alpha:
                    part[..., -1] = opacity
                else:
                    pixels = over_black(pixels, opacity, output.depth.opaque)
            part[..., : self.planes.colours] = pixels

        self._run(strip, start, start + len(block))

    def filtered(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The filtered colour, (H, W) or (H, W, C), in the input's units, and the result's
        alpha (filtered, or the input's, as the alpha mode says; None without one), both in
        the depth's compute type, before scale, offset or mapping."""
        height, width, _ = self._shape
        compute = self.planes.depth.compute
        colour = np.empty((height, width, self.planes.colours), compute)
        alpha = np.empty((height, width), compute) if self._mode else None

        def strip(r0: int, r1: int) -> None:
            colour[r0:r1], opacity = self._values(r0, r1, scaled=False)
            if alpha is not None:
                alpha[r0:r1] = opacity

        began = time.perf_counter()
        self._run(strip, 0, height)
        self._transform.told(self._shape, self.planned, time.perf_counter() - began)
        return (colour[..., 0] if self.planes.colours == 1 else colour), alpha

    def _run(self, strip: Callable[[int, int], None], start: int, stop: int) -> None:
        plan = self.planned.plan

        def offset(r0: int, r1: int) -> None:
            strip(start + r0, start + r1)

        strips.run(offset, stop - start, rows=plan.rows, threads=plan.threads)

    def _extent(self, depth: Depth) -> mapping.Extent:
        parts = []

        def strip(r0: int, r1: int) -> None:
            colour, _ = self._values(r0, r1)
            self._check_nan(colour, depth)
            found = mapping.extent(convert(colour, self.planes.depth, depth))
            with self._lock:
                parts.append(found)

        self._run(strip, 0, self._shape[0])
        return mapping.merged(parts)

    def _values(self, r0: int, r1: int, scaled: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Output rows `r0` to `r1`: the filtered colour, (n, W, C), in the input's units
        (times `scale` plus `offset` where `scaled`), and the alpha that goes with it."""
        treatment, depth, colours = self.treatment, self.planes.depth, self.planes.colours
        band = self._padded.band(r0, r1 + self._halo)
        if np.may_share_memory(band, self._padded.image):  # a view of the pixels, which stay as they are
            band = band.copy()
        colour = band[..., :colours]
        if treatment.linear and not self._linear_done:
            colour[...] = light.to_linear(colour, depth.white)
        if self._filters_alpha:
            inside = band[self._inside[0], self._inside[1], colours][: r1 - r0]
            if inside.any():
                self.visible = True
        if self._mode == "premultiply":
            # where, not a product: NaN or infinite colour under alpha 0 would survive times 0.
            opacity = band[..., colours:] / depth.opaque
            colour[...] = np.where(opacity > 0, colour * opacity, 0)
        values = self.planned(band)
        colour, alpha = values[..., :colours], None
        if self._filters_alpha:
            alpha = values[..., colours]
        elif self._mode is not None:
            alpha = np.asarray(self.planes.pixels[r0:r1])[..., -1].astype(depth.compute)
            if alpha.any():
                self.visible = True
        if self._mode == "premultiply":
            # Dividing the FFT's rounding noise by a near-zero alpha gave random colours: below
            # half a step of the input's opacity there is no colour left to recover, and it is black.
            faint = depth.opaque / 131070 if depth.is_float else 0.5
            weight = (np.minimum(alpha, depth.opaque) / depth.opaque)[..., np.newaxis]
            covered = (alpha >= faint)[..., np.newaxis]
            colour = np.divide(colour, weight, out=np.zeros_like(colour), where=covered)
        if treatment.linear:
            colour = light.to_srgb(colour, depth.white)
        if scaled:
            with np.errstate(over="ignore", invalid="ignore"):  # what overflows is clipped, or NaN and said
                if treatment.scale != 1.0:
                    colour *= treatment.scale
                if treatment.offset != 0.0:
                    colour += treatment.offset
        return colour, alpha

    def _check_nan(self, colour: np.ndarray, depth: Depth) -> None:
        if not depth.is_float and not self.saw_nan and mapping.has_nan(colour):
            self.saw_nan = True

    def _source(self):
        """What the strips read: the pixels' channels that are filtered, (H, W, C), or where
        "keep" must fill hidden colour, that colour made whole (in linear light if asked:
        the second value says so)."""
        planes = self.planes
        pixels = planes.pixels
        if self._mode == "keep" and self._hides_colour():
            colour = planes.colour()
            if self.treatment.linear:
                colour = light.to_linear(colour, planes.depth.white)
            filled = fill_hidden(colour, planes.alpha(), planes.depth.opaque)
            return (filled if filled.ndim == 3 else filled[..., np.newaxis]), True
        channels = planes.colours + self._filters_alpha
        if isinstance(pixels, np.ndarray):
            layered = pixels if pixels.ndim == 3 else pixels[..., np.newaxis]
            return layered[..., :channels], False
        return _Channels(pixels, channels), False

    def _hides_colour(self) -> bool:
        """Whether a pixel is fully transparent (alpha 0 or below, or NaN), looked for a band
        of rows at a time, as a file read so is read."""
        pixels, height = self.planes.pixels, self.planes.shape[0]
        row_bytes = max(1, np.dtype(pixels.dtype).itemsize * int(np.prod(pixels.shape[1:])))
        step = max(1, _SCAN_BYTES // row_bytes)
        return any(not (np.asarray(pixels[r0 : r0 + step])[..., -1] > 0).all() for r0 in range(0, height, step))

    def _finite(self, pixels, cval: float) -> bool:
        """Whether the values are free of NaN and infinities, which rule out the FFT and low
        rank: always for integers; for floats, where those methods are planned, found."""
        if np.dtype(pixels.dtype).kind != "f":
            return True
        planned = self._transform.planned(self._shape, self.planes.depth.compute, True, cval)
        if planned.plan.method not in ("fft", "lowrank"):
            return True
        return bool(np.isfinite(np.sum(np.asarray(pixels[:]), dtype=np.float64)))


class _Channels:
    """A row source's first `channels` channels, always (rows, W, C): what :class:`Padded`
    reads from a file read a band of rows at a time."""

    def __init__(self, rows, channels: int):
        self._rows, self._channels = rows, channels
        self.dtype = np.dtype(rows.dtype)
        self.shape = tuple(rows.shape[:2]) + (channels,)

    def __getitem__(self, key) -> np.ndarray:
        values = np.asarray(self._rows[key])
        if values.ndim == (2 if isinstance(key, slice) else 1):
            return values[..., np.newaxis]
        return values[..., : self._channels]
