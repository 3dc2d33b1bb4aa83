"""Artwork benchmark (run by hand): the 12 MP phone photo to everything a site needs.

    .venv/bin/python tests/benchmarks/bench_artwork.py [PHOTO]

A site with one steel and one glass gobo fixture (size B) and a 16x6 pixel
fixture: cleaned.png, both gobos with their manifests and projected previews, the
pixel image, palette.json, preview.png and manifest.json (11 files). Targets:
conversion <= 5x the time Pillow takes
just to decode and orient the same file (Image.open, ImageOps.exif_transpose,
full size, as a user would), peak RSS <= 300 MB.

Both run in the environment the daemon gives a conversion's child process (the
allocator hands big pictures back when freed). Decode and conversion each run in
fresh processes of their own (so neither warms
or fragments the other's memory, and each peak RSS is its own), the two kinds
alternating over several rounds so both see the same load on a shared machine;
times are the best of all runs. The first conversion of a process (cold caches)
is shown too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from artwork.isolated import CHILD_ENV  # noqa: E402

PHOTO = REPO.parent / "shared" / "data" / "drawings" / "animdraw_char4_original_img.png"
RUNS = 4
ROUNDS = 3

SETUP = """
import json, resource, sys, time
from pathlib import Path
from PIL import Image, ImageOps

def report(times):
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(times=times, rss_mb=rss_mb)))
"""

DECODE = SETUP + """
times = []
for run in range({runs}):
    start = time.perf_counter()
    with Image.open(sys.argv[1]) as image:
        oriented = ImageOps.exif_transpose(image)
        oriented.load()
    times.append(time.perf_counter() - start)
report(times)
"""

CONVERT = SETUP + """
from artwork import PixelTarget, Settings, gobo_target
from artwork.convert import convert_drawing
targets = [gobo_target("steel"), gobo_target("glass"), PixelTarget(16, 6)]
times = []
for run in range({runs}):
    start = time.perf_counter()
    result = convert_drawing(Path(sys.argv[1]), Path(sys.argv[2]) / str(run), targets, Settings())
    times.append(time.perf_counter() - start)
    assert len(result.files) == 11, sorted(result.files)
report(times)
"""

BASELINE = SETUP + """
import numpy, artwork
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _measure(code: str, *args: str) -> dict:
    # The environment the daemon gives a conversion's child process (artwork.isolated).
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=REPO,
        env={**os.environ, **CHILD_ENV},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    photo = Path(sys.argv[1]) if len(sys.argv) > 1 else PHOTO
    decodes, converts = [], []
    with tempfile.TemporaryDirectory() as out:
        for round_ in range(ROUNDS):
            decodes.append(_measure(DECODE.format(runs=RUNS), str(photo)))
            converts.append(_measure(CONVERT.format(runs=RUNS), str(photo), f"{out}/{round_}"))
        baseline = _measure(BASELINE)
    decode = min(t for d in decodes for t in d["times"])
    convert = min(t for c in converts for t in c["times"])
    cold = min(c["times"][0] for c in converts)
    convert_rss = max(c["rss_mb"] for c in converts)
    ratio = convert / decode
    print(f"photo: {photo.name} ({photo.stat().st_size / 1e6:.1f} MB)")
    print(f"Pillow decode + orient:       {decode * 1000:7.0f} ms  "
          f"peak RSS {max(d['rss_mb'] for d in decodes):.0f} MB")
    print("convert (steel B, glass B, 16x6 pixels, previews, cleaned, palette; 11 files):")
    print(f"                              {convert * 1000:7.0f} ms  "
          f"peak RSS {convert_rss:.0f} MB  (interpreter + imports alone: "
          f"{baseline['rss_mb']:.0f} MB); first, cold: {cold * 1000:.0f} ms")
    print(f"ratio to decode: {ratio:.1f}x (target <= 5x): {'OK' if ratio <= 5 else 'OVER'}")
    print(f"peak RSS target <= 300 MB: {'OK' if convert_rss <= 300 else 'OVER'}")


if __name__ == "__main__":
    main()
