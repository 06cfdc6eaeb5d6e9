"""Whole processes, as a user runs them: convcli against libvips, G'MIC and ImageMagick on issue 15's jobs.

    python benchmarks/pipeline.py                                  # every job, 3 runs: about 13 minutes on 2 cores
    python benchmarks/pipeline.py --streaming-size 0               # without the 30000x30000 TIFF: about 8 minutes
    python benchmarks/pipeline.py --streaming-size 6000 --runs 1 --only ppm,jpeg12,stream,small   # about a minute
    python benchmarks/pipeline.py --convcli /opt/venv/bin/convcli  # another install's convcli
    python benchmarks/pipeline.py --inputs /tmp/photos             # keep the generated inputs, reuse them next time

Jobs, on generated photo-like RGB images (benchmarks/photos.py), each a Gaussian blur:

- 1920x1080 PPM, sigma 10, PPM out;
- 4000x3000 JPEG (quality 92), sigma 3, JPEG out at quality 92 without chroma subsampling;
- 8000x6000 JPEG, the same;
- 8000x6000 uncompressed TIFF (16-row strips), sigma 3, uncompressed TIFF out;
- the streaming case: an N x N uncompressed RGB TIFF (--streaming-size, 30000 by default: 2.7 GB, written
  strip by strip), sigma 3, TIFF out, against libvips only (G'MIC and ImageMagick hold the whole image, as
  float32 and as 16-bit RGBA: at least 10.8 and 7.2 GB);
- a 64x64 PNG, sigma 2, PNG out, beside `python -c "import numpy, PIL.Image"`, the floor of any NumPy and
  Pillow tool's start-up.

The tools, each only if installed: convcli (by default `python -m convcli` from the checkout this script is in,
with PYTHONPATH pointing at it; --convcli runs another command), `vips gaussblur` (its own default kernel,
cut where the Gaussian falls below 0.2 of its peak, and again with --min-ampl 0.001, its smallest, which
reaches 3.7 sigma as convcli's and scipy's 4 sigma nearly do), `gmic ... blur SIGMA` (its log: "standard
deviation SIGMA, neumann boundary conditions and quasi-gaussian kernel") and ImageMagick's `/usr/bin/convert
-blur 0xSIGMA` (1-D passes: the same Gaussian as -gaussian-blur, which takes 4x longer), given a policy.xml
that lifts Debian's 256 MiB pixel cache, under which it fails 48-megapixel images. The report lists each
command. Every output is
checked against scipy.ndimage.gaussian_filter of the input, away from the borders where the tools' edge rules
differ, so that a tool asked for other work than the rest shows.

Runs alternate between tools (A B C A B C ...), so the machine's moods fall on all of them alike; each figure
is the median of --runs runs (the 64x64 job: --small-runs). Peak memory is the OS's: the ru_maxrss that wait4
returns for the tool's process. A small launcher process starts each tool and waits for it, because a child's
ru_maxrss includes the memory of the process it was forked from (this one's, with its images); the launcher
puts a floor of about 11 MiB under every figure. Each tool runs under an address-space limit (--memory-limit),
so that a tool that would need more memory than the machine has fails alone instead of starving the machine.

The report, a markdown table with ratios to libvips in the same run and issue 15's targets, goes to stdout;
progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from photos import make_image

CHECKOUT = Path(__file__).resolve().parents[1]
MAGICK = "/usr/bin/convert"  # /usr/local/bin/convert on the project's machines is a stand-in, not ImageMagick
QUALITY = 92
STRIP_ROWS = 16
BAND_ROWS = 256  # rows generated at once, and rows compared with scipy's result
CONVCLI_MAX_PIXELS = 89_478_485  # convcli's --max-pixels default: larger inputs need --max-pixels 0
SMALL_SLACK = 0.060  # seconds: the 64x64 target, over the import line

# Started by this script with -I -S: a bare interpreter of about 11 MiB, whose only child is the tool.
LAUNCHER = """
import os, resource, sys, time
limit, log, *argv = sys.argv[1:]
if int(limit):
    resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        os.execvp(argv[0], argv)
    except BaseException as error:
        os.write(2, f"cannot run {argv[0]}: {error}".encode())
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


@dataclass
class Job:
    key: str
    title: str
    width: int
    height: int
    sigma: float
    source: str  # the input's extension, which is also the output's
    streaming: bool = False
    small: bool = False

    @property
    def decoded_mb(self) -> float:
        """The decoded 8-bit RGB image, in MB (1e6 bytes): the unit of issue 15's 150 and 420 MiB."""
        return self.width * self.height * 3 / 1e6


def jobs(streaming_size: int) -> list[Job]:
    found = [
        Job("ppm", "1920x1080 PPM, blur sigma 10", 1920, 1080, 10, ".ppm"),
        Job("jpeg12", "4000x3000 JPEG q92, blur sigma 3, JPEG out", 4000, 3000, 3, ".jpg"),
        Job("jpeg48", "8000x6000 JPEG, the same", 8000, 6000, 3, ".jpg"),
        Job("tiff48", "8000x6000 uncompressed TIFF, the same", 8000, 6000, 3, ".tif"),
    ]
    if streaming_size:
        title = f"{streaming_size}x{streaming_size} uncompressed RGB TIFF, blur sigma 3, TIFF out"
        found.append(Job("stream", title, streaming_size, streaming_size, 3, ".tif", streaming=True))
    found.append(Job("small", "64x64 PNG, blur sigma 2", 64, 64, 2, ".png", small=True))
    return found


@dataclass
class Tool:
    name: str
    command: Callable[[Job, str, str], list[str] | None]  # None: not run on that job
    makes_output: bool = True


def tools(convcli: list[str], magick: str) -> tuple[list[Tool], list[str]]:
    """The installed tools, and a line for each one that is not."""

    def convcli_blur(job: Job, source: str, out: str) -> list[str]:
        command = [*convcli, "blur", source, "--sigma", f"{job.sigma:g}", "-o", out]
        if job.source == ".jpg":
            command += ["--quality", str(QUALITY)]
        if job.width * job.height > CONVCLI_MAX_PIXELS:
            command += ["--max-pixels", "0"]
        return command

    def vips(extra: list[str]) -> Callable[[Job, str, str], list[str]]:
        def command(job: Job, source: str, out: str) -> list[str]:
            options = {".jpg": f"[Q={QUALITY},subsample-mode=off]", ".tif": "[compression=none]"}.get(job.source, "")
            return ["vips", "gaussblur", source, out + options, f"{job.sigma:g}", *extra]

        return command

    def gmic(job: Job, source: str, out: str) -> list[str] | None:
        if job.streaming:
            return None
        options = {".jpg": f",{QUALITY}", ".tif": ",uchar"}.get(job.source, "")
        return ["gmic", source, "blur", f"{job.sigma:g}", "output", out + options]

    def imagemagick(job: Job, source: str, out: str) -> list[str] | None:
        if job.streaming:
            return None
        options = {".jpg": ["-quality", str(QUALITY), "-sampling-factor", "1x1"], ".tif": ["-compress", "None"]}
        return [magick, source, "-blur", f"0x{job.sigma:g}", *options.get(job.source, []), out]

    def import_line(job: Job, source: str, out: str) -> list[str] | None:
        return [sys.executable, "-c", "import numpy, PIL.Image"] if job.small else None

    found = [Tool("convcli", convcli_blur)]
    missing = []
    if shutil.which("vips"):
        found += [Tool("libvips", vips([])), Tool("libvips --min-ampl 0.001", vips(["--min-ampl", "0.001"]))]
    else:
        missing.append("libvips (vips) is not installed")
    if shutil.which("gmic"):
        found.append(Tool("G'MIC", gmic))
    else:
        missing.append("G'MIC (gmic) is not installed")
    if real_imagemagick(magick):
        found.append(Tool("ImageMagick", imagemagick))
    else:
        missing.append(f"ImageMagick: {magick} is missing or not ImageMagick")
    found.append(Tool("`python -c 'import numpy, PIL.Image'`", import_line, makes_output=False))
    return found, missing


def magick_policy(directory: Path, limit_gib: float) -> Path:
    """A policy.xml for ImageMagick to find through MAGICK_CONFIGURE_PATH before the system's. Debian's holds its
    pixel cache to 256 MiB in memory, 512 MiB mapped and 1 GiB on disk, which fails a 48-megapixel image
    ('cache resources exhausted'); this one allows it what every tool here is allowed, --memory-limit."""
    directory.mkdir(exist_ok=True)
    value = f"{limit_gib:g}GiB" if limit_gib else "1TiB"  # "unlimited" reads as 0 here, which forbids all
    resources = {"memory": value, "map": value, "disk": "1TiB", "area": "1TP"}
    rows = "".join(f'  <policy domain="resource" name="{name}" value="{v}"/>\n' for name, v in resources.items())
    (directory / "policy.xml").write_text(f"<policymap>\n{rows}</policymap>\n")
    return directory


def real_imagemagick(path: str) -> bool:
    try:
        with open(path, "rb") as binary:
            if binary.read(4) != b"\x7fELF":  # a script standing in for it
                return False
        return "ImageMagick" in subprocess.run([path, "-version"], capture_output=True, text=True).stdout
    except OSError:
        return False


@dataclass
class Run:
    seconds: float
    rss_mib: float


@dataclass
class Outcome:
    runs: list[Run] = field(default_factory=list)
    error: str | None = None
    agreement: str = ""  # mean and largest |difference| from scipy's result

    @property
    def seconds(self) -> float | None:
        return statistics.median(run.seconds for run in self.runs) if self.runs and not self.error else None

    @property
    def rss_mib(self) -> float | None:
        return statistics.median(run.rss_mib for run in self.runs) if self.runs and not self.error else None


def launch(command: list[str], env: dict[str, str], limit: int, log: Path) -> tuple[Run, str]:
    """One run of `command` through the launcher: its time and peak RSS, and if it failed, how (the last line
    it printed)."""
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(limit), str(log), *command]
    answer = subprocess.run(launcher, env=env, capture_output=True, text=True, check=True).stdout.split()
    seconds, kib, code = float(answer[0]), int(answer[1]), int(answer[2])
    if code:
        lines = log.read_text(errors="replace").strip().splitlines() or [""]
        reason = f"signal {-code}" if code < 0 else f"exit {code}"
        return Run(seconds, kib / 1024), f"{reason}: {lines[-1][:160]}"
    return Run(seconds, kib / 1024), ""


# Inputs


def photo_bands(width: int, height: int) -> Iterator[np.ndarray]:
    """The photo, as 8-bit bands of BAND_ROWS rows, top to bottom: never whole in memory."""
    rng = np.random.default_rng([width, height])
    for top in range(0, height, BAND_ROWS):
        yield make_image(width, min(BAND_ROWS, height - top), rng, top=top).astype(np.uint8)


def write_tiff(path: Path, width: int, height: int) -> None:
    """An uncompressed RGB TIFF in STRIP_ROWS-row strips, written strip by strip through tifffile."""
    import tifffile

    def strips() -> Iterator[bytes]:
        for band in photo_bands(width, height):
            for top in range(0, band.shape[0], STRIP_ROWS):
                yield band[top : top + STRIP_ROWS].tobytes()

    with tifffile.TiffWriter(path, bigtiff=width * height * 3 > 2**32 - 2**25) as tiff:
        tiff.write(strips(), shape=(height, width, 3), dtype=np.uint8, photometric="rgb", rowsperstrip=STRIP_ROWS)


def make_input(job: Job, directory: Path) -> Path:
    """The job's input in `directory`, made unless an earlier run left it there."""
    from PIL import Image

    path = directory / f"photo-{job.width}x{job.height}{job.source}"
    if path.exists():
        return path
    print(f"making {path}", file=sys.stderr, flush=True)
    part = path.with_name(f"part-{path.name}")
    if job.source == ".tif":
        write_tiff(part, job.width, job.height)
    else:
        image = Image.fromarray(np.concatenate(list(photo_bands(job.width, job.height))))
        image.save(part, format=Image.registered_extensions()[job.source], quality=QUALITY)
    part.rename(path)
    return path


# Agreement with scipy


def rows_of(path: Path, top: int, bottom: int) -> np.ndarray | None:
    """Rows top..bottom of an image file, reading a large uncompressed TIFF through a memory map only."""
    if path.suffix == ".tif":
        import tifffile

        try:
            return np.array(tifffile.memmap(path, mode="r")[top:bottom])
        except ValueError:
            if path.stat().st_size > 2**30:
                return None
            return tifffile.imread(path)[top:bottom]
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))[top:bottom]


def reference(job: Job, source: Path) -> tuple[slice, slice, np.ndarray]:
    """Where the outputs are compared (a band of rows, away from every border by the kernel's reach),
    and scipy.ndimage's Gaussian there, in float64."""
    from scipy import ndimage

    reach = int(4 * job.sigma + 0.5)
    middle = job.height // 2
    top, bottom = max(reach, middle - BAND_ROWS // 2), min(job.height - reach, middle + BAND_ROWS // 2)
    band = rows_of(source, top - reach, bottom + reach).astype(np.float64)
    blurred = ndimage.gaussian_filter(band, sigma=(job.sigma, job.sigma, 0), mode="reflect", truncate=4.0)
    return slice(top, bottom), slice(reach, job.width - reach), blurred[reach:-reach, reach:-reach]


def agreement(out: Path, rows: slice, columns: slice, expected: np.ndarray) -> str:
    got = rows_of(out, rows.start, rows.stop)
    if got is None:
        return "not read"
    if got.shape[:2] != (rows.stop - rows.start, expected.shape[1] + 2 * columns.start):
        return f"shape {got.shape}"
    difference = np.abs(got[:, columns].astype(np.float64) - expected)
    return f"{difference.mean():.2f} / {difference.max():.1f}"


# Measuring


def measure(
    job: Job, tools: list[Tool], source: Path, scratch: Path, runs: int, env: dict[str, str], limit: int
) -> dict[str, Outcome]:
    outcomes = {tool.name: Outcome() for tool in tools if tool.command(job, "", "") is not None}
    compared = None
    for round_ in range(runs):
        for tool in tools:
            outcome = outcomes.get(tool.name)
            if outcome is None or outcome.error:
                continue
            out = scratch / f"out{job.source}"
            run, error = launch(tool.command(job, str(source), str(out)), env, limit, scratch / "stderr.log")
            outcome.runs.append(run)
            outcome.error = error or None
            progress = f"{run.seconds:.3f} s, {run.rss_mib:.0f} MiB"
            print(f"  {job.key} {round_ + 1}/{runs} {tool.name}: {progress} {error}", file=sys.stderr, flush=True)
            if round_ == runs - 1 and tool.makes_output and not error:
                compared = compared or reference(job, source)
                outcome.agreement = agreement(out, *compared)
            out.unlink(missing_ok=True)
    return outcomes


# Report


def cell(outcome: Outcome | None) -> str:
    if outcome is None:
        return ""
    if outcome.error:
        last = outcome.runs[-1]
        return f"failed after {seconds_text(last.seconds)} at {last.rss_mib:.0f} MiB ({outcome.error})"
    return f"{seconds_text(outcome.seconds)}, {outcome.rss_mib:.0f} MiB"


def seconds_text(value: float) -> str:
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def verdicts(job: Job, outcomes: dict[str, Outcome]) -> list[tuple[str, str, str]]:
    """Issue 15's targets for the job: (target, measured, met or missed and by how much)."""
    convcli = outcomes["convcli"]
    vips = outcomes.get("libvips")
    found = []

    def against_vips(times: float) -> None:
        target = f"time within {times:g}x of libvips'"
        if convcli.error:
            found.append((target, "convcli failed", "missed"))
            return
        if vips is None or vips.seconds is None or convcli.seconds is None:
            found.append((target, "not measured", "n/a"))
            return
        ratio = convcli.seconds / vips.seconds
        measured = f"{ratio:.2f}x ({seconds_text(convcli.seconds)} against {seconds_text(vips.seconds)})"
        if ratio <= times:
            found.append((target, measured, f"met, {times / ratio:.2f}x inside"))
        else:
            limit = seconds_text(times * vips.seconds)
            found.append((target, measured, f"missed by {ratio / times:.2f}x (at most {limit})"))

    def rss_at_most(limit: float, target: str) -> None:
        if convcli.error:
            found.append((target, f"failed at {convcli.runs[-1].rss_mib:.0f} MiB", f"missed ({convcli.error})"))
        elif convcli.rss_mib <= limit:
            found.append((target, f"{convcli.rss_mib:.0f} MiB", f"met, {limit - convcli.rss_mib:.0f} MiB inside"))
        else:
            excess = f"by {convcli.rss_mib - limit:.0f} MiB ({convcli.rss_mib / limit:.1f}x)"
            found.append((target, f"{convcli.rss_mib:.0f} MiB", f"missed {excess}"))

    if job.key == "ppm":
        against_vips(2)
        gmic = outcomes.get("G'MIC")
        if gmic and gmic.seconds and convcli.seconds:
            ratio = convcli.seconds / gmic.seconds
            measured = f"{ratio:.2f}x G'MIC's time"
            found.append(("ahead of G'MIC", measured, "met" if ratio < 1 else f"missed by {ratio:.2f}x"))
    elif job.streaming:
        rss_at_most(400, "peak RSS under 400 MiB")
        against_vips(3)
    elif job.small:
        floor = outcomes["`python -c 'import numpy, PIL.Image'`"].seconds
        target = f"within {SMALL_SLACK * 1000:.0f} ms of the import line"
        if convcli.seconds is None or floor is None:
            found.append((target, "not measured", "n/a"))
        else:
            over = convcli.seconds - floor
            verdict = "met" if over <= SMALL_SLACK else f"missed by {(over - SMALL_SLACK) * 1000:.0f} ms"
            found.append((target, f"+{over * 1000:.0f} ms ({seconds_text(convcli.seconds)})", verdict))
    else:
        against_vips(2)
        limit = 2.5 * job.decoded_mb + 60
        rss_at_most(limit, f"peak RSS at most 2.5x the decoded image + 60 MiB = {limit:.0f} MiB")
    return found


def report(done: list[tuple[Job, dict[str, Outcome]]], tools: list[Tool], header: str, missing: list[str]) -> str:
    shown = [tool for tool in tools if any(tool.name in outcomes for _, outcomes in done)]
    lines = [header, ""]
    lines += [f"| job | {' | '.join(tool.name for tool in shown)} | convcli / libvips |"]
    lines += [f"| --- |{' ---: |' * len(shown)} ---: |"]
    for job, outcomes in done:
        convcli, vips = outcomes["convcli"].seconds, outcomes.get("libvips", Outcome()).seconds
        ratio = f"{convcli / vips:.2f}x" if convcli and vips else ""
        lines.append(f"| {job.title} | {' | '.join(cell(outcomes.get(tool.name)) for tool in shown)} | {ratio} |")
    lines += ["", "| job | issue 15's target | measured | verdict |", "| --- | --- | --- | --- |"]
    for job, outcomes in done:
        for target, measured, verdict in verdicts(job, outcomes):
            lines.append(f"| {job.title} | {target} | {measured} | {verdict} |")
    makers = [tool for tool in shown if tool.makes_output]
    lines += [
        "",
        "Agreement: mean / largest |difference| in levels from scipy.ndimage.gaussian_filter (truncate 4, float64) "
        f"on {BAND_ROWS} middle rows, away from the borders (JPEG outputs add their own re-encoding error):",
        "",
        f"| job | {' | '.join(tool.name for tool in makers)} |",
        f"| --- |{' ---: |' * len(makers)}",
    ]
    for job, outcomes in done:
        lines.append(f"| {job.title} | {' | '.join(outcomes.get(t.name, Outcome()).agreement for t in makers)} |")
    examples = []  # the first job of each format
    for job, _ in done:
        if all(job.source != example.source for example in examples):
            examples.append(job)
    lines += [
        "",
        f"Commands, on the {', '.join(job.title.split(',')[0] for job in examples)}:",
        "",
        f"| tool | {' | '.join(job.source for job in examples)} |",
        f"| --- |{' --- |' * len(examples)}",
    ]
    for tool in shown:
        commands = [tool.command(job, "IN", f"OUT{job.source}") for job in examples]
        cells = [f"`{shlex.join(command)}`" if command else "" for command in commands]
        lines.append(f"| {tool.name} | {' | '.join(cells)} |")
    lines += [f"- {line}" for line in missing]
    return "\n".join(lines)


def machine(convcli: list[str], default_convcli: bool) -> str:
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for command, pattern in (
        (["vips", "--version"], r"vips-(\S+)"),
        (["gmic", "version"], r"Version (\S+)"),
        ([MAGICK, "-version"], r"ImageMagick (\S+)"),
    ):
        try:
            answer = subprocess.run(command, capture_output=True, text=True)
            found = re.search(pattern, re.sub(r"\x1b\[[0-9;]*m", "", answer.stdout + answer.stderr))
            versions.append(f"{Path(command[0]).name} {found.group(1)}" if found else "")
        except OSError:
            pass
    if default_convcli:
        commit = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"], capture_output=True)
        versions.append(f"convcli at {commit.stdout.decode().strip() or 'an unknown commit'}")
    else:
        versions.append(f"convcli: `{shlex.join(convcli)}`")
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}; "
        f"{', '.join(v for v in versions if v)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each tool on each job; medians (default 3)")
    parser.add_argument("--small-runs", type=int, default=11, help="runs on the 64x64 PNG (default 11)")
    parser.add_argument(
        "--convcli",
        help="the convcli command to time (default: python -m convcli from this checkout, on PYTHONPATH)",
    )
    parser.add_argument(
        "--streaming-size", type=int, default=30000, help="side of the streaming TIFF (default 30000; 0: skip it)"
    )
    parser.add_argument("--only", help="a comma-separated subset: ppm,jpeg12,jpeg48,tiff48,stream,small")
    parser.add_argument("--inputs", type=Path, help="keep the generated inputs in this directory and reuse them")
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**31,
        help="address space allowed to each tool, GiB (default: half the machine's memory; 0: no limit)",
    )
    parser.add_argument("--magick", default=MAGICK, help=f"ImageMagick's convert (default {MAGICK})")
    arguments = parser.parse_args()

    env = dict(os.environ)
    if arguments.convcli:
        convcli = shlex.split(arguments.convcli)
    else:
        convcli = [sys.executable, "-m", "convcli"]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    chosen = jobs(arguments.streaming_size)
    if arguments.only:
        keys = arguments.only.split(",")
        unknown = set(keys) - {job.key for job in jobs(1)}
        if unknown:
            parser.error(f"--only: unknown job {', '.join(sorted(unknown))}")
        chosen = [job for job in chosen if job.key in keys]
    found, missing = tools(convcli, arguments.magick)
    limit = int(arguments.memory_limit * 2**30)

    started, load = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    done = []
    with tempfile.TemporaryDirectory(prefix="convcli-pipeline-") as name:
        scratch = Path(name)
        inputs = arguments.inputs or scratch
        inputs.mkdir(parents=True, exist_ok=True)
        env["MAGICK_CONFIGURE_PATH"] = str(magick_policy(scratch / "magick", arguments.memory_limit))
        for job in chosen:
            source = make_input(job, inputs)
            runs = arguments.small_runs if job.small else arguments.runs
            done.append((job, measure(job, found, source, scratch, runs, env, limit)))
            if not arguments.inputs and job.streaming:
                source.unlink()
    command = shlex.join(["python", "benchmarks/pipeline.py", *sys.argv[1:]])
    header = (
        f"Measured by `{command}` on {started}: {machine(convcli, not arguments.convcli)}. Medians: runs "
        f"{arguments.runs} ({arguments.small_runs} on the 64x64 PNG), the tools alternating; peak RSS from "
        f"wait4; each tool limited to {arguments.memory_limit:.0f} GiB of address space. Load average "
        f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end."
    )
    print(report(done, found, header, missing))


if __name__ == "__main__":
    main()
