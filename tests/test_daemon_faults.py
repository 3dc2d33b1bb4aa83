"""Faults injected into a running `gobo daemon` (a real process, the real CLI): a technician's
decision survives kill -9 and is never falsely confirmed, a full disk and an unreadable library
are told as they are, the run log is right after a crash, identify is bounded, a play in
daylight lights, and the last frame after SIGTERM closes every channel (read back from olad)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need
from support.dmx import ensure_olad, olad_dmx
from support.polling import wait_for
from test_daemon import ALWAYS, UNIVERSE, Site

from controller.control import ControlClient, ControlError


@contextlib.contextmanager
def small_disk(path: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of `size` at path: the state directory on a disk that can fill up."""
    need(os.geteuid() == 0 and shutil.which("mount") is not None,
         "mounting a small tmpfs needs root and mount(8)")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Write zeros until the disk is full; the filler file is returned for freeing it."""
    filler = disk / "filler"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path)
    site.start()
    yield site
    site.stop()


def kill_9(site: Site) -> None:
    assert site.process is not None
    site.process.send_signal(signal.SIGKILL)
    site.process.wait(timeout=10)


def test_a_blackout_given_50_ms_before_kill_9_is_there_after_restart(running: Site) -> None:
    """The old saver held back a save within 1 s of the last one: 5 of 6 blackouts were lost."""
    for attempt in range(3):
        assert running.gobo("master", "0.6").returncode == 0  # another change just before
        assert running.gobo("blackout").returncode == 0
        time.sleep(0.05)
        kill_9(running)
        running.start()
        status = running.status()
        assert status is not None and status["state"] == "blackout", attempt
        assert status["master"] == 0.6
        assert running.gobo("resume").returncode == 0


def test_a_full_disk_makes_commands_say_so_and_why_tell_the_truth(tmp_path: Path) -> None:
    with small_disk(tmp_path / "state") as disk:
        site = Site(tmp_path, ALWAYS)
        site.start()
        try:
            assert site.gobo("master", "0.8").returncode == 0
            filler = fill(disk)
            done = site.gobo("blackout")
            assert done.returncode == 1
            assert "blackout: done, but the show state could not be saved (disk full)" in \
                done.stderr
            status = site.status()
            assert status is not None and status["state"] == "blackout"  # in force, honestly
            assert status["state_saved"] is False
            assert "state not saved: disk full" in status["problems"]
            assert "state not saved: disk full" in site.gobo("why").stdout
            # A drawing dropped now is the site's problem, not the drawing's: it waits.
            dropped = tmp_path / "inbox" / "sun.png"
            dropped.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
            wait_for("the inbox's attempt", lambda: "inbox: cannot process" in site.log.read_text())
            assert dropped.exists() and not (tmp_path / "inbox" / "rejected").exists()
            # Space again: the saver's retry writes the newest state, commands succeed.
            filler.unlink()
            wait_for("the state saved again", lambda: (s := site.status()) and s["state_saved"])
            assert "state not saved" not in site.gobo("why").stdout
            assert site.gobo("resume").returncode == 0
            # A restart on a full disk: the library cannot be opened, and why says so.
            filler = fill(disk)
            kill_9(site)
            site.start()
            why = wait_for("the library fault", lambda: "library" in (w := site.gobo("why").stdout)
                           and w)
            assert why.startswith("no artwork to show; library not readable: disk I/O error")
        finally:
            site.stop()
        log = site.log.read_text()
        assert "Traceback" not in log
        assert log.count("cannot save the show state") <= 2  # once per distinct problem


def test_an_unreadable_library_is_the_reason_given_and_the_inbox_waits_for_it(
    tmp_path: Path, make_drawing: Any
) -> None:
    (tmp_path / "state").mkdir()
    catalogue = tmp_path / "state" / "library.sqlite3"
    catalogue.write_bytes(b"not a database, " * 1024)
    site = Site(tmp_path, ALWAYS)
    site.start()
    try:
        why = site.gobo("why").stdout
        assert why.startswith("no artwork to show; library not readable: ")
        dropped = make_drawing(tmp_path / "inbox" / "Aino" / "cat.png", seed=3)
        time.sleep(3)  # more than the stable period: nothing may take it while it cannot go in
        assert dropped.exists() and not (tmp_path / "inbox" / "rejected").exists()
        catalogue.unlink()  # the technician restores the library: the watcher opens it
        status = wait_for("the drawing shown", lambda: (s := site.status()) and s["artwork"] and s,
                          deadline_s=60.0)
        assert status["credit"] == "Aino" and status["state"] == "showing"
        assert "library" not in site.gobo("why").stdout
    finally:
        site.stop()
    assert "internal error" not in site.log.read_text()


def test_the_run_log_after_a_crash_ends_the_showing_at_its_last_sample(
    tmp_path: Path, make_drawing: Any
) -> None:
    site = Site(tmp_path, ALWAYS)
    site.start()
    try:
        make_drawing(tmp_path / "inbox" / "cat.png", seed=5)
        wait_for("artwork shown", lambda: (s := site.status()) and s["state"] == "showing")
        time.sleep(3)  # a few samples of the showing
        killed_at = time.time()
        kill_9(site)
        time.sleep(5)  # down for a while: the old log counted this as showing too
        site.start()
        wait_for("the new showing", lambda: (s := site.status()) and s["state"] == "showing")
    finally:
        site.stop()
    with sqlite3.connect(tmp_path / "state" / "runlog.sqlite3") as db:
        start, end = db.execute("SELECT start, end FROM showings ORDER BY id LIMIT 1").fetchone()
    assert end is not None and start < end
    assert killed_at - 2.5 <= end <= killed_at  # its last sample, not the restart
    assert "left open by a crash closed at" in site.log.read_text()


def test_identify_is_bounded_and_shown(running: Site) -> None:
    client = ControlClient(running.root / "state" / "control.sock")
    with pytest.raises(ControlError, match=r"identify: for up to 10 minutes, not 1e\+300 s"):
        client.request("identify", fixture="wash", seconds=1e300)
    assert running.status()["identify"] == {}
    assert running.gobo("identify", "wash", "--for", "5m").returncode == 0
    status = running.status()
    assert status["identify"]["wash"]["until"]
    assert "identifying wash until " in status["why"]


def test_play_in_daylight_lights_it_and_says_so(tmp_path: Path, make_drawing: Any) -> None:
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    site = Site(tmp_path)  # no show window at all: daylight all day
    site.start()
    try:
        make_drawing(tmp_path / "inbox" / "sun.png", seed=6)
        # The playlist counts it a moment before the show has taken it as its artwork.
        status = wait_for("the drawing approved and taken",
                          lambda: (s := site.status()) and s["playlist"]["approved"]
                          and s["artwork"] and s)
        assert status["state"] == "dark" and status["why"].startswith("outside the show window")
        artwork = status["artwork"]
        played = site.gobo("play", artwork, "--for", "5m")
        assert played.returncode == 0, played.stderr
        wait_for("the wash lit on olad", lambda: olad_dmx(UNIVERSE)[0] > 100)
        status = site.status()
        assert status["state"] == "showing" and status["played"]["outside_window"]
        assert status["why"].startswith(f"playing {artwork} at 100% outside the show window "
                                        "until ")
    finally:
        site.stop()


def test_the_last_frame_after_sigterm_closes_every_channel(tmp_path: Path, ofl_dir: Path) -> None:
    need(ensure_olad(), "olad not answering on 127.0.0.1:9090 (bash tests/support/olad.sh start)")
    spot = ofl_dir / "fixtures" / "stairville" / "mh-x20.json"
    site = Site(tmp_path, f"""
[[fixture]]
name = "spot"
profile = "{spot}"
output = "main"
universe = {UNIVERSE}
address = 10
""")
    site.start()
    try:
        # dark: pan, tilt, colour, shutter at its "open" value 5 (4-7), dimmer, gobo
        wait_for("the spot on olad", lambda: olad_dmx(UNIVERSE)[9:15] == [0, 0, 0, 5, 0, 0])
        assert site.process is not None
        site.process.send_signal(signal.SIGTERM)
        assert site.process.wait(timeout=10) == 0
    finally:
        site.stop()
    assert olad_dmx(UNIVERSE)[9:15] == [0, 0, 0, 1, 0, 0]  # shutter closed (0-3)
    assert olad_dmx(UNIVERSE)[:4] == [0, 0, 0, 0]
