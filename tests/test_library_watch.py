"""The daemon's library watcher: an artwork redrawn in another process (a curator's choice of
style from the console or the CLI) is what the show projects next; the others are kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from PIL import Image

from artwork import Library, PixelTarget, gobo_target, parse_settings
from controller.library_watch import LibraryWatcher
from controller.looks import Look, palette_colours

TARGETS = (gobo_target("steel"), PixelTarget(8, 4))


def on_disk(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).reshape(-1, 3) / 255.0


def test_a_redrawn_artwork_is_loaded_again_and_the_others_are_kept(
    tmp_path: Path, drawings_dir: Path, make_drawing
) -> None:
    state, settings = tmp_path / "state", parse_settings({})
    library = Library(state)
    pikachu = library.add(drawings_dir / "kidpokemon_pikachu-julia.webp", "Julia", TARGETS,
                          settings).record
    sun = library.add(make_drawing(tmp_path / "sun.png", seed=2), None, TARGETS, settings).record
    shown: list[list[Look]] = []

    async def watch() -> None:
        watcher = LibraryWatcher(state, shown.append, lambda _library: None, Library)
        await watcher.refresh()
        await asyncio.to_thread(library.set_style, pikachu.id, "lines", TARGETS, settings)
        await watcher.refresh()

    asyncio.run(watch())
    before, after = ({look.artwork_id: look for look in looks} for looks in shown)
    assert before[pikachu.id].style == "fills"
    assert after[sun.id] is before[sun.id]  # not read again
    redrawn = after[pikachu.id]
    assert redrawn.style == "lines"
    assert redrawn.colours == palette_colours(library.get(pikachu.id).palette)
    now = on_disk(library.files(pikachu.id)["pixels-8x4"])
    assert np.array_equal(redrawn.pixels[(8, 4)], now)
    assert not np.array_equal(before[pikachu.id].pixels[(8, 4)], now)
