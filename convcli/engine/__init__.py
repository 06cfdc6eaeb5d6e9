"""The convolution engine: pure NumPy, no image I/O."""

from .borders import BORDER_MODES, normalize_border
from .convolution import METHODS, SIZE_MODES, convolve, correlate

__all__ = ["BORDER_MODES", "METHODS", "SIZE_MODES", "convolve", "correlate", "normalize_border"]
