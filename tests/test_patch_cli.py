"""`gobo fixtures` and `gobo check` on real configuration files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SITE = """
[site]
name = "Laikunlava"
latitude = 61.4978
longitude = 23.7610

[paths]
state = "state"
inbox = "inbox"

[[output]]
name = "main"
type = "artnet"
host = "127.0.0.1"

[[output]]
name = "sim"
type = "simulated"
"""

FIXTURES = """
[[fixture]]
name = "wash-1"
profile = "generic-drgb"
output = "main"
address = 1

[[fixture]]
name = "par"
profile = "{ofl}/fixtures/generic/rgbw-fader.json"
mode = "16bit"
output = "main"
universe = 2
address = 101
"""


def _gobo(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "site.toml"
    config.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "controller", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fixtures_json_lists_channel_maps(tmp_path: Path, ofl_dir: Path) -> None:
    result = _gobo(tmp_path, SITE + FIXTURES.format(ofl=ofl_dir), "fixtures", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert [f["name"] for f in listing] == ["wash-1", "par"]
    par = listing[1]
    assert {k: par[k] for k in ("mode", "output", "universe", "address", "footprint")} == {
        "mode": "16 bit",
        "output": "main",
        "universe": 2,
        "address": 101,
        "footprint": 8,
    }
    assert par["channels"][:2] == [
        {"offset": 1, "dmx": 101, "attribute": "red", "byte": "coarse", "name": "Red"},
        {"offset": 2, "dmx": 102, "attribute": "red", "byte": "fine", "name": "Red fine"},
    ]


def test_fixtures_human_table(tmp_path: Path, ofl_dir: Path) -> None:
    result = _gobo(tmp_path, SITE + FIXTURES.format(ofl=ofl_dir), "fixtures")
    assert result.returncode == 0, result.stderr
    assert ("wash-1: generic-drgb [4ch] on main universe 1 (0:0:1, QLC+ Universe 2), DMX 1-4 "
            "(4 ch)") in result.stdout
    assert "DMX 108  white (fine)" in result.stdout


def test_check_reports_overlap_with_file_key_and_both_fixtures(tmp_path: Path) -> None:
    overlap = (
        SITE
        + """
[[fixture]]
name = "a"
profile = "generic-rgbw"
address = 1

[[fixture]]
name = "b"
profile = "generic-rgbw"
address = 3
"""
    )
    result = _gobo(tmp_path, overlap, "check")
    assert result.returncode == 2 and result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert "site.toml: fixture[2].address:" in line and "'a'" in line and "'b'" in line


def test_check_reports_patch_warnings(tmp_path: Path, ofl_dir: Path) -> None:
    site = (
        SITE
        + f"""
[[fixture]]
name = "ts"
profile = "{ofl_dir}/fixtures/cameo/ts60.json"
address = 1
"""
    )
    result = _gobo(tmp_path, site, "check", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["fixtures"] == 1
    assert report["universes"] == [
        {"output": "main", "universe": 1, "fixtures": 1, "channels": 3,  # first mode: 3ch
         "art_net": {"port_address": 1, "net_subnet_universe": "0:0:1", "qlc_universe": 2}}
    ]
    assert any("redirect" in w for w in report["warnings"])


def test_check_bad_profile_exits_2(tmp_path: Path) -> None:
    site = SITE + '[[fixture]]\nname = "x"\nprofile = "nowhere.json"\naddress = 1\n'
    result = _gobo(tmp_path, site, "fixtures")
    assert result.returncode == 2
    assert "fixture[1].profile: cannot read" in result.stderr


DESK = """
[[output]]
name = "wash"
type = "sacn"
host = "127.0.0.1"

[[fixture]]
name = "desk"
profile = "generic-rgb"
output = "main"
universe = "1:2:3"
address = 1

[[fixture]]
name = "raw"
profile = "generic-rgb"
output = "main"
universe = 0
address = 1
"""


def test_art_net_universe_in_desk_notation_shown_both_ways(tmp_path: Path) -> None:
    fixtures = _gobo(tmp_path, SITE + DESK, "fixtures", "--json")
    assert fixtures.returncode == 0, fixtures.stderr
    listing = {f["name"]: f for f in json.loads(fixtures.stdout)}
    # 1:2:3 is Port-Address 1*256 + 2*16 + 3 = 291, which QLC+ calls Universe 292
    assert listing["desk"]["universe"] == 291
    assert listing["desk"]["art_net"] == {"port_address": 291, "net_subnet_universe": "1:2:3",
                                          "qlc_universe": 292}
    assert listing["raw"]["art_net"]["qlc_universe"] == 1
    check = _gobo(tmp_path, SITE + DESK, "check")
    assert check.returncode == 0, check.stderr
    assert "main universe 0 (0:0:0, QLC+ Universe 1): 1 fixtures" in check.stdout
    assert "main universe 291 (1:2:3, QLC+ Universe 292): 1 fixtures" in check.stdout
    # no daemon runs for this site: the node check says so instead of guessing
    assert "Art-Net nodes: not checked (" in check.stdout
    as_json = json.loads(_gobo(tmp_path, SITE + DESK, "check", "--json").stdout)
    assert {"output": "main", "universe": 291, "fixtures": 1, "channels": 3,
            "art_net": {"port_address": 291, "net_subnet_universe": "1:2:3",
                        "qlc_universe": 292}} in as_json["universes"]


def test_desk_notation_errors_name_the_key(tmp_path: Path) -> None:
    bad = SITE + DESK.replace('"1:2:3"', '"0:16:1"')
    result = _gobo(tmp_path, bad, "check")
    assert result.returncode == 2
    assert "fixture[1].universe" in result.stderr and "subnet and universe 0..15" in result.stderr
    on_sacn = SITE + DESK.replace('output = "main"\nuniverse = "1:2:3"',
                                  'output = "wash"\nuniverse = "0:0:1"')
    result = _gobo(tmp_path, on_sacn, "check")
    assert result.returncode == 2
    assert "fixture[1].universe" in result.stderr and "for Art-Net outputs" in result.stderr
