"""The run path reads one way: the command line parses into one plain settings record, the
pipeline (convcli.imaging) runs it and calls the engine, and nothing below the command line
imports it, Typer or rich."""

from __future__ import annotations

import ast
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from processes import pixels, run_main, save

import convcli
from convcli.imaging import FilterSettings, KernelFilter, SobelFilter, filter_file
from convcli.kernels import named_kernel, resolve_kernel

PACKAGE = Path(convcli.__file__).parent


def test_the_library_filters_a_file_with_one_settings_record_as_the_command_does(tmp_path):
    rng = np.random.default_rng(15)
    source = save(rng.integers(0, 256, (12, 10, 4), dtype=np.uint8), tmp_path / "in.png")
    settings = FilterSettings(tag="blur", alpha="premultiply", linear=True, depth="16", cval=40.0)
    blur = KernelFilter(named_kernel("gaussian:sigma=1.5"), border="constant")
    assert filter_file(source, None, blur, settings) == tmp_path / "in.blur.png"
    command = ("blur", source, "--sigma", "1.5", "--linear", "--depth", "16", "--border", "constant", "--cval", "40")
    assert run_main(*command, "-o", tmp_path / "cli.png") == 0
    assert (tmp_path / "in.blur.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert (tmp_path / "cli.png").read_bytes()[24] == 16  # the PNG header's bit depth


def test_a_fixed_peak_and_a_mapping_are_settings_too(tmp_path):
    source = save(np.tile(np.repeat(np.array([0, 100], np.uint8), 4), (6, 1)), tmp_path / "step.png")
    edges = SobelFilter("x", border="nearest")
    filter_file(source, tmp_path / "peak.png", edges, FilterSettings(peak=800.0))
    command = ("sobel", source, "--axis", "x", "--max", "800", "--border", "nearest")
    assert run_main(*command, "-o", tmp_path / "c.png") == 0
    np.testing.assert_array_equal(pixels(tmp_path / "peak.png"), pixels(tmp_path / "c.png"))
    assert pixels(tmp_path / "peak.png").max() == round(400 * 255 / 800)
    shifted = KernelFilter(resolve_kernel("1 -1"), correlate=True)
    filter_file(source, tmp_path / "abs.png", shifted, FilterSettings(mapping="abs_to_range", scale=0.5))
    assert set(np.unique(pixels(tmp_path / "abs.png"))) == {0, 50}


def test_settings_are_plain_and_picklable_and_refuse_unknown_names():
    settings = FilterSettings(tag="emboss", mapping="rescale_to_range", depth="float", max_pixels=None)
    assert pickle.loads(pickle.dumps(settings)) == settings
    transform = KernelFilter(named_kernel("emboss"), correlate=True, threads=1)
    again = pickle.loads(pickle.dumps(transform))
    band = np.pad(np.eye(4)[..., np.newaxis], ((1, 1), (1, 1), (0, 0)))
    np.testing.assert_array_equal(again.planned((4, 4, 1))(band), transform.planned((4, 4, 1))(band))
    for wrong, message in (
        ({"mapping": "stretch"}, "mapping must be one of to_range, clip_to_range"),
        ({"alpha": "multiply"}, "alpha must be one of premultiply"),
        ({"depth": "32"}, "depth must be one of 8, 16, float, not '32'"),
        ({"peak": 0.0}, "peak must be a positive number"),
    ):
        with pytest.raises(ValueError, match=message):
            FilterSettings(**wrong)


def _imports(path: Path) -> set[str]:
    """The modules a source file imports, relative imports resolved to absolute names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from .. import cli`
    return names


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("imaging", ("convcli.cli", "typer", "click", "rich")),
        ("kernels", ("convcli.cli", "convcli.imaging", "typer", "click", "rich", "PIL")),
        ("engine", ("convcli.cli", "convcli.imaging", "convcli.kernels", "typer", "click", "rich", "PIL")),
    ],
)
def test_nothing_below_the_command_line_imports_it(folder, forbidden):
    """Layers call down only: cli -> imaging -> kernels, engine; the engine is pure NumPy."""
    files = sorted((PACKAGE / folder).rglob("*.py"))
    assert files
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in _imports(path)
        if any(name == top or name.startswith(f"{top}.") for top in forbidden)
    }
    assert not wrong


def test_the_command_line_holds_no_engine_calls():
    """Filters that call the engine live in the pipeline, not among the commands."""
    calls = {"convcli.engine.convolve", "convcli.engine.correlate", "convcli.filters"}
    wrong = {
        f"{path.name} imports {name}"
        for path in sorted((PACKAGE / "cli").glob("*.py"))
        for name in _imports(path)
        if name in calls
    }
    assert not wrong


def _loaded(*args: str, cwd: Path) -> set[str]:
    """The modules a real convcli process has loaded when the command `args` is done."""
    script = "import sys; from convcli.__main__ import main; code = main(); print(sorted(sys.modules)); sys.exit(code)"
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(ast.literal_eval(result.stdout.splitlines()[-1]))


def test_blur_imports_only_what_it_runs(tmp_path):
    """Start-up is the point: a blur loads neither the other commands, nor the codecs and libraries a
    PNG does not need, nor more of rich than its messages."""
    save(np.zeros((8, 8, 3), np.uint8), tmp_path / "small.png")
    loaded = _loaded("blur", "small.png", "-o", "out.png", cwd=tmp_path)
    assert (tmp_path / "out.png").exists() and {"convcli.engine", "convcli.imaging.process"} <= loaded
    for module in (
        "convcli.cli.apply_command",
        "convcli.cli.sobel_command",
        "convcli.cli.compare_command",
        "convcli.cli.explain_command",
        "convcli.cli.explanation",
        "convcli.cli.kernel_commands",
        "convcli.cli.kernel_report",
        "convcli.imaging.compare",
        "convcli.kernels.formats",
        "convcli.kernels.properties",
        "convcli.steps",
        "tifffile",
        "imagecodecs",
        "simplejpeg",
        "scipy",
    ):
        assert module not in loaded, module
    script = (
        "import sys, rich.console; rich.console.Console(stderr=True, emoji=False).print('[red]a[/]', style='dim'); "
        "print(sorted(sys.modules))"
    )
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    messages = set(ast.literal_eval(printed.stdout))
    assert {name for name in loaded if name.split(".")[0] == "rich"} <= messages


def test_help_lists_the_commands_in_one_order_whichever_ran_first(capsys):
    assert run_main("sobel", "--help") == 0
    assert run_main("--help") == 0
    listed = re.findall(r"^│ (\w+) ", capsys.readouterr().out.split("Commands")[-1], re.MULTILINE)
    assert listed == ["blur", "sharpen", "sobel", "apply", "compare", "explain", "kernels", "kernel"]


def test_the_packages_load_their_parts_on_use():
    import convcli.imaging
    import convcli.kernels

    for package, name in ((convcli.kernels, "Kernel"), (convcli.imaging, "filter_file")):
        assert name in dir(package) and name in package.__all__
        with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
            package.nothing  # noqa: B018 - the lookup is the test


def test_the_process_leaves_its_objects_to_the_system_at_exit(tmp_path):
    """The console script's main() freezes the collector when it is done, so that the exit does
    not search tens of thousands of objects for cycles; the result is written all the same."""
    save(np.zeros((8, 8), np.uint8), tmp_path / "small.png")
    script = (
        "import gc, sys; from convcli.__main__ import main; code = main(); print(gc.get_freeze_count()); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "blur", "small.png", "-o", "out.png"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and int(result.stdout) > 10000
    assert pixels(tmp_path / "out.png").shape == (8, 8)
