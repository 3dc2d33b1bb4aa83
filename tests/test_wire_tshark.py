"""The daemon's traffic as Wireshark's dissectors read it: `tshark` captures loopback inside
the private network namespace while `gobo daemon` runs twice (a restart), and every field
checked here comes from tshark's output, not from gobo's encoders:

- no malformed packet, no expert info on any Art-Net or E1.31 packet;
- a sequence counter per Art-Net universe (1..255, never 0, no jumps);
- the same sACN CID for an output across the restart, the one `gobo status` shows;
- E1.31 universe discovery at start and every 10 s, multicast and unicast;
- after the last change, the final data three more times, then the keep-alive rate;
- ArtPollReply to a poller: the site's names, the bound address, the Port-Addresses sent;
- olad keeps receiving the Art-Net and sACN frames beside gobo's endpoint on 6454.

Debian 12's Wireshark 4.0 does not dissect E1.31 extended packets (discovery came to its
ACN dissector later): there tshark gives the discovery datagram as data, and its bytes are
checked against the E1.31-2016 table by hand; a newer tshark's discovery fields are used
where present.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import need, need_tool
from support.dmx import ensure_olad, olad_dmx
from support.polling import wait_for
from support.sites import site_toml
from test_sacn_olad import olad_has_e131

GOBO = [sys.executable, "-m", "controller"]
BIND = "127.0.0.9"
POLLER = "127.0.0.5"
ARTNET_UNIVERSES = (2, 3)  # olad's Art-Net ports take Port-Addresses 1..4
SACN_UNIVERSE = 12  # olad's E1.31 ports take universes 11..14
MULTICAST_UNIVERSE = 300  # group 239.255.1.44: beyond pyartnet's 254
SITE = site_toml("Laikunlava") + f"""
[osc]
enabled = false
[[output]]
name = "art"
type = "artnet"
host = "127.0.0.1"
bind = "{BIND}"
[[output]]
name = "uni"
type = "sacn"
host = "127.0.0.1"
source_name = "gobo unicast"
[[output]]
name = "multi"
type = "sacn"
host = "127.0.0.1"
multicast = true
source_name = "gobo multicast"
[[fixture]]
name = "art-2"
profile = "generic-dimmer"
output = "art"
universe = "0:0:2"
address = 1
[[fixture]]
name = "art-3"
profile = "generic-dimmer"
output = "art"
universe = 3
address = 1
[[fixture]]
name = "uni"
profile = "generic-dimmer"
output = "uni"
universe = {SACN_UNIVERSE}
address = 1
[[fixture]]
name = "multi"
profile = "generic-dimmer"
output = "multi"
universe = {MULTICAST_UNIVERSE}
address = 1
"""


def gobo(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOBO, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=20)


class Capture:
    """tshark writing loopback to a pcap file, then read back field by field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = path.with_suffix(".log")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(["tshark", "-i", "lo", "-w", str(path), "-q"],
                                            stdout=subprocess.DEVNULL, stderr=log)
        wait_for("tshark capturing", lambda: "Capturing on" in self.log.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def fields(self, display_filter: str, *fields: str) -> list[list[str]]:
        # sACN: the ACN heuristic on, and its E1.31 ("streaming DMX") layers dissected
        args = ["tshark", "-r", str(self.path), "--enable-heuristic", "acn", "-o",
                "acn.dmx_enable:TRUE", "-Y",
                display_filter, "-T", "fields", "-E", "separator=\t", "-E", "aggregator=/"]
        for field in fields:
            args += ["-e", field]
        result = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return [line.split("\t") for line in result.stdout.splitlines() if line]


@dataclass
class Run:
    capture: Capture
    status: dict
    olad: dict[int, list[int]]


def run_daemon(tmp_path: Path, config: Path, name: str, seconds: float,
               actions: bool) -> Run:
    capture = Capture(tmp_path / f"{name}.pcap")
    log = (tmp_path / f"{name}.log").open("ab")
    daemon = subprocess.Popen([*GOBO, "daemon", "--config", str(config)], stdout=log,
                              stderr=subprocess.STDOUT, cwd=tmp_path)
    olad: dict[int, list[int]] = {}
    try:
        wait_for("daemon answers", lambda: gobo(config, "status").returncode == 0)
        started = time.monotonic()
        if actions:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as poller:
                poller.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                poller.bind((POLLER, 6454))
                poller.sendto(b"Art-Net\x00\x00\x20\x00\x0e\x00\x00", (BIND, 6454))
                poller.settimeout(5)
                poller.recv(1024)  # the reply is in the capture, read back from there
            time.sleep(1.5)  # the dark frame, its repeats and a keep-alive first
            for fixture in ("art-2", "uni", "multi"):
                result = gobo(config, "set", fixture, "intensity=50%")
                assert result.returncode == 0, result.stderr
            olad[ARTNET_UNIVERSES[0]] = wait_for("olad shows the Art-Net frame", lambda: (
                olad_dmx(ARTNET_UNIVERSES[0])[:1] if olad_dmx(ARTNET_UNIVERSES[0])[0] else []))
            olad[SACN_UNIVERSE] = wait_for("olad shows the sACN frame", lambda: (
                olad_dmx(SACN_UNIVERSE)[:1] if olad_dmx(SACN_UNIVERSE)[0] else []))
        status = json.loads(gobo(config, "status", "--json").stdout)
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
        log.close()
        time.sleep(0.3)  # the last stream-terminated packets into the capture
        capture.stop()
    assert daemon.returncode == 0
    return Run(capture, status, olad)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Run]]:
    need(os.geteuid() == 0, "capturing on loopback needs root (CI runs as root)")
    need_tool("tshark")
    need(shutil.which("tshark") is not None, "tshark missing (apt-get install tshark)")
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    need(olad_has_e131(), "olad's E1.31 input is off: run inside `unshare --net` with "
         "GOBO_OLAD_E131=1 (as .ci/run does)")
    tmp_path = tmp_path_factory.mktemp("wire")
    config = tmp_path / "site.toml"
    config.write_text(SITE)
    first = run_daemon(tmp_path, config, "first", 11.5, actions=True)
    second = run_daemon(tmp_path, config, "second", 2.0, actions=False)
    yield first, second


def test_no_malformed_packet_and_no_expert_info(runs: tuple[Run, Run]) -> None:
    for run in runs:
        ours = "(artnet || acn || udp.port == 5568) && !icmp"
        assert run.capture.fields(ours, "frame.number")  # the filter does see our traffic
        bad = run.capture.fields(f"({ours}) && (_ws.malformed || _ws.expert)",
                                 "frame.number", "_ws.expert.message")
        assert bad == []


def test_artnet_sequence_per_universe(runs: tuple[Run, Run]) -> None:
    rows = runs[0].capture.fields(f"artnet.output && ip.src == {BIND} && udp.srcport == 6454",
                                  "artnet.output.universe", "artnet.output.sequence")
    by_universe: dict[int, list[int]] = defaultdict(list)
    for universe, sequence in rows:
        by_universe[int(universe)].append(int(sequence))
    assert sorted(by_universe) == list(ARTNET_UNIVERSES)
    for sequences in by_universe.values():
        assert sequences[0] == 1 and 0 not in sequences
        assert all(b - a == 1 or (a, b) == (255, 1) for a, b in pairwise(sequences))


def sacn_rows(run: Run, universe: int) -> list[list[str]]:
    return run.capture.fields(f"acn.dmx.universe == {universe} && !icmp",
                              "frame.time_relative", "acn.cid", "acn.dmx.source_name",
                              "acn.dmx.seq_number", "acn.dmx.options", "acn.dmx.data")


def test_sacn_cid_kept_across_the_restart(runs: tuple[Run, Run], tmp_path_factory) -> None:
    first, second = runs
    for output, universe in (("uni", SACN_UNIVERSE), ("multi", MULTICAST_UNIVERSE)):
        before = {row[1] for row in sacn_rows(first, universe)}
        after = {row[1] for row in sacn_rows(second, universe)}
        assert len(before) == 1 and before == after
        assert before == {first.status["outputs"][output]["cid"]}
        assert first.status["outputs"][output]["cid"] == second.status["outputs"][output]["cid"]
    assert first.status["outputs"]["uni"]["cid"] != first.status["outputs"]["multi"]["cid"]


def test_final_data_three_more_times_then_keepalive(runs: tuple[Run, Run]) -> None:
    for universe in (SACN_UNIVERSE, MULTICAST_UNIVERSE):
        rows = [r for r in sacn_rows(runs[0], universe) if not int(r[4], 0) & 0x40]
        times = [float(r[0]) for r in rows]
        data = [r[5] for r in rows]
        changes = [i for i in range(1, len(data)) if data[i] != data[i - 1]]
        assert changes, "gobo set changed the frame"
        last = changes[0]  # the override's value, held until the shutdown fade
        held = [i for i in range(last, len(data)) if data[i] == data[last]]
        assert len(held) >= 6
        gaps = [times[b] - times[a] for a, b in pairwise(held)]
        # three repeats at the frame rate (25 ms), then keep-alives (0.8 s)
        assert all(gap < 0.4 for gap in gaps[:3]), gaps
        assert all(gap > 0.5 for gap in gaps[3:]), gaps
        sequences = [int(r[3]) for r in rows]
        assert all((b - a) % 256 == 1 for a, b in pairwise(sequences))


def discovery_universes(capture: Capture, destination: str) -> list[tuple[float, str, list[int]]]:
    """(time, CID, universes) of each E1.31 universe discovery packet to `destination`."""
    known = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True,
                           timeout=60).stdout
    where = f"ip.dst == {destination} && udp.dstport == 5568 && !icmp"
    if "\tacn.dmx.discovery.list\t" in known:  # a Wireshark that dissects discovery
        rows = capture.fields(f"{where} && acn.dmx.discovery.list", "frame.time_relative",
                              "acn.cid", "acn.dmx.discovery.list")
        return [(float(t), cid, [int(u) for u in lst.split(",")]) for t, cid, lst in rows]
    found = []
    for time_s, payload in capture.fields(f"{where} && data.data", "frame.time_relative",
                                          "data.data"):
        raw = bytes.fromhex(payload.replace(":", ""))
        # E1.31-2016 tables 4-1, 6-6, 8-1: root vector 8 at 18, CID at 22, framing vector 2
        # at 40, source name at 44, 4 reserved; universe discovery vector 1 at 114, page 118,
        # last page 119, the universes from 120
        assert raw[4:16] == b"ASC-E1.17\x00\x00\x00"
        assert raw[18:22] == bytes((0, 0, 0, 8)) and raw[40:44] == bytes((0, 0, 0, 2))
        assert raw[114:118] == bytes((0, 0, 0, 1)) and raw[118:120] == bytes((0, 0))
        assert struct.unpack(">H", raw[16:18])[0] & 0xFFF == len(raw) - 16
        universes = list(struct.unpack(f">{(len(raw) - 120) // 2}H", raw[120:]))
        found.append((float(time_s), str(uuid.UUID(bytes=raw[22:38])), universes))
    return found


def test_universe_discovery_every_10_s(runs: tuple[Run, Run]) -> None:
    first = runs[0]
    multicast = discovery_universes(first.capture, "239.255.250.214")
    unicast = discovery_universes(first.capture, "127.0.0.1")
    for packets, output, universe in ((multicast, "multi", MULTICAST_UNIVERSE),
                                      (unicast, "uni", SACN_UNIVERSE)):
        assert len(packets) >= 2, packets
        assert {(cid, tuple(u)) for _, cid, u in packets} == {
            (first.status["outputs"][output]["cid"], (universe,))}
        times = [t for t, _, _ in packets]
        assert all(b - a >= 9.9 for a, b in pairwise(times))


def test_artpollreply_and_artpoll(runs: tuple[Run, Run]) -> None:
    capture = runs[0].capture
    replies = capture.fields(
        f"artnet.poll_reply && ip.src == {BIND} && ip.dst == {POLLER} && udp.srcport == 6454",
        "artnet.poll_reply.ip_address", "artnet.poll_reply.port_nr",
        "artnet.poll_reply.short_name", "artnet.poll_reply.long_name",
        "artnet.poll_reply.style", "artnet.poll_reply.num_ports",
        "artnet.poll_reply.port_types_1", "artnet.poll_reply.swin_1_universe",
        "artnet.poll_reply.port_types_2", "artnet.poll_reply.swin_2_universe")
    assert len(replies) == 1  # 0:0:2 and 0:0:3 share a Net and Sub-Net: one page
    ip, port, short, long, style, ports, type_1, universe_1, type_2, universe_2 = replies[0]
    assert (ip, port, short) == (BIND, "6454", "gobo Laikunlava")
    assert long == "gobo lighting controller, Laikunlava"
    assert int(style, 0) == 1 and ports == "2"  # StController, two ports
    assert int(type_1, 0) == int(type_2, 0) == 0x40  # DMX512 input onto Art-Net
    assert (int(universe_1), int(universe_2)) == ARTNET_UNIVERSES
    polls = capture.fields(f"artnet.poll && ip.src == {BIND} && udp.srcport == 6454",
                           "frame.time_relative", "ip.dst")
    assert {dst for _, dst in polls} == {"127.255.255.255", "127.0.0.1"}  # broadcast, node
    starts = sorted({round(float(t), 1) for t, dst in polls if dst == "127.0.0.1"})
    assert len(starts) >= 4  # at start and every 2.75 s of the 11.5 s run
    assert all(b - a >= 2.5 for a, b in pairwise(starts))


def test_olad_still_receives_art_net_and_sacn(runs: tuple[Run, Run]) -> None:
    # olad holds 0.0.0.0:6454; gobo's endpoint is bound to 127.0.0.9:6454 beside it
    assert runs[0].olad == {ARTNET_UNIVERSES[0]: [128], SACN_UNIVERSE: [128]}
    assert runs[0].status["outputs"]["art"]["artpoll"] == "on"
