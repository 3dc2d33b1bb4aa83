"""One reader for the whole site configuration: typos are refused everywhere, named with their
place (file, table, key) and the nearest known name, through `gobo check` as a technician sees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from controller.cli import main
from controller.config import load_site_config
from siteconfig import ConfigError, Table

SITE = """[site]
name = "Test"
latitude = 61.4978
longitude = 23.7610
timezone = "Europe/Helsinki"
"""
FIXTURE = """
[[output]]
name = "main"
type = "artnet"
host = "127.0.0.1"

[[fixture]]
name = "wash"
profile = "generic-rgbw"
address = 1
"""


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    """`gobo check` on a site file: exit 2 and the one line it prints."""
    site = tmp_path / "site.toml"
    site.write_text(text)
    assert main(["--config", str(site), "check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    return err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SITE + "[show]\nfsp = 30\n", "site.toml: show.fsp: unknown key (did you mean 'fps'?)"),
        (SITE + "[shwo]\nfps = 30\n", "site.toml: shwo: unknown table (did you mean [show]?)"),
        (SITE.replace("name =", "nmae ="), "site.toml: site.nmae: unknown key (did you mean "
         "'name'?)"),
        (SITE.replace("latitude =", "latitud ="), "site.toml: site.latitud: unknown key (did "
         "you mean 'latitude'?)"),
        (SITE + "[paths]\nstat = 'x'\n", "site.toml: paths.stat: unknown key (did you mean "
         "'state'?)"),
        (SITE + "[control]\nsocket = 'c.sock'\ngrup = 'gobo'\n", "site.toml: control.grup: "
         "unknown key (did you mean 'group'?)"),
        (SITE + "[osc]\nallowed = []\n", "site.toml: osc.allowed: unknown key (did you mean "
         "'allow'?)"),
        (SITE + "[report]\nretention = 30\n", "site.toml: report.retention: unknown key (did "
         "you mean 'retention_days'?)"),
        (SITE + "[artwork]\nmax_file_md = 3\n", "site.toml: artwork.max_file_md: unknown key "
         "(did you mean 'max_file_mb'?)"),
        (SITE + FIXTURE + "fps = 30\n", "site.toml: fixture[1].fps: unknown key"),
        (SITE + FIXTURE.replace("host =", "hots ="), "site.toml: output[1].hots: unknown key "
         "(did you mean 'host'?)"),
        (SITE + "[[schedule.window]]\nstart = 'sunset'\nend = '23:00'\nlevle = 0.5\n",
         "site.toml: schedule.window[1].levle: unknown key (did you mean 'level'?)"),
        (SITE + "[[schedule.windw]]\nstart = 'sunset'\nend = '23:00'\n",
         "site.toml: schedule.windw: unknown table (did you mean [schedule.window]?)"),
        (SITE + "[[fixtures]]\nname = 'x'\n", "site.toml: fixtures: unknown table (did you mean "
         "[fixture]?)"),
        (SITE + "[show]\nuntrusted_clock = 'drak'\n", "site.toml: show.untrusted_clock: 'drak' "
         "is not one of dark, schedule (did you mean 'dark'?)"),
        ("colour = 'red'\n" + SITE, "site.toml: colour: unknown key (known here: artwork, "),
    ],
)
def test_typos_are_refused_with_place_and_nearest_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    line = check(tmp_path, text, capsys)
    assert line.startswith("gobo: " + str(tmp_path / expected.split(": ", 1)[0]))
    assert expected.split(": ", 1)[1] in line


def test_a_typo_in_the_included_rules_file_names_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules.toml").write_text("[[window]]\nstart = 'sunset'\nned = '23:00'\n")
    line = check(tmp_path, SITE + "[schedule]\ninclude = 'rules.toml'\n", capsys)
    assert f"{tmp_path / 'rules.toml'}: schedule.window[1].ned: unknown key (did you mean " \
           "'end'?)" in line
    (tmp_path / "rules.toml").write_text("[schedule]\n[[schedule.window]]\nstart = 'sunset'\n"
                                         "end = '23:00'\n[extra]\n")
    line = check(tmp_path, SITE + "[schedule]\ninclude = 'rules.toml'\n", capsys)
    assert f"{tmp_path / 'rules.toml'}: extra: unknown table" in line


def test_the_shipped_configurations_read_cleanly(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    shutil.copy(repo / "controller" / "data" / "example-site.toml", tmp_path / "site.toml")
    shutil.copy(repo / "schedules" / "laikunlava.toml", tmp_path)
    config = load_site_config(tmp_path / "site.toml")
    assert config.patch.fixtures and config.schedule.windows


def test_reader_is_pure_and_names_places() -> None:
    root = Table({"show": {"fps": 30, "fsp": 1}, "n": True}, "", "site.toml")
    show = root.table("show")
    assert show.number("fps", 1, 44) == 30.0
    with pytest.raises(ConfigError) as caught:
        show.close()
    assert str(caught.value) == "site.toml: show.fsp: unknown key (did you mean 'fps'?)"
    with pytest.raises(ConfigError) as caught:
        root.integer("n", 0, 3)
    assert str(caught.value) == "site.toml: n: must be a whole number, not True"
    entries = Table({"fixture": [{"a": 1}, {"a": "x"}]}).tables("fixture")
    assert [entry.key for entry in entries] == ["fixture[1]", "fixture[2]"]
    with pytest.raises(ConfigError) as caught:
        entries[1].integer("a", 0, 9)
    assert caught.value.key == "fixture[2].a" and caught.value.file is None
    assert str(caught.value.in_file("x.toml")).startswith("x.toml: fixture[2].a: ")
