"""The strict OSC check against python-osc (the decoder it guards) and liblo's oscsend
(an independent encoder); the pins say why the check exists: if python-osc changes, they fail."""

from __future__ import annotations

import logging
import socket
import struct
import subprocess
import sys
from typing import Any

import pytest
from conftest import need_tool
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from controller.osc_wire import MAX_BUNDLE_DEPTH, Malformed, check_packet


def message(address: str, *args: Any) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def bundle(*contents: bytes, nested: bytes | None = None) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for dgram in contents:
        builder.add_content(OscMessage(dgram))
    data = builder.build().dgram
    if nested is not None:
        data += struct.pack(">i", len(nested)) + nested
    return data


def decoded(data: bytes) -> list[tuple[str, list[Any]]]:
    return [(t.message.address, t.message.params) for t in OscPacket(data).messages]


# Every control message a desk sends, in the shapes python-osc builds.
VALID = [
    message("/gobo/master", 0.5),
    message("/gobo/master", 1),
    message("/gobo/blackout", 1),
    message("/gobo/play", "3f2a9c01"),
    message("/gobo/next"),
    message("/gobo/next", 1.0),
    message("/gobo/resume", True),
    message("/gobo/fixture/wash/intensity", 0.25),
    message("/gobo/status"),
    message("/gobo/x", b"\x01\x02\x03", "s", 2.5, 7),
]


# --- pins: what python-osc does on its own ---------------------------------------------------


def test_pin_python_osc_pads_a_missing_float_with_zeros() -> None:
    cut = b"/gobo/master\x00\x00\x00\x00,f\x00\x00"
    assert OscMessage(cut).params == [0.0]  # the site would go dark
    assert OscMessage(cut + b"\x3f").params == [0.5]  # one byte of four: 0.5
    with pytest.raises(Malformed, match="/gobo/master: argument 'f' cut off"):
        check_packet(cut)


def test_pin_python_osc_ignores_trailing_bytes_and_bad_padding() -> None:
    junk = message("/gobo/master", 0.5) + b"junk"
    assert OscMessage(junk).params == [0.5]
    with pytest.raises(Malformed, match="4 bytes after the last argument"):
        check_packet(junk)
    padded = b"/gobo/next\x00X,\x00\x00\x00"  # "X" in the address's padding
    assert OscMessage(padded).address == "/gobo/next"
    with pytest.raises(Malformed, match="padded with something other than NUL"):
        check_packet(padded)


def test_pin_python_osc_skips_an_unknown_type_tag_with_a_root_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = b"/gobo/master\x00\x00\x00\x00,cf\x00\x00\x00\x00A?\x00\x00\x00"
    with caplog.at_level(logging.WARNING):
        params = OscMessage(data).params
    # the char's four bytes are read as the float, and the float's bytes are ignored
    assert params == [struct.unpack(">f", b"\x00\x00\x00A")[0]]
    assert "Unhandled parameter type: c" in caplog.text
    with pytest.raises(Malformed, match="unsupported type tag 'c'"):
        check_packet(data)


def test_pin_python_osc_loops_forever_on_a_negative_bundle_element_size() -> None:
    """One 20-byte datagram: OscBundle steps back onto the same size field again and again,
    logging each time. Counted in log lines (no timing): 1,000 is proof enough."""
    data = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", -4)
    code = (
        "import sys; from pythonosc.osc_packet import OscPacket\n"
        "OscPacket(sys.stdin.buffer.read())"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stderr=subprocess.PIPE
    ) as parser:
        assert parser.stdin is not None and parser.stderr is not None
        parser.stdin.write(data)
        parser.stdin.close()
        lines = [parser.stderr.readline() for _ in range(1000)]
        parser.kill()
    assert all(b"Could not identify content type" in line for line in lines)
    with pytest.raises(Malformed, match="size -4 is not a positive multiple of 4"):
        check_packet(data)


# --- the check ------------------------------------------------------------------------------


def test_everything_python_osc_builds_passes_and_decodes_the_same() -> None:
    for data in [*VALID, bundle(*VALID), bundle(VALID[0], nested=bundle(VALID[1]))]:
        check_packet(data)
        assert decoded(data)  # python-osc reads it too


def test_what_oscsend_sends_passes() -> None:
    oscsend = need_tool("oscsend")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        port = str(sock.getsockname()[1])
        sends = [
            ("/gobo/master", "f", "0.5"),
            ("/gobo/blackout", "i", "1"),
            ("/gobo/play", "s", "3f2a9c01"),
            ("/gobo/next",),
            ("/gobo/resume", "T"),
            ("/gobo/x", "dhsN", "2.5", "7", "cat"),
        ]
        for args in sends:
            subprocess.run([oscsend, "127.0.0.1", port, *args], check=True, timeout=10)
            data = sock.recv(65536)
            check_packet(data)
            assert decoded(data)[0][0] == args[0]


def test_every_cut_short_message_is_malformed() -> None:
    for data in VALID:
        for end in range(len(data)):
            with pytest.raises(Malformed):
                check_packet(data[:end])


def test_a_bundle_cut_inside_an_element_is_malformed() -> None:
    data = bundle(VALID[0], VALID[3])
    first_end = 16 + 4 + len(VALID[0])
    for end in range(len(data)):
        if end in (16, first_end):
            # OSC gives a bundle no total length: cut exactly between elements it is a valid,
            # shorter bundle of whole messages (none, or the first)
            check_packet(data[:end])
            assert decoded(data[:end]) == decoded(data)[: 0 if end == 16 else 1]
            continue
        with pytest.raises(Malformed):
            check_packet(data[:end])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "neither an OSC message"),
        (b"gobo/master\x00,f\x00\x00\x00\x00\x00\x00", "neither an OSC message"),
        (b"/gobo/next\x00\x00", "no type tag string"),
        (b"/gobo/next\x00\x00f\x00\x00\x00", "does not start with ','"),
        (b"/gobo/next", "address without its terminating NUL"),
        (b"/gobo/play\x00\x00,s\x00\x00boat", "string argument of /gobo/play without"),
        (b"/gobo/play\x00\x00,s\x00\x00boat\x00\x00", "cut off in its padding"),
        (b"/gobo/pl\xffy\x00\x00\x00,\x00\x00\x00", "address is not UTF-8"),
        (b"/gobo/master\x00\x00\x00\x00,ff\x00?\x00\x00\x00", "argument 'f' cut off"),
        (b"/gobo/master\x00\x00\x00\x00,S\x00\x00a\x00\x00\x00", "unsupported type tag 'S'"),
        (b"/gobo/x\x00,[f\x00?\x00\x00\x00", "'[' without ']'"),
        (b"/gobo/x\x00,]\x00\x00", "']' without '['"),
        (b"/gobo/x\x00,b\x00\x00" + struct.pack(">i", 8) + b"abcd", "blob of 8 bytes cut off"),
        (b"/gobo/x\x00,b\x00\x00" + struct.pack(">i", -1), "blob of -1 bytes"),
        (b"/gobo/x\x00,b\x00\x00" + struct.pack(">i", 1) + b"a\x00z\x00", "blob padded"),
        (b"#bundle\x00\x00", "cut off in its time tag"),
        (b"#bundle\x00" + b"\x00" * 8 + b"\x00\x00", "cut off in its size"),
        (b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 0), "size 0 is not a positive"),
        (b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 6) + b"/x\x00\x00,\x00", "size 6"),
        (b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 1000) + b"/x\x00\x00", "1000 bytes cut"),
        (bundle(nested=b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 4) + b"junk"),
         "neither an OSC message"),
    ],
)
def test_malformed_datagrams_name_the_fault(data: bytes, reason: str) -> None:
    with pytest.raises(Malformed, match=reason.replace("[", r"\[").replace("]", r"\]")):
        check_packet(data)


def test_bundles_nest_only_so_deep() -> None:
    data = VALID[0]
    for _ in range(MAX_BUNDLE_DEPTH):
        data = bundle(nested=data)
    check_packet(data)
    with pytest.raises(Malformed, match="nested deeper"):
        check_packet(bundle(nested=data))
