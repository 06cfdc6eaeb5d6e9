"""What an output file gets: the input's bands, alpha and depth, less what its format cannot hold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from . import depth as depths
from .channels import Planes, pillow_mode
from .files import NPY, holds


@dataclass(frozen=True)
class Target:
    """The depth values are written at, whether alpha is kept, and the Pillow mode (None for .npy)."""

    depth: depths.Depth
    alpha: bool
    mode: str | None


def choose(planes: Planes, fmt: str, requested: str | None, destination: Path, warn: Callable[[str], None]) -> Target:
    """The output for `planes` written as `fmt`: the input's depth (float for .npy), or the
    `requested` one (8, 16 or float). A depth the format cannot hold is an error when requested;
    otherwise convcli steps down to one it can (32-bit to 16, then 8) and warns."""
    alpha = planes.alpha is not None
    if alpha and not holds(fmt, "LA"):
        warn(f"{destination}: {fmt} has no alpha channel; transparency dropped")
        alpha = False
    if requested is not None:
        wanted = depths.named(requested, planes.depth)
    else:
        wanted = depths.named("float", planes.depth) if fmt == NPY else planes.depth
    if fmt == NPY:
        return Target(wanted, alpha, None)
    mode = pillow_mode(planes.bands, alpha, wanted)
    # 8 bits is the depth every format has; whether it takes these bands, Pillow's writer says.
    if wanted is depths.EIGHT or (mode is not None and holds(fmt, mode)):
        return Target(wanted, alpha, mode)
    if requested is not None:
        what = {"L": "grey", "RGB": "RGB", "CMYK": "CMYK"}[planes.bands] + (" with alpha" if alpha else "")
        bits = "float" if wanted.is_float else f"{wanted.name}-bit"
        raise UsageError(f"{destination}: {fmt} cannot hold {bits} {what} (--depth {requested}); "
                         "write .npy, which holds any depth" + (", or .tif" if what == "grey" else ""))
    for lower in (depths.SIXTEEN, depths.EIGHT) if wanted is depths.INT32 else (depths.EIGHT,):
        mode = pillow_mode(planes.bands, alpha, lower)
        if mode is not None and holds(fmt, mode):
            break
    warn(f"{destination}: {_step_down(fmt, wanted, lower)}")
    return Target(lower, alpha, mode)


def _step_down(fmt: str, wanted: depths.Depth, lower: depths.Depth) -> str:
    if wanted.is_float:
        return (f"{fmt} holds no float values; they are rounded and clipped to 0..{lower.white:.0f} "
                "(.tif or .npy keep them)")
    if wanted.white != lower.white:
        return f"{fmt} holds {lower.name} bits per channel; {wanted.name}-bit values scaled to 0..{lower.white:.0f}"
    return f"{fmt} holds {lower.name} bits per channel; {wanted.name}-bit values clipped to 0..{lower.white:.0f}"
