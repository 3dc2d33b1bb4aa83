"""/metrics: the site's state in Prometheus text format, every name starting `gobo_`.

`exposition(snapshot)` is pure: the app gathers a snapshot (the daemon's status, library
counts, run-log totals) and this turns it into prometheus_client metric families.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from artwork.library import STATUSES

STATES = ("dark", "showing", "blackout", "override", "waiting-for-clock")
OSC_KINDS = ("received", "handled", "malformed", "refused_source", "ignored")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Snapshot:
    status: Mapping[str, Any] | None  # None: the daemon did not answer
    artworks: Mapping[str, int] = field(default_factory=dict)  # status -> count
    lit_hours: float = 0.0  # since the run log began
    energy_kwh: float = 0.0


def exposition(snapshot: Snapshot) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        yield _gauge("gobo_up", "1 when the daemon answered on its control socket",
                     1 if snap.status is not None else 0)
        yield from _library(snap)
        if snap.status is None:
            return
        status = snap.status
        state = GaugeMetricFamily("gobo_state", "1 for the show's current state", labels=["state"])
        for name in STATES:
            state.add_metric([name], 1 if status.get("state") == name else 0)
        yield state
        yield _gauge("gobo_in_show_window", "1 while the schedule has a show window open",
                     1 if status.get("window") else 0)
        yield _gauge("gobo_level", "schedule level now, 0..1", status.get("level") or 0)
        yield _gauge("gobo_master", "grand master, 0..1", status.get("master") or 0)
        frame = status.get("frame") or {}
        yield _counter("gobo_frames", "frames sent since the daemon started",
                       frame.get("frames", 0))
        yield _counter("gobo_late_frames", "frame deadlines missed since the daemon started",
                       frame.get("late", 0))
        yield _gauge("gobo_frame_rate_fps", "achieved frame rate", frame.get("fps", 0))
        yield _gauge("gobo_frame_jitter_p99_seconds", "99th percentile of frame lateness",
                     frame.get("jitter_p99_ms", 0) / 1000)
        yield _gauge("gobo_frame_jitter_max_seconds", "largest frame lateness",
                     frame.get("jitter_max_ms", 0) / 1000)
        outputs = GaugeMetricFamily("gobo_output_up", "1 when an output is ok", labels=["output"])
        for name, health in sorted((status.get("outputs") or {}).items()):
            outputs.add_metric([name], 1 if _state_of(health) == "ok" else 0)
        yield outputs
        osc = status.get("osc")
        if osc:
            messages = CounterMetricFamily("gobo_osc_messages", "OSC datagrams by outcome",
                                           labels=["outcome"])
            for kind in OSC_KINDS:
                messages.add_metric([kind], osc.get(kind, 0))
            yield messages


def _library(snap: Snapshot) -> Iterator[Metric]:
    artworks = GaugeMetricFamily("gobo_artworks", "artworks in the library", labels=["status"])
    for status in STATUSES:
        artworks.add_metric([status], snap.artworks.get(status, 0))
    yield artworks
    yield _counter("gobo_lit_hours", "hours any fixture was lit (run log)", snap.lit_hours)
    yield _counter("gobo_energy_kwh", "energy drawn by the fixtures (run log)", snap.energy_kwh)


def _state_of(health: Any) -> str:
    return str(health.get("state") if isinstance(health, dict) else health)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=float(value))
