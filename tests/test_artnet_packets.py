"""Art-Net 4 packets and the node table, checked against byte offsets worked out by hand
from the Art-Net 4 tables (tshark checks the same packets on the wire in test_wire_tshark)."""

from __future__ import annotations

import struct

import pytest

from hardware.outputs.artnet_packets import (
    Controller,
    decode_artpollreply,
    encode_artdmx,
    encode_artpoll,
    encode_artpollreply,
    is_artpoll,
    parse_port_address,
    poll_reply_pages,
    port_address_notation,
    qlc_universe,
)
from hardware.outputs.nodes import (
    NODE_TIMEOUT_S,
    NodeTable,
    PatchedOutput,
    unanswered,
)

ME = Controller(ip="10.0.0.5", mac=bytes.fromhex("b827eb000001"), short_name="gobo Laikunlava",
                long_name="gobo lighting controller, Laikunlava", report="gobo sending 2")


@pytest.mark.parametrize(("text", "address"), [
    ("0:0:0", 0), ("0:0:1", 1), ("0:1:0", 16), ("1:0:2", 258), (" 1 : 2 : 3 ", 291),
    ("127:15:15", 32767),
])
def test_desk_notation_round_trip(text: str, address: int) -> None:
    assert parse_port_address(text) == address
    assert port_address_notation(address) == text.replace(" ", "")
    assert qlc_universe(address) == address + 1  # QLC+ "Universe 1" is 0:0:0


@pytest.mark.parametrize("text", ["1", "0:0", "0:16:0", "0:0:16", "128:0:0", "a:b:c", "-1:0:0"])
def test_desk_notation_refuses_what_no_node_has(text: str) -> None:
    with pytest.raises(ValueError, match="net"):
        parse_port_address(text)


def test_artdmx_carries_the_port_address_low_byte_first() -> None:
    packet = encode_artdmx(291, 7, bytes([1, 2, 3]))
    assert packet[:12] == b"Art-Net\x00\x00\x50\x00\x0e"
    assert packet[12:16] == bytes([7, 0, 0x23, 0x01])  # sequence, physical, SubUni, Net
    assert packet[16:18] == b"\x00\x04" and packet[18:] == bytes([1, 2, 3, 0])  # even length


def test_artpoll_is_the_22_byte_art_net_4_poll() -> None:
    poll = encode_artpoll()
    assert len(poll) == 22 and is_artpoll(poll)
    assert poll[8:12] == b"\x00\x20\x00\x0e" and poll[12:14] == b"\x00\x00"
    assert not is_artpoll(poll[:11]) and not is_artpoll(encode_artdmx(1, 1, bytes(2)))


def test_pages_hold_four_ports_of_one_net_and_subnet() -> None:
    assert poll_reply_pages([]) == [[]]
    assert poll_reply_pages([5, 1, 2, 3, 4, 16, 300]) == [[1, 2, 3, 4], [5], [16], [300]]


def test_poll_reply_layout() -> None:
    packet = encode_artpollreply(ME, [0x123, 0x125], bind_index=2, reply_count=12)
    assert len(packet) == 239
    assert packet[8:10] == b"\x00\x21" and packet[10:14] == bytes([10, 0, 0, 5])
    assert packet[14:16] == b"\x36\x19"  # port 6454 low byte first
    assert packet[18:20] == bytes([1, 2])  # NetSwitch, SubSwitch of 0x123
    assert packet[24:26] == b"\xf0\x7f"  # ESTA 0x7FF0 low byte first
    assert packet[26:44].rstrip(b"\x00") == b"gobo Laikunlava"
    assert packet[108:172].rstrip(b"\x00") == b"#0001 [0012] gobo sending 2"
    assert struct.unpack(">H", packet[172:174])[0] == 2
    assert packet[174:178] == bytes([0x40, 0x40, 0, 0])  # two ports: DMX512 input to Art-Net
    assert packet[186:190] == bytes([3, 5, 0, 0])  # SwIn: the universe nibbles
    assert packet[200] == 1 and packet[201:207] == ME.mac  # StController, MAC
    assert packet[207:211] == bytes([10, 0, 0, 5]) and packet[211] == 2  # BindIp, BindIndex
    with pytest.raises(ValueError):
        encode_artpollreply(ME, [1, 17], bind_index=1, reply_count=0)


def node_reply(ip: str, outputs: list[int], name: str = "node", bind_index: int = 1) -> bytes:
    """An ArtPollReply as a node sends it: ports that output from Art-Net (PortTypes 0x80)."""
    packet = bytearray(239)
    packet[:10] = b"Art-Net\x00\x00\x21"
    packet[10:14] = bytes(int(p) for p in ip.split("."))
    packet[18], packet[19] = outputs[0] >> 8, outputs[0] >> 4 & 15
    packet[26:26 + len(name)] = name.encode()
    packet[173] = len(outputs)
    for i, address in enumerate(outputs):
        packet[174 + i] = 0x80
        packet[190 + i] = address & 15
    packet[211] = bind_index
    return bytes(packet)


def test_node_table_merges_pages_and_forgets_silent_nodes() -> None:
    table = NodeTable()
    table.record(decode_artpollreply(node_reply("10.0.0.21", [1, 2], "A")), now=100.0)
    table.record(decode_artpollreply(node_reply("10.0.0.21", [17], "A", 2)), now=101.0)
    table.record(decode_artpollreply(node_reply("10.0.0.22", [3], "B")), now=100.0)
    nodes = table.live(now=102.0)
    assert [(n.ip, n.short_name, n.takes) for n in nodes] == [
        ("10.0.0.21", "A", (1, 2, 17)), ("10.0.0.22", "B", (3,))]
    assert [n.ip for n in table.live(now=100.5 + NODE_TIMEOUT_S)] == ["10.0.0.21"]
    assert decode_artpollreply(node_reply("10.0.0.21", [1])[:200]) is None  # too short


def test_unanswered_names_missing_and_misdirected_universes() -> None:
    table = NodeTable()
    table.record(decode_artpollreply(node_reply("10.0.0.21", [1], "A")), now=0.0)
    table.record(decode_artpollreply(node_reply("10.0.0.22", [2], "B")), now=0.0)
    warnings = unanswered(table.live(1.0), [PatchedOutput("main", "10.0.0.21", (1, 2, 5))])
    assert warnings == [
        "output main universe 0:0:2 (QLC+ Universe 3): taken by B at 10.0.0.22, but the "
        "output sends to 10.0.0.21",
        "output main universe 0:0:5 (QLC+ Universe 6): no Art-Net node answering ArtPoll "
        "takes it",
    ]
