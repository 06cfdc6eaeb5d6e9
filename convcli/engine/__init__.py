"""The convolution engine: pure NumPy, no image I/O."""

from ..choices import BORDER_MODES, METHODS, SIZE_MODES, normalize_border
from .convolution import BandFilter, band_filter, convolve, correlate, plan_for
from .planning import Plan
from .strips import available_cores

__all__ = [
    "BORDER_MODES",
    "BandFilter",
    "METHODS",
    "Plan",
    "SIZE_MODES",
    "available_cores",
    "band_filter",
    "convolve",
    "correlate",
    "normalize_border",
    "plan_for",
]
