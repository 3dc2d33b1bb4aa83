"""Enttec DMX USB Pro output against a pty pair and a small widget emulator thread."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import threading
import time
import tty
from pathlib import Path

from hardware.outputs import create_output, parse_output
from hardware.outputs.enttec import dmx_message, encode_message, parse_messages

SERIAL = bytes([0x78, 0x56, 0x34, 0x12])  # BCD 12345678, little-endian
PARAMS = bytes([0x44, 0x01, 9, 1, 40])  # firmware 1.68, break 9, MAB 1, 40 fps


class Widget:
    """Plays the widget on a pty master: answers labels 3 and 10, records label 6 frames."""

    def __init__(self, link: Path) -> None:
        self.master, slave = pty.openpty()
        tty.setraw(self.master)
        tty.setraw(slave)
        self.slave_path = os.ttyname(slave)
        os.close(slave)
        link.unlink(missing_ok=True)
        link.symlink_to(self.slave_path)
        self.frames: list[bytes] = []
        self.queries: list[int] = []
        self.changed = threading.Condition()
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        buffer = bytearray()
        while self._running:
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the slave side is not open (yet)
                time.sleep(0.01)
                continue
            buffer += chunk
            for label, payload in parse_messages(buffer):
                with self.changed:
                    if label == 6:
                        self.frames.append(payload)
                    else:
                        self.queries.append(label)
                    self.changed.notify_all()
                if label == 10:
                    os.write(self.master, encode_message(10, SERIAL))
                elif label == 3:
                    os.write(self.master, encode_message(3, PARAMS))

    def wait_frame(self, predicate, timeout: float = 5.0) -> bytes | None:
        with self.changed:
            found = self.changed.wait_for(
                lambda: any(predicate(f) for f in self.frames), timeout=timeout
            )
            return next(f for f in self.frames if predicate(f)) if found else None

    def unplug(self, link: Path) -> None:
        """The device node goes away with the widget, as udev removes the by-id link."""
        link.unlink()
        self._running = False
        self._thread.join()
        os.close(self.master)


def test_message_framing_and_parser() -> None:
    message = dmx_message(bytes([1, 2, 3]))
    assert message[:4] == bytes([0x7E, 6, 0x01, 0x02])  # 513 = start code + 512 slots
    assert message[4] == 0 and message[5:8] == bytes([1, 2, 3]) and message[-1] == 0xE7
    assert len(message) == 4 + 513 + 1
    buffer = bytearray(b"\x00junk" + encode_message(10, SERIAL) + encode_message(3)[:3])
    assert parse_messages(buffer) == [(10, SERIAL)]
    assert bytes(buffer) == encode_message(3)[:3]  # incomplete message kept for later


def test_frames_status_unplug_and_replug(tmp_path: Path) -> None:
    link = tmp_path / "usb-ENTTEC_DMX_USB_PRO_12345678-if00-port0"
    widget = Widget(link)
    config = parse_output({"name": "usb", "type": "enttec-usb-pro", "device": str(link),
                           "refresh_seconds": 0.2}, "output[1]")

    async def run() -> None:
        nonlocal widget
        output = create_output(config, [])
        await output.open()
        await asyncio.to_thread(widget.wait_frame, lambda f: True)
        health = output.health()
        assert health.state == "ok", health
        assert "serial 12345678" in health.detail and "firmware 1.68" in health.detail
        assert widget.queries[:2] == [10, 3]

        output.send({1: bytes([255, 128, 1]) + bytes(509)})
        frame = await asyncio.to_thread(widget.wait_frame, lambda f: f[1:4] == bytes([255, 128, 1]))
        assert frame is not None and frame[0] == 0 and len(frame) == 513

        widget.unplug(link)
        for _ in range(100):
            if output.health().state == "disconnected":
                break
            await asyncio.sleep(0.05)
        assert output.health().state == "disconnected"
        output.send({1: bytes([7, 7, 7]) + bytes(509)})  # the loop goes on while it is away

        widget = Widget(link)  # plugged in again: a new pty behind the same by-id path
        frame = await asyncio.to_thread(widget.wait_frame, lambda f: f[1:4] == bytes([7, 7, 7]))
        assert frame is not None
        assert output.health().state == "ok"

        output.send({1: bytes([42]) + bytes(511)})
        await output.close()
        assert await asyncio.to_thread(widget.wait_frame, lambda f: f[1] == 42) is not None
        widget.unplug(link)

    asyncio.run(run())


def test_missing_device_is_disconnected_and_never_raises(tmp_path: Path) -> None:
    config = parse_output({"name": "usb", "type": "enttec-usb-pro",
                           "device": str(tmp_path / "no-such-widget")}, "output[1]")

    async def run() -> tuple[str, str]:
        output = create_output(config, [])
        await output.open()
        output.send({1: bytes(512)})
        await asyncio.sleep(0.2)
        health = output.health()
        await output.close()
        return health.state, health.detail

    state, detail = asyncio.run(run())
    assert state == "disconnected" and "no such device" in detail
