"""sACN output: packets decoded from a 127.0.0.1 listener; multicast groups computed only."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest
from support.dmx import decode_sacn, udp_listener

from hardware.outputs import parse_output
from hardware.outputs.sacn import SacnOutput
from hardware.outputs.sacn_packets import STREAM_TERMINATED, encode_sacn, sacn_multicast_group


def test_encode_sacn_layout() -> None:
    cid = bytes(range(16))
    packet = decode_sacn(encode_sacn(cid, "gobo Laikunlava", 150, 9, 0x40, 300, bytes([1, 2])))
    assert packet["preamble"] == 0x10 and packet["id"] == b"ASC-E1.17\x00\x00\x00"
    assert (packet["root_vector"], packet["framing_vector"]) == (4, 2)
    assert packet["cid"] == cid and packet["source_name"] == "gobo Laikunlava"
    assert (packet["priority"], packet["sequence"], packet["options"]) == (150, 9, 0x40)
    assert packet["universe"] == 300 and packet["count"] == 3 and packet["start_code"] == 0
    assert packet["data"] == bytes([1, 2]) and packet["root_length"] == packet["size"] - 16


@pytest.mark.parametrize(
    ("universe", "group"),
    [(1, "239.255.0.1"), (254, "239.255.0.254"), (255, "239.255.0.255"), (256, "239.255.1.0"),
     (32767, "239.255.127.255")],
)
def test_multicast_group(universe: int, group: str) -> None:
    assert sacn_multicast_group(universe) == group


def test_unicast_priority_source_sequence_and_termination() -> None:
    listener = udp_listener()
    config = parse_output({"name": "s", "type": "sacn", "host": "127.0.0.1",
                           "port": listener.getsockname()[1], "priority": 180,
                           "source_name": "gobo Laikunlava", "refresh_seconds": 0.3}, "output[2]")
    frame = bytes([10, 20, 30]) + bytes(509)

    async def run() -> tuple[list[bytes], list[bytes], str]:
        output = SacnOutput(config, [7])
        await output.open()
        output.send({7: frame})
        running = [await asyncio.to_thread(listener.recv, 2048) for _ in range(6)]
        state = output.health().state
        await output.close()
        tail = []
        listener.settimeout(0.5)
        while True:
            try:
                tail.append(listener.recv(2048))
            except TimeoutError:
                return running, tail, state

    running, tail, state = asyncio.run(run())
    listener.close()
    assert state == "ok"
    # the universe discovery packet (root vector 8) goes to the unicast host too
    discovery = [p for p in running if p[18:22] == bytes((0, 0, 0, 8))]
    assert len(discovery) == 1
    packets = [decode_sacn(p) for p in running if p not in discovery]
    for packet in packets:
        assert packet["priority"] == 180 and packet["source_name"] == "gobo Laikunlava"
        assert packet["universe"] == 7 and packet["options"] == 0
        assert packet["count"] == 513 and packet["start_code"] == 0
    assert packets[-1]["data"][:3] == bytes([10, 20, 30])  # changed frame / keep-alive
    assert len({p["cid"] for p in packets}) == 1
    closing = [decode_sacn(p) for p in tail if p[18:22] == bytes((0, 0, 0, 4))]
    terminated = [p for p in closing if p["options"] & STREAM_TERMINATED]
    assert len(terminated) == 3 and closing[-3:] == terminated
    sequences = [p["sequence"] for p in packets + closing]
    assert all((b - a) % 256 == 1 for a, b in pairwise(sequences))


def test_missing_interface_is_disconnected_and_never_raises() -> None:
    # 198.51.100.7 (TEST-NET-2) is on no interface here: the bind fails locally, nothing is sent.
    config = parse_output({"name": "gone", "type": "sacn", "host": "198.51.100.7",
                           "multicast": True}, "output[3]")

    async def run() -> tuple[str, str, str]:
        output = SacnOutput(config, [1])
        await output.open()
        output.send({1: bytes([255] * 512)})
        await asyncio.sleep(0.3)  # lets the retry loop run a few times
        health = output.health()
        await output.close()
        return health.state, health.detail, output.health().state

    state, detail, after = asyncio.run(run())
    assert state == "disconnected" and "198.51.100.7" in detail and "retrying" in detail
    assert after == "disconnected"
