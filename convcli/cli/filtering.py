"""What the filtering commands (blur, sharpen, sobel, apply) share: a kernel made from one
option, and the run of a filter over one image or many."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UsageError
from .inputs import expand
from .options import EngineOptions, OutputOptions, PixelOptions, ValueMapping, filter_settings

if TYPE_CHECKING:
    from ..imaging.transforms import Filter
    from ..kernels import Kernel


def option_kernel(option: str, make, value: float | None):
    """Build a named kernel from one option's value (None: the kernel's default); the kernel's
    own check names the parameter first ("sigma must be ..."), which the message turns into
    the option."""
    try:
        return make() if value is None else make(value)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None


def run_kernel(
    images,
    tag: str,
    kernel: Kernel,
    as_correlation: bool,
    value_mapping: ValueMapping,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    from ..imaging.alpha import default_mode

    engine.check_method(kernel.matrix)
    transform = engine.kernel_filter(kernel, as_correlation)
    run(images, tag, transform, value_mapping, default_mode(kernel.matrix), outputs, pixels, engine)


def run(
    images,
    tag: str,
    transform: Filter,
    value_mapping: ValueMapping,
    default_alpha: str,
    outputs: OutputOptions,
    pixels: PixelOptions,
    engine: EngineOptions,
) -> None:
    from . import batch

    settings = filter_settings(tag, value_mapping, default_alpha, pixels, outputs, engine)
    batch.run(batch.Job(transform, settings, outputs, verbose=engine.verbose), expand(images))
