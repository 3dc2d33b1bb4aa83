"""Artwork benchmark (run by hand): the 12 MP phone photo to everything a site needs.

    /work/venv/bin/python tests/benchmarks/bench_artwork.py [PHOTO]

A site with one steel and one glass gobo fixture (size B) and a 16x6 pixel
fixture. Each measurement runs in a fresh process so its peak RSS is its own;
times are the best of several runs. Targets: conversion <= 5x the time Pillow
takes just to decode and orient the same file, peak RSS <= 300 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PHOTO = REPO.parent / "shared" / "data" / "drawings" / "animdraw_char4_original_img.png"
RUNS = 5

DECODE = """
import json, resource, sys, time
from PIL import Image, ImageOps
best = 1e9
for _ in range({runs}):
    start = time.perf_counter()
    with Image.open(sys.argv[1]) as image:
        oriented = ImageOps.exif_transpose(image)
        oriented.load()
    best = min(best, time.perf_counter() - start)
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": best, "rss_mb": rss_mb}}))
"""

CONVERT = """
import json, resource, sys, time
from pathlib import Path
from artwork import PixelTarget, Settings, convert_drawing, gobo_target
targets = [gobo_target("steel"), gobo_target("glass"), PixelTarget(16, 6)]
best = 1e9
for run in range({runs}):
    start = time.perf_counter()
    result = convert_drawing(Path(sys.argv[1]), Path(sys.argv[2]) / str(run), targets, Settings())
    best = min(best, time.perf_counter() - start)
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": best, "rss_mb": rss_mb, "files": len(result.files)}}))
"""

BASELINE = """
import json, resource
import numpy, PIL.Image, artwork
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _measure(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=REPO
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    photo = Path(sys.argv[1]) if len(sys.argv) > 1 else PHOTO
    with tempfile.TemporaryDirectory() as out:
        decode = _measure(DECODE.format(runs=RUNS), str(photo))
        convert = _measure(CONVERT.format(runs=RUNS), str(photo), out)
        baseline = _measure(BASELINE)
    ratio = convert["seconds"] / decode["seconds"]
    print(f"photo: {photo.name} ({photo.stat().st_size / 1e6:.1f} MB)")
    print(f"Pillow decode + orient:       {decode['seconds'] * 1000:7.0f} ms  "
          f"peak RSS {decode['rss_mb']:.0f} MB")
    print(f"convert (steel B, glass B, 16x6 pixels, cleaned, palette, preview; "
          f"{convert['files']} files):")
    print(f"                              {convert['seconds'] * 1000:7.0f} ms  "
          f"peak RSS {convert['rss_mb']:.0f} MB  (interpreter + imports alone: "
          f"{baseline['rss_mb']:.0f} MB)")
    print(f"ratio to decode: {ratio:.1f}x (target <= 5x): {'OK' if ratio <= 5 else 'OVER'}")
    print(f"peak RSS target <= 300 MB: {'OK' if convert['rss_mb'] <= 300 else 'OVER'}")


if __name__ == "__main__":
    main()
