"""Reading images with Pillow and writing them atomically, with errors that name the file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
    """`photo.png` filtered by `tag` goes to `photo.<tag>.png` beside it; a source with no
    image extension (`scan`, `scan.v2`) gets `.png` appended: `scan.v2.<tag>.png`."""
    Image.init()
    if source.suffix.lower() in Image.registered_extensions():
        return source.with_name(f"{source.stem}.{tag}{source.suffix}")
    return source.with_name(f"{source.name}.{tag}.png")


def write_image_atomic(image: Image.Image, path: Path, fmt: str) -> None:
    """Write `image` to a temporary file beside `path`, then rename it into place, so an
    existing file is either untouched or wholly replaced."""
    directory = path.parent
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
        os.chmod(temp, _file_mode(path))
        os.replace(temp, path)
    except BaseException as exc:
        os.unlink(temp)
        if isinstance(exc, (OSError, ValueError, KeyError)):
            raise ConvcliError(f"{path}: cannot write {fmt}: {exc}") from None
        raise


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
