"""OSC into the real Show (real config parser, patch, schedule, engine and assembler), read
back from the simulated output's decoded DMX: broken datagrams change nothing, one-attribute
overrides keep the rest of the look, fixture names are OSC patterns."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pythonosc.osc_message_builder import OscMessageBuilder

from controller.config import OscSettings, parse_site_config
from controller.control_server import ControlServer
from controller.liveshow import LiveShow
from controller.looks import Look
from controller.osc import OscServer
from controller.show import Show
from controller.statesaver import StateSaver
from hardware.outputs.simulated import SimulatedOutput

WARM = (1.0, 0.5, 0.25)  # one colour: the look does not drift, every emitter is lit
SITE = {
    "site": {"name": "test", "latitude": 61.4978, "longitude": 23.7610,
             "timezone": "Europe/Helsinki"},
    "show": {"rotation_minutes": 10, "crossfade_seconds": 4, "window_fade_seconds": 10},
    "output": [{"name": "sim", "type": "simulated"}],
    "fixture": [
        {"name": "wash", "profile": "generic-drgb", "output": "sim", "universe": 1,
         "address": 1},
        {"name": "proj-a", "profile": "generic-led-gobo", "output": "sim", "universe": 1,
         "address": 10, "gobo_kind": "glass"},
        {"name": "proj-b", "profile": "generic-led-gobo", "output": "sim", "universe": 1,
         "address": 20, "gobo_kind": "glass"},
    ],
    "schedule": {"window": [{"name": "evening", "start": "18:00", "end": "23:00", "level": 1.0}]},
}
NOW = datetime(2026, 11, 27, 20, 0, tzinfo=ZoneInfo("Europe/Helsinki")).timestamp()
SENDER = ("127.0.0.1", 9)


class Rig:
    """The running show (LiveShow around the Show core) at a fixed instant, with a simulated
    output whose DMX we decode."""

    def __init__(self, tmp_path: Path) -> None:
        config = parse_site_config(SITE, tmp_path / "site.toml")
        self.output = SimulatedOutput(config.patch.outputs[0], config.patch.fixtures)
        self.show = Show(config)
        self.saver = StateSaver(tmp_path / "show-state.json")
        self.live = LiveShow(self.show, self.saver, {"sim": self.output}, clock=lambda: NOW)
        self.live.react(self.show.set_library(
            [Look("aaaa00000000", "Aino", (WARM,)), Look("bbbb00000000", "Eero", (WARM,))], NOW
        ))
        self.osc = OscServer(OscSettings("127.0.0.1", 0, ("127.0.0.1",)), self.live)

    def values(self) -> dict[str, dict[str, Any]]:
        self.live.send(self.live.step(NOW + 30))  # past the crossfade: one look, steady
        return self.output.values()

    def decisions(self) -> tuple[Any, ...]:
        state = self.show.persisted()
        return (state.master, state.blackout, state.overrides, state.current_artwork,
                state.playlist_position, self.show.playlist)


def message(address: str, *args: Any) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def osc_string(text: str) -> bytes:
    """OSC 1.0: the bytes, a NUL, NULs up to a multiple of 4."""
    raw = text.encode()
    return raw + b"\x00" * (4 - len(raw) % 4)


def broken_variants(address: str, tags: str, data: bytes, rng: random.Random) -> list[bytes]:
    """Faults made by the OSC layout, independent of the code under test: cut at every
    length, trailing bytes, a type tag with no bytes for it, a NUL in the address or type
    tag padding made non-NUL (those may leave a valid datagram to another, unknown address)."""
    header = len(osc_string(address) + osc_string("," + tags))
    assert data[:header] == osc_string(address) + osc_string("," + tags)
    variants = [data[:end] for end in range(len(data))]
    variants.append(data + bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8))))
    variants.append(osc_string(address) + osc_string("," + tags + "f") + data[header:])
    variants += [data[:i] + b" " + data[i + 1 :] for i in range(header) if data[i] == 0]
    return variants


CONTROLS = [  # (address, type tags, arguments)
    ("/gobo/master", "f", (0.3,)),
    ("/gobo/blackout", "i", (1,)),
    ("/gobo/blackout", "f", (0.0,)),
    ("/gobo/resume", "f", (1.0,)),
    ("/gobo/next", "f", (1.0,)),
    ("/gobo/next", "", ()),
    ("/gobo/play", "s", ("bbbb00000000",)),
    ("/gobo/fixture/wash/intensity", "f", (0.9,)),
    ("/gobo/fixture/proj-*/red", "f", (0.1,)),
    ("/gobo/status", "", ()),
]


def corpus(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    broken: list[bytes] = []
    for address, tags, args in CONTROLS:
        broken += broken_variants(address, tags, message(address, *args), rng)
    broken += [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
               for _ in range(20_000)]
    return broken


def test_truncated_and_fuzzed_datagrams_change_nothing(tmp_path: Path) -> None:
    live = Rig(tmp_path)
    show = live.show
    live.live.set_master(0.7, "gobo master")
    live.live.set_override("wash", {"intensity": 0.4}, None, "gobo set")
    live.live.next("gobo next")
    broken = corpus(20_000)

    async def main() -> None:
        async with live.osc as server:
            for blackout in (False, True):  # a cut resume must not clear a blackout either
                live.live.blackout(blackout, "gobo blackout")
                before, dmx = live.decisions(), live.values()
                counts = server.stats()
                for index, data in enumerate(broken):
                    server.datagram(data, SENDER)  # the protocol's own entry point
                    if index % 1000 == 0:
                        await asyncio.sleep(0)
                assert live.decisions() == before and live.values() == dmx
                after = server.stats()
                assert after["handled"] == counts["handled"]  # not one message acted on
                new = {key: after[key] - counts[key] for key in after}
                # a NUL made a space can leave a well-formed message to an unknown address
                dropped = new["malformed"] + new["unknown"] + new["ignored"]
                assert dropped == new["received"] == len(broken)
                assert new["malformed"] > len(broken) - 100
            # and through a real socket, then a good datagram still acts
            assert server.address is not None
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind(("127.0.0.1", 0))
                received = server.stats()["received"]
                cut = [data for data in broken[:400] if data]
                for data in cut:
                    sock.sendto(data, server.address)
                    await asyncio.sleep(0)
                sock.sendto(message("/gobo/master", 0.25), server.address)
                await until(lambda: show.master == 0.25, "a good datagram after the junk")
                assert server.stats()["received"] == received + len(cut) + 1
                assert server.stats()["handled"] == counts["handled"] + 1

    asyncio.run(main())
    assert show.blackout_state is not None and show.overrides["wash"].values == {"intensity": 0.4}


async def until(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.005)


def test_one_attribute_override_keeps_the_rest_of_the_look(tmp_path: Path) -> None:
    live = Rig(tmp_path)
    scheduled = live.values()
    assert all(scheduled["wash"][a] > 0.2 for a in ("intensity", "red", "green", "blue"))
    live.osc.datagram(message("/gobo/fixture/wash/green", 0.75), SENDER)
    wash = live.values()["wash"]
    assert round(wash["green"] * 255) == round(0.75 * 255)
    assert {k: v for k, v in wash.items() if k != "green"} == {
        k: v for k, v in scheduled["wash"].items() if k != "green"
    }
    # `gobo set` goes through the control socket's handler to the same merge
    control = ControlServer(tmp_path / "unused.sock", None, live.live)

    async def set_blue() -> dict[str, Any]:  # answered once saved: the saver must run
        writer = asyncio.create_task(live.saver.run())
        try:
            return await control.handle_request({"cmd": "set", "fixture": "proj-a",
                                                 "values": {"blue": 0.125}, "source": "gobo set"})
        finally:
            writer.cancel()

    answer = asyncio.run(set_blue())
    assert answer["ok"], answer
    values = live.values()
    assert values["proj-a"] == {**scheduled["proj-a"], "blue": values["proj-a"]["blue"]}
    assert round(values["proj-a"]["blue"] * 255) == round(0.125 * 255)
    assert values["proj-b"] == scheduled["proj-b"] and values["wash"] == wash
    assert live.show.state(NOW) == "override"


def test_fixture_name_patterns_over_the_patch(tmp_path: Path) -> None:
    live = Rig(tmp_path)
    scheduled = live.values()
    osc = live.osc
    osc.datagram(message("/gobo/fixture/proj-?/white", 0.0), SENDER)
    osc.datagram(message("/gobo/fixture/{wash,proj-b}/red", 0.0), SENDER)
    osc.datagram(message("/gobo/fixture/proj-[!a]/green", 0.0), SENDER)
    osc.datagram(message("/gobo/fixture/*/gobo_rotation", 0.0), SENDER)  # projectors only
    osc.datagram(message("/gobo/fixture/lamp*/red", 1.0), SENDER)  # nothing: ignored
    assert osc.stats()["handled"] == 4 and osc.stats()["ignored"] == 1
    assert {name: set(o.values) for name, o in live.show.overrides.items()} == {
        "proj-a": {"white", "gobo_rotation"},
        "proj-b": {"white", "red", "green", "gobo_rotation"},
        "wash": {"red"},
    }
    values = live.values()
    assert values["wash"] == {**scheduled["wash"], "red": 0.0}
    assert values["proj-a"]["green"] == scheduled["proj-a"]["green"] > 0
    assert values["proj-b"]["green"] == 0.0 and values["proj-b"]["red"] == 0.0
