"""The image pipeline's pieces: modes to planes and back, value mapping, file names, atomic writes."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convcli.errors import ConvcliError, UsageError
from convcli.imaging import channels, files, stretch_to_max, to_range


def test_to_range_rounds_half_to_even_and_clips():
    values = np.array([-0.6, 0.5, 1.5, 2.5, 254.5, 255.4, 1e9])
    assert to_range(values, 255).tolist() == [0, 0, 2, 2, 254, 255, 255]
    assert to_range(np.array([65534.5, 70000.0]), 65535).tolist() == [65534, 65535]
    assert to_range(np.array([1.0]), 65535).dtype == np.uint16


def test_stretch_to_max_uses_the_whole_range_without_clipping():
    assert stretch_to_max(np.array([0.0, -1.0, 3.0]), 255).tolist() == [0, 85, 255]
    assert stretch_to_max(np.zeros(4), 255).tolist() == [0, 0, 0, 0]
    assert stretch_to_max(np.array([1.0, 1000.0]), 65535).max() == 65535


@pytest.mark.parametrize(
    "mode, shape, alpha",
    [("L", (4, 5), False), ("LA", (4, 5), True), ("RGB", (4, 5, 3), False), ("RGBA", (4, 5, 3), True)],
)
def test_split_and_merge_round_trip(mode, shape, alpha):
    r = np.random.default_rng(0)
    data = r.integers(0, 256, (4, 5, len(mode)), dtype=np.uint8).squeeze()
    image = Image.fromarray(data)
    assert image.mode == mode
    planes = channels.split(image, "x.png")
    assert planes.colour.shape == shape and planes.colour.dtype == np.float32
    assert (planes.alpha is not None) == alpha
    back = channels.merge(planes.colour.astype(np.uint8), planes)
    assert back.mode == mode
    np.testing.assert_array_equal(np.asarray(back), data)


def test_sixteen_bit_grey_stays_sixteen_bit_in_either_byte_order(tmp_path):
    data = (np.arange(20, dtype=np.uint16) * 3001).reshape(4, 5)
    for name in ("a.png", "b.tif"):
        Image.fromarray(data).save(tmp_path / name)
        planes = channels.split(files.read_image(tmp_path / name), name)
        assert planes.mode == "I;16" and planes.max_value == 65535
        np.testing.assert_array_equal(planes.colour, data)
    big_endian = Image.frombytes("I;16B", (5, 4), data.astype(">u2").tobytes())
    np.testing.assert_array_equal(channels.split(big_endian, "c.tif").colour, data)


def test_palette_images_become_rgb_or_rgba():
    rgb = Image.new("RGB", (3, 2), (10, 200, 30)).convert("P")
    assert channels.split(rgb, "p.png").mode == "RGB"
    transparent = Image.new("P", (3, 2), 0)
    transparent.putpalette([0, 0, 0, 255, 0, 0])
    transparent.info["transparency"] = 0
    planes = channels.split(transparent, "t.png")
    assert planes.mode == "RGBA" and planes.alpha.tolist() == [[0, 0, 0]] * 2


def test_bilevel_and_cmyk_are_converted():
    assert channels.split(Image.new("1", (2, 2), 1), "b.png").mode == "L"
    assert channels.split(Image.new("CMYK", (2, 2)), "c.jpg").mode == "RGB"


def test_unsupported_mode_names_the_file():
    with pytest.raises(ConvcliError, match="f.tif: image mode F is not supported"):
        channels.split(Image.new("F", (2, 2)), "f.tif")


def test_default_output_path():
    assert files.default_output_path(Path("d/photo.png"), "blur") == Path("d/photo.blur.png")
    assert files.default_output_path(Path("IMG.JPG"), "sobel") == Path("IMG.sobel.JPG")
    assert files.default_output_path(Path("scan"), "blur") == Path("scan.blur.png")
    assert files.default_output_path(Path("scan.v2"), "blur") == Path("scan.v2.blur.png")
    # Pillow reads XPM and PSD but cannot write them: the result must still be writable.
    assert files.default_output_path(Path("icon.xpm"), "blur") == Path("icon.xpm.blur.png")
    assert files.default_output_path(Path("art.psd"), "blur") == Path("art.psd.blur.png")


def test_format_capabilities_are_probed_not_assumed():
    assert [files.holds_alpha(f) for f in ("PNG", "TIFF", "WEBP", "JPEG", "BMP", "PDF")] == [
        True, True, True, False, False, False,
    ]
    assert [files.holds_16_bit(f) for f in ("PNG", "TIFF", "GIF", "WEBP", "JPEG", "BMP")] == [
        True, True, False, False, False, False,
    ]


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
    assert files.read_image(tmp_path / "o.png").size == (4, 6)


def test_failed_write_leaves_existing_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")
    image = Image.new("L", (4, 4))

    def broken_save(self, fp, format=None, **params):
        fp.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ConvcliError, match="out.png: cannot write PNG: disk full"):
        files.write_image_atomic(image, target, "PNG")
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_interrupted_write_leaves_no_temp(tmp_path, monkeypatch):
    def interrupted(self, fp, format=None, **params):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_image_atomic(Image.new("L", (2, 2)), tmp_path / "o.png", "PNG")
    assert list(tmp_path.iterdir()) == []


def test_new_file_gets_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        files.write_image_atomic(Image.new("L", (2, 2)), tmp_path / "o.png", "PNG")
    finally:
        os.umask(old)
    assert (tmp_path / "o.png").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
