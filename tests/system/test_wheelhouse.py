"""The Raspberry Pi's wheelhouse (systemd/wheelhouse.sh, installed by `install.sh --wheelhouse`):
every dependency of this checkout resolves, with no index, to a wheel that runs on aarch64
CPython 3.11 under Bookworm's glibc 2.36. Checked offline; prepare.sh built it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.conftest import REPO
from tests.system import cache

PLATFORMS = [f"manylinux_2_{minor}_aarch64" for minor in range(36, 16, -1)]
PLATFORMS.append("manylinux2014_aarch64")
PI_TAGS = {
    *cpython_tags((3, 11), platforms=PLATFORMS),
    *compatible_tags((3, 11), "cp311", platforms=PLATFORMS),
}


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    return cache.wheelhouse("aarch64")


def _requirements() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {str(Requirement(r)) for r in project["dependencies"]}


def test_every_wheel_runs_on_a_pi(wheelhouse: Path) -> None:
    wheels = sorted(wheelhouse.glob("*.whl"))
    assert len(wheels) > len(_requirements())
    for wheel in wheels:
        _, _, _, tags = parse_wheel_filename(wheel.name)
        assert tags & PI_TAGS, f"{wheel.name} does not run on aarch64 CPython 3.11"
    assert not any(wheelhouse.glob("*.tar.gz")), "a source distribution would compile on the Pi"


def test_the_gobo_wheel_is_this_checkout(wheelhouse: Path) -> None:
    stamp = subprocess.run(
        [str(REPO / "systemd" / "source-hash"), str(REPO)], capture_output=True, text=True
    ).stdout.strip()
    assert (wheelhouse / ".gobo-source").read_text().strip() == f"{stamp}-aarch64"
    (wheel,) = wheelhouse.glob("gobo_controller-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode().splitlines()
    declared = {
        str(Requirement(line.split(": ", 1)[1]))
        for line in lines
        if line.startswith("Requires-Dist: ")
    }
    assert {r for r in declared if "extra ==" not in r} == _requirements()


def test_pip_resolves_every_dependency_from_it_offline(wheelhouse: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--target",
            str(tmp_path / "target"),
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--only-binary=:all:",
            *platforms,
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--report",
            str(report),
            "--quiet",
            "gobo-controller",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    chosen = {
        canonicalize_name(item["metadata"]["name"]): item["download_info"]["url"]
        for item in json.loads(report.read_text())["install"]
    }
    for requirement in _requirements():
        assert canonicalize_name(Requirement(requirement).name) in chosen, requirement
    for name, url in chosen.items():
        assert url.startswith(wheelhouse.as_uri()) and url.endswith(".whl"), (name, url)
