#!/usr/bin/python3
"""fixtures.py: the packet fixture table of the datapath tests, built with scapy.

Every row is {what, program, input, expected verdict, expected output}. The input is a scapy
expression (kept as text beside the row, and in the generated C for failure messages). The
expected output is built by scapy too, by evaluating the same expression again with the rewrite
docs/design.md section 1 asks for (scenario.lb_rewrite / backend_restore) and letting scapy
compute every checksum: nothing is ever taken from a program's output. Where the backend
depends on the flow hash, a row lists one expected frame per backend of the VIP, and rows naming
the same flow must land on the same one.

Usage: fixtures.py > fixture_rows.c (deterministic: the same output on every run).
The configuration the rows run against is scenario.py's (scenario.py > scenario_config.c).
"""
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP, IPOption_RR, fragment
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6PacketTooBig, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, PadN, fragment6)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import Raw

import scenario
from cemit import c_address, c_bytes, c_mac, c_string
from scenario import C4, C6, CONTEXT, R4, R6, TOPOLOGY, eth, ether, vip
from topology import (NEXT_HOP_COPY0, NEXT_HOP_COPY1, NEXT_HOP_NONE, XDP_DROP, XDP_PASS, XDP_TX,
                      Hop, NextHop)

ROWS = []


class Row:
    def __init__(self, what, program, expression, verdict=None, outputs=(), flow=None,
                 flow_table=True, counters=(), minimum_backends=0, next_hop=None):
        self.what = what
        self.program = program
        self.expression = expression
        self.input = b""
        self.verdict = verdict
        self.outputs = list(outputs)  # (backend, description, bytes)
        self.flow = flow
        self.flow_table = flow_table
        self.counters = list(counters)  # (map, index name, C index, packets, bytes)
        self.minimum_backends = minimum_backends
        self.next_hop = next_hop      # a NextHop written to next_hops while the row runs


def build(expression, rewrite=None, macs=None):
    """Evaluates a row's scapy expression; with REWRITE/MACS, as the frame expected back."""
    CONTEXT.rewrite = rewrite or (lambda packet: packet)
    CONTEXT.source_mac, CONTEXT.destination_mac = macs or (scenario.ROUTER_MAC, scenario.LB_MAC)
    try:
        frame = eval(expression, SCOPE)  # the expressions are this file's own text
        return frame if isinstance(frame, bytes) else bytes(frame)
    finally:
        CONTEXT.rewrite = lambda packet: packet
        CONTEXT.source_mac, CONTEXT.destination_mac = scenario.ROUTER_MAC, scenario.LB_MAC


def counters_of(specification, length):
    """("counters", "LB_COUNTER_TX") / ("vip_traffic", vip) / ("backend_traffic", vip, backend).
    ("counters", "LB_COUNTER_...", 0): a counter that must not move.
    On the LB a VIP's traffic is its backends' added up (fixture_test.c, lb_vip_traffic)."""
    out = []
    for entry in specification:
        if entry[0] == "counters":
            packets = entry[2] if len(entry) > 2 else 1
            out.append(("counters", entry[1], entry[1], packets, length * packets))
        elif entry[0] == "vip_traffic":
            out.append(("vip_traffic", entry[1], vip(entry[1]).index, 1, length))
        else:
            owner = vip(entry[1])
            backend_id = owner.backend_ids[owner.backends.index(entry[2])]
            out.append(("backend_traffic", "%s %s" % (entry[1], entry[2]), backend_id, 1,
                        length))
    return out


def lb(what, expression, forward=None, flow=None, flow_table=True, counters=(), drop=False,
       too_big=None, next_hop=None):
    """A load-balancer row: FORWARD names the VIP the frame is for; None: passed untouched, or
    with DROP dropped untouched (a balanced VIP's packet the LB's kernel, which owns the VIP,
    must not see). TOO_BIG: the MTU of the route to the backend, which the LB answers the
    client with. NEXT_HOP (from kept()): the next_hops entry of a backend while the row runs."""
    row = Row(what, "FIXTURE_LB", expression, flow=flow, flow_table=flow_table,
              next_hop=next_hop)
    row.input = build(expression)
    if too_big is not None:
        row.verdict = XDP_TX
        row.outputs = [("", "ICMP too big, MTU %d, quoting the input, by scapy" % too_big,
                        too_big_reply(row.input, too_big))]
    elif forward is None:
        row.verdict = XDP_DROP if drop else XDP_PASS
        row.outputs = [("", "the input, untouched", row.input)]
    else:
        owner = vip(forward)
        for backend, backend_id in zip(owner.backends, owner.backend_ids):
            entry = next_hop if next_hop and next_hop.backend_id == backend_id else None
            path = TOPOLOGY.path(backend, ip_length(row.input), next_hop=entry)
            macs = (path.source_mac, path.destination_mac) if path.forwarded else None
            expected = build(expression, scenario.lb_rewrite(owner, backend, path.forwarded), macs)
            assert row.verdict in (None, path.verdict), "%s: backends on different paths" % what
            row.verdict = path.verdict
            description = "dst %s%s%s%s" % (
                backend,
                "" if owner.dscp is None else ", DSCP %d, ECN kept" % owner.dscp,
                ", TTL - 1, MACs %s > %s" % macs if path.forwarded else ", TTL and MACs kept",
                ", checksums by scapy")
            row.outputs.append((backend, description, expected))
    row.counters = counters_of(counters, len(row.input))
    ROWS.append(row)


def backend(what, expression, restore=None, counters=()):
    """A backend row: RESTORE names the VIP the destination goes back to; None: untouched."""
    row = Row(what, "FIXTURE_BACKEND", expression, verdict=XDP_PASS)
    row.input = build(expression)
    if restore is None:
        row.outputs = [("", "the input, untouched", row.input)]
    else:
        owner = vip(restore)
        expected = build(expression, scenario.backend_restore(owner))
        description = "dst %s%s, checksums by scapy" % (
            owner.address, ", DSCP 0, ECN kept" if owner.dscp is not None else ", DS kept")
        row.outputs = [(owner.address, description, expected)]
    row.counters = counters_of(counters, len(row.input))
    ROWS.append(row)


# What the LB's ICMP errors quote (icmp_too_big.h): all that fits in 576 bytes (IPv4, RFC 1812)
# or in 1280 (IPv6, RFC 4443), or for a shorter IPv4 packet the longest header and 8 bytes.
TOO_BIG_QUOTE4, TOO_BIG_QUOTE4_SHORT, TOO_BIG_QUOTE6 = 576 - 28, 68, 1280 - 48


def too_big_reply(frame, mtu):
    """The error the LB makes of FRAME, a client's packet to a VIP that is too big for the MTU of
    the route to its backend: from the VIP to the client, back to the MAC the frame came from,
    quoting the packet as it arrived."""
    received = Ether(frame)
    layer = scenario.outer_ip(received)
    packet = bytes(layer)[:ip_length(frame)]  # without Ethernet padding
    if isinstance(layer, IP):
        quote_length = TOO_BIG_QUOTE4 if len(packet) >= TOO_BIG_QUOTE4 else TOO_BIG_QUOTE4_SHORT
        error = (IP(src=layer.dst, dst=layer.src, tos=0xc0, ttl=64, id=0, flags=0)
                 / ICMP(type=3, code=4, nexthopmtu=mtu) / Raw(load=packet[:quote_length]))
    else:
        error = (IPv6(src=layer.dst, dst=layer.src, tc=0, fl=0, hlim=64)
                 / ICMPv6PacketTooBig(mtu=mtu) / Raw(load=packet[:TOO_BIG_QUOTE6]))
    return bytes(Ether(src=received.dst, dst=received.src) / error)


def ip_length(frame):
    """The IP packet's length by its header (what bpf_fib_lookup compares with the MTU)."""
    layer = scenario.outer_ip(Ether(frame))
    return layer.len if isinstance(layer, IP) else 40 + layer.plen


def kept(vip_name, live, copies, address=None, ingress="{ingress}"):
    """The next_hops entry l3dsrd would keep for the one backend of VIP_NAME: resolved for
    ADDRESS (by default the backend's own), for packets arrived on INGRESS."""
    owner = vip(vip_name)
    assert len(owner.backends) == 1, "%s: kept() is for one-backend VIPs" % vip_name
    entry = NextHop(address or owner.backends[0], live, copies, ingress)
    entry.backend_id = owner.backend_ids[0]
    return entry


def spread(what, flow_prefix, minimum_backends):
    ROWS.append(Row(what, "FIXTURE_SPREAD", "", flow=flow_prefix,
                    minimum_backends=minimum_backends))


# Helpers the expressions use -----------------------------------------------------------------

def to_host(packet):
    """A frame from the router to the backend host (the backend program leaves MACs alone)."""
    return Ether(src="02:00:00:00:0a:02", dst="02:00:00:00:0b:11") / CONTEXT.rewrite(packet)


def frag4(datagram, index, size=32):
    """Fragment INDEX of DATAGRAM cut into SIZE-byte pieces (rewritten first when expected)."""
    return ether(fragment(CONTEXT.rewrite(datagram), fragsize=size)[index])


def frag6(datagram, index, size=96):
    """Fragment INDEX of DATAGRAM (which holds an IPv6ExtHdrFragment), SIZE bytes a fragment."""
    return ether(fragment6(CONTEXT.rewrite(datagram), size)[index])


def cut(frame, length):
    """The first LENGTH bytes of FRAME: a truncated frame."""
    data = bytes(frame)
    assert length < len(data)
    return data[:length]


def quote(packet, length=None):
    """What an ICMP error carries of the packet that caused it: its first LENGTH bytes."""
    return Raw(load=bytes(packet)[:length])


def zero_sum_udp(packet, vip_name):
    """PACKET (IP/UDP) with a 2-byte payload such that the UDP checksum of the frame rewritten
    to the VIP's first backend computes to 0, which must be sent as 0xffff (RFC 768)."""
    backend = vip(vip_name).backends[0]
    rewritten = packet.copy()
    rewritten[UDP].remove_payload()
    rewritten = rewritten / Raw(load=b"\0\0")
    rewritten.dst = backend
    checksum = bytes(rewritten[UDP])[6:8]
    word = b"\0\0" if checksum == b"\xff\xff" else checksum
    packet = packet.copy()
    packet[UDP].remove_payload()
    return packet / Raw(load=word)


SCOPE = dict(vars(scenario))
SCOPE.update(PadN=PadN, Ether=Ether, Dot1Q=Dot1Q, Dot1AD=Dot1AD, ARP=ARP, IP=IP, TCP=TCP, UDP=UDP,
             ICMP=ICMP, IPOption_NOP=IPOption_NOP, IPOption_RR=IPOption_RR, IPv6=IPv6,
             IPv6ExtHdrFragment=IPv6ExtHdrFragment, IPv6ExtHdrDestOpt=IPv6ExtHdrDestOpt,
             IPv6ExtHdrHopByHop=IPv6ExtHdrHopByHop, IPv6ExtHdrRouting=IPv6ExtHdrRouting,
             ICMPv6PacketTooBig=ICMPv6PacketTooBig, ICMPv6DestUnreach=ICMPv6DestUnreach,
             ICMPv6EchoRequest=ICMPv6EchoRequest, Raw=Raw, to_host=to_host, frag4=frag4,
             frag6=frag6, cut=cut, quote=quote, zero_sum_udp=zero_sum_udp)


# The rows ------------------------------------------------------------------------------------

def rows_lb_basic():
    lb("v4 TCP SYN to a tcp/80 VIP",
       "eth(IP(src=C4, dst='192.0.2.10', id=1)/TCP(sport=40000, dport=80, flags='S', seq=1000))",
       forward="web4", counters=[("counters", "LB_COUNTER_TX"),
                                 ("backend_traffic", "web4", "198.51.100.11")])
    lb("v4 TCP data to a tcp/80 VIP",
       "eth(IP(src=C4, dst='192.0.2.10', flags='DF', id=2)/TCP(sport=40000, dport=80, "
       "flags='PA', seq=1001, ack=7)/Raw(load=b'GET / HTTP/1.1\\r\\nHost: example\\r\\n\\r\\n'))",
       forward="web4")
    lb("v4 TCP SYN in a frame padded to 60 bytes keeps its padding",
       "eth(IP(src=C4, dst='192.0.2.10', id=3)/TCP(sport=40001, dport=80, flags='S'), pad_to=60)",
       forward="web4")
    lb("v4 UDP to a udp/53 VIP at the address of the tcp/80 VIP",
       "eth(IP(src=C4, dst='192.0.2.10', id=4)/UDP(sport=40002, dport=53)/Raw(load=b'query'))",
       forward="dns4")
    lb("v4 UDP with checksum 0 keeps checksum 0",
       "eth(IP(src=C4, dst='192.0.2.10', id=5)/UDP(sport=40003, dport=53, chksum=0)"
       "/Raw(load=b'no checksum'))",
       forward="dns4")
    lb("v4 UDP whose rewritten checksum computes to 0 carries 0xffff",
       "eth(zero_sum_udp(IP(src=C4, dst='192.0.2.10', id=6)/UDP(sport=40004, dport=53), 'dns4'))",
       forward="dns4")
    lb("v4 TTL 2 is forwarded with TTL 1",
       "eth(IP(src=C4, dst='192.0.2.10', ttl=2)/TCP(sport=40005, dport=80, flags='S'))",
       forward="web4")
    lb("v4 TTL 255 is forwarded with TTL 254",
       "eth(IP(src=C4, dst='192.0.2.10', ttl=255)/TCP(sport=40005, dport=80, flags='S'))",
       forward="web4")
    lb("v4 TTL 1 to a balanced VIP is dropped (its kernel owns the VIP)",
       "eth(IP(src=C4, dst='192.0.2.10', ttl=1)/TCP(sport=40006, dport=80, flags='S'))",
       counters=[("counters", "LB_COUNTER_TTL_EXPIRED")], drop=True)
    lb("v4 TTL 0 to a balanced VIP is dropped",
       "eth(IP(src=C4, dst='192.0.2.10', ttl=0)/TCP(sport=40006, dport=80, flags='S'))",
       drop=True)
    lb("v4 to a VIP with a table of 65537 slots",
       "eth(IP(src=C4, dst='192.0.2.70')/TCP(sport=40007, dport=80, flags='S'))",
       forward="bigring4")
    lb("v4 with options (3 NOPs and EOL, IHL 6)",
       "eth(IP(src=C4, dst='192.0.2.10', options=[IPOption_NOP(), IPOption_NOP(), "
       "IPOption_NOP()])/TCP(sport=40008, dport=80, flags='S'))",
       forward="web4")
    lb("v4 with 40 bytes of options (record route, IHL 15)",
       "eth(IP(src=C4, dst='192.0.2.10', options=[IPOption_RR(length=39, routers=['0.0.0.0']*9),"
       " IPOption_NOP()])/TCP(sport=40009, dport=80, flags='PA')/Raw(load=b'data'))",
       forward="web4")


def rows_lb_match():
    lb("v4 TCP to a VIP address on a port without VIP passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10')/TCP(sport=40010, dport=443, flags='S'))",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])
    lb("v4 UDP to the tcp/80 VIP's port passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10')/UDP(sport=40011, dport=80))")
    lb("v4 TCP to an address without VIP passes untouched",
       "eth(IP(src=C4, dst='192.0.2.11')/TCP(sport=40012, dport=80, flags='S'))",
       counters=[("counters", "LB_COUNTER_PASS")])
    lb("v4 port * VIP takes port 1",
       "eth(IP(src=C4, dst='192.0.2.20')/TCP(sport=40013, dport=1, flags='S'))",
       forward="tcpall4")
    lb("v4 port * VIP takes port 65535",
       "eth(IP(src=C4, dst='192.0.2.20')/TCP(sport=0, dport=65535, flags='S'))",
       forward="tcpall4")
    lb("v4 port-specific VIP wins over the port * VIP at its address",
       "eth(IP(src=C4, dst='192.0.2.20')/TCP(sport=40014, dport=443, flags='S'))",
       forward="tls4")
    lb("v4 UDP to a tcp port * VIP passes untouched",
       "eth(IP(src=C4, dst='192.0.2.20')/UDP(sport=40015, dport=443))")
    lb("v4 protocol any VIP takes UDP",
       "eth(IP(src=C4, dst='192.0.2.30')/UDP(sport=40016, dport=9999)/Raw(load=b'x'))",
       forward="any4")
    lb("v4 protocol any VIP takes TCP",
       "eth(IP(src=C4, dst='192.0.2.30')/TCP(sport=40017, dport=22, flags='S'))",
       forward="any4")
    lb("v4 udp/53 VIP wins over the protocol any VIP at its address",
       "eth(IP(src=C4, dst='192.0.2.30')/UDP(sport=40018, dport=53))",
       forward="dnsany4")
    lb("v4 udp/54 goes to the protocol any VIP beside a udp/53 VIP",
       "eth(IP(src=C4, dst='192.0.2.30')/UDP(sport=40018, dport=54))",
       forward="any4")
    lb("v4 ICMP echo request to a tcp VIP's address passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10')/ICMP(type=8, id=1, seq=1)/Raw(load=b'ping'))")
    lb("v4 to the low 4 bytes of an IPv6 VIP (192.0.2.99) passes untouched",
       "eth(IP(src=C4, dst='192.0.2.99')/TCP(sport=40019, dport=80, flags='S'))")
    lb("ARP for a VIP passes untouched",
       "Ether(src=ROUTER_MAC, dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, psrc='198.51.100.1', "
       "pdst='192.0.2.10')")
    lb("802.1Q-tagged v4 TCP to a VIP passes untouched",
       "Ether(src=ROUTER_MAC, dst=LB_MAC)/Dot1Q(vlan=100)/IP(src=C4, dst='192.0.2.10')"
       "/TCP(sport=40020, dport=80, flags='S')")
    lb("802.1ad-tagged (QinQ) v4 TCP to a VIP passes untouched",
       "Ether(src=ROUTER_MAC, dst=LB_MAC)/Dot1AD(vlan=10)/Dot1Q(vlan=100)"
       "/IP(src=C4, dst='192.0.2.10')/TCP(sport=40020, dport=80, flags='S')")


def rows_lb_owned():
    """The LB's kernel owns every VIP address (a local route): a balanced VIP's packet that is
    not sent on is dropped, never passed; what no VIP balances is passed for the kernel to
    answer (a ping, a reset)."""
    lb("v4 TTL 0 to a port * VIP is dropped",
       "eth(IP(src=C4, dst='192.0.2.20', ttl=0)/TCP(sport=40101, dport=7, flags='PA'))",
       drop=True)
    lb("v4 TTL 1 to a VIP address on a port without VIP passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10', ttl=1)/TCP(sport=40102, dport=443, flags='S'))",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])
    lb("v4 ICMP echo request with TTL 1 to a tcp VIP's address passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10', ttl=1)/ICMP(type=8, id=4, seq=1))")
    lb("v4 TCP data to a VIP without backends is dropped",
       "eth(IP(src=C4, dst='192.0.2.80')/TCP(sport=40103, dport=80, flags='PA', seq=5, ack=9)"
       "/Raw(load=b'data'))",
       counters=[("counters", "LB_COUNTER_NO_BACKEND")], drop=True)
    lb("v4 TCP SYN to a VIP without backends is dropped",
       "eth(IP(src=C4, dst='192.0.2.80')/TCP(sport=40104, dport=80, flags='S'))", drop=True)
    lb("v4 ping to the address of a VIP without backends passes untouched",
       "eth(IP(src=C4, dst='192.0.2.80')/ICMP(type=8, id=5, seq=1))")
    lb("v6 TCP data to a VIP without backends is dropped",
       "eth(IPv6(src=C6, dst='2001:db8:f::80')/TCP(sport=40105, dport=80, flags='PA'))",
       counters=[("counters", "LB_COUNTER_NO_BACKEND")], drop=True)
    lb("v6 TCP to the address of a VIP without backends on another port passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::80')/TCP(sport=40106, dport=81, flags='S'))",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])


def rows_lb_ds():
    for ecn in range(4):
        lb("v4 ECN %d is kept, DSCP 46 becomes the VIP's 10" % ecn,
           "eth(IP(src=C4, dst='192.0.2.10', tos=46 << 2 | %d)/TCP(sport=40030, dport=80, "
           "flags='S'))" % ecn, forward="web4")
    for ecn in range(4):
        lb("v6 ECN %d is kept, DSCP 46 becomes the VIP's 30" % ecn,
           "eth(IPv6(src=C6, dst='2001:db8:f::10', tc=46 << 2 | %d)/TCP(sport=40030, "
           "dport=80, flags='S'))" % ecn, forward="web6")
    lb("v4 to a dscp = none VIP keeps its whole DS field",
       "eth(IP(src=C4, dst='192.0.2.50', tos=0xb9)/TCP(sport=40031, dport=8080, flags='S'))",
       forward="plain4")
    lb("v6 to a dscp = none VIP keeps its whole DS field",
       "eth(IPv6(src=C6, dst='2001:db8:f::50', tc=0xb9)/TCP(sport=40031, dport=8080, "
       "flags='S'))", forward="plain6")


def rows_lb_ipv6():
    lb("v6 TCP SYN to a tcp/80 VIP",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/TCP(sport=40040, dport=80, flags='S'))",
       forward="web6", counters=[("counters", "LB_COUNTER_TX"),
                                 ("backend_traffic", "web6", "2001:db8:b::11")])
    lb("v6 TCP data to a tcp/80 VIP",
       "eth(IPv6(src=C6, dst='2001:db8:f::10', fl=12345)/TCP(sport=40040, dport=80, "
       "flags='PA', seq=1, ack=1)/Raw(load=b'GET / HTTP/1.1\\r\\n\\r\\n'))",
       forward="web6")
    lb("v6 UDP to a udp/53 VIP at the address of the tcp/80 VIP",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/UDP(sport=40041, dport=53)/Raw(load=b'query'))",
       forward="dns6")
    lb("v6 UDP whose rewritten checksum computes to 0 carries 0xffff",
       "eth(zero_sum_udp(IPv6(src=C6, dst='2001:db8:f::10')/UDP(sport=40042, dport=53), "
       "'dns6'))", forward="dns6")
    lb("v6 hop limit 2 is forwarded with hop limit 1",
       "eth(IPv6(src=C6, dst='2001:db8:f::10', hlim=2)/TCP(sport=40043, dport=80, flags='S'))",
       forward="web6")
    lb("v6 hop limit 1 to a balanced VIP is dropped",
       "eth(IPv6(src=C6, dst='2001:db8:f::10', hlim=1)/TCP(sport=40043, dport=80, flags='S'))",
       counters=[("counters", "LB_COUNTER_TTL_EXPIRED")], drop=True)
    lb("v6 hop limit 0 to a balanced VIP is dropped",
       "eth(IPv6(src=C6, dst='2001:db8:f::10', hlim=0)/TCP(sport=40043, dport=80, flags='S'))",
       drop=True)
    lb("v6 hop limit 1 to a VIP address on a port without VIP passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::10', hlim=1)/TCP(sport=40043, dport=443, flags='S'))",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])
    lb("v6 TCP to a VIP address on a port without VIP passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/TCP(sport=40044, dport=443, flags='S'))",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])
    lb("v6 TCP to an address without VIP passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::11')/TCP(sport=40045, dport=80, flags='S'))")
    lb("v6 port * VIP takes port 65535",
       "eth(IPv6(src=C6, dst='2001:db8:f::20')/TCP(sport=40046, dport=65535, flags='S'))",
       forward="tcpall6")
    lb("v6 port-specific VIP wins over the port * VIP at its address",
       "eth(IPv6(src=C6, dst='2001:db8:f::20')/TCP(sport=40046, dport=443, flags='S'))",
       forward="tls6")
    lb("v6 protocol any VIP takes UDP",
       "eth(IPv6(src=C6, dst='2001:db8:f::30')/UDP(sport=40047, dport=9999))",
       forward="any6")
    lb("v6 udp/53 VIP wins over the protocol any VIP at its address",
       "eth(IPv6(src=C6, dst='2001:db8:f::30')/UDP(sport=40047, dport=53))",
       forward="dnsany6")
    lb("v6 ICMPv6 echo request to a tcp VIP's address passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/ICMPv6EchoRequest(id=1, seq=1))")
    lb("v6 to ::ffff:192.0.2.10, an IPv4 VIP written v4-mapped, passes untouched",
       "eth(IPv6(src=C6, dst='::ffff:192.0.2.10')/TCP(sport=40048, dport=80, flags='S'))")
    lb("v6 VIP whose low 4 bytes are 192.0.2.99 takes its own traffic",
       "eth(IPv6(src=C6, dst='2001:db8:f::c000:263')/TCP(sport=40049, dport=80, flags='S'))",
       forward="lowbytes6")
    lb("v6 with a destination options header before TCP",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/IPv6ExtHdrDestOpt()/TCP(sport=40051, dport=80, "
       "flags='S'))", forward="web6")
    lb("v6 with hop-by-hop and destination options headers before UDP",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()"
       "/UDP(sport=40052, dport=53)/Raw(load=b'query'))", forward="dns6")
    lb("v6 with a routing header passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/IPv6ExtHdrRouting(addresses=['2001:db8:f::11'])"
       "/TCP(sport=40053, dport=80, flags='S'))")
    lb("802.1Q-tagged v6 TCP to a VIP passes untouched",
       "Ether(src=ROUTER_MAC, dst=LB_MAC)/Dot1Q(vlan=100)/IPv6(src=C6, dst='2001:db8:f::10')"
       "/TCP(sport=40050, dport=80, flags='S')")


def rows_lb_fragments():
    datagram4 = ("IP(src=C4, dst='192.0.2.40', id=%d)/UDP(sport=%d, dport=4500)"
                 "/Raw(load=bytes(range(80)))")
    for flow, (ip_id, port) in enumerate(((0x1111, 40060), (0x2222, 40061)), 1):
        name = "multi4 fragmented flow %d" % flow
        for index, part in enumerate(("first", "middle", "last")):
            lb("v4 %s fragment of a UDP datagram (%s)" % (part, name),
               "frag4(%s, %d)" % (datagram4 % (ip_id, port), index), forward="multi4", flow=name)
    lb("v4 non-first UDP fragment without a first fragment is dropped",
       "frag4(%s, 1)" % (datagram4 % (0x3333, 40062)),
       counters=[("counters", "LB_COUNTER_FRAGMENTS_UNTRACKED")], drop=True)
    lb("v4 non-first TCP fragment to a tcp VIP's address without a first fragment is dropped",
       "frag4(IP(src=C4, dst='192.0.2.10', id=0x3334)/TCP(sport=40064, dport=80, flags='PA')"
       "/Raw(load=bytes(range(60))), 1)",
       counters=[("counters", "LB_COUNTER_FRAGMENTS_UNTRACKED")], drop=True)
    lb("v4 non-first fragment of a ping to a tcp VIP's address passes untouched",
       "frag4(IP(src=C4, dst='192.0.2.10', id=0x3335)/ICMP(type=8, id=2, seq=1)"
       "/Raw(load=bytes(range(60))), 1)",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])
    lb("v4 non-first fragment of a ping to a protocol any VIP's address is dropped",
       "frag4(IP(src=C4, dst='192.0.2.30', id=0x3336)/ICMP(type=8, id=3, seq=1)"
       "/Raw(load=bytes(range(60))), 1)",
       counters=[("counters", "LB_COUNTER_FRAGMENTS_UNTRACKED")], drop=True)
    lb("v4 first fragment of a TCP segment to a single-backend VIP",
       "frag4(IP(src=C4, dst='192.0.2.10', id=0x4444)/TCP(sport=40063, dport=80, flags='PA')"
       "/Raw(load=bytes(range(60))), 0)", forward="web4")

    datagram6 = ("IPv6(src=C6, dst='2001:db8:f::40')/IPv6ExtHdrFragment(id=%d)"
                 "/UDP(sport=%d, dport=4500)/Raw(load=bytes(range(120)))")
    for flow, (fragment_id, port) in enumerate(((0x11111111, 40070), (0x22222222, 40071)), 1):
        name = "multi6 fragmented flow %d" % flow
        for index, part in enumerate(("first", "middle", "last")):
            lb("v6 %s fragment of a UDP datagram (%s)" % (part, name),
               "frag6(%s, %d)" % (datagram6 % (fragment_id, port), index), forward="multi6",
               flow=name)
    lb("v6 non-first UDP fragment without a first fragment is dropped",
       "frag6(%s, 1)" % (datagram6 % (0x33333333, 40072)),
       counters=[("counters", "LB_COUNTER_FRAGMENTS_UNTRACKED")], drop=True)
    lb("v6 non-first fragment of a ping to a tcp VIP's address passes untouched",
       "frag6(IPv6(src=C6, dst='2001:db8:f::10')/IPv6ExtHdrFragment(id=0x33333334)"
       "/ICMPv6EchoRequest(id=2, seq=1, data=bytes(range(120))), 1)",
       counters=[("counters", "LB_COUNTER_UNKNOWN_PORT")])


def rows_lb_icmp():
    # Several flows of one VIP with four backends: each flow's first packet picks a backend by
    # the hash, then an ICMP error quoting the backend's reply (source = VIP) must reach that
    # same backend. The flow table is off for the errors: they must find it by the hash of the
    # quoted packet's reversed tuple.
    for flow in range(1, 7):
        port = 41000 + flow
        name = "multi4 icmp flow %d" % flow
        length = ", 28" if flow > 3 else ""  # IP header + 8 bytes, the least RFC 792 asks
        lb("v4 TCP SYN opens %s" % name,
           "eth(IP(src=C4, dst='192.0.2.40')/TCP(sport=%d, dport=443, flags='S'))" % port,
           forward="multi4", flow=name)
        lb("v4 ICMP frag-needed for %s lands on its backend" % name,
           "eth(IP(src=R4, dst='192.0.2.40')/ICMP(type=3, code=4, nexthopmtu=1400)"
           "/quote(IP(src='192.0.2.40', dst=C4, flags='DF')/TCP(sport=443, dport=%d, "
           "flags='SA')%s))" % (port, length),
           forward="multi4", flow=name, flow_table=False,
           counters=[("counters", "LB_COUNTER_ICMP_ERROR")] if flow == 1 else ())
    for flow in range(7, 9):
        port = 41000 + flow
        name = "multi4 icmp flow %d" % flow
        lb("v4 UDP opens %s" % name,
           "eth(IP(src=C4, dst='192.0.2.40')/UDP(sport=%d, dport=5353)/Raw(load=b'q'))" % port,
           forward="multi4", flow=name)
        lb("v4 ICMP port unreachable for %s lands on its backend" % name,
           "eth(IP(src=R4, dst='192.0.2.40')/ICMP(type=3, code=3)"
           "/quote(IP(src='192.0.2.40', dst=C4)/UDP(sport=5353, dport=%d)/Raw(load=b'a')))"
           % port, forward="multi4", flow=name, flow_table=False)
    spread("the multi4 flows went to at least 2 of its 4 backends", "multi4 ", 2)

    for flow in range(1, 7):
        port = 42000 + flow
        name = "multi6 icmp flow %d" % flow
        lb("v6 TCP SYN opens %s" % name,
           "eth(IPv6(src=C6, dst='2001:db8:f::40')/TCP(sport=%d, dport=443, flags='S'))" % port,
           forward="multi6", flow=name)
        lb("v6 ICMPv6 packet-too-big for %s lands on its backend" % name,
           "eth(IPv6(src=R6, dst='2001:db8:f::40')/ICMPv6PacketTooBig(mtu=1280)"
           "/quote(IPv6(src='2001:db8:f::40', dst=C6)/TCP(sport=443, dport=%d, flags='SA')"
           "/Raw(load=bytes(100))))" % port,
           forward="multi6", flow=name, flow_table=False,
           counters=[("counters", "LB_COUNTER_ICMP_ERROR")] if flow == 1 else ())
    for flow in range(7, 9):
        port = 42000 + flow
        name = "multi6 icmp flow %d" % flow
        lb("v6 UDP opens %s" % name,
           "eth(IPv6(src=C6, dst='2001:db8:f::40')/UDP(sport=%d, dport=5353))" % port,
           forward="multi6", flow=name)
        lb("v6 ICMPv6 port unreachable for %s lands on its backend" % name,
           "eth(IPv6(src=R6, dst='2001:db8:f::40')/ICMPv6DestUnreach(code=4)"
           "/quote(IPv6(src='2001:db8:f::40', dst=C6)/UDP(sport=5353, dport=%d)))" % port,
           forward="multi6", flow=name, flow_table=False)
    spread("the multi6 flows went to at least 2 of its 4 backends", "multi6 ", 2)

    lb("v4 ICMP frag-needed to a single-backend VIP",
       "eth(IP(src=R4, dst='192.0.2.10')/ICMP(type=3, code=4, nexthopmtu=1400)"
       "/quote(IP(src='192.0.2.10', dst=C4)/TCP(sport=80, dport=41100, flags='A')))",
       forward="web4")
    lb("v4 ICMP frag-needed with TTL 1 about a balanced flow is dropped",
       "eth(IP(src=R4, dst='192.0.2.10', ttl=1)/ICMP(type=3, code=4, nexthopmtu=1400)"
       "/quote(IP(src='192.0.2.10', dst=C4)/TCP(sport=80, dport=41100, flags='A')))",
       counters=[("counters", "LB_COUNTER_TTL_EXPIRED")], drop=True)
    lb("v4 ICMP error quoting a port without VIP passes untouched",
       "eth(IP(src=R4, dst='192.0.2.10')/ICMP(type=3, code=4, nexthopmtu=1400)"
       "/quote(IP(src='192.0.2.10', dst=C4)/TCP(sport=9999, dport=41101, flags='A')))")
    lb("v4 ICMP error quoting 12 bytes of IP header passes untouched",
       "eth(IP(src=R4, dst='192.0.2.10')/ICMP(type=3, code=4, nexthopmtu=1400)"
       "/quote(IP(src='192.0.2.10', dst=C4)/TCP(sport=80, dport=41102), 12))")
    lb("v6 ICMPv6 packet-too-big quoting 20 bytes of IPv6 header passes untouched",
       "eth(IPv6(src=R6, dst='2001:db8:f::10')/ICMPv6PacketTooBig(mtu=1280)"
       "/quote(IPv6(src='2001:db8:f::10', dst=C6)/TCP(sport=80, dport=42100), 20))")


def rows_lb_truncated():
    tcp4 = ("eth(IP(src=C4, dst='192.0.2.10')/TCP(sport=40080, dport=80, flags='PA')"
            "/Raw(load=b'payload'))")
    udp4 = "eth(IP(src=C4, dst='192.0.2.10')/UDP(sport=40081, dport=53)/Raw(load=b'payload'))"
    options4 = ("eth(IP(src=C4, dst='192.0.2.10', options=[IPOption_NOP()]*4)"
                "/TCP(sport=40082, dport=80, flags='S'))")
    tcp6 = ("eth(IPv6(src=C6, dst='2001:db8:f::10')/TCP(sport=40083, dport=80, flags='PA')"
            "/Raw(load=b'payload'))")
    udp6 = ("eth(IPv6(src=C6, dst='2001:db8:f::10')/UDP(sport=40084, dport=53)"
            "/Raw(load=b'payload'))")
    options6 = ("eth(IPv6(src=C6, dst='2001:db8:f::10')/IPv6ExtHdrDestOpt()"
                "/TCP(sport=40085, dport=80, flags='S'))")
    fragment6_ = ("eth(IPv6(src=C6, dst='2001:db8:f::40')/IPv6ExtHdrFragment(id=7, m=1)"
                  "/UDP(sport=40086, dport=53))")
    for what, frame, length in (
            ("Ethernet header only", tcp4, 14),
            ("v4 header cut at 19 of 20 bytes", tcp4, 14 + 19),
            ("v4 header only, no TCP header", tcp4, 14 + 20),
            ("v4 TCP header cut at 12 of 20 bytes (ports, no checksum)", tcp4, 14 + 20 + 12),
            ("v4 TCP header cut at 19 of 20 bytes", tcp4, 14 + 20 + 19),
            ("v4 UDP header cut at 7 of 8 bytes", udp4, 14 + 20 + 7),
            ("v4 options cut (IHL 6, 20 bytes of header)", options4, 14 + 20),
            ("v4 options cut (IHL 6, 22 bytes of header)", options4, 14 + 22),
            ("v4 TCP after options cut at 19 bytes", options4, 14 + 24 + 19),
            ("v6 header cut at 39 of 40 bytes", tcp6, 14 + 39),
            ("v6 header only, no TCP header", tcp6, 14 + 40),
            ("v6 TCP header cut at 19 of 20 bytes", tcp6, 14 + 40 + 19),
            ("v6 UDP header cut at 7 of 8 bytes", udp6, 14 + 40 + 7),
            ("v6 destination options header cut at 7 of 8 bytes", options6, 14 + 40 + 7),
            ("v6 destination options header, no TCP header", options6, 14 + 40 + 8),
            ("v6 fragment header cut at 7 of 8 bytes", fragment6_, 14 + 40 + 7),
            ("v6 first fragment without its UDP header", fragment6_, 14 + 40 + 8),
            ("v6 first fragment, UDP header cut at 7 of 8 bytes", fragment6_, 14 + 48 + 7)):
        lb("truncated: %s passes untouched" % what, "cut(%s, %d)" % (frame, length))
    lb("v4 IHL 4 passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10', ihl=4)/TCP(sport=40087, dport=80, flags='S'))")
    lb("v4 total length shorter than its header passes untouched",
       "eth(IP(src=C4, dst='192.0.2.10', len=19)/TCP(sport=40088, dport=80, flags='S'))")


def rows_lb_fib():
    for family, client, base in (("4", "C4", "192.0.2.6"), ("6", "C6", "2001:db8:f::6")):
        layer = "IP" if family == "4" else "IPv6"

        def frame(last_digit, port=40090):
            return ("eth(%s(src=%s, dst='%s%d')/TCP(sport=%d, dport=80, flags='S'))"
                    % (layer, client, base, last_digit, port))
        lb("v%s backend behind another interface: XDP_REDIRECT" % family, frame(0),
           forward="redirect" + family, counters=[("counters", "LB_COUNTER_REDIRECT")])
        lb("v%s backend behind a router: XDP_TX to the router's MAC" % family, frame(4),
           forward="routed" + family)
        lb("v%s backend behind an interface without XDP transmit: XDP_PASS rewritten, TTL kept"
           % family, "eth(%s(src=%s, dst='%s7')/TCP(sport=40090, dport=80, flags='S'))"
           % (layer, client, base), forward="noxdp" + family,
           counters=[("counters", "LB_COUNTER_EGRESS_NO_XDP")])
        lb("v%s on-link backend without neighbour entry: XDP_PASS rewritten, TTL kept" % family,
           frame(1), forward="noneigh" + family,
           counters=[("counters", "LB_COUNTER_FIB_NO_NEIGH")])
        lb("v%s backend behind an unreachable route: XDP_PASS rewritten" % family, frame(2),
           forward="unreachable" + family, counters=[("counters", "LB_COUNTER_FIB_FAIL")])
        lb("v%s backend behind a blackhole route: XDP_PASS rewritten" % family, frame(3),
           forward="blackhole" + family)
        lb("v%s backend without route: XDP_PASS rewritten" % family, frame(5),
           forward="noroute" + family)
        lb("v%s 1280-byte packet to a backend behind an MTU 1280 route: %s" % (
               family, "XDP_TX"),
           "eth(%s(src=%s, dst='%s6')/UDP(sport=40091, dport=4789)/Raw(load=bytes(%d)))"
           % (layer, client, base, 1280 - (28 if family == "4" else 48)),
           forward="smallmtu" + family)
        lb("v%s 1281-byte packet to a backend behind an MTU 1280 route: %s" % (
               family, "XDP_PASS rewritten (no DF: the kernel fragments it)" if family == "4"
               else "ICMPv6 packet too big"),
           "eth(%s(src=%s, dst='%s6')/UDP(sport=40091, dport=4789)/Raw(load=bytes(%d)))"
           % (layer, client, base, 1281 - (28 if family == "4" else 48)),
           forward="smallmtu4" if family == "4" else None,
           too_big=None if family == "4" else 1280,
           counters=[("counters", "LB_COUNTER_FIB_FAIL" if family == "4"
                      else "LB_COUNTER_TOO_BIG")])


def rows_lb_too_big():
    """Packets the route to their backend (MTU 1280, topology.ip) cannot carry."""
    udp4 = ("eth(IP(src=%s, dst='192.0.2.66', flags='DF'%s)/UDP(sport=40092, dport=4789)"
            "/Raw(load=(bytes(range(256)) * 40)[:%d]))")
    lb("v4 1281 bytes with DF to a backend behind an MTU 1280 route: ICMP fragmentation needed",
       udp4 % ("C4", "", 1281 - 28), too_big=1280,
       counters=[("counters", "LB_COUNTER_TOO_BIG")])
    lb("v4 9000 bytes with DF, a jumbo frame in several buffers: ICMP fragmentation needed",
       udp4 % ("C4", "", 9000 - 28), too_big=1280)
    lb("v4 with 40 bytes of options and DF, too big: the quote holds the options",
       udp4 % ("C4", ", options=[IPOption_RR(length=39, routers=['0.0.0.0']*9), IPOption_NOP()]",
               1400 - 68), too_big=1280)
    lb("v4 9001 bytes with DF, more than the ingress link's MTU (9000; a packet the kernel "
       "merged, in generic mode): XDP_PASS rewritten, no error",
       udp4 % ("C4", "", 9001 - 28), forward="smallmtu4",
       counters=[("counters", "LB_COUNTER_FIB_FAIL")])
    lb("v4 too big with DF from a multicast source: XDP_PASS rewritten, no error",
       udp4 % ("'224.0.0.5'", "", 1400 - 28), forward="smallmtu4",
       counters=[("counters", "LB_COUNTER_FIB_FAIL")])
    lb("v4 too big with DF from 0.0.0.0: XDP_PASS rewritten, no error",
       udp4 % ("'0.0.0.0'", "", 1400 - 28), forward="smallmtu4")
    lb("v4 ICMP error to a VIP, too big with DF: XDP_PASS rewritten, no error about an error",
       "eth(IP(src=R4, dst='192.0.2.66', flags='DF')/ICMP(type=3, code=3)"
       "/quote(IP(src='192.0.2.66', dst=C4)/UDP(sport=4789, dport=40093)/Raw(load=bytes(1300))))",
       forward="smallmtu4", counters=[("counters", "LB_COUNTER_FIB_FAIL")])
    udp6 = ("eth(IPv6(src=%s, dst='2001:db8:f::66')/UDP(sport=40094, dport=4789)"
            "/Raw(load=(bytes(range(256)) * 40)[:%d]))")
    lb("v6 9000 bytes, a jumbo frame in several buffers: ICMPv6 packet too big",
       udp6 % ("C6", 9000 - 48), too_big=1280, counters=[("counters", "LB_COUNTER_TOO_BIG")])
    lb("v6 too big from a multicast source: XDP_PASS rewritten, no error",
       udp6 % ("'ff02::1'", 1400 - 48), forward="smallmtu6")
    lb("v6 too big from ::: XDP_PASS rewritten, no error", udp6 % ("'::'", 1400 - 48),
       forward="smallmtu6")
    lb("v6 first fragment, too big: ICMPv6 packet too big",
       "eth(IPv6(src=C6, dst='2001:db8:f::66')/IPv6ExtHdrFragment(id=5, m=1)"
       "/UDP(sport=40095, dport=4789)/Raw(load=bytes(1400)))", too_big=1280)


# Next hops as l3dsrd keeps them in next_hops, with MACs no neighbour of topology.ip has: a frame
# that carries them went by the entry, one that carries the topology's went by the fib.
def hop_a(link="{ingress}", mtu=1500):
    return Hop(link, mtu, "02:00:00:00:e1:0a", "02:00:00:00:e2:0a")


def hop_b(link="{ingress}", mtu=1500):
    return Hop(link, mtu, "02:00:00:00:e1:0b", "02:00:00:00:e2:0b")


FIB_ASKED = ("counters", "LB_COUNTER_FIB_LOOKUP")
FIB_NOT_ASKED = ("counters", "LB_COUNTER_FIB_LOOKUP", 0)


def rows_lb_next_hop():
    """The program's use of next_hops (bpf/l3dsr_common.h): an entry exact for the packet gives
    the egress and the MACs without asking the fib; any other asks bpf_fib_lookup."""
    for family, layer, client, address, other_rip in (
            ("4", "IP", "C4", "192.0.2.10", "198.51.100.12"),
            ("6", "IPv6", "C6", "2001:db8:f::10", "2001:db8:b::12")):
        name = "web" + family
        header = 20 if family == "4" else 40

        def syn(port):
            return ("eth(%s(src=%s, dst='%s')/TCP(sport=%d, dport=80, flags='S'))"
                    % (layer, client, address, port))

        # IP length: the header, 20 bytes of TCP and 60 of data.
        data = ("eth(%s(src=%s, dst='%s')/TCP(sport=43010, dport=80, flags='PA')"
                "/Raw(load=bytes(60)))" % (layer, client, address))
        length = header + 80
        jumbo = ("eth(%s(src=%s, dst='%s', %s)/TCP(sport=43011, dport=80, flags='PA')"
                 "/Raw(load=(bytes(range(256)) * 36)[:%d]))"
                 % (layer, client, address, "flags='DF'" if family == "4" else "fl=7",
                    9000 - header - 20))

        lb("v%s kept next hop on the ingress link: XDP_TX with its MACs, no fib lookup"
           % family, syn(43001), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a(), hop_b()]),
           counters=[("counters", "LB_COUNTER_TX"), FIB_NOT_ASKED])
        lb("v%s kept next hop on the second link: XDP_REDIRECT with its MACs, no fib lookup"
           % family, syn(43002), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a("{other}"), hop_b()]),
           counters=[("counters", "LB_COUNTER_REDIRECT"), FIB_NOT_ASKED])
        lb("v%s kept next hop on a link without XDP transmit: XDP_PASS rewritten, TTL kept, "
           "no fib lookup" % family, syn(43003), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a("nox"), hop_b()]),
           counters=[("counters", "LB_COUNTER_EGRESS_NO_XDP"), FIB_NOT_ASKED])
        lb("v%s live = COPY1: copies[1] is the next hop (redirect), not copies[0]" % family,
           syn(43004), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY1, [hop_a(), hop_b("{other}")]),
           counters=[("counters", "LB_COUNTER_REDIRECT"), FIB_NOT_ASKED])
        lb("v%s live = COPY1: copies[1] is the next hop (XDP_TX), not copies[0]" % family,
           syn(43005), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY1, [hop_a("{other}"), hop_b()]),
           counters=[("counters", "LB_COUNTER_TX"), FIB_NOT_ASKED])
        lb("v%s live = NONE: the fib's next hop, not the copies" % family, syn(43006),
           forward=name, next_hop=kept(name, NEXT_HOP_NONE, [hop_a(), hop_b()]),
           counters=[("counters", "LB_COUNTER_TX"), FIB_ASKED])
        lb("v%s entry resolved for another address (a reused backend_id): the fib's next hop"
           % family, syn(43007), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a(), hop_b()], address=other_rip),
           counters=[FIB_ASKED])
        lb("v%s entry for packets from another interface: the fib's next hop" % family,
           syn(43008), forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a(), hop_b()], ingress="{other}"),
           counters=[FIB_ASKED])
        lb("v%s datagram one byte longer than the kept next hop's MTU: the fib's next hop"
           % family, data, forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a(mtu=length - 1), hop_b()]),
           counters=[FIB_ASKED])
        lb("v%s datagram as long as the kept next hop's MTU: its MACs, no fib lookup" % family,
           data, forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a(mtu=length), hop_b()]),
           counters=[FIB_NOT_ASKED])
        lb("v%s 9000-byte frame (several buffers) by a kept next hop on the ingress link: "
           "XDP_TX with its MACs" % family, jumbo, forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a(mtu=9000), hop_b()]),
           counters=[("counters", "LB_COUNTER_TX"), FIB_NOT_ASKED])
        lb("v%s 9000-byte frame by a kept next hop on the second link (no multi-buffer "
           "transmit): XDP_PASS rewritten, TTL kept" % family, jumbo, forward=name,
           next_hop=kept(name, NEXT_HOP_COPY0, [hop_a("{other}", 9000), hop_b()]),
           counters=[("counters", "LB_COUNTER_EGRESS_NO_XDP"), FIB_NOT_ASKED])

    # The backend behind a route of MTU 1280 (topology.ip), its next hop kept with that MTU:
    # a datagram over it asks the fib, which answers "fragmentation needed".
    smallmtu4 = kept("smallmtu4", NEXT_HOP_COPY0, [hop_a(mtu=1280), hop_b()])
    udp4 = ("eth(IP(src=C4, dst='192.0.2.66'%s)/UDP(sport=43020, dport=4789)"
            "/Raw(load=(bytes(range(256)) * 40)[:%d]))")
    lb("v4 1280 bytes with DF by a kept next hop of MTU 1280: XDP_TX with its MACs",
       udp4 % (", flags='DF'", 1280 - 28), forward="smallmtu4", next_hop=smallmtu4,
       counters=[("counters", "LB_COUNTER_TX"), FIB_NOT_ASKED])
    lb("v4 1281 bytes with DF over a kept next hop of MTU 1280: the fib, ICMP fragmentation "
       "needed", udp4 % (", flags='DF'", 1281 - 28), too_big=1280, next_hop=smallmtu4,
       counters=[("counters", "LB_COUNTER_TOO_BIG"), FIB_ASKED])
    lb("v4 1281 bytes without DF over a kept next hop of MTU 1280: the fib, XDP_PASS rewritten "
       "(the kernel fragments it)", udp4 % ("", 1281 - 28), forward="smallmtu4",
       next_hop=smallmtu4, counters=[("counters", "LB_COUNTER_FIB_FAIL"), FIB_ASKED])
    smallmtu6 = kept("smallmtu6", NEXT_HOP_COPY0, [hop_a(mtu=1280), hop_b()])
    udp6 = ("eth(IPv6(src=C6, dst='2001:db8:f::66')/UDP(sport=43021, dport=4789)"
            "/Raw(load=(bytes(range(256)) * 40)[:%d]))")
    lb("v6 1280 bytes by a kept next hop of MTU 1280: XDP_TX with its MACs", udp6 % (1280 - 48),
       forward="smallmtu6", next_hop=smallmtu6,
       counters=[("counters", "LB_COUNTER_TX"), FIB_NOT_ASKED])
    lb("v6 1281 bytes over a kept next hop of MTU 1280: the fib, ICMPv6 packet too big",
       udp6 % (1281 - 48), too_big=1280, next_hop=smallmtu6,
       counters=[("counters", "LB_COUNTER_TOO_BIG"), FIB_ASKED])


def rows_lb_jumbo():
    """Frames of an MTU 9000 interface: the rest of the frame is in further buffers."""
    lb("v4 9000-byte TCP segment (a frame in several buffers) to a tcp/80 VIP",
       "eth(IP(src=C4, dst='192.0.2.10', flags='DF')/TCP(sport=40096, dport=80, flags='PA')"
       "/Raw(load=(bytes(range(256)) * 36)[:8960]))", forward="web4",
       counters=[("counters", "LB_COUNTER_TX"), ("vip_traffic", "web4")])
    lb("v6 9000-byte TCP segment (a frame in several buffers) to a tcp/80 VIP",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/TCP(sport=40097, dport=80, flags='PA')"
       "/Raw(load=(bytes(range(256)) * 36)[:8940]))", forward="web6",
       counters=[("counters", "LB_COUNTER_TX"), ("vip_traffic", "web6")])
    for family, layer, client, vip_, payload in (("4", "IP", "C4", "192.0.2.60", 8960),
                                                 ("6", "IPv6", "C6", "2001:db8:f::60", 8940)):
        lb("v%s 9000-byte frame to a backend behind an interface without multi-buffer XDP "
           "transmit: XDP_PASS rewritten, TTL kept" % family,
           "eth(%s(src=%s, dst='%s')/TCP(sport=40099, dport=80, flags='PA')"
           "/Raw(load=bytes(%d)))" % (layer, client, vip_, payload), forward="redirect" + family,
           counters=[("counters", "LB_COUNTER_EGRESS_NO_XDP")])
    lb("v6 whose extension headers end beyond the first buffer passes untouched",
       "eth(IPv6(src=C6, dst='2001:db8:f::10')/IPv6ExtHdrDestOpt(options=[PadN(optdata=bytes("
       "250))] * 8)/IPv6ExtHdrDestOpt(options=[PadN(optdata=bytes(250))] * 8)"
       "/TCP(sport=40098, dport=80, flags='PA')/Raw(load=bytes(2000)))",
       counters=[("counters", "LB_COUNTER_MALFORMED")])


def rows_backend():
    backend("backend: v4 TCP with DSCP 10 to a local address is restored to its VIP",
            "to_host(IP(src=C4, dst='198.51.100.11', tos=10 << 2, ttl=60)"
            "/TCP(sport=40100, dport=80, flags='S'))", restore="web4",
            counters=[("counters", "BACKEND_COUNTER_RESTORED"), ("vip_traffic", "web4")])
    for ecn in range(1, 4):
        backend("backend: v4 ECN %d is kept, DSCP cleared" % ecn,
                "to_host(IP(src=C4, dst='198.51.100.11', tos=10 << 2 | %d)"
                "/TCP(sport=40101, dport=80, flags='PA')/Raw(load=b'data'))" % ecn,
                restore="web4")
    backend("backend: v4 UDP with DSCP 11 is restored",
            "to_host(IP(src=C4, dst='198.51.100.12', tos=11 << 2)/UDP(sport=40102, dport=53)"
            "/Raw(load=b'query'))", restore="dns4")
    backend("backend: v4 UDP with checksum 0 keeps checksum 0",
            "to_host(IP(src=C4, dst='198.51.100.12', tos=11 << 2)/UDP(sport=40103, dport=53, "
            "chksum=0)/Raw(load=b'query'))", restore="dns4")
    backend("backend: v4 TTL 1 is restored (it is delivered here)",
            "to_host(IP(src=C4, dst='198.51.100.11', tos=10 << 2, ttl=1)"
            "/TCP(sport=40104, dport=80, flags='S'))", restore="web4")
    backend("backend: v4 first fragment with DSCP 11 is restored",
            "frag4(IP(src=C4, dst='198.51.100.12', tos=11 << 2, id=0x5555)"
            "/UDP(sport=40105, dport=53)/Raw(load=bytes(range(80))), 0)", restore="dns4")
    backend("backend: v4 non-first fragment with DSCP 11 is restored",
            "frag4(IP(src=C4, dst='198.51.100.12', tos=11 << 2, id=0x5555)"
            "/UDP(sport=40105, dport=53)/Raw(load=bytes(range(80))), 1)", restore="dns4")
    backend("backend: v4 ICMP frag-needed with DSCP 10 is restored",
            "to_host(IP(src=R4, dst='198.51.100.11', tos=10 << 2)/ICMP(type=3, code=4, "
            "nexthopmtu=1400)/quote(IP(src='192.0.2.10', dst=C4)/TCP(sport=80, dport=40106, "
            "flags='A')))", restore="web4",
            counters=[("counters", "BACKEND_COUNTER_ICMP_ERROR")])
    backend("backend: v6 TCP with DSCP 30 to a local address is restored to its VIP",
            "to_host(IPv6(src=C6, dst='2001:db8:b::11', tc=30 << 2 | 2)"
            "/TCP(sport=40110, dport=80, flags='S'))", restore="web6",
            counters=[("counters", "BACKEND_COUNTER_RESTORED"), ("vip_traffic", "web6")])
    backend("backend: v6 UDP with DSCP 31 is restored",
            "to_host(IPv6(src=C6, dst='2001:db8:b::12', tc=31 << 2)/UDP(sport=40111, dport=53)"
            "/Raw(load=b'query'))", restore="dns6")
    backend("backend: v6 non-first fragment with DSCP 31 is restored",
            "frag6(IPv6(src=C6, dst='2001:db8:b::12', tc=31 << 2)/IPv6ExtHdrFragment(id=9)"
            "/UDP(sport=40112, dport=53)/Raw(load=bytes(range(120))), 1)", restore="dns6")
    backend("backend: v6 ICMPv6 packet-too-big with DSCP 30 is restored",
            "to_host(IPv6(src=R6, dst='2001:db8:b::11', tc=30 << 2)/ICMPv6PacketTooBig(mtu=1280)"
            "/quote(IPv6(src='2001:db8:f::10', dst=C6)/TCP(sport=80, dport=40113, flags='A')))",
            restore="web6")
    backend("backend: v4 dscp = none: tcp/8080 to a local address is restored by port",
            "to_host(IP(src=C4, dst='198.51.100.15')/TCP(sport=40120, dport=8080, flags='S'))",
            restore="plain4")
    backend("backend: v4 dscp = none: a re-marked DS field is kept",
            "to_host(IP(src=C4, dst='198.51.100.15', tos=0xb9)/TCP(sport=40121, dport=8080, "
            "flags='PA')/Raw(load=b'data'))", restore="plain4")
    backend("backend: v6 dscp = none: tcp/8080 to a local address is restored by port",
            "to_host(IPv6(src=C6, dst='2001:db8:b::15', tc=3)/TCP(sport=40122, dport=8080, "
            "flags='S'))", restore="plain6")
    backend("backend: v4 with DSCP 10 to an address not local passes untouched",
            "to_host(IP(src=C4, dst='198.51.100.21', tos=10 << 2)/TCP(sport=40130, dport=80, "
            "flags='S'))", counters=[("counters", "BACKEND_COUNTER_PASS")])
    backend("backend: v6 with DSCP 30 to an address not local passes untouched",
            "to_host(IPv6(src=C6, dst='2001:db8:b::21', tc=30 << 2)/TCP(sport=40131, dport=80, "
            "flags='S'))")
    backend("backend: v4 with an unknown DSCP code (40) passes untouched",
            "to_host(IP(src=C4, dst='198.51.100.11', tos=40 << 2)/TCP(sport=40132, dport=80, "
            "flags='S'))")
    backend("backend: v4 with DSCP 0 to a port without dscp = none VIP passes untouched",
            "to_host(IP(src=C4, dst='198.51.100.11')/TCP(sport=40133, dport=80, flags='S'))")
    backend("backend: v4 udp/8080 (the dscp = none VIP is tcp) passes untouched",
            "to_host(IP(src=C4, dst='198.51.100.15')/UDP(sport=40134, dport=8080))")
    backend("backend: v6 with the DSCP of an IPv4 VIP (10) passes untouched",
            "to_host(IPv6(src=C6, dst='2001:db8:b::11', tc=10 << 2)/TCP(sport=40135, dport=80, "
            "flags='S'))")
    backend("backend: v4 with the DSCP of an IPv6 VIP (30) passes untouched",
            "to_host(IP(src=C4, dst='198.51.100.11', tos=30 << 2)/TCP(sport=40136, dport=80, "
            "flags='S'))")
    backend("backend: 802.1Q-tagged v4 with DSCP 10 passes untouched",
            "Ether(src='02:00:00:00:0a:02', dst='02:00:00:00:0b:11')/Dot1Q(vlan=100)"
            "/IP(src=C4, dst='198.51.100.11', tos=10 << 2)/TCP(sport=40137, dport=80)")
    for what, frame, length in (
            ("v4 header cut at 19 of 20 bytes",
             "to_host(IP(src=C4, dst='198.51.100.11', tos=10 << 2)/TCP(dport=80))", 14 + 19),
            ("v4 TCP header cut at 15 of 20 bytes",
             "to_host(IP(src=C4, dst='198.51.100.11', tos=10 << 2)/TCP(dport=80))", 14 + 20 + 15),
            ("v4 dscp = none, TCP header cut at 3 bytes",
             "to_host(IP(src=C4, dst='198.51.100.15')/TCP(dport=8080))", 14 + 20 + 3),
            ("v6 header cut at 39 of 40 bytes",
             "to_host(IPv6(src=C6, dst='2001:db8:b::11', tc=30 << 2)/TCP(dport=80))", 14 + 39),
            ("v6 UDP header cut at 7 of 8 bytes",
             "to_host(IPv6(src=C6, dst='2001:db8:b::12', tc=31 << 2)/UDP(dport=53))",
             14 + 40 + 7)):
        backend("backend: truncated: %s passes untouched" % what, "cut(%s, %d)" % (frame, length))


# Writing the C source ------------------------------------------------------------------------

def emit_row(out, number, row):
    prefix = "row%d" % number
    out.append("/* %s */\n" % row.what.replace("*/", "* /"))
    out.append(c_bytes(prefix + "_input", row.input))
    for index, (_, _, data) in enumerate(row.outputs):
        out.append(c_bytes("%s_output%d" % (prefix, index), data))
    out.append("static const struct fixture_output %s_outputs[] = {\n" % prefix)
    for index, (backend_, description, data) in enumerate(row.outputs):
        out.append("\t{%s, %s, %d, %s_output%d},\n" % (c_string(backend_), c_string(description),
                                                         len(data), prefix, index))
    out.append("\t{NULL, NULL, 0, NULL},\n};\n")
    out.append("static const struct fixture_counter %s_counters[] = {\n" % prefix)
    for map_name, what, index, packets, length in row.counters:
        out.append("\t{%s, %s, %s, %d, %d},\n" % (c_string(map_name), c_string(what), index,
                                                   packets, length))
    out.append("\t{NULL, NULL, 0, 0, 0},\n};\n")
    if row.next_hop is not None:
        entry = row.next_hop
        copies = ", ".join("{%s, %d, %s, %s}" % (c_string(hop.link), hop.mtu,
                                                 c_mac(hop.destination_mac),
                                                 c_mac(hop.source_mac))
                           for hop in entry.copies)
        out.append("static const struct fixture_next_hop %s_next_hop = {\n"
                   "\t.backend_id = %d, .address = %s,\n\t.ingress = %s, .live = %d,\n"
                   "\t.copies = {%s},\n};\n" % (prefix, entry.backend_id,
                                                 c_address(entry.address),
                                                 c_string(entry.ingress), entry.live, copies))
    out.append("\n")


def emit_table(out):
    out.append("const struct fixture fixture_rows[] = {\n")
    for number, row in enumerate(ROWS):
        if row.program == "FIXTURE_SPREAD":
            out.append("\t{.what = %s,\n\t .program = FIXTURE_SPREAD,\n\t .flow = %s, "
                       ".minimum_backends = %d},\n" % (c_string(row.what), c_string(row.flow),
                                                        row.minimum_backends))
            continue
        prefix = "row%d" % number
        out.append("\t{.what = %s,\n\t .program = %s,\n\t .scapy = %s,\n"
                   "\t .input_length = %d, .input = %s_input,\n"
                   "\t .verdict = %s,\n\t .output_count = %d, .outputs = %s_outputs,\n"
                   "\t .flow = %s, .minimum_backends = %d, .flow_table = %d,\n"
                   "\t .counter_count = %d, .counters = %s_counters,\n"
                   "\t .next_hop = %s},\n" % (
                       c_string(row.what), row.program, c_string(row.expression),
                       len(row.input), prefix, row.verdict or "XDP_PASS", len(row.outputs),
                       prefix, c_string(row.flow) if row.flow else "NULL",
                       row.minimum_backends, int(row.flow_table), len(row.counters), prefix,
                       "&%s_next_hop" % prefix if row.next_hop is not None else "NULL"))
    out.append("};\nconst size_t fixture_row_count = sizeof(fixture_rows) / "
               "sizeof(fixture_rows[0]);\n")


def main():
    for rows in (rows_lb_basic, rows_lb_match, rows_lb_owned, rows_lb_ds, rows_lb_ipv6,
                 rows_lb_fragments, rows_lb_icmp, rows_lb_truncated, rows_lb_fib, rows_lb_too_big,
                 rows_lb_next_hop, rows_lb_jumbo, rows_backend):
        rows()
    names = [row.what for row in ROWS]
    duplicate = {name for name in names if names.count(name) > 1}
    assert not duplicate, "rows with the same name: %s" % duplicate
    out = ["/* Generated by tests/datapath/fixtures.py: do not edit. */\n",
           "#include <linux/bpf.h>\n#include <stddef.h>\n\n",
           "#include \"tests/datapath/fixture.h\"\n\n"]
    for number, row in enumerate(ROWS):
        if row.program != "FIXTURE_SPREAD":
            emit_row(out, number, row)
    emit_table(out)
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
