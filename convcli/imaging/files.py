"""Reading images with Pillow and writing them atomically, with errors that name the file."""

from __future__ import annotations

import functools
import io
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ConvcliError, UsageError

JPEG_QUALITY = 92  # ImageMagick's default; Pillow's 75 visibly blurs filtered detail.


def read_image(path: Path) -> Image.Image:
    """Open and fully decode `path`, with its EXIF orientation applied."""
    try:
        with Image.open(path) as opened:
            opened.load()
            return ImageOps.exif_transpose(opened)
    except FileNotFoundError:
        raise ConvcliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConvcliError(f"{path}: is a directory, not an image") from None
    except PermissionError:
        raise ConvcliError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        raise ConvcliError(f"{path}: not an image format Pillow can read") from None
    except Image.DecompressionBombError as exc:
        raise ConvcliError(f"{path}: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ConvcliError(f"{path}: cannot decode image ({exc})") from None


def output_format(path: Path) -> str:
    """The Pillow format that writes `path`, chosen by its extension."""
    Image.init()
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        what = f"extension {path.suffix!r}" if path.suffix else "no extension"
        raise UsageError(
            f"{path}: {what} names no image format convcli can write "
            "(use .png, .jpg, .tif, .bmp, .webp or another format Pillow writes)"
        )
    return fmt


def default_output_path(source: Path, tag: str) -> Path:
    """`photo.png` filtered by `tag` goes to `photo.<tag>.png` beside it; a source whose
    extension names no format Pillow writes (`scan`, `scan.v2`, `icon.xpm`) gets `.png`
    appended: `scan.v2.<tag>.png`."""
    Image.init()
    if Image.registered_extensions().get(source.suffix.lower()) in Image.SAVE:
        return source.with_name(f"{source.stem}.{tag}{source.suffix}")
    return source.with_name(f"{source.name}.{tag}.png")


def holds_alpha(fmt: str) -> bool:
    """Whether Pillow writes an alpha channel in `fmt` and reads it back unchanged.

    >>> holds_alpha("PNG"), holds_alpha("JPEG"), holds_alpha("BMP")
    (True, False, False)
    """
    return _round_trips(fmt, "LA")


def holds_16_bit(fmt: str) -> bool:
    """Whether Pillow writes 16-bit grey in `fmt` and reads the same values back.

    >>> holds_16_bit("PNG"), holds_16_bit("TIFF"), holds_16_bit("WEBP")
    (True, True, False)
    """
    return _round_trips(fmt, "I;16")


_SAMPLES = {
    "LA": np.array([[[10, 7], [200, 255], [3, 128]]], np.uint8),
    "I;16": np.array([[0, 1000, 65535]], np.uint16),
}


@functools.lru_cache(maxsize=None)
def _round_trips(fmt: str, mode: str) -> bool:
    # Pillow's format plug-ins say nothing reliable about what they keep: some refuse a
    # mode, others silently clip 16-bit to 8 or drop alpha. Writing a tiny sample and
    # reading it back is the only honest test.
    sample = _SAMPLES[mode]
    buffer = io.BytesIO()
    try:
        Image.fromarray(sample).save(buffer, format=fmt)
        buffer.seek(0)
        with Image.open(buffer) as back:
            if mode == "LA":
                return "A" in back.getbands() and np.array_equal(back.getchannel("A"), sample[..., 1])
            return np.array_equal(np.asarray(back), sample)
    except Exception:  # any failure to write or read back means the format cannot hold it
        return False


def write_image_atomic(image: Image.Image, path: Path, fmt: str) -> None:
    """Write `image` to a temporary file beside `path`, then rename it into place, so an
    existing file is either untouched or wholly replaced."""
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
            params = {"quality": JPEG_QUALITY} if fmt == "JPEG" else {}
            image.save(stream, format=fmt, **params)
        os.chmod(temp, _file_mode(target))
        os.replace(temp, target)
    except BaseException as exc:
        os.unlink(temp)
        if isinstance(exc, (OSError, ValueError, KeyError)):
            # strerror alone: the full OSError text would name the temporary file.
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ConvcliError(f"{path}: cannot write {fmt}: {reason}") from None
        raise


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
