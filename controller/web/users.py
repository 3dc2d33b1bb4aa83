"""Console users: a JSON file under the state directory with argon2id password hashes.

`gobo web user add|remove|list` edits it; the running console notices a change by the
file's mtime, so a removed user's sessions end at their next request.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hardware.durable import write_durably

ROLES = ("artist", "curator", "technician")  # each may do what the ones before it may
MIN_PASSWORD = 8
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes)
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(ValueError):
    """A refused user operation, in one line."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    created: float

    def may(self, role: str) -> bool:
        """True when this user's role includes `role` (technician > curator > artist)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UserError(
            f"user name {name!r}: use 1-32 lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


class UserStore:
    """The users file; every write replaces it atomically with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._users: dict[str, User] = {}
        self._stamp: tuple[int, int] | None = None

    def users(self) -> dict[str, User]:
        """The current users, re-read when the file changed since the last call."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._users, self._stamp = {}, None
            return self._users
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != self._stamp:
            self._users = self._read()
            self._stamp = stamp
        return self._users

    def get(self, name: str) -> User | None:
        return self.users().get(name)

    def add(self, name: str, role: str, password: str) -> User:
        check_name(name)
        check_role(role)
        user = User(name, role, hash_password(password), time.time())
        users = dict(self.users())
        users[name] = user  # an existing name gets the new role and password
        self._write(users)
        return user

    def remove(self, name: str) -> None:
        users = dict(self.users())
        if name not in users:
            raise UserError(f"no console user {name!r}")
        del users[name]
        self._write(users)

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None; slow on purpose (argon2)."""
        user = self.users().get(name)
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user

    def _read(self) -> dict[str, User]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                name: User(name, entry["role"], entry["hash"], float(entry.get("created", 0)))
                for name, entry in data["users"].items()
                if entry.get("role") in ROLES
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UserError(f"{self.path}: unreadable users file ({exc})") from None

    def _write(self, users: dict[str, User]) -> None:
        document = {
            "users": {
                u.name: {"role": u.role, "hash": u.password_hash, "created": u.created}
                for u in sorted(users.values(), key=lambda u: u.name)
            }
        }
        write_durably(self.path, (json.dumps(document, indent=2) + "\n").encode())  # mode 0600
        self._users = users
        self._stamp = None


DEMO_USERS = (("artist", "artist"), ("curator", "curator"), ("technician", "technician"))


def add_demo_users(store: UserStore) -> list[dict[str, str]]:
    """The demo site's console users, one per role, password `demo-<role>` (a demo only)."""
    made = []
    for name, role in DEMO_USERS:
        password = f"demo-{role}"
        store.add(name, role, password)
        made.append({"name": name, "role": role, "password": password})
    return made
