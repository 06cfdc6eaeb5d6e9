"""Kernels: named ones with parameters, and kernels written as text.

Its modules load as they are used: a named kernel needs neither the file formats nor the
parser of kernel text.
"""

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


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), *_HOMES]
