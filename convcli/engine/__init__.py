"""The convolution engine: pure NumPy, no image I/O."""

from .borders import BORDER_MODES, normalize_border
from .convolution import SIZE_MODES, convolve, correlate, plan_for
from .planning import METHODS, Plan

__all__ = ["BORDER_MODES", "METHODS", "Plan", "SIZE_MODES", "convolve", "correlate", "normalize_border", "plan_for"]
