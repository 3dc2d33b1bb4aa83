"""The pyartnet 2.0 behaviour gobo relies on, and the gaps README names, pinned: an upgrade
that changes any of them fails here, so the reasons in README ("pyartnet") are looked at
again. Everything is reached through pyartnet's public names only."""

from __future__ import annotations

import asyncio
import inspect
import socket

import pyartnet
from pyartnet import ArtNetNode, SacnNode
from pyartnet.base import SequenceCounter
from pyartnet.base.network import MulticastNetworkTarget, UnicastNetworkTarget
from support.dmx import decode_artdmx, decode_sacn, udp_listener


def test_pinned_version() -> None:
    assert pyartnet.__version__ == "2.0"


def test_artnet_counter_runs_1_to_255_and_never_sends_0() -> None:
    counter = SequenceCounter(1)
    values = [counter.value for _ in range(600)]
    assert values[:3] == [1, 2, 3] and values[254:257] == [255, 1, 2]
    assert 0 not in values


def test_sacn_counter_runs_0_to_255() -> None:
    counter = SequenceCounter()
    values = [counter.value for _ in range(300)]
    assert values[:2] == [0, 1] and values[255:258] == [255, 0, 1]


def test_source_bound_socket_shares_the_port() -> None:
    """What the Art-Net endpoint needs: non-blocking, SO_REUSEADDR, bound to the source."""
    target = UnicastNetworkTarget.create("127.0.0.1", 6454, source_ip="127.0.0.1",
                                         source_port=0)
    sock = target.create_socket()
    try:
        assert sock.getblocking() is False
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_multicast_socket_sends_from_the_interface() -> None:
    sock = MulticastNetworkTarget.create("127.0.0.1").create_socket()
    try:
        interface = sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)
        assert socket.inet_ntoa(interface) == "127.0.0.1"
        assert sock.getsockname()[0] == "127.0.0.1" and sock.getblocking() is False
    finally:
        sock.close()


def test_gaps_that_keep_pyartnet_nodes_off_the_frame_path() -> None:
    """README lists why gobo's outputs encode their own packets; each reason, observed."""
    artnet_listener, sacn_listener = udp_listener(), udp_listener()

    async def run() -> tuple[list[bytes], list[bytes]]:
        artnet = ArtNetNode.create("127.0.0.1", artnet_listener.getsockname()[1])
        sacn = SacnNode.create("127.0.0.1", sacn_listener.getsockname()[1])
        async with artnet, sacn:
            for node in (artnet, sacn):
                for nr in (1, 2):
                    node.add_universe(nr).add_channel(start=1, width=2).set_values([9, 9])
            await asyncio.sleep(0.2)  # pyartnet's own process task sends, on its own timer
        return ([artnet_listener.recv(2048) for _ in range(2)],
                [sacn_listener.recv(2048) for _ in range(2)])

    artnet_packets, sacn_packets = asyncio.run(run())
    artnet_listener.close()
    sacn_listener.close()
    # one Art-Net sequence counter per node, not per universe
    assert sorted(decode_artdmx(p)["sequence"] for p in artnet_packets) == [1, 2]
    # sACN priority is fixed at 100 and there is no options (stream terminated) setting
    assert {decode_sacn(p)["priority"] for p in sacn_packets} == {100}
    assert "priority" not in inspect.signature(SacnNode).parameters
    assert "options" not in inspect.signature(SacnNode).parameters
    # no receiving side at all: nothing answers ArtPoll, no discovery
    public = {name for name in dir(ArtNetNode) + dir(SacnNode) if not name.startswith("_")}
    assert not {n for n in public if "poll" in n.lower() or "discover" in n.lower()}
    # frames go in only through Channel.set_values, one Python step per value
    assert list(inspect.signature(pyartnet.Channel.set_values).parameters) == ["self", "values"]
