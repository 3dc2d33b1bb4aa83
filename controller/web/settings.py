"""The `[web]` table of site.toml, validated into WebSettings."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.config import ConfigError, SiteConfig

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


_KNOWN = {
    "listen", "session_hours", "upload_max_mb", "metrics_token", "language", "certificate",
    "key", "trusted_proxies", "login_attempts", "login_window_minutes",
}


def web_settings(config: SiteConfig) -> WebSettings:
    """Read `[web]`; every problem is a ConfigError naming the key."""
    table = config.raw.get("web", {})
    file = config.path

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(file, f"web.{key}", message)

    if not isinstance(table, dict):
        raise ConfigError(file, "web", "must be a table [web]")
    for name in table:
        if name not in _KNOWN:
            raise fail(name, f"unknown key (known: {', '.join(sorted(_KNOWN))})")

    def number(name: str, default: float, low: float, high: float) -> float:
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(name, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise fail(name, f"{value} is outside {low:g}..{high:g}")
        return float(value)

    def text(name: str, default: str) -> str:
        value = table.get(name, default)
        if not isinstance(value, str):
            raise fail(name, f"must be a string, not {value!r}")
        return value

    host, port = _listen(text("listen", "127.0.0.1:8080"), fail)
    language = text("language", "auto")
    if language not in LANGUAGES:
        raise fail("language", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    token = text("metrics_token", "")
    if token and len(token) < 16:
        raise fail("metrics_token", "too short: use at least 16 random characters")
    base = file.parent if file else Path.cwd()
    certificate, key = text("certificate", ""), text("key", "")
    if bool(certificate) != bool(key):
        raise fail("certificate", "certificate and key go together")
    proxies = table.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise fail("trusted_proxies", "must be a list of addresses")
    for index, proxy in enumerate(proxies):
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise fail(f"trusted_proxies[{index}]", f"{proxy!r} is not an IP address") from None
    attempts = number("login_attempts", 5, 1, 1000)
    if attempts != int(attempts):
        raise fail("login_attempts", f"must be a whole number, not {attempts:g}")
    return WebSettings(
        host=host,
        port=port,
        session_hours=number("session_hours", 12.0, 0.05, 24 * 90),
        upload_max_mb=number("upload_max_mb", config.artwork.max_file_mb, 0.001, 2048),
        metrics_token=token,
        language=language,
        certificate=base / certificate if certificate else None,
        key=base / key if key else None,
        trusted_proxies=tuple(proxies),
        login_attempts=int(attempts),
        login_window_minutes=number("login_window_minutes", 10.0, 0.1, 24 * 60),
    )


def _listen(listen: str, fail: Any) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise fail("listen", f"{listen!r} is not host:port (e.g. 127.0.0.1:8080)")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise fail("listen", f"{host!r} is not an IP address of this machine") from None
    return host, int(port)
