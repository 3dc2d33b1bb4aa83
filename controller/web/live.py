"""/live.png: the projection as it is now, drawn here with the simulated output's renderer
from the frame the daemon is sending (the daemon only hands over bytes and image paths)."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

from PIL import Image

from controller.config import SiteConfig
from controller.web.daemon_link import DaemonLink
from controller.web.thumbs import Thumbnails
from hardware.outputs.simulated import SimulatedOutput

SIZE = (800, 600)
GOBO_PX = 256  # gate images are drawn from small copies: a 600 dpi gobo is 37 MB decoded
SHARED_FOR_S = 0.5
MAX_CACHED_GATES = 24  # distinct gate images before the outputs start afresh (bounded memory)


class LivePicture:
    def __init__(self, config: SiteConfig, link: DaemonLink, thumbs: Thumbnails) -> None:
        self.config = config
        self.link = link
        self.thumbs = thumbs
        self._outputs: dict[str, SimulatedOutput] = {}
        self._seen_gates: set[str] = set()
        self._lock = asyncio.Lock()
        self._png = b""
        self._at = 0.0

    async def png(self) -> bytes:
        """The latest picture, drawn at most twice a second however many consoles watch."""
        async with self._lock:
            if time.monotonic() - self._at >= SHARED_FOR_S:
                live = await self.link.request("live")
                self._png = await asyncio.to_thread(self._draw, live)
                self._at = time.monotonic()
            return self._png

    def _draw(self, live: dict[str, Any]) -> bytes:
        if not self._outputs or len(self._seen_gates) > MAX_CACHED_GATES:
            self._outputs = self._fresh_outputs()
            self._seen_gates = set()
        owner = {f.name: f.output for f in self.config.patch.fixtures}
        for fixture, slot, path in live.get("gates", []):
            output = self._outputs.get(owner.get(fixture, ""))
            if output is not None:
                output.set_gobo_image(fixture, slot, self._gate_image(path))
        for name, output in self._outputs.items():
            frames = live.get("frames", {}).get(name, {})
            output.send({int(number): bytes.fromhex(data) for number, data in frames.items()})
        image = self._compose()
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    def _fresh_outputs(self) -> dict[str, SimulatedOutput]:
        patch = self.config.patch
        return {
            output.name: SimulatedOutput(
                output, [f for f in patch.fixtures if f.output == output.name]
            )
            for output in patch.outputs
            if any(f.output == output.name for f in patch.fixtures)
        }

    def _gate_image(self, path: str | None) -> Path | None:
        """A small copy of an artwork's gobo; other images (an OFL wheel's) as they are."""
        if not path:
            return None
        source = Path(path)
        if not source.is_relative_to(self.config.state_dir):
            return source
        self._seen_gates.add(path)
        try:
            return self.thumbs.get(source, GOBO_PX)
        except OSError:
            return None  # the artwork's files went away meanwhile: an open beam

    def _compose(self) -> Image.Image:
        """Each output's fixtures in a band, in proportion to how many it drives."""
        outputs = list(self._outputs.values())
        canvas = Image.new("RGB", SIZE, (8, 8, 12))
        total = sum(len(o.fixtures) for o in outputs) or 1
        top = 0
        for index, output in enumerate(outputs):
            last = index == len(outputs) - 1
            height = SIZE[1] - top if last else round(SIZE[1] * len(output.fixtures) / total)
            if height > 0:
                canvas.paste(output.render((SIZE[0], height)), (0, top))
            top += height
        return canvas
