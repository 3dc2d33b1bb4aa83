"""[[output]] parsing and the output factory."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hardware import parse_patch
from hardware.outputs import create_output, parse_output
from hardware.outputs.artnet import ArtNetOutput
from hardware.outputs.base import DISCONNECTED, OK, HealthTracker
from hardware.outputs.enttec import EnttecUsbProOutput
from hardware.outputs.sacn import SacnOutput
from siteconfig import ConfigError


def test_defaults_per_type() -> None:
    artnet = parse_output({"name": "a", "type": "artnet", "host": "10.0.0.5"}, "output[1]")
    assert (artnet.port, artnet.fps, artnet.refresh_seconds) == (6454, 40.0, 0.8)
    assert artnet.universe_range == (0, 32767)
    sacn = parse_output({"name": "s", "type": "sacn", "host": "10.0.0.5"}, "output[2]")
    assert (sacn.port, sacn.priority, sacn.source_name) == (5568, 100, "gobo")
    assert sacn.multicast is False
    enttec = parse_output({"name": "u", "type": "enttec-usb-pro", "device": "/dev/ttyUSB0"}, "o")
    assert enttec.device == "/dev/ttyUSB0" and enttec.universe_range == (1, 1)
    simulated = parse_output({"name": "sim", "type": "simulated", "fps": 30}, "o")
    assert (simulated.type, simulated.fps, simulated.host) == ("simulated", 30.0, None)


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ({"name": "a", "type": "artnet", "host": "dmx-node.local"}, "output[1].host", "not an IP"),
        ({"name": "a", "type": "artnet"}, "output[1].host", "required"),
        ({"name": "a", "type": "sacn", "host": "239.255.0.1"}, "output[1].host",
         "multicast = true"),
        ({"name": "a", "type": "artnet", "host": "10.0.0.5", "fps": 60}, "output[1].fps", "1..44"),
        ({"name": "a", "type": "artnet", "host": "10.0.0.5", "refresh_seconds": 4},
         "output[1].refresh_seconds", "0.1..1"),
        ({"name": "a", "type": "sacn", "host": "10.0.0.5", "priority": 201},
         "output[1].priority", "0..200"),
        ({"name": "a", "type": "sacn", "host": "10.0.0.5", "multicast": "yes"},
         "output[1].multicast", "true or false"),
        ({"name": "a", "type": "sacn", "host": "10.0.0.5", "source_name": "x" * 64},
         "output[1].source_name", "63 bytes"),
        ({"name": "a", "type": "artnet", "host": "10.0.0.5", "priority": 50},
         "output[1].priority", "not a key of a artnet output (only of sacn)"),
        ({"name": "a", "type": "sacn", "host": "10.0.0.5", "priorty": 50},
         "output[1].priorty", "unknown key (did you mean 'priority'?)"),
        ({"name": "sim", "type": "simulated", "size": [640, 480]}, "output[1].size",
         "unknown key (known here: fps, name, refresh_seconds, type)"),
        ({"name": "a", "type": "enttec-usb-pro"}, "output[1].device", "/dev/serial/by-id"),
        ({"name": "a", "type": "dmx"}, "output[1].type", "artnet, sacn"),
        ({"type": "artnet", "host": "10.0.0.5"}, "output[1].name", "missing"),
        ({"name": "a", "type": "artnet", "host": "10.0.0.5", "port": True}, "output[1].port",
         "whole number"),
    ],
)
def test_errors_name_the_key(entry: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_output(entry, "output[1]")
    assert caught.value.key == key
    assert words in caught.value.message


def test_factory_builds_each_type_with_its_universes(tmp_path: Path) -> None:
    outputs = [{"name": "a", "type": "artnet", "host": "127.0.0.1"},
               {"name": "s", "type": "sacn", "host": "127.0.0.1"},
               {"name": "u", "type": "enttec-usb-pro", "device": "/dev/x"}]
    fixtures = [{"name": f"f{i}", "profile": "generic-rgb", "output": output,
                 "universe": universe, "address": 1 + 3 * i}
                for i, (output, universe) in enumerate([("a", 3), ("a", 1), ("a", 3), ("s", 9)])]
    patch = parse_patch(outputs, fixtures, tmp_path)
    built = {config.name: create_output(config, patch.fixtures) for config in patch.outputs}
    assert isinstance(built["a"], ArtNetOutput) and built["a"].universes == [1, 3]
    assert isinstance(built["s"], SacnOutput) and built["s"].universes == [9]
    assert isinstance(built["u"], EnttecUsbProOutput)
    assert built["u"].health().state == DISCONNECTED  # not opened yet


def test_health_logs_once_per_change_of_state(caplog: pytest.LogCaptureFixture) -> None:
    tracker = HealthTracker("main")
    with caplog.at_level(logging.INFO, logger="gobo.output.main"):
        for _ in range(50):
            tracker.set(OK, "sending")
        tracker.set(OK, "sending to 10.0.0.5")
        tracker.set(DISCONNECTED, "network unreachable")
        tracker.set(DISCONNECTED, "network unreachable")
    assert [r.getMessage() for r in caplog.records] == [
        "ok: sending", "disconnected: network unreachable"
    ]
    assert tracker.get().state == DISCONNECTED
