"""Art-Net 4 packets as pure functions: ArtDmx, ArtPoll, ArtPollReply (encode and decode),
and the two ways people write a Port-Address.

Port-Address (15 bit) = Net << 8 | Sub-Net << 4 | Universe, written "net:subnet:universe" on
nodes and in DMX-Workshop ("0:0:1" is 1). QLC+ and many desks count from one instead: their
"Universe 1" is Port-Address 0.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ARTNET_PORT = 6454
PROTOCOL = 14
OP_POLL = 0x2000
OP_POLL_REPLY = 0x2100
OP_DMX = 0x5000
ID = b"Art-Net\x00"
POLL_REPLY_SIZE = 239  # Art-Net 4 ArtPollReply, filler included
MIN_POLL_REPLY = 207  # up to and including MAC: enough to know a node and its ports
MAX_PORT_ADDRESS = 32767

# ArtPollReply fields we fill (Art-Net 4 tables): ESTA 0x7FF0 is the range ESTA keeps for
# prototypes and in-house tools, OEM 0x00FF is "unknown"; Style 1 = StController.
ESTA_PROTOTYPE = 0x7FF0
OEM_UNKNOWN = 0x00FF
STYLE_CONTROLLER = 0x01
PORT_INPUT_DMX = 0x40  # PortTypes: can input onto the Art-Net network, DMX512 protocol
PORT_OUTPUT = 0x80  # PortTypes: can output data from the Art-Net network
GOOD_INPUT_DATA = 0x80  # GoodInput: data received (a controller: the port is live)
STATUS1_NORMAL = 0xD0  # indicators normal, Port-Addresses set from the network/config
STATUS2_15BIT = 0x08  # supports 15-bit Port-Addresses (Art-Net 3 and 4)
STYLES = {0: "node", 1: "controller", 2: "media", 3: "route", 4: "backup", 5: "config",
          6: "visual"}

_NOTATION = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*:\s*(\d+)\s*$")
_HEADER = ID + struct.pack("<H", OP_DMX) + struct.pack(">H", PROTOCOL)


def parse_port_address(text: str) -> int:
    """"net:subnet:universe" (e.g. "0:0:1", "1:2:3") -> the 15-bit Port-Address."""
    match = _NOTATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not net:subnet:universe (e.g. \"0:0:1\")")
    net, subnet, universe = (int(g) for g in match.groups())
    if net > 127 or subnet > 15 or universe > 15:
        raise ValueError(f"{text!r}: net is 0..127, subnet and universe 0..15")
    return net << 8 | subnet << 4 | universe


def port_address_notation(port_address: int) -> str:
    """1 -> "0:0:1", 258 -> "1:0:2"."""
    return f"{port_address >> 8}:{port_address >> 4 & 15}:{port_address & 15}"


def qlc_universe(port_address: int) -> int:
    """The number QLC+ and many desks show for a Port-Address ("Universe 1" is 0:0:0)."""
    return port_address + 1


def encode_artdmx(port_address: int, sequence: int, data: bytes) -> bytes:
    """ArtDmx: port address 0..32767, sequence 1..255 (0 = off), even length 2..512."""
    if len(data) % 2:
        data += b"\x00"
    return b"".join((
        _HEADER,
        bytes((sequence, 0, port_address & 0xFF, port_address >> 8 & 0x7F)),
        struct.pack(">H", len(data)),
        data,
    ))


def encode_artpoll() -> bytes:
    """ArtPoll (Art-Net 4, 22 bytes): no flags, so nodes answer this poll only; the full
    Port-Address range as target (targeted mode off, so nodes ignore it)."""
    return b"".join((
        ID, struct.pack("<H", OP_POLL), struct.pack(">H", PROTOCOL),
        bytes((0, 0)),  # Flags, DiagPriority
        struct.pack(">HH", MAX_PORT_ADDRESS, 0),  # TargetPortAddressTop, Bottom
        struct.pack(">HH", ESTA_PROTOTYPE, OEM_UNKNOWN),
    ))


def is_artpoll(packet: bytes) -> bool:
    """An ArtPoll as the spec asks receivers to accept: ID, OpCode, and at least 12 bytes."""
    return len(packet) >= 12 and packet[:8] == ID and packet[8:10] == struct.pack("<H", OP_POLL)


@dataclass(frozen=True)
class Controller:
    """What this controller says about itself in ArtPollReply."""

    ip: str
    mac: bytes  # 6 bytes
    short_name: str
    long_name: str
    report: str  # the NodeReport text after "#0001 [count] "


def _text(value: str, size: int) -> bytes:
    """A null-terminated ASCII field (the spec's character set); what does not fit is cut."""
    raw = value.encode("ascii", "replace")[: size - 1]
    return raw.ljust(size, b"\x00")


def poll_reply_pages(port_addresses: Iterable[int]) -> list[list[int]]:
    """The Port-Addresses split into ArtPollReply pages: one Net and Sub-Net per page (the
    packet has one NetSwitch/SubSwitch), at most four ports each; at least one page."""
    pages: list[list[int]] = []
    for address in sorted(set(port_addresses)):
        page = pages[-1] if pages else None
        if page is None or len(page) == 4 or page[0] >> 4 != address >> 4:
            pages.append([address])
        else:
            page.append(address)
    return pages or [[]]


def encode_artpollreply(me: Controller, page: Sequence[int], bind_index: int,
                        reply_count: int) -> bytes:
    """One ArtPollReply page (239 bytes): `page` holds up to four Port-Addresses of one
    Net/Sub-Net that this controller sends (input ports, in Art-Net's words)."""
    if len(page) > 4 or len({a >> 4 for a in page}) > 1:
        raise ValueError("a page holds at most four Port-Addresses of one Net and Sub-Net")
    ip = ipaddress.IPv4Address(me.ip).packed
    base = page[0] if page else 0
    count = len(page)

    def ports(value: int, per_port: Iterable[int] | None = None) -> bytes:
        values = list(per_port) if per_port is not None else [value] * count
        return bytes(values + [0] * (4 - count))

    report = f"#0001 [{reply_count % 10000:04d}] {me.report}"
    packet = b"".join((
        ID, struct.pack("<H", OP_POLL_REPLY), ip, struct.pack("<H", ARTNET_PORT),
        struct.pack(">H", 0),  # VersInfo
        bytes((base >> 8 & 0x7F, base >> 4 & 0x0F)),  # NetSwitch, SubSwitch
        struct.pack(">H", OEM_UNKNOWN),
        bytes((0, STATUS1_NORMAL)),  # UBEA version, Status1
        struct.pack("<H", ESTA_PROTOTYPE),  # EstaMan, low byte first
        _text(me.short_name, 18), _text(me.long_name, 64), _text(report, 64),
        struct.pack(">H", count),
        # PortTypes, GoodInput, GoodOutputA
        ports(PORT_INPUT_DMX), ports(GOOD_INPUT_DATA), ports(0),
        ports(0, (a & 0x0F for a in page)), ports(0),  # SwIn, SwOut
        bytes((0, 0, 0)),  # AcnPriority, SwMacro, SwRemote
        bytes(3),  # spare
        bytes((STYLE_CONTROLLER,)), me.mac[:6].ljust(6, b"\x00"),
        ip, bytes((bind_index, STATUS2_15BIT)),  # BindIp (the root device), BindIndex, Status2
        bytes(4), bytes((0,)), bytes(6),  # GoodOutputB, Status3, DefaultRespUID
        bytes(4), bytes(1),  # User, RefreshRate, BackgroundQueuePolicy
    ))
    return packet.ljust(POLL_REPLY_SIZE, b"\x00")


@dataclass(frozen=True)
class PollReply:
    """The parts of an ArtPollReply that `gobo nodes` shows."""

    ip: str
    short_name: str
    long_name: str
    report: str
    style: str
    bind_index: int
    outputs: tuple[int, ...]  # Port-Addresses the node takes from the network
    inputs: tuple[int, ...]  # Port-Addresses the node sends onto the network


def _cstring(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("ascii", "replace")


def decode_artpollreply(packet: bytes) -> PollReply | None:
    """An ArtPollReply, or None for anything else (or too short to trust)."""
    if len(packet) < MIN_POLL_REPLY or packet[:8] != ID:
        return None
    if struct.unpack_from("<H", packet, 8)[0] != OP_POLL_REPLY:
        return None
    net, subnet = packet[18] & 0x7F, packet[19] & 0x0F
    count = min(4, struct.unpack_from(">H", packet, 172)[0])
    types, swin, swout = packet[174:178], packet[186:190], packet[190:194]
    base = net << 8 | subnet << 4
    return PollReply(
        ip=str(ipaddress.IPv4Address(packet[10:14])),
        short_name=_cstring(packet[26:44]),
        long_name=_cstring(packet[44:108]),
        report=_cstring(packet[108:172]),
        style=STYLES.get(packet[200], f"style {packet[200]}"),
        bind_index=packet[211] if len(packet) > 211 else 0,
        outputs=tuple(base | swout[i] & 0x0F for i in range(count) if types[i] & PORT_OUTPUT),
        inputs=tuple(base | swin[i] & 0x0F for i in range(count) if types[i] & PORT_INPUT_DMX),
    )
