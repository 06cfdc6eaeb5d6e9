"""Writing images and arrays: atomically into files, whole into stdout, devices and FIFOs."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import queue
import re
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, PngImagePlugin

from ..errors import ConvcliError
from . import sixteen
from .background import Background
from .files import LOSSY_FORMATS, is_stream

JPEG_QUALITY = 92  # ImageMagick's default; Pillow's 75 visibly blurs filtered detail.


def write_array_atomic(array: np.ndarray, path: Path, *, force: bool = False) -> None:
    """Write `array` as a .npy file, atomically as :func:`write_image_atomic` does."""
    _write_atomic(path, "NPY", lambda stream: np.save(stream, array, allow_pickle=False), force)


def write_image_atomic(
    image: Image.Image,
    path: Path,
    fmt: str,
    quality: int | None = None,
    info: dict | None = None,
    *,
    force: bool = False,
) -> None:
    """Write `image` to a temporary file beside `path`, then put it in place in one step: a
    file at `path` by then, even one that appeared while the image was made, is kept and the
    write fails (:class:`Appeared`) unless `force`, which replaces it wholly or not at all. A
    killed run leaves no temporary file where Linux's unnamed ones can be used; elsewhere its
    named one is removed by a later write into the folder. `quality` (1-100) applies to the
    lossy formats, JPEG and WebP; JPEG's default is 92. `info` is :func:`metadata`'s, written
    where the format has room for it (Pillow's writers pass over what they cannot hold)."""
    if quality is None and fmt == "JPEG":
        quality = JPEG_QUALITY
    params = save_params(info or {}, fmt, image.mode)
    if quality is not None and fmt in LOSSY_FORMATS:
        params["quality"] = quality
    if fmt == "JPEG" and quality >= 90:
        params["subsampling"] = 0  # full-resolution colour at high quality, as ImageMagick does
    _write_atomic(path, fmt, lambda stream: image.save(stream, format=fmt, **params), force)


def write_sixteen_atomic(
    pixels: np.ndarray, path: Path, fmt: str, info: dict | None = None, *, force: bool = False
) -> None:
    """Write (H, W, C) uint16 `pixels` (grey and alpha, RGB or RGBA) as a 16-bit PNG or TIFF,
    which Pillow cannot write, through :mod:`.sixteen`, atomically as :func:`write_image_atomic`
    does, with `info`'s metadata as Pillow's writers would place it."""
    params = save_params(info or {}, fmt, sixteen.MODES[pixels.shape[-1]])
    _write_atomic(path, fmt, lambda stream: sixteen.write(pixels, stream, fmt, params), force)


def save_params(info: dict, fmt: str, mode: str) -> dict:
    """:func:`metadata`'s entries as `fmt`'s writer takes them: PNG holds text, comments and
    XMP as text chunks; TIFF holds the EXIF's tags, the XMP and the IPTC in its own directory,
    and a TIFF's resolution as it was (other formats get it per inch); fax compression is for
    bilevel images only."""
    params = {key: value for key, value in info.items() if key not in ("text", "resolution", "iptc")}
    if params.get("compression") in ("group3", "group4") and mode != "1":
        del params["compression"]
    if fmt == "PNG":
        chunks = PngImagePlugin.PngInfo()
        for key, value in info.get("text", {}).items():
            chunks.add_text(key, value)
        if "comment" in info:
            chunks.add_text("Comment", info["comment"].decode("utf-8", "replace"))
        if "xmp" in info:
            chunks.add_itxt("XML:com.adobe.xmp", info["xmp"].decode("utf-8", "replace"), zip=False)
        params["pnginfo"] = chunks
    elif fmt == "TIFF":
        # One directory holds it all: Pillow's writer takes the EXIF or tiffinfo, not both.
        tags = Image.Exif()
        if "exif" in params:
            tags.load(params.pop("exif"))
        for code, value in tags.items():  # Pillow reads ASCII tags as Latin-1, and writes them as ASCII
            if isinstance(value, str):
                tags[code] = value.encode("latin-1", "replace")
        for code, key in ((700, "xmp"), (33723, "iptc")):
            if key in info:
                tags[code] = info[key]
        params.pop("xmp", None)
        if tags:
            params["tiffinfo"] = tags
        if "resolution" in info:
            params.pop("dpi", None)
            params["x_resolution"], params["y_resolution"], params["resolution_unit"] = info["resolution"]
    return params


def is_special(path: Path) -> bool:
    """An existing file that is not a regular one (a device such as /dev/null, a FIFO): it is
    written into, as `>` would, never replaced by a rename."""
    return path.exists() and not path.is_file() and not path.is_dir()


class Appeared(ConvcliError):
    """The destination did not exist when the run began and does now: it is kept."""


def _write_atomic(path: Path, fmt: str, write, force: bool) -> None:
    with _writing(path, fmt, write, force):
        pass


@contextlib.contextmanager
def streamed(path: Path, fmt: str, write: Callable[[BinaryIO, Iterator], None], *, force: bool = False):
    """Write a file of `fmt` as its blocks are made, atomically as :func:`write_image_atomic`
    writes one: ``with streamed(path, "TIFF", write) as sink: sink.put(block) ...``.

    The calling thread makes the blocks and puts them; a background thread runs
    ``write(stream, blocks)``, `blocks` an iterator of what was put, in order, with a few
    blocks queued between them, so that neither the image nor its file need be in memory whole.
    `stream` is seekable and readable. The calling thread waits only in short slices, so that
    Ctrl-C and SIGTERM are answered at once. When the block ends the file is put in place as
    write_image_atomic puts it (refused without `force` if something appeared at `path`); when
    it raises, or `write` fails (raised here as write_image_atomic raises it, naming `path`),
    nothing is put in place and no temporary file is left. stdout, a device or a FIFO gets the
    file whole once it is written, as write_image_atomic writes into them: it is then held in
    memory.
    """
    sink = _Sink()
    with _writing(path, fmt, lambda stream: write(stream, sink.blocks()), force) as encoder:
        sink.encoder = encoder
        try:
            yield sink
        except BaseException:
            sink.abandon()
            raise
        sink.put(_Sink.END)


class _Sink:
    """The queue between the thread that makes an image's blocks and the encoder that writes them."""

    END = object()  # put after the last block
    _WAIT = 0.05  # seconds at a time: a signal is answered between two waits
    _QUEUED = 4  # blocks made ahead of the encoder

    def __init__(self):
        self.encoder: Background | None = None
        self._queue: queue.Queue = queue.Queue(self._QUEUED)
        self._abandoned = threading.Event()

    def put(self, block) -> None:
        """Queue `block` for the encoder, waiting while the queue is full; raise what the encoder
        raised if it stopped meanwhile."""
        while True:
            try:
                self._queue.put(block, timeout=self._WAIT)
                return
            except queue.Full:
                if not self.encoder.alive:
                    raise _EncoderStopped() from None

    def blocks(self) -> Iterator:
        """The blocks put, on the encoder's side, until the end; stops the encoder when the writing is abandoned."""
        while True:
            try:
                block = self._queue.get(timeout=self._WAIT)
            except queue.Empty:
                block = None
            if self._abandoned.is_set():
                raise _Abandoned()
            if block is _Sink.END:
                return
            if block is not None:
                yield block

    def abandon(self) -> None:
        self._abandoned.set()


class _EncoderStopped(Exception):
    """The encoder ended while blocks were still coming: what it raised is raised by the writer."""


class _Abandoned(Exception):
    """The encoder's end when the blocks stop coming: the run failed or was interrupted."""


@contextlib.contextmanager
def _writing(path: Path, fmt: str, write, force: bool):
    """Run `write` (given the stream to write into) in the background while the block runs,
    and then put what it wrote in place: see :func:`write_image_atomic`."""
    if is_stream(path):
        with _writing_into(path, fmt, write, None) as encoder:
            yield encoder
        return
    stream = _open_special(path) if is_special(path) else None
    if stream is not None:
        with _writing_into(path, fmt, write, stream) as encoder:
            yield encoder
        return
    with _writing_file(path, _target(path, force), fmt, write, force) as encoder:
        yield encoder


def _open_special(path: Path) -> BinaryIO | None:
    """`path` opened for writing into, as `>` opens a device or a FIFO, but neither created nor
    truncated: None if it has become a regular file meanwhile, which is then written as a file
    is, never over."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:  # gone meanwhile: a new file, written as one
        return None
    except OSError as exc:
        raise ConvcliError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "wb")


@contextlib.contextmanager
def _cannot_write(name: str, fmt: str):
    """An encoder's failure as one line naming `name` (never a temporary file: an OSError's
    strerror alone)."""
    try:
        yield
    except (OSError, ValueError, KeyError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConvcliError(f"{name}: cannot write {fmt}: {reason}") from None


@contextlib.contextmanager
def _stopped_early(encoder: Background, name: str, fmt: str):
    """Where the encoder ended before it took every block, raise what it raised, as its failure
    is raised at the end (the block's own failures pass as they are)."""
    try:
        yield
    except _EncoderStopped:
        with _cannot_write(name, fmt):
            encoder.wait()
            raise ValueError("the encoder stopped before it took every block") from None


@contextlib.contextmanager
def _writing_into(path: Path, fmt: str, write, stream: BinaryIO | None):
    """Encode the image whole, so that a failed encoding writes nothing, then write it to stdout
    (`stream` None) or into the device or FIFO `stream`."""
    name = "stdout" if stream is None else str(path)
    buffer = io.BytesIO()
    try:
        encoder = Background(lambda: write(buffer))
        with _stopped_early(encoder, name, fmt):
            yield encoder
        with _cannot_write(name, fmt):
            encoder.wait()
    except BaseException:
        if stream is not None:
            stream.close()
        raise
    try:
        if stream is None:
            _write_all(sys.stdout.buffer, buffer.getbuffer())
        else:
            with stream:
                _write_all(stream, buffer.getbuffer())
    except BrokenPipeError:
        # The reader left: say so once, and keep Python from complaining again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise ConvcliError(f"{name}: the reader closed the pipe before the image was written") from None
    except OSError as exc:
        raise ConvcliError(f"{name}: cannot write: {exc.strerror or exc}") from None


def through_link(path: Path) -> Path | None:
    """The file that writing to `path` writes: through a symbolic link, the file it points to,
    as `>` would, rather than the link itself (a dangling link: the file it names, created);
    None for a link that leads to no file (a loop, or a folder on the way that refuses entry)."""
    if not path.is_symlink():
        return path
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        return Path(os.path.realpath(path))
    except OSError:
        return None


def _target(path: Path, force: bool) -> Path:
    """:func:`through_link`'s file; a link that leads to no file is itself replaced, with `force` only."""
    target = through_link(path)
    if target is None and not force:
        raise ConvcliError(leads_nowhere(path))
    return path if target is None else target


def leads_nowhere(path: Path) -> str:
    """The refusal of a symbolic link that leads to no file."""
    return f"{path}: is a symbolic link that leads to no file (a loop?); use --force to replace it"


@contextlib.contextmanager
def _writing_file(path: Path, target: Path, fmt: str, write, force: bool):
    """Write a regular file: into a temporary file in `target`'s folder while the block runs,
    then into place in one step that, without `force`, fails if anything is at `target` by then,
    and with it replaces that atomically. Errors name `path`, never the temporary file."""
    directory = target.parent
    _remove_stale_temporaries(directory)
    temporary = _open_temporary(path, directory, target.name)
    try:
        with _cannot_write(str(path), fmt):
            own = os.dup(temporary.fd)  # the encoder's to close: it may outlive an interrupted run

        def encode() -> None:
            with os.fdopen(own, "r+b") as stream:  # readable: a TIFF's tags are mended after
                write(stream)

        encoder = Background(encode)
        with _stopped_early(encoder, str(path), fmt):
            yield encoder
        with _cannot_write(str(path), fmt):
            encoder.wait()
            os.fchmod(temporary.fd, _file_mode(target))
            try:
                temporary.publish(target.name, force)
            except FileExistsError:
                raise Appeared(f"{path}: appeared while convcli was working; use --force to replace it") from None
    finally:
        temporary.close()


# convcli's own named temporaries: .NAME.convcli-PID.RANDOM.tmp, with the writer's process id.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.convcli-(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp", re.DOTALL)
# Filesystems that refuse O_TMPFILE: it is not implemented there, or the kernel predates it.
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


# What link(2) answers on a filesystem without hard links (FAT, some network filesystems).
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.ENOSYS}


def _rename_exclusive(folder: int, source: str, destination: str) -> None:
    """Rename `source` to `destination` in `folder` unless something is there (Linux's
    renameat2 with RENAME_NOREPLACE): for filesystems that cannot link."""
    import ctypes  # noqa: PLC0415 - only where hard links are missing

    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        raise OSError(errno.ENOSYS, "this system can neither link nor rename without replacing")
    if libc.renameat2(folder, os.fsencode(source), folder, os.fsencode(destination), 1) != 0:  # 1: RENAME_NOREPLACE
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _temporary_name(name: str) -> str:
    return f".{name}.convcli-{os.getpid()}.{os.urandom(4).hex()}.tmp"  # as secrets.token_hex, without hmac and hashlib


class _Temporary:
    """The file an image is written into before it takes its place: on Linux an unnamed one
    (O_TMPFILE), which vanishes with its descriptor if the run is killed; elsewhere, or where the
    filesystem refuses that, a named one beside the destination (see :func:`stale_temporaries`).
    Names are relative to `folder`, a descriptor of the destination's folder, so that the file
    lands in the folder it was written in even if a folder on the way is renamed meanwhile."""

    def __init__(self, folder: int, fd: int, name: str | None):
        self.folder, self.fd, self.name = folder, fd, name

    def publish(self, destination: str, force: bool) -> None:
        """Give the file its place as `destination`: without `force` by a hard link, which fails
        with FileExistsError if anything is there, even a dangling symbolic link; with it by a
        rename, which replaces what is there atomically."""
        if self.name is None:  # unnamed: it is linked in through /proc, following the magic link
            if not force:
                self._link(f"/proc/self/fd/{self.fd}", destination, follow=True)
                return
            self.name = self._link_named(f"/proc/self/fd/{self.fd}", destination)
        if force:
            os.replace(self.name, destination, src_dir_fd=self.folder, dst_dir_fd=self.folder)
        else:
            try:
                self._link(self.name, destination, follow=False)
                return  # the temporary name goes when the file is closed
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
            _rename_exclusive(self.folder, self.name, destination)
        self.name = None

    def _link(self, source: str, destination: str, follow: bool) -> None:
        # A dst_dir_fd makes CPython call linkat(2); os.link without one calls link(2), which
        # would link the /proc magic link itself rather than the file it stands for.
        flag = {"follow_symlinks": True} if follow else {"src_dir_fd": self.folder}
        os.link(source, destination, dst_dir_fd=self.folder, **flag)

    def _link_named(self, source: str, destination: str) -> str:
        """Link the unnamed file under a fresh temporary name, so that it can be renamed into place."""
        while True:
            name = _temporary_name(destination)
            try:
                os.link(source, name, dst_dir_fd=self.folder, follow_symlinks=True)
                return name
            except FileExistsError:  # another writer drew the same name: draw again
                continue

    def close(self) -> None:
        """Close the file, and remove its name if it still has one of its own."""
        os.close(self.fd)
        if self.name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.name, dir_fd=self.folder)
        os.close(self.folder)


def _open_temporary(path: Path, directory: Path, name: str) -> _Temporary:
    """A temporary file in `directory` for the image that becomes `name` there; errors name `path`."""
    try:
        folder = os.open(directory, _FOLDER_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise ConvcliError(f"{path}: cannot write: directory {str(directory)!r} does not exist") from None
    except OSError as exc:
        raise ConvcliError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        return _Temporary(folder, *_create(folder, name))
    except BaseException as exc:
        os.close(folder)
        if isinstance(exc, OSError):
            raise ConvcliError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise


_FOLDER_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0)


def _create(folder: int, name: str) -> tuple[int, str | None]:
    """An unnamed file in `folder` where the system makes one and /proc can link it into place,
    else a new named temporary; the descriptor and the name (None for an unnamed file). Both are
    0600 until written: the image's mode is set at the end."""
    if _unnamed_files():
        try:
            return os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600, dir_fd=folder), None
        except OSError as exc:
            if exc.errno not in _NO_TMPFILE:
                raise
    while True:
        temporary = _temporary_name(name)
        try:
            return os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600, dir_fd=folder), temporary
        except FileExistsError:
            continue


def _unnamed_files() -> bool:
    """Whether unnamed temporary files can be made (O_TMPFILE) and then linked in (/proc)."""
    return hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def stale_temporaries(directory: Path, name: str | None = None) -> list[Path]:
    """convcli's own temporary files in `directory` (for the destination `name` only, if given)
    whose writer is no longer running on this machine: what a run killed before it could clean
    up leaves where unnamed temporary files are not available. Nothing else is ever listed: the
    name must be convcli's pattern, the file a regular one, its process gone."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    stale = []
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None or (name is not None and match["name"] != name):
            continue
        if entry.is_file(follow_symlinks=False) and not _running(int(match["pid"])):
            stale.append(Path(directory, entry.name))
    return stale


def _running(pid: int) -> bool:
    """Whether process `pid` runs on this machine (this one included, whatever it writes)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:  # beyond any process id: not a process
        return False
    return True


_cleaned: set[str] = set()


def _remove_stale_temporaries(directory: Path) -> None:
    """Remove the stale temporaries of :func:`stale_temporaries`, once per folder and process."""
    key = os.path.abspath(directory)
    if key in _cleaned:
        return
    _cleaned.add(key)
    for path in stale_temporaries(directory):
        with contextlib.suppress(OSError):
            path.unlink()


def _write_all(stream: BinaryIO, data: memoryview) -> None:
    """Write all of `data`: with PYTHONUNBUFFERED (python -u), sys.stdout.buffer is the raw file,
    whose write() may take only what a pipe has room for and return the count."""
    while data:
        written = stream.write(data)
        data = data[written if written is not None else 0 :]
    stream.flush()


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
