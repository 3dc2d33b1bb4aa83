"""The console's pure parts: [web] settings, sessions and login throttling, language choice,
the credit folder of an upload, and the metrics exposition read back by prometheus_client's
own parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from controller.config import ConfigError, parse_site_config
from controller.showstatus import english
from controller.web.i18n import choose, status_line, style_reason
from controller.web.metrics import Snapshot, exposition
from controller.web.sessions import LoginThrottle, Sessions, csrf_ok
from controller.web.settings import WebSettings
from controller.web.uploads import credit_folder

SITE = {"site": {"latitude": 61.5, "longitude": 23.76}}


def settings(web: dict[str, object]) -> WebSettings:
    return parse_site_config({**SITE, "web": web}, Path("/etc/gobo/site.toml")).web


def test_web_settings_defaults_and_values() -> None:
    default = settings({})
    assert (default.host, default.port, default.upload_max_mb) == ("127.0.0.1", 8080, 40.0)
    custom = settings({"listen": "[::1]:9443", "certificate": "c.pem", "key": "k.pem",
                       "trusted_proxies": ["127.0.0.1"], "language": "fi"})
    assert custom.listen == "[::1]:9443" and custom.scheme == "https"
    assert custom.certificate == Path("/etc/gobo/c.pem") and custom.language == "fi"


@pytest.mark.parametrize(
    ("web", "message"),
    [
        ({"listen": "localhost:8080"}, "web.listen: 'localhost' is not an IP address"),
        ({"listen": "127.0.0.1"}, "web.listen: '127.0.0.1' is not host:port"),
        ({"language": "sv"}, "web.language: 'sv' is not one of auto, fi, en"),
        ({"metrics_token": "short"}, "web.metrics_token: too short"),
        ({"certificate": "c.pem"}, "web.certificate: certificate and key go together"),
        ({"upload_max_mb": 0}, "web.upload_max_mb: 0 is outside"),
        ({"trusted_proxies": ["nginx"]}, "web.trusted_proxies[0]: 'nginx' is not an IP address"),
        ({"lisen": "1"}, "web.lisen: unknown key"),
        ({"login_attempts": 2.5}, "web.login_attempts: must be a whole number"),
    ],
)
def test_web_settings_errors_name_the_key(web: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        settings(web)


def test_a_typo_in_web_is_named_with_the_nearest_key() -> None:
    with pytest.raises(ConfigError) as caught:
        settings({"lisen": "127.0.0.1:8080"})
    assert str(caught.value) == "/etc/gobo/site.toml: web.lisen: unknown key (did you mean " \
        "'listen'?)"


def test_sessions_expire_and_csrf_is_compared_exactly() -> None:
    sessions = Sessions(lifetime_s=60)
    session = sessions.create("anna", "curator", now=1000.0)
    assert sessions.get(session.token, 1059.0) == session
    assert sessions.get(session.token, 1060.0) is None
    assert sessions.get(session.token, 1001.0) is None  # gone for good
    other = sessions.create("anna", "curator", now=0.0)
    assert csrf_ok(other, other.csrf) and not csrf_ok(other, other.csrf[:-1]) and not csrf_ok(
        other, None)
    assert other.token != other.csrf and len(other.token) >= 40


def test_throttle_blocks_an_address_until_its_oldest_failure_ages_out() -> None:
    throttle = LoginThrottle(attempts=3, window_s=600)
    for t in (0.0, 10.0, 20.0):
        assert throttle.retry_after("10.0.0.9", t) == 0
        throttle.failed("10.0.0.9", t)
    assert throttle.retry_after("10.0.0.9", 30.0) == 570.0
    assert throttle.retry_after("10.0.0.8", 30.0) == 0
    assert throttle.retry_after("10.0.0.9", 600.0) == 0  # the first failure is 600 s old
    throttle.failed("10.0.0.9", 600.0)
    assert throttle.retry_after("10.0.0.9", 601.0) == 9.0
    throttle.succeeded("10.0.0.9")
    assert throttle.retry_after("10.0.0.9", 601.0) == 0


@pytest.mark.parametrize(
    ("cookie", "configured", "header", "expected"),
    [
        (None, "auto", "fi-FI,fi;q=0.9,en;q=0.8", "fi"),
        (None, "auto", "en-US,en;q=0.9,fi;q=0.5", "en"),
        (None, "auto", "sv-SE", "en"),
        (None, "auto", None, "en"),
        (None, "fi", "en", "fi"),
        ("en", "fi", "fi", "en"),
        ("xx", "auto", "fi", "fi"),
    ],
)
def test_language(cookie: str | None, configured: str, header: str | None, expected: str) -> None:
    assert choose(cookie, configured, header) == expected


@pytest.mark.parametrize(
    ("style", "measured", "finnish"),
    [
        ("painting", {"painted": 0.81}, "maali peittää 81 % paperista"),
        ("fills", {"coloured": 0.47}, "väritetyt alueet täyttävät 47 % hahmosta"),
        ("lines", {"coloured": 0.06, "hatched": 0.78}, "viivapiirros (väritetyt alueet täyttävät "
         "6 % hahmosta; 78 % paperista on viivoitettu, ei maalattu)"),
        ("lines", {}, "strokes (as converted before the measures were kept)"),
    ],
)
def test_the_converters_reason_in_finnish(style: str, measured: dict, finnish: str) -> None:
    english = "strokes (as converted before the measures were kept)"
    automatic = {"style": style, "reason": english, "measured": measured}
    assert style_reason(automatic, "fi") == finnish
    assert style_reason(automatic, "en") == english


@pytest.mark.parametrize(
    ("reason", "finnish"),
    [
        ({"code": "blackout", "since": "21:05", "by": "web tess (root)"},
         "pimennys klo 21.05 alkaen, lähde: web tess (root)"),
        ({"code": "waiting-for-clock"}, "odottaa, että kello on oikeassa ajassa"),
        ({"code": "output", "output": "main", "state": "disconnected", "since": "20:15"},
         "lähtö main: ei yhteyttä klo 20.15 alkaen"),
        ({"code": "override", "overrides": [
            {"fixture": "wash", "by": "OSC 127.0.0.1", "until": None},
            {"fixture": "spot", "by": "gobo set (anna)", "until": "22:00"}]},
         "käsiohjaus: wash, lähde: OSC 127.0.0.1; spot, lähde: gobo set (anna), klo 22.00 asti"),
        ({"code": "playing", "artwork": "a1b2c3", "credit": "Aino, 7", "level": 0.5,
          "window": None, "until": "16:10", "by": "web cora"},
         "näytetään a1b2c3 (Aino, 7) 50 % näytösajan ulkopuolella klo 16.10 asti, lähde: web cora"),
        ({"code": "outside-window", "until": "15:47"}, "näytösajan ulkopuolella klo 15.47 asti"),
        ({"code": "outside-window", "until": None}, "näytösajan ulkopuolella"),
        ({"code": "no-artwork"}, "ei näytettävää piirustusta"),
        ({"code": "no-approved-artwork"}, "ei hyväksyttyjä piirustuksia"),
        ({"code": "showing", "artwork": "a1b2c3", "credit": None, "level": 1.0,
          "window": "evening", "until": "23:00"},
         "esillä a1b2c3 100 % näytösajassa 'evening' klo 23.00 asti"),
        ({"code": "identifying", "fixture": "wash", "until": "20:00", "by": "gobo identify"},
         "tunnistetaan wash klo 20.00 asti, lähde: gobo identify"),
        ({"code": "state-not-saved", "detail": "disk full"}, "tilaa ei tallennettu: disk full"),
        ({"code": "library-not-readable", "detail": "disk I/O error"},
         "kirjastoa ei voi lukea: disk I/O error"),
        ({"code": "runlog-not-written", "detail": "read-only"},
         "ajolokia ei kirjoiteta: read-only"),
    ],
)
def test_the_daemons_why_in_finnish(reason: dict, finnish: str) -> None:
    """Every reason the daemon gives is worded in Finnish from its data; English pages keep
    the daemon's own line."""
    status = {"why": english(reason), "reasons": [reason, {"code": "no-artwork"}]}
    assert status_line(status, "fi") == f"{finnish}; ei näytettävää piirustusta"
    assert status_line(status, "en") == status["why"]


def test_a_status_without_reasons_keeps_its_line() -> None:
    assert status_line({"why": "outside the show window"}, "fi") == "outside the show window"


@pytest.mark.parametrize(
    ("credit", "folder"),
    [("Aino, 7", "Aino, 7"), ("../../etc", "etc"), ("a/b\\c", "a b c"), ("..", ""),
     ("rejected", "rejected (credit)"), ("  Eino\n8 ", "Eino 8"), ("x" * 100, "x" * 80)],
)
def test_credit_folder_is_one_safe_name(credit: str, folder: str) -> None:
    assert credit_folder(credit) == folder


def test_metrics_parse_back_with_prometheus_client() -> None:
    status = {"state": "blackout", "window": "evening", "level": 0.4, "master": 0.5,
              "frame": {"frames": 1200, "late": 2, "fps": 40.0, "jitter_p99_ms": 0.8},
              "outputs": {"main": {"state": "disconnected"}, "sim": {"state": "ok"}},
              "osc": {"received": 7, "malformed": 1}}
    text = exposition(Snapshot(status, {"approved": 3, "pending": 1}, 12.5, 1.25)).decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }
    assert samples[("gobo_state", (("state", "blackout"),))] == 1
    assert samples[("gobo_state", (("state", "showing"),))] == 0
    assert samples[("gobo_output_up", (("output", "main"),))] == 0
    assert samples[("gobo_output_up", (("output", "sim"),))] == 1
    assert samples[("gobo_frame_jitter_p99_seconds", ())] == 0.0008
    assert samples[("gobo_frames_total", ())] == 1200
    assert samples[("gobo_osc_messages_total", (("outcome", "malformed"),))] == 1
    assert samples[("gobo_artworks", (("status", "approved"),))] == 3
    assert samples[("gobo_lit_hours_total", ())] == 12.5
    down = exposition(Snapshot(None)).decode()
    assert "gobo_up 0.0" in down and "gobo_state" not in down
