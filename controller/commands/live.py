"""Technicians' live commands: talk to the running daemon over the control socket.

Kept light on purpose (stdlib only, no full config validation): `gobo status`
must answer fast, and must still work while someone is fixing a broken site.toml
that the daemon has not loaded (controller.commands.daemon_socket).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from datetime import datetime
from typing import Any

from controller.commands.common import (
    CommandFailed,
    UsageError,
    add_json_option,
    new_command,
    print_json,
)
from controller.commands.daemon_socket import DaemonSocket, daemon_socket
from controller.control import ControlClient, ControlError, DaemonNotRunning

COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")
DURATION_RE = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = new_command(subparsers, "status", "daemon state, artwork, level, outputs, timing", _status)
    add_json_option(p)
    p = new_command(subparsers, "why", "one line: why the site is dark or what is showing", _why)
    add_json_option(p)
    p = new_command(subparsers, "set", "manual override of fixture attributes", _set)
    p.add_argument("fixture", metavar="FIXTURE")
    p.add_argument("values", metavar="ATTR=VALUE", nargs="+",
                   help="0..1, NN%%, or #rrggbb for color (e.g. intensity=50%% color=#ff8800)")
    p.add_argument("--for", dest="duration", metavar="DURATION", type=_duration_arg,
                   help="end the override after e.g. 90s, 10m, 1h30m (default: until resume)")
    add_json_option(p)
    p = new_command(subparsers, "identify", "flash one fixture so it can be found", _identify)
    p.add_argument("fixture", metavar="FIXTURE")
    p.add_argument("--for", dest="duration", metavar="DURATION", type=_duration_arg,
                   default=10.0, help="how long to flash (default 10s)")
    new_command(subparsers, "blackout", "all fixtures dark now, until `gobo resume`", _blackout)
    new_command(subparsers, "resume", "clear blackout and overrides: back to the schedule",
                _resume)
    p = new_command(subparsers, "play", "show one artwork now", _play)
    p.add_argument("artwork", metavar="ARTWORK")
    p.add_argument("--for", dest="duration", metavar="DURATION", type=_duration_arg,
                   help="return to the rotation after e.g. 10m (default: its usual turn)")
    add_json_option(p)
    p = new_command(subparsers, "next", "skip to the next artwork", _next)
    add_json_option(p)
    p = new_command(subparsers, "master", "grand master, scales every intensity", _master)
    p.add_argument("level", metavar="LEVEL", type=_level_arg, help="0..1 or NN%%")
    p = new_command(subparsers, "monitor", "live DMX values as they are sent", _monitor)
    p.add_argument("--universe", type=int, metavar="U", help="only this universe")
    p.add_argument("--once", action="store_true", help="print one dump and exit (for scripts)")
    add_json_option(p)


# --- pure parsing and formatting ----------------------------------------------------------


def parse_duration(text: str) -> float:
    """"90s", "10m", "1h30m", "1.5h" or plain seconds -> seconds (> 0)."""
    text = text.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        match = DURATION_RE.fullmatch(text)
        if not text or match is None:
            raise ValueError(f"{text!r} is not a duration like 90s, 10m or 1h30m") from None
        hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if not 0 < seconds < 366 * 86400:
        raise ValueError(f"{text!r}: a duration must be positive and under a year")
    return seconds


def parse_level(text: str) -> float:
    """"0.5" or "50%" -> 0.5, within 0..1."""
    text = text.strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a level (0..1 or NN%)") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is outside 0..1 (0%..100%)")
    return value


def parse_assignments(items: list[str]) -> dict[str, float | str]:
    """["intensity=50%", "color=#FF8800"] -> {"intensity": 0.5, "color": "#ff8800"}."""
    values: dict[str, float | str] = {}
    for item in items:
        attr, sep, raw = item.partition("=")
        attr = attr.strip().lower()
        if not sep or not attr or not raw.strip():
            raise ValueError(f"{item!r} is not ATTR=VALUE")
        if attr == "color":
            if not COLOR_RE.fullmatch(raw.strip()):
                raise ValueError(f"color={raw}: give #rrggbb, e.g. color=#ff8800")
            values[attr] = raw.strip().lower()
        else:
            try:
                values[attr] = parse_level(raw)
            except ValueError as exc:
                raise ValueError(f"{attr}: {exc}") from None
    return values


def clock(value: Any) -> str:
    """HH:MM for an ISO time (shown in its own offset, i.e. site time) or epoch seconds."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value).strftime("%H:%M")
        return datetime.fromisoformat(str(value)).strftime("%H:%M")
    except (ValueError, OverflowError, OSError):
        return str(value)


def describe_transition(value: Any) -> str:
    if not value:
        return "none scheduled"
    if isinstance(value, dict):
        when = value.get("at") or value.get("time")
        what = value.get("what") or value.get("to") or value.get("event") or "change"
        return f"{what} at {clock(when)}" if when else str(what)
    return clock(value)


def format_status(status: dict[str, Any]) -> list[str]:
    lines = [f"state     {status.get('state', '?')}"]
    artwork = status.get("artwork")
    lines.append(f"artwork   {artwork or '-'}")
    level, master = status.get("level"), status.get("master")
    lines.append(f"level     {_num(level)} x master {_num(master)}")
    if status.get("window"):
        lines.append(f"window    {status['window']}")
    for name, override in sorted((status.get("overrides") or {}).items()):
        if isinstance(override, dict):
            values = ", ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                for k, v in (override.get("values") or {}).items()
            )
            until = clock(override["until"]) if override.get("until") else "resume"
            by = f" by {override['by']}" if override.get("by") else ""
            lines.append(f"override  {name}: {values} until {until}{by}")
    lines.append(f"next      {describe_transition(status.get('next_transition'))}")
    outputs = status.get("outputs") or {}
    if not outputs:
        lines.append("outputs   none")
    for index, (name, health) in enumerate(sorted(outputs.items())):
        label = "outputs" if index == 0 else ""
        if isinstance(health, dict):
            text = str(health.get("state", "?"))
            if health.get("detail"):
                text += f" ({health['detail']})"
            if health.get("since") is not None:
                text += f" since {clock(health['since'])}"
        else:
            text = str(health)
        lines.append(f"{label:<9} {name}: {text}")
    if isinstance(status.get("nodes"), list):
        lines.append(f"nodes     {len(status['nodes'])} Art-Net nodes answering (gobo nodes)")
    lines += [f"warning   {w}" for w in status.get("wire_warnings") or []]
    frame = status.get("frame") or {}
    if frame:
        lines.append(
            f"frames    {_num(frame.get('fps'), 1)} fps, {frame.get('late', 0)} late, "
            f"jitter p99 {_num(frame.get('jitter_p99_ms'), 2)} ms, "
            f"max {_num(frame.get('jitter_max_ms'), 2)} ms"
        )
    osc = status.get("osc")
    if isinstance(osc, dict):
        lines.append(
            f"osc       {osc.get('received', 0)} received, {osc.get('handled', 0)} handled, "
            f"{osc.get('malformed', 0)} malformed, {osc.get('unknown', 0)} unknown address, "
            f"{osc.get('ignored', 0)} ignored, {osc.get('refused_source', 0)} refused"
        )
    if status.get("why"):
        lines.append(f"why       {status['why']}")
    return lines


def format_dump(frames: dict[str, list[int]], per_row: int) -> list[str]:
    """Channel values per universe, `per_row` to a line with 1-based channel numbers;
    runs of all-zero rows collapse into one line so a screen holds a whole universe."""
    lines: list[str] = []
    for name in sorted(frames, key=_universe_sort_key):
        values = frames[name]
        lines.append(f"{name}  ({sum(1 for v in values if v)} of {len(values)} channels lit)")
        row = 0
        while row < len(values):
            chunk = values[row : row + per_row]
            if any(chunk):
                cells = " ".join(f"{v:3d}" for v in chunk)
                lines.append(f"{row + 1:>4}: {cells}")
                row += per_row
                continue
            end = row
            while end < len(values) and not any(values[end : end + per_row]):
                end += per_row
            last = min(end, len(values))
            lines.append(f"{row + 1:>4}-{last}: all 0")
            row = end
        lines.append("")
    return lines


def _universe_sort_key(name: str) -> tuple[str, int]:
    output, _, universe = name.rpartition("/")
    return (output, int(universe)) if universe.isdigit() else (name, 0)


def _num(value: Any, digits: int = 2) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.{digits}f}"
    return "-"


# --- argparse glue ------------------------------------------------------------------------


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _level_arg(text: str) -> float:
    try:
        return parse_level(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _daemon(args: argparse.Namespace) -> tuple[DaemonSocket, ControlClient]:
    target = daemon_socket(getattr(args, "config", None))
    if target.broken:
        print(f"gobo: {target.warning()}", file=sys.stderr, flush=True)
    return target, ControlClient(target.path, target.group)


def _failed(target: DaemonSocket, exc: ControlError) -> Exception:
    if target.broken and isinstance(exc, DaemonNotRunning):
        return UsageError(target.not_reached(str(exc)))  # the broken file is the real trouble
    return CommandFailed(str(exc))


def _request(args: argparse.Namespace, cmd: str, **kwargs: Any) -> Any:
    target, client = _daemon(args)
    try:
        return client.request(cmd, **kwargs)
    except ControlError as exc:
        raise _failed(target, exc) from None


def _source(args: argparse.Namespace) -> str:
    return f"gobo {args.command}"


def _status(args: argparse.Namespace) -> int:
    status = _request(args, "status")
    if args.json:
        print_json(status)
    else:
        print("\n".join(format_status(status)))
    return 0


def _why(args: argparse.Namespace) -> int:
    why = _request(args, "why")
    if args.json:
        print_json({"why": why})
    else:
        print(why)
    return 0


def _set(args: argparse.Namespace) -> int:
    try:
        values = parse_assignments(args.values)
    except ValueError as exc:
        raise UsageError(f"set: {exc}") from None
    result = _request(
        args, "set", fixture=args.fixture, values=values, duration_s=args.duration,
        source=_source(args),
    )
    if args.json:
        print_json(result)
    else:
        shown = ", ".join(
            f"{k}={v}" if isinstance(v, str) else f"{k}={v:.0%}" for k, v in values.items()
        )
        until = f"for {_human_duration(args.duration)}" if args.duration else "until gobo resume"
        print(f"{args.fixture}: {shown} ({until})")
    return 0


def _identify(args: argparse.Namespace) -> int:
    _request(args, "identify", fixture=args.fixture, seconds=args.duration)
    print(f"{args.fixture}: flashing for {_human_duration(args.duration)}")
    return 0


def _blackout(args: argparse.Namespace) -> int:
    _request(args, "blackout", on=True, source=_source(args))
    print("blackout: all fixtures dark (gobo resume returns to the schedule)")
    return 0


def _resume(args: argparse.Namespace) -> int:
    _request(args, "resume", source=_source(args))
    print("resumed: blackout and overrides cleared, following the schedule")
    return 0


def _play(args: argparse.Namespace) -> int:
    shown = _request(
        args, "play", artwork=args.artwork, duration_s=args.duration, source=_source(args)
    )
    if args.json:
        print_json({"artwork": shown, "duration_s": args.duration})
    else:
        until = f" for {_human_duration(args.duration)}" if args.duration else ""
        print(f"playing {shown}{until}")
    return 0


def _next(args: argparse.Namespace) -> int:
    shown = _request(args, "next", source=_source(args))
    if args.json:
        print_json({"artwork": shown})
    else:
        print(f"now showing {shown}" if shown else "no approved artwork to show")
    return 0


def _master(args: argparse.Namespace) -> int:
    _request(args, "master", level=args.level, source=_source(args))
    print(f"master {args.level:.0%}")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    target, client = _daemon(args)
    try:
        if args.once:
            frames = client.request("monitor", universe=args.universe)
            if args.json:
                print_json(frames)
            else:
                print("\n".join(format_dump(frames, _per_row())))
            return 0
        live = sys.stdout.isatty()
        for frames in client.stream("monitor", universe=args.universe):
            if args.json:
                print(json.dumps(frames, separators=(",", ":")), flush=True)
                continue
            lines = format_dump(frames, _per_row())
            if live:  # redraw in place: home, clear screen
                sys.stdout.write("\x1b[H\x1b[2J")
            stamp = datetime.now().strftime("%H:%M:%S.%f")[:-4]
            sys.stdout.write(f"gobo monitor  {stamp}  (Ctrl-C to stop)\n" + "\n".join(lines) + "\n")
            sys.stdout.flush()
    except ControlError as exc:
        raise _failed(target, exc) from None
    except KeyboardInterrupt:
        return 0
    return 0


def _per_row() -> int:
    # 32 values need 6 + 32*4 = 134 columns; fall back to 16 on an ordinary terminal
    return 32 if shutil.get_terminal_size().columns >= 134 else 16


def _human_duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"
