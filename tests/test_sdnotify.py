"""sd_notify against a real AF_UNIX datagram socket, as systemd would bind it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from control_show import short_dir

from controller.sdnotify import notify, watchdog_interval


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.settimeout(5)
    yield sock
    sock.close()


def test_notify_path_socket(receiver: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    path = short_dir() / "notify"
    receiver.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    assert notify("READY=1")
    assert notify("WATCHDOG=1")
    assert receiver.recv(64) == b"READY=1"
    assert receiver.recv(64) == b"WATCHDOG=1"


def test_notify_abstract_socket(receiver: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"gobo-test-{os.getpid()}"
    receiver.bind("\0" + name)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    assert notify("STATUS=showing cat")
    assert receiver.recv(64) == b"STATUS=showing cat"


def test_not_under_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


def test_dead_notify_socket_is_not_fatal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(short_dir() / "gone"))
    assert notify("READY=1") is False
    assert "sd_notify READY failed" in caplog.text


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("2000000", "self", 2.0),
        ("500000", None, 0.5),
        ("2000000", "1", None),  # meant for another process
        ("0", "self", None),
        ("soon", "self", None),
        (None, None, None),
    ],
)
def test_watchdog_interval(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, expected: float | None
) -> None:
    for name, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, str(os.getpid()) if value == "self" else value)
    assert watchdog_interval() == expected
