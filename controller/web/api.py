"""The JSON API (DESIGN.md, "Web console"): the pages are built on it, scripts use it too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import asdict
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from artwork.contract import STYLES, RejectedDrawing
from artwork.isolated import ConversionFailed
from artwork.library import ArtworkNotFound, LibraryError
from controller.artwork_targets import targets_for_patch
from controller.control import ControlError, DaemonNotRunning
from controller.web import metrics, views
from controller.web.auth import Denied, console, json_body, require, session_of
from controller.web.context import Console
from controller.web.i18n import status_line
from controller.web.pages import language
from controller.web.uploads import MAX_CREDIT

log = logging.getLogger("gobo.web")

# action -> (new status, the statuses it may come from)
TRANSITIONS = {
    "approve": ("approved", ("pending", "rejected", "retired")),
    "reject": ("rejected", ("pending", "approved", "retired")),
    "retire": ("retired", ("approved",)),
}
STYLE_CHOICES = (*STYLES, "auto")  # auto: back to the converter's choice
SHOW_COMMANDS = ("blackout", "resume", "next", "master", "play", "identify")
THUMB_WIDTHS = (160, 320, 640, 1280)
TOTALS_FOR_S = 30.0
# A redraw holds a worker thread for seconds: one at a time here, so curators redrawing at once
# wait in line without taking the threads every page needs (the child runs one at a time anyway).
_redrawing = asyncio.Semaphore(1)


async def daemon(awaitable: Any) -> Any:
    """A daemon answer; its refusal or absence as a Denied with the daemon's own words."""
    try:
        return await awaitable
    except DaemonNotRunning as exc:
        raise Denied(503, str(exc)) from None
    except ControlError as exc:
        raise Denied(400, str(exc)) from None


def library_call(function: Any, *args: Any) -> Any:
    """Run a library call in a worker thread; unknown ids are 404, other refusals 409."""

    async def call() -> Any:
        try:
            return await asyncio.to_thread(function, *args)
        except ArtworkNotFound as exc:
            raise Denied(404, str(exc)) from None
        except LibraryError as exc:
            raise Denied(409, str(exc)) from None

    return call()


async def status(request: Request) -> Response:
    require(request)
    return JSONResponse(await daemon(console(request).link.status()))


async def tonight(request: Request) -> Response:
    """Status, its one line in the page's language and tonight's windows in one answer, for
    the live refresh of the Tonight and Controls pages."""
    require(request)
    c = console(request)
    windows = await asyncio.to_thread(views.tonight, c, c.now())
    try:
        state: Any = await c.link.status()
    except ControlError as exc:
        state = {"error": str(exc)}
    line = status_line(state, language(request))
    return JSONResponse({"status": state, "line": line, "tonight": windows})


async def list_artworks(request: Request) -> Response:
    session = require(request)
    c = console(request)
    return JSONResponse(await asyncio.to_thread(views.artworks, c, session))


async def upload(request: Request) -> Response:
    c = console(request)
    if session_of(request) is None:  # before a byte of the body is read
        raise Denied(401, "log in first")
    presented = request.headers.get("x-csrf-token")
    if presented:
        require(request, "artist")
    form = await request.form(max_files=1, max_fields=4, max_part_size=4096)
    session = require(request, "artist", csrf=None if presented else str(form.get("csrf") or ""))
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise Denied(400, "attach the drawing as the form field 'file'")
    credit = str(form.get("credit") or "").strip()
    if len(credit) > MAX_CREDIT:
        raise Denied(400, f"credit: at most {MAX_CREDIT} characters")
    try:
        sent = await asyncio.to_thread(
            c.uploads.receive, file.file, credit, session.user, c.config.artwork
        )
    except RejectedDrawing as exc:
        return JSONResponse({"error": exc.reason}, status_code=422)
    finally:
        await file.close()
    log.info("upload %s (%s) by %s into the inbox", sent.token, sent.sha256[:12], session.user)
    return JSONResponse(
        {"upload": sent.token, "id": sent.sha256[:12], "sha256": sent.sha256,
         "credit": sent.credit or None, "status_url": f"/api/uploads/{sent.token}"},
        status_code=202,
    )


async def upload_outcome(request: Request) -> Response:
    session = require(request)
    c = console(request)
    sent = c.uploads.get(request.path_params["token"])
    if sent is None or (session.role == "artist" and sent.user != session.user):
        raise Denied(404, "no such upload")
    outcome = await asyncio.to_thread(c.uploads.outcome, sent)
    return JSONResponse({**asdict(sent), **outcome})


async def change_status(request: Request, action: str) -> Response:
    session = require(request, "curator")
    c = console(request)
    target, allowed = TRANSITIONS[action]
    body = await json_body(request)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise Denied(400, '"reason" must be a string')
    record = await library_call(c.library.get, request.path_params["id"])
    if record.status not in allowed:
        raise Denied(409, f"artwork {record.id} is {record.status}: it cannot be {target}")
    updated = await library_call(c.library.set_status, record.id, target, reason)
    log.info("artwork %s %s by %s", record.id, target, session.user)
    c.link.forget()
    return JSONResponse(updated.to_json())


async def change_credit(request: Request) -> Response:
    session = require(request, "curator")
    c = console(request)
    credit = (await json_body(request)).get("credit")
    if credit is not None and not isinstance(credit, str):
        raise Denied(400, '"credit" must be a string')
    updated = await library_call(c.library.set_credit, request.path_params["id"], credit)
    log.info("artwork %s credit changed by %s", updated.id, session.user)
    return JSONResponse(updated.to_json())


async def change_style(request: Request) -> Response:
    """A curator's choice of how an artwork's gobos show it; they are redrawn in a child
    process and the daemon loads the new files when it sees the library's new revision."""
    session = require(request, "curator")
    c = console(request)
    style = (await json_body(request)).get("style")
    if style not in STYLE_CHOICES:
        raise Denied(400, f'"style" must be one of {", ".join(STYLE_CHOICES)}')
    record = await library_call(c.library.get, request.path_params["id"])
    async with _redrawing:
        try:
            updated = await library_call(
                c.library.set_style, record.id, None if style == "auto" else style,
                targets_for_patch(c.config.patch), c.config.artwork,
            )
        except RejectedDrawing as exc:
            return JSONResponse({"error": exc.reason}, status_code=422)
        except ConversionFailed as exc:
            log.error("artwork %s not redrawn as %s: %s", record.id, style, exc)
            raise Denied(500, f"not redrawn: {exc}") from None
    log.info("artwork %s drawn as %s (%s) by %s", record.id, updated.style, style, session.user)
    return JSONResponse(updated.to_json())


async def show_command(request: Request, command: str) -> Response:
    """Blackout, resume, next, master, play, identify: passed to the daemon as they are."""
    session = require(request, "technician")
    c = console(request)
    name = command
    body = await json_body(request)
    args: dict[str, Any] = {}
    if name == "blackout":
        args["on"] = body.get("on", True)
    elif name == "master":
        args["level"] = body.get("level")
    elif name == "play":
        args["artwork"] = body.get("id")
    elif name == "identify":
        args["fixture"] = body.get("fixture")
    result = await daemon(c.link.request(name, source=f"web {session.user}", **args))
    log.info("%s by %s", name, session.user)
    c.link.forget()
    return JSONResponse({"ok": True, "result": result})


async def live_png(request: Request) -> Response:
    require(request)
    png = await daemon(console(request).live.png())
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


async def picture(request: Request) -> Response:
    """A small copy of one of an artwork's pictures (original, steel, glass, colour...)."""
    session = require(request)
    c = console(request)
    width = int(request.query_params.get("w", "320")) if request.query_params.get(
        "w", "320").isdigit() else 0
    if width not in THUMB_WIDTHS:
        raise Denied(400, f"w must be one of {', '.join(map(str, THUMB_WIDTHS))}")
    record = await library_call(c.library.get, request.path_params["id"])
    if session.role == "artist":
        current = None
        with contextlib.suppress(ControlError):
            current = (await c.link.status()).get("artwork")
        if not await asyncio.to_thread(views.may_see, c, session, record.id, current):
            raise Denied(404, "no such artwork")
    source = views.pictures(record).get(request.path_params["which"])
    if source is None:
        raise Denied(404, "this artwork has no such picture")
    try:
        path = await asyncio.to_thread(
            c.thumbs.get, source, width, request.path_params["which"] == "original"
        )
    except (OSError, RejectedDrawing) as exc:
        raise Denied(404, f"picture not available: {exc}") from None
    return FileResponse(path, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})


async def report(request: Request) -> Response:
    require(request)
    c = console(request)
    data = await asyncio.to_thread(views.report, c, c.now())
    if data is None:
        raise Denied(404, "no run log yet: the daemon writes it while it runs")
    return JSONResponse(data)


async def metrics_text(request: Request) -> Response:
    c = console(request)
    token = c.settings.metrics_token
    bearer = request.headers.get("authorization", "")
    if not (token and secrets.compare_digest(bearer, f"Bearer {token}")):
        require(request)
    try:
        state: dict[str, Any] | None = await c.link.status()
    except ControlError:
        state = None
    counts, hours, energy = await c.remembered("totals", TOTALS_FOR_S, lambda: _totals(c))
    body = metrics.exposition(metrics.Snapshot(state, counts, hours, energy))
    return Response(body, media_type=metrics.CONTENT_TYPE)


def _totals(c: Console) -> tuple[dict[str, int], float, float]:
    hours, energy = views.lit_totals(c)
    return views.counts(c), hours, energy
