"""A network that vanishes and comes back, for Art-Net and sACN outputs.

The scenario runs in a private network namespace of its own (`unshare --net`):
its only interface is a loopback that the script takes down and brings up again,
so "no network" is real and nothing can leave the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import need

SCENARIO = textwrap.dedent(
    """
    import asyncio, json, logging, socket, subprocess, time
    from hardware.outputs import create_output, parse_output

    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logging.getLogger("gobo.output").addHandler(Keep())
    logging.getLogger("gobo.output").setLevel(logging.INFO)

    KIND, PORT = {kind!r}, {port}

    async def frames(output, count, value):
        for _ in range(count):  # a frame loop at 40 Hz; each frame a new value
            value = (value + 1) % 256
            output.send({{1: bytes([value]) * 512}})
            await asyncio.sleep(0.025)
        return value

    async def main():
        subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
        output = create_output(parse_output(
            {{"name": "net", "type": KIND, "host": "127.0.0.1", "port": PORT}}, "output[1]"), [])
        await output.open()
        value = await frames(output, 40, 0)  # one second with no network at all
        down = output.health()
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # shares the port with the Art-Net endpoint on 0.0.0.0:6454, as a node would
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", PORT))
        listener.settimeout(0.05)
        received = 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (received < 5 or output.health().state != "ok"):
            value = await frames(output, 4, value)
            try:
                while True:
                    listener.recv(2048)
                    received += 1
            except socket.timeout:
                pass
        up = output.health()
        await output.close()
        print(json.dumps({{"down": list(down), "up": list(up), "received": received,
                           "log": records}}))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize(("kind", "port"), [("artnet", 6454), ("sacn", 5568)])
def test_output_rides_out_a_vanished_network(kind: str, port: int) -> None:
    need(os.geteuid() == 0 and shutil.which("unshare") is not None and shutil.which("ip"),
         "needs root, unshare and ip to make a private network namespace")
    result = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", SCENARIO.format(kind=kind, port=port)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr  # never raised into its caller
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["down"][0] == "disconnected", outcome
    assert "unreachable" in outcome["down"][1].lower()
    assert outcome["up"][0] == "ok", outcome
    assert outcome["received"] >= 5  # frames flow again without reopening the output
    # Logged once per change of state, not once per failed frame: opened, the first send
    # finds no network, frames flow again, closed.
    states = [line.split(":")[0] for line in outcome["log"]]
    assert states == ["ok", "disconnected", "ok", "disconnected"], outcome["log"]
