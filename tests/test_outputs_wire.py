"""Art-Net/sACN packets leave on the frame tick: a changed frame is on the wire when send()
returns; the tick keeps the fps limit and the keep-alive. Clocks in the tick tests are given,
not measured, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from itertools import pairwise

import pytest
from pyartnet.base.network import UnicastNetworkTarget
from support.dmx import decode_artdmx, decode_sacn, udp_listener

from hardware.outputs import parse_output
from hardware.outputs.artnet import ArtNetOutput
from hardware.outputs.netnode import GoboArtNetNode
from hardware.outputs.sacn import SacnOutput

OUTPUTS: dict[str, tuple[type[ArtNetOutput | SacnOutput], Callable[[bytes], bytes]]] = {
    "artnet": (ArtNetOutput, lambda p: decode_artdmx(p)["data"]),
    "sacn": (SacnOutput, lambda p: decode_sacn(p)["data"]),
}


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
def test_changed_frame_is_on_the_wire_when_send_returns(kind: str) -> None:
    listener = udp_listener()
    config = parse_output({"name": "wire", "type": kind, "host": "127.0.0.1",
                           "port": listener.getsockname()[1], "refresh_seconds": 1.0},
                          "output[1]")
    cls, data_of = OUTPUTS[kind]
    frame = bytes([7, 70, 170]) + bytes(509)

    async def run() -> tuple[bytes, bool]:
        output = cls(config, [3])
        await output.open()
        loop_ran = False

        def mark() -> None:
            nonlocal loop_ran
            loop_ran = True

        asyncio.get_running_loop().call_soon(mark)
        output.send({3: frame})
        # Blocking reads while the event loop stands still: no pyartnet task can send
        # meanwhile, so the frame can only have come from send() itself.
        data = b""
        while data != frame:
            data = data_of(listener.recv(2048))  # TimeoutError (2 s) fails the test
        ran = loop_ran
        await output.close()
        return data, ran

    data, loop_ran = asyncio.run(run())
    listener.close()
    assert data == frame
    assert not loop_ran  # not a single event-loop iteration between send() and the packet


def make_node(listener: socket.socket, sent: list[float], clock: list[float], fps: int,
              refresh: float) -> GoboArtNetNode:
    """A node whose report callback logs the given tick time of every packet it sent."""
    return GoboArtNetNode(
        UnicastNetworkTarget.create("127.0.0.1", listener.getsockname()[1]),
        lambda exc: sent.append(clock[0]) if exc is None else None,
        name="tick", max_fps=fps, refresh_every=refresh,
    )


def run_ticks(fps: int, refresh: float, times: list[float], change: bool
              ) -> tuple[list[bool], list[float], list[bytes]]:
    """Tick a node at the given times (changing the frame every tick if `change`); return
    which ticks were allowed, the tick time of each packet, and the packets received."""
    listener = udp_listener()
    sent: list[float] = []
    clock = [0.0]

    async def run() -> list[bool]:
        node = make_node(listener, sent, clock, fps, refresh)
        universe = node.add_universe(1)
        await node.__aenter__()
        allowed = []
        for n, now in enumerate(times):  # no await: the refresh worker never runs
            if change or n == 0:
                universe.set_frame(n.to_bytes(2, "big") + bytes(510))
            clock[0] = now
            allowed.append(node.tick(now))
        await node.__aexit__(None, None, None)
        return allowed

    allowed = asyncio.run(run())
    packets = [listener.recv(2048) for _ in sent]
    listener.close()
    return allowed, sent, packets


def test_tick_holds_to_fps_and_sends_the_latest_frame() -> None:
    # a 40 Hz frame loop feeding a 20 fps output: every other frame goes out
    times = [1000.0 + n / 40 for n in range(40)]
    allowed, sent, packets = run_ticks(20, 0.8, times, change=True)
    assert allowed == [True, False] * 20
    assert sent == times[::2]
    assert [decode_artdmx(p)["data"][:2] for p in packets] == [
        n.to_bytes(2, "big") for n in range(0, 40, 2)
    ]


def test_tick_average_rate_never_exceeds_fps() -> None:
    # ticks at 100 Hz for 2 s into a 40 fps output
    times = [1000.0 + n / 100 for n in range(200)]
    _, sent, _ = run_ticks(40, 0.8, times, change=True)
    assert len(sent) <= 40 * 2 + 1
    assert len(sent) >= 40 * 2 - 1
    # the bucket lets a send come at most a quarter period early
    assert min(b - a for a, b in pairwise(sent)) >= 0.75 / 40 - 1e-9


def test_tick_tolerates_frame_loop_jitter() -> None:
    # frames alternately 5 ms late and on time (intervals 30/20 ms at 40 fps): none dropped
    times = [1000.0 + n / 40 + (0.005 if n % 2 else 0.0) for n in range(80)]
    allowed, sent, _ = run_ticks(40, 0.8, times, change=True)
    assert all(allowed) and sent == times


def test_tick_keepalive_for_unchanged_frames() -> None:
    # one change, then 2.5 s of unchanged frames at 40 Hz: keep-alives every 0.8 s on ticks
    times = [1000.0 + n / 40 for n in range(100)]
    _, sent, packets = run_ticks(40, 0.8, times, change=False)
    assert sent == [times[0], times[32], times[64], times[96]]
    assert {decode_artdmx(p)["data"][:2] for p in packets} == {bytes(2)}
