"""The watched inbox with real watchdog observers: only complete files, nothing lost."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from artwork import Inbox, Library, PixelTarget, parse_settings
from artwork.inbox import is_ignored
from artwork.safemove import move_without_overwrite

PIXELS = (PixelTarget(8, 4),)
WAIT_SECONDS = 120.0


def make_inbox(tmp_path: Path, stable_seconds: float = 1.0, **options) -> Inbox:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir(exist_ok=True)
    settings = parse_settings({"stable_seconds": stable_seconds})
    return Inbox(inbox_dir, Library(tmp_path / "state"), lambda: PIXELS, settings, **options)


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


def files_in(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if not p.is_dir())


def run_with_inbox(inbox: Inbox, scenario: Callable[[], object]) -> None:
    """Run the inbox's loop while the scenario coroutine drops files and waits for results."""

    async def main() -> None:
        task = asyncio.create_task(inbox.run())
        try:
            await scenario()
        finally:
            inbox.stop()
            await asyncio.wait_for(task, 30)

    asyncio.run(main())


@pytest.mark.parametrize("name", [
    "sun.png.part", "sun.tmp", "sun.png~", ".DS_Store", "Thumbs.db", "._sun.png", ".hidden.png",
    "sun.png.crdownload",
])
def test_ignored_names(name):
    assert is_ignored(name)


@pytest.mark.parametrize("name", ["sun.png", "Äiti ja minä.jpg", "IMG_0001.HEIC", "tmp.png"])
def test_normal_names_are_taken(name):
    assert not is_ignored(name)


def test_move_without_overwrite_adds_a_suffix(tmp_path):
    folder = tmp_path / "rejected"
    folder.mkdir()
    (folder / "a.png").write_text("first")
    (folder / "a-2.png").write_text("second")
    source = tmp_path / "a.png"
    source.write_text("third")
    moved = move_without_overwrite(source, folder, "a.png")
    assert moved == folder / "a-3.png"
    assert [(folder / n).read_text() for n in ("a.png", "a-2.png", "a-3.png")] == [
        "first", "second", "third"
    ]
    assert not source.exists()


def test_existing_files_subfolder_credit_and_ignored_names(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path)
    make_drawing(inbox.inbox_dir / "Aino" / "sun.png", seed=1)
    make_drawing(inbox.inbox_dir / "plain.png", seed=2)
    ignored = ["sun.png.part", "x.tmp", "y.png~", ".DS_Store", "Thumbs.db", "._z.png",
               ".git/config.png"]
    for name in ignored:
        make_drawing(inbox.inbox_dir / name, seed=3)
    outcomes = inbox.process_existing()
    assert len(outcomes) == 2 and all(o.result for o in outcomes)
    credits = {r.original_name: r.credit for r in inbox.library.list()}
    assert credits == {"sun.png": "Aino", "plain.png": None}
    assert files_in(inbox.inbox_dir) == sorted(ignored)


def test_refused_file_moves_to_rejected_with_reason_and_clash_suffix(tmp_path):
    inbox = make_inbox(tmp_path)
    for round_ in range(2):
        (inbox.inbox_dir / "Eero").mkdir(exist_ok=True)
        (inbox.inbox_dir / "Eero" / "notes.png").write_text(f"shopping list {round_}\n")
        [outcome] = inbox.process_existing()
        assert outcome.result is None and outcome.reason
    rejected = inbox.inbox_dir / "rejected" / "Eero"
    assert files_in(rejected) == [
        "notes-2.png", "notes-2.png.reason.txt", "notes.png", "notes.png.reason.txt"
    ]
    # Nothing overwritten: both originals kept with their own content.
    assert (rejected / "notes.png").read_text() == "shopping list 0\n"
    assert (rejected / "notes-2.png").read_text() == "shopping list 1\n"
    reason = (rejected / "notes.png.reason.txt").read_text()
    assert reason.startswith("notes.png was not added to the gobo library: ")
    assert "image" in reason
    assert inbox.library.list() == []
    # The rejected folder is never taken again.
    assert inbox.process_existing() == []


def test_symlink_out_of_the_inbox_is_not_ingested(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path)
    (inbox.inbox_dir / "passwd.png").symlink_to("/etc/passwd")
    outside = tmp_path / "outside"
    make_drawing(outside / "private.png", seed=9)
    (inbox.inbox_dir / "elsewhere").symlink_to(outside, target_is_directory=True)
    outcomes = inbox.process_existing()
    assert [o.reason for o in outcomes] == ["a link to another file, not a drawing"]
    assert inbox.library.list() == []
    moved = inbox.inbox_dir / "rejected" / "passwd.png"
    assert moved.is_symlink()  # the link itself was moved; its target never read or touched
    assert (outside / "private.png").is_file()


def test_crash_after_commit_before_unlink(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path)
    source = make_drawing(inbox.inbox_dir / "Aino" / "sun.png", seed=7)
    # The power went after the library commit but before the inbox copy was removed.
    inbox.library.add(source, "Aino", PIXELS, inbox.settings)
    restarted = make_inbox(tmp_path)
    [outcome] = restarted.process_existing()
    assert outcome.result is not None and outcome.result.duplicate
    assert len(restarted.library.list()) == 1
    assert files_in(restarted.inbox_dir) == []


def test_growing_file_is_taken_only_when_complete(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path, stable_seconds=1.0)
    data = make_drawing(tmp_path / "big.png", seed=8, size=(900, 700)).read_bytes()
    target = inbox.inbox_dir / "slow.png"
    half_written = threading.Event()
    finish = threading.Event()

    half = len(data) // 2 // 256 * 256

    def slow_writer() -> None:
        with target.open("wb") as handle:
            for start in range(0, half, 256):
                handle.write(data[start:start + 256])
                handle.flush()
            half_written.set()
            finish.wait(WAIT_SECONDS)
            handle.write(data[half:])

    async def scenario() -> None:
        await wait_for(lambda: inbox.observer_kind, "the observer to start")
        writer = threading.Thread(target=slow_writer)
        writer.start()
        await asyncio.to_thread(half_written.wait, WAIT_SECONDS)
        # Open for writing (no close-write yet): inotify must not let it through,
        # even after more than stable_seconds of silence.
        await asyncio.sleep(2.5)
        assert inbox.library.list() == [] and target.exists()
        finish.set()
        await asyncio.to_thread(writer.join)
        await wait_for(lambda: not target.exists(), "the finished file to be taken")

    run_with_inbox(inbox, scenario)
    assert inbox.observer_kind == "inotify"
    [record] = inbox.library.list()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert not (inbox.inbox_dir / "rejected").exists()


def test_polling_fallback_waits_for_a_stable_size(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path, stable_seconds=2.0, force_polling=True)
    data = make_drawing(tmp_path / "big.png", seed=10, size=(900, 700)).read_bytes()
    target = inbox.inbox_dir / "Liisa" / "slow.png"
    target.parent.mkdir()

    def grow() -> None:
        # Appends in separate opens, as a slow network copy might, each well within stable_seconds.
        pieces = [data[i:i + len(data) // 8 + 1] for i in range(0, len(data), len(data) // 8 + 1)]
        for piece in pieces:
            with target.open("ab") as handle:
                handle.write(piece)
            time.sleep(0.2)

    async def scenario() -> None:
        await asyncio.to_thread(grow)
        await wait_for(lambda: not target.exists(), "the stable file to be taken")

    run_with_inbox(inbox, scenario)
    assert inbox.observer_kind == "polling"
    [record] = inbox.library.list()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.credit == "Liisa"


def test_files_present_at_start_and_moved_in_are_processed(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path, stable_seconds=1.0)
    old = make_drawing(inbox.inbox_dir / "dropped-while-down.png", seed=11)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    added = []

    async def scenario() -> None:
        await wait_for(lambda: not old.exists(), "the file found at start-up")
        # An upload under a temporary name, renamed when done: taken once it stays unchanged.
        staged = make_drawing(inbox.inbox_dir / "moved.png.part", seed=12)
        os.rename(staged, inbox.inbox_dir / "moved.png")
        await wait_for(lambda: len(added) == 2, "the moved-in file")

    inbox.on_added = added.append
    run_with_inbox(inbox, scenario)
    assert sorted(o.result.record.original_name for o in added) == [
        "dropped-while-down.png", "moved.png"
    ]
    assert files_in(inbox.inbox_dir) == []


def test_hundred_files_at_once(tmp_path, make_drawing):
    inbox = make_inbox(tmp_path)
    staging = tmp_path / "staging"
    for index in range(100):
        make_drawing(staging / f"drawing-{index:03d}.png", seed=100 + index, size=(160, 120))
    rejected = []
    inbox.on_rejected = rejected.append

    async def scenario() -> None:
        await asyncio.sleep(0.2)  # let the observer start watching
        for path in sorted(staging.iterdir()):
            os.rename(path, inbox.inbox_dir / path.name)
        await wait_for(
            lambda: not any(inbox.inbox_dir.glob("*.png")) or rejected, "all 100 files"
        )

    run_with_inbox(inbox, scenario)
    assert rejected == []
    assert len(inbox.library.list()) == 100
    assert files_in(inbox.inbox_dir) == []


def test_real_drawing_via_the_inbox(tmp_path, drawings_dir):
    inbox = make_inbox(tmp_path)
    source = drawings_dir / "sketchsimp_fig06_pepper.png"
    (inbox.inbox_dir / "David Revoy").mkdir()
    dropped = inbox.inbox_dir / "David Revoy" / source.name
    dropped.write_bytes(source.read_bytes())
    [outcome] = inbox.process_existing()
    assert outcome.result is not None
    assert outcome.result.record.credit == "David Revoy"
    assert outcome.result.record.original.read_bytes() == source.read_bytes()
    assert not dropped.exists()


def test_file_taken_by_another_process_meanwhile(tmp_path):
    inbox = make_inbox(tmp_path)
    outcome = inbox.ingest(inbox.inbox_dir / "vanished.png")
    assert outcome.result is None and outcome.reason.startswith("gone from the inbox")
    assert not (inbox.inbox_dir / "rejected").exists()


def test_site_failure_is_not_retried_at_once(tmp_path, make_drawing):
    """A full disk: the file stays, and the inbox's own read of it (inotify open/close
    events) must not set off a retry, and a whole conversion, every tick."""
    attempts = []

    class FullDisk(Library):
        def add(self, path, *args, **kwargs):
            attempts.append(path)
            path.read_bytes()
            raise OSError(errno.ENOSPC, "No space left on device")

    inbox = make_inbox(tmp_path, stable_seconds=0.0)
    inbox.library = FullDisk(tmp_path / "state")
    dropped = make_drawing(inbox.inbox_dir / "sun.png", seed=5)

    async def scenario() -> None:
        await wait_for(lambda: attempts, "the first attempt")
        await asyncio.sleep(1.5)  # several ticks: with stable_seconds 0 any re-arm shows

    run_with_inbox(inbox, scenario)
    assert inbox.observer_kind == "inotify"
    assert attempts == [dropped] and dropped.exists()
    assert not (inbox.inbox_dir / "rejected").exists()


def test_a_file_written_in_chunks_is_taken_only_when_complete(tmp_path, make_drawing):
    """Five open/append/close chunks a second apart: each close-after-write restarts the
    stable period, so the inbox never takes a piece of it."""
    inbox = make_inbox(tmp_path, stable_seconds=2.0)
    data = make_drawing(tmp_path / "big.png", seed=13, size=(900, 700)).read_bytes()
    target = inbox.inbox_dir / "chunked.png"
    size = len(data) // 5 + 1
    rejected = []
    inbox.on_rejected = rejected.append

    async def scenario() -> None:
        await wait_for(lambda: inbox.observer_kind, "the observer to start")
        for start in range(0, len(data), size):
            with target.open("ab") as handle:
                handle.write(data[start:start + size])
            await asyncio.sleep(1.0)
        await wait_for(lambda: not target.exists(), "the complete file to be taken")

    run_with_inbox(inbox, scenario)
    assert rejected == [] and not (inbox.inbox_dir / "rejected").exists()
    [record] = inbox.library.list()
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_a_damaged_file_still_changing_is_waited_for(tmp_path, make_drawing):
    """A slow upload pauses longer than the stable period: its first half is a damaged PNG.
    It is not refused while young; when the rest arrives it is taken whole."""
    attempts = []

    class Watched(Library):
        def add(self, path, *args, **kwargs):
            size = path.stat().st_size
            try:
                return super().add(path, *args, **kwargs)
            finally:  # noted once the attempt is over: the upload goes on only then
                attempts.append(size)

    inbox = make_inbox(tmp_path, stable_seconds=0.3)
    inbox.library = Watched(tmp_path / "state")
    data = make_drawing(tmp_path / "big.png", seed=14, size=(900, 700)).read_bytes()
    target = inbox.inbox_dir / "slow.png"

    async def scenario() -> None:
        await wait_for(lambda: inbox.observer_kind, "the observer to start")
        target.write_bytes(data[: len(data) // 2])
        await wait_for(lambda: attempts, "the inbox to try the first half")
        with target.open("ab") as handle:
            handle.write(data[len(data) // 2:])
        await wait_for(lambda: not target.exists(), "the completed file to be taken")

    run_with_inbox(inbox, scenario)
    assert attempts[0] < len(data) and attempts[-1] == len(data)
    assert not (inbox.inbox_dir / "rejected").exists()
    [record] = inbox.library.list()
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_a_file_that_changes_while_it_is_added_stays_and_is_taken_again(tmp_path, make_drawing):
    """An upload that paused longer than the stable period goes on while the first version is
    being added: the inbox keeps the file as it is now and adds that too; nothing is lost."""
    first = make_drawing(tmp_path / "first.png", seed=21).read_bytes()
    second = make_drawing(tmp_path / "second.png", seed=22).read_bytes()
    replaced = []

    class GoingOn(Library):
        def add(self, path, *args, **kwargs):
            result = super().add(path, *args, **kwargs)
            if not replaced:
                path.write_bytes(second)
                replaced.append(path)
            return result

    inbox = make_inbox(tmp_path, stable_seconds=0.3)
    inbox.library = GoingOn(tmp_path / "state")
    target = inbox.inbox_dir / "late.png"

    async def scenario() -> None:
        await wait_for(lambda: inbox.observer_kind, "the observer to start")
        target.write_bytes(first)
        await wait_for(lambda: len(inbox.library.list()) == 2, "both versions in the library")
        await wait_for(lambda: not target.exists(), "the file as it is now to be taken")

    run_with_inbox(inbox, scenario)
    hashes = {record.sha256 for record in inbox.library.list()}
    assert hashes == {hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()}
    assert not (inbox.inbox_dir / "rejected").exists()


def test_a_refused_file_that_stopped_changing_goes_to_rejected_with_its_reason(tmp_path):
    inbox = make_inbox(tmp_path, stable_seconds=0.3)
    notes = inbox.inbox_dir / "notes.png"
    notes.write_text("shopping list\n")
    an_hour_ago = time.time() - 3600
    os.utime(notes, (an_hour_ago, an_hour_ago))  # long unchanged: refused at once
    rejected = []
    inbox.on_rejected = rejected.append

    async def scenario() -> None:
        await wait_for(lambda: rejected, "the refusal")

    run_with_inbox(inbox, scenario)
    assert files_in(inbox.inbox_dir) == ["rejected/notes.png", "rejected/notes.png.reason.txt"]
    assert "not an image file" in (inbox.inbox_dir / "rejected/notes.png.reason.txt").read_text()
