"""Kernels: named ones with parameters, and kernels written as text."""

from .named import KERNELS, gaussian, sobel_x, sobel_y
from .spec import Kernel, named_kernel, resolve_kernel
from .text import KernelSyntaxError, parse_kernel_text

__all__ = [
    "KERNELS",
    "Kernel",
    "KernelSyntaxError",
    "gaussian",
    "named_kernel",
    "parse_kernel_text",
    "resolve_kernel",
    "sobel_x",
    "sobel_y",
]
