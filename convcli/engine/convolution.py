"""convolve and correlate: argument rules, size modes, and the choice of method."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..choices import METHODS, SIZE_MODES, normalize_border
from . import output, strips
from .borders import Padded
from .output import Finish
from .planning import Plan, make_plan


def correlate(
    image,
    kernel,
    *,
    border: str = "reflect",
    cval: float = 0.0,
    size: str = "same",
    anchor=None,
    dtype=np.float32,
    method: str = "auto",
    threads: int | None = None,
    out: np.ndarray | None = None,
    finish: Finish | None = None,
) -> np.ndarray:
    """Cross-correlate `image` with `kernel`: the kernel is applied as written (what CNNs compute).

    ``out[y, x] = sum over i, j of kernel[i, j] * image[y + i - cy, x + j - cx]``

    Parameters
    ----------
    image : array_like, shape (N,), (H, W) or (H, W, C)
        A 1-D signal, a 2-D image, or an image whose channels are filtered independently.
        Any real dtype (bool, integers, float16 to float64, either byte order), views and
        memory maps included; it is never converted as a whole: each strip's rows are
        converted to `dtype` as they are read.
    kernel : array_like, shape (k,) or (kh, kw)
        A 1-D kernel is a 1 x k row. Must be non-empty, and finite in `dtype` (float32 ends
        at 3.4e38).
    border : {"reflect", "mirror", "nearest", "wrap", "constant"}
        How the image is extended past its edges for ``size="same"`` (scipy.ndimage names;
        numpy and OpenCV names such as "symmetric", "edge", "reflect_101" are aliases).
    cval : float
        The fill value for ``border="constant"``; finite in `dtype`, too.
    size : {"same", "full", "valid"}
        "same" keeps the image's shape; "full" returns every position where the kernel
        overlaps the image, treating the outside as zero; "valid" only positions where the
        kernel lies wholly inside. `border` applies to "same" only.
    anchor : (int, int) or int, optional
        The kernel cell (cy, cx) placed over the output pixel, default (kh // 2, kw // 2);
        an int for 1-D kernels. Only meaningful for ``size="same"``.
    dtype : float32 or float64
        The arithmetic's dtype, and the result's when there is no `out`.
    method : {"auto", "direct", "separable", "lowrank", "fft"}
        "direct" shifts and adds once per non-zero tap; "separable" applies a rank-1 kernel
        as a column pass then a row pass (an error for other kernels); "lowrank" applies a
        kernel of rank r as r separable passes (its SVD); "fft" multiplies spectra tile by
        tile. "auto" takes the one a cost model of image size, kernel size and rank finds
        cheapest. All give the same result to float rounding.
    threads : int, optional
        Threads to spread the work over, in horizontal strips; default all available cores.
    out : numpy.ndarray, optional
        The array to write the result into, strip by strip, instead of a new one: exactly the
        result's shape, any float or integer dtype, writeable; a view (``rgb[..., 0]``) or a
        ``numpy.memmap`` will do. Integer dtypes take the values rounded half to even and
        clipped to their range, NaN as 0 (see Notes). It may be `image` itself: a copy of
        `image` is then read instead.
    finish : callable, optional
        ``finish(values, rows) -> array``, a step applied to each strip of the result before
        it is written: `values` holds ``out[rows]``'s results in `dtype` (``out[rows]`` itself
        where `out` has that dtype and is contiguous, else a buffer of the strip's own), `rows`
        is the slice of output rows (of positions, for a 1-D signal, which is one strip). It
        returns the values for ``out[rows]``, of that shape and any real dtype; it may work on
        `values` in place and return it.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of `dtype` of the result's shape; 1-D for a 1-D image.

    Notes
    -----
    Memory: beyond `image` and `out`, a run holds a few strips per thread, each sized for
    the cache, of the input rows it reads (with the kernel's halo, extended by `border`) and
    of its results. An 8-bit image filtered into an 8-bit `out` never needs a float copy of
    either.

    Integer `out`: the values are rounded half to even (``numpy.rint``), then clipped to the
    dtype's range, and NaN becomes 0, the rule convcli applies to integer images.
    ``scipy.ndimage.correlate`` given an integer ``output=`` converts as C does instead:
    it truncates toward zero and wraps what is out of range (300 becomes 44 and -7.6
    becomes 249 in uint8). For an image, whose values are levels of its range, rounding and
    clipping give the nearest level the type holds. Unlike scipy.ndimage, whose result
    without ``output=`` has the input's dtype, convcli returns `dtype` unless `out` says
    otherwise.

    `finish` runs on the thread that computed the strip, right after it, while the strip is
    still in the cache. A run on one thread (``threads=1``, or work too small to share, as
    ``plan_for(...).threads`` tells) calls it on the caller's thread, strip by strip from the
    top; on several, each pool thread takes the next strip not yet taken, so calls for
    different strips run at the same time and end in any order. It must therefore be
    thread-safe (write only to its own strip's rows), and it runs in parallel where its time
    is spent in NumPy calls, which release the GIL. An exception it raises stops the run and
    propagates, as a failure of the filter itself would; an interrupt is answered between strips.

    Examples
    --------
    >>> correlate([1, 0.5, 1, 1], [1, 0.5, 0.25], size="full", dtype=np.float64)
    array([0.25 , 0.625, 1.5  , 1.25 , 1.5  , 1.   ])

    An 8-bit image into an 8-bit result: 132.5 rounds to the even 132.

    >>> image = np.array([[0, 10, 255, 255]], dtype=np.uint8)
    >>> correlate(image, [[0.5, 0.5]], border="nearest", out=np.empty_like(image))
    array([[  0,   5, 132, 255]], dtype=uint8)

    A float image in 0..1 into 8 bits, scaled per strip by a finishing step:

    >>> def to_levels(values, rows):
    ...     return np.multiply(values, 255, out=values)
    >>> ramp = np.linspace(0, 1, 5)[np.newaxis]
    >>> correlate(ramp, [[1.0]], out=np.empty(ramp.shape, np.uint8), finish=to_levels)
    array([[  0,  64, 128, 191, 255]], dtype=uint8)
    """
    return _filter(image, kernel, False, border, cval, size, anchor, dtype, method, threads, out, finish)


def convolve(
    image,
    kernel,
    *,
    border: str = "reflect",
    cval: float = 0.0,
    size: str = "same",
    anchor=None,
    dtype=np.float32,
    method: str = "auto",
    threads: int | None = None,
    out: np.ndarray | None = None,
    finish: Finish | None = None,
) -> np.ndarray:
    """Convolve `image` with `kernel`: the kernel is rotated 180 degrees, then applied.

    ``out[y, x] = sum over i, j of kernel[i, j] * image[y - i + cy, x - j + cx]``

    so ``convolve(f, k, anchor=(cy, cx)) == correlate(f, k[::-1, ::-1], anchor=(kh-1-cy, kw-1-cx))``.
    Parameters, `out`, `finish` and the notes on them are those of :func:`correlate`; with
    the default anchor the result matches ``scipy.ndimage.convolve`` (same) and
    ``scipy.signal.convolve2d`` (full, valid).

    Examples
    --------
    >>> convolve([1, 0.5, 1, 1], [1, 0.5, 0.25], size="full", dtype=np.float64)
    array([1.   , 1.   , 1.5  , 1.625, 0.75 , 0.25 ])

    A 16-bit image blurred into one channel of a float32 array, in place of that channel:

    >>> rgb = np.zeros((2, 3, 3), np.float32)
    >>> grey = np.array([[0, 300, 600], [900, 1200, 1500]], dtype=np.uint16)
    >>> convolve(grey, np.full((1, 3), 1 / 3), border="nearest", out=rgb[..., 1])
    array([[ 100.,  300.,  500.],
           [1000., 1200., 1400.]], dtype=float32)
    >>> rgb[0, :, 1]
    array([100., 300., 500.], dtype=float32)
    """
    return _filter(image, kernel, True, border, cval, size, anchor, dtype, method, threads, out, finish)


def _filter(image, kernel, flip, border, cval, size, anchor, dtype, method, threads, out, finish):
    dtype, method, threads = _options(size, dtype, method, threads)
    border = normalize_border(border)
    cval = _fitting(_real("cval", cval), "cval", dtype)
    if finish is not None and not callable(finish):
        raise TypeError(f"finish must be a function of (values, rows), not {type(finish).__name__}")
    # The image stays in its own dtype: each strip's rows are converted as they are read.
    signal = np.asarray(image)
    if signal.dtype.kind not in "biuf":
        raise ValueError(f"image must hold real numbers, not {signal.dtype}")
    weights = _as_kernel(kernel)
    one_d = signal.ndim == 1
    shape = _image_shape(signal.shape, weights.shape)
    signal = signal.reshape(shape)
    cy, cx = _anchor(anchor, weights.shape, one_d, size)
    out_shape = _out_shape(shape, weights.shape, size)
    if out is None:
        out = np.empty(out_shape[1:] if one_d else out_shape, dtype=dtype)
    else:
        out = output.checked_out(out, out_shape[1:] if one_d else out_shape)
        if output.overlaps(signal, out):  # in place: the strips would read rows already written
            signal = signal.copy()
    # The FFT would spread a NaN or an infinity over its whole tile, and low rank's terms can
    # turn inf into NaN. A sum is NaN or infinite if any value is (or if it overflows, near
    # the float's limit: then auto merely avoids those two); integers are always finite.
    # float16 sums in float32 at least, where its own range would overflow on a large image.
    planned = _band_filter(weights, out_shape, flip, (cy, cx), dtype, method, threads, finite=True)
    if planned.plan.method in ("fft", "lowrank") and signal.dtype.kind == "f":
        if not np.isfinite(np.sum(signal, dtype=np.result_type(signal.dtype, dtype))):
            planned = _band_filter(weights, out_shape, flip, (cy, cx), dtype, method, threads, finite=False)
    (kh, kw), rows, cols = planned.kernel_shape, planned.rows, planned.cols
    if size == "same":
        padded = Padded(signal, rows, cols, border, cval, dtype)
    elif size == "full":
        padded = Padded(signal, (kh - 1, kh - 1), (kw - 1, kw - 1), "constant", 0.0, dtype)
    else:
        padded = Padded(signal, (0, 0), (0, 0), "constant", dtype=dtype)
    destination = output.Destination(out[np.newaxis] if one_d else out, dtype, finish, one_d)
    halo = kh - 1

    def strip(r0: int, r1: int) -> None:
        destination.write(r0, r1, lambda target: planned(padded.band(r0, r1 + halo), out=target))

    strips.run(strip, out_shape[0], rows=planned.plan.rows, threads=planned.plan.threads)
    return out


@dataclass(frozen=True)
class BandFilter:
    """One filter planned for one image, applied a band of rows at a time: the pieces
    :func:`correlate` runs, for a caller that extends the image and runs the strips itself
    (convcli's image pipeline, which treats each band's values before and after).

    ``band_filter(band, out=None)`` correlates `band`, rows ``r0`` to ``r1 + kh - 1`` of the
    image extended by `rows` (above, below) and `cols` (left, right), converted to `dtype`,
    into output rows ``r0`` to ``r1`` (into `out`, of `dtype`, where given). `plan` says how, with its strip height
    ``plan.rows`` and its ``plan.threads``.
    """

    plan: Plan
    rows: tuple[int, int]
    cols: tuple[int, int]
    kernel_shape: tuple[int, int]
    dtype: np.dtype

    @cached_property
    def _apply(self) -> strips.StripFilter:
        # Built once, on first use: a plan the caller then drops never computes an FFT spectrum.
        return self.plan.build()

    def __call__(self, band: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        band = np.asarray(band, self.dtype)  # the methods compute in the plan's dtype
        if out is None:
            kh, kw = self.kernel_shape
            out = np.empty((band.shape[0] - kh + 1, band.shape[1] - kw + 1) + band.shape[2:], self.dtype)
        self._apply(band, out=out)
        return out


def band_filter(
    image_shape,
    kernel,
    *,
    correlate: bool = False,
    anchor=None,
    dtype=np.float32,
    method: str = "auto",
    threads: int | None = None,
    finite: bool = True,
    cval: float = 0.0,
) -> BandFilter:
    """The filter :func:`convolve` (or with `correlate`, :func:`correlate`) applies to an image
    of `image_shape`, (H, W) or (H, W, C), for ``size="same"``, as a :class:`BandFilter` that
    filters one band of the extended image's rows. `finite` says the image is free of NaN and
    infinities (as for :func:`plan_for`); `cval`, the value a constant border extends it with,
    must be finite in `dtype`, as for :func:`convolve`. A caller extending the image itself
    (in `dtype`, with ``borders.Padded``) by ``rows`` and ``cols`` and filtering bands of
    ``plan.rows`` output rows gets exactly what :func:`convolve` returns.

    >>> image = np.arange(12.0).reshape(3, 4)
    >>> planned = band_filter(image.shape, [[1, 2, 3]], dtype=np.float64)
    >>> planned.rows, planned.cols
    ((0, 0), (1, 1))
    >>> band = np.pad(image, ((0, 0), planned.cols), mode="symmetric")
    >>> np.array_equal(planned(band), convolve(image, [[1, 2, 3]], dtype=np.float64))
    True
    """
    dtype, method, threads = _options("same", dtype, method, threads)
    _fitting(_real("cval", cval), "cval", dtype)
    weights = _as_kernel(kernel)
    shape = _image_shape(tuple(image_shape), weights.shape)
    cy, cx = _anchor(anchor, weights.shape, False, "same")
    return _band_filter(weights, shape, not correlate, (cy, cx), dtype, method, threads, finite)


def _band_filter(weights, out_shape, flip, anchor, dtype, method, threads, finite) -> BandFilter:
    """The correlation by `weights` (flipped for a convolution, with its anchor mirrored)
    planned for a valid output of `out_shape`, and the extension "same" needs."""
    _fitting(float(np.abs(weights).max()), "the kernel's largest weight", dtype)
    cy, cx = anchor
    if flip:
        weights = weights[::-1, ::-1]
        cy, cx = weights.shape[0] - 1 - cy, weights.shape[1] - 1 - cx
    kh, kw = weights.shape
    plan = make_plan(weights, out_shape, dtype, method, threads, finite=finite)
    return BandFilter(plan, (cy, kh - 1 - cy), (cx, kw - 1 - cx), (kh, kw), dtype)


def plan_for(
    image_shape,
    kernel,
    *,
    size: str = "same",
    dtype=np.float32,
    method: str = "auto",
    threads: int | None = None,
    finite: bool = True,
) -> Plan:
    """The plan :func:`convolve` and :func:`correlate` follow for an image of `image_shape`
    and this kernel (`finite`: whether the image is free of NaN and infinities, which rule
    out the FFT and low rank):
    ``plan.method`` is the method, ``plan.detail`` its shape (taps, rank, tiles),
    ``plan.threads`` the threads it uses and ``plan.seconds`` the cost model's estimate.

    >>> plan_for((3000, 4000, 3), np.ones((3, 3))).method
    'separable'
    >>> plan_for((3000, 4000, 3), np.random.default_rng(0).random((31, 31))).method
    'fft'
    """
    dtype, method, threads = _options(size, dtype, method, threads)
    weights = _as_kernel(kernel)
    shape = _image_shape(tuple(image_shape), weights.shape)
    return make_plan(weights, _out_shape(shape, weights.shape, size), dtype, method, threads, finite=finite)


def _options(size, dtype, method, threads):
    """Check the options shared by convolve, correlate and plan_for; return them normalised."""
    if size not in SIZE_MODES:
        raise ValueError(f"unknown size mode {size!r}; choose one of {', '.join(SIZE_MODES)}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, not {dtype}")
    name = method.lower() if isinstance(method, str) else method
    if name not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    threads = strips.available_cores() if threads is None else threads
    # bool is an int to Python, but threads=True is a mistake, not a count.
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads must be a whole number, 1 or more, not {threads!r}")
    return dtype, name, int(threads)


def _image_shape(shape: tuple[int, ...], kernel_shape: tuple[int, int]) -> tuple[int, ...]:
    """The image's shape as (H, W) or (H, W, C): a 1-D signal becomes one row."""
    if len(shape) not in (1, 2, 3):
        raise ValueError(f"image must be 1-D, 2-D or 3-D (H, W, C), not {len(shape)}-D")
    if len(shape) == 1:
        if kernel_shape[0] != 1:
            raise ValueError(f"a 1-D signal needs a 1-D kernel, not shape {kernel_shape}")
        shape = (1,) + shape
    if 0 in shape:
        raise ValueError(f"image is empty (shape {shape})")
    return shape


def _out_shape(shape: tuple[int, ...], kernel_shape: tuple[int, int], size: str) -> tuple[int, ...]:
    (height, width), (kh, kw) = shape[:2], kernel_shape
    if size == "same":
        return shape
    if size == "full":
        return (height + kh - 1, width + kw - 1) + shape[2:]
    if height < kh or width < kw:
        raise ValueError(
            f"size='valid' needs a kernel no larger than the image: kernel {kh}x{kw}, image {height}x{width}"
        )
    return (height - kh + 1, width - kw + 1) + shape[2:]


def _real(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, not {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, not {value!r}")
    return number


def _fitting(value: float, what: str, dtype: np.dtype) -> float:
    """`value`, which must be finite in the arithmetic's `dtype`: 1e39 is infinity in float32."""
    largest = float(np.finfo(dtype).max)
    if abs(value) > largest:
        raise ValueError(f"{what} {value:g} is beyond {dtype}'s range (±{largest:.3g})")
    return value


def _as_kernel(kernel) -> np.ndarray:
    weights = np.asarray(kernel)
    if weights.dtype.kind not in "biuf":
        raise ValueError(f"kernel must hold real numbers, not {weights.dtype}")
    weights = weights.astype(np.float64)
    if weights.ndim == 1:
        weights = weights[np.newaxis, :]
    if weights.ndim != 2:
        raise ValueError(f"kernel must be 1-D or 2-D, not {weights.ndim}-D")
    if weights.size == 0:
        raise ValueError("kernel is empty")
    if not np.all(np.isfinite(weights)):
        raise ValueError("kernel holds NaN or infinite values")
    return weights


def _anchor(anchor, shape, one_d, size):
    kh, kw = shape
    if anchor is None:
        return kh // 2, kw // 2
    if size != "same":
        raise ValueError(f"anchor applies to size='same' only, not size={size!r}")
    if one_d and np.ndim(anchor) == 0:
        anchor = (0, anchor)
    elif one_d and np.shape(anchor) == (1,):
        anchor = (0, anchor[0])
    cells = np.asarray(anchor)
    if cells.shape != (2,) or cells.dtype.kind not in "iu":
        raise ValueError(f"anchor must be two whole numbers (row, column), not {anchor!r}")
    cy, cx = (int(a) for a in cells)
    if not (0 <= cy < kh and 0 <= cx < kw):
        raise ValueError(f"anchor {(cy, cx)} lies outside the {kh}x{kw} kernel")
    return cy, cx
