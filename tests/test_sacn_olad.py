"""sACN received by a real olad (OLA's E1.31 input) on 127.0.0.1:5568, read back over HTTP.

olad only listens for E1.31 when tests/support/olad.sh ran with GOBO_OLAD_E131=1 inside a
private network namespace (.ci/run does this), so locally this test is skipped.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

from conftest import need
from support.dmx import OLAD_HTTP, decode_sacn, ensure_olad, olad_dmx, wait_olad_dmx

from hardware import parse_patch
from hardware.frames import FrameAssembler
from hardware.outputs import create_output
from hardware.outputs.sacn_packets import STREAM_TERMINATED, encode_sacn

# olad.sh patches E1.31 input ports 0..3 to OLA universes 11..14, which receive E1.31
# universes of the same numbers.
UNIVERSES = (11, 12)
OLAD_E131 = ("127.0.0.1", 5568)


def olad_has_e131() -> bool:
    try:
        url = f"{OLAD_HTTP}/json/universe_info?id={UNIVERSES[0]}"
        with urllib.request.urlopen(url, timeout=2) as reply:
            ports = json.load(reply).get("input_ports", [])
    except (OSError, ValueError):
        return False
    return any(port.get("device", "").startswith("E1.31") for port in ports)


class Relay:
    """Forwards every datagram sent to it on 127.0.0.1 to olad's E1.31 port, keeping a copy,
    so the test knows the CID and sequence numbers olad saw."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.packets: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(2048)
            except TimeoutError:
                continue
            self.packets.append(packet)
            self.sock.sendto(packet, OLAD_E131)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_olad_receives_assembled_frames_and_drops_terminated_source(ofl_dir: Path) -> None:
    need(ensure_olad() and olad_has_e131(),
         "olad has no E1.31 input: it needs a sealed network namespace "
         "(GOBO_OLAD_E131=1 bash tests/support/olad.sh start inside unshare --net; see .ci/run)")
    relay = Relay()
    patch = parse_patch(
        [{"name": "sacn", "type": "sacn", "host": "127.0.0.1", "port": relay.port,
          "priority": 150, "source_name": "gobo sACN test", "refresh_seconds": 0.2}],
        [
            {"name": "par", "profile": "fixtures/generic/drgbw-fader.json", "mode": "16bit",
             "universe": 11, "address": 1},
            {"name": "wash", "profile": "generic-rgb", "universe": 11, "address": 11},
            {"name": "dim", "profile": "generic-dimmer", "universe": 12, "address": 5},
        ],
        ofl_dir,
    )
    frames = FrameAssembler(patch).assemble({
        "par": {"intensity": 1.0, "red": 0.5, "green": 0.25, "blue": 0.0, "white": 0.8},
        "wash": {"red": 1.0, "green": 0.5, "blue": 7 / 255},
        "dim": {"intensity": 0.6},
    })["sacn"]

    async def run() -> dict[int, list[int]]:
        output = create_output(patch.output("sacn"), patch.fixtures)
        await output.open()
        output.send(frames)
        try:
            return {u: await asyncio.to_thread(wait_olad_dmx, u, list(frames[u]))
                    for u in UNIVERSES}
        finally:
            await output.close()

    try:
        seen = asyncio.run(run())
        # 16-bit: 1.0 -> 0xFFFF, 0.5 -> 0x8000, 0.25 -> 0x4000, 0.8 -> 0xCCCC (coarse, fine)
        assert seen[11][:10] == [255, 255, 128, 0, 64, 0, 0, 0, 204, 204]
        assert seen[11][10:13] == [255, 128, 7]  # generic-rgb at address 11
        assert seen[12][4] == 153  # generic-dimmer at address 5: 0.6 * 255
        assert seen == {u: list(frames[u]) for u in UNIVERSES}  # and nothing else set

        # close() sent 3 stream-terminated packets per universe through the relay
        sent = wait_for_terminations(relay, UNIVERSES[0])
        assert [p["options"] & STREAM_TERMINATED for p in sent[-3:]] == [STREAM_TERMINATED] * 3
        last_data = next(p for p in reversed(sent) if not p["options"] & STREAM_TERMINATED)

        # OLA ignores a packet from a source it tracks unless its sequence number is newer than
        # the last one it saw, and forgets a source only on termination (or when another
        # source's packet finds it 2.5 s stale). A probe with the same CID and the sequence
        # number of the last data packet is therefore taken only if the terminations made olad
        # drop the source; then olad shows the probe's values.
        probe = bytes([42, 43, 44]) + bytes(509)
        packet = encode_sacn(last_data["cid"], "gobo sACN test", 150, last_data["sequence"], 0,
                             UNIVERSES[0], probe)
        assert probed(packet, UNIVERSES[0], list(probe[:3])) == [42, 43, 44]
    finally:
        relay.close()


def wait_for_terminations(relay: Relay, universe: int, attempts: int = 40) -> list[dict]:
    """The packets the relay forwarded for `universe`, once 3 stream-terminated ones are in."""
    sent: list[dict] = []
    for _ in range(attempts):
        data = [p for p in list(relay.packets) if p[18:22] == b"\x00\x00\x00\x04"]
        sent = [p for p in map(decode_sacn, data) if p["universe"] == universe]
        if sum(1 for p in sent if p["options"] & STREAM_TERMINATED) >= 3:
            break
        time.sleep(0.05)
    return sent


def probed(packet: bytes, universe: int, expected: list[int], attempts: int = 40) -> list[int]:
    """Send the probe packet until olad shows `expected` (or give up); what olad shows."""
    seen: list[int] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(attempts):
            sock.sendto(packet, OLAD_E131)
            time.sleep(0.05)
            seen = olad_dmx(universe)[: len(expected)]
            if seen == expected:
                break
    return seen
