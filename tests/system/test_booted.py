"""install.sh and the service on a booted Debian 12: a fresh root (mmdebstrap), systemd as PID 1
in systemd-nspawn with a private network, the software installed offline from a wheelhouse, then
what a site lives on: technicians, artists, the watchdog, restarts, the journal, the sandbox as
systemd itself rates it on that system, uninstall and purge."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, need, need_tool
from tests.system import cache
from tests.system.machine import Machine, copy_checkout, unpack

# The units install.sh puts on a site: the daemon and the web console.
SERVICES = ("gobo", "gobo-web")
MAX_EXPOSURE = 2.5
TECH, ARTIST = "tess", "ada"  # a technician (group gobo), an artist (group gobo-artists)
INSTALL = "/root/gobo/systemd/install.sh --wheelhouse /root/wheelhouse"


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    need(os.geteuid() == 0, "booting a container needs root (as CI runs)")
    for tool in ("systemd-nspawn", "nsenter", "mmdebstrap"):
        need_tool(tool)
    tarball = cache.debian_root_tarball()
    wheels = cache.wheelhouse(cache.ARCH)
    work = tmp_path_factory.mktemp("booted")
    root = unpack(tarball, work / "root")
    copy_checkout(REPO, root / "root/gobo")
    copy_checkout(wheels, root / "root/wheelhouse")
    booted = Machine(root, work / "console.log")
    try:
        state = booted.run("systemctl is-system-running --wait", check=False, timeout=180)
        assert state.stdout.strip() in ("running", "degraded"), state.stdout + state.stderr
        yield booted
    finally:
        booted.power_off()


@pytest.fixture(scope="module")
def installed(machine: Machine) -> str:
    """install.sh run as a site would, offline; the people who use it."""
    out = machine.run(INSTALL).stdout
    machine.run(f"useradd --create-home --groups gobo {TECH}")
    machine.run(f"useradd --create-home --groups gobo-artists {ARTIST}")
    # The site's curators approve each drawing before it is shown.
    machine.run(
        "sed -i 's/^require_approval = false/require_approval = true/' /etc/gobo/site.toml"
        " && systemctl reload gobo"
    )
    return out


def gobo(machine: Machine, *args: str, user: str = TECH) -> str:
    return machine.run(["gobo", *args], user=user).stdout


def status(machine: Machine) -> dict:
    return json.loads(gobo(machine, "status", "--json"))


def artworks(machine: Machine) -> dict[str, str]:
    return {a["id"]: a["status"] for a in json.loads(gobo(machine, "artwork", "list", "--json"))}


def wait_active(machine: Machine) -> None:
    machine.wait_for("systemctl is-active --quiet gobo && test -S /run/gobo/control.sock")


def exists(machine: Machine, path: str) -> bool:
    return machine.run(["test", "-e", path], check=False).returncode == 0


def test_install_offline_in_a_container(machine: Machine, installed: str) -> None:
    # No udevd in a container: said once, and no step failed for it.
    assert installed.count("no udevd running here") == 1, installed
    assert "installing gobo from the wheels in /root/wheelhouse" in installed
    for unit in SERVICES:
        assert machine.run(f"systemctl is-enabled {unit}").stdout.strip() == "enabled"
    again = machine.run(INSTALL).stdout
    assert "installed" not in again and "restarting" not in again, again


def test_services_are_active_after_ready_and_the_daemon_pets_the_watchdog(
    machine: Machine, installed: str
) -> None:
    wait_active(machine)
    for unit in SERVICES:
        machine.wait_for(f"systemctl is-active --quiet {unit}")
        props = machine.show(unit, "Type", "ActiveState", "SubState")
        assert props["Type"] == "notify", unit  # so "active" means it sent READY=1
        assert (props["ActiveState"], props["SubState"]) == ("active", "running"), unit
    assert machine.show("gobo", "WatchdogUSec") == {"WatchdogUSec": "10s"}
    machine.wait_for("systemctl show gobo -p WatchdogTimestampMonotonic | grep -qv '=0$'")


def test_technician_uses_the_live_commands(machine: Machine, installed: str) -> None:
    wait_active(machine)
    assert "level" in gobo(machine, "status")
    assert gobo(machine, "why").strip()
    gobo(machine, "blackout")
    assert status(machine)["state"] == "blackout"
    assert status(machine)["blackout"]["by"] == f"gobo blackout ({TECH})"  # who did it
    gobo(machine, "resume")
    assert status(machine)["blackout"] is None
    # Someone outside group gobo is refused by the socket's permissions.
    machine.run("useradd --create-home stranger")
    refused = machine.run(["gobo", "status"], user="stranger", check=False)
    assert refused.returncode != 0 and "permission denied" in refused.stderr.lower()


def test_artists_drawing_reaches_the_library_and_a_technician_approves_it(
    machine: Machine, installed: str, make_drawing, tmp_path: Path
) -> None:
    wait_active(machine)
    drawing = make_drawing(tmp_path / "sun.png", seed=3).read_bytes()
    machine.run("cat > /srv/gobo/inbox/sun.png", user=ARTIST, input=drawing)
    machine.wait_for(f"runuser -u {TECH} -- gobo artwork list | grep -q pending")
    (artwork_id,) = artworks(machine)
    assert not machine.run("ls -A /srv/gobo/inbox").stdout.strip()  # taken out of the inbox
    assert "approved" in gobo(machine, "artwork", "approve", artwork_id)
    assert artworks(machine) == {artwork_id: "approved"}
    # What made that possible, as the technician's CLI left it.
    modes = machine.run(
        "stat -c '%n %A %U:%G' /var/lib/gobo /var/lib/gobo/library.sqlite3"
    ).stdout.splitlines()
    assert modes == [
        "/var/lib/gobo drwxrws--T gobo:gobo",
        "/var/lib/gobo/library.sqlite3 -rw-rw---- gobo:gobo",
    ]
    # Artists reach the inbox only.
    denied = machine.run(["gobo", "artwork", "list"], user=ARTIST, check=False)
    assert denied.returncode != 0 and "permission denied" in denied.stderr.lower()


def test_watchdog_restarts_a_frozen_daemon(machine: Machine, installed: str) -> None:
    wait_active(machine)
    before = machine.show("gobo.service", "MainPID", "NRestarts")
    stopped_at = time.monotonic()  # CLOCK_MONOTONIC, which the container shares
    machine.run(f"kill -STOP {before['MainPID']}")
    machine.wait_for(
        f'test "$(systemctl show gobo -p MainPID --value)" != {before["MainPID"]}'
        " && systemctl is-active --quiet gobo",
        guard=120,
    )
    after = machine.show(
        "gobo.service",
        "NRestarts",
        "ExecMainStartTimestampMonotonic",
        "ActiveEnterTimestampMonotonic",
    )
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    journal = machine.run("journalctl -u gobo -b --no-pager -o cat").stdout
    assert "gobo.service: Watchdog timeout (limit 10s)!" in journal
    # Back within WatchdogSec + RestartSec, plus the start-up this run took until READY=1
    # (systemd's own timestamps) and two seconds for its timers' slack on a loaded machine.
    startup = int(after["ActiveEnterTimestampMonotonic"]) - int(
        after["ExecMainStartTimestampMonotonic"]
    )
    back = int(after["ActiveEnterTimestampMonotonic"]) / 1e6 - stopped_at
    print(f"watchdog: back after {back:.1f} s (start-up {startup / 1e6:.1f} s)")
    assert back <= 10 + 10 + startup / 1e6 + 2, (back, startup)


def test_restart_keeps_library_state_and_approvals(machine: Machine, installed: str) -> None:
    wait_active(machine)
    gobo(machine, "master", "40%")
    gobo(machine, "blackout")
    library = artworks(machine)
    assert "approved" in library.values()
    machine.run("systemctl restart gobo")
    wait_active(machine)
    after = status(machine)
    assert after["master"] == pytest.approx(0.4)
    assert after["state"] == "blackout"
    assert artworks(machine) == library
    gobo(machine, "resume")
    gobo(machine, "master", "100%")


def test_journal_holds_the_daemons_lines(machine: Machine, installed: str) -> None:
    lines = machine.run("journalctl -u gobo -b --no-pager -o json").stdout.splitlines()
    daemon = [json.loads(line) for line in lines]
    messages = [e["MESSAGE"] for e in daemon if e.get("_COMM") == "gobo"]
    assert any(re.search(r"running: \d+ fixtures on \d+ outputs", m) for m in messages)
    assert any("reloaded /etc/gobo/site.toml" in m for m in messages)


def test_sandbox_exposure_on_the_booted_system(machine: Machine, installed: str) -> None:
    for unit in SERVICES:
        report = machine.run(f"systemd-analyze security --no-pager {unit}.service").stdout
        match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", report)
        assert match, report
        print(f"{unit}: exposure {match.group(1)} on the booted system")
        assert float(match.group(1)) <= MAX_EXPOSURE, report


def test_uninstall_keeps_data_and_purge_removes_it(machine: Machine, installed: str) -> None:
    out = machine.run("/root/gobo/systemd/install.sh --uninstall").stdout
    assert "--purge deletes them" in out
    for unit in SERVICES:
        assert machine.run(f"systemctl is-active {unit}", check=False).stdout.strip() in (
            "inactive",
            "unknown",
        )
        assert machine.run(f"systemctl cat {unit}", check=False).returncode != 0
    units = [f"/etc/systemd/system/{unit}.service" for unit in SERVICES]
    for gone in ("/opt/gobo", "/usr/local/bin/gobo", "/etc/udev/rules.d/99-gobo-enttec.rules"):
        assert not exists(machine, gone), gone
    assert not any(exists(machine, unit) for unit in units)
    for kept in ("/etc/gobo/site.toml", "/var/lib/gobo/library.sqlite3", "/srv/gobo/inbox"):
        assert exists(machine, kept), kept

    machine.run("/root/gobo/systemd/install.sh --uninstall --purge")
    for gone in ("/etc/gobo", "/var/lib/gobo", "/srv/gobo"):
        assert not exists(machine, gone), gone
    machine.run("getent passwd gobo && getent group gobo-artists")  # system users outlive a purge
