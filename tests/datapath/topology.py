"""topology.py: what the datapath tests expect from the fib of the network in topology.ip.

Reads the same `ip -batch` lines netns.sh runs and answers, for a backend address, how the load
balancer's bpf_fib_lookup reaches it: the verdict, and the MACs a forwarded frame must carry.
A deliberately small model of the kernel's routing, enough for this one topology:
a permanent neighbour entry -> forwarded on its link (when the packet fits its MTU, and by
redirect only to a link that takes the frame: XDP_TRANSMIT); a route "via" a gateway -> forwarded to the
gateway's MAC; an on-link address without entry -> no neighbour; a packet larger than its
route's MTU, or anything else -> fib failure. A row may also give the backend a next_hops
entry (NextHop): where it is exact for the packet, its copy decides instead of the fib.
"""
import ipaddress
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# The links datapath_config.c puts in egress_devices, and whether they take multi-buffer frames
# too; any other link but the ingress takes no redirected frames.
XDP_TRANSMIT = {"{other}": False}
# What bpf_prog_test_run keeps in a frame's first buffer: a page less headroom and tailroom.
FIRST_BUFFER = 4096 - 256 - 320

# The verdicts of linux/bpf.h's enum xdp_action, by the names the C code uses.
XDP_PASS, XDP_TX, XDP_REDIRECT, XDP_DROP = "XDP_PASS", "XDP_TX", "XDP_REDIRECT", "XDP_DROP"


class Path:
    """How a backend is reached: verdict, the counter it moves, and the rewritten frame's MACs."""

    def __init__(self, verdict, counter, source_mac=None, destination_mac=None):
        self.verdict = verdict
        self.counter = counter
        self.source_mac = source_mac          # None: the MACs are left as they came
        self.destination_mac = destination_mac

    @property
    def forwarded(self):
        return self.verdict != XDP_PASS


class Topology:
    def __init__(self, path=os.path.join(HERE, "topology.ip")):
        self.link_mac = {}         # "{ingress}" -> MAC
        self.neighbours = {}       # address -> (MAC, link)
        self.connected = []        # (network, link)
        self.gateways = []         # (network, gateway address, link)
        self.mtus = []             # (network, MTU) of the routes that set one
        self.link_mtu = {}         # link -> MTU, where set (else 1500)
        with open(path) as lines:
            for line in lines:
                words = line.split()
                if not words or words[0].startswith("#"):
                    continue
                self._read(words)

    def _read(self, words):
        verb, rest = words[0], words[1:]
        if verb == "link" and rest[0] == "add":
            self.link_mac[rest[1]] = rest[3]
            self.link_mac[rest[1] + "p"] = rest[rest.index("address", 4) + 1]
        elif verb == "link" and rest[0] == "set" and "mtu" in rest:
            self.link_mtu[rest[1]] = int(rest[rest.index("mtu") + 1])
        elif verb == "addr" and rest[0] == "add":
            interface = ipaddress.ip_interface(rest[1])
            self.connected.append((interface.network, rest[3]))
        elif verb == "neigh" and rest[0] == "add":
            self.neighbours[ipaddress.ip_address(rest[1])] = (rest[3], rest[5])
        elif verb == "route" and "via" in rest:
            self.gateways.append((ipaddress.ip_network(rest[1]),
                                  ipaddress.ip_address(rest[rest.index("via") + 1]),
                                  rest[rest.index("dev") + 1]))
        elif verb == "route" and "mtu" in rest:
            value = rest[rest.index("mtu") + 1:]
            value = value[1] if value[0] == "lock" else value[0]
            self.mtus.append((ipaddress.ip_network(rest[1]), int(value)))

    def mac(self, link):
        return self.link_mac[link]

    def path(self, backend, ip_length, ingress="{ingress}", next_hop=None):
        """The Path of a packet of IP_LENGTH bytes rewritten to BACKEND, arrived on INGRESS;
        NEXT_HOP: the backend's next_hops entry (a NextHop), which the program uses instead of
        the fib when it is exact for the packet."""
        if next_hop is not None:
            hop = next_hop.exact_for(backend, ip_length, ingress)
            if hop is not None:
                return self._send(hop.link, hop.source_mac, hop.destination_mac, ip_length,
                                  ingress)
        address = ipaddress.ip_address(backend)
        if any(address in network and ip_length > mtu for network, mtu in self.mtus):
            return Path(XDP_PASS, "LB_COUNTER_FIB_FAIL")
        next_hop = address
        for network, gateway, _ in self.gateways:
            if address in network:
                next_hop = gateway
        if next_hop in self.neighbours:
            mac, link = self.neighbours[next_hop]
            if ip_length > self.link_mtu.get(link, 1500):
                return Path(XDP_PASS, "LB_COUNTER_FIB_FAIL")
            return self._send(link, self.mac(link), mac, ip_length, ingress)
        if any(next_hop in network for network, _ in self.connected):
            return Path(XDP_PASS, "LB_COUNTER_FIB_NO_NEIGH")
        return Path(XDP_PASS, "LB_COUNTER_FIB_FAIL")

    @staticmethod
    def _send(link, source_mac, destination_mac, ip_length, ingress):
        """A next hop found on LINK: sent back out (XDP_TX), redirected where the link takes the
        frame, else passed to the kernel."""
        if link == ingress:
            return Path(XDP_TX, "LB_COUNTER_TX", source_mac, destination_mac)
        if link not in XDP_TRANSMIT or (not XDP_TRANSMIT[link] and
                                        ip_length + 14 > FIRST_BUFFER):
            return Path(XDP_PASS, "LB_COUNTER_EGRESS_NO_XDP")
        return Path(XDP_REDIRECT, "LB_COUNTER_REDIRECT", source_mac, destination_mac)


# next_hop_entry.live (bpf/l3dsr_common.h).
NEXT_HOP_NONE, NEXT_HOP_COPY0, NEXT_HOP_COPY1 = 0, 1, 2


class Hop:
    """One copy of a next_hops entry: the link it leaves by, its MTU and the frame's MACs."""

    def __init__(self, link, mtu, destination_mac, source_mac):
        self.link = link
        self.mtu = mtu
        self.destination_mac = destination_mac
        self.source_mac = source_mac


class NextHop:
    """A next_hops entry as l3dsrd writes it: resolved for ADDRESS, valid for packets that came
    in by INGRESS, LIVE saying which of the two copies is the next hop (or none)."""

    def __init__(self, address, live, copies, ingress="{ingress}"):
        self.address = address
        self.live = live
        self.copies = copies
        self.ingress = ingress

    def exact_for(self, backend, ip_length, ingress):
        """The copy the program uses for a packet of IP_LENGTH bytes to BACKEND arrived on
        INGRESS, or None when it asks the fib (lb_cached_next_hop in bpf/lb.bpf.c)."""
        if self.live == NEXT_HOP_NONE or self.ingress != ingress:
            return None
        if ipaddress.ip_address(self.address) != ipaddress.ip_address(backend):
            return None
        hop = self.copies[1 if self.live == NEXT_HOP_COPY1 else 0]
        return hop if ip_length <= hop.mtu else None
