"""What every request handler of the console shares: the site, its parts and the clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.templating import Jinja2Templates

from artwork.isolated import in_child
from artwork.library import Library
from controller.config import SiteConfig
from controller.web.daemon_link import DaemonLink
from controller.web.live import LivePicture
from controller.web.sessions import LoginThrottle, Sessions
from controller.web.settings import CACHE_DIR, UPLOADS_FILE, USERS_FILE, WebSettings
from controller.web.thumbs import Thumbnails
from controller.web.uploads import Uploads
from controller.web.users import UserStore

HERE = Path(__file__).parent
MEMO_ENTRIES = 8


@dataclass
class Console:
    config: SiteConfig
    settings: WebSettings
    users: UserStore
    sessions: Sessions
    throttle: LoginThrottle
    link: DaemonLink
    library: Library
    uploads: Uploads
    thumbs: Thumbnails
    live: LivePicture
    templates: Jinja2Templates
    memo: dict[str, tuple[float, Any]] = field(default_factory=dict)  # key -> (at, value)

    @staticmethod
    def now() -> float:
        return time.time()

    async def remembered(self, key: str, max_age_s: float, produce: Callable[[], Any]) -> Any:
        """produce() in a worker thread, its result reused for max_age_s (charts, totals)."""
        at, value = self.memo.get(key, (0.0, None))
        if value is None or time.monotonic() - at > max_age_s:
            value = await asyncio.to_thread(produce)
            self.memo[key] = (time.monotonic(), value)
            while len(self.memo) > MEMO_ENTRIES:
                del self.memo[min(self.memo, key=lambda k: self.memo[k][0])]
        return value


def build_console(config: SiteConfig, settings: WebSettings) -> Console:
    state = config.state_dir
    # A curator's choice of style redraws an artwork's gobos (near 300 MB for a moment): in a
    # child process that exits, one at a time, as the daemon converts; never in the console.
    library = Library(state, run=in_child)
    link = DaemonLink(config.control.socket, config.control.group)
    thumbs = Thumbnails(state / CACHE_DIR, config.artwork)
    return Console(
        config=config,
        settings=settings,
        users=UserStore(state / USERS_FILE),
        sessions=Sessions(settings.session_hours * 3600),
        throttle=LoginThrottle(settings.login_attempts, settings.login_window_minutes * 60),
        link=link,
        library=library,
        uploads=Uploads(config.inbox_dir, state / UPLOADS_FILE, library),
        thumbs=thumbs,
        live=LivePicture(config, link, thumbs),
        templates=Jinja2Templates(directory=HERE / "templates"),
    )
