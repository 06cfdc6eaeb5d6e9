"""What an output file gets: the input's bands, alpha and depth, less what its format cannot hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConvcliError, UsageError
from . import depth as depths
from .channels import Planes, file_mode
from .files import NPY, holds, writes

# The largest (width, height) each format's writer holds, as Pillow 13 writes it: beyond it the
# writer fails with an OverflowError deep inside (16-bit header fields) or, for ICO, shrinks
# the image to fit without a word. Checked before filtering, so that nothing is resized.
SIDE_LIMITS = {
    "GIF": (65535, 65535),  # 16-bit sizes in the header
    "TGA": (65535, 65535),
    "SGI": (65535, 65535),
    "MSP": (65535, 65535),
    "PCX": (65534, 65535),  # and the bytes of a row, padded to even, are 16-bit too
    "PALM": (65534, 65535),
    "JPEG": (65500, 65500),  # libjpeg's largest
    "MPO": (65500, 65500),
    "AVIF": (32768, 32768),  # libavif writes larger ones, but reads none back
    "WEBP": (16383, 16383),  # libwebp's largest
    "ICO": (256, 256),  # Pillow shrinks a larger image to 256x256
}
# And within 256x256, Pillow's ICO writer keeps an image as it is only if its smaller side is
# under 16; any other it scales down to the largest of these squares that fits in it.
_ICO_SQUARES = (16, 24, 32, 48, 64, 128, 256)
# Pillow writes an ICNS's every icon size, 16 to 1024, by resizing the image: only one of
# 1024x1024 is written as it is.
_ICNS_SIDE = 1024


def check_size(fmt: str, width: int, height: int, destination: Path) -> None:
    """Refuse an image of `width` x `height` that `fmt` cannot hold as it is: an error naming
    the file, the limit and the size, before any filtering (exit 1).

    >>> check_size("GIF", 65535, 10, Path("a.gif"))
    >>> check_size("ICO", 8000, 8000, Path("a.ico"))
    Traceback (most recent call last):
    convcli.errors.ConvcliError: a.ico: ICO holds images of at most 256x256 pixels, and this one is 8000x8000; ...
    """
    size = f"this one is {width}x{height}"
    if fmt == "ICNS" and (width, height) != (_ICNS_SIDE, _ICNS_SIDE):
        raise ConvcliError(
            f"{destination}: ICNS icons are made by resizing the image to every size from 16 to 1024 "
            f"pixels, so only a 1024x1024 image is kept as it is, and {size}; write .png or .tif"
        )
    if fmt == "ICO" and width <= 256 and height <= 256 and min(width, height) >= 16:
        if not (width == height and width in _ICO_SQUARES):
            raise ConvcliError(
                f"{destination}: ICO keeps an image as it is only if it is a square of 16, 24, 32, 48, 64, "
                f"128 or 256 pixels, or under 16 pixels on a side (Pillow scales any other down), and {size}; "
                "write .png or .tif"
            )
    most_wide, most_high = SIDE_LIMITS.get(fmt, (width, height))
    if width > most_wide or height > most_high:
        raise ConvcliError(
            f"{destination}: {fmt} holds images of at most {most_wide}x{most_high} pixels, and {size}; "
            "nothing is resized: write .png or .tif, which hold it"
        )


@dataclass(frozen=True)
class Target:
    """The depth values are written at, whether alpha is kept, and the mode: Pillow's, or for
    16-bit colour and 16-bit grey with alpha :mod:`.sixteen`'s (RGB;16, RGBA;16, LA;16); None for .npy."""

    depth: depths.Depth
    alpha: bool
    mode: str | None


def choose(
    planes: Planes,
    fmt: str,
    requested: str | None,
    destination: Path,
    warn: Callable[[str], None],
    effect: Callable[[depths.Depth], str | None] = lambda depth: None,
) -> Target:
    """The output for `planes` written as `fmt`: the input's depth (float for .npy), or the
    `requested` one (8, 16 or float). A depth the format cannot hold is an error when requested;
    otherwise convcli steps down to one it can (32-bit to 16, then 8) and warns, in the words
    `effect` gives for what the value mapping does at that depth (None: rounding and clipping).
    Warnings come only once the choice stands, not before an error. An image larger than the
    format holds is an error (see SIDE_LIMITS)."""
    check_size(fmt, planes.shape[1], planes.shape[0], destination)
    notes = []
    alpha = planes.has_alpha
    if alpha and not holds(fmt, "LA" if planes.bands == "L" else "RGBA"):
        # GIF keeps one fully transparent colour, and a result's alpha is thresholded to it.
        if not holds(fmt, "P+key"):
            notes.append(f"{destination}: {fmt} has no alpha channel; the result is flattened onto black")
            alpha = False
    if requested is not None:
        wanted = depths.named(requested, planes.depth)
    else:
        wanted = depths.named("float", planes.depth) if fmt == NPY else planes.depth
    if fmt == NPY:
        if planes.bands == "CMYK":
            notes.append(
                f"{destination}: the array holds the inks C, M, Y, K as 4 channels; read back, "
                "convcli takes 4 channels for RGBA"
            )
        return _warned(Target(wanted, alpha, None), notes, warn)
    mode = file_mode(planes.bands, alpha, wanted)
    if wanted is depths.EIGHT or (mode is not None and holds(fmt, mode)):
        return _warned(_writable(Target(wanted, alpha, mode), fmt, destination), notes, warn)
    if requested is not None:
        what = {"L": "grey", "RGB": "RGB", "CMYK": "CMYK"}[planes.bands] + (" with alpha" if alpha else "")
        bits = "float" if wanted.is_float else f"{wanted.name}-bit"
        keepers = [ext for other, ext in (("PNG", ".png"), ("TIFF", ".tif")) if mode and holds(other, mode)]
        raise UsageError(
            f"{destination}: {fmt} cannot hold {bits} {what} (--depth {requested}); "
            "write .npy, which holds any depth" + (f", or {' or '.join(keepers)}" if keepers else "")
        )
    for lower in (depths.SIXTEEN, depths.EIGHT) if wanted is depths.INT32 else (depths.EIGHT,):
        mode = file_mode(planes.bands, alpha, lower)
        if mode is not None and holds(fmt, mode):
            break
    notes.append(f"{destination}: {_step_down(fmt, planes, wanted, lower, effect(lower))}")
    return _warned(_writable(Target(lower, alpha, mode), fmt, destination), notes, warn)


def _writable(target: Target, fmt: str, destination: Path) -> Target:
    if target.mode is not None and not writes(fmt, target.mode):
        raise ConvcliError(f"{destination}: cannot write {fmt}: Pillow does not write {target.mode} images as {fmt}")
    return target


def _warned(target: Target, notes: list[str], warn: Callable[[str], None]) -> Target:
    for note in notes:
        warn(note)
    return target


def _step_down(fmt: str, planes: Planes, wanted: depths.Depth, lower: depths.Depth, how: str | None) -> str:
    """The warning for `wanted` written at `lower`; `how` says what the value mapping does there."""
    if wanted.is_float:
        keeps = ".tif or .npy keep them" if planes.bands == "L" else ".npy keeps them"
        return (
            f"{fmt} holds no float {'grey' if planes.bands == 'L' else 'colour'}; the values are written as "
            f"{lower.name}-bit integers, {how or f'rounded, and clipped where outside 0..{lower.white:.0f}'} ({keeps})"
        )
    if wanted.relative and lower.relative:
        return f"{fmt} holds {lower.name} bits per channel; {wanted.name}-bit values scaled to 0..{lower.white:.0f}"
    return (
        f"{fmt} holds {lower.name} bits per channel; the integer values are "
        f"{how or f'written as they are, clipped where outside 0..{lower.white:.0f}'}"
    )
