"""The image pipeline's pieces: modes to planes and back, value mapping, file names, atomic writes."""

import functools
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convcli.errors import ConvcliError, UsageError
from convcli.imaging import channels, depth, files, naming, stretch_to_max, target, to_range, writing
from convcli.imaging.depth import EIGHT, INT32, SIXTEEN, floating


def test_to_range_rounds_half_to_even_and_clips_integers_and_keeps_floats():
    values = np.array([-0.6, 0.5, 1.5, 2.5, 254.5, 255.4, 1e9])
    assert to_range(values, EIGHT).tolist() == [0, 0, 2, 2, 254, 255, 255]
    assert to_range(np.array([65534.5, 70000.0]), SIXTEEN).tolist() == [65534, 65535]
    assert to_range(np.array([1.0]), SIXTEEN).dtype == np.uint16
    big = to_range(np.array([-3e9, -2.5, 3e9, 2**31 - 2]), INT32)
    assert big.dtype == np.int32 and big.tolist() == [-(2**31), -2, 2**31 - 1, 2**31 - 2]
    exact = to_range(np.array([-1020.25, 0.1, 1e6], np.float32), floating(255))
    assert exact.dtype == np.float32 and exact.tolist() == np.array([-1020.25, 0.1, 1e6], np.float32).tolist()


def test_stretch_to_max_uses_the_whole_range_without_clipping():
    assert stretch_to_max(np.array([0.0, -1.0, 3.0]), EIGHT).tolist() == [0, 85, 255]
    assert stretch_to_max(np.zeros(4), EIGHT).tolist() == [0, 0, 0, 0]
    assert stretch_to_max(np.array([1.0, 1000.0]), SIXTEEN).max() == 65535
    assert stretch_to_max(np.array([-2.0, 4.0], np.float32), floating()).tolist() == [0.5, 1.0]


def test_converting_between_depths_scales_integers_only():
    assert depth.convert(np.array([255.0, 1.0]), EIGHT, SIXTEEN).tolist() == [65535.0, 257.0]
    assert depth.convert(np.array([65535.0]), SIXTEEN, EIGHT).tolist() == [255.0]
    assert depth.convert(np.array([65535.0]), INT32, SIXTEEN).tolist() == [65535.0]
    # Float values are the filter's numbers: never scaled, whichever way they go.
    assert depth.convert(np.array([300.0, -2.0]), floating(), EIGHT).tolist() == [300.0, -2.0]
    assert depth.convert(np.array([300.0]), EIGHT, floating(255)).tolist() == [300.0]
    assert depth.named("float", SIXTEEN).white == 65535 and depth.named("16", EIGHT) is SIXTEEN


@pytest.mark.parametrize(
    "mode, bands, alpha, dtype",
    [
        ("L", "L", False, np.uint8),
        ("LA", "L", True, np.uint8),
        ("RGB", "RGB", False, np.uint8),
        ("RGBA", "RGB", True, np.uint8),
        ("CMYK", "CMYK", False, np.uint8),
        ("I;16", "L", False, np.uint16),
        ("I", "L", False, np.int32),
        ("F", "L", False, np.float32),
    ],
)
def test_every_mode_splits_and_rebuilds_exactly(mode, bands, alpha, dtype):
    r = np.random.default_rng(0)
    channel_count = {"LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}.get(mode, 1)
    if dtype == np.float32:
        data = r.normal(0, 1000, (4, 5)).astype(np.float32)
    else:
        info = np.iinfo(dtype)
        data = r.integers(info.min, info.max, (4, 5, channel_count), dtype=dtype, endpoint=True)
        data = data[..., 0] if channel_count == 1 else data
    image = channels.to_image(data, mode)
    assert image.mode == mode
    planes = channels.from_image(image, "x.png")
    assert planes.bands == bands and planes.colour().dtype == (np.float64 if mode in ("I", "F") else np.float32)
    assert planes.has_alpha == alpha and planes.pixels.dtype == dtype  # the pixels as decoded
    assert planes.source_mode == mode and planes.depth.dtype == dtype
    back = to_range(planes.colour(), planes.depth)
    if alpha:
        colour = back if back.ndim == 3 else back[..., np.newaxis]
        back = np.dstack([colour, to_range(planes.alpha(), planes.depth)])
    rebuilt = channels.to_image(back, channels.pillow_mode(bands, alpha, planes.depth))
    assert rebuilt.mode == mode
    np.testing.assert_array_equal(np.asarray(rebuilt), data)  # every 32-bit value too: float64 planes


def test_sixteen_bit_grey_stays_sixteen_bit_in_either_byte_order(tmp_path):
    data = (np.arange(20, dtype=np.uint16) * 3001).reshape(4, 5)
    for name in ("a.png", "b.tif"):
        Image.fromarray(data).save(tmp_path / name)
        planes = channels.from_image(files.read_image(tmp_path / name)[0], name)
        assert planes.depth is SIXTEEN and planes.bands == "L"
        np.testing.assert_array_equal(planes.colour(), data)
    big_endian = Image.frombytes("I;16B", (5, 4), data.astype(">u2").tobytes())
    np.testing.assert_array_equal(channels.from_image(big_endian, "c.tif").colour(), data)


def test_palette_and_bilevel_images_are_read_as_the_colours_they_show():
    rgb = Image.new("RGB", (3, 2), (10, 200, 30)).convert("P", palette=Image.Palette.ADAPTIVE)
    planes = channels.from_image(rgb, "p.png")
    assert planes.bands == "RGB" and not planes.has_alpha and planes.source_mode == "P"
    assert planes.colour()[0, 0].tolist() == [10, 200, 30]
    transparent = Image.new("P", (3, 2), 0)
    transparent.putpalette([0, 0, 0, 255, 0, 0])
    transparent.info["transparency"] = 0
    planes = channels.from_image(transparent, "t.png")
    assert planes.bands == "RGB" and planes.alpha().tolist() == [[0, 0, 0]] * 2
    for mode, key in (("L", 7), ("RGB", (1, 2, 3))):
        keyed = Image.new(mode, (2, 1), key)
        keyed.putpixel((1, 0), 200 if mode == "L" else (200, 200, 200))
        keyed.info["transparency"] = key
        planes = channels.from_image(keyed, "k.png")
        assert planes.alpha().tolist() == [[0, 255]]  # the colour key is transparent
    bilevel = channels.from_image(Image.new("1", (2, 2), 1), "b.png")
    assert bilevel.bands == "L" and bilevel.colour().tolist() == [[255, 255]] * 2 and bilevel.source_mode == "1"


def test_arrays_of_each_supported_shape_and_type():
    grey = channels.from_array(np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5, "g.npy")
    assert grey.bands == "L" and grey.depth.is_float and grey.colour().tolist() == [[-2.5, -1.5, -0.5], [0.5, 1.5, 2.5]]
    assert channels.from_array(np.zeros((2, 3, 1), np.uint16), "a.npy").depth is SIXTEEN
    assert channels.from_array(np.zeros((2, 3), np.int16), "a.npy").depth is INT32
    grey_alpha = channels.from_array(np.zeros((2, 3, 2), np.uint8), "a.npy")
    assert grey_alpha.bands == "L" and grey_alpha.colour().shape == (2, 3) and grey_alpha.alpha().shape == (2, 3)
    rgba = channels.from_array(np.zeros((2, 3, 4), np.uint8), "a.npy")
    assert rgba.bands == "RGB" and rgba.colour().shape == (2, 3, 3) and rgba.has_alpha
    with pytest.raises(ConvcliError, match="b.npy: arrays of complex128 are not supported"):
        channels.from_array(np.zeros((2, 2), complex), "b.npy")
    with pytest.raises(ConvcliError, match=r"b.npy: an array of shape \(2, 2, 5\) is not an image"):
        channels.from_array(np.zeros((2, 2, 5)), "b.npy")
    with pytest.raises(ConvcliError, match=r"shape \(4,\) is not an image"):
        channels.from_array(np.zeros(4), "b.npy")


def test_bilevel_and_palette_results_return_to_their_mode_only_when_nothing_is_lost():
    def holds(mode):
        return True

    black_white = Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8))
    assert channels.recode(black_white, "1", holds).mode == "1"
    grey = Image.fromarray(np.array([[0, 128]], np.uint8))
    assert channels.recode(grey, "1", holds).mode == "L"
    assert channels.recode(black_white, "1", lambda mode: False).mode == "L"

    few = np.array([[[255, 0, 0, 255], [0, 0, 255, 128], [255, 0, 0, 255]]], np.uint8)
    palette = channels.recode(Image.fromarray(few), "P", holds)
    assert palette.mode == "P" and np.array_equal(np.asarray(palette.convert("RGBA")), few)
    many = np.arange(300 * 3, dtype=np.uint32).reshape(1, 300, 3).astype(np.uint8)
    many[0, :, 0] = np.arange(300) % 256
    many[0, :, 1] = np.arange(300) // 256
    assert channels.recode(Image.fromarray(many), "P", holds).mode == "RGB"


def test_default_output_path():
    beside = functools.partial(naming.destination_for, output=None)
    assert beside(Path("d/photo.png"), tag="blur") == Path("d/photo.blur.png")
    assert beside(Path("IMG.JPG"), tag="sobel") == Path("IMG.sobel.JPG")
    assert beside(Path("scan"), tag="blur") == Path("scan.blur.png")
    assert beside(Path("scan.v2"), tag="blur") == Path("scan.v2.blur.png")
    # Pillow reads XPM and PSD but cannot write them: the result must still be writable.
    assert beside(Path("icon.xpm"), tag="blur") == Path("icon.xpm.blur.png")
    assert beside(Path("art.psd"), tag="blur") == Path("art.psd.blur.png")


def test_name_templates_fill_in_the_inputs_parts_and_refuse_the_unknown(tmp_path):
    source = tmp_path / "shots" / "cat.photo.JPG"
    named = functools.partial(naming.destination_for, source, None, "sobel-x", out_dir=Path("out"))
    assert named() == Path("out/cat.photo.sobel-x.JPG")
    assert named(template="{parent}/{stem}_{filter}{ext}", format="tif") == Path("out/shots/cat.photo_sobel-x.tif")
    assert named(template="{name}.{filter}.npy") == Path("out/cat.photo.JPG.sobel-x.npy")
    for template, fragment in [
        ("{stem}{size}", "unknown field {size}"),
        ("{stem:>9}", "takes no format"),
        ("{filter}{ext}", "every input would get the same name"),
        ("{stem", "expected '}'"),
    ]:
        with pytest.raises(UsageError, match=re.escape(fragment)):
            naming.check_template(template)


def test_format_capabilities_are_probed_not_assumed():
    def table(mode, formats):
        return [files.holds(f, mode) for f in formats]

    assert table("LA", ("PNG", "TIFF", "WEBP", "JPEG", "BMP", "PDF")) == [True, True, True, False, False, False]
    assert table("I;16", ("PNG", "TIFF", "GIF", "WEBP", "JPEG", "BMP")) == [True, True, False, False, False, False]
    assert table("I", ("TIFF", "PNG", "WEBP")) == [True, False, False]
    assert table("F", ("TIFF", "PNG", "JPEG")) == [True, False, False]
    assert table("CMYK", ("TIFF", "JPEG", "PNG", "WEBP")) == [True, True, False, False]
    assert table("1", ("PNG", "TIFF", "BMP", "JPEG")) == [True, True, True, False]
    assert table("P", ("PNG", "GIF", "BMP", "JPEG")) == [True, True, True, False]
    assert table("P+transparency", ("PNG", "TIFF")) == [True, False]
    assert files.holds("NPY", "F")


def test_output_depth_follows_the_input_and_steps_down_with_a_warning(tmp_path):
    warnings = []

    def choose(planes, fmt, requested=None):
        return target.choose(planes, fmt, requested, Path("out"), warnings.append)

    def planes(depth_, bands="L", alpha=False):
        return channels.Planes(np.zeros((1, 1, len(bands) + alpha)), alpha, bands, depth_, "x")

    assert choose(planes(SIXTEEN), "PNG") == target.Target(SIXTEEN, False, "I;16")
    assert choose(planes(EIGHT), "NPY").depth.is_float  # .npy: the exact values by default
    assert choose(planes(EIGHT), "NPY", "8").depth is EIGHT
    assert choose(planes(floating()), "TIFF") == target.Target(floating(), False, "F")
    assert warnings == []
    assert choose(planes(floating()), "PNG") == target.Target(EIGHT, False, "L")
    assert choose(planes(INT32), "PNG") == target.Target(SIXTEEN, False, "I;16")
    assert choose(planes(SIXTEEN), "JPEG") == target.Target(EIGHT, False, "L")
    assert warnings == [
        "out: PNG holds no float grey; the values are written as 8-bit integers, rounded, and clipped where "
        "outside 0..255 (.tif or .npy keep them)",
        "out: PNG holds 16 bits per channel; the integer values are written as they are, clipped where outside "
        "0..65535",
        "out: JPEG holds 8 bits per channel; 16-bit values scaled to 0..255",
    ]
    assert choose(planes(EIGHT), "TIFF", "float") == target.Target(floating(255), False, "F")
    assert choose(planes(EIGHT, "RGB", alpha=True), "PNG", "8") == target.Target(EIGHT, True, "RGBA")
    with pytest.raises(UsageError, match="out: PNG cannot hold float grey .--depth float.; write .npy"):
        choose(planes(EIGHT), "PNG", "float")
    assert choose(planes(EIGHT, "RGB"), "PNG", "16") == target.Target(SIXTEEN, False, "RGB;16")
    assert choose(planes(EIGHT, "L", alpha=True), "TIFF", "16") == target.Target(SIXTEEN, True, "LA;16")
    with pytest.raises(UsageError, match="out: JPEG cannot hold 16-bit RGB .--depth 16.; write .npy, .* .png or .tif"):
        choose(planes(EIGHT, "RGB"), "JPEG", "16")


def test_output_format_from_extension():
    assert files.output_format(Path("a.JPG")) == "JPEG"
    assert files.output_format(Path("a.tiff")) == "TIFF"
    with pytest.raises(UsageError, match="'.xyz' names no image format"):
        files.output_format(Path("a.xyz"))
    with pytest.raises(UsageError, match="no extension"):
        files.output_format(Path("a"))


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.new("L", (6, 4)).save(tmp_path / "o.png", exif=exif)
    assert files.read_image(tmp_path / "o.png")[0].size == (4, 6)


def test_failed_write_leaves_existing_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")
    image = Image.new("L", (4, 4))

    def broken_save(self, fp, format=None, **params):
        fp.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ConvcliError, match="out.png: cannot write PNG: disk full"):
        writing.write_image_atomic(image, target, "PNG")
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_interrupted_write_leaves_no_temp(tmp_path, monkeypatch):
    def interrupted(self, fp, format=None, **params):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writing.write_image_atomic(Image.new("L", (2, 2)), tmp_path / "o.png", "PNG")
    assert list(tmp_path.iterdir()) == []


def test_new_file_gets_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        writing.write_image_atomic(Image.new("L", (2, 2)), tmp_path / "o.png", "PNG")
    finally:
        os.umask(old)
    assert (tmp_path / "o.png").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_pillow_images_are_copied_out_a_band_of_rows_at_a_time(monkeypatch):
    """Pillow's tobytes holds a whole image's bytes twice beside the image: 72 MiB more at the
    peak for a 12 Mpx RGB photo. Bands of rows hold a few MiB."""
    monkeypatch.setattr(channels, "_COPY_BYTES", 3000)
    largest = []
    tobytes = Image.Image.tobytes

    def watched(self, *args, **kwargs):
        data = tobytes(self, *args, **kwargs)
        largest.append(len(data))
        return data

    monkeypatch.setattr(Image.Image, "tobytes", watched)
    pixels = np.random.default_rng(0).integers(0, 256, (300, 40, 3), dtype=np.uint8)
    planes = channels.from_image(Image.fromarray(pixels), "big.png")
    np.testing.assert_array_equal(planes.pixels, pixels)
    assert max(largest) <= 3000 + 40 * 3
