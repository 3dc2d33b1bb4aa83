"""Who is asking: the session cookie, roles, CSRF on every change, login and logout."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from controller.web.context import Console
from controller.web.sessions import Session, csrf_ok
from controller.web.users import ROLES

log = logging.getLogger("gobo.web")

COOKIE = "gobo_session"
_hashing = asyncio.Semaphore(1)  # argon2 takes 64 MiB per check: one at a time


class Denied(Exception):
    """A refused request: its HTTP status and one line for the person or script."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def console(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def may(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def client_address(request: Request) -> str:
    # uvicorn has already replaced it from X-Forwarded-For when the peer is a trusted proxy.
    return request.client.host if request.client else "unknown"


def session_of(request: Request) -> Session | None:
    """The request's session, if it is live and its user still exists with the same role."""
    c = console(request)
    session = c.sessions.get(request.cookies.get(COOKIE), c.now())
    if session is None:
        return None
    user = c.users.get(session.user)
    if user is None or user.role != session.role:  # removed or changed with `gobo web user`
        c.sessions.end(session.token)
        return None
    return session


def require(request: Request, role: str = "artist", csrf: str | None = None) -> Session:
    """The session of a user with at least `role`; for a change (any POST) also the CSRF
    token from X-CSRF-Token, or `csrf` when the caller read it from a form field."""
    session = session_of(request)
    if session is None:
        raise Denied(401, "log in first")
    if request.method != "GET":
        _same_origin(request)
        presented = request.headers.get("x-csrf-token") or csrf
        if not csrf_ok(session, presented):
            raise Denied(403, "missing or wrong CSRF token (X-CSRF-Token)")
    if not may(session.role, role):
        raise Denied(403, f"only a {role}" + (" or above" if role != ROLES[-1] else "") +
                     " may do this")
    return session


def _same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise Denied(403, "request from another site")


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise Denied(400, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise Denied(400, "the request body must be a JSON object")
    return body


async def login(request: Request) -> Response:
    c = console(request)
    _same_origin(request)
    body = await json_body(request)
    name, password = body.get("username"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise Denied(400, 'give "username" and "password" as strings')
    address = client_address(request)
    async with _hashing:
        wait = c.throttle.retry_after(address, c.now())
        if wait:
            log.warning("login throttled for %s", address)
            return JSONResponse(
                {"error": "too many failed logins from this address; try again later"},
                status_code=429, headers={"Retry-After": str(int(wait) + 1)},
            )
        user = await asyncio.to_thread(c.users.verify, name.strip().lower(), password)
        if user is None:
            c.throttle.failed(address, c.now())
            log.warning("login failed from %s", address)  # never the name: it may be a password
            raise Denied(401, "wrong user name or password")
        c.throttle.succeeded(address)
    session = c.sessions.create(user.name, user.role, c.now())
    log.info("login: %s (%s) from %s", user.name, user.role, address)
    response = JSONResponse({"user": user.name, "role": user.role, "csrf": session.csrf})
    response.set_cookie(
        COOKIE, session.token, max_age=int(c.settings.session_hours * 3600), path="/",
        httponly=True, samesite="strict", secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    session = require(request)
    console(request).sessions.end(session.token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
