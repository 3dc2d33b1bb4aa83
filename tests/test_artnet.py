"""Art-Net output: received by olad on 127.0.0.1 and decoded from our own listener."""

from __future__ import annotations

import asyncio
import json
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import need
from support.dmx import decode_artdmx, ensure_olad, udp_listener, wait_olad_dmx

from hardware.outputs import create_output, parse_output
from hardware.outputs.artnet import ArtNetOutput
from hardware.outputs.artnet_packets import encode_artdmx


def ofl_frame(fixture: Path, mode: str, address: int, values: dict[str, float]) -> bytes:
    """A 512-slot frame for one OFL fixture, coarse/fine channels filled from 0..1 floats."""
    data = json.loads(fixture.read_text())
    channels = next(m for m in data["modes"] if m["name"] == mode)["channels"]
    frame = bytearray(512)
    for name, value in values.items():
        level = round(value * 65535)
        frame[address - 1 + channels.index(name)] = level >> 8
        frame[address - 1 + channels.index(f"{name} fine")] = level & 0xFF
    return bytes(frame)


def test_encode_artdmx_layout() -> None:
    packet = decode_artdmx(encode_artdmx(0x1234, 7, bytes([1, 2, 3])))
    assert packet["id"] == b"Art-Net\x00"
    assert (packet["opcode"], packet["version"], packet["sequence"]) == (0x5000, 14, 7)
    assert packet["port_address"] == 0x1234
    assert packet["length"] == 4 and packet["data"] == bytes([1, 2, 3, 0])  # padded to even


def test_olad_receives_16bit_ofl_fixture_and_builtin(ofl_dir: Path) -> None:
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    fixture = ofl_dir / "fixtures" / "generic" / "drgbw-fader.json"
    rgbw16 = ofl_frame(fixture, "16 bit", 1,
                       {"Dimmer": 1.0, "Red": 0.5, "Green": 0.25, "Blue": 0.0, "White": 0.8})
    builtin_rgb = bytearray(512)
    builtin_rgb[10:13] = bytes([255, 128, 7])  # a generic-rgb at address 11
    frame1 = bytearray(rgbw16)
    frame1[10:13] = builtin_rgb[10:13]
    frame2 = bytes([9] * 4) + bytes(508)

    async def run() -> tuple[list[int], list[int]]:
        output = create_output(
            parse_output({"name": "olad", "type": "artnet", "host": "127.0.0.1"}, "output[1]"), []
        )
        await output.open()
        output.send({1: bytes(frame1), 2: frame2})
        try:
            first = await asyncio.to_thread(wait_olad_dmx, 1, list(frame1[:13]))
            second = await asyncio.to_thread(wait_olad_dmx, 2, list(frame2[:4]))
        finally:
            await output.close()
        return first, second

    first, second = asyncio.run(run())
    # 16-bit: red 0.5 -> 0x7FFF+ (coarse 128, fine 0), green 0.25 -> 0x4000, white 0.8 -> 0xCCCC
    assert first[:10] == [255, 255, 128, 0, 64, 0, 0, 0, 204, 204]
    assert first[10:13] == [255, 128, 7]
    assert second == [9, 9, 9, 9]


def test_artdmx_headers_sequence_and_keepalive() -> None:
    listener = udp_listener()
    port = listener.getsockname()[1]
    config = parse_output({"name": "probe", "type": "artnet", "host": "127.0.0.1", "port": port,
                           "refresh_seconds": 0.3}, "output[1]")

    async def run() -> list[bytes]:
        output = ArtNetOutput(config, [258])
        await output.open()
        output.send({258: bytes([1, 2, 3]) + bytes(509)})
        packets = [await asyncio.to_thread(listener.recv, 2048) for _ in range(4)]
        assert output.health().state == "ok"
        await output.close()
        return packets

    packets = [decode_artdmx(p) for p in asyncio.run(run())]
    listener.close()
    for packet in packets:
        assert packet["id"] == b"Art-Net\x00" and packet["opcode"] == 0x5000
        assert packet["version"] == 14
        assert packet["port_address"] == 258  # net 1, sub-net 0, universe 2
        assert packet["length"] == 512 and packet["length"] % 2 == 0
        assert packet["size"] == 18 + 512
    # the changed frame, then keep-alives of the same unchanged data (socket timeout 2 s)
    assert all(p["data"][:3] == bytes([1, 2, 3]) for p in packets[1:])
    sequences = [p["sequence"] for p in packets]
    assert 0 not in sequences
    assert all((b - a) % 255 == 1 for a, b in pairwise(sequences))


def test_send_before_open_and_bad_universe_never_raise() -> None:
    listener = udp_listener()
    config = parse_output({"name": "x", "type": "artnet", "host": "127.0.0.1",
                           "port": listener.getsockname()[1]}, "output[1]")

    async def run() -> str:
        output = ArtNetOutput(config, [1])
        output.send({1: bytes(512)})  # before open: kept, sent once opened
        await output.open()
        output.send({40000: bytes(512)})  # beyond the 15-bit port address
        state = output.health().state
        await output.close()
        return state

    assert asyncio.run(run()) == "error"
    listener.close()


@pytest.mark.parametrize("universe", [0, 15, 16, 32767])
def test_port_address_is_config_universe(universe: int) -> None:
    packet = decode_artdmx(encode_artdmx(universe, 1, bytes(2)))
    assert packet["port_address"] == universe
