"""The names convcli's parts share, in a module that needs neither NumPy nor Pillow, so that the
command line can offer them without loading either: `convcli --help` starts in a blink.

Border modes (scipy.ndimage's names and the aliases numpy and OpenCV use), the engine's methods
and size modes, output depths, alpha modes, value mappings, the named kernels, and the pixel limit.
"""

from __future__ import annotations

BORDER_MODES = ("reflect", "mirror", "nearest", "wrap", "constant")

# Names used by scipy.ndimage, numpy.pad and OpenCV for the same extensions.
# numpy's "reflect" is deliberately absent: it would collide with scipy's "reflect".
_ALIASES = {
    "symmetric": "reflect",
    "grid-mirror": "reflect",
    "reflect-101": "mirror",
    "reflect101": "mirror",
    "default": "mirror",
    "edge": "nearest",
    "replicate": "nearest",
    "clamp": "nearest",
    "grid-wrap": "wrap",
    "circular": "wrap",
    "periodic": "wrap",
    "grid-constant": "constant",
    "fill": "constant",
}

METHODS = ("auto", "direct", "separable", "lowrank", "fft")
SIZE_MODES = ("same", "full", "valid")
DEPTHS = ("8", "16", "float")
ALPHA_MODES = ("premultiply", "keep", "separate", "ignore")
# How filtered values become pixels: the functions of imaging/mapping.py of these names.
MAPPINGS = ("to_range", "clip_to_range", "abs_to_range", "rescale_to_range", "gradient")
# The registry in kernels/named.py holds the same names, in this order (a test checks).
KERNEL_NAMES = (
    "identity",
    "box",
    "gaussian",
    "sharpen",
    "unsharp",
    "sobel-x",
    "sobel-y",
    "scharr-x",
    "scharr-y",
    "prewitt-x",
    "prewitt-y",
    "kirsch",
    "laplacian",
    "log",
    "dog",
    "outline",
    "emboss",
    "motion",
    "shift",
)
# Pillow's guard against decompression bombs: 89,478,485 pixels, a quarter-gigabyte RGB image.
DEFAULT_MAX_PIXELS = 89_478_485


def normalize_border(name: str) -> str:
    """Return the canonical border mode for `name` or one of its aliases.

    Case, underscores and OpenCV's ``BORDER_`` prefix are ignored.

    >>> normalize_border("BORDER_REFLECT_101")
    'mirror'
    """
    key = str(name).strip().lower().replace("_", "-")
    key = key.removeprefix("border-")
    if key in BORDER_MODES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(
        f"unknown border mode {name!r}; choose one of {', '.join(BORDER_MODES)}"
        f" (aliases: {', '.join(sorted(_ALIASES))})"
    )
