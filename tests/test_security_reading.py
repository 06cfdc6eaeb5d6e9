"""Trust at the door: only the formats convcli names are opened, damage fails an image, stdin is
bounded, and the size limit is convcli's alone. Each attack file is made by its test."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin
from processes import convcli, failed, files_in

from convcli.cli import main
from convcli.errors import Terminated, raise_terminated
from convcli.imaging import files, integrity

POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"


def run(args: list[str], capsys) -> tuple[int, str]:
    """convcli's main() in this process: its exit code and stderr."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        code = main([str(arg) for arg in args])
    finally:
        signal.signal(signal.SIGTERM, handler)
    return code, capsys.readouterr().err


def one_error(code: int, err: str, expected: int, *fragments: str) -> str:
    lines = err.strip().splitlines()
    assert code == expected, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err
    return lines[0]


def photo() -> np.ndarray:
    """A smooth, slightly noisy colour image: its JPEG has real entropy-coded data to damage."""
    y, x = np.mgrid[0:96, 0:128]
    colour = np.stack([x * 2 % 256, y * 2 % 256, (x + y) % 256], -1)
    return (colour + np.random.default_rng(3).integers(0, 12, colour.shape)).clip(0, 255).astype(np.uint8)


def encoded(**save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo()).save(buffer, **save)
    return buffer.getvalue()


# --- formats by allowlist --------------------------------------------------------------------


def fake_ghostscript(directory: Path) -> tuple[dict, Path]:
    """A `gs` first on PATH that leaves a mark when run, as Pillow would run the real one."""
    marker = directory / "gs-ran"
    gs = directory / "bin" / "gs"
    gs.parent.mkdir()
    gs.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    gs.chmod(0o755)
    return {**os.environ, "PATH": f"{gs.parent}{os.pathsep}{os.environ['PATH']}"}, marker


def test_a_postscript_file_named_png_is_refused_and_runs_no_program(tmp_path):
    environment, marker = fake_ghostscript(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "innocent.png").write_bytes(POSTSCRIPT + b"(/tmp/victim.txt) (w) file (overwritten) writestring showpage\n")
    (work / "loop.eps").write_bytes(POSTSCRIPT + b"{ } loop\n")
    for name, output in (("innocent.png", "o.png"), ("innocent.png", "-"), ("loop.eps", "o.png")):
        result = convcli("blur", name, "-o", output, cwd=work, env=environment)
        failed(result, 1, name, "PostScript", "never runs another program")
        assert not marker.exists(), "Ghostscript was started"
    assert files_in(work) == {"innocent.png", "loop.eps"}


def test_writing_postscript_or_pdf_runs_no_program(tmp_path):
    # What a format holds is found by writing a sample and reading it back: read back as EPS,
    # Pillow would start Ghostscript.
    environment, marker = fake_ghostscript(tmp_path)
    probe = (
        "from convcli.imaging import files; print([files.holds(f, m) for f in ('EPS', 'PDF') for m in ('L', 'RGB')])"
    )
    subprocess.run([sys.executable, "-c", probe], env=environment, check=True, capture_output=True, timeout=60)
    assert not marker.exists(), "Ghostscript was started"


@pytest.mark.parametrize(
    "head, what",
    [
        (b"%PDF-1.7\n", "PDF"),
        (b"\xc5\xd0\xd3\xc6" + bytes(28), "EPS"),
        (b"\n\n%!PS-Adobe-2.0\n", "PostScript"),
        (b'<?xml version="1.0"?><svg/>', "SVG"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
        (b"8BPS\x00\x01" + bytes(30), "Photoshop"),
    ],
)
def test_formats_convcli_does_not_read_are_named_for_what_they_are(tmp_path, capsys, head, what):
    (tmp_path / "photo.png").write_bytes(head + bytes(200))
    code, err = run(["blur", tmp_path / "photo.png", "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, "photo.png", what)
    assert not (tmp_path / "o.png").exists()


def test_a_format_pillow_reads_but_convcli_does_not_list_is_refused(tmp_path, capsys):
    Image.fromarray(photo()).save(tmp_path / "photo.sgi", format="SGI")
    code, err = run(["blur", tmp_path / "photo.sgi", "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, "photo.sgi", "not an image in a format convcli reads", "PNG, JPEG, TIFF")


def test_formats_are_recognised_by_content_not_by_name(tmp_path, capsys):
    (tmp_path / "really-a-png.jpg").write_bytes(encoded(format="PNG"))
    code, err = run(["blur", tmp_path / "really-a-png.jpg", "-o", tmp_path / "o.png"], capsys)
    assert code == 0, err
    assert np.asarray(Image.open(tmp_path / "o.png")).shape == photo().shape


# --- damage is an error ----------------------------------------------------------------------


def damaged_jpeg() -> bytes:
    """The photo's JPEG with 16 bytes overwritten in its scan, where libjpeg-turbo warns."""
    good = encoded(format="JPEG", quality=92)
    rng = np.random.default_rng(5)
    for start in range(len(good) // 4, len(good) - 32, 97):
        bad = bytearray(good)
        bad[start : start + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
        if integrity.check_jpeg(bytes(bad)):
            return bytes(bad)
    raise AssertionError("no damage libjpeg-turbo reports")


def damaged_deflate_tiff() -> bytes:
    """A deflate TIFF in strips with one bit of its compressed data changed where libtiff, through
    Pillow, decodes it without a word: only the stream's checksum disagrees."""
    data = encoded(format="TIFF", compression="tiff_adobe_deflate", tiffinfo={278: 8})
    for position in range(len(data) // 4, len(data) - 8):
        trial = bytearray(data)
        trial[position] ^= 0x01
        try:
            with Image.open(io.BytesIO(bytes(trial))) as image:
                image.load()
        except Exception:  # noqa: BLE001 - damage Pillow finds itself: not the case wanted
            continue
        if integrity.check_tiff(io.BytesIO(bytes(trial))):
            return bytes(trial)
    raise AssertionError("no flip that only the checksum finds")


def damaged_jpeg_tiff() -> bytes:
    data = bytearray(encoded(format="TIFF", compression="jpeg"))
    with TiffImagePlugin.TiffImageFile(io.BytesIO(bytes(data))) as tiff:
        offset, count = tiff.tag_v2[273][0], tiff.tag_v2[279][0]
    rng = np.random.default_rng(8)
    for start in range(offset + count // 4, offset + count - 20, 13):
        trial = bytearray(data)
        trial[start : start + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
        if integrity.check_tiff(io.BytesIO(bytes(trial))):
            return bytes(trial)
    raise AssertionError("no damage found")


def damaged_png() -> bytes:
    data = bytearray(encoded(format="PNG"))
    idat = data.index(b"IDAT")
    data[idat + 40] ^= 0x10  # inside the image data: only the chunk's CRC tells
    return bytes(data)


def cut_jpeg_scan() -> bytes:
    good = encoded(format="JPEG", quality=92)
    return good[: len(good) * 2 // 3]


@pytest.mark.parametrize(
    "name, make, fragment",
    [
        ("overwritten.jpg", damaged_jpeg, "damaged JPEG: Corrupt JPEG data"),
        ("cut.jpg", cut_jpeg_scan, "damaged JPEG: Premature end of JPEG file"),
        ("crc.png", damaged_png, "damaged PNG: its 'IDAT' chunk fails its CRC check"),
        ("deflate.tif", damaged_deflate_tiff, "damaged TIFF: strip or tile"),
        ("jpeg.tif", damaged_jpeg_tiff, "damaged TIFF: strip or tile"),
    ],
)
def test_damaged_images_fail_naming_the_damage_unless_allowed(tmp_path, capsys, name, make, fragment):
    (tmp_path / name).write_bytes(make())
    code, err = run(["blur", tmp_path / name, "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, name, fragment, "--allow-damaged")
    assert not (tmp_path / "o.png").exists()
    code, err = run(["blur", tmp_path / name, "-o", tmp_path / "o.png", "--allow-damaged"], capsys)
    assert code == 0, err
    assert err.count("warning:") == 1 and fragment in err and "read anyway" in err
    assert (tmp_path / "o.png").exists()


def test_good_images_of_every_checked_format_pass(tmp_path, capsys):
    for name, save in (
        ("a.jpg", {"format": "JPEG"}),
        ("p.jpg", {"format": "JPEG", "progressive": True}),
        ("a.png", {"format": "PNG"}),
        ("d.tif", {"format": "TIFF", "compression": "tiff_adobe_deflate"}),
        ("j.tif", {"format": "TIFF", "compression": "jpeg"}),
        ("l.tif", {"format": "TIFF", "compression": "tiff_lzw"}),
    ):
        (tmp_path / name).write_bytes(encoded(**save))
        code, err = run(["blur", tmp_path / name, "-o", tmp_path / f"{name}.png"], capsys)
        assert code == 0 and err.strip().startswith("wrote"), (name, err)
    grey = io.BytesIO()
    Image.fromarray(photo()).convert("CMYK").save(grey, format="JPEG")
    assert integrity.check_jpeg(grey.getvalue()) is None


def test_a_jpeg_header_promising_more_pixels_than_its_bytes_hold_is_refused_before_decoding(tmp_path, capsys):
    data = bytearray(encoded(format="JPEG"))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 9000, 9000)
    (tmp_path / "bomb.jpg").write_bytes(bytes(data))
    decoded = []
    original = Image.Image.load
    Image.Image.load = lambda self: decoded.append(self) or original(self)
    try:
        code, err = run(["blur", tmp_path / "bomb.jpg", "-o", tmp_path / "o.png"], capsys)
    finally:
        Image.Image.load = original
    one_error(code, err, 1, "bomb.jpg", "promises 9000x9000 pixels")
    assert decoded == []


def test_a_bmp_header_promising_more_pixels_than_its_bytes_hold_is_refused(tmp_path, capsys):
    data = bytearray(encoded(format="BMP"))
    data[18:26] = struct.pack("<ii", 9000, 9000)
    (tmp_path / "bomb.bmp").write_bytes(bytes(data[:700]))
    code, err = run(["blur", tmp_path / "bomb.bmp", "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, "bomb.bmp", "promises 81,000,000 pixels", "can hold at most")


def resized_tiff_header(data: bytes, width: int, height: int) -> bytes:
    """`data`, a little-endian TIFF, with its first image's width and height tags changed."""
    out = bytearray(data)
    (ifd,) = struct.unpack("<I", data[4:8])
    (count,) = struct.unpack("<H", data[ifd : ifd + 2])
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        tag, kind = struct.unpack("<HH", data[entry : entry + 4])
        if tag in (256, 257, 278):
            value = {256: width, 257: height, 278: height}[tag]
            out[entry + 8 : entry + 12] = struct.pack(
                "<HH" if kind == 3 else "<I", *((value, 0) if kind == 3 else (value,))
            )
    return bytes(out)


@pytest.mark.parametrize("compression", ["tiff_adobe_deflate", "tiff_lzw", "packbits"])
def test_a_compressed_tiff_promising_more_pixels_than_its_strips_hold_is_refused_before_decoding(
    tmp_path, capsys, compression
):
    small = io.BytesIO()
    Image.new("L", (8, 8)).save(small, format="TIFF", compression=compression)
    (tmp_path / "bomb.tif").write_bytes(resized_tiff_header(small.getvalue(), 9000, 9000))
    decoded = []
    original = Image.Image.load
    Image.Image.load = lambda self: decoded.append(self) or original(self)
    try:
        code, err = run(["blur", tmp_path / "bomb.tif", "-o", tmp_path / "o.png"], capsys)
    finally:
        Image.Image.load = original
    one_error(code, err, 1, "bomb.tif", "promises 81,000,000 pixels")
    assert decoded == []


def test_a_damaged_png_inside_an_ico_fails_as_the_png_alone_does(tmp_path, capsys):
    icon = bytearray()
    Image.fromarray(photo()[:64, :64]).save(buffer := io.BytesIO(), format="ICO", sizes=[(64, 64)])
    icon = bytearray(buffer.getvalue())
    png = icon.index(b"IDAT")
    icon[png + 30] ^= 0x10
    (tmp_path / "bad.ico").write_bytes(bytes(icon))
    code, err = run(["blur", tmp_path / "bad.ico", "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, "bad.ico", "damaged ICO", "a PNG", "CRC")


def test_a_png_header_promising_more_pixels_than_its_data_holds_is_refused():
    good = encoded(format="PNG")
    bomb = bytearray(good)
    bomb[16:24] = struct.pack(">II", 60000, 60000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
    assert "cannot hold them" in integrity.check_png(io.BytesIO(bytes(bomb)))
    assert integrity.check_png(io.BytesIO(good)) is None


# --- stdin is bounded ------------------------------------------------------------------------


def test_endless_zeros_on_stdin_are_refused_at_once(tmp_path):
    with open(os.devnull.replace("null", "zero"), "rb") as zeros:
        result = subprocess.run(
            [sys.executable, "-m", "convcli", "blur", "-o", "o.png"],
            cwd=tmp_path,
            stdin=zeros,
            capture_output=True,
            timeout=60,
        )
    failed(result, 1, "stdin", "not an image in a format convcli reads")


def test_stdin_over_the_pixel_limit_is_refused_from_its_header(monkeypatch):
    noise = np.random.default_rng(2).integers(0, 256, (300, 300), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    endless = _Endless(buffer.getvalue()[: 70 << 10])
    monkeypatch.setattr(sys, "stdin", endless)
    with pytest.raises(Exception, match="stdin: its header promises 90,000 pixels, over the limit of 1,000"):
        files.stdin_data(1000)
    assert endless.given < 2 << 20


def test_stdin_is_capped_in_bytes_as_it_streams(tmp_path, capsys, monkeypatch):
    # A TIFF may keep its header at its end: only the byte cap stops an endless one.
    endless = _Endless(FAR_TIFF)
    monkeypatch.setattr(sys, "stdin", endless)
    with pytest.raises(Exception, match=r"stdin: more than [\d,]+ bytes, more than an image within --max-pixels 10"):
        files.stdin_data(10)
    assert endless.given < 20 << 20


# A TIFF whose first directory is said to lie 2 GB on: nothing can be judged before it comes.
FAR_TIFF = b"II*\x00" + struct.pack("<I", 2 << 30)


def test_stdin_is_capped_at_what_its_header_promises(monkeypatch):
    one_pixel = io.BytesIO()
    Image.new("L", (1, 1)).save(one_pixel, format="PNG")
    # The signature and header of a 1x1 PNG, then image data said to be 2 GB long: zeros.
    endless = _Endless(one_pixel.getvalue()[:33] + struct.pack(">I", (2 << 30) - 1) + b"IDAT")
    monkeypatch.setattr(sys, "stdin", endless)
    with pytest.raises(Exception, match="stdin: more than [\\d,]+ bytes, more than the 1 pixels its header promises"):
        files.stdin_data(None)
    assert endless.given < 20 << 20


def test_stdin_tiff_whose_directory_lies_in_its_zeros_is_refused_at_once(monkeypatch):
    endless = _Endless(b"II*\x00" + bytes(60))
    monkeypatch.setattr(sys, "stdin", endless)
    with pytest.raises(Exception, match="stdin: not an image in a format convcli reads"):
        files.stdin_data(None)
    assert endless.given < 2 << 20


class _Endless:
    """A stdin that never ends: `start`, then zeros; SIGTERM comes after `signal_after` bytes."""

    def __init__(self, start: bytes, signal_after: int | None = None):
        self.buffer = self
        self.start = start
        self.given = 0
        self.signal_after = signal_after

    def read1(self, size: int) -> bytes:
        if self.given > 64 << 20:
            raise AssertionError("stdin was read on and on")
        block = (self.start if self.given == 0 else b"") + bytes(size)
        self.given += len(block)
        if self.signal_after is not None and self.given > self.signal_after:
            os.kill(os.getpid(), signal.SIGTERM)
        return block


def test_sigterm_stops_the_reading_of_an_endless_stdin(monkeypatch):
    # /dev/zero never blocks, so a read of it all never returns to Python to run a handler;
    # a read in blocks answers between two of them.
    endless = _Endless(FAR_TIFF, signal_after=5 << 20)
    monkeypatch.setattr(sys, "stdin", endless)
    handler = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        with pytest.raises(Terminated):
            files.stdin_data(None)
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert endless.given < 8 << 20


def test_a_pipe_or_fifo_as_image_is_read_once_and_bounded(tmp_path):
    Image.fromarray(photo()).save(tmp_path / "p.png")
    result = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m convcli blur <(cat p.png) -o o.png"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert np.asarray(Image.open(tmp_path / "o.png")).shape == photo().shape
    failed(convcli("blur", "/dev/zero", "-o", "z.png", cwd=tmp_path), 1, "/dev/zero", "not an image")
    os.mkfifo(tmp_path / "fifo.png")
    writer = subprocess.Popen(["bash", "-c", "cat p.png > fifo.png"], cwd=tmp_path)
    try:
        result = convcli("blur", "fifo.png", "-o", "f.png", cwd=tmp_path)
    finally:
        writer.wait(timeout=60)
    assert result.returncode == 0, result.stderr.decode()


# --- one limit -------------------------------------------------------------------------------


def many_pages_tiff(pages: int) -> bytes:
    """A TIFF of `pages` 1x1 grey pages, each IFD pointing to the next."""
    entries = 8
    ifd_size = 2 + entries * 12 + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for page in range(pages):
        start = 8 + page * (ifd_size + 1)
        pixel = start + ifd_size
        following = 0 if page == pages - 1 else start + ifd_size + 1
        tags = [(256, 3, 1, 1), (257, 3, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, pixel)]
        tags += [(278, 3, 1, 1), (279, 4, 1, 1)]
        out += struct.pack("<H", entries)
        for tag, kind, count, value in tags:
            out += struct.pack("<HHII", tag, kind, count, value)
        out += struct.pack("<I", following) + b"\x80"
    return bytes(out)


def test_a_many_page_tiff_is_refused_after_its_second_page(tmp_path, capsys, monkeypatch):
    (tmp_path / "pages.tif").write_bytes(many_pages_tiff(3000))
    visited = []
    original = TiffImagePlugin.TiffImageFile._seek
    monkeypatch.setattr(
        TiffImagePlugin.TiffImageFile, "_seek", lambda self, frame: visited.append(frame) or original(self, frame)
    )
    code, err = run(["blur", tmp_path / "pages.tif", "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, "pages.tif", "more than one frame or page")
    assert max(visited, default=0) <= 1


def test_max_pixels_alone_governs_every_format_and_pillow_says_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's own guard, far below these images
    for name, save in (("big.tif", {"format": "TIFF"}), ("big.png", {"format": "PNG"})):
        (tmp_path / name).write_bytes(encoded(**save))  # 12,288 pixels: over twice Pillow's limit
        for limit in ("0", "20000"):
            code, err = run(["blur", tmp_path / name, "--max-pixels", limit, "-o", tmp_path / f"{limit}{name}"], capsys)
            assert code == 0, err
            assert "warning" not in err and "bomb" not in err.lower(), err
    code, err = run(["blur", tmp_path / "big.tif", "--max-pixels", "100", "-o", tmp_path / "no.png"], capsys)
    one_error(code, err, 1, "big.tif", "over the limit of 100")


# --- the other commands read as the filters do ----------------------------------------------


def test_compare_and_explain_refuse_what_the_filters_refuse(tmp_path, capsys):
    (tmp_path / "innocent.png").write_bytes(POSTSCRIPT + b"showpage\n")
    (tmp_path / "cut.jpg").write_bytes(cut_jpeg_scan())
    for name, what in (("innocent.png", "PostScript"), ("cut.jpg", "damaged JPEG")):
        code, err = run(["compare", tmp_path / name, "-k", "emboss", "-o", tmp_path / "panel.png"], capsys)
        one_error(code, err, 1, name, what)
        code, err = run(["explain", tmp_path / name, "--at", "1,1", "-k", "emboss"], capsys)
        one_error(code, err, 1, name, what)


def test_compare_refuses_a_panel_its_format_cannot_hold_before_filtering(tmp_path, capsys):
    Image.fromarray(np.zeros((2, 20000), np.uint8)).save(tmp_path / "wide.png")
    code, err = run(["compare", tmp_path / "wide.png", "-k", "emboss", "-o", tmp_path / "panel.gif"], capsys)
    one_error(code, err, 1, "panel.gif", "at most 65535x65535", "80012x2")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_kernel_file_that_never_ends_is_refused_at_its_bound(tmp_path, capsys, device):
    Image.fromarray(photo()).save(tmp_path / "p.png")
    code, err = run(["apply", tmp_path / "p.png", "-k", device, "-o", tmp_path / "o.png"], capsys)
    one_error(code, err, 1, device, "too large for a kernel file")


def test_explain_shows_a_file_name_without_its_control_characters(tmp_path, capsys):
    name = tmp_path / "a\x1b[2Jb.png"
    Image.fromarray(photo()).save(name, format="PNG")
    assert main(["explain", str(name), "--at", "1,1", "-k", "box:3"]) == 0
    out = capsys.readouterr().out
    assert "a\\x1b[2Jb.png, pixel x=1, y=1" in out and "\x1b" not in out


def test_a_long_format_name_is_cut_in_its_message(capsys):
    code, err = run(["blur", "x.png", "--format", "q" * 100_000], capsys)
    one_error(code, err, 2, "--format 'qqqq", "(100000 characters)")
    assert len(err) < 300


def test_a_decoder_failure_is_worded_for_the_user_not_in_pillows_words(tmp_path, capsys):
    (tmp_path / "cut.gif").write_bytes(encoded(format="GIF")[:2000])
    code, err = run(["blur", tmp_path / "cut.gif", "-o", tmp_path / "o.png"], capsys)
    said = one_error(code, err, 1, "cut.gif", "damaged").split("cut.gif: ", 1)[1]
    assert said == "damaged: it is cut short"
