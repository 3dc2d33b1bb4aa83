"""Art-Net/sACN packets leave on the frame tick: a changed frame is on the wire when send()
returns; the tick keeps the fps limit, the sACN final repeats and the keep-alive. Clocks in
the tick tests are given, not measured, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

import pytest
from support.dmx import decode_artdmx, decode_sacn, udp_listener

from hardware.outputs import parse_output
from hardware.outputs.artnet import ArtNetOutput
from hardware.outputs.sacn import SacnOutput
from hardware.outputs.stream import RateLimiter, UniverseStream, tick

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
        # Blocking reads while the event loop stands still: no task can send meanwhile,
        # so the frame can only have come from send() itself.
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


def run_ticks(fps: float, refresh: float, times: list[float], change: bool, repeats: int = 0
              ) -> tuple[list[bool], list[float]]:
    """Tick one universe at the given times (a new frame every tick if `change`, else only
    the first); return which ticks the rate limit allowed and when the universe was sent."""
    limiter = RateLimiter(fps)
    streams = {1: UniverseStream(refresh, repeats)}
    allowed, sent = [], []
    for n, now in enumerate(times):
        if change or n == 0:
            streams[1].update(n.to_bytes(2, "big") + bytes(510))
        due = tick(limiter, streams, now)
        allowed.append(due is not None)
        sent += [now] if due else []
    return allowed, sent


def test_tick_holds_to_fps_and_sends_the_latest_frame() -> None:
    # a 40 Hz frame loop feeding a 20 fps output: every other frame goes out
    times = [1000.0 + n / 40 for n in range(40)]
    allowed, sent = run_ticks(20, 0.8, times, change=True)
    assert allowed == [True, False] * 20
    assert sent == times[::2]


def test_tick_average_rate_never_exceeds_fps() -> None:
    # ticks at 100 Hz for 2 s into a 40 fps output
    times = [1000.0 + n / 100 for n in range(200)]
    _, sent = run_ticks(40, 0.8, times, change=True)
    assert 40 * 2 - 1 <= len(sent) <= 40 * 2 + 1
    # the bucket lets a send come at most a quarter period early
    assert min(b - a for a, b in pairwise(sent)) >= 0.75 / 40 - 1e-9


def test_tick_tolerates_frame_loop_jitter() -> None:
    # frames alternately 5 ms late and on time (intervals 30/20 ms at 40 fps): none dropped
    times = [1000.0 + n / 40 + (0.005 if n % 2 else 0.0) for n in range(80)]
    allowed, sent = run_ticks(40, 0.8, times, change=True)
    assert all(allowed) and sent == times


def test_tick_keepalive_for_unchanged_frames() -> None:
    # one change, then 2.5 s of unchanged frames at 40 Hz: keep-alives every 0.8 s on ticks
    times = [1000.0 + n / 40 for n in range(100)]
    _, sent = run_ticks(40, 0.8, times, change=False)
    assert sent == [times[0], times[32], times[64], times[96]]


def test_tick_sacn_sends_the_final_data_three_more_times() -> None:
    # E1.31: the last change, then three identical packets on the next ticks, then the
    # keep-alive 0.8 s after the last of them
    times = [1000.0 + n / 40 for n in range(100)]
    _, sent = run_ticks(40, 0.8, times, change=False, repeats=3)
    assert sent == [times[0], times[1], times[2], times[3], times[35], times[67], times[99]]


def test_a_change_during_the_repeats_starts_them_again() -> None:
    limiter, stream = RateLimiter(40), UniverseStream(0.8, 3)
    sent = []
    for n in range(12):
        if n in (0, 2):
            stream.update(bytes([n + 1]) + bytes(511))
        if tick(limiter, {1: stream}, n / 40):
            sent.append(n)
    assert sent == [0, 1, 2, 3, 4, 5]
