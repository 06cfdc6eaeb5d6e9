"""Cross-check convcli's reading of ImageMagick kernel strings against ImageMagick itself.

For every kernel size from 1x1 to 5x4, with and without an explicit +X+Y origin, on a random
grey and a random RGB image, in each border mode beside its -virtual-pixel, it compares
`convcli apply IMAGE -k SPEC --border B --scale S` with
`convert IMAGE -define convolve:scale=S -virtual-pixel VP -morphology Convolve SPEC` and prints
the largest difference per border mode (1 level is rounding). Needs ImageMagick's convert
(`apt-get install imagemagick`); the tests hold a few of its results instead.

    python benchmarks/crosscheck_imagemagick.py [SEED] [--correlate]

--correlate compares with -morphology Correlate; IMOP=convolve in the environment with -convolve
(which normalises and correlates: pass --correlate, and the scale is then ImageMagick's own).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from convcli.cli import main

# convcli's border and ImageMagick's -virtual-pixel for it: ImageMagick's "mirror" repeats the
# edge pixel, which is convcli's reflect, so convcli's mirror has no ImageMagick twin (shown apart).
BORDERS = {"nearest": "edge", "wrap": "tile", "constant": "black", "reflect": "mirror", "mirror": "mirror"}


def run(seed: int, extra: list[str]) -> int:
    convert = shutil.which("convert", path="/usr/bin") or shutil.which("convert")
    if convert is None:
        sys.exit("crosscheck: ImageMagick's convert is not installed")
    rng = np.random.default_rng(seed)
    method = "Correlate" if "--correlate" in extra else "Convolve"
    operator = ["-convolve"] if os.environ.get("IMOP") == "convolve" else ["-morphology", method]
    worst: dict[tuple[str, bool], int] = {}
    cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        images = {}
        for mode, shape in (("L", (6, 7)), ("RGB", (6, 7, 3))):
            images[mode] = os.path.join(tmp, f"{mode}.png")
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(images[mode])
        for width, height in itertools.product(range(1, 6), range(1, 5)):
            for explicit in (False, True):
                kernel = rng.integers(0, 10, (height, width))
                kernel[rng.integers(height), rng.integers(width)] += 1  # never all zero
                origin = f"+{rng.integers(width)}+{rng.integers(height)}" if explicit else ""
                spec = f"{width}x{height}{origin}: " + " ".join(",".join(map(str, row)) for row in kernel)
                scale = repr(1.0 / int(kernel.sum()))
                for mode, path in images.items():
                    for border, virtual in BORDERS.items():
                        cases += 1
                        theirs, ours = os.path.join(tmp, f"im{cases}.png"), os.path.join(tmp, f"cv{cases}.png")
                        subprocess.run(
                            [convert, path, "-define", f"convolve:scale={scale}", "-virtual-pixel", virtual,
                             *operator, spec, "-depth", "8", theirs],
                            check=True,
                        )  # fmt: skip
                        args = ["apply", path, "-k", spec, "--border", border, "--scale", scale, "-o", ours, "-q"]
                        if main([*args, *extra]) != 0:
                            sys.exit(f"crosscheck: convcli failed on {spec!r} --border {border}")
                        expected = np.asarray(Image.open(theirs).convert(mode), np.int32)
                        got = np.asarray(Image.open(ours), np.int32)
                        key = (border, explicit)
                        worst[key] = max(worst.get(key, 0), int(np.abs(expected - got).max()))
    for (border, explicit), difference in sorted(worst.items()):
        twin = "" if border != "mirror" else "  (no ImageMagick twin: its mirror is reflect)"
        print(f"--border {border:8} {'with' if explicit else 'without'} +X+Y: largest difference {difference}{twin}")
    print(f"{cases} cases")
    return max(d for (border, _), d in worst.items() if border != "mirror")


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0
    sys.exit(0 if run(seed, [a for a in sys.argv[1:] if not a.isdigit()]) <= 1 else 1)
