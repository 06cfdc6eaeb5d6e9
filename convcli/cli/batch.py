"""A filtering command's run over its images: where each result goes, what may not be replaced,
the work shared among processes, and on stderr each file's outcome, a progress bar and a summary."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..engine import available_cores
from ..errors import ConvcliError, UsageError
from ..imaging import stdout
from ..imaging.files import STREAM, is_stream
from ..imaging.naming import check_template, destination_for
from ..imaging.process import filter_file, format_for, refuse_directory, same_file
from ..imaging.writing import is_special, stale_temporaries, through_link
from ..wording import counted
from .app import error, note, os_error, printable, shown, stderr, warn
from .inputs import Inputs
from .options import OutputOptions

if TYPE_CHECKING:
    from ..imaging.settings import FilterSettings
    from ..imaging.transforms import Filter

# How often the progress bar is redrawn while no image finishes (it has no thread of its own).
_REFRESH_SECONDS = 0.5


@dataclass(frozen=True)
class Job:
    """What every image of a run goes through: the filter (a picklable callable of the colour
    planes and the value outside them, with the engine options it computes with), the settings
    the pipeline reads, filters and writes each image with, where the results go and how the
    run reports, with the engine's plan for each image if `verbose`."""

    transform: Filter
    settings: FilterSettings
    outputs: OutputOptions
    verbose: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of one image: "written" or "failed" (with the error and its exit code), and
    the warnings and notes its filtering gave, in order."""

    status: str
    messages: tuple[tuple[str, str], ...] = ()
    error: str = ""
    code: int = 0


def run(job: Job, inputs: Inputs) -> None:
    """Filter every input with `job` and write each result where its output options say."""
    outputs = job.outputs
    by_default = _stdout_by_default(inputs, outputs)
    tasks = _destinations(job.settings.tag, inputs, outputs, by_default)
    if outputs.dry_run:
        _dry_run(tasks, outputs)
        return
    to_do = [task for task in tasks if not _skipped(task, outputs)]
    made = _make_directories(to_do, outputs)
    try:
        if inputs.batch:
            _run_batch(job, to_do, total=len(tasks))
        elif to_do:  # one image: its failure is the run's, with the error's own exit code
            ((source, destination),) = to_do
            written = _filter_one(job, source, destination, _silent if outputs.quiet else warn, note)
            _written(written, stdout_chosen=by_default, quiet=outputs.quiet)
    finally:  # a folder made for images that all failed, or were never done, is not left behind
        _remove_empty(made)


def _destinations(tag: str, inputs: Inputs, outputs: OutputOptions, to_stdout: bool) -> list[tuple[Path, Path]]:
    """Each input beside its output (stdout when `to_stdout`), after refusing combinations that
    cannot work and outputs that would collide."""
    if outputs.format:
        format_for(STREAM, outputs.format)  # a format convcli can write
    if outputs.name is not None:
        check_template(outputs.name)
    if outputs.output is not None and (outputs.out_dir is not None or outputs.name is not None):
        raise UsageError("-o names the output itself; --out-dir and --name name outputs for several images")
    if outputs.output is not None and inputs.batch:
        raise UsageError(
            f"-o names one output, and there are {len(inputs.sources)} images: "
            "use --out-dir DIR (and --name TEMPLATE) instead"
        )
    if outputs.force and outputs.skip_existing:
        raise UsageError("--force replaces existing outputs and --skip-existing keeps them: choose one")
    if is_stream(inputs.sources[0]) and (outputs.out_dir is not None or outputs.name is not None):
        raise UsageError(
            "--out-dir and --name name each output after its input file, and stdin's image has no "
            "name: give -o FILE, or -o - for stdout"
        )
    if to_stdout:
        return [(inputs.sources[0], STREAM)]
    tasks = [
        (source, destination_for(source, outputs.output, tag, outputs.format, outputs.out_dir, outputs.name))
        for source in inputs.sources
    ]
    sources = {os.path.realpath(source): source for source, _ in tasks}
    claimed: dict[str, Path] = {}
    for source, destination in tasks:
        refuse_directory(destination)
        format_for(destination, outputs.format)  # a name without a format, or at odds with --format
        if is_stream(destination) or is_special(destination):
            continue
        key = os.path.abspath(destination)
        if key in claimed:
            raise UsageError(
                f"{claimed[key]} and {source} would both be written to {destination}: give --name "
                "fields that tell them apart, such as {dir} (the input's folder) or {name} (its whole "
                "name)"
            )
        claimed[key] = source
        other = sources.get(os.path.realpath(destination))
        if other is not None and other != source:  # which version another worker reads would be chance
            raise UsageError(
                f"{destination} is an input, and the output of {source} too: write the results "
                "elsewhere, with --out-dir"
            )
    return tasks


def _stdout_by_default(inputs: Inputs, outputs: OutputOptions) -> bool:
    """One image named on the command line, no output named, and stdout a pipe or a file named
    for an image format: the result goes down the pipe or into the file stdout was redirected to."""
    named = outputs.output is not None or outputs.out_dir is not None or outputs.name is not None
    return not inputs.batch and not named and stdout.takes_result_of(inputs.sources[0])


def _skipped(task: tuple[Path, Path], outputs: OutputOptions) -> bool:
    """Whether --skip-existing leaves this image alone, as its output exists; said unless --quiet."""
    source, destination = task
    if not outputs.skip_existing or not destination.exists() or is_special(destination):
        return False
    if not outputs.quiet:
        stderr.print(f"skipped {shown(str(source))}: {shown(str(destination))} exists", style="dim")
    return True


def _silent(message: str) -> None:
    pass


def _filter_one(job: Job, source: Path, destination: Path, warn, note) -> Path:
    transform = job.transform.reporting(note) if job.verbose else job.transform
    return filter_file(source, destination, transform, job.settings, warn=warn)


def _written(path: Path, stdout_chosen: bool = False, quiet: bool = False) -> None:
    """Say where the result went; nothing when stdout was asked for, as a filter in a pipeline
    should be silent, but the why when it was chosen for want of -o."""
    if quiet or (is_stream(path) and not stdout_chosen):
        return
    if is_stream(path):
        stderr.print(
            "wrote the result to stdout (no -o given, and stdout is a pipe or a file named for its format)",
            style="dim",
        )
    else:
        stderr.print(f"wrote {shown(str(path))}", style="dim")


def _dry_run(tasks: list[tuple[Path, Path]], outputs: OutputOptions) -> None:
    """What a run would write: a line `source -> destination` for each image, with what would
    stop it, and the exit status the run would have for what can be known without reading the
    images. The lines are requested text, on stdout, unless the image itself would go there."""
    failing = False
    for source, destination in tasks:
        to_stdout = is_stream(destination)
        problem, note = _foreseen(source, destination, outputs)
        failing = failing or bool(problem)
        line = (
            f"{'stdin' if is_stream(source) else source} -> {'stdout' if to_stdout else destination}"
            f"{f' ({problem})' if problem else note}"
        )
        (sys.stderr if to_stdout else sys.stdout).write(printable(line) + "\n")
    if failing:
        raise typer.Exit(1)


def _foreseen(source: Path, destination: Path, outputs: OutputOptions) -> tuple[str, str]:
    """What would stop the run of one image, and otherwise a note on what it would do."""
    if not is_stream(source) and not source.is_file():
        return ("no such file" if not source.exists() else "not a file"), ""
    if is_stream(destination):
        try:
            stdout.check(outputs.format)
        except ConvcliError as exc:
            return str(exc), ""
        return "", ""
    creates = outputs.out_dir is not None or outputs.name is not None
    if not destination.parent.is_dir() and not creates:
        return f"directory {str(destination.parent)!r} does not exist", ""
    if destination.parent.is_dir() and not os.access(destination.parent, os.W_OK):
        return f"directory {str(destination.parent)!r} is not writable", ""
    if through_link(destination) is None and not outputs.force:
        return "is a symbolic link that leads to no file: would be refused without --force", ""
    if not destination.exists() or is_special(destination):
        return "", ""
    if outputs.skip_existing:
        return "", " (exists: would be skipped)"
    if outputs.force:
        return "", " (exists: would be replaced)"
    if not is_stream(source) and same_file(source, destination):
        return "is the input image: would be refused without --force", ""
    return "exists: would be refused without --force", ""


def _run_batch(job: Job, to_do: list[tuple[Path, Path]], total: int) -> None:
    """The images `to_do` of a batch of `total` (the others skipped), in worker processes or
    here, each failure reported and counted; a summary, and exit code 1 if any failed."""
    outputs = job.outputs
    counts = {"written": 0, "skipped": total - len(to_do), "failed": 0}
    jobs = min(outputs.jobs or available_cores(), max(1, len(to_do)))
    if jobs > 1 and job.transform.threads is None:  # the processes share the cores
        job = replace(job, transform=replace(job.transform, threads=max(1, available_cores() // jobs)))
    progress = _progress_bar() if stderr.is_terminal and not outputs.quiet and len(to_do) > 1 else None
    done = 0
    try:
        with progress if progress is not None else contextlib.nullcontext():
            bar = progress.add_task(shown(job.settings.tag), total=len(to_do)) if progress is not None else None
            for task, outcome in _outcomes(job, to_do, jobs):
                if task is not None:
                    done += 1
                    counts[outcome.status] += 1
                    _report(task, outcome, quiet=outputs.quiet, listed=progress is None)
                if progress is not None:
                    progress.update(bar, completed=done)
                    progress.refresh()
    except BaseException:  # Ctrl-C, SIGTERM: say how far the batch got, then stop as a single run does
        _summary(total, counts, interrupted=len(to_do) - done)
        raise
    if counts["failed"] or not outputs.quiet:
        _summary(total, counts)
    if counts["failed"]:
        raise typer.Exit(1)


def _progress_bar():
    """The images done of all, elapsed and remaining time, on stderr; redrawn by hand, not by a
    thread of its own, so that the worker processes can be forked safely."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        auto_refresh=False,
        transient=True,
    )


def _make_directories(tasks: list[tuple[Path, Path]], outputs: OutputOptions) -> list[Path]:
    """--out-dir, and the folders a --name template puts in it, are made as they are needed.
    Returns the folders made, parents included, for :func:`_remove_empty`."""
    made: list[Path] = []
    if outputs.out_dir is None and outputs.name is None:
        return made
    for folder in sorted({destination.parent for _, destination in tasks}):
        missing = list(itertools.takewhile(lambda path: not path.exists(), (folder, *folder.parents)))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _remove_empty(made + missing)
            raise ConvcliError(f"{folder}: cannot make the output directory: {exc.strerror or exc}") from None
        made.extend(missing)
    return made


def _remove_empty(folders: list[Path]) -> None:
    """Remove those of `folders` (made by this run) that hold nothing, the deepest first; rmdir
    refuses a folder with anything in it, so nothing written there, by this run or another, goes."""
    for folder in sorted(set(folders), key=lambda path: len(path.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _outcomes(job: Job, tasks: list[tuple[Path, Path]], jobs: int):
    """(task, outcome) as each image finishes; (None, None) now and then while none does."""
    if jobs == 1:
        for task in tasks:
            yield task, _attempt(job, task)
        return
    from .pool import Pool  # multiprocessing: for batches only

    with Pool(functools.partial(_attempt, job), jobs, died=_died, temporary=_temporary) as pool:
        yield from pool.run(tasks, timeout=_REFRESH_SECONDS)


def _attempt(job: Job, task: tuple[Path, Path]) -> Outcome:
    """One image, as a batch filters it: its outcome, never an exception."""
    source, destination = task
    messages: list[tuple[str, str]] = []
    try:
        _filter_one(
            job, source, destination, lambda m: messages.append(("warning", m)), lambda m: messages.append(("note", m))
        )
    except ConvcliError as exc:
        return Outcome("failed", tuple(messages), str(exc), exc.exit_code)
    except MemoryError:
        return Outcome("failed", tuple(messages), f"{source}: out of memory: the image or kernel is too large", 1)
    except OSError as exc:
        return Outcome("failed", tuple(messages), os_error(exc), 1)
    except Exception as exc:  # a decoder's unforeseen failure on one file must not stop the others
        return Outcome("failed", tuple(messages), f"{source}: unexpected {type(exc).__name__}: {exc}", 1)
    return Outcome("written", tuple(messages))


def _died(task: tuple[Path, Path], how: str) -> Outcome:
    return Outcome("failed", error=f"{task[0]}: the worker process filtering it died ({how})", code=1)


def _temporary(task: tuple[Path, Path]) -> list[Path]:
    """What a killed worker leaves of its task's output: nothing where its temporary file was an
    unnamed one; else its named temporary, recognised by convcli's pattern and a dead writer."""
    target = through_link(task[1]) or task[1]
    return stale_temporaries(target.parent, target.name)


def _report(task: tuple[Path, Path], outcome: Outcome, quiet: bool, listed: bool) -> None:
    for kind, message in outcome.messages:
        if kind == "warning" and not quiet:
            warn(message)
        elif kind == "note":  # --verbose: which image it is about, as the workers' lines interleave
            note(f"{task[0]}: {message}")
    if outcome.status == "failed":
        error(outcome.error)
    elif outcome.status == "written" and listed:
        _written(task[1], quiet=quiet)


def _summary(total: int, counts: dict[str, int], interrupted: int = 0) -> None:
    parts = [f"{counts['written']} written"]
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} skipped (output exists)")
    if counts["failed"]:
        parts.append(f"{counts['failed']} failed")
    if interrupted:
        parts.append(f"{interrupted} not done (stopped)")
    stderr.print(
        f"{counted(total, 'image')}: {', '.join(parts)}", style="bold" if counts["failed"] or interrupted else None
    )
