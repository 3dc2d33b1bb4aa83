"""Enttec DMX USB Pro output through pyserial, on a writer thread.

The widget repeats the last label-6 frame on the DMX line by itself, so we write
when the frame changes and as a keep-alive (which also notices an unplugged device).
An unplugged device is reopened with back-off capped at 1 s, so it is back within
2 s of being plugged in again. The event loop only ever swaps a bytes reference.
"""

from __future__ import annotations

import asyncio
import os
import termios
import threading
import time
from collections.abc import Mapping

import serial

from hardware.outputs.base import DISCONNECTED, ERROR, OK, Health, HealthTracker, Output
from hardware.outputs.config import OutputConfig

SOM, EOM = 0x7E, 0xE7
LABEL_GET_PARAMS, LABEL_SEND_DMX, LABEL_GET_SERIAL = 3, 6, 10
SLOTS = 512
_REPLY_TIMEOUT = 0.5
_MAX_BACKOFF = 1.0
NO_ANSWER = "widget did not answer labels 3/10"
# A vanished device: pyserial's write raises SerialException, in_waiting OSError, but
# flush and reset_input_buffer raise termios.error (EIO), which is not an OSError.
_LOST = (serial.SerialException, OSError, termios.error)


def encode_message(label: int, payload: bytes = b"") -> bytes:
    """0x7E | label | length LSB | length MSB | payload | 0xE7."""
    return bytes((SOM, label, len(payload) & 0xFF, len(payload) >> 8)) + payload + bytes((EOM,))


def dmx_message(frame: bytes) -> bytes:
    """Label 6: start code 0 and all 512 slots."""
    return encode_message(LABEL_SEND_DMX, b"\x00" + bytes(frame[:SLOTS]).ljust(SLOTS, b"\x00"))


def parse_messages(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take every complete message out of `buffer` (consumed), skipping noise before SOM."""
    messages = []
    while True:
        start = buffer.find(SOM)
        if start < 0:
            buffer.clear()
            return messages
        del buffer[:start]
        if len(buffer) < 4:
            return messages
        length = buffer[2] | buffer[3] << 8
        if length > 600:
            del buffer[:1]
            continue
        end = 4 + length
        if len(buffer) < end + 1:
            return messages
        if buffer[end] == EOM:
            messages.append((buffer[1], bytes(buffer[4:end])))
            del buffer[: end + 1]
        else:
            del buffer[:1]


def describe_widget(serial_reply: bytes | None, params_reply: bytes | None) -> str:
    """Status text from the label 10 (BCD serial, LE) and label 3 replies."""
    parts = []
    if serial_reply and len(serial_reply) >= 4:
        parts.append(f"serial {int.from_bytes(serial_reply[:4], 'little'):08x}")
    if params_reply and len(params_reply) >= 5:
        fw_lsb, fw_msb, brk, mab, rate = params_reply[:5]
        parts.append(f"firmware {fw_msb}.{fw_lsb}, break {brk * 10.67:.0f} us, "
                     f"MAB {mab * 10.67:.0f} us, {rate or 'max'} fps")
    return ", ".join(parts) or NO_ANSWER


class EnttecUsbProOutput(Output):
    def __init__(self, config: OutputConfig, universe: int = 1) -> None:
        assert config.device is not None
        self.name = config.name
        self.device = config.device
        self.universe = universe
        self._keepalive = config.refresh_seconds
        self._period = 1.0 / config.fps
        self._health = HealthTracker(config.name)
        self._frame = bytes(SLOTS)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def health(self) -> Health:
        return self._health.get()

    async def open(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"enttec {self.name}", daemon=True)
        self._thread.start()

    def send(self, universes: Mapping[int, bytes]) -> None:
        frame = universes.get(self.universe)
        if frame is not None and frame != self._frame:
            self._frame = bytes(frame)
            self._wake.set()

    async def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        self._health.closed()

    # --- writer thread -------------------------------------------------------------
    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            port = self._connect()
            if port is None:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 0.1
            try:
                self._pump(port)
            except _LOST as exc:
                self._health.set(DISCONNECTED, f"{self.device}: lost ({exc}); reconnecting")
            finally:
                port.close()

    def _connect(self) -> serial.Serial | None:
        if not os.path.exists(self.device):
            self._health.set(DISCONNECTED, f"{self.device}: no such device; waiting for it")
            return None
        try:
            port = serial.Serial(self.device, 115200, timeout=0.05, write_timeout=1.0)
        except (serial.SerialException, OSError) as exc:
            denied = isinstance(exc, PermissionError) or "ermission" in str(exc)
            state = ERROR if denied else DISCONNECTED  # permission needs a person (dialout group)
            self._health.set(state, f"{self.device}: cannot open ({exc}); retrying")
            return None
        try:
            detail = describe_widget(self._query(port, LABEL_GET_SERIAL, b""),
                                     self._query(port, LABEL_GET_PARAMS, b"\x00\x00"))
        except _LOST as exc:
            port.close()
            self._health.set(DISCONNECTED, f"{self.device}: lost while opening ({exc})")
            return None
        if detail == NO_ANSWER:  # keep sending: a clone may still pass DMX
            self._health.set(ERROR, f"{self.device}: {NO_ANSWER}; is it an Enttec USB Pro?")
        else:
            self._health.set(OK, f"{self.device}: {detail}")
        return port

    def _query(self, port: serial.Serial, label: int, payload: bytes) -> bytes | None:
        port.reset_input_buffer()
        port.write(encode_message(label, payload))
        buffer = bytearray()
        deadline = time.monotonic() + _REPLY_TIMEOUT
        while time.monotonic() < deadline:
            buffer += port.read(max(1, port.in_waiting))
            for reply_label, reply in parse_messages(buffer):
                if reply_label == label:
                    return reply
        return None

    def _pump(self, port: serial.Serial) -> None:
        sent: bytes | None = None
        last_write = 0.0
        while True:
            frame = self._frame
            now = time.monotonic()
            stopping = self._stop.is_set()
            if stopping or frame is not sent or now - last_write >= self._keepalive:
                port.write(dmx_message(frame))
                port.flush()
                sent, last_write = frame, now
            if stopping:
                return  # the final frame went out above
            self._wake.wait(max(0.0, min(self._period, last_write + self._keepalive - now)))
            self._wake.clear()
            # DMX cannot carry more than ~44 frames/s: pace to the configured fps
            time.sleep(max(0.0, last_write + self._period - time.monotonic()))
