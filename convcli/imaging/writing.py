"""Writing images and arrays: atomically into files, whole into stdout, devices and FIFOs."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, PngImagePlugin

from ..errors import ConvcliError, UsageError
from .files import LOSSY_FORMATS, is_stream

JPEG_QUALITY = 92  # ImageMagick's default; Pillow's 75 visibly blurs filtered detail.


def check_stdout() -> None:
    """Refuse to write image data to a closed stdout or to a terminal."""
    if sys.stdout is None:
        raise ConvcliError("stdout is closed: give -o FILE")
    if sys.stdout.isatty():
        raise UsageError("stdout is a terminal: give -o FILE, or redirect stdout to a file or a pipe")


def write_array_atomic(array: np.ndarray, path: Path) -> None:
    """Write `array` as a .npy file, atomically as :func:`write_image_atomic` does."""
    _write_atomic(path, "NPY", lambda stream: np.save(stream, array, allow_pickle=False))


def write_image_atomic(
    image: Image.Image, path: Path, fmt: str, quality: int | None = None, info: dict | None = None
) -> None:
    """Write `image` to a temporary file beside `path`, then rename it into place, so an
    existing file is either untouched or wholly replaced. `quality` (1-100) applies to the
    lossy formats, JPEG and WebP; JPEG's default is 92. `info` is :func:`metadata`'s, written
    where the format has room for it (Pillow's writers pass over what they cannot hold)."""
    if quality is None and fmt == "JPEG":
        quality = JPEG_QUALITY
    params = _save_params(info or {}, fmt, image.mode)
    if quality is not None and fmt in LOSSY_FORMATS:
        params["quality"] = quality
    if fmt == "JPEG" and quality >= 90:
        params["subsampling"] = 0  # full-resolution colour at high quality, as ImageMagick does
    _write_atomic(path, fmt, lambda stream: image.save(stream, format=fmt, **params))


def _save_params(info: dict, fmt: str, mode: str) -> dict:
    """:func:`metadata`'s entries as `fmt`'s writer takes them: PNG holds text, comments and
    XMP as text chunks, TIFF its XMP as a tag; fax compression is for bilevel images only."""
    params = {key: value for key, value in info.items() if key != "text"}
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
    elif fmt == "TIFF" and "xmp" in info:
        params["tiffinfo"] = {700: info["xmp"]}
    return params


def is_special(path: Path) -> bool:
    """An existing file that is not a regular one (a device such as /dev/null, a FIFO): it is
    written into, as `>` would, never replaced by a rename."""
    return path.exists() and not path.is_file() and not path.is_dir()


def _write_atomic(path: Path, fmt: str, write) -> None:
    if is_stream(path) or is_special(path):  # encoded whole first, so a failed encoding writes nothing
        name = "stdout" if is_stream(path) else str(path)
        buffer = io.BytesIO()
        try:
            write(buffer)
        except (OSError, ValueError, KeyError) as exc:
            raise ConvcliError(f"{name}: cannot write {fmt}: {exc}") from None
        try:
            if is_stream(path):
                _write_all(sys.stdout.buffer, buffer.getbuffer())
            else:
                with open(path, "wb") as stream:
                    _write_all(stream, buffer.getbuffer())
        except BrokenPipeError:
            # The reader left: say so once, and keep Python from complaining again at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise ConvcliError(f"{name}: the reader closed the pipe before the image was written") from None
        except OSError as exc:
            raise ConvcliError(f"{name}: cannot write: {exc.strerror or exc}") from None
        return
    # Write through a symbolic link, as `>` would, rather than replace the link itself.
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    directory = target.parent
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except FileNotFoundError as exc:
        if not directory.is_dir():
            raise ConvcliError(f"{path}: cannot write: directory {str(directory)!r} does not exist") from None
        raise ConvcliError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except OSError as exc:
        raise ConvcliError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
        os.chmod(temp, _file_mode(target))
        os.replace(temp, target)
    except BaseException as exc:
        os.unlink(temp)
        if isinstance(exc, (OSError, ValueError, KeyError)):
            # strerror alone: the full OSError text would name the temporary file.
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ConvcliError(f"{path}: cannot write {fmt}: {reason}") from None
        raise


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
