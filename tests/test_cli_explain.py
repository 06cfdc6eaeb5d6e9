"""`convcli explain`: the worked example step by step, and one pixel matching the filtered image."""

from __future__ import annotations

import numpy as np
import pytest
from processes import SAMPLES, convcli, failed, ok, pixels, run_main, save, shows

WORKED = ("explain", "--signal", "1 0.5 1 1", "--kernel", "1 0.5 0.25")


def test_the_worked_example_prints_the_textbook_result(tmp_path):
    text = shows(convcli(*WORKED, cwd=tmp_path))
    assert text.rstrip().splitlines()[-1] == "c = [1, 1, 1.5, 1.625, 0.75, 0.25]"
    assert "b is flipped to [0.25, 0.5, 1]" in text
    assert "c[3] = 0.5×0.25 + 1×0.5 + 1×1 = 1.625" in text
    slide = [line for line in text.splitlines() if "c[" in line and "=" in line and "sum" not in line]
    assert len(slide) == 6
    # The flipped kernel moves one column right at each step.
    starts = [line.index("0.25") for line in slide]
    assert all(b - a == starts[1] - starts[0] > 0 for a, b in zip(starts, starts[1:], strict=False))


def test_correlation_slides_the_kernel_as_written(tmp_path):
    text = shows(convcli(*WORKED, "--correlate", cwd=tmp_path))
    assert text.rstrip().splitlines()[-1] == "c = [0.25, 0.625, 1.5, 1.25, 1.5, 1]"  # numpy.correlate's
    assert "not flipped" in text and "c[0] = 1×0.25 = 0.25" in text


@pytest.mark.parametrize("size, want", [("same", "[1.25, 1.5, 1.625, 1.75]"), ("valid", "[1.5, 1.625]")])
def test_same_and_valid_sizes(size, want, tmp_path):
    text = shows(convcli(*WORKED, "--size", size, cwd=tmp_path))
    assert text.rstrip().splitlines()[-1] == f"c = {want}"
    if size == "same":
        assert "(1)" in text  # a value from the border mode, in parentheses


@pytest.mark.parametrize("kernel", ["emboss", "sobel-x", "1 2; 3 4", "gaussian:0.7"])
@pytest.mark.parametrize("correlate", [False, True])
def test_a_pixel_explained_matches_the_filtered_image(kernel, correlate, tmp_path, capsys):
    flag = ["--correlate"] if correlate else []
    code = run_main(
        "apply", SAMPLES / "chelsea.png", "-k", kernel, *flag, "--alpha", "ignore", "-o", tmp_path / "out.png"
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    for x, y in ((0, 0), (17, 9), (450, 299)):  # corners use the border mode
        assert run_main("explain", SAMPLES / "chelsea.png", "--at", f"{x},{y}", "-k", kernel, *flag) == 0
        text, err = capsys.readouterr()
        assert not err, err
        values = [int(line.split("pixel value ")[1].split()[0]) for line in text.splitlines() if "pixel value" in line]
        assert values == pixels(tmp_path / "out.png")[y, x].tolist(), (kernel, x, y)


def test_pixel_explanations_of_grey_and_anchored_kernels(tmp_path):
    source = save(np.arange(30, dtype=np.uint8).reshape(5, 6) * 8, tmp_path / "ramp.png")
    text = shows(convcli("explain", source, "--at", "2,1", "-k", "1 1 1", "--origin", "0,0", cwd=tmp_path))
    assert "grey:" in text and "sum of products = " in text
    ok(convcli("apply", source, "-k", "1 1 1", "--origin", "0,0", "-o", "out.png", cwd=tmp_path))
    assert f"pixel value {pixels(tmp_path / 'out.png')[1, 2]} " in text


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--kernel", "1 2"], ("either IMAGE", "--signal")),
        (["--signal", "1 2", "--kernel", "1; 2"], ("one row",)),
        (["--signal", "1 x", "--kernel", "1"], ("--signal", "'x' is not a number")),
        (["--signal", "1 2", "--kernel", "1 1 1", "--size", "valid"], ("valid size needs",)),
        (["--signal", "1 2", "--kernel", "1", "--size", "big"], ("--size",)),
        (["--signal", "1 2", "--kernel", "1", "--at", "1,1"], ("--at is for an IMAGE",)),
        (["IMG", "--kernel", "emboss"], ("--at X,Y is needed",)),
        (["IMG", "--kernel", "emboss", "--at", "1"], ("--at must be X,Y",)),
        (["IMG", "--kernel", "emboss", "--at", "999,1"], ("--at", "outside the 451x300 image")),
    ],
)
def test_explain_usage_errors(args, fragments, tmp_path):
    args = [str(SAMPLES / "chelsea.png") if a == "IMG" else a for a in args]
    failed(convcli("explain", *args, cwd=tmp_path), 2, *fragments)


def test_explain_of_a_missing_image_is_a_failure(tmp_path):
    failed(convcli("explain", "nope.png", "--at", "1,1", "-k", "emboss", cwd=tmp_path), 1, "nope.png: no such file")


def test_the_readme_shows_what_explain_prints(tmp_path):
    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```text\nConvolution of a = [1, 0.5, 1, 1]", 1)[1].split("```", 1)[0]
    printed = shows(convcli(*WORKED, cwd=tmp_path))
    assert printed.strip() == ("Convolution of a = [1, 0.5, 1, 1]" + shown).strip()


def test_the_figures_script_makes_the_readme_figures(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    copy = tmp_path / "sample_images"
    (copy / "figures").mkdir(parents=True)
    for name in ("camera.png", "figures.sh"):
        shutil.copy(SAMPLES / name, copy / name)
    launcher = tmp_path / "convcli"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m convcli "$@"\n')
    launcher.chmod(0o755)
    subprocess.run(
        ["sh", str(copy / "figures.sh")],
        check=True,
        capture_output=True,
        env={"CONVCLI": str(launcher), "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).parent.parent,
    )
    for name in ("emboss", "sobel-x", "motion", "gaussian"):
        made, checked_in = copy / "figures" / f"{name}.png", SAMPLES / "figures" / f"{name}.png"
        assert np.array_equal(pixels(made), pixels(checked_in)), name


def test_explain_honours_the_origin_and_the_offset(tmp_path):
    text = shows(
        convcli(
            "explain", "--signal", "1 2 3 4", "--kernel", "1 0 0", "--origin", "0,0", "--size", "same", cwd=tmp_path
        )
    )
    assert text.rstrip().endswith("c = [1, 2, 3, 4]")  # as convcli.convolve(..., anchor=(0, 0)) gives
    failed(
        convcli("explain", "--signal", "1 2", "--kernel", "1 0", "--origin", "0,0", cwd=tmp_path),
        2,
        "--origin applies to --size same only",
    )
    source = save(np.full((4, 5), 10, np.uint8), tmp_path / "flat.png")
    text = shows(convcli("explain", source, "--at", "1,1", "-k", "1 -1", "--offset", "128", cwd=tmp_path))
    assert "sum of products = 0 x 1 + 128 = 128 -> pixel value 128" in text


def test_explain_marks_the_pixel_and_the_border_values_in_plain_text(tmp_path):
    source = save(np.arange(20, dtype=np.uint8).reshape(4, 5), tmp_path / "ramp.png")
    text = shows(convcli("explain", source, "--at", "0,0", "-k", "emboss", cwd=tmp_path))
    assert "[0]" in text and "(5)" in text and "starts at x=-1, y=-1" in text
    big = shows(convcli("explain", source, "--at", "2,2", "-k", "gaussian:5", cwd=tmp_path))
    assert "tables are shown up to 15x15" in big and "┌" not in big


def test_long_signals_and_kernels_are_summarised_not_drawn(tmp_path):
    signal = " ".join(str(v) for v in range(1, 101))
    text = shows(convcli("explain", "--signal", signal, "--kernel", " ".join(["1"] * 20), cwd=tmp_path))
    lines = text.splitlines()
    assert "without the sliding picture" in text and "... (79 more)" in text
    assert "c[19] = the sum of 20 products = 210" in text
    assert lines[-1].startswith("c = [1, 3, 6, 10") and max(len(line) for line in lines[:-1]) < 600
    np.testing.assert_array_equal(
        [float(v) for v in lines[-1][5:-1].split(", ")], np.convolve(np.arange(1, 101), np.ones(20))
    )
