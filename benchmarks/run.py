"""Benchmark convcli's engine against scipy.ndimage, OpenCV and Pillow, all in one run.

    python benchmarks/run.py                     # both image sizes, writes benchmarks/results.md
    python benchmarks/run.py --sizes 1920x1080   # one size, quicker

Every tool convolves the same generated RGB image with the same kernel and border
(reflect: dcba|abcd). Times are medians of at least three runs, and each is also given as
a ratio to the fastest tool on that case in the same run, which is the number to compare
across machines. Each result is checked against scipy's (max |diff|), so that a fast wrong
answer shows. Pillow works on 8-bit images only, takes 3x3 and 5x5 kernels only, and its
GaussianBlur is an approximation by box filters: its rows say so in the diff.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from photos import make_image

import convcli
from convcli.engine import METHODS, available_cores, plan_for
from convcli.filters import sobel
from convcli.kernels import named

RESULTS = Path(__file__).resolve().parent / "results.md"


@dataclass
class Case:
    name: str
    kernel: np.ndarray  # as convolved
    sigma: float | None = None  # a Gaussian: peers get their own Gaussian call
    sobel: bool = False  # the gradient magnitude of sobel-x and sobel-y


def random_kernel(size: int, rng: np.random.Generator) -> np.ndarray:
    """A full-rank (non-separable) random blur: positive weights summing to 1, so results
    stay in 0..255 and 8-bit Pillow can be compared too."""
    kernel = rng.uniform(0, 1, (size, size))
    return kernel / kernel.sum()


def cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("3x3 emboss", named.emboss()),
        Case("5x5 random", random_kernel(5, rng)),
        Case("15x15 random", random_kernel(15, rng)),
        Case("31x31 random", random_kernel(31, rng)),
        Case("Gaussian sigma 2", named.gaussian(2), sigma=2),
        Case("Gaussian sigma 10", named.gaussian(10), sigma=10),
        Case("Sobel magnitude", named.sobel_x(), sobel=True),
    ]


def timed(run: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    """The median time of `repeat` runs (three only if they are slow), and the last result.
    A first run under a second is a warm-up and not counted: the first call of any tool pays
    for fresh memory and caches, which would favour whichever tool runs second."""
    start = time.perf_counter()
    result = run()
    first = time.perf_counter() - start
    times = [] if first < 1 else [first]
    while len(times) < repeat and (len(times) < 3 or sum(times) < 10):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def tools_for(case: Case, image: np.ndarray, threads: int) -> dict[str, Callable[[], np.ndarray]]:
    from scipy import ndimage

    kernel = case.kernel
    tools: dict[str, Callable[[], np.ndarray]] = {}
    auto = plan_for(image.shape, kernel, threads=threads).method
    for method in METHODS:
        if method == "separable" and convcli_rank(kernel) != 1:
            continue
        label = f"convcli {method}" + (f" ({auto})" if method == "auto" else "")
        if case.sobel:
            tools[label] = lambda m=method: sobel(image, "both", method=m, threads=threads)
        else:
            tools[label] = lambda m=method: convcli.convolve(image, kernel, method=m, threads=threads)

    if case.sigma is not None:
        tools["scipy.ndimage"] = lambda: ndimage.gaussian_filter(image, (case.sigma, case.sigma, 0), mode="reflect")
    elif case.sobel:
        # Channel by channel: on a 3-D array ndimage.sobel also smooths across the channels.
        tools["scipy.ndimage"] = lambda: np.stack(
            [
                np.hypot(ndimage.sobel(plane, axis=1, mode="reflect"), ndimage.sobel(plane, axis=0, mode="reflect"))
                for plane in np.moveaxis(image, -1, 0)
            ],
            axis=-1,
        )
    else:
        tools["scipy.ndimage"] = lambda: ndimage.convolve(image, kernel[:, :, np.newaxis], mode="reflect")

    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(threads)
        border = cv2.BORDER_REFLECT
        if case.sigma is not None:
            size = 2 * int(4 * case.sigma + 0.5) + 1
            tools["OpenCV"] = lambda: cv2.GaussianBlur(image, (size, size), case.sigma, borderType=border)
        elif case.sobel:
            height, width = image.shape[:2]

            def opencv_sobel():
                # cv2.magnitude takes one channel: view the channels side by side.
                dx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3, borderType=border).reshape(height, -1)
                dy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3, borderType=border).reshape(height, -1)
                return cv2.magnitude(dx, dy).reshape(image.shape)

            tools["OpenCV"] = opencv_sobel
        else:
            # filter2D correlates: give it the kernel rotated, so that it convolves.
            flipped = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)
            tools["OpenCV"] = lambda: cv2.filter2D(image, -1, flipped, borderType=border)

    from PIL import Image, ImageFilter

    pillow_input = Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8))
    if case.sigma is not None:
        pillow_filter = ImageFilter.GaussianBlur(case.sigma)
    elif not case.sobel and kernel.shape in ((3, 3), (5, 5)):
        # Pillow flips the kernel vertically and then correlates: given the kernel flipped
        # horizontally, it convolves (checked on an asymmetric kernel against scipy).
        pillow_filter = ImageFilter.Kernel(kernel.shape, kernel[:, ::-1].ravel().tolist(), scale=1)
    else:
        pillow_filter = None
    if pillow_filter is not None:
        tools["Pillow (8-bit)"] = lambda: np.asarray(pillow_input.filter(pillow_filter), dtype=np.float32)
    return tools


def convcli_rank(kernel: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(kernel))


def benchmark(width: int, height: int, repeat: int, threads: int, only: list[str] | None = None) -> list[dict]:
    rng = np.random.default_rng(0)
    image = make_image(width, height, rng)
    rows = []
    # Every case is made, picked or not, so that the random kernels are the same in every run.
    for case in cases(rng):
        if only is not None and case.name not in only:
            continue
        print(f"{width}x{height} {case.name}:", file=sys.stderr, flush=True)
        results = {}
        for tool, run in tools_for(case, image, threads).items():
            seconds, out = timed(run, repeat)
            results[tool] = (seconds, out)
            print(f"  {tool:28s} {seconds:8.3f} s", file=sys.stderr, flush=True)
        reference = results["scipy.ndimage"][1].astype(np.float64)
        fastest = min(seconds for seconds, _ in results.values())
        best_forced = min(s for tool, (s, _) in results.items() if tool.startswith("convcli ") and "auto" not in tool)
        for tool, (seconds, out) in results.items():
            diff = np.abs(out.astype(np.float64) - reference)
            # Pillow clips to 0..255 and leaves a kernel's radius at the edges unfiltered:
            # compare it inside, where the reference is in that range.
            if tool.startswith("Pillow"):
                ry, rx = (n // 2 for n in case.kernel.shape)
                inner = (slice(ry, diff.shape[0] - ry), slice(rx, diff.shape[1] - rx))
                diff = diff[inner][(reference[inner] >= 0) & (reference[inner] <= 255)]
            worst = float(diff.max()) if diff.size else float("nan")
            rows.append(
                {
                    "size": f"{width}x{height}",
                    "case": case.name,
                    "tool": tool,
                    "seconds": seconds,
                    "ratio": seconds / fastest,
                    "diff": worst,
                    "auto_vs_best": seconds / best_forced if "auto" in tool else None,
                }
            )
    return rows


def memory(threads: int) -> list[str]:
    """Peak memory of a 4000x3000 RGB blur: NumPy's allocations in the engine (tracemalloc),
    and the whole CLI process reading a TIFF and writing a PNG (peak RSS)."""
    rng = np.random.default_rng(1)
    image = make_image(4000, 3000, rng)
    lines = []
    for sigma in (2, 10):
        kernel = named.gaussian(sigma)
        tracemalloc.start()
        convcli.convolve(image, kernel, threads=threads)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        lines.append(
            f"- engine, `convolve` of a 4000x3000x3 float32 image with gaussian({sigma}): peak "
            f"{peak / 2**20:.0f} MiB of NumPy allocations = {peak / image.nbytes:.2f}x the image "
            f"({image.nbytes / 2**20:.0f} MiB), the {image.nbytes / 2**20:.0f} MiB result included"
        )
    from PIL import Image

    # The child reads its own high-water mark: ru_maxrss of a child counts the parent's
    # memory at fork, so it would report this benchmark's arrays too.
    probe = (
        "import re, sys; from convcli.cli import main; code = main(sys.argv[1:]); "
        "status = open('/proc/self/status').read(); "
        "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); sys.exit(code)"
    )
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "photo.tif"
        Image.fromarray(image.astype(np.uint8)).save(source)
        arguments = ["blur", str(source), "--sigma", "2", "-o", str(Path(scratch) / "out.png")]
        child = subprocess.run([sys.executable, "-c", probe, *arguments], check=True, capture_output=True, text=True)
        peak_kib = int(child.stderr.strip().splitlines()[-1])
        lines.append(
            f"- whole CLI process, `convcli blur photo.tif --sigma 2 -o out.png` on 4000x3000 RGB: peak RSS "
            f"{peak_kib / 1024:.0f} MiB = {peak_kib * 1024 / image.nbytes:.2f}x the float32 image, "
            "interpreter, Pillow and codecs included"
        )
    return lines


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(threads: int) -> str:
    cpu = cpu_name()
    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for module in ("scipy", "cv2", "PIL"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            versions.append(f"{module} not installed")
    return (
        f"{cpu}, {os.cpu_count()} cores ({available_cores()} available), {platform.system()} "
        f"{platform.release()}; {', '.join(versions)}; convcli and OpenCV on {threads} threads, "
        "scipy and Pillow on one (they have no threads)"
    )


def table(rows: list[dict]) -> str:
    lines = [
        "| image | case | tool | median s | x fastest | max abs diff vs scipy |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        bold = "**" if row["ratio"] == 1.0 else ""
        lines.append(
            f"| {row['size']} | {row['case']} | {bold}{row['tool']}{bold} | {row['seconds']:.3f} | "
            f"{row['ratio']:.2f} | {row['diff']:.2g} |"
        )
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    """One line per image and case: convcli auto (and the method it took), the best
    convcli method forced, and each peer, as seconds and ratio to the fastest."""
    peers = ["scipy.ndimage", "OpenCV", "Pillow (8-bit)"]
    lines = [
        "| image | case | convcli auto | best convcli forced | " + " | ".join(peers) + " |",
        "| --- | --- |" + " ---: |" * (2 + len(peers)),
    ]
    for size, case in dict.fromkeys((row["size"], row["case"]) for row in rows):
        here = [row for row in rows if (row["size"], row["case"]) == (size, case)]
        auto = next(row for row in here if "auto" in row["tool"])
        forced = min(
            (row for row in here if row["tool"].startswith("convcli ") and row is not auto),
            key=lambda row: row["seconds"],
        )

        def cell(row):
            return f"{row['seconds']:.3f} s ({row['ratio']:.2f}x)" if row else "-"

        by_tool = {row["tool"]: row for row in here}
        method = auto["tool"].split("(")[1].rstrip(")")
        lines.append(
            f"| {size} | {case} | {cell(auto)} {method} | {cell(forced)} {forced['tool'].split()[1]} | "
            + " | ".join(cell(by_tool.get(peer)) for peer in peers)
            + " |"
        )
    return "\n".join(lines)


def targets(rows: list[dict]) -> list[str]:
    """The targets of issue 3, checked on the 4000x3000 rows."""
    big = [row for row in rows if row["size"] == "4000x3000"]
    if not big:
        return []
    by = {(row["case"], row["tool"].split(" (")[0]): row["seconds"] for row in big}
    lines = []
    for case in dict.fromkeys(row["case"] for row in big):
        ours, scipy_s = by[(case, "convcli auto")], by[(case, "scipy.ndimage")]
        need = 5 if case.startswith(("15x15", "31x31")) else 1
        verdict = "met" if scipy_s / ours > need else "MISSED"
        lines.append(f"- {case}: auto is {scipy_s / ours:.1f}x faster than scipy.ndimage (target > {need}x): {verdict}")
    for case, limit in (("Gaussian sigma 10", 3), ("31x31 random", 2)):
        if (case, "OpenCV") in by:
            ratio = by[(case, "convcli auto")] / by[(case, "OpenCV")]
            verdict = "met" if ratio <= limit else "MISSED"
            lines.append(f"- {case}: auto takes {ratio:.2f}x OpenCV's time (target <= {limit}x): {verdict}")
    worst = max((row for row in big if row["auto_vs_best"] is not None), key=lambda row: row["auto_vs_best"])
    verdict = "met" if worst["auto_vs_best"] <= 1.25 else "MISSED"
    lines.append(
        f"- auto against the best forced method, worst case ({worst['case']}): "
        f"{worst['auto_vs_best']:.2f}x (target <= 1.25x): {verdict}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="4000x3000,1920x1080", help="comma-separated WIDTHxHEIGHT")
    parser.add_argument("--repeat", type=int, default=5, help="runs per tool and case (at least 3)")
    parser.add_argument("--threads", type=int, default=available_cores(), help="threads for convcli and OpenCV")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the Markdown file to write")
    parser.add_argument(
        "--cases",
        help='comma-separated case names (default all), e.g. "3x3 emboss,Sobel magnitude"; skips the memory section',
    )
    parser.add_argument("--readme", type=Path, help="also put the summary between the bench markers of this README")
    args = parser.parse_args()
    only = None
    if args.cases:
        only = [name.strip() for name in args.cases.split(",")]
        known = [case.name for case in cases(np.random.default_rng(0))]
        unknown = [name for name in only if name not in known]
        if unknown:
            parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(known)}")
    rows = []
    for size in args.sizes.split(","):
        width, height = (int(n) for n in size.lower().split("x"))
        rows.extend(benchmark(width, height, max(3, args.repeat), args.threads, only))
    memory_lines = memory(args.threads) if only is None else ["- not measured: a run of chosen --cases"]
    report = "\n".join(
        [
            "# convcli benchmark",
            "",
            f"Machine: {machine(args.threads)}.",
            "",
            f"Command: `python benchmarks/run.py --sizes {args.sizes}"
            + (f" --cases '{args.cases}'`" if args.cases else "`"),
            "",
            "## Summary",
            "",
            summary(rows),
            "",
            "## Every run",
            "",
            table(rows),
            "",
            "## Targets (4000x3000)",
            "",
            *targets(rows),
            "",
            "## Memory",
            "",
            *memory_lines,
            "",
        ]
    )
    args.out.write_text(report)
    print(report)
    if args.readme:
        begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
        text = args.readme.read_text()
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        pasted = "\n".join(
            [
                "",
                f"Measured by `python benchmarks/run.py --readme README.md` on {machine(args.threads)}.",
                "Seconds are medians of 3 to 5 runs; the ratio is to the fastest tool on that case in the",
                "same run. Every result was checked against scipy's; benchmarks/results.md has every run,",
                "the max differences, the targets and peak memory.",
                "",
                summary(rows),
                "",
                *targets(rows),
                "",
                *memory_lines,
                "",
            ]
        )
        args.readme.write_text(head + begin + pasted + end + tail)


if __name__ == "__main__":
    main()
