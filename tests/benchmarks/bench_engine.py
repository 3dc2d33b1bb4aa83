"""Show engine benchmarks (run by hand, prints figures):

    .venv/bin/python tests/benchmarks/bench_engine.py [--jitter-seconds 60] [--artworks 200]

1. engine time per frame (render_frame + FrameAssembler.assemble) for the demo-like site and
   for a 32-universe site, steady and during a crossfade; target < 2 ms;
2. frame jitter of a running `gobo daemon` measured by an external receiver: a UDP listener on
   127.0.0.1 timestamping the ArtDmx packets; target p99 < 2 ms;
3. daemon RSS with N artworks in the library; target <= 80 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import hardware  # noqa: E402
from controller.engine import EngineState, Scene, render_frame  # noqa: E402
from controller.looks import Look  # noqa: E402
from hardware.frames import FrameAssembler  # noqa: E402

PALETTE = ((1.0, 0.2, 0.1), (0.1, 0.4, 1.0), (1.0, 0.9, 0.2))


def demo_patch() -> hardware.Patch:
    return hardware.parse_patch(
        [{"name": "sim", "type": "simulated"}],
        [
            {"name": "steel", "profile": "generic-gobo-wheel", "output": "sim", "universe": 1,
             "address": 1, "gobo_kind": "steel", "gobo_slots": {"2": "a0"}},
            {"name": "glass", "profile": "generic-led-gobo", "output": "sim", "universe": 1,
             "address": 20, "gobo_kind": "glass"},
            {"name": "wash", "profile": "generic-rgbw", "output": "sim", "universe": 1,
             "address": 40},
            {"name": "matrix", "profile": "generic-pixel-matrix", "pixels": [16, 6],
             "output": "sim", "universe": 2, "address": 1},
        ],
        Path("."),
    )


def big_patch() -> hardware.Patch:
    """32 full universes: per universe a 160-pixel RGB matrix (480 ch) + 8 RGBW washes."""
    fixtures = []
    for universe in range(1, 33):
        fixtures.append({"name": f"m{universe}", "profile": "generic-pixel-matrix",
                         "pixels": [16, 10], "output": "net", "universe": universe,
                         "address": 1})
        for n in range(8):
            fixtures.append({"name": f"w{universe}-{n}", "profile": "generic-rgbw",
                             "output": "net", "universe": universe, "address": 481 + 4 * n})
    return hardware.parse_patch(
        [{"name": "net", "type": "artnet", "host": "127.0.0.1"}], fixtures, Path(".")
    )


def looks_for(patch: hardware.Patch) -> dict[str, Look]:
    sizes = {tuple(f.pixels) for f in patch.fixtures if f.pixels}
    looks = {}
    for index, artwork in enumerate(("a0", "b1")):
        pixels = {
            size: np.array([PALETTE[(i + index) % 3] for i in range(size[0] * size[1])])
            for size in sizes
        }
        looks[artwork] = Look(artwork, "bench", PALETTE[index:] + PALETTE[:index], pixels)
    return looks


def time_frames(patch: hardware.Patch, crossfade: bool, frames: int = 400) -> list[list[float]]:
    """Per frame: [render + assemble, render, assemble] in ms."""
    assembler = FrameAssembler(patch)
    scene = Scene(patch.fixtures, looks_for(patch))
    state = EngineState(current="b1", previous="a0" if crossfade else None, fade_start=0.0,
                        crossfade_s=1e9, level=0.9, master=0.8)
    times = []
    for n in range(frames):
        t = 10.0 + n / 40
        start = time.perf_counter()
        values = render_frame(t, state, scene)
        middle = time.perf_counter()
        assembler.assemble(values)
        end = time.perf_counter()
        times.append([(end - start) * 1000, (middle - start) * 1000, (end - middle) * 1000])
    return times[20:]  # after the layout caches are warm


def engine_figures() -> None:
    for name, patch in (("demo site", demo_patch()), ("32-universe site", big_patch())):
        universes = len(patch.universes())
        for crossfade in (False, True):
            times = time_frames(patch, crossfade)
            total = sorted(t[0] for t in times)
            render = statistics.median(t[1] for t in times)
            assemble = statistics.median(t[2] for t in times)
            label = "crossfade" if crossfade else "steady"
            print(f"engine {name:16s} ({len(patch.fixtures):3d} fixtures, {universes:2d} universes,"
                  f" {label:9s}): median {statistics.median(total):.3f} ms"
                  f" (render {render:.3f} + assemble {assemble:.3f}),"
                  f" p99 {total[int(0.99 * len(total))]:.3f} ms")


# -- daemon figures ----------------------------------------------------------------------------


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_site(root: Path, artnet_port: int) -> Path:
    config = root / "site.toml"
    config.write_text(f"""
[site]
name = "bench"
latitude = 61.4978
longitude = 23.7610
timezone = "Europe/Helsinki"
[paths]
state = "state"
inbox = "inbox"
[control]
socket = "state/control.sock"
[osc]
enabled = false
[show]
window_fade_seconds = 0
[[output]]
name = "main"
type = "artnet"
host = "127.0.0.1"
port = {artnet_port}
[[fixture]]
name = "wash"
profile = "generic-rgbw"
output = "main"
universe = 1
address = 1
[[fixture]]
name = "matrix"
profile = "generic-pixel-matrix"
pixels = [16, 6]
output = "main"
universe = 1
address = 10
[[schedule.window]]
name = "always"
start = "12:00"
end = "11:59"
level = 1.0
""")
    return config


def fill_library(root: Path, config_path: Path, count: int) -> None:
    """Small generated drawings through the library's real ingest (conversion included)."""
    from PIL import Image, ImageDraw

    from artwork.library import Library
    from controller.artwork_targets import targets_for_patch
    from controller.config import load_site_config

    config = load_site_config(config_path)
    library = Library(config.state_dir)
    targets = targets_for_patch(config.patch)
    drawings = root / "drawings"
    drawings.mkdir()
    for n in range(count):
        image = Image.new("RGB", (400, 300), "white")
        draw = ImageDraw.Draw(image)
        hue = (n * 47) % 255
        draw.ellipse((60 + n % 50, 40, 300, 260 - n % 40), outline=(hue, 80, 255 - hue), width=12)
        draw.line((40, 280 - n % 30, 360, 30 + n % 60), fill=(255 - hue, hue, 60), width=10)
        draw.text((20 + n % 200, 20), str(n), fill=(0, 0, 0))
        path = drawings / f"drawing-{n:03d}.png"
        image.save(path)
        library.add(path, f"bench {n}", targets, config.artwork)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def daemon_figures(seconds: float, artworks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = free_port(socket.SOCK_DGRAM)
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiver.bind(("127.0.0.1", port))
        receiver.settimeout(2.0)
        config = write_site(root, port)
        started = time.perf_counter()
        fill_library(root, config, artworks)
        print(f"library: {artworks} artworks added in {time.perf_counter() - started:.1f} s")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "controller", "daemon", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root,
        )
        try:
            stamps = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(stamps) < 40:  # warm up
                receiver.recv(1024)
                stamps.append(time.monotonic())
            stamps = []
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                data = receiver.recv(1024)
                if data[:8] == b"Art-Net\x00" and data[8:10] == b"\x00\x50":
                    stamps.append(time.monotonic())
            status = json.loads(subprocess.run(
                [sys.executable, "-m", "controller", "--config", str(config), "status", "--json"],
                capture_output=True, text=True, timeout=10,
            ).stdout)
            rss = rss_mb(daemon.pid)
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
    period = 1 / 40
    span = stamps[-1] - stamps[0]
    # An output sends a universe only when it changed (plus keep-alives), so a packet may skip
    # frames: jitter is each interval's distance from the nearest whole number of periods.
    intervals = [b - a for a, b in pairwise(stamps)]
    jitter = sorted(abs(i - round(i / period) * period) * 1000 for i in intervals)
    print(f"receiver: {len(stamps)} ArtDmx packets in {span:.1f} s ({(len(stamps) - 1) / span:.2f}"
          f" Hz, frames with no change are not resent); interval jitter p50 "
          f"{statistics.median(jitter):.2f} ms, p99 {jitter[int(0.99 * len(jitter))]:.2f} ms,"
          f" max {jitter[-1]:.2f} ms")
    frame = status.get("frame", {})
    print(f"daemon's own stats: {frame.get('fps')} fps, {frame.get('late')} late, "
          f"jitter p99 {frame.get('jitter_p99_ms')} ms, max {frame.get('jitter_max_ms')} ms; "
          f"state {status.get('state')} ({status.get('playlist', {}).get('approved')} approved)")
    print(f"daemon RSS with {artworks} artworks: {rss:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jitter-seconds", type=float, default=60.0)
    parser.add_argument("--artworks", type=int, default=200)
    parser.add_argument("--engine-only", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} cpus")
    engine_figures()
    if not args.engine_only:
        daemon_figures(args.jitter_seconds, args.artworks)


if __name__ == "__main__":
    main()
