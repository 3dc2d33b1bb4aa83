"""Fire schedule transitions at their UTC instants with APScheduler 3.x.

The timeline is a pure function (schedules.timeline); APScheduler is only the "fire at this
instant" timer. It is replanned every day shortly after local noon (between two nights, so
nothing is missed and no wall time in the DST hour is used), on a config reload, and when the
wall clock jumps. A fired job always delivers what should be on *now*, so a job that runs late
(after a suspend or a clock step) can never apply a stale level.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from schedules import Rules, SiteLocation, Transition, level_at, night_of, timeline

log = logging.getLogger(__name__)

# A late transition still fires (coalesced to one run) however late it is within a day;
# APScheduler's default of 1 s skips jobs after a forward clock step.
MISFIRE_GRACE_S = 24 * 3600
REPLAN_AFTER_NOON = timedelta(minutes=5)
REPLAN_JOB = "replan"


def utc_now() -> datetime:
    return datetime.now(UTC)


class TransitionTimer:
    def __init__(
        self,
        site: SiteLocation,
        rules: Rules,
        on_transition: Callable[[Transition], Awaitable[None] | None],
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.site = site
        self.rules = rules
        self.on_transition = on_transition
        self.now = now
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": MISFIRE_GRACE_S, "coalesce": True,
                          "max_instances": 1},
        )

    def start(self) -> None:
        """Start inside the running event loop; the engine applies current() itself."""
        self._scheduler.start()
        self.replan()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def current(self) -> Transition:
        """What should be on now: the window in force (or dark) as a transition at now."""
        now = self.now()
        level, window = level_at(self.site, self.rules, now)
        return Transition(now.astimezone(UTC), level, window)

    def pending(self) -> list[Transition]:
        """Scheduled transitions, earliest first."""
        jobs = [j for j in self._scheduler.get_jobs() if j.id != REPLAN_JOB]
        return sorted((j.args[0] for j in jobs), key=lambda t: t.at)

    def next_at(self) -> datetime | None:
        pending = self.pending()
        return pending[0].at if pending else None

    def reload(self, rules: Rules) -> Transition:
        """New rules: replan and return what should be on now (the caller applies it)."""
        self.rules = rules
        self.replan()
        return self.current()

    async def clock_jumped(self, delta_s: float) -> None:
        """Wall clock stepped: wake APScheduler, replan, and go straight to what is on now."""
        log.info("wall clock jumped by %+.1f s: replanning transitions", delta_s)
        self._scheduler.wakeup()
        self.replan()
        await self._deliver(self.current())

    def replan(self) -> None:
        now = self.now()
        next_noon = datetime.combine(
            night_of(self.site, now) + timedelta(days=1), time(12), tzinfo=self.site.tz
        ).astimezone(UTC)
        replan_at = next_noon + REPLAN_AFTER_NOON
        for job in self._scheduler.get_jobs():
            job.remove()
        # Up to a day past the next replan, so a replan that runs late loses nothing.
        for transition in timeline(self.site, self.rules, now, replan_at + timedelta(days=1)):
            if transition.at > now:
                self._scheduler.add_job(
                    self._fire, "date", run_date=transition.at,
                    args=[transition], id=f"transition@{transition.at.isoformat()}",
                )
        self._scheduler.add_job(self._replan_job, "date", run_date=replan_at, id=REPLAN_JOB)

    async def _replan_job(self) -> None:
        # async, so APScheduler runs it on the event loop and not in a worker thread
        self.replan()

    async def _fire(self, transition: Transition) -> None:
        current = self.current()
        late = current.window != transition.window or current.level != transition.level
        if late:
            log.warning("transition due %s fired late; applying what is on now instead",
                        transition.at.isoformat())
        await self._deliver(current if late else transition)

    async def _deliver(self, transition: Transition) -> None:
        result = self.on_transition(transition)
        if inspect.isawaitable(result):
            await result
