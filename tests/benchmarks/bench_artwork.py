"""Artwork benchmark (run by hand): the 12 MP phone photo to everything a site needs.

    .venv/bin/python tests/benchmarks/bench_artwork.py [PHOTO]

A site with one steel and one glass gobo fixture (size B) and a 16x6 pixel
fixture: cleaned.png, both gobos with their manifests and projected previews, the
pixel image, palette.json, preview.png and manifest.json (11 files). Targets:
conversion <= 5x the time Pillow takes
just to decode and orient the same file (Image.open, ImageOps.exif_transpose,
full size, as a user would), peak RSS <= 300 MB.

Both run as the daemon runs a conversion: once, in a fresh process of its own with
the environment the daemon gives a conversion's child (artwork.isolated), imports
done before the clock starts; so each peak RSS is one conversion's, as under the
child's memory limit. Decodes and conversions alternate over several rounds so both
see the same load on a shared machine; the best and the median of each are shown.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from artwork.isolated import CHILD_ENV  # noqa: E402

PHOTO = REPO.parent / "shared" / "data" / "drawings" / "animdraw_char4_original_img.png"
ROUNDS = 7

SETUP = """
import json, resource, sys, time
from pathlib import Path
from PIL import Image, ImageOps

def report(seconds):
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(seconds=seconds, rss_mb=rss_mb)))
"""

DECODE = SETUP + """
start = time.perf_counter()
with Image.open(sys.argv[1]) as image:
    oriented = ImageOps.exif_transpose(image)
    oriented.load()
report(time.perf_counter() - start)
"""

CONVERT = SETUP + """
from artwork import PixelTarget, Settings, gobo_target
from artwork.convert import convert_drawing
targets = [gobo_target("steel"), gobo_target("glass"), PixelTarget(16, 6)]
start = time.perf_counter()
result = convert_drawing(Path(sys.argv[1]), Path(sys.argv[2]), targets, Settings())
elapsed = time.perf_counter() - start
assert len(result.files) == 11, sorted(result.files)
report(elapsed)
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
            decodes.append(_measure(DECODE, str(photo)))
            converts.append(_measure(CONVERT, str(photo), f"{out}/{round_}"))
        baseline = _measure(BASELINE)
    decode = [d["seconds"] for d in decodes]
    convert = [c["seconds"] for c in converts]
    convert_rss = max(c["rss_mb"] for c in converts)
    ratio = min(convert) / min(decode)
    size_mb = photo.stat().st_size / 1e6
    print(f"photo: {photo.name} ({size_mb:.1f} MB), {ROUNDS} fresh processes each")
    print(f"Pillow decode + orient:       {min(decode) * 1000:7.0f} ms best, "
          f"{statistics.median(decode) * 1000:.0f} ms median; "
          f"peak RSS {max(d['rss_mb'] for d in decodes):.0f} MB")
    print("convert (steel B, glass B, 16x6 pixels, previews, cleaned, palette; 11 files):")
    print(f"                              {min(convert) * 1000:7.0f} ms best, "
          f"{statistics.median(convert) * 1000:.0f} ms median; peak RSS {convert_rss:.0f} MB "
          f"(interpreter + imports alone: {baseline['rss_mb']:.0f} MB)")
    print(f"ratio to decode: {ratio:.1f}x best, "
          f"{statistics.median(convert) / statistics.median(decode):.1f}x median "
          f"(target <= 5x): {'OK' if ratio <= 5 else 'OVER'}")
    print(f"peak RSS target <= 300 MB: {'OK' if convert_rss <= 300 else 'OVER'}")


if __name__ == "__main__":
    main()
