"""Schedules: sun-relative show windows for the site.

Rules and SiteLocation load eagerly; the planner (astral) loads on first use, so commands
that only read the configuration stay quick to start.
"""

from importlib import import_module
from typing import Any

from schedules.rules import Blackout, DateSpec, EventNight, Rules, Window, parse_rules
from schedules.site import SiteLocation

_LAZY = {
    "NightPlan": "schedules.plan",
    "ShowWindow": "schedules.plan",
    "Transition": "schedules.plan",
    "level_at": "schedules.plan",
    "next_transition": "schedules.plan",
    "night_of": "schedules.plan",
    "plan_night": "schedules.plan",
    "plan_nights": "schedules.plan",
    "timeline": "schedules.plan",
    "sun_events": "schedules.sun",
    "night_sky": "schedules.sun",
    "NightSky": "schedules.sun",
}

__all__ = [
    "Blackout",
    "DateSpec",
    "EventNight",
    "Rules",
    "SiteLocation",
    "Window",
    "parse_rules",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'schedules' has no attribute {name!r}")
    return getattr(import_module(module), name)
