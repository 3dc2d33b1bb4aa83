"""`gobo web`: serve the console with uvicorn until SIGTERM (systemd Type=notify)."""

from __future__ import annotations

import asyncio
import logging
import sys

import uvicorn

from controller.config import SiteConfig
from controller.sdnotify import notify
from controller.web.app import build_app
from controller.web.settings import WebSettings

log = logging.getLogger("gobo.web")


def setup_logging() -> None:
    """One line per event on stdout (journald adds the time); no access log: a console
    polling /live.png every second would fill the journal, and changes are logged anyway."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def serve(config: SiteConfig, settings: WebSettings) -> int:
    setup_logging()
    app = build_app(config, settings)
    server = uvicorn.Server(uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="off",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        ssl_certfile=settings.certificate,
        ssl_keyfile=settings.key,
        timeout_graceful_shutdown=5,
    ))
    return asyncio.run(_run(server, settings))


async def _run(server: uvicorn.Server, settings: WebSettings) -> int:
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if server.started:
        notify("READY=1")
        log.info("console on %s://%s/", settings.scheme, settings.listen)
    await task
    return 0 if server.started else 1
