"""Conversions in a child process: same result as in-process, refusals and site faults come
back as such, and a conversion over its memory limit is refused in plain words."""

from __future__ import annotations

import errno
import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from artwork import RejectedDrawing, Settings, gobo_target
from artwork.contract import CONVERT_DRAWING
from artwork.convert import convert_drawing
from artwork.isolated import in_child
from artwork.library import Library

TARGETS = (gobo_target("steel"), gobo_target("glass"))


def test_the_child_converts_as_the_daemon_would(tmp_path: Path, make_drawing) -> None:
    drawing = make_drawing(tmp_path / "sun.png", seed=4)
    here = convert_drawing(drawing, tmp_path / "here", TARGETS, Settings())
    there = in_child(CONVERT_DRAWING, drawing, tmp_path / "there", TARGETS, Settings())
    assert sorted(there.files) == sorted(here.files)
    assert all(path.is_file() and path.parent == tmp_path / "there"
               for path in there.files.values())
    assert there.palette == here.palette and there.warnings == here.warnings
    for key in ("gobo-steel-B", "preview"):  # digests: a diff of two PNGs helps nobody
        digests = [hashlib.sha256(f.files[key].read_bytes()).hexdigest() for f in (there, here)]
        assert digests[0] == digests[1], key


def test_refusals_and_site_faults_come_back_as_themselves(tmp_path: Path, make_drawing) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("shopping list")
    with pytest.raises(RejectedDrawing, match=r"^not an image file$"):
        in_child(CONVERT_DRAWING, notes, tmp_path / "out", TARGETS, Settings())
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    drawing = make_drawing(tmp_path / "drawing.png", seed=2)
    with pytest.raises(OSError) as caught:
        in_child(CONVERT_DRAWING, drawing, blocked / "out", TARGETS, Settings())
    assert caught.value.errno in (errno.EEXIST, errno.ENOTDIR)


def test_a_conversion_over_its_memory_limit_is_refused_and_the_library_stays_clean(
    tmp_path: Path,
) -> None:
    """6320 x 6320 pixels in a 116 KB PNG (under max_pixels): about 120 MB decoded."""
    big = tmp_path / "black.png"
    Image.new("RGB", (6320, 6320), (0, 0, 0)).save(big)
    settings = replace(Settings(), conversion_memory_mb=150)
    library = Library(tmp_path / "state", run=in_child)
    with pytest.raises(RejectedDrawing) as caught:
        library.add(big, None, TARGETS, settings)
    assert caught.value.reason.startswith("too large to convert within the 150 MB")
    assert library.list() == []
    assert list((tmp_path / "state" / "originals").iterdir()) == []
    assert not list((tmp_path / "state" / "artworks").iterdir())


def test_the_daemon_never_loads_opencv(tmp_path: Path, make_drawing) -> None:
    """OpenCV costs the daemon about 35 MB it would keep for months: only children load it."""
    drawing = make_drawing(tmp_path / "sun.png", seed=3)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import controller.cli, controller.daemon  # `gobo daemon` loads the whole CLI\n"
        "from artwork import Library, Settings, gobo_target\n"
        "from artwork.isolated import in_child\n"
        f"library = Library(Path({str(tmp_path / 'state')!r}), run=in_child)\n"
        f"record = library.add(Path({str(drawing)!r}), None, (gobo_target('steel'),), Settings())\n"
        "library.set_style(record.record.id, 'fills', (gobo_target('steel'),), Settings())\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('cv2', 'scipy')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
