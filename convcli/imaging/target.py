"""What an output file gets: the input's bands, alpha and depth, less what its format cannot hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConvcliError, UsageError
from . import depth as depths
from .channels import Planes, pillow_mode
from .files import NPY, holds, writes


@dataclass(frozen=True)
class Target:
    """The depth values are written at, whether alpha is kept, and the Pillow mode (None for .npy)."""

    depth: depths.Depth
    alpha: bool
    mode: str | None


def choose(planes: Planes, fmt: str, requested: str | None, destination: Path, warn: Callable[[str], None]) -> Target:
    """The output for `planes` written as `fmt`: the input's depth (float for .npy), or the
    `requested` one (8, 16 or float). A depth the format cannot hold is an error when requested;
    otherwise convcli steps down to one it can (32-bit to 16, then 8) and warns. Warnings come
    only once the choice stands, not before an error."""
    notes = []
    alpha = planes.alpha is not None
    if alpha and not holds(fmt, "LA" if planes.bands == "L" else "RGBA"):
        # GIF keeps one fully transparent colour: a palette image may still fit it after filtering.
        if not (planes.source_mode in ("P", "PA") and holds(fmt, "P+key")):
            notes.append(f"{destination}: {fmt} has no alpha channel; transparency dropped")
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
    mode = pillow_mode(planes.bands, alpha, wanted)
    if wanted is depths.EIGHT or (mode is not None and holds(fmt, mode)):
        return _warned(_writable(Target(wanted, alpha, mode), fmt, destination), notes, warn)
    if requested is not None:
        what = {"L": "grey", "RGB": "RGB", "CMYK": "CMYK"}[planes.bands] + (" with alpha" if alpha else "")
        bits = "float" if wanted.is_float else f"{wanted.name}-bit"
        raise UsageError(
            f"{destination}: {fmt} cannot hold {bits} {what} (--depth {requested}); "
            "write .npy, which holds any depth" + (", or .tif" if what == "grey" else "")
        )
    for lower in (depths.SIXTEEN, depths.EIGHT) if wanted is depths.INT32 else (depths.EIGHT,):
        mode = pillow_mode(planes.bands, alpha, lower)
        if mode is not None and holds(fmt, mode):
            break
    notes.append(f"{destination}: {_step_down(fmt, planes, wanted, lower)}")
    return _warned(_writable(Target(lower, alpha, mode), fmt, destination), notes, warn)


def _writable(target: Target, fmt: str, destination: Path) -> Target:
    if target.mode is not None and not writes(fmt, target.mode):
        raise ConvcliError(f"{destination}: cannot write {fmt}: Pillow does not write {target.mode} images as {fmt}")
    return target


def _warned(target: Target, notes: list[str], warn: Callable[[str], None]) -> Target:
    for note in notes:
        warn(note)
    return target


def _step_down(fmt: str, planes: Planes, wanted: depths.Depth, lower: depths.Depth) -> str:
    if wanted.is_float:
        keeps = ".tif or .npy keep them" if planes.bands == "L" else ".npy keeps them"
        return (
            f"{fmt} holds no float {'grey' if planes.bands == 'L' else 'colour'}; the values are written as "
            f"{lower.name}-bit integers, rounded, and clipped where outside 0..{lower.white:.0f} ({keeps})"
        )
    if wanted.relative and lower.relative:
        return f"{fmt} holds {lower.name} bits per channel; {wanted.name}-bit values scaled to 0..{lower.white:.0f}"
    return (
        f"{fmt} holds {lower.name} bits per channel; the integer values are written as they are, "
        f"clipped where outside 0..{lower.white:.0f}"
    )
