"""Minimal sd_notify(3): tell systemd we are ready and still alive.

No libsystemd binding: one AF_UNIX datagram per message is the whole protocol,
and outside systemd ($NOTIFY_SOCKET unset) every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def _socket_address() -> str | None:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return None
    # '@' marks Linux's abstract namespace, spelled with a leading NUL on the wire.
    return "\0" + address[1:] if address.startswith("@") else address


def notify(message: str) -> bool:
    """Send e.g. "READY=1", "WATCHDOG=1", "STOPPING=1"; True if systemd got it."""
    address = _socket_address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode(), address)
    except OSError as exc:
        # A lost notification must never take the show down with it.
        log.warning("sd_notify %s failed: %s", message.split("=", 1)[0], exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """The watchdog timeout in seconds if systemd watches this process, else None.

    systemd recommends pinging at half this interval.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None  # meant for another process (e.g. our parent)
    return int(usec) / 1_000_000
