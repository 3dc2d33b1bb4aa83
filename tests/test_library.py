"""The artwork library: content addressing, duplicates, statuses, crash safety, concurrency."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from artwork import Library, PixelTarget, RejectedDrawing, gobo_target, parse_settings
from artwork.contract import in_process
from artwork.derivatives import read_manifest
from artwork.isolated import in_child
from artwork.library import ArtworkNotFound, LibraryError

PIXELS = (PixelTarget(8, 4),)


def settings(**overrides):
    return parse_settings(overrides)


def test_add_keeps_original_byte_for_byte_and_writes_derivatives(tmp_path, make_drawing):
    source = make_drawing(tmp_path / "in" / "sun.png", seed=1)
    library = Library(tmp_path / "state")
    result = library.add(source, "Aino", PIXELS, settings())
    record = result.record
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert not result.duplicate
    assert (record.id, record.sha256) == (sha[:12], sha)
    assert record.original == tmp_path / "state" / "originals" / f"{sha}.png"
    assert record.original.read_bytes() == source.read_bytes()
    assert source.exists()  # the library copies; moving is the inbox's job
    assert record.credit == "Aino"
    assert record.original_name == "sun.png"
    assert record.status == "approved" and record.approved_at is not None
    assert record.palette and all(c.startswith("#") and 0 < w <= 1 for c, w in record.palette)
    assert record.directory == tmp_path / "state" / "artworks" / record.id
    files = library.files(record.id)
    for name in ("cleaned", "preview", "palette", "pixels-8x4"):
        assert files[name].is_file(), name
    # No scratch directories or temporary originals are left behind.
    leftovers = [p.name for p in (tmp_path / "state").rglob(".tmp-*")]
    assert leftovers == []


def test_same_bytes_again_is_a_duplicate(tmp_path, make_drawing):
    first = make_drawing(tmp_path / "a.png", seed=2)
    copy = tmp_path / "renamed.PNG"
    copy.write_bytes(first.read_bytes())
    library = Library(tmp_path / "state")
    original = library.add(first, None, PIXELS, settings()).record
    again = library.add(copy, "someone else", PIXELS, settings())
    assert again.duplicate
    assert again.record == original
    assert len(library.list()) == 1
    assert len(list((tmp_path / "state" / "originals").iterdir())) == 1


def test_require_approval_queues_new_drawings(tmp_path, make_drawing):
    library = Library(tmp_path / "state")
    queued = settings(require_approval=True)
    ids = [
        library.add(make_drawing(tmp_path / f"d{i}.png", seed=i), None, PIXELS, queued).record.id
        for i in range(3)
    ]
    assert [r.status for r in library.list()] == ["pending"] * 3
    assert library.approved() == []
    assert [r.id for r in library.list("pending")] == ids
    # approved() follows approval order, not the order they were added.
    library.set_status(ids[2], "approved")
    library.set_status(ids[0], "approved")
    assert [r.id for r in library.approved()] == [ids[2], ids[0]]
    retired = library.set_status(ids[2], "retired")
    assert retired.status == "retired"
    assert [r.id for r in library.approved()] == [ids[0]]
    library.set_status(ids[1], "rejected")
    assert [r.id for r in library.list("rejected")] == [ids[1]]
    with pytest.raises(LibraryError, match="unknown status"):
        library.set_status(ids[0], "shown")


def test_revision_grows_with_every_change(tmp_path, make_drawing):
    library = Library(tmp_path / "state")
    start = library.revision()
    record = library.add(make_drawing(tmp_path / "r.png", seed=5), None, PIXELS, settings()).record
    after_add = library.revision()
    library.set_status(record.id, "retired")
    assert start < after_add < library.revision()


def test_get_by_unique_prefix_and_clear_errors(tmp_path, make_drawing):
    library = Library(tmp_path / "state")
    record = library.add(make_drawing(tmp_path / "p.png", seed=3), None, PIXELS, settings()).record
    assert library.get(record.id[:5]) == record
    assert library.get(record.id.upper()) == record
    assert library.get(record.sha256) == record
    other = "0" if record.id[0] != "0" else "1"
    with pytest.raises(ArtworkNotFound, match="no artwork"):
        library.get(other * 6)
    with pytest.raises(ArtworkNotFound, match="not an artwork id"):
        library.get("../../etc")


def test_refused_drawing_leaves_no_trace(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is a shopping list, not a picture\n")
    library = Library(tmp_path / "state")
    with pytest.raises(RejectedDrawing) as refused:
        library.add(text, None, PIXELS, settings())
    assert "image" in str(refused.value)
    assert library.list() == []
    assert list((tmp_path / "state" / "originals").iterdir()) == []
    assert list((tmp_path / "state" / "artworks").iterdir()) == []


def test_size_limit_checked_before_reading(tmp_path, make_drawing):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + os.urandom(2 * 1024 * 1024))
    library = Library(tmp_path / "state")
    with pytest.raises(RejectedDrawing, match="too large"):
        library.add(big, None, PIXELS, settings(max_file_mb=1))
    assert list((tmp_path / "state" / "originals").iterdir()) == []


def test_symlink_is_refused(tmp_path):
    link = tmp_path / "passwd.png"
    link.symlink_to("/etc/passwd")
    library = Library(tmp_path / "state")
    with pytest.raises(RejectedDrawing, match="link"):
        library.add(link, None, PIXELS, settings())
    assert library.list() == []


def test_leftovers_of_a_crash_before_commit_are_redone(tmp_path, make_drawing):
    source = make_drawing(tmp_path / "c.png", seed=4)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    state = tmp_path / "state"
    library = Library(state)
    # Power cut after the copy and a half-written derivative directory, before the commit.
    (state / "originals" / f"{sha}.png").write_bytes(source.read_bytes()[:100])
    (state / "artworks" / sha[:12]).mkdir()
    (state / "artworks" / sha[:12] / "preview.png").write_bytes(b"half")
    record = library.add(source, None, PIXELS, settings()).record
    assert record.original.read_bytes() == source.read_bytes()
    assert library.files(record.id)["preview"].read_bytes() != b"half"
    assert len(library.list()) == 1


@pytest.mark.parametrize("run", [in_process, in_child], ids=["in-process", "in-child"])
def test_ensure_derivatives_adds_files_for_a_new_patch(tmp_path, make_drawing, run):
    library = Library(tmp_path / "state", run=run)
    record = library.add(make_drawing(tmp_path / "e.png", seed=6), None, PIXELS, settings()).record
    glass = gobo_target("glass", size="E")
    wider = PixelTarget(16, 6)
    made = library.ensure_derivatives((*PIXELS, glass, wider), settings())
    assert sorted(made[record.id]) == sorted([f"gobo-{glass.key}.png", "pixels-16x6.png"])
    files = library.files(record.id)
    assert files[f"gobo-{glass.key}"].is_file() and files["pixels-16x6"].is_file()
    assert library.ensure_derivatives((*PIXELS, glass, wider), settings()) == {}


def test_a_curators_style_redraws_the_gobos_and_auto_gives_the_converters_back(
    tmp_path, drawings_dir
):
    """Through the daemon's runner (a child process): Pikachu is coloured in, so the
    converter draws it as fills; the curator's lines redraw every gobo, and auto undoes it."""
    targets = (gobo_target("steel"), gobo_target("colour"), *PIXELS)
    library = Library(tmp_path / "state", run=in_child)
    source = drawings_dir / "kidpokemon_pikachu-julia.webp"
    record = library.add(source, None, targets, settings()).record
    assert (record.style, record.style_chosen_by) == ("fills", "converter")
    steel = library.files(record.id)["gobo-steel-B"]
    as_fills = steel.read_bytes()

    chosen = library.set_style(record.id, "lines", targets, settings())
    assert (chosen.style, chosen.style_chosen_by) == ("lines", "curator")
    assert library.get(record.id).style == "lines"
    assert steel.read_bytes() != as_fills
    manifest = read_manifest(record.directory)
    assert manifest["style"]["used"] == "lines" and manifest["style"]["chosen_by"] == "curator"
    assert manifest["style"]["automatic"] == "fills"
    assert not list(record.directory.glob(".tmp-*"))

    with pytest.raises(LibraryError, match="unknown style 'woodcut'"):
        library.set_style(record.id, "woodcut", targets, settings())
    assert library.get(record.id).style == "lines"

    back = library.set_style(record.id, None, targets, settings())
    assert (back.style, back.style_chosen_by) == ("fills", "converter")
    assert steel.read_bytes() == as_fills
    assert read_manifest(record.directory)["style"]["chosen_by"] == "converter"


def test_real_drawing(tmp_path, drawings_dir):
    source = drawings_dir / "controlnet_user_1.png"
    library = Library(tmp_path / "state")
    record = library.add(source, "ControlNet", PIXELS, settings()).record
    assert record.original.read_bytes() == source.read_bytes()
    assert library.files(record.id)["preview"].is_file()


def _add_all(state: str, paths: list[str], queue: multiprocessing.Queue) -> None:
    library = Library(Path(state))
    results = []
    for path in paths:
        result = library.add(Path(path), None, PIXELS, parse_settings({}))
        results.append((result.record.id, result.duplicate))
    queue.put(results)


def test_two_processes_adding_at_once(tmp_path, make_drawing):
    shared = [make_drawing(tmp_path / f"shared{i}.png", seed=20 + i) for i in range(3)]
    own = [[make_drawing(tmp_path / f"p{p}_{i}.png", seed=40 + 10 * p + i) for i in range(3)]
           for p in range(2)]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    state = str(tmp_path / "state")
    Library(Path(state))
    workers = [
        context.Process(target=_add_all, args=(state, [str(p) for p in shared + own[n]], queue))
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    results = [queue.get(timeout=5) for _ in workers]
    library = Library(Path(state))
    assert len(library.list()) == 3 + 6
    # Each shared drawing was added exactly once; the other process saw a duplicate.
    for index in range(3):
        flags = sorted(result[index][1] for result in results)
        assert flags == [False, True]
    with sqlite3.connect(library.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(list((Path(state) / "originals").iterdir())) == 9


def test_async_add_runs_off_the_event_loop(tmp_path, make_drawing):
    import asyncio
    import threading

    library = Library(tmp_path / "state")
    source = make_drawing(tmp_path / "async.png", seed=8)
    loop_thread = threading.get_ident()
    seen: list[int] = []
    original_add = library.add

    def add_recording_thread(*args):
        seen.append(threading.get_ident())
        return original_add(*args)

    library.add = add_recording_thread  # type: ignore[method-assign]
    result = asyncio.run(library.add_async(source, None, PIXELS, settings()))
    assert result.record.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert seen and seen[0] != loop_thread

def test_catalogue_is_shared_as_the_umask_allows(tmp_path):
    """SQLite alone makes its file 0644: under the service's UMask=0007 group gobo could not
    approve. The catalogue and its -wal/-shm get 0666 & ~umask instead."""
    old = os.umask(0o007)
    try:
        Library(tmp_path / "state")
    finally:
        os.umask(old)
    db_path = tmp_path / "state" / "library.sqlite3"
    assert oct(db_path.stat().st_mode & 0o777) == "0o660"
    db = sqlite3.connect(db_path)
    try:
        db.execute("UPDATE meta SET value = value + 1")
        db.commit()
        for suffix in ("-wal", "-shm"):
            mode = (tmp_path / "state" / f"library.sqlite3{suffix}").stat().st_mode
            assert oct(mode & 0o777) == "0o660", suffix
    finally:
        db.close()



@pytest.mark.parametrize(("raw", "clean"), [
    ("sun.png", "sun.png"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\kissa.jpg", "kissa.jpg"),
    ("bad\nname\x1b.png", "bad_name_.png"),
    ("...hidden.png", "hidden.png"),
    ("", "drawing"),
    ("a" * 300 + ".png", "a" * 116 + ".png"),
])
def test_names_are_sanitised(raw, clean):
    from artwork.library import sanitize_name

    assert sanitize_name(raw) == clean
