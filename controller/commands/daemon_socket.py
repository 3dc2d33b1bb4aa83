"""Which control socket the live commands talk to, even while site.toml is broken.

Only [control] is read, without validating the whole site: a daemon keeps running
on its last good configuration while someone fixes site.toml, and `gobo blackout`
must reach it then. When [control] cannot be read, the socket this user last
reached for the same file is used (remembered under $XDG_STATE_HOME/gobo), else
the default one, and the caller says so in a warning line.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from controller.commands.common import UsageError

# Same defaults as controller.config, which is not imported: it pulls in every area's parser.
DEFAULT_CONFIG = Path("/etc/gobo/site.toml")
CONFIG_ENV = "GOBO_CONFIG"
DEFAULT_SOCKET = Path("/run/gobo/control.sock")
DEFAULT_GROUP = "gobo"
REMEMBERED = "control-sockets.json"


@dataclass(frozen=True)
class DaemonSocket:
    path: Path
    group: str
    config: Path | None = None
    broken: str | None = None  # why [control] could not be read: `path` is a fallback
    remembered: bool = False  # the fallback is the last socket reached, not the default

    def warning(self) -> str:
        which = "last known" if self.remembered else "default"
        return (
            f"warning: {self.config}: {self.broken}; using the {which} control socket {self.path}"
        )

    def not_reached(self, problem: str) -> str:
        return f"{self.config}: {self.broken}, and {problem}"


def daemon_socket(explicit: str | None) -> DaemonSocket:
    """The socket and group from [control] of --config, $GOBO_CONFIG or the default file."""
    chosen = explicit or os.environ.get(CONFIG_ENV)
    config = Path(chosen) if chosen else DEFAULT_CONFIG
    if not config.is_file():
        if chosen:
            raise UsageError(f"{config}: no such configuration file")
        return DaemonSocket(DEFAULT_SOCKET, DEFAULT_GROUP)
    try:
        path, group = _read_control(config)
    except ValueError as exc:
        remembered = _remembered().get(str(config.resolve()))
        if remembered is not None:
            return DaemonSocket(*remembered, config, str(exc), remembered=True)
        return DaemonSocket(DEFAULT_SOCKET, DEFAULT_GROUP, config, str(exc))
    _remember(config, path, group)
    return DaemonSocket(path, group, config)


def _read_control(config: Path) -> tuple[Path, str]:
    try:
        with config.open("rb") as handle:
            control = tomllib.load(handle).get("control", {})
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"cannot read [control]: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ValueError(f"cannot read [control]: {exc.strerror}") from None
    if not isinstance(control, dict):
        raise ValueError("control: must be a table [control]")
    socket_path, group = control.get("socket", str(DEFAULT_SOCKET)), control.get("group") or ""
    if not isinstance(socket_path, str) or not isinstance(group, str):
        raise ValueError("control.socket and control.group must be strings")
    resolved = Path(socket_path).expanduser()
    if not resolved.is_absolute():
        resolved = config.parent / resolved
    return resolved, group or DEFAULT_GROUP


def _state_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "gobo" / REMEMBERED


def _remembered() -> dict[str, tuple[Path, str]]:
    try:
        data = json.loads(_state_file().read_text())
        return {
            config: (Path(entry["socket"]), str(entry["group"]))
            for config, entry in data.items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RuntimeError):
        return {}  # none yet, or unreadable: the default socket it is


def _remember(config: Path, path: Path, group: str) -> None:
    """Note the socket for this file; quietly skipped where there is no writable home."""
    try:
        state = _state_file()
        key = str(config.resolve())
        known = {k: {"socket": str(p), "group": g} for k, (p, g) in _remembered().items()}
        entry = {"socket": str(path.absolute()), "group": group}
        if known.get(key) == entry:
            return
        known[key] = entry
        state.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{state.name}.", dir=state.parent)
    except (OSError, RuntimeError):
        return
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(known, handle, indent=1, sort_keys=True)
        os.replace(temp, state)
    except OSError:
        Path(temp).unlink(missing_ok=True)
