"""Named kernels, each a function returning a float64 matrix, and the registry that lists them.

Matrix convention: row 0 is the top, column 0 the left; y grows downward, x to the right.
A kernel is shown as it is *convolved*: convolving a single bright pixel stamps the kernel
itself around it, while correlating stamps the kernel rotated 180 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, not {value}")
    return float(value)


def _finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value}")
    return float(value)


def _count(name: str, value: float, largest: int = 1001) -> int:
    if not (math.isfinite(value) and value == int(value) and 1 <= value <= largest):
        raise ValueError(f"{name} must be a whole number from 1 to {largest}, not {value:g}")
    return int(value)


def identity() -> np.ndarray:
    """3x3 delta: returns the image unchanged under convolution and correlation."""
    k = np.zeros((3, 3))
    k[1, 1] = 1.0
    return k


def box(size: int = 3) -> np.ndarray:
    """size x size mean filter."""
    n = _count("size", size)
    return np.full((n, n), 1.0 / (n * n))


def gaussian_1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Normalised 1-D Gaussian with radius int(truncate * sigma + 0.5), as scipy.ndimage uses."""
    sigma = _positive("sigma", sigma)
    truncate = _positive("truncate", truncate)
    radius = int(truncate * sigma + 0.5)
    if radius > 2000:
        raise ValueError(f"sigma {sigma} with truncate {truncate} gives a kernel over 4001 wide")
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma) ** 2)
    return g / g.sum()


def gaussian(sigma: float = 1.0, truncate: float = 4.0) -> np.ndarray:
    """Gaussian blur; same weights as scipy.ndimage.gaussian_filter."""
    g = gaussian_1d(sigma, truncate)
    return np.outer(g, g)


def laplacian() -> np.ndarray:
    """4-neighbour Laplacian [[0,1,0],[1,-4,1],[0,1,0]]: second derivative, flip-symmetric."""
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpen(amount: float = 1.0) -> np.ndarray:
    """identity - amount * laplacian; amount 1 gives [[0,-1,0],[-1,5,-1],[0,-1,0]]."""
    return identity() - _finite("amount", amount) * laplacian()


def unsharp(sigma: float = 1.0, amount: float = 1.0, truncate: float = 4.0) -> np.ndarray:
    """Unsharp mask: (1 + amount) * identity - amount * gaussian(sigma)."""
    amount = _finite("amount", amount)
    k = -amount * gaussian(sigma, truncate)
    c = k.shape[0] // 2
    k[c, c] += 1.0 + amount
    return k


def sobel_x() -> np.ndarray:
    """[[1,0,-1],[2,0,-2],[1,0,-1]]. Convolved: +d/dx, positive where the image brightens
    to the right. Correlated (OpenCV filter2D, a CNN): -d/dx, the opposite sign."""
    return np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def sobel_y() -> np.ndarray:
    """[[1,2,1],[0,0,0],[-1,-2,-1]]. Convolved: +d/dy, positive where the image brightens
    downward. Correlated: -d/dy."""
    return sobel_x().T.copy()


def emboss() -> np.ndarray:
    """[[-2,-1,0],[-1,1,1],[0,1,2]]: relief lit from the bottom right when convolved,
    from the top left when correlated."""
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def motion(length: int = 9, angle: float = 0.0) -> np.ndarray:
    """One-sided motion blur: a streak of `length` pixels starting at the centre and pointing
    `angle` degrees counter-clockwise from +x (0 = right, 90 = up). Convolved, a bright point
    smears in that direction; correlated, it smears the opposite way."""
    n = _count("length", length)
    theta = math.radians(_finite("angle", angle))
    size = 2 * n - 1
    c = n - 1
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    dx, dy = math.cos(theta), -math.sin(theta)
    along = (x - c) * dx + (y - c) * dy
    across = np.abs((x - c) * dy - (y - c) * dx)
    # Cells within one pixel of the segment [0, n-1] get a weight that falls off linearly.
    weight = np.clip(1.0 - across, 0.0, None) * ((along >= -0.5) & (along <= n - 0.5))
    return weight / weight.sum()


def shift(dx: int = 1, dy: int = 0) -> np.ndarray:
    """Delta displaced by (dx, dy): convolving moves the image dx right and dy down;
    correlating moves it dx left and dy up."""
    sx = _count_signed("dx", dx)
    sy = _count_signed("dy", dy)
    k = np.zeros((2 * abs(sy) + 1, 2 * abs(sx) + 1))
    k[abs(sy) + sy, abs(sx) + sx] = 1.0
    return k


def _count_signed(name: str, value: float, largest: int = 1000) -> int:
    if not (math.isfinite(value) and value == int(value) and abs(value) <= largest):
        raise ValueError(f"{name} must be a whole number from -{largest} to {largest}, not {value:g}")
    return int(value)


@dataclass(frozen=True)
class NamedKernel:
    name: str
    make: Callable[..., np.ndarray]
    summary: str


KERNELS = {
    k.name: k
    for k in (
        NamedKernel("identity", identity, "returns the image unchanged"),
        NamedKernel("box", box, "mean of a size x size square"),
        NamedKernel("gaussian", gaussian, "Gaussian blur (separable)"),
        NamedKernel("sharpen", sharpen, "identity minus amount x laplacian"),
        NamedKernel("unsharp", unsharp, "unsharp mask: boosts detail finer than sigma"),
        NamedKernel("sobel-x", sobel_x, "horizontal gradient; convolved it points +x"),
        NamedKernel("sobel-y", sobel_y, "vertical gradient; convolved it points +y (down)"),
        NamedKernel("laplacian", laplacian, "second derivative, edges in every direction"),
        NamedKernel("emboss", emboss, "relief effect; asymmetric, so the flip shows"),
        NamedKernel("motion", motion, "one-sided streak of length pixels at angle degrees"),
        NamedKernel("shift", shift, "moves the image by (dx, dy) under convolution"),
    )
}
