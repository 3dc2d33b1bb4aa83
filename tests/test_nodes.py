"""ArtPoll on loopback: three Art-Net nodes written in the tests (two polled at their own
address, one found only by the broadcast poll) answer the daemon; `gobo nodes`, `status`,
`check` and `why` show them, and the patched universe no node takes is warned about."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import need
from support.artnet_node import TestNode
from support.polling import wait_for
from support.sites import site_toml

GOBO = [sys.executable, "-m", "controller"]
BIND = "127.0.0.9"
SITE = site_toml("Laikunlava") + f"""
[osc]
enabled = false
[[output]]
name = "a"
type = "artnet"
host = "127.0.0.2"
bind = "{BIND}"
[[output]]
name = "b"
type = "artnet"
host = "127.0.0.3"
bind = "{BIND}"
[[fixture]]
name = "one"
profile = "generic-rgb"
output = "a"
universe = "0:0:1"
address = 1
[[fixture]]
name = "five"
profile = "generic-rgb"
output = "a"
universe = "0:0:5"
address = 1
[[fixture]]
name = "two"
profile = "generic-rgb"
output = "b"
universe = 2
address = 1
"""


def gobo(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOBO, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=20)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Path]:
    need(Path("/proc/net/udp").is_file(), "needs Linux (/proc/net/udp)")
    config = tmp_path / "site.toml"
    config.write_text(SITE)
    log = (tmp_path / "daemon.log").open("ab")
    process = subprocess.Popen([*GOBO, "daemon", "--config", str(config)], stdout=log,
                               stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        wait_for("daemon answers", lambda: gobo(config, "status").returncode == 0)
        yield config
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_nodes_that_answer_artpoll_and_the_universe_none_takes(daemon: Path) -> None:
    with (TestNode("127.0.0.2", "node-A", [1]) as node_a,
          TestNode("127.0.0.3", "node-B", [2, 3]) as node_b,
          TestNode("127.0.0.4", "node-C", [7], broadcast="127.255.255.255",
                   unicast=False) as node_c):

        def three_nodes() -> dict | None:
            result = gobo(daemon, "nodes", "--json")
            report = json.loads(result.stdout) if result.returncode == 0 else {}
            # warnings come once the first poll's replies have had their 3 s
            return report if len(report.get("nodes", [])) == 3 and report["warnings"] else None

        report = wait_for("three nodes and a warning in gobo nodes", three_nodes, deadline_s=15)
        assert node_a.polled_by and node_b.polled_by and node_c.polled_by
        # polls come from the bound address and the Art-Net port
        assert set(node_a.polled_by) | set(node_c.polled_by) == {(BIND, 6454)}

    taken = {n["ip"]: (n["short_name"], [u["port_address"] for u in n["takes"]])
             for n in report["nodes"]}
    assert taken == {"127.0.0.2": ("node-A", [1]), "127.0.0.3": ("node-B", [2, 3]),
                     "127.0.0.4": ("node-C", [7])}
    assert report["nodes"][0]["takes"][0] == {"port_address": 1, "net_subnet_universe": "0:0:1",
                                              "qlc_universe": 2}
    warning = ("output a universe 0:0:5 (QLC+ Universe 6): no Art-Net node answering ArtPoll "
               "takes it")
    assert report["warnings"] == [warning]
    assert report["outputs"]["a"]["artpoll"] == "on"

    text = gobo(daemon, "nodes").stdout
    assert "127.0.0.3       node-B (test node node-B) [node]" in text
    assert "takes 0:0:2 (QLC+ Universe 3), 0:0:3 (QLC+ Universe 4)" in text
    assert f"warning: {warning}" in text

    status = json.loads(gobo(daemon, "status", "--json").stdout)
    assert status["wire_warnings"] == [warning] and len(status["nodes"]) == 3
    assert status["outputs"]["a"]["bind"] == BIND
    assert f"warning   {warning}" in gobo(daemon, "status").stdout

    check = gobo(daemon, "check")
    assert check.returncode == 0, check.stderr
    assert f"warning: {warning}" in check.stdout
    assert "Art-Net nodes: 3 answering the running daemon's ArtPoll" in check.stdout
    assert warning in gobo(daemon, "why").stdout
