"""What filter_file is told besides the image and the filter: one plain record, its defaults
in one place. It holds names and numbers only, so that it pickles for a batch's worker
processes and needs neither NumPy nor Pillow to be made."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..choices import ALPHA_MODES, DEFAULT_MAX_PIXELS, DEPTHS, MAPPINGS


@dataclass(frozen=True)
class FilterSettings:
    """How :func:`convcli.imaging.filter_file` reads an image, turns its filtered values into
    pixels and writes them.

    Parameters
    ----------
    tag : str
        The filter's name in a default output name, ``<stem>.<tag><suffix>``.
    mapping : str
        How values become pixels, one of ``choices.MAPPINGS``: the function of
        :mod:`convcli.imaging.mapping` of that name. ``to_range`` rounds and clips integer
        outputs and keeps float ones.
    scale, offset : float
        The result is multiplied by `scale` and `offset` is added (in the input's units, as
        GIMP's divisor and offset) before the mapping.
    peak : float or None
        A fixed scale (sobel --max, in the input's units): the value that becomes white,
        through :func:`.mapping.peak_to_white`, instead of `mapping`.
    cval : float
        The value outside the image for a constant border, in the input's pixel units.
    alpha : str
        How an alpha channel is treated, one of ``choices.ALPHA_MODES`` (see
        :mod:`.alpha`); "keep" carries it through unchanged and hides the
        colour under full transparency, whatever the filter. A kernel's own is
        :func:`.alpha.default_mode`.
    linear : bool
        Filter in linear light: decode sRGB first, encode after.
    depth : str or None
        The output's depth, "8", "16" or "float"; None: the input's where the format holds it
        (float for .npy).
    format : str or None
        The output's format (a name such as png or jpg) where its name says none (stdout);
        None: the input's own where convcli writes it, else PNG.
    quality : int or None
        JPEG and WebP quality, 1-100; None: the writer's default.
    force : bool
        Replace an existing output, the input included.
    max_pixels : int or None
        Refuse images of more pixels (None: no limit).
    allow_damaged : bool
        Filter what a damaged image still decodes to, with a warning, instead of refusing it.

    Examples
    --------
    >>> settings = FilterSettings(tag="blur", depth="16")
    >>> settings.mapping, settings.alpha, settings.depth
    ('to_range', 'keep', '16')
    >>> FilterSettings(alpha="multiply")
    Traceback (most recent call last):
    ValueError: alpha must be one of premultiply, keep, separate, ignore, not 'multiply'
    """

    tag: str = "filtered"
    mapping: str = "to_range"
    scale: float = 1.0
    offset: float = 0.0
    peak: float | None = None
    cval: float = 0.0
    alpha: str = "keep"
    linear: bool = False
    depth: str | None = None
    format: str | None = None
    quality: int | None = None
    force: bool = False
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    allow_damaged: bool = False

    def __post_init__(self):
        for name, value, allowed in (
            ("mapping", self.mapping, MAPPINGS),
            ("alpha", self.alpha, ALPHA_MODES),
            ("depth", self.depth, (None, *DEPTHS)),
        ):
            if value not in allowed:
                names = ", ".join(str(choice) for choice in allowed if choice is not None)
                raise ValueError(f"{name} must be one of {names}, not {value!r}")
        if self.peak is not None and not (math.isfinite(self.peak) and self.peak > 0):
            raise ValueError(f"peak must be a positive number, not {self.peak}")
