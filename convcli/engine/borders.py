"""Border modes: the scipy.ndimage names, their aliases, and padding with numpy.pad."""

from __future__ import annotations

import numpy as np

BORDER_MODES = ("reflect", "mirror", "nearest", "wrap", "constant")

# numpy.pad's name for each mode: the two libraries disagree on what "reflect" means.
_NUMPY_PAD_MODE = {
    "reflect": "symmetric",
    "mirror": "reflect",
    "nearest": "edge",
    "wrap": "wrap",
    "constant": "constant",
}

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


def normalize_border(name: str) -> str:
    """Return the canonical border mode for `name` or one of its aliases.

    Case, underscores and OpenCV's ``BORDER_`` prefix are ignored.

    >>> normalize_border("BORDER_REFLECT_101")
    'mirror'
    """
    key = str(name).strip().lower().replace("_", "-")
    key = key.removeprefix("border-")
    if key in _NUMPY_PAD_MODE:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(
        f"unknown border mode {name!r}; choose one of {', '.join(BORDER_MODES)}"
        f" (aliases: {', '.join(sorted(_ALIASES))})"
    )


def pad(
    image: np.ndarray,
    rows: tuple[int, int],
    cols: tuple[int, int],
    border: str,
    cval: float = 0.0,
) -> np.ndarray:
    """Extend `image` by `rows` (top, bottom) and `cols` (left, right) on its first two axes.

    Widths larger than the image repeat the extension periodically, as scipy.ndimage does.

    >>> pad(np.array([[1, 2, 3]]), (0, 0), (2, 2), "reflect")
    array([[2, 1, 1, 2, 3, 3, 2]])
    """
    mode = normalize_border(border)
    widths = [rows, cols] + [(0, 0)] * (image.ndim - 2)
    if mode == "constant":
        return np.pad(image, widths, mode="constant", constant_values=cval)
    return np.pad(image, widths, mode=_NUMPY_PAD_MODE[mode])
