"""The year's schedule chart and the run-log report chart as PNG, drawn by the project's
own chart code (schedules/chart.py, controller/report_chart.py) and kept for a while."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image
from starlette.requests import Request
from starlette.responses import Response

from controller.web import views
from controller.web.auth import Denied, console, require

YEAR_CHART_FOR_S = 3600.0
REPORT_CHART_FOR_S = 60.0


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _response(png: bytes) -> Response:
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


async def year_chart(request: Request) -> Response:
    require(request)
    c = console(request)
    this_year = datetime.fromtimestamp(c.now(), c.config.site.tz).year
    text = request.query_params.get("year", str(this_year))
    if not text.isdigit() or not this_year - 5 <= int(text) <= this_year + 5:
        raise Denied(400, f"year must be within {this_year - 5}..{this_year + 5}")
    year = int(text)

    def draw() -> bytes:
        from schedules.chart import render_year

        return _png(render_year(c.config.site, c.config.schedule, year, c.config.site.name))

    return _response(await c.remembered(f"year-{year}", YEAR_CHART_FOR_S, draw))


async def report_chart(request: Request) -> Response:
    require(request)
    c = console(request)

    def draw() -> bytes:
        from controller.report_chart import render_report_chart

        report = views.report(c, c.now())
        return _png(render_report_chart(report)) if report else b""

    png = await c.remembered("report-chart", REPORT_CHART_FOR_S, draw)
    if not png:
        raise Denied(404, "no run log yet: the daemon writes it while it runs")
    return _response(png)
