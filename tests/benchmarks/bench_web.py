"""Web console benchmarks (run by hand inside a private network namespace, prints figures):

    unshare --net bash -c 'ip link set lo up; .venv/bin/python tests/benchmarks/bench_web.py \
        [--artworks 200] [--seconds 30] [--consoles 3]'

1. time to first paint of Tonight and Queue with N artworks in the library, in chromium
   (first-contentful-paint of a fresh load, median of 5, after one cold load);
2. the daemon's wire jitter p99 (a UDP receiver timestamping its ArtDmx packets, as in
   bench_engine.py) without a console, then while consoles poll it the way the pages do
   (/api/tonight every 2 s, /live.png every 1 s, a Queue load every 10 s); target < 2 ms;
3. RSS of `gobo web` after all that (and its peak);
4. a curator's new style for the 12 MP photo through the API (its gobos redrawn as a painting in
   a child process of `gobo web`): how long it took, the console's peak RSS before and after
   (the same: the conversion is not in its memory), the child's peak RSS (sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_engine import (  # noqa: E402
    art_net_receiver,
    fill_library,
    free_port,
    jitter,
    rss_mb,
    write_site,
)
from support.polling import wait_for  # noqa: E402
from support.web import Client, WebSite  # noqa: E402

PASSWORD = "bench-curator-1"
PHOTO = HERE.parents[2] / "shared" / "data" / "drawings" / "animdraw_char4_original_img.png"


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def jitter_p99(receiver: socket.socket, seconds: float) -> tuple[float, float, int]:
    """p99 and max jitter (ms) of the ArtDmx packets received, and how many there were."""
    intervals = jitter(receiver, seconds)
    return intervals[int(0.99 * len(intervals))], intervals[-1], len(intervals) + 1


def poll_like_a_page(site: WebSite, stop: threading.Event, counts: list[int]) -> None:
    client = Client(site)
    client.login("bench", PASSWORD)
    tick = 0
    while not stop.is_set():
        client.request("GET", "/live.png")
        if tick % 2 == 0:
            client.request("GET", "/api/tonight")
        if tick % 10 == 0:
            client.request("GET", "/queue")
        counts.append(1)
        tick += 1
        stop.wait(1.0)


def first_paint(site: WebSite, profile: Path) -> dict[str, list[float]]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(390, 844)
    figures: dict[str, list[float]] = {}
    try:
        driver.get(site.url + "/login")
        driver.find_element(By.NAME, "username").send_keys("bench")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
        wait_for("logged in", lambda: driver.current_url.endswith("/tonight"))
        for page in ("tonight", "queue"):
            for run in range(6):
                driver.get("about:blank")  # every run a fresh navigation with its own paint
                driver.get(f"{site.url}/{page}")
                # The paint entry may come a frame after the load event: wait for it.
                paint = driver.execute_async_script(
                    "const done = arguments[0];"
                    "new PerformanceObserver((list, observer) => {"
                    " const e = list.getEntriesByName('first-contentful-paint')[0];"
                    " if (!e) return; observer.disconnect();"
                    " const n = performance.getEntriesByType('navigation')[0];"
                    " done([e.startTime, n.responseEnd, n.loadEventEnd]);"
                    "}).observe({type: 'paint', buffered: true});")
                figures.setdefault(f"{page} {'cold' if run == 0 else 'warm'}", []).append(
                    paint)
    finally:
        driver.quit()
    return figures


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def redraw(site: WebSite, web_pid: int, artwork_id: str) -> tuple[float, float, float, float]:
    """The photo drawn as a painting through the API: seconds, the console's peak RSS before and
    after, and the conversion child's peak RSS as sampled."""
    client = Client(site)
    client.login("bench", PASSWORD)
    before = peak_mb(web_pid)
    child_peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            for child in children(web_pid):
                with contextlib.suppress(OSError):
                    child_peak[0] = max(child_peak[0], peak_mb(child))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    status, answer = client.post(f"/api/artworks/{artwork_id}/style", {"style": "painting"})
    took = time.perf_counter() - started
    done.set()
    sampler.join()
    assert status == 200 and answer["style"] == "painting", answer
    return took, before, peak_mb(web_pid), child_peak[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artworks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--consoles", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        receiver = art_net_receiver()
        config = write_site(root, receiver.getsockname()[1])
        site = WebSite.__new__(WebSite)
        site.root, site.config, site.processes = root, config, []
        site.port = free_port(socket.SOCK_STREAM)
        site.url = f"http://127.0.0.1:{site.port}"
        config.write_text(config.read_text() + f'\n[web]\nlisten = "127.0.0.1:{site.port}"\n')
        started = time.perf_counter()
        fill_library(root, config, args.artworks)
        print(f"library: {args.artworks} artworks in {time.perf_counter() - started:.0f} s")
        assert site.gobo("web", "user", "add", "bench", "--role", "curator", "--password-stdin",
                         stdin=PASSWORD + "\n").returncode == 0
        (photo,) = json.loads(site.gobo("artwork", "add", str(PHOTO), "--json").stdout)
        site._spawn("daemon")
        wait_for("daemon", lambda: site.gobo("status").returncode == 0)
        time.sleep(2)
        quiet = jitter_p99(receiver, args.seconds)
        site._spawn("web")
        wait_for("console", lambda: Client(site).get("/login")[0] == 200)
        web_pid = site.processes[-1].pid
        stop, counts = threading.Event(), []
        pollers = [threading.Thread(target=poll_like_a_page, args=(site, stop, counts))
                   for _ in range(args.consoles)]
        for thread in pollers:
            thread.start()
        try:
            busy = jitter_p99(receiver, args.seconds)
        finally:
            stop.set()
            for thread in pollers:
                thread.join()
        paints = first_paint(site, root / "profile")
        rss, peak = rss_mb(web_pid), peak_mb(web_pid)
        took, web_before, web_after, child = redraw(site, web_pid, photo["id"])
        site.stop()
    print(f"wire jitter p99 without a console: {quiet[0]:.2f} ms (max {quiet[1]:.2f} ms, "
          f"{quiet[2]} packets in {args.seconds:g} s)")
    print(f"wire jitter p99 with {args.consoles} consoles polling ({len(counts)} polls): "
          f"{busy[0]:.2f} ms (max {busy[1]:.2f} ms, {busy[2]} packets)")
    for name, runs in paints.items():
        fcp = statistics.median(r[0] for r in runs)
        load = statistics.median(r[2] for r in runs)
        print(f"{name}: first contentful paint {fcp:.0f} ms, load event {load:.0f} ms "
              f"(median of {len(runs)}, {args.artworks} artworks)")
    print(f"gobo web RSS: {rss:.1f} MB now, peak {peak:.1f} MB")
    print(f"12 MP photo redrawn as a painting from the console: {took:.1f} s; gobo web peak RSS "
          f"{web_before:.1f} MB before, {web_after:.1f} MB after; its child's peak {child:.0f} MB")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
