"""OSC server: real UDP on 127.0.0.1, real clients (oscsend from liblo-tools, python-osc)."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import need_tool
from control_show import TinyShow
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from controller.config import OscSettings
from controller.osc import OscServer


def message(address: str, *args: Any) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def run(
    test: Callable[[OscServer, TinyShow], Awaitable[None]],
    allow: tuple[str, ...] = ("127.0.0.1",),
) -> list:
    """Run `test` against a live server; returns exceptions that escaped into the loop."""
    escaped: list = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: escaped.append(ctx))
        show = TinyShow()
        async with OscServer(OscSettings("127.0.0.1", 0, allow), show, log_interval=3600) as server:
            await test(server, show)

    asyncio.run(main())
    return escaped


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait for an effect of a UDP packet (delivery is asynchronous, not a speed check)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.005)


def sender(bind: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, 0))
    sock.setblocking(False)
    return sock


async def oscsend(server: OscServer, *args: str) -> None:
    assert server.address is not None
    proc = await asyncio.create_subprocess_exec(
        need_tool("oscsend"), "127.0.0.1", str(server.address[1]), *args
    )
    assert await proc.wait() == 0


def test_oscsend_drives_the_show() -> None:
    async def test(server: OscServer, show: TinyShow) -> None:
        await oscsend(server, "/gobo/master", "f", "0.5")
        await until(lambda: show.master == 0.5, "master 0.5")
        assert show.sources[-1] == "OSC 127.0.0.1"
        await oscsend(server, "/gobo/blackout", "i", "1")
        await until(lambda: show.blackout_source == "OSC 127.0.0.1", "blackout on")
        await oscsend(server, "/gobo/blackout", "f", "0")
        await until(lambda: show.blackout_source is None, "blackout off")
        await oscsend(server, "/gobo/fixture/gobo-1/red", "f", "0.25")
        await until(lambda: show.overrides == {"gobo-1": {"red": 0.25}}, "override")
        assert show.sources[-1] == "OSC 127.0.0.1"
        await oscsend(server, "/gobo/play", "s", "boat")
        await until(lambda: show.pinned == "boat", "play boat")
        await oscsend(server, "/gobo/next")
        await until(lambda: show.position == 1 and show.pinned is None, "next")
        await oscsend(server, "/gobo/resume")
        await until(lambda: show.overrides == {}, "resume")
        assert server.stats()["handled"] == 7

    assert run(test) == []


def test_status_replies_to_the_sender() -> None:
    async def test(server: OscServer, show: TinyShow) -> None:
        show.master = 0.75
        loop = asyncio.get_running_loop()
        with sender() as sock:
            await loop.sock_sendto(sock, message("/gobo/status"), server.address)
            reply = OscMessage(await asyncio.wait_for(loop.sock_recv(sock, 1024), 5))
        assert reply.address == "/gobo/status"
        assert reply.params == ["showing", "cat", 0.75]

    assert run(test) == []


def test_foreign_source_is_refused_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    async def test(server: OscServer, show: TinyShow) -> None:
        with sender("127.0.0.2") as foreign, sender() as local:
            for _ in range(3):
                foreign.sendto(message("/gobo/master", 0.1), server.address)
            local.sendto(message("/gobo/next"), server.address)  # proves the queue drained
            await until(lambda: server.stats()["received"] == 4, "4 datagrams")
        assert show.master == 1.0
        assert server.stats()["refused_source"] == 3
        assert show.sources == ["OSC 127.0.0.1"]

    assert run(test) == []
    # rate-limited: one line for three refusals
    assert caplog.text.count("OSC from 127.0.0.2 refused") == 1


def test_networks_in_allow() -> None:
    server = OscServer(OscSettings("127.0.0.1", 0, ("10.0.0.0/24", "127.0.0.1")), TinyShow())
    assert server.allowed("10.0.0.77") and server.allowed("::ffff:127.0.0.1")
    assert not server.allowed("10.0.1.1") and not server.allowed("not-an-ip")


def test_wrong_argument_types_are_ignored() -> None:
    async def test(server: OscServer, show: TinyShow) -> None:
        bad = [
            message("/gobo/master", "loud"),
            message("/gobo/master", 1.5),
            message("/gobo/master"),
            message("/gobo/blackout", 7),
            message("/gobo/play", 3),
            message("/gobo/play", "dragon"),
            message("/gobo/fixture/ghost/intensity", 0.5),
            message("/gobo/fixture/wash/pan", 0.5),
            message("/gobo/launch", 1),
        ]
        with sender() as sock:
            for dgram in bad:
                sock.sendto(dgram, server.address)
            await until(lambda: server.stats()["received"] == len(bad), "all received")
        assert server.stats()["ignored"] == len(bad)
        assert server.stats()["handled"] == 0
        assert show.master == 1.0 and show.overrides == {} and show.pinned is None
        assert show.blackout_source is None

    assert run(test) == []


def test_malformed_and_fuzzed_datagrams_change_nothing() -> None:
    rng = random.Random(20_000)
    crafted = [
        b"",
        b"\x00",
        b"/gobo\xff\xfe/master\x00\x00,f\x00\x00?\x00\x00\x00",  # invalid UTF-8 address
        b"/gobo/master\x00\x00\x00\x00,f",  # truncated type tags
        b"/gobo/master\x00\x00\x00\x00,f\x00\x00",  # float argument missing
        b"/gobo/master\x00\x00\x00\x00,\xff\x00\x00",  # non-UTF-8 type tag
        b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 1000) + b"/x",  # lying size
        b"#bundle\x00\x00",
    ]
    valid = message("/gobo/master", 0.2)
    fuzz = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))) for _ in range(20_000)]
    # random bytes rarely look like OSC; also mutate a valid message so the parser gets deep
    fuzz += [
        bytes(b if rng.random() > 0.15 else rng.getrandbits(8) for b in valid)[: rng.randint(1, 24)]
        for _ in range(2_000)
    ]

    async def test(server: OscServer, show: TinyShow) -> None:
        with sender() as sock:
            for index, dgram in enumerate(crafted + fuzz):
                server.datagram(dgram, ("127.0.0.1", 9))  # the protocol's own entry point
                if index % 2000 == 0:
                    await asyncio.sleep(0)
            for dgram in crafted:  # and the same junk through a real socket
                sock.sendto(dgram, server.address)
            await until(
                lambda: server.stats()["received"] == len(crafted) * 2 + len(fuzz), "all received"
            )
            stats = server.stats()
            assert stats["malformed"] > len(fuzz) // 2
            assert stats["malformed"] + stats["ignored"] + stats["handled"] == stats["received"]
            # nothing random hit the show (a mutated /gobo/master may parse: only if 0..1 float)
            assert show.blackout_source is None and show.overrides == {} and show.pinned is None
            # and the server still answers
            loop = asyncio.get_running_loop()
            await loop.sock_sendto(sock, message("/gobo/status"), server.address)
            reply = OscMessage(await asyncio.wait_for(loop.sock_recv(sock, 1024), 5))
            assert reply.address == "/gobo/status"

    assert run(test) == []


def test_future_bundle_is_handled_now_without_stalling_the_loop() -> None:
    async def test(server: OscServer, show: TinyShow) -> None:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        bundle = OscBundleBuilder(time.time() + 3600)
        builder = OscMessageBuilder("/gobo/master")
        builder.add_arg(0.75)
        bundle.add_content(builder.build())
        with sender() as sock:
            sock.sendto(bundle.build().dgram, server.address)
            await until(lambda: show.master == 0.75, "bundle handled")
        at_handling = ticks
        await until(lambda: ticks >= at_handling + 5, "loop keeps ticking")
        task.cancel()
        assert server.stats()["handled"] == 1

    assert run(test) == []
