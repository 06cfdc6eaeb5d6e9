"""FFT correlation by overlap-save: the image is cut into tiles, each tile's spectrum is
multiplied by the kernel's, and the part of each result that did not wrap around is kept.
numpy.fft works in the image's own precision (complex64 for float32)."""

from __future__ import annotations

import math
from functools import cache, lru_cache

import numpy as np

from .strips import Cancelled, cancellation

# Tiles stay at or under this many cells a side unless the kernel itself is larger: beyond
# it the saving in overlap is tiny and the per-thread buffers grow with the square.
_LARGEST_TILE = 1024


def fast_length(n: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) at or above `n`, a length FFTs handle fast.

    >>> fast_length(481), fast_length(1025)
    (486, 1080)
    """
    return min(length for length in _smooth_lengths(2 * max(n, 1)) if length >= n)


@cache
def _smooth_lengths(limit: int) -> tuple[int, ...]:
    """Every 5-smooth number up to `limit`, ascending."""
    lengths = []
    p2 = 1
    while p2 <= limit:
        p3 = p2
        while p3 <= limit:
            p5 = p3
            while p5 <= limit:
                lengths.append(p5)
                p5 *= 5
            p3 *= 3
        p2 *= 2
    return tuple(sorted(lengths))


# Seconds on one core per cell of one channel's tile (two FFTs, the product, the copies in
# and out) while a tile's buffers fit a core's L2 cache, and what each doubling of the
# buffers beyond it adds; and the fixed cost of a tile. Fitted by benchmarks/calibrate.py on
# a machine with 2 MiB of L2 per core, running on both its cores as the CLI does (large
# tiles lose more when two threads share the memory bus).
SECONDS_PER_CELL = 6.4e-9
SECONDS_PER_CELL_DOUBLING = 0.45e-9
SECONDS_PER_TILE = 15e-6
L2_BYTES = 2 << 20


def fft_seconds(
    tile: tuple[int, int],
    kernel_shape: tuple[int, int],
    out_shape: tuple[int, int],
    channels: int = 1,
    itemsize: int = 4,
) -> float:
    """The modelled time, on one core, of covering a (H, W) `out_shape` with `tile`s."""
    (ty, tx), (kh, kw), (oh, ow) = tile, kernel_shape, out_shape
    tiles = math.ceil(oh / (ty - kh + 1)) * math.ceil(ow / (tx - kw + 1))
    cells = channels * ty * tx
    buffer_bytes = 2 * itemsize * cells  # the real tile and its half spectrum, complex
    per_cell = SECONDS_PER_CELL + SECONDS_PER_CELL_DOUBLING * max(0.0, math.log2(buffer_bytes / L2_BYTES))
    return tiles * (cells * per_cell + SECONDS_PER_TILE)


@lru_cache(maxsize=256)
def tile_shape(
    kernel_shape: tuple[int, int], out_shape: tuple[int, int], channels: int = 1, itemsize: int = 4
) -> tuple[int, int]:
    """The tile (ty, tx) of 5-smooth sides that covers a (H, W) `out_shape` fastest. The search
    takes a millisecond, so its answers are kept for images of the same size.

    >>> tile_shape((31, 31), (3000, 4000), channels=3)
    (405, 432)
    >>> tile_shape((3, 3), (20, 30))
    (24, 32)
    """
    (kh, kw), (oh, ow) = kernel_shape, out_shape

    def sides(k: int, o: int) -> list[int]:
        whole = fast_length(o + k - 1)  # one tile spanning everything
        cap = min(whole, max(_LARGEST_TILE, fast_length(2 * k)))
        return [n for n in _smooth_lengths(cap) if k <= n] or [whole]

    return min(
        ((ty, tx) for ty in sides(kh, oh) for tx in sides(kw, ow)),
        key=lambda tile: fft_seconds(tile, kernel_shape, out_shape, channels, itemsize),
    )


def kernel_spectrum(kernel: np.ndarray, tile: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """The spectrum of `kernel` rotated 180 degrees and zero-padded to `tile`, in `dtype`'s
    precision: multiplying by it convolves with the rotated kernel, which is correlation with
    the kernel. It is scaled by the tile's size, to undo the 1/size of the tiles' transforms
    (see correlate_valid)."""
    kh, kw = kernel.shape
    padded = np.zeros(tile, dtype=np.float64)
    padded[:kh, :kw] = kernel[::-1, ::-1]
    complex_dtype = np.result_type(dtype, np.complex64)
    return (np.fft.rfft2(padded) * (tile[0] * tile[1])).astype(complex_dtype)


def correlate_valid(
    padded: np.ndarray,
    spectrum: np.ndarray,
    kernel_shape: tuple[int, int],
    tile: tuple[int, int],
    out: np.ndarray,
) -> np.ndarray:
    """Correlate one strip, `padded` (at most ty rows, W[, C]), into `out` (valid positions),
    with the kernel whose :func:`kernel_spectrum` for `tile` is `spectrum`."""
    (kh, kw), (ty, tx) = kernel_shape, tile
    oh, ow = out.shape[:2]
    step = tx - kw + 1
    channels = 1 if out.ndim == 2 else out.shape[2]
    height = padded.shape[0]
    # Channels first, so that each FFT runs over a contiguous plane; one tile at a time, as
    # numpy.fft runs about twice as fast on a few MB as on a batch that leaves the cache.
    planes = padded.reshape(height, padded.shape[1], channels).transpose(2, 0, 1)
    target = out.reshape(oh, ow, channels)
    block = np.zeros((channels, ty, tx), dtype=out.dtype)
    spectra = np.empty((channels, ty, tx // 2 + 1), dtype=spectrum.dtype)
    cancelled = cancellation()  # a wide image is many tiles: an interrupt is answered between two
    for x0 in range(0, ow, step):
        if cancelled.is_set():
            raise Cancelled
        piece = planes[:, :, x0 : x0 + tx]
        width = piece.shape[2]
        block[:, :height, :width] = piece
        if width < tx or height < ty:  # a tile past the right or bottom edge: zeros there
            block[:, height:, :] = 0
            block[:, :, width:] = 0
        # numpy.fft runs 3-4 times faster where it scales by 1/n (norm="forward" one way,
        # the default the other) than where it does not scale; kernel_spectrum holds the
        # factor that restores the sum. irfft2 is done as two steps, as its `out` is not honoured.
        np.fft.rfft2(block, out=spectra, norm="forward")
        spectra *= spectrum
        np.fft.ifft(spectra, axis=1, out=spectra)
        np.fft.irfft(spectra, n=tx, axis=2, out=block)
        kept = min(step, ow - x0)
        target[:, x0 : x0 + kept] = block[:, kh - 1 : kh - 1 + oh, kw - 1 : kw - 1 + kept].transpose(1, 2, 0)
    return out
