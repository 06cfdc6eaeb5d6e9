"""The image pipeline: Pillow I/O, channels and alpha, and mapping values back to pixels."""

from .mapping import stretch_to_max, to_range
from .process import filter_file

__all__ = ["filter_file", "stretch_to_max", "to_range"]
