"""`gobo daemon`: the service. Wires outputs, library, inbox, schedule, control and OSC
around the show and runs the frame loop until SIGTERM.

Everything slow (conversion, loading pixel images, SQLite polls, config reload)
happens outside the frame loop in worker threads or short tasks; nothing a user
sends can end the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from controller.clock import ClockTrust, JumpDetector
from controller.config import ConfigError, SiteConfig, load_site_config
from controller.control import ControlError, ControlServer
from controller.frameloop import FrameLoop
from controller.looks import Look, look_from_record, read_palette_file
from controller.osc import OscServer
from controller.runlog import RunLog, RunRecorder, night_of
from controller.sdnotify import notify, watchdog_interval
from controller.show import Show
from controller.statestore import STATE_FILE, CoalescingSaver, load_state
from controller.transitions import TransitionTimer
from hardware.outputs.wire import OutputSet

log = logging.getLogger("gobo.daemon")

LIBRARY_POLL_S = 2.0  # approvals made with the CLI in another process show up this fast
HOUSEKEEPING_S = 1.0  # clock trust, run log sample
FOLD_EVERY_S = 3600.0  # how often old run-log rows are folded into night summaries
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


class Daemon:
    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.config_path = config.path
        self.outputs: OutputSet = OutputSet({})
        self.show: Show | None = None
        self.frameloop: FrameLoop | None = None
        self.osc: OscServer | None = None
        self.control: ControlServer | None = None
        self.inbox: Any = None
        self.library: Any = None
        self.clock = ClockTrust()
        self.jumps = JumpDetector(self._clock_jumped)
        self.recorder: RunRecorder | None = None
        self.timer: TransitionTimer | None = None
        self._last_state: str | None = None
        self._next_frames: dict[str, dict[int, bytes]] | None = None
        self._last_fold = 0.0
        self._tasks: list[asyncio.Task[Any]] = []
        self._library_revision: int | None = None
        self._library_error: str | None = None
        self._library_dirty = asyncio.Event()
        self._stopping = False
        self._reloading = False

    # -- lifecycle --------------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        config = self.config
        self.saver = CoalescingSaver(config.state_dir / STATE_FILE)
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.show = Show(
            config,
            persisted=load_state(self.saver.path),
            save=self.saver,
            frame_stats=lambda: self.frameloop.stats().as_dict() if self.frameloop else {},
        )
        # The socket first: a second daemon for the site must stop before touching outputs.
        self.control = ControlServer(config.control.socket, config.control.group, self.show)
        try:
            await self.control.start()
        except (ControlError, OSError) as exc:
            log.error("cannot open the control socket: %s", exc)
            return 1
        self.outputs = await open_outputs(config)
        self.show.outputs = self.outputs
        self.show.clock_trusted = self.clock.trusted()
        try:
            await self._load_library()
        except Exception as exc:  # retried by the library watcher; the show runs meanwhile
            log.error("library in %s not readable: %s", config.state_dir, exc)
            self._library_error = str(exc)
        self.show.restore_cursor()
        self._spawn(self._guard("artwork for the patch", self._ensure_derivatives()))
        self.frameloop = FrameLoop(
            config.show.fps,
            self._frame,
            watchdog=lambda: notify("WATCHDOG=1"),
            watchdog_interval=watchdog_interval(),
        )
        if config.osc.enabled:
            self.osc = OscServer(config.osc, self.show)
            await self._guard("OSC", self.osc.start())
            self.control.osc_stats = self.osc.stats
        self.recorder = self._open_runlog()
        if self.show.clock_trusted:
            self._start_timer()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload()))
        self._spawn(self._watch_library())
        self._spawn(self._housekeeping())
        self._start_inbox()
        notify("READY=1")
        log.info(
            "running: %d fixtures on %d outputs at %g fps; %s",
            len(config.patch.fixtures),
            len(self.outputs),
            config.show.fps,
            self.show.why(),
        )
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
        assert self.show is not None
        self.show.begin_shutdown(time.time())

    def _frame(self) -> None:
        """Send the frame computed one tick ahead, then compute the next one.

        Sending first puts packets on the wire at the loop's deadline, so computing a frame
        (up to a millisecond or two on a big patch) adds one period of latency, not jitter.
        """
        show = self.show
        assert show is not None and self.frameloop is not None
        now = time.time()
        if self._next_frames is not None:
            show.send(self._next_frames)
        self._next_frames = show.step(now + self.frameloop.period)
        if self._stopping and show.shutdown_done(now):
            self.frameloop.stop()

    async def _shutdown(self) -> None:
        assert self.show is not None
        final = self.show.step(time.time())  # the fade is over: every light at zero
        self.show.send(final)
        if self.inbox is not None:
            self.inbox.stop()
        if self.timer is not None:
            self.timer.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.control is not None:
            await self.control.close()
        if self.osc is not None:
            await self.osc.close()
        await close_outputs(self.outputs)
        self.saver.flush()
        if self.recorder is not None:
            with contextlib.suppress(Exception):
                self.recorder.finish(time.time())
        log.info("stopped")

    # -- reload -----------------------------------------------------------------------------

    async def reload(self) -> None:
        """SIGHUP: a bad configuration keeps the old one running and says why in one line."""
        if self._reloading or self._stopping or self.config_path is None:
            return
        self._reloading = True
        try:
            try:
                new = await asyncio.to_thread(load_site_config, self.config_path)
            except ConfigError as exc:
                log.error("reload refused, keeping the running configuration: %s", exc)
                return
            try:
                await self._apply(new)
            except Exception as exc:  # e.g. an output that cannot be created: keep running
                log.error("reload of %s failed part-way: %s", self.config_path, exc)
                return
            log.info("reloaded %s", self.config_path)
        finally:
            self._reloading = False

    async def _apply(self, new: SiteConfig) -> None:
        assert self.show is not None and self.frameloop is not None
        old = self.config
        if new.patch.outputs != old.patch.outputs or new.patch.fixtures != old.patch.fixtures:
            fresh = await open_outputs(new)
            stale, self.outputs = self.outputs, fresh
            self.show.outputs = fresh
            await close_outputs(stale)
        self.show.configure(new)
        if self.timer is not None:
            self.timer.site = new.site  # a moved site or a new time zone moves every transition
            self.timer.reload(new.schedule)
        if new.osc != old.osc:
            if self.osc is not None:
                await self.osc.close()
                self.osc = None
            if new.osc.enabled:
                self.osc = OscServer(new.osc, self.show)
                await self._guard("OSC", self.osc.start())
            if self.control is not None:
                self.control.osc_stats = self.osc.stats if self.osc else None
        if new.control != old.control:
            log.warning("control socket settings change on restart only")
        if new.show.fps != old.show.fps:
            log.warning("show.fps changes on restart only")
        if new.inbox_dir != old.inbox_dir or new.artwork != old.artwork:
            if self.inbox is not None:
                self.inbox.stop()
            self.config = new
            self._start_inbox()
        self.config = new
        if new.patch.fixtures != old.patch.fixtures:
            self._spawn(self._guard("artwork for the new patch", self._ensure_derivatives()))
        self._library_dirty.set()

    # -- library and inbox ------------------------------------------------------------------

    def _start_inbox(self) -> None:
        config = self.config
        try:
            from artwork.inbox import Inbox
            from controller.artwork_targets import targets_for_patch

            self.inbox = Inbox(
                config.inbox_dir,
                self.library,
                lambda: targets_for_patch(self.config.patch),
                config.artwork,
                on_added=lambda _outcome: self._library_dirty.set(),
            )
        except Exception as exc:
            log.error("inbox %s not watched: %s", config.inbox_dir, exc)
            self.inbox = None
            return
        self._spawn(self._guard("inbox", self.inbox.run()))

    async def _ensure_derivatives(self) -> None:
        """Gobo and pixel files for fixtures added since the artworks were converted."""
        from controller.artwork_targets import targets_for_patch

        if self.library is None:
            return
        made = await self.library.ensure_derivatives_async(
            targets_for_patch(self.config.patch), self.config.artwork
        )
        if made:
            log.info("made missing artwork files for %d artworks", len(made))
            self._library_dirty.set()

    async def _load_library(self) -> None:
        from artwork.library import Library

        assert self.show is not None
        if self.library is None:
            self.library = await asyncio.to_thread(Library, self.config.state_dir)
        known = dict(self.show.looks)
        revision, looks = await asyncio.to_thread(load_looks, self.library, known)
        self._library_revision = revision
        self.show.set_library(looks)

    async def _watch_library(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._library_dirty.wait(), LIBRARY_POLL_S)
            self._library_dirty.clear()
            try:
                if self.library is None:
                    await self._load_library()
                    continue
                revision = await asyncio.to_thread(self.library.revision)
                if revision != self._library_revision:
                    await self._load_library()
                self._library_error = None
            except Exception as exc:  # a locked or damaged catalogue must not stop the show
                if str(exc) != self._library_error:  # once per distinct problem, not every poll
                    log.error("library: %s", exc)
                    self._library_error = str(exc)

    # -- housekeeping -----------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        assert self.show is not None
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            now = time.time()
            try:
                trusted = self.clock.trusted()
                if trusted != self.show.clock_trusted:
                    log.info("clock %s", "trusted" if trusted else "not trusted: holding dark")
                    self.show.clock_trusted = trusted
                    self.show.invalidate_schedule()
                if trusted and self.timer is None:
                    self._start_timer()
                self.jumps.check()
                self.saver.flush()
                self._sample_runlog(now)
                self._note_state(now)
                if now - self._last_fold >= FOLD_EVERY_S:
                    self._last_fold = now
                    self._fold_runlog(now)
            except Exception:
                log.exception("housekeeping failed")

    def _clock_jumped(self, delta: float) -> None:
        log.warning("wall clock jumped %+.0f s: going to what should be on now", delta)
        if self.show is not None:
            self.show.invalidate_schedule()
        if self.timer is not None:
            self._spawn(
                self._guard("replanning after the clock jump", self.timer.clock_jumped(delta))
            )

    def _start_timer(self) -> None:
        """APScheduler fires each precomputed transition; started once the clock is trusted."""
        assert self.show is not None
        self.timer = TransitionTimer(self.show.site, self.config.schedule, self._on_transition)
        self.timer.start()

    def _on_transition(self, transition: Any) -> None:
        window = transition.window
        detail = (
            f"window '{window.rule}' at {transition.level:.0%}" if window is not None else "dark"
        )
        log.info("transition: %s", detail)
        if self.show is not None:
            self.show.invalidate_schedule()
        if self.recorder is not None:
            self.recorder.event(time.time(), "transition", detail)

    def _note_state(self, now: float) -> None:
        """Every change of state (dark, showing, blackout, override...) goes to the run log."""
        assert self.show is not None
        state = self.show.state()
        if state != self._last_state and self.recorder is not None:
            self.recorder.event(now, state, self.show.why())
        self._last_state = state

    def _fold_runlog(self, now: float) -> None:
        if self.recorder is None:
            return
        keep = timedelta(days=self.config.report.retention_days)
        folded = self.recorder.log.fold_before(night_of(now, self.config.site.tz) - keep)
        if folded:
            log.info("run log: folded %d old rows into night summaries", folded)

    def _open_runlog(self) -> RunRecorder | None:
        try:
            runlog = RunLog(self.config.state_dir / RUNLOG_NAME)
        except Exception as exc:
            log.error("run log unavailable: %s", exc)
            return None
        power = {f.name: f.power_watts or 0.0 for f in self.config.patch.fixtures}
        return RunRecorder(runlog, self.config.site.tz, power)

    def _sample_runlog(self, now: float) -> None:
        if self.recorder is not None and self.show is not None:
            self.show.record(self.recorder, now)

    # -- helpers ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    async def _guard(self, what: str, awaitable: Any) -> None:
        """A part that fails is logged; the show goes on without it."""
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("%s failed: %s", what, exc)


async def open_outputs(config: SiteConfig) -> OutputSet:
    outputs = OutputSet.create(config.patch, config.state_dir, config.site.name)
    await outputs.open()
    return outputs


async def close_outputs(outputs: OutputSet) -> None:
    await outputs.close()


def load_looks(library: Any, known: dict[str, Look]) -> tuple[int, list[Look]]:
    """Approved artworks as looks, in approval order; already loaded ones are reused."""
    revision = library.revision()
    looks = []
    for record in library.approved():
        look = known.get(record.id)
        if look is not None and look.credit != (record.credit or ""):
            look = replace(look, credit=record.credit or "")  # edited in the web console
        if look is None:
            try:
                files = library.files(record.id)
                palette = list(record.palette)
                if not palette and "palette" in files:
                    palette = read_palette_file(files["palette"])
                look = look_from_record(record.id, record.credit, palette, files)
            except Exception as exc:  # one broken artwork directory must not empty the show
                log.error("artwork %s skipped: %s", record.id, exc)
                continue
        looks.append(look)
    return revision, looks


def run(config: SiteConfig) -> int:
    setup_logging()
    # Conversions run in worker threads; with CPython's default 5 ms GIL switch interval a
    # busy worker could hold a frame back by 5 ms, well past the jitter target.
    sys.setswitchinterval(0.0005)
    return asyncio.run(Daemon(config).run())
