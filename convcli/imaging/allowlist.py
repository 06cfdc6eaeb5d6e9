"""The image formats convcli opens, recognised by their content, and what a refused file really is.

Pillow tries every plugin it has on a file, whatever its name, and some of them hand the file
to another program: EPS and PostScript go to Ghostscript, an interpreter that can write files
and read them. As ImageMagick's security policy disables its PS, EPS and PDF coders, convcli
opens only the raster formats named here, each decoded inside the process by Pillow's own
plugins; any other file is refused, and named for what its first bytes say it is. PNG and TIFF
images of 16-bit colour, which Pillow has no mode for, are recognised by the signatures below
and decoded by libpng and tifffile instead (see :mod:`.sixteen`).
"""

from __future__ import annotations

from typing import BinaryIO

from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    IcoImagePlugin,
    Image,
    JpegImagePlugin,
    PcxImagePlugin,
    PngImagePlugin,
    PpmImagePlugin,
    QoiImagePlugin,
    TgaImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

# Importing the plugins registers exactly these, without the ~40 of Image.init(). TGA has no
# signature, so its plugin would accept many other files: it is tried last.
_PLUGINS = (
    PngImagePlugin,
    JpegImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
    GifImagePlugin,
    BmpImagePlugin,
    PpmImagePlugin,
    QoiImagePlugin,
    PcxImagePlugin,
    IcoImagePlugin,
    TgaImagePlugin,
)
READ_FORMATS = tuple(plugin.__name__.rsplit(".", 1)[-1].removesuffix("ImagePlugin").upper() for plugin in _PLUGINS)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, either byte order
# How the README names them, with the extensions they usually carry.
READ_FORMATS_NAMED = "PNG, JPEG, TIFF, WebP, GIF, BMP, PNM (PBM, PGM, PPM, PFM), QOI, PCX, ICO, TGA and NumPy .npy"

# First bytes of what convcli refuses, so that the message says what the file is. Programs
# first: a file that would run one must be named as such whatever its extension says.
_SIGNATURES = (
    (b"%!", "a PostScript program, which only Ghostscript, an interpreter, renders"),
    (b"\xc5\xd0\xd3\xc6", "an EPS (PostScript) program, which only Ghostscript, an interpreter, renders"),
    (b"%PDF", "a PDF document, which holds programs and is rendered by an interpreter"),
    (b"\x04%!", "a PostScript program, which only Ghostscript, an interpreter, renders"),
    (b"<?xml", "an XML document (SVG?), which convcli does not render"),
    (b"<svg", "an SVG drawing, which convcli does not render"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image, a format convcli does not read"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 codestream, a format convcli does not read"),
    (b"8BPS", "a Photoshop document, a format convcli does not read"),
    (b"/* XPM */", "an XPM image, a format convcli does not read"),
    (b"\xd7\xcd\xc6\x9a", "a Windows metafile, which holds drawing commands"),
    (b"\x01\x00\x00\x00", "an EMF metafile, which holds drawing commands"),
    (b"DDS ", "a DDS texture, a format convcli does not read"),
    (b"SIMPLE  =", "a FITS file, a format convcli does not read"),
    (b"\x89HDF", "an HDF5 file, a format convcli does not read"),
    (b"PK\x03\x04", "a ZIP archive, not an image"),
    (b"\x1f\x8b", "a gzip archive, not an image"),
    (b"\x7fELF", "a program (ELF executable), not an image"),
    (b"#!", "a script, not an image"),
)


class RefusedFormat(Exception):
    """A file whose format convcli does not open; the message says what it is."""


def open_image(source: str | BinaryIO) -> Image.Image:
    """Open `source` (a path or a binary stream) lazily with Pillow, trying only the formats
    convcli reads; refuse anything else with :class:`RefusedFormat`, before any decoder runs.

    >>> import io
    >>> open_image(io.BytesIO(b"%!PS-Adobe-3.0 EPSF-3.0\\n"))
    Traceback (most recent call last):
    ...
    convcli.imaging.allowlist.RefusedFormat: is a PostScript program, which only Ghostscript, ...
    """
    if isinstance(source, str):
        with open(source, "rb") as stream:
            head = stream.read(64)
    else:
        start = source.tell()
        head = source.read(64)
        source.seek(start)
    what = what_it_is(head)
    if what is not None:
        raise RefusedFormat(f"is {what}; convcli opens only {READ_FORMATS_NAMED}, and never runs another program")
    return Image.open(source, formats=READ_FORMATS)


def what_it_is(head: bytes) -> str | None:
    """What a refused format's first bytes say the file is; None where they name no format convcli refuses.

    >>> what_it_is(b"%PDF-1.7"), what_it_is(b"\\x89PNG\\r\\n\\x1a\\n")
    ('a PDF document, which holds programs and is rendered by an interpreter', None)
    """
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")  # a BOM or blank lines before a text format's magic
    for signature, what in _SIGNATURES:
        if head.startswith(signature) or (signature[:1] in b"%<" and stripped.startswith(signature)):
            return what
    if head[4:8] == b"ftyp":
        return "an ISO media file (HEIF, AVIF or a video), a format convcli does not read"
    return None
