"""Control socket: a real ControlServer on a Unix socket, a real client."""

from __future__ import annotations

import grp
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from control_show import TinyShow, server_in_thread, short_dir

from controller.control import MAX_LINE, ControlClient, ControlError, DaemonNotRunning
from controller.control_server import MAX_MONITORS


@pytest.fixture
def sock_path() -> Path:
    return short_dir() / "control.sock"


def raw_exchange(path: Path, payload: bytes) -> list[dict]:
    """Send raw bytes, half-close, and read every response line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [json.loads(line) for line in data.splitlines()]


def test_socket_mode_is_0660_and_group_applied(sock_path: Path) -> None:
    group = grp.getgrgid(os.getegid()).gr_name
    with server_in_thread(sock_path, TinyShow(), group=group):
        info = sock_path.stat()
        assert stat.S_ISSOCK(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o660
        assert info.st_gid == os.getegid()
    assert not sock_path.exists()  # removed on close


def test_missing_group_keeps_0660_and_logs(
    sock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with server_in_thread(sock_path, TinyShow(), group="no-such-group-gobo"):
        assert stat.S_IMODE(sock_path.stat().st_mode) == 0o660
        assert ControlClient(sock_path).request("ping") == "pong"
    assert "no-such-group-gobo" in caplog.text and "does not exist" in caplog.text


def test_stale_socket_is_replaced(sock_path: Path) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock_path))
    stale.close()  # leaves the file behind, like a daemon killed with -9
    assert sock_path.exists()
    with pytest.raises(DaemonNotRunning, match="stale socket"):
        ControlClient(sock_path).request("ping")
    with server_in_thread(sock_path, TinyShow()):
        assert ControlClient(sock_path).request("ping") == "pong"


def test_never_replaces_a_file_that_is_not_a_socket(sock_path: Path) -> None:
    sock_path.write_text("[site]\n")
    with pytest.raises(ControlError, match="is not a socket"), server_in_thread(
        sock_path, TinyShow()
    ):
        pass
    assert sock_path.read_text() == "[site]\n"


def test_refuses_to_start_when_another_daemon_answers(sock_path: Path) -> None:
    with server_in_thread(sock_path, TinyShow()):
        with pytest.raises(ControlError, match="already answering"), server_in_thread(
            sock_path, TinyShow()
        ):
            pass
        assert ControlClient(sock_path).request("ping") == "pong"  # first one untouched


def test_requests_reach_the_show(sock_path: Path) -> None:
    show = TinyShow()
    client = ControlClient(sock_path)
    with server_in_thread(sock_path, show, osc_stats=lambda: {"received": 3}):
        status = client.request("status")
        assert status["state"] == "showing" and status["artwork"] == "cat"
        assert status["osc"] == {"received": 3}
        result = client.request(
            "set", fixture="wash", values={"intensity": 0.5, "color": "#ff8800"}, duration_s=600,
            source="gobo set",
        )
        assert result["values"] == {"intensity": 0.5, "color": "#ff8800"}
        assert show.durations["wash"] == 600
        user = __import__("pwd").getpwuid(os.geteuid()).pw_name
        assert show.sources[-1] == f"gobo set ({user})"
        client.request("master", level=0.25, source="gobo master")
        assert show.master == 0.25
        client.request("blackout", on=True, source="gobo blackout")
        assert client.request("status")["state"] == "blackout"
        # the server appends who connected (SO_PEERCRED) to the source
        assert show.blackout_source == f"gobo blackout ({user})"
        assert client.request("why") == f"blackout by gobo blackout ({user})"
        client.request("resume")
        assert show.blackout_source is None and show.overrides == {}
        assert client.request("play", artwork="boat") == "boat"
        assert client.request("next") == "sun"
        client.request("identify", fixture="gobo-1", seconds=5)
        assert show.identified == [("gobo-1", 5.0)]
        frames = client.request("monitor", universe=1)
        assert list(frames) == ["main/1"] and frames["main/1"][0] == round(0.25 * 255)


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ({"cmd": "set", "fixture": "nope", "values": {"intensity": 1}}, "unknown fixture 'nope'"),
        ({"cmd": "set", "fixture": "wash", "values": {"pan": 1}}, "has no attribute 'pan'"),
        ({"cmd": "set", "fixture": "wash", "values": {"intensity": 2}}, "within 0..1"),
        ({"cmd": "set", "fixture": "wash", "values": {"intensity": "hi"}}, "needs a number"),
        ({"cmd": "set", "fixture": "wash", "values": {}}, "at least one"),
        ({"cmd": "set", "fixture": 3, "values": {"red": 1}}, "'fixture' must be str"),
        ({"cmd": "play", "artwork": "dragon"}, "unknown artwork 'dragon'"),
        ({"cmd": "master"}, "missing 'level'"),
        ({"cmd": "master", "level": True}, "must be float"),
        ({"cmd": "play", "artwork": "cat", "duration_s": -5}, "positive number"),
        ({"cmd": "monitor", "universe": "one"}, "must be int"),
        ({"cmd": "launch"}, "unknown command 'launch'"),
    ],
)
def test_invalid_requests_get_one_line_errors(sock_path: Path, request_: dict, error: str) -> None:
    show = TinyShow()
    with server_in_thread(sock_path, show):
        [reply] = raw_exchange(sock_path, json.dumps(request_).encode() + b"\n")
        assert reply["ok"] is False and error in reply["error"]
        assert "\n" not in reply["error"]
        assert show.master == 1.0 and show.overrides == {} and show.pinned is None


def test_malformed_lines_do_not_break_the_connection_or_server(sock_path: Path) -> None:
    show = TinyShow()
    with server_in_thread(sock_path, show):
        lines = [b"not json", b"[1, 2]", b'{"cmd": 5}', b"\xff\xfe{", b'{"cmd": "ping"}']
        payload = b"\n".join(lines) + b"\n"
        replies = raw_exchange(sock_path, payload)
        assert [r["ok"] for r in replies] == [False, False, False, False, True]
        assert replies[0]["error"] == "request is not valid JSON"
        # an over-long line is answered and the connection closed; the server lives on
        [reply] = raw_exchange(sock_path, b"x" * (MAX_LINE + 10) + b"\n")
        assert reply == {"ok": False, "error": f"request too long (limit {MAX_LINE} bytes)"}
        # deeply nested JSON is refused, not a crash
        [reply] = raw_exchange(sock_path, b"[" * 50_000 + b"\n")
        assert reply["ok"] is False
        assert ControlClient(sock_path).request("ping") == "pong"


def test_engine_exception_is_contained(sock_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    show = TinyShow()
    with server_in_thread(sock_path, show):
        show.fail_with = RuntimeError("frame buffer exploded")
        with pytest.raises(ControlError, match="internal error in the daemon: frame buffer"):
            ControlClient(sock_path).request("status")
        assert ControlClient(sock_path).request("status")["state"] == "showing"
    assert "frame buffer exploded" in caplog.text  # traceback in the daemon log


def test_monitor_stream_pushes_until_client_leaves(sock_path: Path) -> None:
    show = TinyShow()
    with server_in_thread(sock_path, show, monitor_interval=0.01) as server:
        stream = ControlClient(sock_path).stream("monitor", universe=1)
        first = next(stream)
        assert first["main/1"][0] == 255
        show.master = 0.0
        seen = next(f for f in stream if f["main/1"][0] == 0)  # later pushes follow the show
        assert seen["main/1"][1:5] == [0, 0, 0, 0]
        stream.close()
        assert ControlClient(sock_path).request("ping") == "pong"
        assert server._listener is not None


def test_client_without_daemon(sock_path: Path) -> None:
    with pytest.raises(DaemonNotRunning) as info:
        ControlClient(sock_path).request("status")
    assert str(info.value) == f"gobo daemon is not running (no socket at {sock_path})"


def test_client_without_permission_is_told_to_join_the_group(sock_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user for the client")
    sock_path.parent.chmod(0o755)
    with server_in_thread(sock_path, TinyShow()):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: drop to nobody (not in the socket's group) and try to connect
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                ControlClient(sock_path, "gobo").request("ping")
                message = "connected"
            except Exception as exc:
                message = str(exc)
            os.write(write_end, message.encode())
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(pid, 0)
    assert message.startswith(f"permission denied on {sock_path}: add yourself to group gobo")


def test_request_read_after_its_deadline_is_refused_not_carried_out(sock_path: Path) -> None:
    show = TinyShow()
    with server_in_thread(sock_path, show):
        late = {"cmd": "blackout", "on": True, "deadline": time.monotonic() - 0.001}
        [reply] = raw_exchange(sock_path, json.dumps(late).encode() + b"\n")
        assert reply == {
            "ok": False,
            "error": "blackout: not carried out: the daemon read it after its deadline"
            " (the client had given up)",
        }
        assert show.blackout_source is None and show.sources == []
        in_time = {**late, "deadline": time.monotonic() + 60}
        assert raw_exchange(sock_path, json.dumps(in_time).encode() + b"\n")[0]["ok"]
        assert show.blackout_source is not None
        [reply] = raw_exchange(sock_path, b'{"cmd": "ping", "deadline": "soon"}\n')
        assert reply["error"] == "'deadline' must be a number, not 'soon'"


def test_idle_connections_are_bounded_and_the_cli_gets_through(
    sock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with server_in_thread(sock_path, TinyShow(), max_connections=8) as server:
        idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(40)]
        try:
            for sock in idle:
                sock.settimeout(10)
                sock.connect(str(sock_path))
            assert ControlClient(sock_path).request("ping") == "pong"
            # the oldest idle connections were closed to make room: they read EOF
            assert idle[0].recv(1) == b""
            assert len(server._clients) <= 8
        finally:
            for sock in idle:
                sock.close()
    lines = [r for r in caplog.records if "idle for" in r.getMessage()]
    assert 1 <= len(lines) <= 2  # the first, and one summary at close


def test_a_connection_that_says_nothing_is_closed(sock_path: Path) -> None:
    with (
        server_in_thread(sock_path, TinyShow(), idle_timeout=0.2),
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock,
    ):
        sock.settimeout(10)
        sock.connect(str(sock_path))
        sock.sendall(b'{"cmd": "ping"}\n')
        assert sock.recv(100).startswith(b'{"ok": true')
        assert sock.recv(1) == b""  # then closed once idle, without a word from us


def test_monitor_streams_are_bounded(sock_path: Path) -> None:
    with server_in_thread(sock_path, TinyShow(), monitor_interval=0.05):
        streams = [ControlClient(sock_path).stream("monitor") for _ in range(MAX_MONITORS)]
        for stream in streams:
            next(stream)
        with pytest.raises(ControlError, match=f"too many monitors open \\(limit {MAX_MONITORS}"):
            next(ControlClient(sock_path).stream("monitor"))
        assert ControlClient(sock_path).request("ping") == "pong"  # requests still get through
        streams.pop().close()
        assert ControlClient(sock_path).request("ping") == "pong"
        wait_for_stream(sock_path).close()
        for stream in streams:
            stream.close()


def wait_for_stream(sock_path: Path) -> Iterator[Any]:
    """A new monitor once a closed one has been noticed by the server (it notices on write)."""
    for _ in range(200):
        try:
            stream = ControlClient(sock_path).stream("monitor")
            next(stream)
            return stream
        except ControlError:
            time.sleep(0.05)
    raise AssertionError("a monitor slot never came free")
