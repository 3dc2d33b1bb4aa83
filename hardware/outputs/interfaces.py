"""This machine's IPv4 interfaces as Art-Net needs them: the directed broadcast address of
a network, the address and MAC an ArtPollReply carries, and who already holds a UDP port."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil

PROC_UDP = Path("/proc/net/udp")


@dataclass(frozen=True)
class Interface:
    name: str
    network: ipaddress.IPv4Interface
    mac: bytes

    @property
    def broadcast(self) -> str:
        return str(self.network.network.broadcast_address)


def interfaces() -> list[Interface]:
    found = []
    for name, addresses in psutil.net_if_addrs().items():
        mac = next((bytes.fromhex(a.address.replace(":", "")) for a in addresses
                    if a.family == psutil.AF_LINK and a.address.count(":") == 5), bytes(6))
        for a in addresses:
            if a.family == socket.AF_INET and a.netmask:
                found.append(Interface(name, ipaddress.IPv4Interface(f"{a.address}/{a.netmask}"),
                                       mac))
    return found


def interface_for(ip: str) -> Interface | None:
    """The interface whose network holds `ip` (an address of it, or any 127/8 on lo)."""
    address = ipaddress.IPv4Address(ip)
    matches = [i for i in interfaces() if address in i.network.network]
    return max(matches, key=lambda i: i.network.network.prefixlen, default=None)


def lan_broadcasts() -> list[str]:
    """Directed broadcast addresses of every non-loopback network this machine is on."""
    return sorted({i.broadcast for i in interfaces()
                   if not i.network.is_loopback and i.network.network.prefixlen < 31})


def local_ip_towards(destination: str) -> str:
    """The source address the kernel picks for `destination` (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((destination, 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "0.0.0.0"


def udp_holders(proc_udp: str, address: str, port: int) -> int:
    """How many sockets in a /proc/net/udp listing are bound exactly to address:port."""
    wanted = f"{socket.htonl(int(ipaddress.IPv4Address(address))):08X}:{port:04X}"
    return sum(1 for line in proc_udp.splitlines()[1:] if line.split()[1:2] == [wanted])


def read_proc_udp() -> str:
    try:
        return PROC_UDP.read_text()
    except OSError:
        return ""
