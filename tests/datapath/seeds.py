#!/usr/bin/python3
"""seeds.py: the valid frames the random-packet test starts from, built with scapy.

A few hundred well-formed frames of every kind both programs meet (TCP, UDP, ICMP and ICMPv6
echo and errors, first and later fragments, IPv4 options, IPv6 extension headers, VLAN tags),
addressed to the VIPs of scenario.py, to the backend host's own addresses with DSCP codes, and to
addresses that are neither. random_test.c mutates them with the run's seed; this corpus itself is
fixed (its own generator is seeded with a constant), so the same run seed means the same frames.

Usage: seeds.py > random_seeds.c
"""
import random
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP, IPOption_RR, fragment
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6PacketTooBig, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, fragment6)
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

import scenario
from cemit import c_bytes
from scenario import C4, C6, R4, R6

CORPUS_SEED = 2
ROUNDS = 2  # each round: every kind of frame to every destination, fresh random fields


def destinations(family):
    """(destination, DS field, ports worth trying) tuples of one family."""
    out = []
    for vip in scenario.VIPS:
        if vip.family != family:
            continue
        port = vip.port or random.choice((1, 80, 443, 65535))
        out.append((vip.address, 0, port))
        # The frame the LB would send this VIP's backend: what the backend program meets.
        if vip.backends:
            out.append((vip.backends[0], (vip.dscp or 0) << 2 | random.randrange(4), port))
    for address in scenario.LOCAL_ADDRESSES:
        if (":" in address) == (family == 6):
            out.append((address, random.randrange(256), random.choice((80, 53, 8080))))
    others = ("192.0.2.11", "192.0.2.99", "198.51.100.21") if family == 4 else \
        ("2001:db8:f::11", "::ffff:192.0.2.10", "2001:db8:b::21")
    for address in others:
        out.append((address, random.randrange(256), random.choice((80, 53))))
    return out


def ip_layer(family, destination, ds, source=None):
    ttl = random.choice((1, 2, 64, 255))
    if family == 4:
        return IP(src=source or C4, dst=destination, tos=ds, ttl=ttl,
                  id=random.randrange(65536), flags=random.choice(("", "DF")))
    return IPv6(src=source or C6, dst=destination, tc=ds, hlim=ttl,
                fl=random.randrange(1 << 20))


def payload():
    return Raw(load=bytes(random.randrange(256) for _ in range(random.choice((0, 1, 7, 40)))))


def transport(protocol, port, reply=False):
    source, destination = random.randrange(1024, 65536), port
    if reply:
        source, destination = destination, source
    if protocol == "tcp":
        return TCP(sport=source, dport=destination, flags=random.choice(("S", "A", "PA", "R")),
                   seq=random.randrange(1 << 32))
    return UDP(sport=source, dport=destination, chksum=random.choice((None, None, 0)))


def frames(family):
    ether = Ether(src=scenario.ROUTER_MAC, dst=scenario.LB_MAC)
    for destination, ds, port in destinations(family):
        protocol = random.choice(("tcp", "udp"))
        yield ether / ip_layer(family, destination, ds) / transport(protocol, port) / payload()
        quoted = ip_layer(family, destination, 0, source=C4 if family == 4 else C6)
        quoted.src, quoted.dst = destination, (C4 if family == 4 else C6)
        quoted = bytes(quoted / transport(protocol, port, reply=True) / payload())
        quoted = quoted[:random.choice((len(quoted), 28, 48))]
        if family == 4:
            yield (ether / ip_layer(4, destination, ds, source=R4)
                   / ICMP(type=3, code=random.choice((3, 4)), nexthopmtu=1400) / Raw(quoted))
            yield ether / ip_layer(4, destination, ds) / ICMP(type=8, id=1, seq=1) / payload()
            datagram = (ip_layer(4, destination, ds) / transport(protocol, port)
                        / Raw(load=bytes(range(64))))
            for piece in fragment(datagram, fragsize=24):
                yield ether / piece
            yield (ether / IP(src=C4, dst=destination, tos=ds,
                              options=[IPOption_NOP(), IPOption_RR(routers=["0.0.0.0"] * 2)])
                   / transport(protocol, port) / payload())
        else:
            yield (ether / ip_layer(6, destination, ds, source=R6)
                   / random.choice((ICMPv6PacketTooBig(mtu=1280), ICMPv6DestUnreach(code=4)))
                   / Raw(quoted))
            yield ether / ip_layer(6, destination, ds) / ICMPv6EchoRequest() / payload()
            datagram = (ip_layer(6, destination, ds) / IPv6ExtHdrFragment(id=random.randrange(
                1 << 32)) / transport(protocol, port) / Raw(load=bytes(range(64))))
            for piece in fragment6(datagram, 80):
                yield ether / piece
            extension = random.choice((IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop(),
                                       IPv6ExtHdrRouting()))
            yield (ether / ip_layer(6, destination, ds) / extension / transport(protocol, port)
                   / payload())
        yield (Ether(src=scenario.ROUTER_MAC, dst=scenario.LB_MAC) / Dot1Q(vlan=7)
               / ip_layer(family, destination, ds) / transport(protocol, port))


def main():
    random.seed(CORPUS_SEED)
    corpus = []
    for _ in range(ROUNDS):
        for family in (4, 6):
            corpus.extend(bytes(frame) for frame in frames(family))
    out = ["/* Generated by tests/datapath/seeds.py: do not edit. */\n",
           "#include \"tests/datapath/random_seeds.h\"\n\n"]
    for number, frame in enumerate(corpus):
        out.append(c_bytes("seed%d" % number, frame))
    out.append("\nconst struct random_seed random_seeds[] = {\n")
    for number, frame in enumerate(corpus):
        out.append("\t{%d, seed%d},\n" % (len(frame), number))
    out.append("};\nconst size_t random_seed_count = %d;\n" % len(corpus))
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
