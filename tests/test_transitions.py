"""TransitionTimer on a real AsyncIOScheduler: firing, late firing, clock jumps, reload."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from controller.transitions import TransitionTimer
from schedules import SiteLocation, Transition, night_of, parse_rules, sun_events

TAMPERE = SiteLocation(61.4978, 23.7610, "Europe/Helsinki")
HEL = ZoneInfo("Europe/Helsinki")


def expr_for(at: datetime) -> str:
    """`at` as "<sun event>±XhYmZs" for the night it belongs to (a rule the parser accepts)."""
    events = {k: v for k, v in sun_events(TAMPERE, night_of(TAMPERE, at)).items() if v}
    name, when = min(events.items(), key=lambda item: abs(item[1] - at))
    seconds = round((at - when).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    h, rest = divmod(abs(seconds), 3600)
    return f"{name}{sign}{h}h{rest // 60}m{rest % 60}s"


def window_rules(*spans: tuple[datetime, datetime, float]):
    return parse_rules({"window": [
        {"name": f"w{i}", "start": expr_for(a), "end": expr_for(b), "level": level}
        for i, (a, b, level) in enumerate(spans, start=1)
    ]}, Path("."))


def test_transition_fires_even_when_the_scheduler_ran_late() -> None:
    async def scenario() -> list[Transition]:
        fired: list[Transition] = []
        got = asyncio.Event()

        async def on_transition(transition: Transition) -> None:
            fired.append(transition)
            got.set()

        start = datetime.fromtimestamp(math.ceil(time.time()) + 1, UTC)
        rules = window_rules((start, start + timedelta(seconds=30), 0.7))
        timer = TransitionTimer(TAMPERE, rules, on_transition)
        timer.start()
        assert timer.next_at() == start
        # A stalled loop / suspended Pi: the due time passes while nothing runs. APScheduler's
        # default grace of 1 s would drop the job; ours must still fire it.
        timer._scheduler.pause()
        await asyncio.sleep((start - datetime.now(UTC)).total_seconds() + 1.3)
        timer._scheduler.resume()
        await asyncio.wait_for(got.wait(), 5)
        timer.stop()
        return fired

    fired = asyncio.run(scenario())
    assert len(fired) == 1 and fired[0].level == 0.7 and fired[0].window.rule == "w1"


def test_clock_jump_forward_and_back_goes_to_what_is_on_now() -> None:
    base = datetime(2027, 1, 10, 20, 0, tzinfo=HEL)  # a future night: no job fires for real
    shift = [timedelta(0)]
    rules = parse_rules({"window": [
        {"name": "evening", "start": "civil_dusk", "end": "23:00", "level": 1.0},
        {"name": "late", "start": "23:00", "end": "00:30", "level": 0.4},
    ]}, Path("."))

    async def scenario() -> list[Transition]:
        delivered: list[Transition] = []
        timer = TransitionTimer(TAMPERE, rules, delivered.append, now=lambda: base + shift[0])
        timer.start()
        assert timer.current().level == 1.0  # restart mid-window: straight to the level
        assert timer.next_at() == datetime(2027, 1, 10, 23, 0, tzinfo=HEL)
        shift[0] = timedelta(hours=3, minutes=30)  # 23:30: NTP stepped the clock forward
        await timer.clock_jumped(3.5 * 3600)
        assert all(t.at > base + shift[0] for t in timer.pending())
        assert timer.next_at() == datetime(2027, 1, 11, 0, 30, tzinfo=HEL)
        shift[0] = -timedelta(hours=5)  # 15:00: stepped back before dusk
        await timer.clock_jumped(-8.5 * 3600)
        assert timer.next_at() is not None and timer.next_at().astimezone(HEL).hour == 16
        timer.stop()
        return delivered

    delivered = asyncio.run(scenario())
    assert [(t.level, t.window.rule if t.window else None) for t in delivered] == [
        (0.4, "late"), (0.0, None)]


def test_reload_replans_with_new_rules() -> None:
    base = datetime(2027, 1, 10, 20, 0, tzinfo=HEL)

    async def scenario() -> tuple[Transition, datetime | None]:
        first = parse_rules({"window": [{"start": "civil_dusk", "end": "23:00"}]}, Path("."))
        timer = TransitionTimer(TAMPERE, first, lambda t: None, now=lambda: base)
        timer.start()
        now = timer.reload(parse_rules(
            {"window": [{"start": "21:00", "end": "22:00", "level": 0.5}]}, Path(".")))
        next_at = timer.next_at()
        timer.stop()
        return now, next_at

    now, next_at = asyncio.run(scenario())
    assert now.level == 0.0 and now.window is None
    assert next_at == datetime(2027, 1, 10, 21, 0, tzinfo=HEL)
