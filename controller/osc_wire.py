"""Strict OSC 1.0 datagram check, run before python-osc decodes anything.

python-osc (the decoder we keep) is lenient where a lighting controller must not
be, and none of it can be switched off through its public API:
  - a float whose bytes are missing is padded with zeros (`/gobo/master ,f` cut
    after the type tag decodes as master 0.0: the site goes dark);
  - bytes after the last argument are ignored;
  - an unknown type tag is skipped with a root-logger warning per datagram, which
    shifts every later argument;
  - a bundle element of negative size makes `OscBundle` re-read the same element
    forever, logging a warning each time (one 20-byte datagram freezes the loop);
  - string padding may hold anything.
tests/test_osc_wire.py pins each of these. `check_packet` walks the datagram the
way the spec lays it out and raises `Malformed` naming the first fault, so only a
datagram that decodes exactly and completely ever reaches python-osc.
"""

from __future__ import annotations

import struct

BUNDLE_TAG = b"#bundle\x00"
MAX_BUNDLE_DEPTH = 8  # python-osc recurses per level; a datagram could nest ~3,000

# The argument types python-osc decodes, with their sizes in bytes (strings and blobs vary).
FIXED_SIZES = {
    "i": 4, "f": 4, "r": 4, "m": 4, "h": 8, "d": 8, "t": 8,
    "T": 0, "F": 0, "N": 0, "[": 0, "]": 0,
}


class Malformed(ValueError):
    """The datagram is not strictly valid OSC; str() says where."""


def check_packet(data: bytes, depth: int = 0) -> None:
    """Raise Malformed unless `data` is exactly one valid OSC message or bundle."""
    if data.startswith(BUNDLE_TAG):
        _check_bundle(data, depth)
    elif data.startswith(b"/"):
        _check_message(data)
    else:
        raise Malformed("neither an OSC message (starts with /) nor a #bundle")


def _check_bundle(data: bytes, depth: int) -> None:
    if depth >= MAX_BUNDLE_DEPTH:
        raise Malformed(f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
    index = len(BUNDLE_TAG) + 8
    if len(data) < index:
        raise Malformed("bundle cut off in its time tag")
    while index < len(data):
        if len(data) - index < 4:
            raise Malformed("bundle element cut off in its size")
        (size,) = struct.unpack_from(">i", data, index)
        index += 4
        if size <= 0 or size % 4:
            raise Malformed(f"bundle element size {size} is not a positive multiple of 4")
        if size > len(data) - index:
            raise Malformed(f"bundle element of {size} bytes cut off")
        check_packet(data[index : index + size], depth + 1)
        index += size


def _check_message(data: bytes) -> None:
    address, index = _string(data, 0, "address")
    if index == len(data):
        # OSC 1.0 lets old senders omit the type tag string, but every current one sends
        # at least ","; a datagram ending here is far more likely cut short.
        raise Malformed(f"{address}: no type tag string (cut off?)")
    tags, index = _string(data, index, "type tag string")
    if not tags.startswith(","):
        raise Malformed(f"{address}: type tag string does not start with ','")
    open_arrays = 0
    for tag in tags[1:]:
        if tag == "s":
            _, index = _string(data, index, f"string argument of {address}")
        elif tag == "b":
            index = _blob(data, index, address)
        elif tag in FIXED_SIZES:
            size = FIXED_SIZES[tag]
            if len(data) - index < size:
                raise Malformed(f"{address}: argument '{tag}' cut off")
            index += size
            open_arrays += {"[": 1, "]": -1}.get(tag, 0)
            if open_arrays < 0:
                raise Malformed(f"{address}: ']' without '[' in the type tags")
        else:
            raise Malformed(f"{address}: unsupported type tag {tag!r}")
    if open_arrays:
        raise Malformed(f"{address}: '[' without ']' in the type tags")
    if index != len(data):
        raise Malformed(f"{address}: {len(data) - index} bytes after the last argument")


def _string(data: bytes, start: int, what: str) -> tuple[str, int]:
    """An OSC string: bytes, a NUL, NUL padding to a multiple of 4; UTF-8 as python-osc reads."""
    end = data.find(b"\x00", start)
    if end < 0:
        raise Malformed(f"{what} without its terminating NUL")
    padded = start + (end - start) // 4 * 4 + 4
    if padded > len(data):
        raise Malformed(f"{what} cut off in its padding")
    if any(data[end:padded]):
        raise Malformed(f"{what} padded with something other than NUL")
    try:
        return data[start:end].decode("utf-8"), padded
    except UnicodeDecodeError:
        raise Malformed(f"{what} is not UTF-8") from None


def _blob(data: bytes, start: int, address: str) -> int:
    if len(data) - start < 4:
        raise Malformed(f"{address}: blob cut off in its size")
    (size,) = struct.unpack_from(">i", data, start)
    padded = start + 4 + size + (-size % 4)
    if size < 0 or padded > len(data):
        raise Malformed(f"{address}: blob of {size} bytes cut off")
    if any(data[start + 4 + size : padded]):
        raise Malformed(f"{address}: blob padded with something other than NUL")
    return padded
