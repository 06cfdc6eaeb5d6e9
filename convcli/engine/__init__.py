"""The convolution engine: pure NumPy, no image I/O."""

from ..choices import BORDER_MODES, METHODS, SIZE_MODES, normalize_border
from .convolution import convolve, correlate, plan_for
from .planning import Plan
from .strips import available_cores

__all__ = [
    "BORDER_MODES",
    "METHODS",
    "Plan",
    "SIZE_MODES",
    "available_cores",
    "convolve",
    "correlate",
    "normalize_border",
    "plan_for",
]
