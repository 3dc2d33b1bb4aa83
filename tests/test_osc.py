"""OSC server: real UDP on 127.0.0.1, real clients (oscsend from liblo-tools, python-osc)."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import threading
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
    log_interval: float = 3600,
) -> list:
    """Run `test` against a live server; returns exceptions that escaped into the loop."""
    escaped: list = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: escaped.append(ctx))
        show = TinyShow()
        settings = OscSettings("127.0.0.1", 0, allow)
        async with OscServer(settings, show, log_interval=log_interval) as server:
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
    # rate-limited: the first at once, the other two summed up (here when the server closes)
    assert caplog.text.count("OSC from 127.0.0.2 refused") == 2
    assert "2 more in the last 3600 s like: OSC from 127.0.0.2 refused" in caplog.text


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
            message("/gobo/blackout", "on"),
            message("/gobo/blackout", float("nan")),
            message("/gobo/play", 3),
            message("/gobo/play", "dragon"),
            message("/gobo/next", "now"),
            message("/gobo/fixture/ghost/intensity", 0.5),
            message("/gobo/fixture/wash/pan", 0.5),
        ]
        unknown = [message("/gobo/launch", 1), message("/gobo/*", 0.0), message("/gobo/fixture/x")]
        with sender() as sock:
            for dgram in bad + unknown:
                sock.sendto(dgram, server.address)
            await until(lambda: server.stats()["received"] == len(bad + unknown), "all received")
        assert server.stats()["ignored"] == len(bad)
        assert server.stats()["unknown"] == len(unknown)
        assert server.stats()["handled"] == 0
        assert show.master == 1.0 and show.overrides == {} and show.pinned is None
        assert show.blackout_source is None and show.position == 0

    assert run(test) == []


def test_buttons_act_on_press_not_on_release() -> None:
    """A TouchOSC push button sends 1.0 on press and 0.0 on release: one tap, one skip."""

    async def test(server: OscServer, show: TinyShow) -> None:
        await oscsend(server, "/gobo/next", "f", "1")
        await oscsend(server, "/gobo/next", "f", "0")
        await oscsend(server, "/gobo/next", "i", "0")
        await oscsend(server, "/gobo/next", "F")
        await until(lambda: server.stats()["handled"] == 4, "tap and releases")
        assert show.position == 1
        await oscsend(server, "/gobo/next", "T")
        await oscsend(server, "/gobo/next")  # no argument: a press
        await until(lambda: show.position == 3, "two more presses")
        show.blackout(True, "gobo blackout")
        await oscsend(server, "/gobo/resume", "f", "0")
        await until(lambda: server.stats()["handled"] == 7, "a release of resume")
        assert show.blackout_source == "gobo blackout"  # a release clears nothing
        await oscsend(server, "/gobo/resume", "f", "1")
        await until(lambda: show.blackout_source is None, "resume on press")
        assert show.sources.count("OSC 127.0.0.1") == 4  # 3 x next, 1 x resume

    assert run(test) == []


def test_status_replies_to_reply_port_where_set() -> None:
    """oscdump listens on [osc] reply_port: the reply comes to the sender's address there,
    not to the port the request came from."""
    oscdump = need_tool("oscdump")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        reply_port = probe.getsockname()[1]
    dump = subprocess.Popen(
        [oscdump, "-L", str(reply_port)], stdout=subprocess.PIPE, text=True
    )
    assert dump.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(dump.stdout.readline, "")))
    reader.start()

    async def main() -> None:
        show = TinyShow()
        show.master = 0.75
        settings = OscSettings("127.0.0.1", 0, ("127.0.0.1",), reply_port=reply_port)
        async with OscServer(settings, show) as server:
            loop = asyncio.get_running_loop()
            with sender() as sock:
                # oscdump may not be listening yet: ask until it has heard an answer
                deadline = time.monotonic() + 10
                while not lines and time.monotonic() < deadline:
                    await loop.sock_sendto(sock, message("/gobo/status"), server.address)
                    await asyncio.sleep(0.1)
                # loopback delivers at sendto: a reply to the request's port would be here now
                with pytest.raises(BlockingIOError):
                    sock.recv(1024)

    try:
        asyncio.run(main())
    finally:
        dump.terminate()
        dump.wait(10)
        reader.join(10)
    assert lines, "oscdump heard no /gobo/status reply"
    assert lines[0].split(" ", 1)[1].strip() == '/gobo/status ssf "showing" "cat" 0.750000'


def test_unknown_and_malformed_floods_log_a_bounded_number_of_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1,000 datagrams of each kind: no traceback, one line at once and one summary per kind."""

    async def test(server: OscServer, show: TinyShow) -> None:
        with sender() as sock:
            for index in range(1000):
                sock.sendto(message(f"/gobo/unknown/{index}", 1.0), server.address)
                sock.sendto(message("/gobo/master", 0.5)[:-1], server.address)
                if index % 100 == 99:  # let the loop read: the socket buffer is finite
                    count = 2 * (index + 1)
                    await until(lambda c=count: server.stats()["received"] == c, "read")
        stats = server.stats()
        assert (stats["unknown"], stats["malformed"], show.master) == (1000, 1000, 1.0)
        # the summaries come when the interval ends, without further traffic
        await until(lambda: caplog.text.count(" more in the last ") == 2, "two summaries")

    with caplog.at_level(logging.INFO, logger="controller.osc"):
        assert run(test, log_interval=0.5) == []
    records = [r for r in caplog.records if r.name == "controller.osc" and r.levelno >= 30]
    assert all(r.exc_info is None for r in records)
    assert len(records) <= 6  # first + summary per kind, and at most one more of each
    assert "OSC /gobo/unknown/0 from 127.0.0.1: unknown address" in caplog.text
    assert (
        "malformed OSC datagram from 127.0.0.1 dropped: /gobo/master: argument 'f' cut off"
        in caplog.text
    )
    assert "more in the last 0 s like: OSC /gobo/unknown/" in caplog.text


def test_fixture_names_are_osc_patterns() -> None:
    async def test(server: OscServer, show: TinyShow) -> None:
        with sender() as sock:
            for address, value in [
                ("/gobo/fixture/*/intensity", 0.5),  # both
                ("/gobo/fixture/gobo-?/white", 0.25),  # only gobo-1 (and only it has white)
                ("/gobo/fixture/{wash,nothing}/red", 0.75),
                ("/gobo/fixture/[a-w]ash/blue", 1.0),
                ("/gobo/fixture/*/white", 0.125),  # wash has no white: gobo-1 only
                ("/gobo/fixture/nobody*/red", 0.5),  # matches nothing: ignored
            ]:
                sock.sendto(message(address, value), server.address)
            await until(lambda: server.stats()["received"] == 6, "all received")
        assert show.overrides == {
            "gobo-1": {"intensity": 0.5, "white": 0.125},
            "wash": {"intensity": 0.5, "red": 0.75, "blue": 1.0},
        }
        assert (server.stats()["handled"], server.stats()["ignored"]) == (5, 1)

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
