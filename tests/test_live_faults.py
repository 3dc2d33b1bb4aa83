"""Fault injection on a real `gobo daemon` process, checked through the real CLI, oscsend
and olad: broken OSC changes nothing, a starved or stopped control socket never carries out
a command late, a broken site.toml does not lock the technician out, one-attribute overrides
and fixture-name patterns arrive on the wire as they should."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need, need_tool
from support.dmx import ensure_olad, olad_dmx
from support.polling import wait_for
from test_daemon import ALWAYS, GOBO, UNIVERSE, Site

IDLE_CONNECTIONS = 1100
DAEMON_NOFILE = 1024  # systemd/gobo.service LimitNOFILE


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Site]:
    """A daemon held to the unit's file limit, inherited from us while it starts (its
    Art-Net frames need no receiver for these tests)."""
    site = Site(tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(DAEMON_NOFILE, hard), hard))
    try:
        site.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    yield site
    site.stop()


def status(site: Site) -> dict[str, Any]:
    result = site.gobo("status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def decisions(state: dict[str, Any]) -> tuple[Any, ...]:
    return (state["master"], state["state"], state["blackout"], state["overrides"],
            state["artwork"], state["playlist"])


def test_truncated_osc_changes_nothing_in_the_daemon(daemon: Site) -> None:
    oscsend = need_tool("oscsend")
    port = str(daemon.osc_port)

    def master_from_osc() -> bool:  # sent until it lands: OSC opens just after the socket
        subprocess.run([oscsend, "127.0.0.1", port, "/gobo/master", "f", "0.75"], check=True,
                       timeout=5)
        return status(daemon)["master"] == 0.75

    wait_for("master from OSC", master_from_osc)
    assert daemon.gobo("set", "wash", "intensity=40%").returncode == 0
    assert daemon.gobo("blackout").returncode == 0
    before = status(daemon)
    osc_before = before["osc"]
    head = b"\x00\x00\x00\x00"
    cut = [
        b"/gobo/master" + head + b",f\x00\x00",  # the float's bytes missing: master 0 before
        b"/gobo/master" + head + b",f\x00\x00\x3f",  # one byte of four: 0.5 before
        b"/gobo/resume" + head + b",f\x00\x00",  # a TouchOSC press cut short: cleared blackout
        b"/gobo/resume" + head,  # no type tags at all
        b"/gobo/fixture/wash/intensity\x00\x00\x00\x00,f\x00\x00",  # a permanent 0 override
        b"/gobo/next\x00\x00,f\x00\x00\x3f\x80",
        b"/gobo/master" + head + b",f\x00\x00\x3f\x00\x00\x00junk",  # trailing garbage
        b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", -4),  # froze python-osc
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in cut:
            sock.sendto(data, ("127.0.0.1", daemon.osc_port))
    after = wait_for(
        "every datagram counted",
        lambda: (s := status(daemon))["osc"]["received"] == osc_before["received"] + len(cut) and s,
    )
    assert decisions(after) == decisions(before)
    assert after["osc"]["malformed"] == osc_before["malformed"] + len(cut)
    assert after["osc"]["handled"] == osc_before["handled"]
    log = daemon.log.read_text()
    assert "Traceback" not in log and 1 <= log.count("malformed OSC datagram") <= 2


def test_idle_connections_cannot_starve_the_cli(daemon: Site) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need(hard == resource.RLIM_INFINITY or hard >= IDLE_CONNECTIONS + 200,
         f"the test needs {IDLE_CONNECTIONS + 200} open files (hard limit {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, IDLE_CONNECTIONS + 200), hard))
    assert daemon.process is not None
    socket_path = str(daemon.root / "state" / "control.sock")
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            idle.append(sock)
            sock.settimeout(10)
            while sock.connect_ex(socket_path) == errno.EAGAIN:
                time.sleep(0.001)  # the listen backlog is full: the daemon drains it
        # the daemon holds a bounded number of them, far from its 1,024 files
        open_files = len(os.listdir(f"/proc/{daemon.process.pid}/fd"))
        assert open_files < 200, open_files
        blackout = daemon.gobo("blackout")
        assert blackout.returncode == 0, blackout.stderr
        assert status(daemon)["state"] == "blackout"
    finally:
        for sock in idle:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    log = daemon.log.read_text()
    assert "out of system resource" not in log and "Traceback" not in log
    assert 1 <= log.count("connections open; closed the one idle") <= 2


def test_a_command_reported_failed_is_never_carried_out_later(daemon: Site) -> None:
    """The daemon stopped (SIGSTOP) takes the connection into its backlog but reads nothing;
    the CLI gives up and says so; when the daemon runs again it must not black out."""
    assert daemon.process is not None
    os.kill(daemon.process.pid, signal.SIGSTOP)
    try:
        blackout = daemon.gobo("blackout")
    finally:
        os.kill(daemon.process.pid, signal.SIGCONT)
    assert blackout.returncode == 1
    assert blackout.stderr == "gobo: gobo daemon did not answer in time (busy or stuck?)\n"
    wait_for("the late request refused", lambda: "blackout: not carried out" in (
        daemon.log.read_text()))
    assert status(daemon)["state"] == "dark"
    assert "blackout by" not in daemon.log.read_text()


def test_blackout_with_a_broken_site_toml(daemon: Site, tmp_path: Path) -> None:
    assert status(daemon)["state"] == "dark"  # also remembers the socket for this file
    good = daemon.config.read_text()
    daemon.config.write_text(good.replace("[osc]", "[osc\n", 1))  # a syntax error
    blackout = daemon.gobo("blackout")
    assert blackout.returncode == 0, blackout.stderr
    socket_path = daemon.root / "state" / "control.sock"
    warning, = blackout.stderr.splitlines()
    assert warning.startswith(f"gobo: warning: {daemon.config}: cannot read [control]: not valid")
    assert warning.endswith(f"; using the last known control socket {socket_path}")
    assert "blackout" in blackout.stdout
    assert status(daemon)["state"] == "blackout"
    # a user who never reached this daemon gets the default socket, and is told both faults
    fresh = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "fresh"))
    other = subprocess.run(
        [*GOBO, "--config", str(daemon.config), "resume"], capture_output=True, text=True,
        timeout=30, env=fresh,
    )
    assert other.returncode == 2
    assert other.stderr.splitlines()[-1].startswith(
        f"gobo: {daemon.config}: cannot read [control]: not valid TOML"
    )
    assert "and gobo daemon is not running (no socket at /run/gobo/control.sock)" in other.stderr
    daemon.config.write_text(good)
    assert daemon.gobo("resume").returncode == 0
    assert status(daemon)["state"] == "dark"


PROJECTORS = ALWAYS + f"""
[[fixture]]
name = "proj-a"
profile = "generic-led-gobo"
output = "main"
universe = {UNIVERSE}
address = 10
gobo_kind = "glass"
[[fixture]]
name = "proj-b"
profile = "generic-led-gobo"
output = "main"
universe = {UNIVERSE}
address = 20
gobo_kind = "glass"
"""
CHANNELS = ("intensity", "red", "green", "blue", "white", "gobo_rotation")


def projectors() -> dict[str, dict[str, int]]:
    """One read of olad's universe: both projectors in the same frame."""
    dmx = olad_dmx(UNIVERSE)
    return {name: dict(zip(CHANNELS, dmx[start - 1 : start + 5], strict=True))
            for name, start in (("proj-a", 10), ("proj-b", 20))}


def test_partial_overrides_and_patterns_on_the_wire(tmp_path: Path, make_drawing: Any) -> None:
    """Two projectors run the same look in step: an override of one attribute of one must
    leave its other channels equal to its twin's scheduled ones, frame by frame, at olad."""
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    oscsend = need_tool("oscsend")
    site = Site(tmp_path, PROJECTORS)
    site.start()
    try:
        make_drawing(tmp_path / "inbox" / "Aino" / "cat.png", seed=1)
        wait_for("artwork shown", lambda: status(site)["state"] == "showing")
        wait_for("twins in step", lambda: (p := projectors())["proj-a"] == p["proj-b"]
                 and p["proj-a"]["intensity"] > 0)
        port = str(site.osc_port)
        subprocess.run([oscsend, "127.0.0.1", port, "/gobo/fixture/proj-a/intensity", "f", "0.25"],
                       check=True, timeout=5)

        def dimmed_only(frame: dict[str, dict[str, int]]) -> bool:
            a, b = frame["proj-a"], frame["proj-b"]
            lit = any(b[c] for c in ("red", "green", "blue", "white"))
            return a["intensity"] in (63, 64) and {**a, "intensity": b["intensity"]} == b and lit

        wait_for("proj-a dimmed, its colours and gobo as its twin's", lambda: dimmed_only(
            projectors()))
        assert site.gobo("set", "proj-b", "gobo_rotation=0").returncode == 0

        def still_only(frame: dict[str, dict[str, int]]) -> bool:
            a, b = frame["proj-a"], frame["proj-b"]
            rest = {**b, "gobo_rotation": a["gobo_rotation"], "intensity": a["intensity"]}
            return b["gobo_rotation"] == 0 and rest == a and b["intensity"] > a["intensity"]

        wait_for("proj-b's gobo held still, the rest as scheduled", lambda: still_only(
            projectors()))
        subprocess.run([oscsend, "127.0.0.1", port, "/gobo/fixture/proj-?/intensity", "f", "0.5"],
                       check=True, timeout=5)
        wait_for("both projectors at half", lambda: all(
            v["intensity"] in (127, 128) for v in projectors().values()))
        overrides = status(site)["overrides"]
        assert {name: o["values"] for name, o in overrides.items()} == {
            "proj-a": {"intensity": 0.5},
            "proj-b": {"gobo_rotation": 0.0, "intensity": 0.5},
        }
    finally:
        site.stop()
