"""Frame assembly + Art-Net encode for 32 universes whose values change every frame.

Run by hand:  python tests/benchmarks/bench_hardware.py [--frames N]

Patch: 32 universes x 51 OFL "Generic DRGBW Fader" fixtures in 16-bit mode (10 channels,
510 slots per universe), or generic-rgbw (128 per universe) without ../shared. Compared:
  gobo     FrameAssembler.assemble(values) + encode_artdmx per universe (+ sendto), and
           the whole frame path: assemble + ArtNetOutput.send (tick, per-universe
           sequence, encode, sendto from the Art-Net endpoint)
  pyartnet the same DMX values through pyartnet channel objects (set_values per fixture)
           and pyartnet's own universe send (encode + sendto), public API only
Packets go to a 127.0.0.1 socket that nobody reads.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import socket
import statistics
import time
from pathlib import Path

from pyartnet import ArtNetNode

from hardware import Patch, parse_patch
from hardware.frames import FrameAssembler
from hardware.outputs import parse_output
from hardware.outputs.artnet import ArtNetOutput
from hardware.outputs.artnet_packets import encode_artdmx

UNIVERSES = 32
OFL = Path(__file__).resolve().parents[3] / "shared/data/ofl/fixtures/generic/drgbw-fader.json"
ATTRS = ("intensity", "red", "green", "blue", "white")


def build_patch() -> tuple[Patch, str, int]:
    if OFL.is_file():
        profile, mode, width, per_universe = str(OFL), "16 bit", 10, 51
    else:
        profile, mode, width, per_universe = "generic-rgbw", "", 4, 128
    fixtures = [
        {"name": f"f{u}-{i}", "profile": profile, "mode": mode, "output": "main",
         "universe": u, "address": 1 + i * width}
        for u in range(1, UNIVERSES + 1) for i in range(per_universe)
    ]
    outputs = [{"name": "main", "type": "artnet", "host": "127.0.0.1"}]
    return parse_patch(outputs, fixtures, Path.cwd()), profile, width


def frame_values(names: list[str], attrs: tuple[str, ...], n: int) -> dict[str, dict[str, float]]:
    return {name: {a: 0.5 + 0.5 * math.sin(n * 0.1 + i * 0.01 + k) for k, a in enumerate(attrs)}
            for i, name in enumerate(names)}


def report(label: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95)]
    print(f"{label:<50} median {statistics.median(ms):6.3f} ms   p95 {p95:6.3f} ms")


async def main(frames: int) -> None:
    patch, profile, width = build_patch()
    assembler = FrameAssembler(patch)
    names = [f.name for f in patch.fixtures]
    attrs = tuple(a for a in ATTRS if a in patch.fixtures[0].attributes)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dst = sink.getsockname()
    print(f"{len(names)} fixtures ({Path(profile).name}), {UNIVERSES} universes, {frames} frames")

    all_values = [frame_values(names, attrs, n) for n in range(frames)]
    assembled, encoded, sent = [], [], []
    outputs = []
    for values in all_values:
        t0 = time.perf_counter()
        universes = assembler.assemble(values)["main"]
        t1 = time.perf_counter()
        packets = [encode_artdmx(u, 1 + n % 255, data) for n, (u, data) in
                   enumerate(universes.items())]
        t2 = time.perf_counter()
        for packet in packets:
            sender.sendto(packet, dst)
        t3 = time.perf_counter()
        assembled.append(t1 - t0)
        encoded.append(t2 - t0)
        sent.append(t3 - t0)
        outputs.append(universes)
    report("gobo: assemble", assembled)
    report("gobo: assemble + Art-Net encode", encoded)
    report("gobo: assemble + encode + sendto", sent)

    # The daemon's path: one ArtNetOutput, fps high enough that every frame goes out.
    output = ArtNetOutput(parse_output({"name": "main", "type": "artnet", "host": dst[0],
                                        "port": dst[1], "fps": 44}, "output[1]"),
                          range(1, UNIVERSES + 1))
    await output.open()
    frame_path = []
    for n, values in enumerate(all_values):
        t0 = time.perf_counter()
        output.send(assembler.assemble(values)["main"])
        frame_path.append(time.perf_counter() - t0)
        await asyncio.sleep(1 / 44 if n % 8 == 0 else 0)  # the loop's tasks get their turn
    await output.close()
    report("gobo: assemble + ArtNetOutput.send (frame path)", frame_path)

    # pyartnet: the same DMX bytes through channel objects (16-bit big-endian pairs).
    node = ArtNetNode.create(dst[0], dst[1], max_fps=40, refresh_every=10)
    byte_size = 2 if width == 10 else 1

    def channel_values(data: bytes, start: int) -> list[int]:
        raw = data[start:start + width]
        return ([raw[k] << 8 | raw[k + 1] for k in range(0, width, 2)] if byte_size == 2
                else list(raw))

    channels = []  # (universe, offset of its first slot, channel)
    for u in range(1, UNIVERSES + 1):
        universe = node.add_universe(u)
        for i in range(512 // width):
            channels.append((u, i * width, universe.add_channel(
                start=1 + i * width, width=width // byte_size, byte_size=byte_size,
                byte_order="big")))
    async with node:
        times_set, times_send = [], []
        universes_of_node = [node.get_universe(u) for u in range(1, UNIVERSES + 1)]
        for universes in outputs:
            t0 = time.perf_counter()
            for u, start, channel in channels:
                channel.set_values(channel_values(universes[u], start))
            t1 = time.perf_counter()
            for universe in universes_of_node:
                universe.send_data()
            t2 = time.perf_counter()
            times_set.append(t1 - t0)
            times_send.append(t2 - t0)
        report("pyartnet: channel set_values", times_set)
        report("pyartnet: set_values + encode + sendto", times_send)
        same = all(channel.get_values() == channel_values(outputs[-1][u], start)
                   for u, start, channel in channels)
        print(f"pyartnet channel values equal to gobo's frames: {same}")
    sink.close()
    sender.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    asyncio.run(main(parser.parse_args().frames))
