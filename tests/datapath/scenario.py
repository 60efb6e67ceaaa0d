#!/usr/bin/python3
"""scenario.py: the configuration the datapath tests load into both programs, and frame helpers.

One load balancer with the VIPs below (both families, port-specific, port *, protocol any,
dscp = none, backends reached by XDP_TX, XDP_REDIRECT, no neighbour and no route), and one
backend host owning LOCAL_ADDRESSES. The backend program gets every VIP, as backend.conf would.

Usage: scenario.py > scenario_config.c (the configuration as a struct test_config).
"""
import ipaddress
import sys

from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Padding

from cemit import c_address, c_string
from topology import Topology

TOPOLOGY = Topology()
LB_MAC = TOPOLOGY.mac("{ingress}")
ROUTER_MAC = TOPOLOGY.mac("{ingress}p")  # the router in front of the load balancer

HASH_SEED = 0x13572468
DEFAULT_TABLE_SIZE = 251  # prime; the one VIP with the production size is bigring4

# Clients and the routers that send ICMP errors, all in the documentation ranges.
C4, C6 = "203.0.113.7", "2001:db8:c::7"
R4, R6 = "203.0.113.254", "2001:db8:c::fe"


class Vip:
    def __init__(self, name, address, protocol, port, dscp, backends,
                 table_size=DEFAULT_TABLE_SIZE):
        self.name = name
        self.address = address
        self.family = ipaddress.ip_address(address).version
        self.protocol = protocol  # "tcp", "udp" or "any"
        self.port = port          # 0: *
        self.dscp = dscp          # None: "dscp = none"
        self.backends = backends
        self.table_size = table_size
        self.index = None
        self.backend_ids = []


def _backends(prefix, hosts):
    return [prefix + str(host) for host in hosts]


VIPS = [
    # IPv4. 192.0.2.10 has two port-specific VIPs; .20 a port-* VIP and a specific port;
    # .30 a protocol-any VIP and a specific one.
    Vip("web4", "192.0.2.10", "tcp", 80, 10, ["198.51.100.11"]),
    Vip("dns4", "192.0.2.10", "udp", 53, 11, ["198.51.100.12"]),
    Vip("tcpall4", "192.0.2.20", "tcp", 0, 12, ["198.51.100.13"]),
    Vip("tls4", "192.0.2.20", "tcp", 443, 22, ["198.51.100.17"]),
    Vip("any4", "192.0.2.30", "any", 0, 13, ["198.51.100.14"]),
    Vip("dnsany4", "192.0.2.30", "udp", 53, 23, ["198.51.100.18"]),
    Vip("multi4", "192.0.2.40", "any", 0, 14, _backends("198.51.100.", (21, 22, 23, 24))),
    Vip("plain4", "192.0.2.50", "tcp", 8080, None, ["198.51.100.15"]),
    Vip("redirect4", "192.0.2.60", "tcp", 80, 16, ["198.51.100.140"]),
    Vip("noneigh4", "192.0.2.61", "tcp", 80, 17, ["198.51.100.99"]),
    Vip("unreachable4", "192.0.2.62", "tcp", 80, 18, ["198.51.100.250"]),
    Vip("blackhole4", "192.0.2.63", "tcp", 80, 19, ["198.51.100.251"]),
    Vip("routed4", "192.0.2.64", "tcp", 80, 20, ["198.51.100.230"]),
    Vip("noroute4", "192.0.2.65", "tcp", 80, 21, ["198.51.100.252"]),
    Vip("bigring4", "192.0.2.70", "tcp", 80, 24, ["198.51.100.16"], table_size=65537),
    Vip("smallmtu4", "192.0.2.66", "udp", 4789, 25, ["198.51.100.40"]),
    Vip("noxdp4", "192.0.2.67", "tcp", 80, 27, ["192.0.2.200"]),
    # IPv6, the same shapes.
    Vip("web6", "2001:db8:f::10", "tcp", 80, 30, ["2001:db8:b::11"]),
    Vip("dns6", "2001:db8:f::10", "udp", 53, 31, ["2001:db8:b::12"]),
    Vip("tcpall6", "2001:db8:f::20", "tcp", 0, 32, ["2001:db8:b::13"]),
    Vip("tls6", "2001:db8:f::20", "tcp", 443, 42, ["2001:db8:b::17"]),
    Vip("any6", "2001:db8:f::30", "any", 0, 33, ["2001:db8:b::14"]),
    Vip("dnsany6", "2001:db8:f::30", "udp", 53, 43, ["2001:db8:b::18"]),
    Vip("multi6", "2001:db8:f::40", "any", 0, 34, _backends("2001:db8:b::", (21, 22, 23, 24))),
    Vip("plain6", "2001:db8:f::50", "tcp", 8080, None, ["2001:db8:b::15"]),
    Vip("redirect6", "2001:db8:f::60", "tcp", 80, 36, ["2001:db8:b:1::140"]),
    Vip("noneigh6", "2001:db8:f::61", "tcp", 80, 37, ["2001:db8:b::99"]),
    Vip("unreachable6", "2001:db8:f::62", "tcp", 80, 38, ["2001:db8:b:2::250"]),
    Vip("blackhole6", "2001:db8:f::63", "tcp", 80, 39, ["2001:db8:b:2::251"]),
    Vip("routed6", "2001:db8:f::64", "tcp", 80, 40, ["2001:db8:b:3::230"]),
    Vip("noroute6", "2001:db8:f::65", "tcp", 80, 41, ["2001:db8:b:2::252"]),
    Vip("smallmtu6", "2001:db8:f::66", "udp", 4789, 45, ["2001:db8:b::40"]),
    Vip("noxdp6", "2001:db8:f::67", "tcp", 80, 47, ["2001:db8:b:4::200"]),
    # Its low four bytes are 192.0.2.99, an address no IPv4 VIP has.
    Vip("lowbytes6", "2001:db8:f::c000:263", "tcp", 80, 44, ["2001:db8:b::16"]),
    # No backend at all (every one drained or down and gone): the ring is all empty.
    Vip("empty4", "192.0.2.80", "tcp", 80, 26, []),
    Vip("empty6", "2001:db8:f::80", "tcp", 80, 46, []),
]

# The backend host of the backend-program fixtures owns these (the RIPs of web, dns and plain).
LOCAL_ADDRESSES = ["198.51.100.11", "198.51.100.12", "198.51.100.15",
                   "2001:db8:b::11", "2001:db8:b::12", "2001:db8:b::15"]


def _number():
    next_id = 0
    for index, vip in enumerate(VIPS):
        vip.index = index
        vip.backend_ids = list(range(next_id, next_id + len(vip.backends)))
        next_id += len(vip.backends)


_number()
VIP_BY_NAME = {vip.name: vip for vip in VIPS}


def vip(name):
    return VIP_BY_NAME[name]


def outer_ip(packet):
    """The first IP or IPv6 layer of PACKET (an ICMP error's outer header, not its quote)."""
    layer = packet
    while not isinstance(layer, (IP, IPv6)):
        layer = layer.payload
    return layer


def set_ds(layer, ds):
    if isinstance(layer, IP):
        layer.tos = ds
    else:
        layer.tc = ds


def get_ds(layer):
    return (layer.tos if isinstance(layer, IP) else layer.tc) or 0


def decrement_ttl(layer):
    if isinstance(layer, IP):
        layer.ttl -= 1
    else:
        layer.hlim -= 1


def lb_rewrite(vip_, backend, forwarded):
    """What the load balancer must make of an IP packet for VIP_ sent to BACKEND."""
    def rewrite(packet):
        packet = packet.copy()
        layer = outer_ip(packet)
        layer.dst = backend
        if vip_.dscp is not None:
            set_ds(layer, vip_.dscp << 2 | (get_ds(layer) & 3))
        if forwarded:
            decrement_ttl(layer)
        return packet
    return rewrite


def backend_restore(vip_):
    """What the backend must make of an IP packet for VIP_ (destination back, DSCP cleared)."""
    def rewrite(packet):
        packet = packet.copy()
        layer = outer_ip(packet)
        layer.dst = vip_.address
        if vip_.dscp is not None:
            set_ds(layer, get_ds(layer) & 3)
        return packet
    return rewrite


class Context:
    """How frames are built while one expression is evaluated: as sent, or as expected back."""
    rewrite = staticmethod(lambda packet: packet)
    source_mac, destination_mac = ROUTER_MAC, LB_MAC


CONTEXT = Context()


def ether(packet):
    """PACKET in an Ethernet frame with the MACs of the current context, as it is."""
    return Ether(src=CONTEXT.source_mac, dst=CONTEXT.destination_mac) / packet


def eth(packet, pad_to=0):
    """An Ethernet frame from the router to the load balancer carrying PACKET (an IP packet)."""
    frame = ether(CONTEXT.rewrite(packet))
    if len(frame) < pad_to:
        frame = frame / Padding(load=b"\x00" * (pad_to - len(frame)))
    return frame


PROTOCOLS = {"tcp": "IPPROTO_TCP", "udp": "IPPROTO_UDP", "any": "0"}


def emit_config():
    out = ["/* Generated by tests/datapath/scenario.py: do not edit. */\n",
           "#include <netinet/in.h>\n\n#include \"tests/datapath/datapath_config.h\"\n\n"]
    for vip_ in VIPS:
        out.append("static const struct test_backend backends_of_%s[] = {\n" % vip_.name)
        for address, backend_id in zip(vip_.backends, vip_.backend_ids):
            out.append("\t{.address = %s, .id = %d},\n" % (c_address(address), backend_id))
        out.append("};\n")
    out.append("static const struct test_vip scenario_vips[] = {\n")
    for vip_ in VIPS:
        out.append("\t{.name = %s, .address = %s, .family = %d, .protocol = %s, .port = %d, "
                   ".dscp = %d, .table_size = %d, .backend_count = %d, .backends = "
                   "backends_of_%s},\n" % (
                       c_string(vip_.name), c_address(vip_.address), vip_.family,
                       PROTOCOLS[vip_.protocol], vip_.port, vip_.dscp or 0, vip_.table_size,
                       len(vip_.backends), vip_.name))
    out.append("};\nstatic const struct l3dsr_address scenario_local_addresses[] = {\n")
    for address in LOCAL_ADDRESSES:
        out.append("\t%s,\n" % c_address(address))
    out.append("};\nconst struct test_config scenario_config = {\n"
               "\t.hash_seed = 0x%08x,\n\t.flow_table = 1,\n"
               "\t.vip_count = sizeof(scenario_vips) / sizeof(scenario_vips[0]),\n"
               "\t.vips = scenario_vips,\n"
               "\t.local_address_count = sizeof(scenario_local_addresses) / "
               "sizeof(scenario_local_addresses[0]),\n"
               "\t.local_addresses = scenario_local_addresses,\n};\n" % HASH_SEED)
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    emit_config()
