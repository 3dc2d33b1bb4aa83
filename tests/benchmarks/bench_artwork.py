"""Artwork benchmark (run by hand): the 12 MP phone photo to everything a site needs.

    /work/venv/bin/python tests/benchmarks/bench_artwork.py [PHOTO]

A site with one steel and one glass gobo fixture (size B) and a 16x6 pixel
fixture: cleaned.png, both gobos with their manifests, the pixel image,
palette.json and preview.png. Targets: conversion <= 5x the time Pillow takes
just to decode and orient the same file (Image.open, ImageOps.exif_transpose,
full size, as a user would), peak RSS <= 300 MB.

The times come from one process that alternates decode and conversion, so both
see the same load on a shared machine; each is the best of several runs, and the
first (cold: caches empty) conversion is shown too. Peak RSS is measured in fresh
processes that do only one of the two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PHOTO = REPO.parent / "shared" / "data" / "drawings" / "animdraw_char4_original_img.png"
RUNS = 7

SETUP = """
import json, resource, sys, time
from pathlib import Path
from PIL import Image, ImageOps
from artwork import PixelTarget, Settings, convert_drawing, gobo_target
targets = [gobo_target("steel"), gobo_target("glass"), PixelTarget(16, 6)]

def decode():
    start = time.perf_counter()
    with Image.open(sys.argv[1]) as image:
        oriented = ImageOps.exif_transpose(image)
        oriented.load()
    return time.perf_counter() - start

def convert(run):
    start = time.perf_counter()
    result = convert_drawing(Path(sys.argv[1]), Path(sys.argv[2]) / str(run), targets, Settings())
    assert len(result.files) == 8, sorted(result.files)
    return time.perf_counter() - start

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

TIMES = SETUP + """
decodes, converts = [], []
for run in range({runs}):
    decodes.append(decode())
    converts.append(convert(run))
print(json.dumps({{"decode": min(decodes), "convert": min(converts), "cold": converts[0]}}))
"""

CONVERT_RSS = SETUP + """
for run in range({runs}):
    convert(run)
print(json.dumps({{"rss_mb": rss_mb()}}))
"""

DECODE_RSS = SETUP + """
for run in range({runs}):
    decode()
print(json.dumps({{"rss_mb": rss_mb()}}))
"""

BASELINE = SETUP + """
print(json.dumps({"rss_mb": rss_mb()}))
"""


def _measure(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=REPO
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    photo = Path(sys.argv[1]) if len(sys.argv) > 1 else PHOTO
    with tempfile.TemporaryDirectory() as out:
        times = _measure(TIMES.format(runs=RUNS), str(photo), out)
        convert = _measure(CONVERT_RSS.format(runs=RUNS), str(photo), out)
        decode = _measure(DECODE_RSS.format(runs=RUNS), str(photo), out)
        baseline = _measure(BASELINE, str(photo), out)
    ratio = times["convert"] / times["decode"]
    print(f"photo: {photo.name} ({photo.stat().st_size / 1e6:.1f} MB)")
    print(f"Pillow decode + orient:       {times['decode'] * 1000:7.0f} ms  "
          f"peak RSS {decode['rss_mb']:.0f} MB")
    print("convert (steel B, glass B, 16x6 pixels, cleaned, palette, preview; 8 files):")
    print(f"                              {times['convert'] * 1000:7.0f} ms  "
          f"peak RSS {convert['rss_mb']:.0f} MB  (interpreter + imports alone: "
          f"{baseline['rss_mb']:.0f} MB); first, cold: {times['cold'] * 1000:.0f} ms")
    print(f"ratio to decode: {ratio:.1f}x (target <= 5x): {'OK' if ratio <= 5 else 'OVER'}")
    print(f"peak RSS target <= 300 MB: {'OK' if convert['rss_mb'] <= 300 else 'OVER'}")


if __name__ == "__main__":
    main()
