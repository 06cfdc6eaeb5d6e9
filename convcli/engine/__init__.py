"""The convolution engine: pure NumPy, no image I/O."""

from .borders import BORDER_MODES, normalize_border
from .convolution import SIZE_MODES, convolve, correlate, plan_for
from .planning import METHODS, Plan
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
