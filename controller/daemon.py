"""`gobo daemon`: the service. Starts the show's services, runs the frame loop until SIGTERM.

Each service has one job and its own task or thread: the state saver (decisions to disk), the
library watcher, the inbox, the run-log recorder, the clock watch, the transition timer, the
control socket and OSC. The frame loop only computes and sends frames; whatever a frame or a
command causes is handed to those services without waiting (controller.liveshow). Nothing a
user sends can end the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Coroutine
from typing import Any

from controller.clock import ClockTrust, ClockWatch
from controller.config import ConfigError, SiteConfig, load_site_config
from controller.control import ControlError, ControlServer
from controller.frameloop import FrameLoop
from controller.library_watch import LibraryWatcher
from controller.liveshow import LiveShow
from controller.looks import Look
from controller.osc import OscServer
from controller.recorder import RunLogService, fold_cutoff
from controller.sdnotify import notify, watchdog_interval
from controller.show import Show
from controller.showstatus import run_sample
from controller.statesaver import StateNotSaved, StateSaver
from controller.statestore import STATE_FILE, load_state
from controller.transitions import TransitionTimer
from hardware.outputs.wire import OutputSet

log = logging.getLogger("gobo.daemon")

RUNLOG_NAME = "runlog.sqlite3"


def setup_logging() -> None:
    """One line per event on stdout; journald adds the time stamps."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # APScheduler logs every job it adds; the daemon logs each transition itself.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def open_library(state_dir: Any) -> Any:
    """The daemon's library: every conversion in a child process that exits (memory)."""
    from artwork.isolated import in_child
    from artwork.library import Library

    return Library(state_dir, run=in_child)


class Daemon:
    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.show = Show(config)
        self.saver = StateSaver(config.state_dir / STATE_FILE)
        self.live = LiveShow(
            self.show, self.saver, OutputSet({}),
            faults=lambda: {"frame": self.frameloop.stats().as_dict(),
                            "library": self.library.fault, "runlog": self.recorder.problem},
            on_state=lambda ts, state, why: self.recorder.event(ts, state, why),
        )
        self.frameloop = FrameLoop(config.show.fps, self._frame, watchdog=lambda: notify(
            "WATCHDOG=1"), watchdog_interval=watchdog_interval())
        self.library = LibraryWatcher(config.state_dir, self._new_looks, self._library_opened,
                                      open_library)
        self.clock = ClockWatch(ClockTrust(), self._trust_changed, self._clock_jumped)
        self.recorder = RunLogService(config.state_dir / RUNLOG_NAME, config.site.tz,
                                      _power(config))
        self.control = ControlServer(config.control.socket, config.control.group, self.live)
        self.osc: OscServer | None = None
        self.inbox: Any = None
        self.timer: TransitionTimer | None = None
        self._next_frames: dict[str, dict[int, bytes]] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._reloading = False

    # -- lifecycle --------------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        config = self.config
        with contextlib.suppress(OSError):  # a full or read-only disk: said by the services
            config.state_dir.mkdir(parents=True, exist_ok=True)
        self.live.react(self.show.restore(load_state(self.saver.path), time.time()))
        # The socket first: a second daemon for the site must stop before touching outputs.
        try:
            await self.control.start()
        except (ControlError, OSError) as exc:
            log.error("cannot open the control socket: %s", exc)
            return 1
        self.recorder.start()
        self.live.outputs = await open_outputs(config)
        self.show.clock_trusted = self.clock.trusted
        self._spawn(self.saver.run())
        await self.library.refresh()  # before the first frame: the rotation resumes where it was
        self._spawn(self.library.run())
        self._spawn(self.clock.run())
        self._spawn(self.recorder.run(self._sample, self._fold_before))
        await self._start_osc()
        if self.show.clock_trusted:
            self._start_timer()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload()))
        notify("READY=1")
        log.info("running: %d fixtures on %d outputs at %g fps; %s", len(config.patch.fixtures),
                 len(self.live.outputs), config.show.fps, self.live.why())
        await self.frameloop.run()
        await self._shutdown()
        return 0

    def request_stop(self) -> None:
        """SIGTERM: fade to black now; the frame loop ends once the fade is done."""
        if self._stopping:
            return
        self._stopping = True
        notify("STOPPING=1")
        log.info("stopping: fading to black")
        self.show.begin_shutdown(time.time())

    def _frame(self) -> None:
        """Send the frame computed one tick ahead, then compute the next one.

        Sending first puts packets on the wire at the loop's deadline, so computing a frame
        (up to a millisecond or two on a big patch) adds one period of latency, not jitter.
        """
        now = time.time()
        if self._next_frames is not None:
            self.live.send(self._next_frames)
        self._next_frames = self.live.step(now + self.frameloop.period)
        if self._stopping and self.show.shutdown_done(now):
            self.frameloop.stop()

    async def _shutdown(self) -> None:
        self.live.send(self.show.off_frame())  # every channel closed or off, not just dimmed
        if self.inbox is not None:
            self.inbox.stop()
        if self.timer is not None:
            self.timer.stop()
        await self.control.close()
        if self.osc is not None:
            await self.osc.close()
        await close_outputs(self.live.outputs)
        with contextlib.suppress(StateNotSaved):  # already logged by the saver
            await self.saver.durable()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.recorder.close(time.time())
        log.info("stopped")

    # -- reload -----------------------------------------------------------------------------

    async def reload(self) -> None:
        """SIGHUP: a bad configuration keeps the old one running and says why in one line."""
        if self._reloading or self._stopping or self.config.path is None:
            return
        self._reloading = True
        try:
            try:
                new = await asyncio.to_thread(load_site_config, self.config.path)
            except ConfigError as exc:
                log.error("reload refused, keeping the running configuration: %s", exc)
                return
            try:
                await self._apply(new)
            except Exception as exc:  # e.g. an output that cannot be created: keep running
                log.error("reload of %s failed part-way: %s", self.config.path, exc)
                return
            log.info("reloaded %s", self.config.path)
        finally:
            self._reloading = False

    async def _apply(self, new: SiteConfig) -> None:
        old, self.config = self.config, new
        if new.patch.outputs != old.patch.outputs or new.patch.fixtures != old.patch.fixtures:
            fresh = await open_outputs(new)
            stale, self.live.outputs = self.live.outputs, fresh
            await close_outputs(stale)
        self.live.react(self.show.configure(new))
        if self.timer is not None:
            self.timer.site = new.site  # a moved site or a new time zone moves every transition
            self.timer.reload(new.schedule)
        if new.osc != old.osc:
            if self.osc is not None:
                await self.osc.close()
                self.osc = None
            await self._start_osc()
        if new.control != old.control:
            log.warning("control socket settings change on restart only")
        if new.show.fps != old.show.fps:
            log.warning("show.fps changes on restart only")
        if self.library.library is not None and (
            new.inbox_dir != old.inbox_dir or new.artwork != old.artwork
        ):
            if self.inbox is not None:
                self.inbox.stop()
            self._start_inbox(self.library.library)
        if new.patch.fixtures != old.patch.fixtures:
            self.recorder.set_power(_power(new))
            self._spawn(self._guard("artwork for the new patch", self._ensure_derivatives()))
        self.library.changed()

    # -- the services' callbacks --------------------------------------------------------------

    def _new_looks(self, looks: list[Look]) -> None:
        self.live.react(self.show.set_library(looks, time.time()))

    def _library_opened(self, library: Any) -> None:
        """The inbox needs the library: it starts once the library can be read."""
        self._start_inbox(library)
        self._spawn(self._guard("artwork for the patch", self._ensure_derivatives()))

    def _start_inbox(self, library: Any) -> None:
        from artwork.inbox import Inbox
        from controller.artwork_targets import targets_for_patch

        config = self.config
        self.inbox = Inbox(
            config.inbox_dir, library, lambda: targets_for_patch(self.config.patch),
            config.artwork, on_added=lambda _outcome: self.library.changed(),
        )
        self._spawn(self._guard(f"inbox {config.inbox_dir}", self.inbox.run()))

    async def _ensure_derivatives(self) -> None:
        from controller.artwork_targets import targets_for_patch

        await self.library.ensure_derivatives(targets_for_patch(self.config.patch),
                                              self.config.artwork)

    async def _start_osc(self) -> None:
        if self.config.osc.enabled:
            self.osc = OscServer(self.config.osc, self.live)
            await self._guard("OSC", self.osc.start())
        self.control.osc_stats = self.osc.stats if self.osc else None

    def _trust_changed(self, trusted: bool) -> None:
        log.info("clock %s", "trusted" if trusted else "not trusted: holding dark")
        self.show.clock_trusted = trusted
        self.show.invalidate_schedule()
        if trusted and self.timer is None:
            self._start_timer()

    def _clock_jumped(self, delta: float) -> None:
        log.warning("wall clock jumped %+.0f s: going to what should be on now", delta)
        self.show.invalidate_schedule()
        if self.timer is not None:
            self._spawn(
                self._guard("replanning after the clock jump", self.timer.clock_jumped(delta))
            )

    def _start_timer(self) -> None:
        """APScheduler fires each precomputed transition; started once the clock is trusted."""
        self.timer = TransitionTimer(self.config.site, self.config.schedule, self._on_transition)
        self.timer.start()

    def _on_transition(self, transition: Any) -> None:
        window = transition.window
        detail = (
            f"window '{window.rule}' at {transition.level:.0%}" if window is not None else "dark"
        )
        log.info("transition: %s", detail)
        self.show.invalidate_schedule()
        self.recorder.event(time.time(), "transition", detail)

    def _sample(self, now: float) -> Any:
        return run_sample(self.show, now, self.live.surroundings().health)

    def _fold_before(self, now: float) -> Any:
        """Old run-log rows are folded only by a settled clock (never right after a jump)."""
        if not self.clock.settled():
            return None
        return fold_cutoff(now, self.config.site.tz, self.config.report.retention_days)

    # -- helpers ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, what: str, awaitable: Any) -> None:
        """A part that fails is logged; the show goes on without it."""
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("%s failed: %s", what, exc)


def _power(config: SiteConfig) -> dict[str, float]:
    return {f.name: f.power_watts or 0.0 for f in config.patch.fixtures}


async def open_outputs(config: SiteConfig) -> OutputSet:
    outputs = OutputSet.create(config.patch, config.state_dir, config.site.name)
    await outputs.open()
    return outputs


async def close_outputs(outputs: OutputSet) -> None:
    await outputs.close()


def run(config: SiteConfig) -> int:
    setup_logging()
    # Conversions run in child processes and saves in threads; with CPython's default 5 ms GIL
    # switch interval a busy thread could hold a frame back by 5 ms, past the jitter target.
    sys.setswitchinterval(0.0005)
    return asyncio.run(Daemon(config).run())
