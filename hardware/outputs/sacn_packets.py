"""E1.31 (sACN) packets as pure functions: data packets and universe discovery
(ANSI E1.31-2016 sections 6 and 8), and the IPv4 multicast group of a universe."""

from __future__ import annotations

import struct
from collections.abc import Iterable

SACN_PORT = 5568
ACN_ID = b"ASC-E1.17\x00\x00\x00"
ROOT_DATA = 0x00000004
ROOT_EXTENDED = 0x00000008
FRAMING_DATA = 0x00000002
FRAMING_DISCOVERY = 0x00000002  # VECTOR_E131_EXTENDED_DISCOVERY
DISCOVERY_LIST = 0x00000001  # VECTOR_UNIVERSE_DISCOVERY_UNIVERSE_LIST
DISCOVERY_UNIVERSE = 64214
DISCOVERY_INTERVAL_S = 10.0  # E131_UNIVERSE_DISCOVERY_INTERVAL
DISCOVERY_PAGE = 512  # universes per discovery page
STREAM_TERMINATED = 0x40
_PREAMBLE = struct.pack(">HH", 0x0010, 0x0000) + ACN_ID


def _flags_length(length: int) -> bytes:
    return struct.pack(">H", 0x7000 | length)


def _name(source_name: str) -> bytes:
    return source_name.encode("utf-8")[:63].ljust(64, b"\x00")


def encode_sacn(cid: bytes, source_name: str, priority: int, sequence: int, options: int,
                universe: int, data: bytes) -> bytes:
    """E1.31 data packet (root vector 4, framing vector 2, start code 0)."""
    count = len(data) + 1
    return b"".join((
        _PREAMBLE, _flags_length(count + 109), struct.pack(">I", ROOT_DATA), cid,
        _flags_length(count + 87), struct.pack(">I", FRAMING_DATA), _name(source_name),
        struct.pack(">BHBBH", priority, 0, sequence, options, universe),
        _flags_length(count + 10), struct.pack(">BBHHH", 0x02, 0xA1, 0, 1, count),
        b"\x00", data,
    ))


def discovery_pages(universes: Iterable[int]) -> list[list[int]]:
    """Sorted universes in pages of 512; one empty page when there are none."""
    ordered = sorted(set(universes))
    return [ordered[i:i + DISCOVERY_PAGE] for i in range(0, len(ordered), DISCOVERY_PAGE)] or [[]]


def encode_discovery(cid: bytes, source_name: str, page: int, last_page: int,
                     universes: list[int]) -> bytes:
    """E1.31 universe discovery packet (section 8): one page of the sorted universe list."""
    listed = struct.pack(f">{len(universes)}H", *universes)
    layer = 8 + len(listed)  # universe discovery layer: flags+length, vector, page, last page
    framing = 74 + layer  # flags+length, vector, source name, reserved (4)
    return b"".join((
        _PREAMBLE, _flags_length(framing + 22), struct.pack(">I", ROOT_EXTENDED), cid,
        _flags_length(framing), struct.pack(">I", FRAMING_DISCOVERY), _name(source_name),
        bytes(4),
        _flags_length(layer), struct.pack(">IBB", DISCOVERY_LIST, page, last_page), listed,
    ))


def sacn_multicast_group(universe: int) -> str:
    """E1.31 9.3.1: 239.255.(U >> 8).(U & 0xFF); discovery (64214) is 239.255.250.214."""
    return f"239.255.{universe >> 8}.{universe & 0xFF}"
