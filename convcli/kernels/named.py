"""Named kernels, each a function returning a float64 matrix, and the registry that lists them.

Matrix convention: row 0 is the top, column 0 the left; y grows downward, x to the right.
A kernel is shown as it is *convolved*: convolving a single bright pixel stamps the kernel
itself around it, while correlating stamps the kernel rotated 180 degrees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# The defaults that the commands and the library functions named after these kernels share
# (blur --sigma is -k gaussian's sigma, and filters.gaussian_blur's).
GAUSSIAN_SIGMA = 2.0
SHARPEN_AMOUNT = 1.0


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, not {value}")
    return float(value)


def _finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value}")
    return float(value)


def _finite_weights(kernel: np.ndarray, name: str, value: float) -> np.ndarray:
    """`kernel`, unless a parameter so large or small that its weights overflowed made it."""
    if not np.isfinite(kernel).all():
        raise ValueError(f"{name} {value:g} makes the kernel's weights overflow")
    return kernel


def _count(name: str, value: float, largest: int = 1001) -> int:
    if not (math.isfinite(value) and value == int(value) and 1 <= value <= largest):
        raise ValueError(f"{name} must be a whole number from 1 to {largest}, not {value:g}")
    return int(value)


def identity() -> np.ndarray:
    """3x3 delta: returns the image unchanged under convolution and correlation."""
    k = np.zeros((3, 3))
    k[1, 1] = 1.0
    return k


def box(size: int = 3, radius: int = 0) -> np.ndarray:
    """size x size mean filter; a radius r, if given, makes it (2r + 1) x (2r + 1)."""
    if radius:
        if size != 3:
            raise ValueError("give size or radius, not both")
        size = 2 * _count("radius", radius, 500) + 1
    n = _count("size", size)
    return np.full((n, n), 1.0 / (n * n))


def gaussian_1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Normalised 1-D Gaussian with radius int(truncate * sigma + 0.5), as scipy.ndimage uses."""
    sigma = _positive("sigma", sigma)
    truncate = _positive("truncate", truncate)
    reach = truncate * sigma + 0.5  # checked before int(): 1e308 would overflow to infinity
    if reach >= 2001:
        raise ValueError(f"sigma {sigma:g} with truncate {truncate:g} gives a kernel over 4001 wide")
    radius = int(reach)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma) ** 2)
    return g / g.sum()


def gaussian(sigma: float = GAUSSIAN_SIGMA, truncate: float = 4.0) -> np.ndarray:
    """Gaussian blur; same weights as scipy.ndimage.gaussian_filter."""
    g = gaussian_1d(sigma, truncate)
    return np.outer(g, g)


def laplacian_of_gaussian(sigma: float = 1.4, truncate: float = 4.0) -> np.ndarray:
    """Laplacian of Gaussian: d2g/dx2 + d2g/dy2, the weights of scipy.ndimage.gaussian_laplace;
    negative at the centre, so a bright blob gives a dark response."""
    g = gaussian_1d(sigma, truncate)
    x = np.arange(g.size) - g.size // 2
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # checked below
        # scipy's order-2 Gaussian derivative; / sigma twice, as a huge sigma**2 raises OverflowError
        second = g * ((x / sigma) ** 2 - 1) / sigma / sigma
        return _finite_weights(np.outer(second, g) + np.outer(g, second), "sigma", sigma)


def difference_of_gaussians(sigma1: float = 1.0, sigma2: float = 1.6, truncate: float = 4.0) -> np.ndarray:
    """gaussian(sigma1) - gaussian(sigma2): a band-pass that approximates the Laplacian of
    Gaussian (negated) when sigma2 is about 1.6 sigma1."""
    narrow, wide = gaussian(sigma1, truncate), gaussian(sigma2, truncate)
    if narrow.shape[0] > wide.shape[0]:
        narrow, wide = -wide, -narrow
    pad = (wide.shape[0] - narrow.shape[0]) // 2
    return np.pad(narrow, pad) - wide


def laplacian() -> np.ndarray:
    """4-neighbour Laplacian [[0,1,0],[1,-4,1],[0,1,0]]: second derivative, flip-symmetric."""
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpen(amount: float = SHARPEN_AMOUNT) -> np.ndarray:
    """identity - amount * laplacian; amount 1 gives [[0,-1,0],[-1,5,-1],[0,-1,0]]."""
    amount = _finite("amount", amount)
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite_weights(identity() - amount * laplacian(), "amount", amount)


def unsharp(sigma: float = 1.0, amount: float = 1.0, truncate: float = 4.0) -> np.ndarray:
    """Unsharp mask: (1 + amount) * identity - amount * gaussian(sigma)."""
    amount = _finite("amount", amount)
    with np.errstate(over="ignore", invalid="ignore"):
        k = -amount * gaussian(sigma, truncate)
        c = k.shape[0] // 2
        k[c, c] += 1.0 + amount
    return _finite_weights(k, "amount", amount)


def sobel_x() -> np.ndarray:
    """[[1,0,-1],[2,0,-2],[1,0,-1]]. Convolved: +d/dx, positive where the image brightens
    to the right. Correlated (OpenCV filter2D, a CNN): -d/dx, the opposite sign."""
    return np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def sobel_y() -> np.ndarray:
    """[[1,2,1],[0,0,0],[-1,-2,-1]]. Convolved: +d/dy, positive where the image brightens
    downward. Correlated: -d/dy."""
    return sobel_x().T.copy()


def scharr_x() -> np.ndarray:
    """[[3,0,-3],[10,0,-10],[3,0,-3]]: Sobel-x with weights tuned for rotation invariance;
    convolved it points +x, as sobel-x does."""
    return np.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]])


def scharr_y() -> np.ndarray:
    """Scharr's vertical gradient; convolved it points +y (down)."""
    return scharr_x().T.copy()


def prewitt_x() -> np.ndarray:
    """[[1,0,-1],[1,0,-1],[1,0,-1]]: an unweighted horizontal gradient; convolved it points +x."""
    return np.array([[1.0, 0.0, -1.0]] * 3)


def prewitt_y() -> np.ndarray:
    """Prewitt's vertical gradient; convolved it points +y (down)."""
    return prewitt_x().T.copy()


# The 3x3 ring, counter-clockwise from the right-hand cell, as (row, column).
_RING = ((1, 2), (0, 2), (0, 1), (0, 0), (1, 0), (2, 0), (2, 1), (2, 2))


def kirsch(direction: float = 0.0) -> np.ndarray:
    """Kirsch compass kernel: 5 on three neighbours, -3 on the other five. Convolved, it
    responds most where the image brightens towards `direction` (degrees counter-clockwise
    from +x, a multiple of 45: 0 = right, 90 = up); the 5s sit on the opposite side, as
    Sobel's positive column does."""
    direction = _finite("direction", direction)
    if direction % 45:
        raise ValueError(f"direction must be a multiple of 45 degrees, not {direction:g}")
    facing = (int(direction // 45) + 4) % 8  # convolution flips: the weights face away
    k = np.zeros((3, 3))
    for step, cell in enumerate(_RING):
        k[cell] = 5.0 if min((step - facing) % 8, (facing - step) % 8) <= 1 else -3.0
    return k


def outline() -> np.ndarray:
    """[[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]: the 8-neighbour Laplacian, negated; flat areas go black."""
    k = -np.ones((3, 3))
    k[1, 1] = 8.0
    return k


def emboss() -> np.ndarray:
    """[[-2,-1,0],[-1,1,1],[0,1,2]]: relief lit from the bottom right when convolved,
    from the top left when correlated."""
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def motion(length: int = 9, angle: float = 0.0) -> np.ndarray:
    """One-sided motion blur: a streak of `length` pixels starting at the centre and pointing
    `angle` degrees counter-clockwise from +x (0 = right, 90 = up). Convolved, a bright point
    smears in that direction; correlated, it smears the opposite way. The streak starts at the
    centre, the kernel's anchor, so the other half of the matrix is zeros; it is as tall and
    as wide as the streak needs on either side of the centre (1 x 2 length - 1 for angle 0).

    >>> motion(3)
    array([[0.        , 0.        , 0.33333333, 0.33333333, 0.33333333]])
    """
    n = _count("length", length)
    theta = math.radians(_finite("angle", angle))
    size = 2 * n - 1
    c = n - 1
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    # radians(90) is not exactly pi/2: without this, cos gives 6e-17, and the cells beside a
    # vertical streak weights of 2e-17.
    dx, dy = (0.0 if abs(v) < 1e-12 else v for v in (math.cos(theta), -math.sin(theta)))
    along = (x - c) * dx + (y - c) * dy
    across = np.abs((x - c) * dy - (y - c) * dx)
    # Cells within one pixel of the segment [0, n-1] get a weight that falls off linearly.
    weight = np.clip(1.0 - across, 0.0, None) * ((along >= -0.5) & (along <= n - 0.5))
    return _centred_crop(weight / weight.sum())


def _centred_crop(kernel: np.ndarray) -> np.ndarray:
    """`kernel` without the rows and columns of zeros it has at both ends, as many from each
    end, so that its centre stays the centre."""
    for axis in (0, 1):
        used = np.flatnonzero(np.abs(kernel).sum(axis=1 - axis))
        margin = min(used[0], kernel.shape[axis] - 1 - used[-1])
        kernel = np.take(kernel, np.arange(margin, kernel.shape[axis] - margin), axis=axis)
    return kernel


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
    """A named kernel: its maker, what it does, and, for a matrix that is mostly zeros, why."""

    name: str
    make: Callable[..., np.ndarray]
    summary: str
    zeros: str = ""


KERNELS = {
    k.name: k
    for k in (
        NamedKernel("identity", identity, "returns the image unchanged"),
        NamedKernel("box", box, "mean of a size x size square (or radius r: 2r+1)"),
        NamedKernel("gaussian", gaussian, "Gaussian blur (separable)"),
        NamedKernel("sharpen", sharpen, "identity minus amount x laplacian"),
        NamedKernel("unsharp", unsharp, "unsharp mask: boosts detail finer than sigma"),
        NamedKernel("sobel-x", sobel_x, "horizontal gradient; convolved it points +x"),
        NamedKernel("sobel-y", sobel_y, "vertical gradient; convolved it points +y (down)"),
        NamedKernel("scharr-x", scharr_x, "horizontal gradient, rotation-tuned weights; points +x"),
        NamedKernel("scharr-y", scharr_y, "vertical gradient, rotation-tuned weights; points +y"),
        NamedKernel("prewitt-x", prewitt_x, "horizontal gradient, equal weights; points +x"),
        NamedKernel("prewitt-y", prewitt_y, "vertical gradient, equal weights; points +y"),
        NamedKernel("kirsch", kirsch, "compass edge towards direction degrees (multiple of 45)"),
        NamedKernel("laplacian", laplacian, "second derivative, edges in every direction"),
        NamedKernel("log", laplacian_of_gaussian, "Laplacian of Gaussian: blob and edge detector"),
        NamedKernel("dog", difference_of_gaussians, "difference of Gaussians: band-pass, approximates -LoG"),
        NamedKernel("outline", outline, "8-neighbour edge outline; flat areas go black"),
        NamedKernel("emboss", emboss, "relief effect; asymmetric, so the flip shows"),
        NamedKernel(
            "motion",
            motion,
            "one-sided streak of length pixels at angle degrees",
            "the streak starts at the origin, the centre, so the cells on its other side are zeros; the "
            "matrix is as wide and as tall as the streak reaches on either side of the centre",
        ),
        NamedKernel(
            "shift",
            shift,
            "moves the image by (dx, dy) under convolution",
            "one 1, dx columns right and dy rows down from the origin, the centre; the zeros around it "
            "keep the origin at the centre",
        ),
    )
}
