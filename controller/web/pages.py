"""The HTML pages: phone first, one Jinja2 template each, filled from the same data as the API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from controller.control import ControlError
from controller.web import views
from controller.web.auth import console, may, session_of
from controller.web.i18n import LANGUAGES, choose, status_line, style_reason, translator
from controller.web.metrics import STATES
from controller.web.sessions import Session

LANG_COOKIE = "gobo_lang"
NO_STORE = {"Cache-Control": "no-store"}
# (path, title, the least role that sees it)
NAV = (
    ("tonight", "Tonight", "artist"),
    ("queue", "Queue", "curator"),
    ("upload", "Upload", "artist"),
    ("library", "Library", "artist"),
    ("report", "Year and report", "artist"),
    ("controls", "Controls", "technician"),
)
RECENT_UPLOADS = 6
# The converter's styles (artwork.contract.STYLES) as a teacher would say them.
STYLE_WORDS = {
    "lines": "Lines glow",
    "fills": "Coloured areas glow, lines stay dark",
    "painting": "Painting: the whole sheet",
}

Gather = Callable[[Request, Session], Awaitable[dict[str, Any]]]


def language(request: Request) -> str:
    return choose(
        request.cookies.get(LANG_COOKIE),
        console(request).settings.language,
        request.headers.get("accept-language"),
    )


def render(
    request: Request, template: str, session: Session | None, page: str, code: int = 200,
    **context: Any,
) -> Response:
    c = console(request)
    lang = language(request)
    nav = [item for item in NAV if session and may(session.role, item[2])]
    t = translator(lang)
    states = {state: t(state) for state in STATES}
    states["unknown"] = t("The daemon is not answering")
    return c.templates.TemplateResponse(
        request, template,
        {"t": t, "why": lambda automatic: style_reason(automatic, lang), "states": states,
         "status_line": lambda status: status_line(status, lang),
         "lang": lang, "session": session, "nav": nav, "page": page,
         "site": c.config.site.name, **context},
        status_code=code, headers=NO_STORE,
    )


def page(name: str, role: str, gather: Gather | None = None) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return RedirectResponse(f"/login?next=/{name}", status_code=303)
        if not may(session.role, role):
            message = "Only technicians may do this." if role == "technician" else (
                "Only curators may do this.")
            return render(request, "denied.html", session, name, 403, message=message)
        context = await gather(request, session) if gather else {}
        return render(request, f"{name}.html", session, name, **context)

    return handler


async def login_page(request: Request) -> Response:
    if session_of(request) is not None:
        return RedirectResponse(_local(request.query_params.get("next")), status_code=303)
    return render(request, "login.html", None, "login",
                  next=_local(request.query_params.get("next")))


async def switch_language(request: Request) -> Response:
    code = request.path_params["code"]
    response = RedirectResponse(_local(request.query_params.get("next")), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, path="/", samesite="strict",
                            httponly=True)
    return response


def _local(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/tonight"


async def _status(request: Request) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return await console(request).link.status(), None
    except ControlError as exc:
        return None, str(exc)


async def gather_tonight(request: Request, session: Session) -> dict[str, Any]:
    c = console(request)
    status, error = await _status(request)
    windows = await asyncio.to_thread(views.tonight, c, c.now())
    style = await asyncio.to_thread(views.style_of, c, (status or {}).get("artwork"))
    return {"status": status, "error": error, "tonight": windows, "showing_style": style}


async def gather_queue(request: Request, session: Session) -> dict[str, Any]:
    c = console(request)
    rows = await asyncio.to_thread(views.artworks, c, session)
    pending = [r for r in rows if r["status"] == "pending"]
    approved = sorted((r for r in rows if r["status"] == "approved"),
                      key=lambda r: r["approved_at"] or "", reverse=True)
    other = [r for r in reversed(rows) if r["status"] in ("rejected", "retired")]
    return {"groups": [("Waiting for approval", pending), ("Approved", approved),
                       ("Other", other)], "styles": STYLE_WORDS}


async def gather_library(request: Request, session: Session) -> dict[str, Any]:
    c = console(request)
    rows = await asyncio.to_thread(views.artworks, c, session)
    status, _error = await _status(request)
    return {"artworks": list(reversed(rows)), "current": (status or {}).get("artwork")}


async def gather_upload(request: Request, session: Session) -> dict[str, Any]:
    c = console(request)
    recent = c.uploads.by_user(session.user)[-RECENT_UPLOADS:]

    def outcomes() -> list[dict[str, Any]]:
        return [{"upload": u, **c.uploads.outcome(u)} for u in reversed(recent)]

    return {"recent": await asyncio.to_thread(outcomes)}


async def gather_report(request: Request, session: Session) -> dict[str, Any]:
    c = console(request)
    report = await asyncio.to_thread(views.report, c, c.now())
    return {"report": report}


async def gather_controls(request: Request, session: Session) -> dict[str, Any]:
    c = console(request)
    status, error = await _status(request)
    approved = await asyncio.to_thread(c.library.approved)
    return {
        "status": status,
        "error": error,
        "fixtures": [f.name for f in c.config.patch.fixtures],
        "approved": [(r.id, r.credit) for r in approved],
    }


PAGES = (
    ("tonight", "artist", gather_tonight),
    ("queue", "curator", gather_queue),
    ("upload", "artist", gather_upload),
    ("library", "artist", gather_library),
    ("report", "artist", gather_report),
    ("controls", "technician", gather_controls),
)
