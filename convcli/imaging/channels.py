"""Images and arrays to float planes and back: colour bands, alpha, bit depth, palettes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import ConvcliError
from .depth import EIGHT, INT32, SIXTEEN, Depth, floating, of_dtype
from .sixteen import MODES

# Modes read as another: a palette or bilevel image is filtered in the colours it shows, and
# colour spaces convcli has no filters for are converted to RGB.
_READ_AS = {
    "1": "L",
    "P": "RGB",
    "PA": "RGBA",
    "La": "LA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
}
# One-band modes of more than 8 bits; "I;16B" and the like differ only in byte order.
_GREY_DEPTHS = {"I;16": SIXTEEN, "I": INT32, "F": floating()}
_BANDS = {"L": "L", "LA": "L", "RGB": "RGB", "RGBA": "RGB", "CMYK": "CMYK"}


@dataclass
class Planes:
    """An image as decoded: `pixels`, (H, W) or (H, W, C) in the image's own dtype, with alpha
    last where `has_alpha`; or, for a file read a band of rows at a time, any object that
    gives them as ``pixels[r0:r1]`` and has their ``shape`` and ``dtype``. Its values are in
    the units of `depth`. `bands` is L, RGB or CMYK; `source_mode` the Pillow mode the file
    had ("array" for .npy), which a palette or bilevel output can return to."""

    pixels: np.ndarray
    has_alpha: bool
    bands: str
    depth: Depth
    source_mode: str

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width)."""
        return tuple(self.pixels.shape[:2])

    @property
    def colours(self) -> int:
        """How many colour channels there are: 1 (grey), 3 (RGB) or 4 (CMYK)."""
        return len(self.bands)

    def colour(self) -> np.ndarray:
        """The colour planes of the whole image, (H, W) or (H, W, C), as floats of the depth's
        compute type: a copy, for what looks at the image whole (compare's panels, explain)."""
        pixels = np.asarray(self.pixels[:])
        if pixels.ndim == 3:
            pixels = pixels[..., 0] if self.colours == 1 else pixels[..., : self.colours]
        return pixels.astype(self.depth.compute)

    def alpha(self) -> np.ndarray | None:
        """The alpha plane of the whole image as floats of the depth's compute type; None without one."""
        return np.asarray(self.pixels[:])[..., -1].astype(self.depth.compute) if self.has_alpha else None

    def close(self) -> None:
        """Let go of the pixels, closing the file that a row source reads them from."""
        if self.pixels is not None and not isinstance(self.pixels, np.ndarray):
            self.pixels.close()
        self.pixels = None


def from_image(image: Image.Image, source: str) -> Planes:
    """The planes of a Pillow image. Palette images become RGB(A), bilevel images grey, a
    transparent colour key an alpha channel; 16-bit, 32-bit integer and float grey keep their
    depth; CMYK keeps its four inks."""
    mode = image.mode
    if mode in ("P", "L", "RGB") and "transparency" in image.info:
        # A transparent palette entry or colour key is alpha, as the viewer shows it.
        image = image.convert("LA" if mode == "L" else "RGBA")
    elif mode in _READ_AS:
        image = image.convert(_READ_AS[mode])
    grey_depth = _GREY_DEPTHS.get("I;16" if image.mode.startswith("I;16") else image.mode)
    if grey_depth is None and image.mode not in _BANDS:
        raise ConvcliError(f"{source}: image mode {image.mode} is not supported")
    pixels = _array_of(image)
    if grey_depth is not None:
        return Planes(_native(pixels), False, "L", grey_depth, mode)
    return Planes(pixels, image.mode.endswith("A"), _BANDS[image.mode], EIGHT, mode)


def from_array(array: np.ndarray, source: str, mode: str = "array") -> Planes:
    """Planes of a NumPy array (a memory map will do: it is read only where filtered):
    (H, W) grey, or (H, W, C) with C = 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA, alpha last.
    uint8, uint16, signed integers up to 32 bits and floats, in either byte order (FITS and
    astropy write big-endian). `mode` names where it came from: a .npy file ("array"), or a
    16-bit colour image that :mod:`.sixteen` read (its mode, "RGB;16")."""
    depth = of_dtype(array.dtype.newbyteorder("="))
    if depth is None:
        raise ConvcliError(f"{source}: arrays of {array.dtype} are not supported (uint8, uint16, int8-int32 or float)")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and not 2 <= array.shape[2] <= 4):
        raise ConvcliError(
            f"{source}: an array of shape {array.shape} is not an image ((H, W), or (H, W, C) with 1 to 4 channels)"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ConvcliError(f"{source}: an array of shape {array.shape} has no pixels")
    if array.ndim == 2:
        return Planes(array, False, "L", depth, mode)
    channels = array.shape[2]
    if channels in (2, 4) and depth is INT32:
        raise ConvcliError(
            f"{source}: signed integers have no agreed opaque value for an alpha channel; "
            "give alpha as uint8, uint16 or float (0..1)"
        )
    return Planes(array, channels in (2, 4), "L" if channels == 2 else "RGB", depth, mode)


def from_decoded(pixels: np.ndarray, source: str) -> Planes:
    """Planes of the array a decoder gave (see :func:`.files.read_image`): 16-bit colour or
    grey with alpha, named by :mod:`.sixteen`'s modes, or an 8-bit JPEG's grey or RGB."""
    if pixels.dtype == np.uint16:
        return from_array(pixels, source, MODES[pixels.shape[-1]])
    return from_array(pixels, source, "L" if pixels.ndim == 2 else "RGB")


# What a TIFF read a band of rows at a time (:mod:`.tiff_rows`) holds, by its mode: bands, alpha, depth.
_ROW_MODES = {
    "L": ("L", False, EIGHT),
    "LA": ("L", True, EIGHT),
    "RGB": ("RGB", False, EIGHT),
    "RGBA": ("RGB", True, EIGHT),
    "I;16": ("L", False, SIXTEEN),
    "LA;16": ("L", True, SIXTEEN),
    "RGB;16": ("RGB", False, SIXTEEN),
    "RGBA;16": ("RGB", True, SIXTEEN),
}


def from_rows(rows) -> Planes:
    """Planes of a TIFF read a band of rows at a time (a :class:`.tiff_rows.TiffRows`)."""
    bands, alpha, depth = _ROW_MODES[rows.mode]
    return Planes(rows, alpha, bands, depth, rows.mode)


# The bytes of an image's rows copied out of Pillow at a time.
_COPY_BYTES = 4 << 20


def _array_of(image: Image.Image) -> np.ndarray:
    """``np.asarray(image)``, a band of rows at a time: Pillow's tobytes, which np.asarray
    calls, holds a whole image's bytes twice over (its pieces, then their join) beside the
    image itself.

    >>> _array_of(Image.new("RGB", (2, 3), (1, 2, 3))).shape
    (3, 2, 3)
    """
    first = np.asarray(image.crop((0, 0, image.width, 1)))
    pixels = np.empty((image.height,) + first.shape[1:], first.dtype)
    step = max(1, _COPY_BYTES // max(1, first.nbytes))
    for top in range(0, image.height, step):
        bottom = min(top + step, image.height)
        pixels[top:bottom] = np.asarray(image.crop((0, top, image.width, bottom)))
    return pixels


def _native(pixels: np.ndarray) -> np.ndarray:
    """`pixels` in the machine's byte order (Pillow's "I;16B" arrives big-endian)."""
    return pixels.astype(pixels.dtype.newbyteorder("="), copy=False)


def file_mode(bands: str, has_alpha: bool, depth: Depth) -> str | None:
    """The mode these planes are written in: Pillow's (see :func:`pillow_mode`), else for 16-bit
    colour and 16-bit grey with alpha, which Pillow has no mode for, :mod:`.sixteen`'s; None
    where neither holds them.

    >>> file_mode("RGB", False, SIXTEEN), file_mode("L", True, SIXTEEN), file_mode("L", False, SIXTEEN)
    ('RGB;16', 'LA;16', 'I;16')
    """
    mode = pillow_mode(bands, has_alpha, depth)
    if mode is None and depth is SIXTEEN and bands in ("L", "RGB"):
        return MODES[(1 if bands == "L" else 3) + has_alpha]
    return mode


def pillow_mode(bands: str, has_alpha: bool, depth: Depth) -> str | None:
    """The Pillow mode that holds these planes, or None where Pillow has none (16-bit colour,
    grey and alpha over 8 bits, CMYK with alpha).

    >>> pillow_mode("RGB", True, EIGHT), pillow_mode("L", False, SIXTEEN), pillow_mode("RGB", False, SIXTEEN)
    ('RGBA', 'I;16', None)
    """
    if depth is EIGHT:
        return None if bands == "CMYK" and has_alpha else bands + ("A" if has_alpha else "")
    if bands == "L" and not has_alpha:
        return {"16": "I;16", "32": "I", "float": "F"}[depth.name]
    return None


def to_image(pixels: np.ndarray, mode: str) -> Image.Image:
    """A Pillow image of `mode` from values of its dtype (see :func:`pillow_mode`)."""
    if mode == "CMYK":
        return Image.frombytes("CMYK", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
    if mode == "F":  # Pillow's float images are float32 (a 32-bit integer input's float64 rounds here)
        pixels = pixels.astype(np.float32, copy=False)
    return Image.fromarray(pixels)


def recode(image: Image.Image, source_mode: str, holds: Callable[[str], bool]) -> Image.Image:
    """Return a filtered bilevel or palette image to its own mode where nothing is lost: the
    result still has only black and white, or at most 256 colours, and the format `holds` it
    (as ImageMagick keeps a palette PNG a palette PNG when the colours fit). A blur's new
    shades keep the image grey or truecolour."""
    if source_mode == "1" and image.mode == "L" and holds("1"):
        values = np.asarray(image)
        if np.isin(values, (0, 255)).all():
            return image.point(lambda v: v // 255, mode="1")
    if source_mode in ("P", "PA") and image.mode in ("RGB", "RGBA"):
        palette = _palette_image(image)
        kind = (
            {type(None): "P", int: "P+key", bytes: "P+transparency"}[type(palette.info.get("transparency"))]
            if palette is not None
            else None
        )
        if palette is not None and holds(kind):
            return palette
    return image


def one_transparent_colour(image: Image.Image) -> Image.Image:
    """An 8-bit LA or RGBA `image` as a format with one fully transparent colour (GIF) holds
    it, as ImageMagick writes it: a pixel of at least half opacity (128 of 255) becomes opaque,
    with its colour, and any other fully transparent, all of them in one colour, which takes
    one palette entry. A palette image while at most 256 colours are left, so they are kept
    exactly; else RGBA, which the writer reduces to a palette keeping that one entry clear.
    Without a transparent pixel left, the image loses its alpha.

    >>> soft = Image.fromarray(np.array([[[9, 200], [9, 128], [5, 127], [7, 0]]], np.uint8), "LA")
    >>> keyed = one_transparent_colour(soft)
    >>> keyed.mode, np.asarray(keyed.convert("LA")).tolist()
    ('P', [[[9, 255], [9, 255], [0, 0], [0, 0]]])
    """
    pixels = np.asarray(image.convert("RGBA")).copy()  # Pillow writes LA to GIF as L, without alpha
    clear = pixels[..., 3] < 128
    if not clear.any():
        return image.convert(image.mode[:-1])
    pixels[..., 3] = 255
    pixels[clear] = 0
    keyed = Image.fromarray(pixels)
    return _palette_image(keyed) or keyed


def _palette_image(image: Image.Image) -> Image.Image | None:
    pixels = np.asarray(image)
    height, width, channels = pixels.shape
    if channels == 4:
        clear = pixels[..., 3] == 0
        if np.isin(pixels[..., 3], (0, 255)).all() and clear.any():
            # Colour under full transparency is invisible: one palette entry can hold it all,
            # as GIF, which has a single transparent colour, needs.
            pixels = pixels.copy()
            pixels[clear] = pixels[clear][0]
    # One 32-bit key a pixel makes finding the distinct colours a 1-D unique.
    key = np.zeros((height, width), np.uint32)
    for band in range(channels):
        key |= pixels[..., band].astype(np.uint32) << (8 * band)
    colours, index = np.unique(key.ravel(), return_inverse=True)
    if len(colours) > 256:
        return None
    table = ((colours[:, np.newaxis] >> (8 * np.arange(channels, dtype=np.uint32))) & 255).astype(np.uint8)
    palette = Image.frombytes("P", (width, height), index.astype(np.uint8).tobytes())
    palette.putpalette(table[:, :3].tobytes())
    if channels == 4 and (table[:, 3] < 255).any():
        opacity = table[:, 3]
        single = (opacity == 0).sum() == 1 and np.isin(opacity, (0, 255)).all()
        palette.info["transparency"] = int(np.argmin(opacity)) if single else opacity.tobytes()
    return palette
