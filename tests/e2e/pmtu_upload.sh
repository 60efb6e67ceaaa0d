#!/usr/bin/env bash
# pmtu_upload.sh: uploads through an LB whose route to the backends has a smaller MTU (1400,
# locked, so forwarding honours it) than the clients' link (1500). Linux sets DF on TCP, so the
# client's full-size segments cannot go on: the LB's program must answer each with an ICMP
# fragmentation-needed / packet-too-big quoting the client's own packet to the VIP (not the
# rewritten one), from which the client's PMTU discovery learns 1400 and the upload completes.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

ROUTE_MTU=1400
SIZE=300000
e2e_setup
e2e_lb_config "$TOPO_DIR/lb.conf" 1 2
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role backend ready" e2e_start_backends "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role lb ready" e2e_start_lb "$TOPO_DIR/lb.conf"
e2e_ok "l3dsrd ready on the LB and ${TOPO_BACKENDS[*]}"

e2e_must "the LB's routes to the backends get MTU $ROUTE_MTU" sh -c "
	ip netns exec $TOPO_NS_LB ip -4 route change 198.51.100.0/24 via $TOPO_ROUTER_ADDR4 \
		dev eth0 mtu lock $ROUTE_MTU &&
	ip netns exec $TOPO_NS_LB ip -6 route change 2001:db8:2::/64 via $TOPO_ROUTER_ADDR6 \
		dev eth0 mtu lock $ROUTE_MTU"

head -c "$SIZE" /dev/urandom >"$TOPO_DIR/upload.bin"
e2e_must "capture" e2e_capture_start errors "$TOPO_NS_SWITCH" "$TOPO_LB_PEER"
for family in 4 6; do
	e2e_check_upload "IPv$family: a $SIZE-byte upload with full-size segments arrives intact" \
		"$family" "$TOPO_DIR/upload.bin"
done
e2e_capture_stop errors

for family in 4 6; do
	if [ "$family" = 4 ]; then vip=$TOPO_VIP4; else vip=$TOPO_VIP6; fi
	route=$(topology_exec client ip -"$family" route get "$vip" 2>&1)
	if grep -q "mtu $ROUTE_MTU" <<<"$route"; then
		e2e_ok "IPv$family: the client learnt the path MTU $ROUTE_MTU to the VIP"
	else
		e2e_fail "IPv$family: the client learnt the path MTU $ROUTE_MTU to the VIP" "$route"
	fi
done

# The errors the client got: from the VIP, with the route's MTU, quoting a packet to the VIP.
# IPv4: ICMP type 3 code 4, next-hop MTU at bytes 6-7, the quoted destination at bytes 24-27.
errors4="src host $TOPO_VIP4 and dst host $TOPO_CLIENT_ADDR4 and icmp[0] == 3 and icmp[1] == 4"
errors4+=" and icmp[6:2] == $ROUTE_MTU and icmp[24:4] == 0xc000020a"
# IPv6 (2001:db8:f::10): ICMPv6 type 2, MTU at bytes 4-7, the quoted destination at 24-39.
errors6="src host $TOPO_VIP6 and dst host $TOPO_CLIENT_ADDR6 and icmp6 and ip6[40] == 2"
errors6+=" and ip6[44:4] == $ROUTE_MTU and ip6[72:4] == 0x20010db8 and ip6[76:4] == 0x000f0000"
errors6+=" and ip6[80:4] == 0 and ip6[84:4] == 0x10"
for family in 4 6; do
	if [ "$family" = 4 ]; then filter=$errors4; else filter=$errors6; fi
	seen=$(e2e_capture_count errors "$filter")
	if ((seen > 0)); then
		e2e_ok "IPv$family: the LB sent $seen error(s) from the VIP quoting the client's packet to the VIP"
	else
		e2e_fail "IPv$family: the LB sent errors from the VIP quoting the client's packet to the VIP" \
			"$(tcpdump -n -r "$TOPO_DIR/errors.pcap" icmp or icmp6 2>/dev/null | head -n 5)"
	fi
done
# The LB's kernel never had to answer (it would quote the packet rewritten to the backend).
kernel=$(e2e_capture_count errors "src host $TOPO_LB_ADDR4 and icmp[0] == 3")
kernel6=$(e2e_capture_count errors "src host $TOPO_LB_ADDR6 and icmp6 and ip6[40] == 2")
if ((kernel == 0 && kernel6 == 0)); then
	e2e_ok "the LB's kernel sent no error of its own"
else
	e2e_fail "the LB's kernel sent no error of its own" "IPv4: $kernel, IPv6: $kernel6"
fi

. "$E2E_ROOT/tests/e2e/counters.sh"
e2e_check_stat "LB counters: too_big counted the errors sent" lb \
	"s['counters']['too_big']['packets'] > 0 and s['counters']['malformed']['packets'] == 0"

e2e_finish
