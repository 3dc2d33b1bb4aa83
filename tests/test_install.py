"""systemd/install.sh run into a throwaway root: layout, owners, idempotence, upgrade, removal."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, need, need_tool

INSTALL = REPO / "systemd" / "install.sh"
EXAMPLE = REPO / "controller" / "data" / "example-site.toml"
MINIMAL_SITE = '[site]\nname = "test"\nlatitude = 61.4978\nlongitude = 23.761\n'


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    need(os.geteuid() == 0, "the installer sets owners: run the tests as root (as CI does)")
    for tool in ("systemd-sysusers", "systemd-tmpfiles", "systemctl"):
        need_tool(tool)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the parts of the checkout the installer reads with --no-venv."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "systemd", src / "systemd")
    data = src / "controller" / "data"
    data.mkdir(parents=True)
    shutil.copy(EXAMPLE, data / "example-site.toml")
    shutil.copytree(REPO / "schedules", src / "schedules")
    return src


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


def run(root: Path, source: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(INSTALL), "--root", str(root), "--source", str(source), "--no-venv", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == expect, result.stdout + result.stderr
    return result


def manifest(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path under root with mode, owner, content hash (or link target) and file mtime.

    Directory mtimes are left out: systemd-sysusers takes its lock in etc/ on every run."""
    entries: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            content: str = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = ""
        mtime = 0 if stat.S_ISDIR(info.st_mode) else info.st_mtime_ns
        key = str(path.relative_to(root))
        entries[key] = (oct(info.st_mode), info.st_uid, info.st_gid, content, mtime)
    return entries


def ids(root: Path, db: str) -> dict[str, tuple[int, list[str]]]:
    """name -> (numeric id, members) from root/etc/passwd or root/etc/group."""
    table = {}
    for line in (root / "etc" / db).read_text().splitlines():
        fields = line.split(":")
        members = fields[3].split(",") if db == "group" and fields[3] else []
        table[fields[0]] = (int(fields[2]), members)
    return table


def owner(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return oct(stat.S_IMODE(info.st_mode)), info.st_uid, info.st_gid


def test_install_lays_out_files_users_and_enablement(root: Path, source: Path) -> None:
    run(root, source)
    users = ids(root, "passwd")
    groups = ids(root, "group")
    gobo_uid = users["gobo"][0]
    gobo_gid, _ = groups["gobo"]
    artists_gid, artists = groups["gobo-artists"]
    assert "gobo" in artists
    assert "gobo" in groups["dialout"][1]
    entry = next(u for u in (root / "etc/passwd").read_text().splitlines() if u.startswith("gobo:"))
    assert entry.split(":")[5:] == ["/var/lib/gobo", "/usr/sbin/nologin"]

    for shipped in (
        "etc/systemd/system/gobo.service",
        "etc/systemd/system/gobo-web.service",
        "etc/udev/rules.d/99-gobo-enttec.rules",
        "etc/sysusers.d/gobo.conf",
        "etc/tmpfiles.d/gobo.conf",
    ):
        assert owner(root / shipped) == ("0o644", 0, 0), shipped
    unit = (root / "etc/systemd/system/gobo.service").read_bytes()
    assert unit == (source / "systemd/gobo.service").read_bytes()

    site = root / "etc/gobo/site.toml"
    assert site.read_bytes() == (source / "controller/data/example-site.toml").read_bytes()
    assert owner(site) == ("0o640", 0, gobo_gid)
    rules = root / "etc/gobo/laikunlava.toml"  # the example's [schedule] include, beside it
    assert rules.read_bytes() == (source / "schedules/laikunlava.toml").read_bytes()
    assert owner(root / "etc/gobo") == ("0o755", 0, 0)
    # Shared with technicians (group gobo): setgid keeps the group, sticky keeps the daemon's files.
    assert owner(root / "var/lib/gobo") == ("0o3770", gobo_uid, gobo_gid)
    assert owner(root / "srv/gobo") == ("0o755", 0, 0)
    assert owner(root / "srv/gobo/inbox") == ("0o2775", gobo_uid, artists_gid)

    for name in ("gobo.service", "gobo-web.service"):
        wants = root / "etc/systemd/system/multi-user.target.wants" / name
        assert os.readlink(wants) == f"/etc/systemd/system/{name}"
    assert os.readlink(root / "usr/local/bin/gobo") == "/opt/gobo/venv/bin/gobo"


def test_inbox_gives_uploads_the_artists_group(root: Path, source: Path) -> None:
    run(root, source)
    drawing = root / "srv/gobo/inbox/ada/sun.png"
    drawing.parent.mkdir()
    drawing.write_bytes(b"\x89PNG")
    artists_gid = ids(root, "group")["gobo-artists"][0]
    assert drawing.stat().st_gid == artists_gid
    assert drawing.parent.stat().st_mode & stat.S_ISGID


def test_second_run_changes_nothing(root: Path, source: Path) -> None:
    run(root, source)
    before = manifest(root)
    second = run(root, source)
    assert manifest(root) == before
    assert "installed" not in second.stdout
    assert "kept /etc/gobo/site.toml" in second.stdout


def test_existing_configuration_is_never_overwritten(root: Path, source: Path) -> None:
    own = "# the technician's own site\n" + MINIMAL_SITE
    (root / "etc/gobo").mkdir(parents=True)
    (root / "etc/gobo/site.toml").write_text(own)
    run(root, source)
    assert (root / "etc/gobo/site.toml").read_text() == own
    (root / "etc/gobo/site.toml").write_text(own + "# edited later\n")
    run(root, source)
    assert (root / "etc/gobo/site.toml").read_text() == own + "# edited later\n"


def test_upgrade_replaces_the_unit_and_keeps_every_drawing(root: Path, source: Path) -> None:
    run(root, source)
    kept = {
        "etc/gobo/site.toml": b"# edited on site\n",
        "var/lib/gobo/library.sqlite": b"SQLite format 3\x00",
        "var/lib/gobo/originals/ada-sun.png": b"\x89PNG original",
        "var/lib/gobo/runlog.jsonl": b'{"night": "2026-11-27"}\n',
        "srv/gobo/inbox/ada/moon.jpg": b"\xff\xd8\xff",
    }
    for relative, content in kept.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)

    unit = source / "systemd/gobo.service"
    unit.write_text(unit.read_text().replace("MemoryMax=400M", "MemoryMax=300M"))
    upgrade = run(root, source)

    assert "installed /etc/systemd/system/gobo.service" in upgrade.stdout
    assert "MemoryMax=300M" in (root / "etc/systemd/system/gobo.service").read_text()
    for relative, content in kept.items():
        assert (root / relative).read_bytes() == content, relative


def test_uninstall_keeps_data_and_purge_removes_it(root: Path, source: Path) -> None:
    run(root, source)
    drawing = root / "srv/gobo/inbox/sun.png"
    drawing.write_bytes(b"\x89PNG")
    (root / "var/lib/gobo/library.sqlite").write_bytes(b"SQLite format 3\x00")

    removed = run(root, source, "--uninstall")
    for gone in (
        "etc/systemd/system/gobo.service",
        "etc/systemd/system/multi-user.target.wants/gobo.service",
        "etc/systemd/system/gobo-web.service",
        "etc/systemd/system/multi-user.target.wants/gobo-web.service",
        "etc/udev/rules.d/99-gobo-enttec.rules",
        "etc/sysusers.d/gobo.conf",
        "etc/tmpfiles.d/gobo.conf",
        "opt/gobo",
        "usr/local/bin/gobo",
    ):
        assert not (root / gone).exists() and not (root / gone).is_symlink(), gone
    assert drawing.read_bytes() == b"\x89PNG"
    assert (root / "var/lib/gobo/library.sqlite").is_file()
    assert (root / "etc/gobo/site.toml").is_file()
    assert "--purge" in removed.stdout

    run(root, source, "--uninstall", "--purge")
    for gone in ("etc/gobo", "var/lib/gobo", "srv/gobo"):
        assert not (root / gone).exists(), gone
    assert "gobo" in ids(root, "passwd")  # Debian practice: system users outlive a purge


def test_a_gobo_command_that_is_not_ours_is_kept(root: Path, source: Path) -> None:
    own = root / "usr/local/bin/gobo"
    own.parent.mkdir(parents=True)
    own.write_text("#!/bin/sh\n")
    result = run(root, source)
    assert "kept /usr/local/bin/gobo (not ours" in result.stdout
    run(root, source, "--uninstall")
    assert own.read_text() == "#!/bin/sh\n"


def test_upgrade_lets_group_gobo_write_an_old_0640_catalogue(root: Path, source: Path) -> None:
    run(root, source)
    uid = ids(root, "passwd")["gobo"][0]
    gid = ids(root, "group")["gobo"][0]
    catalogue = root / "var/lib/gobo/library.sqlite3"
    catalogue.write_bytes(b"SQLite format 3\x00")
    os.chown(catalogue, uid, gid)
    catalogue.chmod(0o640)
    someone_elses = root / "var/lib/gobo/library.sqlite3-wal"  # not the gobo user's: untouched
    someone_elses.write_bytes(b"")
    someone_elses.chmod(0o600)
    run(root, source)
    assert owner(catalogue) == ("0o660", uid, gid)
    assert owner(someone_elses)[0] == "0o600"


def test_reinstall_after_uninstall_restores_the_service(root: Path, source: Path) -> None:
    run(root, source)
    run(root, source, "--uninstall")
    run(root, source)
    assert (root / "etc/systemd/system/multi-user.target.wants/gobo.service").is_symlink()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--purge"], "--purge goes with --uninstall"),
        (["--frobnicate"], "unknown option: --frobnicate"),
        (["--wheelhouse"], "--wheelhouse needs a directory"),
    ],
)
def test_bad_usage_exits_2_with_one_line(
    root: Path, source: Path, args: list[str], message: str
) -> None:
    result = run(root, source, *args, expect=2)
    assert result.stderr.splitlines() == [f"install.sh: {message} (see --help)"]
    assert not any(root.iterdir())


def test_missing_root_directory_is_a_usage_error(tmp_path: Path, source: Path) -> None:
    result = run(tmp_path / "nowhere", source, expect=2)
    assert "nowhere: no such directory" in result.stderr


def test_wheelhouse_without_gobo_wheel_is_a_usage_error(tmp_path: Path, source: Path) -> None:
    empty = tmp_path / "wheels"
    empty.mkdir()
    for where, message in (
        (empty, f"--wheelhouse {empty} has no gobo_controller wheel"),
        (tmp_path / "none", f"--wheelhouse {tmp_path / 'none'}: no such directory"),
    ):
        result = run(tmp_path, source, "--wheelhouse", str(where), expect=2)
        assert result.stderr.startswith(f"install.sh: {message}"), result.stderr


def test_source_without_example_configuration_fails_naming_it(root: Path, source: Path) -> None:
    (source / "controller/data/example-site.toml").unlink()
    result = run(root, source, expect=1)
    assert "example-site.toml is missing" in result.stderr
    assert not (root / "etc/gobo/site.toml").exists()


def test_installer_script_is_clean() -> None:
    subprocess.run(["bash", "-n", str(INSTALL)], check=True)
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run([shellcheck, str(INSTALL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
