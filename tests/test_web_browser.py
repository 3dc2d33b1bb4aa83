"""The console in a real browser (Debian's chromium through chromedriver) against a real
daemon and `gobo web`: each role logs in, an artist uploads a drawing from disk, a curator
approves it beside its gobo previews, it is shown tonight, a technician blacks out and the
live picture goes dark; a curator on a phone draws an artwork in another style. Every page is
saved as a screenshot at phone and desktop size in $GOBO_WEB_SCREENSHOTS (default: the test's
temporary directory)."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need
from PIL import Image
from support.polling import wait_for
from support.web import PASSWORDS, Client, WebSite, settled

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
DESKTOP = (1280, 900)
PAGES = ("tonight", "queue", "upload", "library", "report", "controls")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    with WebSite(tmp_path_factory.mktemp("web-browser")) as web:
        yield web


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("GOBO_WEB_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    need(shutil.which("chromium") is not None and Path(CHROMEDRIVER).is_file(),
         "chromium and chromium-driver are missing (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                 f"--user-data-dir={tmp_path / 'profile'}", "--lang=en-GB"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(*PHONE)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: Any, site: WebSite, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(site.url + "/login")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[user])
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    wait_for(f"{user} logged in", lambda: driver.current_url.endswith("/tonight"))


def fetch_status(driver: Any, path: str, body: str = "{}") -> int:
    """A change sent by the page's own session, as its script would, with its CSRF token."""
    return int(driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/json',"
        " 'X-CSRF-Token': document.querySelector('meta[name=csrf]').content}, body: arguments[1]})"
        ".then(r => done(r.status));", path, body))


def screenshot_all(driver: Any, site: WebSite, shots: Path, role: str, pages: tuple[str, ...]
                   ) -> None:
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        driver.set_window_size(*size)
        for page in pages:
            driver.get(f"{site.url}/{page}")
            wait_for(f"{page} images loaded", lambda: driver.execute_script(
                "return [...document.images].every(i => i.complete)"))
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(size[0], min(max(size[1], height), 4000))
            driver.save_screenshot(str(shots / f"{role}-{page}-{size_name}.png"))
            driver.set_window_size(*size)
    driver.set_window_size(*PHONE)


def whole_page(driver: Any, path: Path) -> None:
    """A screenshot of the whole page at phone width, from the top."""
    driver.set_window_size(*PHONE)
    driver.execute_script("window.scrollTo(0, 0)")
    height, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
    driver.set_window_size(PHONE[0], min(height + chrome, 4000))
    driver.save_screenshot(str(path))


def brightest(png: bytes) -> int:
    return max(max(band) for band in Image.open(io.BytesIO(png)).convert("RGB").getextrema())


def live_png(site: WebSite, user: str) -> bytes:
    client = Client(site)
    client.login(user)
    status, _headers, data = client.request("GET", "/live.png")
    assert status == 200
    return data


def test_a_drawing_from_upload_to_the_ground_and_a_blackout(
    browser: Any, site: WebSite, shots: Path, make_drawing: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site.url + "/login")
    driver.save_screenshot(str(shots / "login-phone.png"))

    # An artist uploads a drawing from disk with its credit and sees the result.
    log_in(driver, site, "ari")
    drawing = make_drawing(tmp_path / "sun.png", seed=5, size=(480, 360))
    driver.get(site.url + "/upload")
    picker = driver.find_element(By.CSS_SELECTOR, "input[name=file]")
    picker.send_keys(str(drawing))
    driver.find_element(By.NAME, "credit").send_keys("Aino, 7")
    driver.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    message = wait_for("conversion result", lambda: (
        text := driver.find_element(By.ID, "upload-message").text) and "library" in text and text,
        60)
    assert "Added to the library." in message and "curator" in message
    driver.save_screenshot(str(shots / "artist-upload-result-phone.png"))
    artist_view = Client(site)
    artist_view.login("ari")
    (artwork,) = artist_view.get("/api/artworks")[1]
    assert artwork["credit"] == "Aino, 7" and artwork["status"] == "pending"
    assert fetch_status(driver, f"/api/artworks/{artwork['id']}/approve") == 403
    screenshot_all(driver, site, shots, "artist", ("tonight", "upload", "library", "report"))

    # A curator sees it first in the queue, the original beside its previews, and approves it.
    log_in(driver, site, "cora")
    driver.get(site.url + "/queue")
    card = driver.find_element(By.ID, f"art-{artwork['id']}")
    pictures = card.find_elements(By.CSS_SELECTOR, ".pictures img")
    wait_for("previews drawn", lambda: all(
        driver.execute_script("return arguments[0].naturalWidth", img) > 0 for img in pictures))
    captions = [c.text for c in card.find_elements(By.CSS_SELECTOR, "figcaption")]
    assert captions[0] == "Original" and "Glass" in captions and "As projected" in captions
    assert card.find_elements(By.CSS_SELECTOR, ".swatch")
    assert driver.find_element(By.CSS_SELECTOR, "main h1").text.startswith("Waiting for approval")
    screenshot_all(driver, site, shots, "curator", ("queue",))
    driver.get(site.url + "/queue")
    card = driver.find_element(By.ID, f"art-{artwork['id']}")
    assert fetch_status(driver, "/api/blackout") == 403
    assert driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/api/artworks/" + artwork["id"] + "/approve', {method: 'POST'})"
        ".then(r => done(r.status));") == 403  # no CSRF token
    card.find_element(By.CSS_SELECTOR, "[data-action=approve]").click()
    badge = f"return document.querySelector('#art-{artwork['id']} .badge')?.className || ''"
    wait_for("approved", lambda: "status-approved" in driver.execute_script(badge))

    # It is in tonight's rotation: the Tonight page shows it with its credit.
    driver.get(site.url + "/tonight")
    shown = "return document.getElementById('showing-id')?.textContent || ''"
    wait_for("shown tonight", lambda: driver.execute_script(shown) == artwork["id"])
    assert driver.find_element(By.ID, "showing-credit").text == "Aino, 7"
    state = "return document.getElementById('state-name').textContent.trim()"
    wait_for("state showing", lambda: driver.execute_script(state) == "showing")
    wait_for("the projection is lit", lambda: brightest(live_png(site, "cora")) > 150)

    # A technician blacks out from the controls and the live picture goes dark.
    log_in(driver, site, "tess")
    screenshot_all(driver, site, shots, "technician", PAGES)
    driver.get(site.url + "/controls")
    driver.find_element(By.CSS_SELECTOR, "[data-command=blackout]").click()
    wait_for("blackout shown", lambda: driver.execute_script(state) == "blackout")
    assert "by web tess" in driver.find_element(By.ID, "state-why").text
    wait_for("the projection is dark", lambda: brightest(live_png(site, "tess")) < 60)
    driver.save_screenshot(str(shots / "technician-blackout-phone.png"))
    # In Finnish the reason is Finnish too, as the page is drawn and as it is refreshed.
    driver.get(site.url + "/lang/fi?next=/controls")
    why = "return document.getElementById('state-why').textContent"
    finnish = r"pimennys klo \d\d\.\d\d alkaen, lähde: web tess \(\w+\)"
    assert re.fullmatch(finnish, driver.execute_script(why))
    driver.execute_script("document.getElementById('state-why').textContent = ''")
    wait_for("refreshed in Finnish", lambda: re.fullmatch(finnish, driver.execute_script(why)))
    driver.save_screenshot(str(shots / "technician-blackout-fi-phone.png"))
    driver.get(site.url + "/lang/en?next=/controls")
    driver.find_element(By.CSS_SELECTOR, "[data-command=resume]").click()
    wait_for("lit again", lambda: brightest(live_png(site, "tess")) > 150)


def test_a_curator_on_a_phone_draws_an_artwork_in_another_style(
    browser: Any, site: WebSite, shots: Path, drawings_dir: Path
) -> None:
    """Pikachu is coloured in (fills, the converter's choice); the curator asks for its lines to
    glow, sees the card working, then the new style in words and the redrawn steel gobo."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    curator = Client(site)
    curator.login("cora")
    status, upload = curator.upload((drawings_dir / "kidpokemon_pikachu-julia.webp").read_bytes(),
                                    filename="pikachu.webp", credit="Julia, 9")
    assert status == 202
    artwork = settled(curator, upload)["artwork"]
    driver = browser
    log_in(driver, site, "cora")
    driver.get(site.url + "/queue")
    card_css = f"#art-{artwork['id']}"
    card = driver.find_element(By.CSS_SELECTOR, card_css)
    assert card.find_element(By.CSS_SELECTOR, ".style-now").text == (
        "Drawn as: Coloured areas glow, lines stay dark (fills)")
    assert card.find_element(By.CSS_SELECTOR, ".style-why").text.startswith(
        "chosen by the converter: coloured areas fill ")
    steel = f"return document.querySelector('{card_css} img[alt=Steel]').src"
    before = driver.execute_script(steel)
    old_picture = curator.request("GET", before.removeprefix(site.url))[2]
    button = card.find_element(By.CSS_SELECTOR, ".style-form button")
    assert not button.is_enabled()  # nothing to redraw until another style is chosen
    Select(card.find_element(By.NAME, "style")).select_by_visible_text("Lines glow")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    working = driver.execute_script(
        "const card = document.querySelector(arguments[0]);"
        "return [card.classList.contains('working'), card.getAttribute('aria-busy'),"
        " card.querySelector('.style-form fieldset').disabled,"
        " card.querySelector('.style-form button').textContent,"
        " card.querySelector('.style-form .message').textContent];", card_css)
    driver.save_screenshot(str(shots / "curator-style-working-phone.png"))
    assert working == [True, "true", True, "Redrawing…",
                       "Redrawing its gobos: this takes a few seconds."]

    now = f"return document.querySelector('{card_css} .style-now')?.textContent || ''"
    wait_for("the new style in words", lambda: "Lines glow" in driver.execute_script(now), 60)
    card = driver.find_element(By.CSS_SELECTOR, card_css)
    assert card.find_element(By.CSS_SELECTOR, ".style-now").text == "Drawn as: Lines glow (lines)"
    assert card.find_element(By.CSS_SELECTOR, ".style-why").text.startswith(
        "chosen by a curator · the converter's choice: Coloured areas glow, lines stay dark "
        "(coloured areas fill ")
    after = driver.execute_script(steel)
    assert after != before and after.endswith("v=lines")
    wait_for("the redrawn gobo shown", lambda: driver.execute_script(
        f"return document.querySelector('{card_css} img[alt=Steel]').naturalWidth") > 0)
    assert curator.request("GET", after.removeprefix(site.url))[2] != old_picture
    whole_page(driver, shots / "curator-style-phone.png")
    driver.get(site.url + "/lang/fi?next=/queue")
    card = driver.find_element(By.CSS_SELECTOR, card_css)
    assert card.find_element(By.CSS_SELECTOR, ".style-now").text == "Tyyli: Viivat hehkuvat (lines)"
    assert card.find_element(By.CSS_SELECTOR, ".style-why").text.startswith(  # in Finnish too
        "kuraattorin valitsema · muuntimen oma valinta: Väritetyt alueet hehkuvat, viivat jäävät "
        "tummiksi (väritetyt alueet täyttävät ")
    assert card.find_element(By.CSS_SELECTOR, "label").text.startswith("Vaihda tyyli")
    whole_page(driver, shots / "curator-style-fi-phone.png")


def test_finnish_from_the_browser_and_the_switch(browser: Any, site: WebSite, shots: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    log_in(driver, site, "cora")
    driver.get(site.url + "/lang/fi?next=/tonight")
    tabs = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.tabs a")]
    assert tabs[:3] == ["Tänä iltana", "Jono", "Lähetä"]
    driver.save_screenshot(str(shots / "curator-tonight-fi-phone.png"))
    driver.get(site.url + "/lang/en?next=/tonight")
    assert driver.find_element(By.CSS_SELECTOR, "nav.tabs a").text == "Tonight"
    fi = Client(site)
    fi.login("cora")
    status, _, page = fi.request("GET", "/queue", headers={"Accept-Language": "fi-FI,fi;q=0.9"})
    assert status == 200 and "Odottaa hyväksyntää" in page.decode()
