"""The image pipeline: Pillow and NumPy I/O, channels and alpha, bit depths, mapping values to pixels."""

from ..choices import DEFAULT_MAX_PIXELS, DEPTHS
from .compare import compare_file
from .mapping import stretch_to_max, to_range
from .naming import destination_for
from .process import filter_file, load_planes

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEPTHS",
    "compare_file",
    "destination_for",
    "filter_file",
    "load_planes",
    "stretch_to_max",
    "to_range",
]
