"""The console's ASGI app: routes, security headers and error answers."""

from __future__ import annotations

from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.config import SiteConfig
from controller.web import api, auth, charts, pages
from controller.web.context import HERE, build_console
from controller.web.settings import WebSettings

JSON_BODY_LIMIT = 64 * 1024
MULTIPART_SLACK = 64 * 1024  # form boundaries and the credit field around the file
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; "
     b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Every answer: no framing, no sniffing, scripts and styles from this site only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


async def denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, auth.Denied)
    return JSONResponse({"error": exc.message}, status_code=exc.status,
                        headers={"Cache-Control": "no-store"})


async def not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    detail = getattr(exc, "detail", "not found")
    return JSONResponse({"error": str(detail).lower()}, status_code=status)


async def home(request: Request) -> Response:
    return RedirectResponse("/tonight", status_code=303)


def build_app(config: SiteConfig, settings: WebSettings) -> Starlette:
    upload_limit = int(settings.upload_max_mb * 1024 * 1024) + MULTIPART_SLACK
    routes = [
        Route("/", home),
        Route("/login", pages.login_page),
        Route("/lang/{code}", pages.switch_language),
        *(Route(f"/{name}", pages.page(name, role, gather)) for name, role, gather in pages.PAGES),
        Route("/api/login", auth.login, methods=["POST"]),
        Route("/api/logout", auth.logout, methods=["POST"]),
        Route("/api/status", api.status),
        Route("/api/tonight", api.tonight),
        Route("/api/report", api.report),
        Route("/api/artworks", api.list_artworks),
        Route("/api/artworks", api.upload, methods=["POST"], max_body_size=upload_limit),
        Route("/api/uploads/{token:str}", api.upload_outcome),
        *(Route(f"/api/artworks/{{id:str}}/{action}", partial(api.change_status, action=action),
                methods=["POST"]) for action in api.TRANSITIONS),
        Route("/api/artworks/{id:str}/credit", api.change_credit, methods=["POST"]),
        Route("/api/artworks/{id:str}/style", api.change_style, methods=["POST"]),
        *(Route(f"/api/{command}", partial(api.show_command, command=command), methods=["POST"])
          for command in api.SHOW_COMMANDS),
        Route("/art/{id:str}/{which:str}.png", api.picture),
        Route("/live.png", api.live_png),
        Route("/charts/year.png", charts.year_chart),
        Route("/charts/report.png", charts.report_chart),
        Route("/metrics", api.metrics_text),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={auth.Denied: denied, 404: not_found, 405: not_found},
        max_body_size=JSON_BODY_LIMIT,
    )
    app.state.console = build_console(config, settings)
    return app
