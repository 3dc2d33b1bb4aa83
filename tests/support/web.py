"""A real site for the web console's tests: `gobo daemon` and `gobo web` as processes on a
temporary site with simulated outputs, users made with `gobo web user add`, and a small
HTTP client that keeps its session cookie (from any loopback source address)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from support.polling import wait_for
from support.sites import site_toml

GOBO = [sys.executable, "-m", "controller"]
WEB_UNIT = Path(__file__).resolve().parents[2] / "systemd" / "gobo-web.service"
PASSWORDS = {"ari": "artist-pass-1", "cora": "curator-pass-1", "tess": "tech-pass-123"}
ROLES = {"ari": "artist", "cora": "curator", "tess": "technician"}
METRICS_TOKEN = "test-token-0123456789abcdef"


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unit_environment(unit: Path) -> dict[str, str]:
    """The Environment= a systemd unit gives its service, so the console runs here as there."""
    settings = [line.removeprefix("Environment=") for line in unit.read_text().splitlines()
                if line.startswith("Environment=")]
    return dict(word.split("=", 1) for line in settings for word in line.split())


def settled(client: Client, upload: dict[str, Any]) -> dict[str, Any]:
    """What became of an upload once the daemon took it from the inbox (or refused it)."""

    def probe() -> dict[str, Any] | None:
        status, outcome = client.get(upload["status_url"])
        return outcome if status == 200 and outcome["state"] != "waiting" else None

    return wait_for("upload settled", probe, 60)


SITE = site_toml("Web test") + """
[osc]
enabled = false
[artwork]
require_approval = true
[web]
listen = "127.0.0.1:{port}"
upload_max_mb = 0.5
metrics_token = "{token}"
login_attempts = 3
[show]
rotation_minutes = 0.1
crossfade_seconds = 0.5
window_fade_seconds = 0.5
[[schedule.window]]
name = "always"
start = "12:00"
end = "11:59"
level = 1.0
[[output]]
name = "sim"
type = "simulated"
[[fixture]]
name = "projector"
profile = "generic-led-gobo"
output = "sim"
universe = 1
address = 1
gobo_kind = "glass"
[[fixture]]
name = "spot"
profile = "generic-led-gobo"
output = "sim"
universe = 1
address = 40
gobo_kind = "steel"
[[fixture]]
name = "wash"
profile = "generic-rgbw"
output = "sim"
universe = 1
address = 20
"""


class WebSite:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_tcp_port()
        self.config = root / "site.toml"
        self.config.write_text(SITE.format(port=self.port, token=METRICS_TOKEN))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.url = f"http://127.0.0.1:{self.port}"

    def gobo(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*GOBO, "--config", str(self.config), *args], capture_output=True, text=True,
            input=stdin, timeout=60, cwd=self.root,
        )

    def start(self) -> None:
        for name, password in PASSWORDS.items():
            added = self.gobo("web", "user", "add", name, "--role", ROLES[name],
                              "--password-stdin", stdin=password + "\n")
            assert added.returncode == 0, added.stderr
        self._spawn("daemon")
        wait_for("daemon answers", lambda: self.gobo("status").returncode == 0)
        self._spawn("web")
        wait_for("console answers", lambda: Client(self).get("/login")[0] == 200)

    def _spawn(self, command: str) -> None:
        log = (self.root / f"{command}.log").open("ab")
        self.processes.append(subprocess.Popen(
            [*GOBO, command, "--config", str(self.config)], stdout=log, stderr=subprocess.STDOUT,
            cwd=self.root, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                **(unit_environment(WEB_UNIT) if command == "web" else {})},
        ))
        log.close()

    def __enter__(self) -> WebSite:
        try:
            self.start()
        except BaseException:
            self.stop()  # a console that never answers must not leave its daemon running
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def web_log(self) -> str:
        return (self.root / "web.log").read_text()


class Client:
    """HTTP/1.1 to the console with a cookie jar of one session; `source` picks the loopback
    address it comes from (the login throttle counts per address)."""

    def __init__(self, site: WebSite, source: str = "127.0.0.1") -> None:
        self.site = site
        self.source = source
        self.cookie = ""
        self.csrf = ""

    def request(
        self, method: str, path: str, body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.site.port, timeout=30, source_address=(self.source, 0)
        )
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            answer = {k.lower(): v for k, v in response.getheaders()}
            cookie = response.getheader("set-cookie")
        finally:
            connection.close()
        if cookie and cookie.startswith("gobo_session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, answer, data

    def get(self, path: str) -> tuple[int, Any]:
        status, headers, data = self.request("GET", path)
        if headers.get("content-type", "").startswith("application/json"):
            return status, json.loads(data)
        return status, data

    def post(self, path: str, body: dict[str, Any] | None = None, csrf: bool = True
             ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        status, _, data = self.request("POST", path, json.dumps(body or {}).encode(), headers)
        return status, json.loads(data) if data else None

    def login(self, user: str, password: str | None = None) -> tuple[int, Any]:
        status, answer = self.post(
            "/api/login", {"username": user, "password": password or PASSWORDS[user]}, csrf=False
        )
        if status == 200:
            self.csrf = answer["csrf"]
        return status, answer

    def upload(self, data: bytes, filename: str = "drawing.png", credit: str = "",
               csrf: bool = True) -> tuple[int, Any]:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="credit"\r\n\r\n{credit}\r\n'
            .encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        status, _, body = self.request("POST", "/api/artworks", b"".join(parts), headers)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body
