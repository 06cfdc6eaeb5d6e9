"""Kernels: named ones with parameters, and kernels written as text.

Its modules load as they are used: a named kernel needs neither the file formats nor the
parser of kernel text.
"""

from ..lazy import lazy_names

# Each name, and the module that defines it.
_HOMES = {
    "KERNELS": "named",
    "gaussian": "named",
    "sobel_x": "named",
    "sobel_y": "named",
    "Kernel": "spec",
    "named_kernel": "spec",
    "resolve_kernel": "spec",
    "KernelSyntaxError": "text",
    "parse_kernel_text": "text",
}
__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
