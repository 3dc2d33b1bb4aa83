"""`gobo daemon` end to end: a real process, Art-Net into olad on 127.0.0.1, the real CLI and
oscsend, SIGTERM and kill -9. Every wait polls against a deadline."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need, need_tool
from support.dmx import ensure_olad, olad_dmx
from support.polling import wait_for
from support.sites import site_toml

from hardware.outputs.artnet_packets import encode_artdmx

GOBO = [sys.executable, "-m", "controller"]
UNIVERSE = 4  # olad's fourth patched port; the output tests use 1 and 2
DEADLINE_S = 10.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def inject(data: list[int]) -> None:
    """Overwrite what olad shows, as if another console sent it (same source address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(encode_artdmx(UNIVERSE, 0, bytes(data)), ("127.0.0.1", 6454))


class Site:
    def __init__(self, root: Path, extra: str = "") -> None:
        self.root = root
        self.config = root / "site.toml"
        self.osc_port = free_udp_port()
        self.config.write_text(site_toml("daemon test") + f"""
[osc]
listen = "127.0.0.1:{self.osc_port}"
allow = ["127.0.0.1"]
[[output]]
name = "main"
type = "artnet"
host = "127.0.0.1"
[[output]]
name = "sim"
type = "simulated"
[[fixture]]
name = "wash"
profile = "generic-drgb"
output = "main"
universe = {UNIVERSE}
address = 1
[[fixture]]
name = "projector"
profile = "generic-led-gobo"
output = "sim"
universe = 1
address = 1
gobo_kind = "glass"
""" + extra)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / "daemon.log"

    def start(self, env: dict[str, str] | None = None) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [*GOBO, "daemon", "--config", str(self.config)], stdout=handle,
            stderr=subprocess.STDOUT, cwd=self.root, env={**os.environ, **(env or {})},
        )
        handle.close()
        wait_for("daemon answers on its socket", lambda: self.status() is not None)

    def gobo(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*GOBO, "--config", str(self.config), *args], capture_output=True, text=True,
            timeout=10,
        )

    def status(self) -> dict[str, Any] | None:
        result = self.gobo("status", "--json")
        return json.loads(result.stdout) if result.returncode == 0 else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    result = Site(tmp_path)
    result.start()
    yield result
    result.stop()


def wash_on_olad(expected: list[int]) -> Callable[[], bool]:
    return lambda: olad_dmx(UNIVERSE)[: len(expected)] == expected


def test_set_master_blackout_resume_and_sigterm(site: Site) -> None:
    oscsend = need_tool("oscsend")
    assert site.status()["state"] == "dark"  # no schedule windows, no artwork
    # generic-drgb: intensity, red, green, blue
    assert site.gobo("set", "wash", "intensity=1", "red=1", "green=50%").returncode == 0
    wait_for("override on olad", wash_on_olad([255, 255, 128, 0]))
    status = site.status()
    assert status["state"] == "override" and status["outputs"]["main"]["state"] == "ok"
    subprocess.run([oscsend, "127.0.0.1", str(site.osc_port), "/gobo/master", "f", "0.5"],
                   check=True, timeout=5)
    wait_for("master at half", lambda: olad_dmx(UNIVERSE)[:4] in ([128, 255, 128, 0],
                                                                  [127, 255, 128, 0]))
    assert site.status()["master"] == 0.5
    assert site.gobo("blackout").returncode == 0
    wait_for("blackout zeros", wash_on_olad([0, 0, 0, 0]))
    why = site.gobo("why").stdout
    assert why.startswith("blackout since ") and "gobo blackout" in why
    assert site.gobo("resume").returncode == 0
    assert site.gobo("set", "wash", "intensity=1", "blue=1").returncode == 0
    wait_for("override after resume", lambda: olad_dmx(UNIVERSE)[:4] in ([128, 0, 0, 255],
                                                                         [127, 0, 0, 255]))
    # SIGTERM: fade to black, last frame all zeros, exit 0
    assert site.process is not None
    site.process.send_signal(signal.SIGTERM)
    assert site.process.wait(timeout=5) == 0
    assert olad_dmx(UNIVERSE)[:4] == [0, 0, 0, 0]
    log = site.log.read_text()
    assert "stopping: fading to black" in log and "Traceback" not in log


def test_look_back_after_kill_9(site: Site) -> None:
    set_wash = site.gobo("set", "wash", "intensity=1", "red=1", "blue=1", "--for", "10m")
    assert set_wash.returncode == 0
    wait_for("override on olad", wash_on_olad([255, 255, 0, 255]))
    assert site.process is not None
    site.process.send_signal(signal.SIGKILL)
    site.process.wait(timeout=5)
    inject([0, 0, 0, 0])  # olad now shows something else; only the new daemon can restore it
    assert olad_dmx(UNIVERSE)[:4] == [0, 0, 0, 0]
    started = time.monotonic()
    site.start()
    wait_for("override back after restart", wash_on_olad([255, 255, 0, 255]), deadline_s=5.0)
    assert time.monotonic() - started < 5.0 + 1.0
    status = site.status()
    assert status["state"] == "override" and status["overrides"]["wash"]["until"]
    # blackout survives a crash too
    assert site.gobo("blackout").returncode == 0
    wait_for("blackout zeros", wash_on_olad([0, 0, 0, 0]))
    site.process.send_signal(signal.SIGKILL)
    site.process.wait(timeout=5)
    inject([255, 255, 255, 255])
    site.start()
    wait_for("blackout back after restart", wash_on_olad([0, 0, 0, 0]), deadline_s=5.0)
    assert site.status()["state"] == "blackout"


def test_bad_input_never_kills_it(site: Site) -> None:
    assert site.gobo("set", "nope", "red=1").returncode == 1
    assert site.gobo("set", "wash", "pan=1").returncode == 1
    assert site.gobo("play", "ffffff").returncode == 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for junk in (b"\xff" * 40, b"/gobo/master\x00\x00\x00\x00,s\x00\x00abc\x00", b""):
            sock.sendto(junk, ("127.0.0.1", site.osc_port))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(site.root / "state" / "control.sock"))
        sock.sendall(b"{not json\n")
        assert b'"ok": false' in sock.recv(4096).replace(b'"ok":false', b'"ok": false')
    # a broken configuration on SIGHUP keeps the running one
    good = site.config.read_text()
    site.config.write_text(good.replace("address = 1\n", "address = 900\n", 1))
    assert site.process is not None
    os.kill(site.process.pid, signal.SIGHUP)
    wait_for("reload refused in the log", lambda: "reload refused" in site.log.read_text())
    assert site.process.poll() is None
    assert site.status()["outputs"]["main"]["state"] == "ok"
    assert site.gobo("set", "wash", "intensity=1", "green=1").returncode == 0
    wait_for("still driving olad", wash_on_olad([255, 0, 255, 0]))
    # a second daemon for the same site refuses to start and leaves the first alone
    site.config.write_text(good)
    second = subprocess.run([*GOBO, "daemon", "--config", str(site.config)], cwd=site.root,
                            capture_output=True, text=True, timeout=20)
    assert second.returncode == 1 and "already answering" in second.stdout
    assert site.status()["state"] == "override"
    assert olad_dmx(UNIVERSE)[:4] == [255, 0, 255, 0]  # it never touched the outputs


ALWAYS = """
[show]
window_fade_seconds = 1
[[schedule.window]]
name = "always"
start = "12:00"
end = "11:59"
level = 1.0
"""


def test_drawing_dropped_in_the_inbox_is_shown(tmp_path: Path, make_drawing: Any) -> None:
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    site = Site(tmp_path, ALWAYS)
    site.start()
    try:
        assert site.status()["why"] == "no approved artwork"
        make_drawing(tmp_path / "inbox" / "Aino" / "cat.png", seed=3)
        status = wait_for("artwork shown", lambda: (s := site.status()) and s["artwork"] and s)
        assert status["credit"] == "Aino" and status["state"] == "showing"
        assert f"showing {status['artwork']} (Aino)" in site.gobo("why").stdout
        wait_for("wash lit by the artwork", lambda: olad_dmx(UNIVERSE)[0] > 0)
    finally:
        site.stop()


def test_systemd_notify_ready_and_watchdog_from_the_frame_loop(tmp_path: Path) -> None:
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    notify_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(notify_path))
        listener.settimeout(DEADLINE_S)
        site = Site(tmp_path)
        site.start({"NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "1000000"})
        try:
            messages = [listener.recv(256).decode() for _ in range(4)]
            assert messages[0] == "READY=1"
            assert messages[1:] == ["WATCHDOG=1"] * 3  # every 0.5 s while frames run
            assert site.process is not None
            site.process.send_signal(signal.SIGTERM)
            while (message := listener.recv(256).decode()) == "WATCHDOG=1":
                pass
            assert message == "STOPPING=1"
            assert site.process.wait(timeout=5) == 0
        finally:
            site.stop()
