"""A grey or colour JPEG is decoded once, strictly, by libjpeg-turbo into an array: the same
pixels Pillow decodes (the same library, accurate IDCT, fancy upsampling), turned upright,
with its damage found by that one decoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from convcli.errors import ConvcliError
from convcli.imaging import files


def _photo() -> np.ndarray:
    rng = np.random.default_rng(1)
    ramp = np.add.outer(np.arange(45), np.arange(61))[..., np.newaxis] * np.array([2, 3, 1])
    return np.clip(ramp + rng.integers(0, 60, (45, 61, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize(
    "options",
    [{"quality": 92}, {"quality": 75, "subsampling": 2}, {"quality": 95, "subsampling": 0}, {"progressive": True}],
    ids=["q92", "420", "444", "progressive"],
)
def test_the_array_holds_what_pillow_decodes(mode, options, tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(_photo()).convert(mode).save(path, **options)
    pixels, _ = files.read_image(path)
    assert isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8
    with Image.open(path) as pillow:
        np.testing.assert_array_equal(pixels, np.asarray(pillow))


def test_the_orientation_is_applied_and_the_metadata_kept(tmp_path):
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    exif[0x010E] = "a description"
    Image.fromarray(_photo()).save(path, exif=exif, quality=95)
    pixels, info = files.read_image(path)
    with Image.open(path) as pillow:
        from PIL import ImageOps

        np.testing.assert_array_equal(pixels, np.asarray(ImageOps.exif_transpose(pillow)))
    assert pixels.shape == (61, 45, 3)
    kept = Image.Exif()
    kept.load(info["exif"])
    assert kept.get(0x010E) == "a description" and kept.get(0x0112, 1) == 1


def test_damage_is_found_by_the_one_decoding(tmp_path):
    data = io.BytesIO()
    Image.fromarray(_photo()).save(data, "JPEG", quality=90)
    cut = bytearray(data.getvalue())
    middle = len(cut) // 2
    cut[middle : middle + 40] = bytes(40)  # zeroed Huffman data: libjpeg-turbo warns of it
    (tmp_path / "hurt.jpg").write_bytes(bytes(cut))
    with pytest.raises(ConvcliError, match=r"hurt.jpg: damaged JPEG: .*--allow-damaged"):
        files.read_image(tmp_path / "hurt.jpg")
    image, _ = files.read_image(tmp_path / "hurt.jpg", allow_damaged=True, warn=lambda line: None)
    assert image.size == (61, 45)  # Pillow decodes what it can, as before


def test_a_cmyk_jpeg_is_decoded_by_pillow_still(tmp_path):
    Image.fromarray(_photo()).convert("CMYK").save(tmp_path / "inks.jpg")
    image, _ = files.read_image(tmp_path / "inks.jpg")
    assert isinstance(image, Image.Image) and image.mode == "CMYK"
