"""`gobo status` round trip beside a bare interpreter start (target: <= 3x).

Run by hand: .venv/bin/python tests/benchmarks/bench_status.py [runs]
Starts a real ControlServer (with the small test show) on a temporary socket and
times complete `gobo --config SITE status` processes, as a technician would run them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

from control_show import TinyShow, server_in_thread, short_dir  # noqa: E402


def timed(argv: list[str], runs: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k != "GOBO_CONFIG"}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    site = short_dir() / "site.toml"
    site.write_text('[site]\nlatitude = 61.5\nlongitude = 23.8\n[control]\nsocket = "c.sock"\n')
    gobo = str(Path(sys.executable).with_name("gobo"))
    with server_in_thread(site.parent / "c.sock", TinyShow()):
        timed([gobo, "--config", str(site), "status"], 3)  # warm the page cache
        bare = timed([sys.executable, "-c", "pass"], runs)
        python3 = timed(["python3", "-c", "pass"], runs)
        status = timed([gobo, "--config", str(site), "status"], runs)
    for name, samples in (
        ("python -c pass (venv)", bare),
        ("python3 -c pass", python3),
        ("gobo status", status),
    ):
        print(
            f"{name:<24} median {statistics.median(samples):6.1f} ms   "
            f"min {min(samples):6.1f} ms   max {max(samples):6.1f} ms   (n={runs})"
        )
    ratio = statistics.median(status) / statistics.median(bare)
    print(f"ratio gobo status / bare interpreter: {ratio:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
