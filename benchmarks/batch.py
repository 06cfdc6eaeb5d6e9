"""Whole-process timings: convcli's start-up, and a batch of small images against its peers.

    python benchmarks/batch.py                 # 200 images of 640x480, about 10 minutes on 2 cores
    python benchmarks/batch.py --images 40     # quicker
    python benchmarks/batch.py --images 0 --against /tmp/old-venv   # start-up only, beside another install

Everything is run as a user runs it, as separate processes from the installed `convcli`
beside this Python, so that interpreter start-up and imports count. Reported:

- start-up: `convcli --help`, and a blur of one 640x480 PNG, each the median of 11 runs, with
  the floor every run of a Python image tool pays in the same run: the interpreter alone, and
  the interpreter importing NumPy and Pillow (and, with --against, another install's convcli,
  such as an older version in a virtual environment of its own, timed in the same run);
- a batch of N generated 640x480 RGB PNGs blurred with sigma 2 into a directory: convcli with
  --jobs 1 and --jobs 2, convcli run once per image from a shell loop, a Python script with
  scipy.ndimage and Pillow in one process, and ImageMagick's mogrify where it is installed.
  Each is the median of 3 runs (the loop: 1 run), as images per second and as a ratio to the
  fastest in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from photos import make_image
from PIL import Image
from run import cpu_name

BIN = Path(sys.executable).parent
CONVCLI = str(BIN / "convcli")
SCIPY_SCRIPT = """
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from scipy import ndimage
for path in sorted(Path(sys.argv[1]).glob("*.png")):
    image = np.asarray(Image.open(path), dtype=np.float32)
    soft = ndimage.gaussian_filter(image, sigma=(2, 2, 0), mode="reflect")
    Image.fromarray(np.clip(np.rint(soft), 0, 255).astype(np.uint8)).save(Path(sys.argv[2]) / path.name)
"""


def seconds(command: list[str] | str, runs: int, cwd: Path, before=None) -> float:
    """The median wall time of `runs` runs of `command` (a shell line if a string)."""
    return statistics.median(timings(command, runs, cwd, before))


def timings(command: list[str] | str, runs: int, cwd: Path, before=None) -> list[float]:
    """The wall times of `runs` runs of `command`, each after `before()` if given."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(
            command,
            cwd=cwd,
            shell=isinstance(command, str),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return times


def fresh(directory: Path):
    def make():
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200, help="images in the batch (default 200; 0: no batch)")
    parser.add_argument(
        "--against",
        type=Path,
        help="another install's virtual environment, whose convcli's start-up is timed beside this one's, run for run",
    )
    arguments = parser.parse_args()
    count = arguments.images

    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        inputs = work / "in"
        inputs.mkdir()
        rng = np.random.default_rng(0)
        for number in range(max(count, 1)):
            pixels = make_image(640, 480, rng)
            Image.fromarray(pixels.astype(np.uint8)).save(inputs / f"photo{number:04d}.png")
        small = inputs / "photo0000.png"

        python = sys.executable
        startup = [
            ("python -c pass (the interpreter alone)", seconds([python, "-c", "pass"], 11, work)),
            ("python -c 'import numpy, PIL.Image'", seconds([python, "-c", "import numpy, PIL.Image"], 11, work)),
        ]
        installs = {"convcli": CONVCLI}
        if arguments.against:
            installs[f"{arguments.against}'s convcli"] = str(arguments.against / "bin" / "convcli")
        for label, args in (
            ("--help", ["--help"]),
            ("blur photo.png -o out.png (640x480)", ["blur", str(small), "-o", "out.png", "--force"]),
        ):
            # Run for run, in turn, so that the machine's moods fall on every install alike.
            runs = {name: [] for name in installs}
            for _ in range(11):
                for name, program in installs.items():
                    runs[name] += timings([program, *args], 1, work)
            startup += [(f"{name} {label}", statistics.median(times)) for name, times in runs.items()]
        if not count:
            report(count, startup, [])
            return

        out = work / "out"
        batch = []
        for jobs in (1, 2):
            batch.append(
                (
                    f"convcli blur 'in/*.png' -d out --jobs {jobs}",
                    seconds([CONVCLI, "blur", "in/*.png", "-d", "out", "--jobs", str(jobs), "-q"], 3, work, fresh(out)),
                )
            )
        loop = f'for f in in/*.png; do {CONVCLI} blur "$f" -o "out/$(basename "$f")"; done'
        batch.append(("a shell loop running convcli once per image", seconds(loop, 1, work, fresh(out))))
        batch.append(
            (
                "a Python script: scipy.ndimage + Pillow, one process",
                seconds([python, "-c", SCIPY_SCRIPT, "in", "out"], 3, work, fresh(out)),
            )
        )
        mogrify = shutil.which("mogrify")
        if mogrify and "stand-in" not in Path(mogrify).read_text(errors="replace")[:2000]:
            version = subprocess.run([mogrify, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
            batch.append(
                (
                    f"ImageMagick: mogrify -path out -gaussian-blur 0x2 in/*.png ({version.split()[2]})",
                    seconds(f"{mogrify} -path out -gaussian-blur 0x2 in/*.png", 3, work, fresh(out)),
                )
            )

    report(count, startup, batch)


def report(count: int, startup: list[tuple[str, float]], batch: list[tuple[str, float]]) -> None:
    print(
        f"Measured by `python benchmarks/batch.py --images {count}` on {cpu_name()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, NumPy {np.__version__}; each row's processes run one after "
        "another.\n"
    )
    print("| start-up, one process | median seconds |\n| --- | ---: |")
    for label, value in startup:
        print(f"| {label} | {value:.3f} |")
    if not batch:
        return
    fastest = min(value for _, value in batch)
    print(f"\n| a batch of {count} 640x480 PNGs, blur sigma 2 | seconds | images/s | ratio to the fastest |")
    print("| --- | ---: | ---: | ---: |")
    for label, value in batch:
        print(f"| {label} | {value:.2f} | {count / value:.1f} | {value / fastest:.2f}x |")


if __name__ == "__main__":
    main()
