"""The daemon and its libraries under the riskiest parts of gobo.service's sandbox.

No systemd runs here, so the kernel does the same job directly: PR_SET_MDWE (what
MemoryDenyWriteExecute= enforces), no_new_privs (NoNewPrivileges=) and an empty capability
bounding set (CapabilityBoundingSet=) via setpriv. numpy, Pillow, resvg, watchdog (ctypes) and
the daemon itself must work under them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import need, need_tool

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
GOBO = Path(sys.executable).parent / "gobo"


def _sandbox() -> Callable[[], None]:
    libc = ctypes.CDLL(None, use_errno=True)

    def enter() -> None:  # runs in the child between fork and exec
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_MDWE")

    return enter


@pytest.fixture(scope="module")
def sandbox() -> Callable[[], None]:
    probe = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_sandbox(), capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("kernel without PR_SET_MDWE (Linux < 6.3): cannot emulate the sandbox")
    return _sandbox()


def test_libraries_load_without_writable_executable_memory(sandbox: Callable[[], None]) -> None:
    code = textwrap.dedent(
        """
        import io, mmap, tempfile, time
        try:
            mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        except PermissionError:
            pass
        else:
            raise SystemExit("W+X mapping allowed: the sandbox is not active")
        import numpy, serial, pyartnet, pythonosc, astral, resvg_py
        from PIL import Image
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle r="4"/></svg>'
        assert resvg_py.svg_to_bytes(svg_string=svg, dpi=96)[1:4] == b"PNG"
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        import controller.daemon
        buffer = io.BytesIO()
        Image.fromarray(numpy.eye(64, dtype=numpy.uint8) * 255).save(buffer, "PNG")
        seen = []
        class Handler(FileSystemEventHandler):
            def on_created(self, event):
                seen.append(event.src_path)
        with tempfile.TemporaryDirectory() as folder:
            observer = Observer()
            observer.schedule(Handler(), folder)
            observer.start()
            open(folder + "/drawing.png", "wb").write(buffer.getvalue())
            for _ in range(100):
                if seen:
                    break
                time.sleep(0.05)
            observer.stop()
            observer.join()
        print(type(observer).__name__, len(seen))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], preexec_fn=sandbox, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["InotifyObserver", "1"]


def test_daemon_notifies_ready_and_stops_cleanly(
    sandbox: Callable[[], None], tmp_path: Path
) -> None:
    setpriv = need_tool("setpriv")
    need(GOBO.is_file(), f"{GOBO} is missing: pip install -e . into this venv")
    (tmp_path / "state").mkdir()
    (tmp_path / "inbox").mkdir()
    site = tmp_path / "site.toml"
    site.write_text(
        textwrap.dedent(
            f"""
            [site]
            name = "sandbox"
            latitude = 61.4978
            longitude = 23.7610
            timezone = "Europe/Helsinki"
            [paths]
            state = "{tmp_path}/state"
            inbox = "{tmp_path}/inbox"
            [control]
            socket = "{tmp_path}/control.sock"
            [osc]
            enabled = false
            [[output]]
            name = "lan"
            type = "artnet"
            host = "127.0.0.1"
            [[fixture]]
            name = "wash"
            profile = "generic-rgbw"
            output = "lan"
            universe = 1
            address = 1
            """
        )
    )
    notify_path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(60)  # a guard against a hung start, not a speed requirement
        env = dict(os.environ, NOTIFY_SOCKET=str(notify_path))
        drop_capabilities = [setpriv, "--bounding-set=-all", "--inh-caps=-all"]
        daemon = subprocess.Popen(
            [*drop_capabilities, str(GOBO), "--config", str(site), "daemon"],
            env=env,
            preexec_fn=sandbox,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            messages = []
            while not any("READY=1" in m for m in messages):
                messages.append(notify.recv(4096).decode())
            daemon.send_signal(signal.SIGTERM)
            _, stderr = daemon.communicate(timeout=60)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    assert daemon.returncode == 0, stderr
