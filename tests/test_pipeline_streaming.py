"""The pipeline that runs a strip at a time gives what the whole-image pipeline gave (kept in
whole_image_reference.py): on every alpha mode, depth, linear light and value mapping, odd and
even kernels and every border, in strips far smaller than the image, on one thread and two.
Integer outputs may differ by one level, and only where float rounding moves a value that
lies within rounding of an exact half; float outputs to float rounding."""

from __future__ import annotations

import numpy as np
import pytest
import whole_image_reference as reference

from convcli.engine import strips
from convcli.imaging.channels import from_array
from convcli.imaging.depth import EIGHT, SIXTEEN, floating, named, of_dtype
from convcli.imaging.mapping import named as named_mapping
from convcli.imaging.pipeline import Output, Pipeline, Treatment
from convcli.imaging.transforms import KernelFilter, SobelFilter
from convcli.kernels import Kernel, named_kernel

SHAPE = (61, 23)


def _image(kind: str, seed: int = 0) -> np.ndarray:
    """Photo-like values with a fully transparent patch and soft edges where there is alpha."""
    rng = np.random.default_rng(seed)
    height, width = SHAPE
    ramp = np.add.outer(np.linspace(0, 1, height), np.linspace(0, 0.7, width)) / 1.7
    noise = rng.random(SHAPE + (4,))
    base = 0.6 * ramp[..., np.newaxis] + 0.4 * noise
    alpha = np.clip(rng.random(SHAPE) * 1.4 - 0.2, 0, 1)
    alpha[10:30, 5:15] = 0  # hidden colour, which "keep" fills
    alpha[40:, :] = 1
    channels, dtype, top = {
        "L8": (1, np.uint8, 255),
        "RGB8": (3, np.uint8, 255),
        "RGBA8": (4, np.uint8, 255),
        "LA16": (2, np.uint16, 65535),
        "RGB16": (3, np.uint16, 65535),
        "RGBA16": (4, np.uint16, 65535),
        "Lfloat": (1, np.float32, 1.0),
        "RGBAf64": (4, np.float64, 1.0),
        "I32": (1, np.int32, 65535),
    }[kind]
    values = base[..., :channels].copy()
    if channels in (2, 4):
        values[..., -1] = alpha
    if dtype in (np.float32, np.float64):
        values = values * 1.5 - 0.25  # beyond 0..1 both ways: float keeps them
        if channels in (2, 4):
            values[..., -1] = alpha
        return values.astype(dtype)[..., 0] if channels == 1 else values.astype(dtype)
    if dtype == np.int32:
        return (values[..., 0] * 200000 - 50000).astype(np.int32)
    pixels = np.round(values * top).astype(dtype)
    return pixels[..., 0] if channels == 1 else pixels


def _kernel(name: str) -> Kernel:
    if name == "even":  # 4 wide, 6 high, off-centre anchor, negative weights
        matrix = np.random.default_rng(3).normal(0, 1, (6, 4))
        return Kernel(matrix, "even", anchor=(1, 3))
    if name == "fft":
        return Kernel(np.random.default_rng(4).random((17, 15)), "fft")
    return named_kernel(name)


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def small_strips(request, monkeypatch):
    """Strips of a few rows, so that every image runs through many of them."""
    monkeypatch.setattr(strips, "CACHE_BYTES", 2048)
    monkeypatch.setattr(strips, "CACHE_BYTES_THREADED", 2048)
    return request.param


CASES = [
    # kind, kernel, border, alpha mode, linear, target depth, keeps alpha, mapping, scale, offset
    ("L8", "gaussian:sigma=2", "reflect", "keep", False, None, True, "to_range", 1.0, 0.0),
    ("L8", "emboss", "constant", "keep", False, None, True, "to_range", 1.0, 0.0),
    ("L8", "even", "wrap", "keep", False, "16", True, "rescale_to_range", 1.0, 0.0),
    ("L8", "fft", "mirror", "keep", False, "float", True, "to_range", 1.0, 0.0),
    ("RGB8", "gaussian:sigma=1.5", "nearest", "keep", True, None, True, "to_range", 1.0, 0.0),
    ("RGB8", "emboss", "constant", "keep", True, "16", True, "abs_to_range", 0.5, 10.0),
    ("RGB8", "sharpen", "reflect", "keep", False, None, True, "clip_to_range", 2.0, -30.0),
    ("RGB8", "even", "constant", "keep", False, "8", True, "rescale_to_range", 1.0, 0.0),
    ("RGB8", "fft", "wrap", "keep", True, "float", True, "to_range", 1.0, 0.0),
    ("RGBA8", "gaussian:sigma=2", "reflect", "premultiply", False, None, True, "to_range", 1.0, 0.0),
    ("RGBA8", "gaussian:sigma=2", "constant", "premultiply", True, None, False, "to_range", 1.0, 0.0),
    ("RGBA8", "box:5", "wrap", "premultiply", False, "16", True, "to_range", 1.0, 0.0),
    ("RGBA8", "emboss", "reflect", "keep", False, None, True, "to_range", 1.0, 0.0),
    ("RGBA8", "emboss", "constant", "keep", True, None, False, "abs_to_range", 1.0, 0.0),
    ("RGBA8", "even", "mirror", "separate", False, None, True, "to_range", 1.0, 0.0),
    ("RGBA8", "even", "nearest", "ignore", False, "float", True, "to_range", 1.0, 0.0),
    ("RGBA8", "fft", "constant", "premultiply", False, None, True, "rescale_to_range", 1.0, 0.0),
    ("RGBA8", "sharpen", "wrap", "separate", True, "16", False, "to_range", 1.0, 0.0),
    ("LA16", "gaussian:sigma=1", "mirror", "premultiply", False, None, True, "to_range", 1.0, 0.0),
    ("LA16", "emboss", "reflect", "keep", True, "8", True, "to_range", 1.0, 0.0),
    ("LA16", "even", "constant", "ignore", False, None, False, "rescale_to_range", 1.0, 0.0),
    ("RGB16", "gaussian:sigma=2", "reflect", "keep", True, None, True, "to_range", 1.0, 0.0),
    ("RGB16", "even", "wrap", "keep", False, "8", True, "clip_to_range", 1.0, 0.0),
    ("RGBA16", "box:3", "nearest", "premultiply", True, "float", True, "to_range", 1.0, 0.0),
    ("RGBA16", "emboss", "constant", "separate", False, None, True, "abs_to_range", 1.0, 0.0),
    ("Lfloat", "gaussian:sigma=2", "reflect", "keep", False, None, True, "to_range", 1.0, 0.0),
    ("Lfloat", "emboss", "constant", "keep", True, "8", True, "rescale_to_range", 1.0, 0.0),
    ("Lfloat", "fft", "nearest", "keep", False, "16", True, "clip_to_range", 0.1, 0.0),
    ("RGBAf64", "gaussian:sigma=1.5", "wrap", "premultiply", True, None, True, "to_range", 1.0, 0.0),
    ("RGBAf64", "even", "reflect", "keep", False, "8", False, "to_range", 1.0, 0.0),
    ("RGBAf64", "emboss", "mirror", "separate", False, "16", True, "rescale_to_range", 1.0, 0.0),
    ("I32", "gaussian:sigma=2", "reflect", "keep", False, None, True, "to_range", 1.0, 0.0),
    ("I32", "even", "constant", "keep", False, "16", True, "rescale_to_range", 1.0, 0.0),
    ("I32", "emboss", "wrap", "keep", False, "8", True, "abs_to_range", 0.01, 0.0),
]


def _target(kind_depth, requested):
    return kind_depth if requested is None else named(requested, kind_depth)


def _compare(got: np.ndarray, want: np.ndarray, depth) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype
    if depth.is_float:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * max(1.0, float(np.abs(want).max())))
        return
    difference = np.abs(got.astype(np.int64) - want.astype(np.int64))
    assert difference.max() <= 1, f"{difference.max()} levels apart"
    # A float32 value of 16-bit scale carries ~0.004 levels of rounding: about 1% of them lie
    # that near a half, where the last bit of a sum taken in another order decides the level.
    assert np.count_nonzero(difference) <= max(2, difference.size // 50), f"{np.count_nonzero(difference)} differ"


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, case[:8])) for case in CASES])
def test_streaming_equals_the_whole_image_pipeline(case, small_strips):
    kind, kernel_name, border, mode, linear, requested, keeps, mapping_name, scale, offset = case
    array = _image(kind)
    planes = from_array(array, kind)
    kernel = _kernel(kernel_name)
    depth = _target(planes.depth, requested)
    cval = {"L8": 40.0, "RGB8": 200.0, "RGBA8": 90.0, "LA16": 30000.0}.get(kind, 0.3 if "f" in kind else 12.0)
    transform = KernelFilter(kernel, border=border, threads=small_strips)
    treatment = Treatment(cval, mode, linear, scale, offset)
    keeps = keeps and planes.has_alpha
    count = planes.colours + keeps
    out = np.empty(planes.shape + ((count,) if count > 1 else ()), depth.dtype)
    Pipeline(planes, transform, treatment).write(out, Output(depth, keeps, named_mapping(mapping_name)))
    whole = reference.kernel_transform(kernel.matrix, kernel.anchor, border=border)
    want = reference.pixels(
        planes.colour(),
        planes.alpha(),
        planes.depth,
        whole,
        depth,
        keeps,
        cval=cval,
        mode=mode,
        linear=linear,
        scale=scale,
        offset=offset,
        mapping_name=mapping_name,
    )
    _compare(out, want, depth)


@pytest.mark.parametrize("axis", ["x", "y", "both"])
@pytest.mark.parametrize("peak", [None, 300.0])
def test_sobel_stretched_or_at_a_fixed_peak_equals_the_whole_image(axis, peak, small_strips):
    import functools

    from convcli.imaging import mapping

    array = _image("RGB8", seed=1)
    planes = from_array(array, "rgb")
    transform = SobelFilter(axis, border="nearest", threads=small_strips)
    value_mapping = mapping.gradient
    if peak is not None:
        value_mapping = functools.partial(mapping.peak_to_white, peak=peak)
    out = np.empty(planes.shape + (3,), np.uint8)
    Pipeline(planes, transform, Treatment()).write(out, Output(EIGHT, False, value_mapping))

    def whole(colour, cval):
        from convcli.filters import sobel

        return sobel(colour, axis, dtype=colour.dtype, border="nearest", cval=cval)

    want = reference.pixels(planes.colour(), None, EIGHT, whole, EIGHT, False, mapping_name="gradient", peak=peak)
    _compare(out, want, EIGHT)


def test_the_filtered_values_whole_equal_the_reference(small_strips):
    """What compare shows: the values before any mapping, with the alpha that goes with them."""
    array = _image("RGBA8", seed=2)
    planes = from_array(array, "rgba")
    kernel = named_kernel("emboss")
    for mode in ("premultiply", "keep", "separate", "ignore"):
        colour, alpha = Pipeline(planes, KernelFilter(kernel, threads=small_strips), Treatment(5.0, mode)).filtered()
        whole = reference.kernel_transform(kernel.matrix, kernel.anchor)
        want_colour, want_alpha = reference.filter_planes(
            planes.colour(), planes.alpha(), planes.depth, whole, 5.0, mode, False
        )
        np.testing.assert_allclose(colour, want_colour, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(alpha, want_alpha, rtol=1e-5, atol=1e-3)


def test_the_pixels_are_read_in_their_own_dtype_and_never_changed():
    array = _image("RGB16")
    array.flags.writeable = False  # a write into the input would raise
    planes = from_array(array, "rgb16")
    assert planes.pixels is array
    out = np.empty(array.shape, np.uint16)
    Pipeline(planes, KernelFilter(named_kernel("identity")), Treatment(linear=True)).write(out, Output(SIXTEEN, False))
    np.testing.assert_array_equal(out, array)  # linear light there and back, to the level


def test_a_big_endian_memory_map_is_filtered_as_it_is(tmp_path):
    array = _image("RGB16").astype(">u2")
    np.save(tmp_path / "big.npy", array)
    mapped = np.load(tmp_path / "big.npy", mmap_mode="r")
    planes = from_array(mapped, "big.npy")
    assert of_dtype(np.dtype(np.uint16)) is planes.depth and isinstance(planes.pixels, np.memmap)
    out = np.empty(array.shape, np.float32)
    Pipeline(planes, KernelFilter(named_kernel("box:3")), Treatment()).write(out, Output(floating(65535), False))
    want = reference.kernel_transform(named_kernel("box:3").matrix)(array.astype(np.float32), 0.0)
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_a_npy_file_is_mapped_and_filtered_where_it_lies(tmp_path):
    from convcli.imaging import FilterSettings, files, filter_file

    array = _image("RGBAf64")
    np.save(tmp_path / "scan.npy", array)
    mapped = files.read_array(tmp_path / "scan.npy")
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    kernel = named_kernel("gaussian:sigma=1.5")
    settings = FilterSettings(tag="soft", alpha="premultiply")
    written = filter_file(tmp_path / "scan.npy", None, KernelFilter(kernel), settings)
    planes = from_array(array, "scan")
    want = reference.pixels(
        planes.colour(),
        planes.alpha(),
        planes.depth,
        reference.kernel_transform(kernel.matrix),
        planes.depth,
        True,
        mode="premultiply",
    )
    np.testing.assert_allclose(np.load(written), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.load(tmp_path / "scan.npy"), array)  # read, never written
