"""The image pipeline: Pillow I/O, channels and alpha, and mapping values back to pixels."""

from .files import DEFAULT_MAX_PIXELS
from .mapping import stretch_to_max, to_range
from .process import filter_file

__all__ = ["DEFAULT_MAX_PIXELS", "filter_file", "stretch_to_max", "to_range"]
