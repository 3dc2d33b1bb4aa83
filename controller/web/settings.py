"""The `[web]` table of site.toml, validated into WebSettings."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from siteconfig import Table

LANGUAGES = ("auto", "fi", "en")
USERS_FILE = "web-users.json"
UPLOADS_FILE = "web-uploads.jsonl"
CACHE_DIR = "web-cache"


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    session_hours: float = 12.0  # a session ends this long after login
    upload_max_mb: float = 40.0  # default: [artwork] max_file_mb
    metrics_token: str = ""  # bearer token for Prometheus; empty: /metrics needs a session
    language: str = "auto"  # auto: from the browser's Accept-Language
    certificate: Path | None = None  # TLS served directly; else use a reverse proxy
    key: Path | None = None
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For names the client
    login_attempts: int = 5  # wrong passwords per address ...
    login_window_minutes: float = 10.0  # ... within this long, then 429 until it passes

    @property
    def listen(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def scheme(self) -> str:
        return "https" if self.certificate else "http"


def parse_web(read: Table, base_dir: Path, upload_default_mb: float) -> WebSettings:
    """`[web]` -> WebSettings, or ConfigError naming the key (through the one reader)."""
    host, port = _listen(read, read.text("listen", "127.0.0.1:8080"))
    token = read.text("metrics_token", "")
    if token and len(token) < 16:
        raise read.fail("metrics_token", "too short: use at least 16 random characters")
    certificate, key = read.text("certificate", ""), read.text("key", "")
    if bool(certificate) != bool(key):
        raise read.fail("certificate", "certificate and key go together")
    proxies = read.value("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise read.fail("trusted_proxies", "must be a list of addresses")
    for index, proxy in enumerate(proxies):
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise read.fail(
                f"trusted_proxies[{index}]", f"{proxy!r} is not an IP address"
            ) from None
    settings = WebSettings(
        host=host,
        port=port,
        session_hours=read.number("session_hours", 0.05, 24 * 90, 12.0),
        upload_max_mb=read.number("upload_max_mb", 0.001, 2048, upload_default_mb),
        metrics_token=token,
        language=read.choice("language", LANGUAGES, "auto"),
        certificate=base_dir / certificate if certificate else None,
        key=base_dir / key if key else None,
        trusted_proxies=tuple(proxies),
        login_attempts=read.integer("login_attempts", 1, 1000, 5),
        login_window_minutes=read.number("login_window_minutes", 0.1, 24 * 60, 10.0),
    )
    read.close()
    return settings


def _listen(read: Table, listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise read.fail("listen", f"{listen!r} is not host:port (e.g. 127.0.0.1:8080)")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise read.fail("listen", f"{host!r} is not an IP address of this machine") from None
    return host, int(port)
