"""gobo-web.service passes `systemd-analyze verify` and stays at exposure <= 2.5, like
gobo.service; it keeps the paths the console needs and nothing the daemon owns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, need, need_tool
from tests.test_systemd import INSTALLED_GOBO, MAX_EXPOSURE, directives, exposure

UNIT = REPO / "systemd" / "gobo-web.service"


def values(key: str) -> list[str]:
    return [value for _, k, value in directives(UNIT.read_text()) if k == key]


def test_web_unit_verifies_without_warnings(tmp_path: Path) -> None:
    analyze = need_tool("systemd-analyze")
    gobo = Path(sys.executable).parent / "gobo"
    need(gobo.is_file(), f"{gobo} is missing: pip install -e . into this venv")
    unit = tmp_path / "gobo-web.service"
    unit.write_text(UNIT.read_text().replace(f"ExecStart={INSTALLED_GOBO} ", f"ExecStart={gobo} "))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # gobo.service may not exist on this machine (After=); nothing else may be reported.
    assert [line for line in result.stderr.splitlines() if "gobo.service" not in line] == []


def test_web_exposure_is_at_most_2_5_and_the_gate_catches_a_weakened_unit(
    tmp_path: Path,
) -> None:
    level, report = exposure(UNIT)
    assert level <= MAX_EXPOSURE, report
    hardening = re.compile(r"^(Protect|Private|Restrict|SystemCall|Capability|Memory|Lock|NoNew)")
    weak = "\n".join(line for line in UNIT.read_text().splitlines() if not hardening.match(line))
    unit = tmp_path / "gobo-web.service"
    unit.write_text(weak + "\n")
    assert exposure(unit)[0] > MAX_EXPOSURE


def test_web_unit_keeps_the_contract_paths() -> None:
    assert values("ExecStart") == [f"{INSTALLED_GOBO} web --config /etc/gobo/site.toml"]
    assert values("Type") == ["notify"]
    assert values("User") == ["gobo"] and values("Group") == ["gobo"]
    assert values("SupplementaryGroups") == ["gobo-artists"]
    assert values("StateDirectory") == ["gobo"]
    assert values("ReadWritePaths") == ["/srv/gobo/inbox"]
    # /run/gobo belongs to gobo.service: a second owner would remove it when the console stops.
    assert values("RuntimeDirectory") == []
    assert values("PrivateDevices") == ["yes"]
    assert values("CapabilityBoundingSet") == [""]
