"""Show engine benchmarks (run by hand, prints figures):

    .venv/bin/python tests/benchmarks/bench_engine.py [--jitter-seconds 60]
        [--artworks 10,200,1000] [--library DIR] [--engine-only]

1. engine time per frame (render_frame + FrameAssembler.assemble) for the demo-like site and
   for a 32-universe site, steady and during a crossfade; target < 2 ms;
2. frame jitter of a running `gobo daemon` measured by an external receiver (a UDP listener on
   127.0.0.1 timestamping the ArtDmx packets) with 10, 200 and 1,000 approved artworks, quiet
   and busy (a technician's durable commands ten a second, each saved before it answers, and a
   drawing converted in the inbox); target p99 < 2 ms;
3. daemon RSS with N artworks in the library (target <= 80 MB), and before and after a 40 MP
   file (a 116 KB PNG of 6320 x 6320 black pixels) goes through the inbox: the conversion runs
   in a child process, so the daemon's own RSS stays under 120 MB.

--library DIR keeps the generated library between runs (1,000 conversions take minutes).
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
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support.sites import site_toml  # noqa: E402

import hardware  # noqa: E402
from controller.control import ControlClient  # noqa: E402
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


def art_net_receiver() -> socket.socket:
    """The outside receiver the daemon sends its Art-Net to: a UDP socket on a free port."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(2.0)
    return receiver


def write_site(root: Path, artnet_port: int) -> Path:
    config = root / "site.toml"
    config.write_text(site_toml("bench") + f"""
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


def drawing(n: int, path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 300), "white")
    draw = ImageDraw.Draw(image)
    hue = (n * 47) % 255
    draw.ellipse((60 + n % 50, 40, 300, 260 - n % 40), outline=(hue, 80, 255 - hue), width=12)
    draw.line((40, 280 - n % 30, 360, 30 + n % 60), fill=(255 - hue, hue, 60), width=10)
    draw.text((20 + n % 200, 20), str(n), fill=(0, 0, 0))
    image.save(path)


def _add(args: tuple[Path, Path, int]) -> None:
    from artwork.library import Library
    from controller.artwork_targets import targets_for_patch
    from controller.config import load_site_config

    config_path, drawings, n = args
    config = load_site_config(config_path)
    path = drawings / f"drawing-{n:04d}.png"
    drawing(n, path)
    Library(config.state_dir).add(path, f"bench {n}", targets_for_patch(config.patch),
                                  config.artwork)


def fill_library(root: Path, config_path: Path, count: int) -> None:
    """Generated drawings through the library's real ingest (conversion included), two at a
    time; a library kept with --library only gets the ones it lacks."""
    from artwork.library import Library
    from controller.config import load_site_config

    library = Library(load_site_config(config_path).state_dir)
    have = len(library.list())
    drawings = root / "drawings"
    drawings.mkdir(exist_ok=True)
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_add, [(config_path, drawings, n) for n in range(have, count)]))


def approve_first(config_path: Path, count: int) -> None:
    """Exactly `count` approved artworks (the rest retired), in their first order."""
    from artwork.library import Library
    from controller.config import load_site_config

    library = Library(load_site_config(config_path).state_dir)
    for index, record in enumerate(library.list()):
        wanted = "approved" if index < count else "retired"
        if record.status != wanted:
            library.set_status(record.id, wanted)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return math.nan


def gobo(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "controller", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=30)


def busy(config: Path, inbox: Path, stop: threading.Event) -> int:
    """Durable commands (each saved before it answers) and a conversion in the inbox."""
    n = 10_000 + int(time.time()) % 100_000  # a drawing the library has not seen: converted
    drawing(n, inbox / f"busy-{n}.png")
    client = ControlClient(config.parent / "state" / "control.sock")
    commands = 0
    while not stop.is_set():
        client.request("master", level=0.5 + (commands % 10) / 20, source="bench")
        commands += 1
        time.sleep(0.1)
    return commands


def jitter(receiver: socket.socket, seconds: float) -> list[float]:
    stamps = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        data = receiver.recv(1024)
        if data[:8] == b"Art-Net\x00" and data[8:10] == b"\x00\x50":
            stamps.append(time.monotonic())
    period = 1 / 40
    # An output sends a universe only when it changed (plus keep-alives), so a packet may skip
    # frames: jitter is each interval's distance from the nearest whole number of periods.
    return sorted(abs(i - round(i / period) * period) * 1000
                  for i in (b - a for a, b in pairwise(stamps)))


def start_daemon(config: Path, root: Path) -> subprocess.Popen[bytes]:
    daemon = subprocess.Popen(
        [sys.executable, "-m", "controller", "daemon", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root,
    )
    deadline = time.monotonic() + 30
    while gobo(config, "status").returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the daemon did not answer")
        time.sleep(0.2)
    return daemon


def daemon_figures(seconds: float, sizes: list[int], library_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        receiver = art_net_receiver()
        config = write_site(root, receiver.getsockname()[1])
        if library_dir is not None:
            library_dir.mkdir(parents=True, exist_ok=True)
            (root / "state").symlink_to(library_dir.resolve())
        started = time.perf_counter()
        fill_library(root, config, max(sizes))
        print(f"library: {max(sizes)} artworks ready in {time.perf_counter() - started:.1f} s")
        for size in sizes:
            approve_first(config, size)
            daemon = start_daemon(config, root)
            try:
                jitter(receiver, 2.0)  # warm up: the library loaded, the first slot shown
                quiet = jitter(receiver, seconds)
                rss = rss_mb(daemon.pid)
                stop = threading.Event()
                with ThreadPoolExecutor(1) as pool:
                    load = pool.submit(busy, config, root / "inbox", stop)
                    loaded = jitter(receiver, seconds)
                    stop.set()
                    commands = load.result()
                status = json.loads(gobo(config, "status", "--json").stdout)
            finally:
                daemon.terminate()
                daemon.wait(timeout=10)
            for label, figures in (("quiet", quiet), (f"busy ({commands} saved commands, "
                                                      "1 conversion)", loaded)):
                print(f"{size:5d} artworks, {label}: wire jitter p50 "
                      f"{statistics.median(figures):.2f} ms, p99 "
                      f"{figures[int(0.99 * len(figures))]:.2f} ms, max {figures[-1]:.2f} ms "
                      f"({len(figures) + 1} packets)")
            frame = status.get("frame", {})
            print(f"      daemon's own loop: {frame.get('fps')} fps, {frame.get('late')} late, "
                  f"jitter p99 {frame.get('jitter_p99_ms')} ms; "
                  f"{status.get('playlist', {}).get('approved')} approved; RSS {rss:.1f} MB")
        memory_figures(config, root)


def memory_figures(config: Path, root: Path) -> None:
    """Daemon RSS before and after a 40 MP file goes through its inbox."""
    from PIL import Image

    approve_first(config, 10)
    daemon = start_daemon(config, root)
    try:
        time.sleep(3)
        before = rss_mb(daemon.pid)
        staged = root / "black.png.part"
        Image.new("RGB", (6320, 6320), (0, 0, 0)).save(staged, format="PNG")
        size_kb = staged.stat().st_size / 1024
        os.rename(staged, root / "inbox" / "black.png")
        deadline = time.monotonic() + 300
        while (root / "inbox" / "black.png").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        after, peak = rss_mb(daemon.pid), rss_mb(daemon.pid, "VmHWM")
        reasons = list((root / "inbox" / "rejected").glob("*.reason.txt"))
        outcome = reasons[0].read_text().splitlines()[0] if reasons else "accepted"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    print(f"40 MP file ({size_kb:.0f} KB PNG, 6320x6320) through the inbox: daemon RSS "
          f"{before:.1f} MB before, {after:.1f} MB after, peak {peak:.1f} MB; {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jitter-seconds", type=float, default=60.0)
    parser.add_argument("--artworks", default="10,200,1000",
                        help="library sizes, comma separated")
    parser.add_argument("--library", type=Path, help="keep the generated library here")
    parser.add_argument("--engine-only", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} cpus")
    engine_figures()
    if not args.engine_only:
        sizes = sorted(int(n) for n in args.artworks.split(","))
        daemon_figures(args.jitter_seconds, sizes, args.library)


if __name__ == "__main__":
    main()
