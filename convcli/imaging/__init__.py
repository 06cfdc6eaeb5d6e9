"""The image pipeline: Pillow and NumPy I/O, channels and alpha, bit depths, mapping values to pixels.

Its modules load as they are used, so that a command imports only what it runs: a blur
does not load compare's panels, nor a settings record NumPy.
"""

from ..choices import DEFAULT_MAX_PIXELS, DEPTHS
from ..lazy import lazy_names

# Each name, and the module that defines it.
_HOMES = {
    "FilterSettings": "settings",
    "KernelFilter": "transforms",
    "SobelFilter": "transforms",
    "compare_file": "compare",
    "destination_for": "naming",
    "filter_file": "process",
    "load_planes": "process",
    "stretch_to_max": "mapping",
    "to_range": "mapping",
}
__all__ = ["DEFAULT_MAX_PIXELS", "DEPTHS", *_HOMES]

__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
