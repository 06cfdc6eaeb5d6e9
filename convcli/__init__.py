"""convcli: image filtering by true convolution (or, on request, correlation) in NumPy.

>>> import convcli
>>> convcli.convolve([1, 0.5, 1, 1], [1, 0.5, 0.25], size="full").tolist()
[1.0, 1.0, 1.5, 1.625, 0.75, 0.25]
"""

from .engine import BORDER_MODES, convolve, correlate

__version__ = "0.1.0"
__all__ = ["BORDER_MODES", "convolve", "correlate"]
