"""The console's JSON API against a real `gobo daemon` and a real `gobo web` process:
roles, CSRF, login throttling, upload limits and names, a curator's choice of style, metrics,
users from the CLI."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from support.polling import wait_for
from support.web import METRICS_TOKEN, Client, WebSite, settled


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    with WebSite(tmp_path_factory.mktemp("web-api")) as web:
        yield web


def drawing_bytes(seed: int, size: tuple[int, int] = (260, 200)) -> bytes:
    from PIL import ImageDraw

    image = Image.new("RGB", size, (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((30 + seed, 25, 150 + seed, 150), outline=(200, 30 + seed, 40), width=7)
    draw.line((10, size[1] - 20, size[0] - 15, 20 + seed), fill=(20, 20, 20), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_login_sets_a_strict_http_only_cookie_and_each_role_sees_its_pages(site: WebSite) -> None:
    for user, role, allowed, denied in (
        ("ari", "artist", "/upload", "/queue"),
        ("cora", "curator", "/queue", "/controls"),
        ("tess", "technician", "/controls", None),
    ):
        client = Client(site)
        status, headers, body = client.request(
            "POST", "/api/login",
            json.dumps({"username": user, "password": {"ari": "artist-pass-1",
                        "cora": "curator-pass-1", "tess": "tech-pass-123"}[user]}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200
        answer = json.loads(body)
        assert answer["user"] == user and answer["role"] == role and len(answer["csrf"]) >= 32
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert client.get(allowed)[0] == 200
        if denied:
            assert client.get(denied)[0] == 403
        assert client.get("/api/status")[1]["state"] in ("dark", "showing")
    assert Client(site).get("/api/status")[0] == 401
    assert Client(site).get("/tonight")[0] == 303  # pages send a stranger to the login


def test_wrong_passwords_are_throttled_per_address(site: WebSite) -> None:
    stranger = Client(site, source="127.0.0.3")
    for _ in range(3):
        assert stranger.login("cora", "not the password")[0] == 401
    status, answer = stranger.login("cora")  # even the right one waits now
    assert status == 429 and "too many" in answer["error"]
    assert Client(site, source="127.0.0.4").login("cora")[0] == 200  # others are not blocked
    assert Client(site, source="127.0.0.3").login("nobody", "x")[0] == 429
    log = site.web_log()
    assert "not the password" not in log and "login throttled for 127.0.0.3" in log


def test_changes_need_the_csrf_token_and_the_role(site: WebSite) -> None:
    artist, curator = Client(site), Client(site)
    artist.login("ari")
    curator.login("cora")
    status, upload = artist.upload(drawing_bytes(1), credit="Aino, 7")
    assert status == 202
    artwork = settled(artist, upload)["artwork"]
    assert artwork["status"] == "pending" and artwork["credit"] == "Aino, 7"
    approve = f"/api/artworks/{artwork['id']}/approve"
    assert artist.post(approve)[0] == 403  # an artist cannot approve
    assert curator.post(approve, csrf=False)[0] == 403  # no token
    curator.csrf, token = "x" * 43, curator.csrf
    assert curator.post(approve)[0] == 403  # a wrong token
    curator.csrf = token
    assert curator.post("/api/blackout")[0] == 403  # only technicians control the show
    status, approved = curator.post(approve)
    assert status == 200 and approved["status"] == "approved"
    assert curator.post(approve)[0] == 409
    assert curator.post("/api/artworks/0123456789ab/approve")[0] == 404
    assert Client(site).post(approve, csrf=False)[0] == 401
    # the credit is editable; a rejection keeps its reason and the artist sees it
    status, edited = curator.post(f"/api/artworks/{artwork['id']}/credit", {"credit": "Aino 8"})
    assert status == 200 and edited["credit"] == "Aino 8"
    status, rejected = curator.post(f"/api/artworks/{artwork['id']}/reject",
                                    {"reason": "the photo is blurred"})
    assert status == 200 and rejected["reason"] == "the photo is blurred"
    mine = artist.get("/api/artworks")[1]
    assert [a["reason"] for a in mine if a["id"] == artwork["id"]] == ["the photo is blurred"]
    assert site.gobo("artwork", "show", artwork["id"], "--json").returncode == 0


def test_a_curator_chooses_the_style_and_auto_gives_the_converters_back(
    site: WebSite, drawings_dir: Path
) -> None:
    """Pikachu is coloured in, so the converter draws it as fills; the console redraws it in
    a child process of `gobo web`, and the catalogue, the files and the log say who chose."""
    artist, curator = Client(site), Client(site)
    artist.login("ari")
    curator.login("cora")
    status, upload = artist.upload((drawings_dir / "kidpokemon_pikachu-julia.webp").read_bytes(),
                                   filename="pikachu.webp", credit="Julia, 9")
    assert status == 202
    artwork = settled(artist, upload)["artwork"]
    assert (artwork["style"], artwork["style_chosen_by"]) == ("fills", "converter")
    steel = Path(artwork["directory"]) / "gobo-steel-B.png"
    as_fills = steel.read_bytes()
    path = f"/api/artworks/{artwork['id']}/style"
    assert Client(site).post(path, {"style": "lines"}, csrf=False)[0] == 401
    assert artist.post(path, {"style": "lines"})[0] == 403
    assert curator.post(path, {"style": "lines"}, csrf=False)[0] == 403
    assert curator.post(path, {"style": "woodcut"}) == (
        400, {"error": '"style" must be one of lines, fills, painting, auto'})
    assert curator.post("/api/artworks/0123456789ab/style", {"style": "lines"})[0] == 404
    assert steel.read_bytes() == as_fills  # a refused request changed nothing

    assert curator.post(f"/api/artworks/{artwork['id']}/approve")[0] == 200

    def tonight() -> str:
        return curator.get("/tonight")[1].decode()

    wait_for("shown tonight", lambda: f'<code id="showing-id">{artwork["id"]}' in tonight())
    preview = f"/art/{artwork['id']}/preview.png?w=320&amp;v="
    assert preview + "fills" in tonight()

    status, chosen = curator.post(path, {"style": "lines"})
    assert status == 200 and (chosen["style"], chosen["style_chosen_by"]) == ("lines", "curator")
    assert steel.read_bytes() != as_fills
    # Tonight's picture has a new address, so a phone that kept the old one fetches it again.
    assert preview + "lines" in tonight()
    shown = json.loads(site.gobo("artwork", "show", artwork["id"], "--json").stdout)
    assert (shown["style"], shown["style_chosen_by"]) == ("lines", "curator")
    listed = {a["id"]: a for a in curator.get("/api/artworks")[1]}[artwork["id"]]
    assert listed["automatic_style"]["style"] == "fills"
    assert listed["automatic_style"]["reason"].startswith("coloured areas fill ")
    assert [a for a in artist.get("/api/artworks")[1] if "automatic_style" in a] == []

    status, back = curator.post(path, {"style": "auto"})
    assert status == 200 and (back["style"], back["style_chosen_by"]) == ("fills", "converter")
    assert steel.read_bytes() == as_fills
    log = site.web_log()
    assert f"artwork {artwork['id']} drawn as lines (lines) by cora" in log
    assert f"artwork {artwork['id']} drawn as fills (auto) by cora" in log


def test_a_style_in_which_nothing_would_pass_light_is_refused_and_changes_nothing(
    site: WebSite, tmp_path: Path
) -> None:
    """Two black strokes enclose nothing: as coloured areas, no light would pass."""
    from PIL import ImageDraw

    image = Image.new("RGB", (480, 360), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.line((40, 300, 440, 60), fill=(20, 20, 20), width=6)
    draw.line((60, 80, 300, 320), fill=(20, 20, 20), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    curator = Client(site)
    curator.login("cora")
    status, upload = curator.upload(buffer.getvalue(), credit="Eero")
    assert status == 202
    artwork = settled(curator, upload)["artwork"]
    assert artwork["style"] == "lines"
    steel = Path(artwork["directory"]) / "gobo-steel-B.png"
    before = steel.read_bytes()
    status, answer = curator.post(f"/api/artworks/{artwork['id']}/style", {"style": "fills"})
    assert (status, answer) == (422, {"error": "blank: nothing of the drawing would pass light"})
    after = {a["id"]: a for a in curator.get("/api/artworks")[1]}[artwork["id"]]
    assert (after["style"], after["style_chosen_by"]) == ("lines", "converter")
    assert steel.read_bytes() == before
    assert not list(Path(artwork["directory"]).glob(".tmp-*"))


def test_an_artist_sees_only_their_own_uploads(site: WebSite) -> None:
    artist, curator = Client(site), Client(site)
    curator.login("cora")
    status, upload = curator.upload(drawing_bytes(7), credit="Eino")
    assert status == 202
    settled(curator, upload)
    artist.login("ari")
    theirs = {a["id"] for a in artist.get("/api/artworks")[1]}
    assert upload["id"] not in theirs
    assert upload["id"] in {a["id"] for a in curator.get("/api/artworks")[1]}
    assert artist.get(upload["status_url"])[0] == 404
    assert artist.get(f"/art/{upload['id']}/original.png")[0] == 404


def test_oversized_upload_is_413_before_the_body_is_read(site: WebSite) -> None:
    artist = Client(site)
    artist.login("ari")
    big = bytes(700 * 1024)  # [web] upload_max_mb = 0.5
    status, _ = artist.upload(big)
    assert status == 413
    assert not list((site.root / "inbox").glob(".web-*"))


def test_a_path_trick_file_name_writes_nothing_outside_the_inbox(site: WebSite) -> None:
    before = {p for p in site.root.parent.rglob("*")} - set(site.root.rglob("*"))
    artist = Client(site)
    artist.login("ari")
    status, upload = artist.upload(
        drawing_bytes(3), filename="../../../../escape.png", credit="../../../credit-escape"
    )
    assert status == 202
    outcome = settled(artist, upload)
    assert outcome["state"] == "added"
    assert outcome["file"] == f"credit-escape/web-{upload['upload']}.png"
    assert outcome["artwork"]["credit"] == "credit-escape"
    after = {p for p in site.root.parent.rglob("*")} - set(site.root.rglob("*"))
    assert after == before
    assert not list(site.root.rglob("escape.png"))


def test_not_an_image_is_refused_in_plain_words(site: WebSite) -> None:
    artist = Client(site)
    artist.login("ari")
    status, answer = artist.upload(b"%PDF-1.4 not a drawing", filename="sun.jpg")
    assert status == 422 and answer == {"error": "not an image file"}
    tiny = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(tiny, "PNG")
    assert artist.upload(tiny.getvalue())[1] == {"error": "too small: 8x8 pixels"}


def test_metrics_for_a_session_or_the_bearer_token(site: WebSite) -> None:
    assert Client(site).get("/metrics")[0] == 401
    status, headers, body = Client(site).request(
        "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = body.decode()
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all(line.startswith("gobo_") for line in samples)
    for name in ("gobo_up 1.0", 'gobo_state{state="', "gobo_in_show_window 1.0", "gobo_master",
                 "gobo_frames_total", "gobo_late_frames_total", "gobo_frame_jitter_p99_seconds",
                 'gobo_output_up{output="sim"} 1.0', 'gobo_artworks{status="approved"}',
                 "gobo_lit_hours_total", "gobo_energy_kwh_total"):
        assert name in text, name
    wrong = Client(site).request("GET", "/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong[0] == 401


def test_users_from_the_cli_and_a_removed_user_is_logged_out(site: WebSite) -> None:
    added = site.gobo("web", "user", "add", "temp", "--role", "curator", "--password-stdin",
                      stdin="temporary-pass\n")
    assert added.returncode == 0 and added.stdout.strip() == "added temp (curator)"
    listing = json.loads(site.gobo("web", "user", "list", "--json").stdout)
    assert {"name": "temp", "role": "curator"} in [
        {k: u[k] for k in ("name", "role")} for u in listing
    ]
    client = Client(site)
    assert client.login("temp", "temporary-pass")[0] == 200
    assert client.get("/api/artworks")[0] == 200
    assert site.gobo("web", "user", "remove", "temp").returncode == 0
    assert client.get("/api/artworks")[0] == 401
    short = site.gobo("web", "user", "add", "x", "--role", "artist", "--password-stdin",
                      stdin="short\n")
    assert short.returncode == 1 and "too short" in short.stderr
    bad = site.gobo("web", "user", "add", "Bad/Name", "--role", "artist", "--password-stdin",
                    stdin="long enough pass\n")
    assert bad.returncode == 1 and "user name" in bad.stderr
    users = (Path(site.root) / "state" / "web-users.json")
    assert users.stat().st_mode & 0o777 == 0o600
    assert "temporary-pass" not in users.read_text() and "$argon2id$" in users.read_text()
