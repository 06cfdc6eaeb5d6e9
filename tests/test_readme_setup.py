"""The README's set-up commands: the first must work when run again, as a user retrying it would."""

from __future__ import annotations

import shlex

from processes import SAMPLES, run_main

README = SAMPLES.parent / "README.md"


def setup_commands() -> list[str]:
    block = README.read_text(encoding="utf-8").split("<!-- setup:begin -->", 1)[1].split("<!-- setup:end -->", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("```")]


def test_the_first_setup_command_runs_again_where_it_has_run(tmp_path):
    step = next(part for part in setup_commands()[0].split("&&") if "bin/convcli" in part)
    args = shlex.split(step)[1:]
    (tmp_path / "sample_images").symlink_to(SAMPLES)
    assert run_main(*args, cwd=tmp_path) == 0
    assert run_main(*args, cwd=tmp_path) == 0
    assert (tmp_path / "chelsea.blur.png").stat().st_size > 0
