"""Login sessions with their CSRF tokens, and throttling of wrong passwords per address.

Pure bookkeeping on an explicit `now`: the app passes the clock in. Sessions live in the
console's memory, so a restart of `gobo web` asks everyone to log in again.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass

MAX_SESSIONS = 2000  # oldest dropped beyond this: a flood of logins cannot fill memory
MAX_TRACKED_ADDRESSES = 10000


@dataclass(frozen=True)
class Session:
    token: str
    user: str
    role: str
    csrf: str
    expires: float


class Sessions:
    def __init__(self, lifetime_s: float) -> None:
        self.lifetime_s = lifetime_s
        self._sessions: dict[str, Session] = {}

    def create(self, user: str, role: str, now: float) -> Session:
        self._prune(now)
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        session = Session(
            token=secrets.token_urlsafe(32),
            user=user,
            role=role,
            csrf=secrets.token_urlsafe(32),
            expires=now + self.lifetime_s,
        )
        self._sessions[session.token] = session
        return session

    def get(self, token: str | None, now: float) -> Session | None:
        session = self._sessions.get(token or "")
        if session is None:
            return None
        if session.expires <= now:
            del self._sessions[session.token]
            return None
        return session

    def end(self, token: str) -> None:
        self._sessions.pop(token, None)

    def _prune(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[token]


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and secrets.compare_digest(session.csrf, presented or "")


class LoginThrottle:
    """After `attempts` wrong passwords from one address within `window_s`, that address
    waits until the oldest of them is `window_s` old; a right password clears its count."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str, now: float) -> float:
        """Seconds this address must wait before trying again (0: it may try now)."""
        failures = self._recent(address, now)
        if len(failures) < self.attempts:
            return 0.0
        return max(1.0, failures[0] + self.window_s - now)

    def failed(self, address: str, now: float) -> None:
        if address not in self._failures and len(self._failures) >= MAX_TRACKED_ADDRESSES:
            self._forget_stale(now)
            if len(self._failures) >= MAX_TRACKED_ADDRESSES:
                del self._failures[next(iter(self._failures))]
        self._failures.setdefault(address, deque(maxlen=self.attempts)).append(now)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def _forget_stale(self, now: float) -> None:
        for address in list(self._failures):
            if not self._recent(address, now):
                del self._failures[address]
