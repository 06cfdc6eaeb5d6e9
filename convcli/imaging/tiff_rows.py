"""A TIFF's first page read a band of rows at a time, so that an image larger than memory can
be filtered strip by strip.

Only the layouts convcli's whole-image reader (:func:`.files.read_image`) reads the same way
are streamed: one page, samples interleaved (chunky), strips or tiles, uncompressed or LZW,
deflate or PackBits with or without horizontal differencing, 8- or 16-bit unsigned grey, grey
and alpha, RGB or RGBA (alpha unassociated; an unspecified extra sample dropped, as Pillow drops
it), upright. Anything else is left to that reader. The strips or tiles are read by their
offsets with os.pread, decoded by tifffile's decoder of the page (zlib, LZW and PackBits let
other threads run), and kept in a cache bounded by bytes, so that threads reading different
bands decode in parallel and memory holds a few bands, never the image.
"""

from __future__ import annotations

import operator
import os
import stat
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ConvcliError
from . import allowlist, files, integrity, sixteen
from .allowlist import TIFF_SIGNATURES

# The decoded bytes kept for reuse: a band's halo and the next band's start are read again.
CACHE_BYTES = 32 << 20
# An uncompressed strip is read this many bytes at most at a time: it may hold the whole image.
_PIECE_BYTES = 1 << 20
# A compressed strip or row of tiles decoding to more than this is no band: it is read whole.
_MOST_UNIT_BYTES = 256 << 20
# Compression codes streamed: none, LZW, deflate (Adobe's and the old code), PackBits.
_COMPRESSIONS = (1, 5, 8, 32946, 32773)
# ExtraSamples: 0 unspecified (dropped), 2 unassociated alpha; 1, premultiplied, is not streamed.
_UNSPECIFIED, _UNASSOCIATED = 0, 2


def open_rows(
    path: Path,
    max_pixels: int | None,
    *,
    warn: Callable[[str], None] = lambda message: None,
    cache_bytes: int = CACHE_BYTES,
) -> TiffRows | None:
    """The TIFF at `path` as :class:`TiffRows`, or None where it is not a file whose layout is
    streamed (see the module's description): the caller then reads it whole with
    :func:`.files.read_image`, which also reads what --allow-damaged asks for. An image over
    `max_pixels` (None: no limit) is refused as read_image refuses it, and so is one whose strips
    run past the end of the file or promise more than their compressed bytes can hold. What
    Pillow warns of in its tags is `warn`ed, naming the file, as read_image warns of it.

    >>> import tempfile, tifffile
    >>> folder = tempfile.mkdtemp()
    >>> tifffile.imwrite(f"{folder}/a.tif", np.arange(12, dtype=np.uint8).reshape(4, 3), rowsperstrip=1)
    >>> with open_rows(Path(folder, "a.tif"), None) as rows:
    ...     rows.shape, rows.mode, rows[1:3].tolist()
    ((4, 3), 'L', [[3, 4, 5], [6, 7, 8]])
    """
    path = Path(path)
    try:
        source = open(path, "rb")  # noqa: SIM115 - kept open by the TiffRows, closed by its close()
    except OSError:
        return None  # read_image says why
    rows = None
    try:
        rows = _opened(source, path, max_pixels, warn, cache_bytes)
    finally:
        if rows is None:  # refused, or left to read_image: the file is not kept open
            source.close()
    return rows


def _opened(source, path: Path, max_pixels: int | None, warn, cache_bytes: int) -> TiffRows | None:
    if not stat.S_ISREG(os.fstat(source.fileno()).st_mode) or source.read(4) not in TIFF_SIGNATURES:
        return None
    source.seek(0)  # tifffile reads a file from where it stands
    layout = _layout(source)
    if layout is None:
        return None
    files.check_size(path, layout.width, layout.height, max_pixels)
    source.seek(0)
    problem = integrity.check_tiff_promise(source) or integrity.check_tiff_extent(
        layout.offsets, layout.counts, os.fstat(source.fileno()).st_size
    )
    if problem:
        raise files.damage_error(path, problem, "TIFF")
    found = _metadata(source, layout, path, warn)
    if found is None or found[1] != 1:
        return None
    return TiffRows(path, source, layout, found[0], cache_bytes)


def _metadata(source, layout: _Layout, path: Path, warn) -> tuple[dict, int] | None:
    """The `info` read_image gives the file and its orientation, each read as read_image reads
    them: by Pillow's TIFF reader for the images Pillow holds, by :mod:`.sixteen`'s for the
    16-bit colour and grey-and-alpha ones; None where that reading fails (read_image says why)."""
    source.seek(0)
    with warnings.catch_warnings(record=True) as pillows:
        warnings.simplefilter("always")
        try:
            if layout.file_dtype.itemsize == 2 and layout.channels > 1:
                found = files.tiff_file_metadata(source)
            else:
                with files.pillow_limit_off(), allowlist.open_image(source) as opened:  # the size is checked
                    orientation = opened.getexif().get(0x0112, 1)  # before metadata() strips the tags
                    found = files.metadata(opened), orientation
        except Exception:  # noqa: BLE001 - tags Pillow cannot read: read_image says what it makes of them
            return None
    for message in dict.fromkeys(" ".join(str(caught.message).split()) for caught in pillows):
        warn(f"{path}: {message}")
    return found


class _Layout:
    """Where a page's rows are and how they decode: the rows of unit `u` (a strip, a piece of an
    uncompressed strip, or a row of tiles) are found by :meth:`rows_of`."""

    def __init__(self, page, channels: int):
        self.height, self.width = page.imagelength, page.imagewidth
        self.samples, self.channels = page.samplesperpixel, channels
        self.file_dtype = np.dtype(page.parent.byteorder + f"u{page.bitspersample // 8}")
        self.offsets, self.counts = page.dataoffsets, page.databytecounts
        self.tiled = page.is_tiled
        self.row_bytes = self.width * self.samples * self.file_dtype.itemsize
        # Uncompressed strips are read a piece at a time: no decoding needs the strip whole.
        self.pieces = int(page.compression) == 1 and page.predictor == 1 and not self.tiled
        if self.tiled:
            self.unit_rows = self.stride = page.tilelength
            self.tile_width = page.tilewidth
            self.across = -(-self.width // self.tile_width)
            self.per_stride = 1
        else:
            self.stride = min(page.rowsperstrip, self.height)
            self.unit_rows = max(1, min(self.stride, _PIECE_BYTES // self.row_bytes)) if self.pieces else self.stride
            self.per_stride = -(-self.stride // self.unit_rows)
        # How many strips or tiles the page's size and layout make.
        if self.tiled:
            self.segments = self.across * -(-self.height // self.unit_rows)
        else:
            self.segments = -(-self.height // self.stride)
        # tifffile's decoder of the page: made here, on one thread, as tifffile asks.
        self.decode = None if self.pieces else page.decode

    def unit_of(self, row: int) -> int:
        stride, within = divmod(row, self.stride)
        return stride * self.per_stride + within // self.unit_rows

    def rows_of(self, unit: int) -> tuple[int, int]:
        stride, piece = divmod(unit, self.per_stride)
        start = stride * self.stride + piece * self.unit_rows
        return start, min(start + self.unit_rows, (stride + 1) * self.stride, self.height)


def _layout(source) -> _Layout | None:
    """The :class:`_Layout` of the first page of the TIFF in `source`, or None where it is not streamed."""
    import tifffile

    try:
        with integrity.quiet("tifffile"), tifffile.TiffFile(source) as tiff:
            page = tiff.pages.first
            channels = _channels(page)
            if channels is None or sixteen.second_page(tiff):
                return None
            layout = _Layout(page, channels)
    except Exception:  # noqa: BLE001 - a structure tifffile cannot follow: read_image judges it
        return None
    if len(layout.offsets) != layout.segments or len(layout.counts) != layout.segments:
        return None  # tags that do not agree on the strips or tiles: read_image judges them
    if not layout.pieces and layout.unit_rows * layout.width * layout.samples * layout.file_dtype.itemsize > (
        _MOST_UNIT_BYTES
    ):
        return None  # one compressed strip holds the image, or most of it: no band to stream
    return layout


def _channels(page) -> int | None:
    """The channels a page is read as (its samples, less an unspecified extra one), or None
    where its layout is not streamed."""
    if page.bitspersample not in (8, 16) or page.sampleformat != 1 or page.is_subsampled:
        return None
    if int(page.compression) not in _COMPRESSIONS or page.predictor not in (1, 2) or page.fillorder != 1:
        return None
    samples = page.samplesperpixel
    if (samples > 1 and page.planarconfig != 1) or page.imagedepth != 1 or (page.is_tiled and page.tiledepth != 1):
        return None
    extras, photometric = tuple(page.extrasamples), int(page.photometric)
    colour = {1: 1, 2: 3}.get(photometric)  # grey (black at 0) and RGB; palettes, CMYK, YCbCr are not
    if colour is None or samples != colour + len(extras) or len(extras) > 1:
        return None
    if not extras or extras[0] == _UNASSOCIATED:
        return samples
    # Pillow drops an unspecified sample after 8-bit grey or RGB; sixteen after 16-bit RGB only.
    if extras[0] == _UNSPECIFIED and (colour == 3 or page.bitspersample == 8):
        return colour
    return None


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


class TiffRows:
    """The rows of a TIFF's first page, indexed as the decoded image's array would be:
    ``rows[i]`` one row, ``rows[a:b]`` a band (a new array, in native byte order). Safe to read
    from many threads at once: each decodes the strips it needs, and only a strip that another
    thread is decoding is waited for. Made by :func:`open_rows`.

    `shape` is (H, W) or (H, W, C), `dtype` uint8 or uint16, `mode` the image's mode as the
    pipeline names it ("L", "LA", "RGB", "RGBA", "I;16", or :data:`.sixteen.MODES`' 16-bit ones),
    `info` the metadata read_image gives the same file (:func:`.files.metadata`)."""

    def __init__(self, path: Path, source, layout: _Layout, info: dict, cache_bytes: int):
        self.path, self.info = path, info
        self._source, self._fd, self._layout = source, source.fileno(), layout
        self.dtype = layout.file_dtype.newbyteorder("=")
        channels = layout.channels
        self.shape = (layout.height, layout.width) + ((channels,) if channels > 1 else ())
        if self.dtype.itemsize == 1:
            self.mode = _MODES[channels]
        else:
            self.mode = "I;16" if channels == 1 else sixteen.MODES[channels]
        self.cache = _Cache(cache_bytes)

    def __getitem__(self, key):
        height = self.shape[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(height)
            if step != 1:
                raise IndexError("TiffRows reads bands of consecutive rows only (a slice of step 1)")
            band = np.empty((max(0, stop - start),) + self.shape[1:], self.dtype)
            if stop <= start:
                return band
            layout = self._layout
            for unit in range(layout.unit_of(start), layout.unit_of(stop - 1) + 1):
                first, last = layout.rows_of(unit)
                rows = self._unit(unit)
                low, high = max(first, start), min(last, stop)
                band[low - start : high - start] = rows[low - first : high - first]
            return band
        row = operator.index(key)
        if row < 0:
            row += height
        if not 0 <= row < height:
            raise IndexError(f"row {key} is outside an image of {height} rows")
        unit = self._layout.unit_of(row)
        return self._unit(unit)[row - self._layout.rows_of(unit)[0]].copy()

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> TiffRows:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _unit(self, unit: int) -> np.ndarray:
        return self.cache.get(unit, self._decoded)

    def _decoded(self, unit: int) -> np.ndarray:
        """The rows of `unit`, decoded, as (rows, W, C) in native byte order, read-only."""
        layout = self._layout
        first, last = layout.rows_of(unit)
        if layout.pieces:
            strip = first // layout.stride
            within = (first - strip * layout.stride) * layout.row_bytes
            size = (last - first) * layout.row_bytes
            if within + size > layout.counts[strip]:
                self._damaged(f"strip {strip + 1} of {len(layout.offsets)} holds fewer bytes than its rows need")
            data = self._read(strip, layout.offsets[strip] + within, size)
            samples = np.frombuffer(data, layout.file_dtype).reshape(last - first, layout.width, layout.samples)
        elif layout.tiled:
            samples = np.empty((last - first, layout.width, layout.samples), layout.file_dtype)
            row = first // layout.stride
            for column in range(layout.across):
                tile = self._segment(row * layout.across + column)
                left = column * layout.tile_width
                right = min(left + layout.tile_width, layout.width)
                samples[:, left:right] = tile[: last - first, : right - left]
        else:
            samples = self._segment(first // layout.stride)[: last - first]
        decoded = np.ascontiguousarray(samples[..., : layout.channels], dtype=self.dtype)
        if layout.channels == 1:
            decoded = decoded[..., 0]
        decoded.flags.writeable = False
        return decoded

    def _segment(self, index: int) -> np.ndarray:
        """Strip or tile `index` decoded by tifffile, as (rows, columns, samples)."""
        layout = self._layout
        data = self._read(index, layout.offsets[index], layout.counts[index])
        try:
            decoded = layout.decode(data, index)[0]
        except Exception as exc:  # noqa: BLE001 - each codec fails in its own way: ZlibError, ImcdError, ...
            which = f"strip or tile {index + 1} of {len(layout.offsets)}"
            self._damaged(f"{which}: its image data cannot be decoded ({exc})")
        return decoded[0]

    def _read(self, index: int, offset: int, size: int) -> bytes:
        """`size` bytes at `offset`, which strip or tile `index` holds."""
        if size == 0:
            self._damaged(f"its strip or tile {index + 1} of {len(self._layout.offsets)} is empty")
        try:
            data = os.pread(self._fd, size, offset)
            while 0 < len(data) < size:
                more = os.pread(self._fd, size - len(data), offset + len(data))
                if not more:
                    break
                data += more
        except OSError as exc:
            raise ConvcliError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        if len(data) < size:
            self._damaged(f"it ends inside its strip or tile {index + 1} of {len(self._layout.offsets)} (cut short)")
        return data

    def _damaged(self, problem: str):
        raise files.damage_error(self.path, problem, "TIFF")


class _Pending:
    """A unit one thread is decoding, which others wait for."""

    def __init__(self):
        self.done = threading.Event()
        self.value: np.ndarray | None = None
        self.error: BaseException | None = None


class _Cache:
    """Decoded units by index, the least recently used dropped once they pass `limit` bytes
    (the last one decoded is always kept). Decoding happens outside the lock: only a thread that
    wants a unit another is decoding waits, for that unit alone. `nbytes` is what it holds."""

    def __init__(self, limit: int):
        self.limit, self.nbytes = limit, 0
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, np.ndarray] = OrderedDict()
        self._pending: dict[int, _Pending] = {}

    def get(self, unit: int, decode) -> np.ndarray:
        with self._lock:
            kept = self._kept.get(unit)
            if kept is not None:
                self._kept.move_to_end(unit)
                return kept
            pending = self._pending.get(unit)
            mine = pending is None
            if mine:
                pending = self._pending[unit] = _Pending()
        if not mine:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.value
        try:
            value = decode(unit)
        except BaseException as exc:
            with self._lock:
                del self._pending[unit]
            pending.error = exc
            pending.done.set()
            raise
        with self._lock:
            del self._pending[unit]
            self._kept[unit] = value
            self.nbytes += value.nbytes
            while self.nbytes > self.limit and len(self._kept) > 1:
                _, dropped = self._kept.popitem(last=False)
                self.nbytes -= dropped.nbytes
        pending.value = value
        pending.done.set()
        return value
