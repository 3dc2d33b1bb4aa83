"""The unit passes `systemd-analyze verify`, stays at exposure <= 2.5; the udev rule parses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, need, need_tool

UNIT = REPO / "systemd" / "gobo.service"
RULE = REPO / "systemd" / "99-gobo-enttec.rules"
MAX_EXPOSURE = 2.5
INSTALLED_GOBO = "/opt/gobo/venv/bin/gobo"


def directives(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; systemd allows a key more than once."""
    section = ""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key, value))
    return found


def values(key: str) -> list[str]:
    return [value for _, k, value in directives(UNIT.read_text()) if k == key]


def exposure(unit: Path) -> tuple[float, str]:
    analyze = need_tool("systemd-analyze")
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1)), result.stdout


@pytest.fixture
def runnable_unit(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this venv's real gobo, since verify checks the binary."""
    gobo = Path(sys.executable).parent / "gobo"
    need(gobo.is_file(), f"{gobo} is missing: pip install -e . into this venv")
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED_GOBO} " in text
    unit = tmp_path / "gobo.service"
    unit.write_text(text.replace(f"ExecStart={INSTALLED_GOBO} ", f"ExecStart={gobo} "))
    return unit


def test_unit_verifies_without_warnings(runnable_unit: Path) -> None:
    analyze = need_tool("systemd-analyze")
    result = subprocess.run(
        [analyze, "verify", str(runnable_unit)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_verify_reports_a_broken_directive(runnable_unit: Path) -> None:
    broken = runnable_unit.read_text().replace("char-ttyUSB rw", "char-ttyUSB rwz")
    runnable_unit.write_text(broken)
    result = subprocess.run(
        [need_tool("systemd-analyze"), "verify", str(runnable_unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Invalid device rights 'rwz'" in result.stderr


def test_exposure_is_at_most_2_5() -> None:
    level, report = exposure(UNIT)
    assert level <= MAX_EXPOSURE, report
    # The serial ports the USB-DMX output needs stay in the device allow list.
    assert "char-ttyUSB:rw" in report


def test_exposure_gate_catches_a_weakened_unit(tmp_path: Path) -> None:
    hardening = re.compile(r"^(Protect|Private|Restrict|SystemCall|Capability|Memory|Lock|NoNew)")
    weak = "\n".join(line for line in UNIT.read_text().splitlines() if not hardening.match(line))
    unit = tmp_path / "gobo.service"
    unit.write_text(weak + "\n")
    level, _ = exposure(unit)
    assert level > MAX_EXPOSURE


def test_unit_keeps_the_contract_paths_and_serial_access() -> None:
    assert values("ExecStart") == [f"{INSTALLED_GOBO} daemon --config /etc/gobo/site.toml"]
    assert values("Type") == ["notify"]
    assert values("User") == ["gobo"]
    assert set(values("SupplementaryGroups")[0].split()) == {"dialout", "gobo-artists"}
    assert values("StateDirectory") == values("RuntimeDirectory") == ["gobo"]
    assert values("ReadWritePaths") == ["/srv/gobo/inbox"]
    assert values("RuntimeDirectoryMode") == ["0750"]
    assert "char-ttyUSB rw" in values("DeviceAllow")
    # PrivateDevices= would hide /dev/ttyUSB* and /dev/serial/by-id from the service.
    assert values("PrivateDevices") == []
    assert values("CapabilityBoundingSet") == [""]
    assert "AF_NETLINK" not in values("RestrictAddressFamilies")[0]


RULE_TOKEN = re.compile(
    r'^(?P<key>[A-Z]+)(\{(?P<attr>[a-zA-Z_]+)\})?(?P<op>==|!=|\+=|:=|=)"[^"]*"$'
)


def test_udev_rule_tokens_are_well_formed() -> None:
    rules = [line for line in RULE.read_text().splitlines() if line and not line.startswith("#")]
    assert rules, "no active rule"
    for rule in rules:
        tokens = [token.strip() for token in rule.split(", ")]
        parsed = [RULE_TOKEN.match(token) for token in tokens]
        assert all(parsed), rule
        pairs = {(m["key"], m["attr"], m["op"]) for m in parsed if m}
        assert ("ATTRS", "idVendor", "==") in pairs and ("ATTRS", "idProduct", "==") in pairs
        assert 'ATTRS{idVendor}=="0403"' in rule and 'ATTRS{idProduct}=="6001"' in rule
        assert 'GROUP="dialout"' in rule and 'MODE="0660"' in rule
        assert ("SYMLINK", None, "+=") in pairs
