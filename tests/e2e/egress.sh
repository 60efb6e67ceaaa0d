#!/usr/bin/env bash
# egress.sh: a redirect the egress interface cannot take. Two-armed: requests enter the LB's
# eth0 and leave by redirect to eth1, whose veth peer (the router's eth2) runs an XDP program,
# the one thing that lets a veth take redirected frames. Take that program away and eth1 can no
# longer transmit XDP frames: a redirect there would be dropped by the driver after the program
# counted it as sent. The daemon must see eth1's XDP features change (netdev netlink), take it
# out of egress_devices, and the program must hand the rewritten packets to the kernel, which
# forwards them (counted egress_no_xdp); with the program back, redirects resume.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$E2E_ROOT/tests/e2e/counters.sh"

e2e_setup --two-armed
e2e_lb_config "$TOPO_DIR/lb.conf" 1 2
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role backend ready" e2e_start_backends "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role lb ready" e2e_start_lb "$TOPO_DIR/lb.conf"
e2e_ok "l3dsrd ready on the LB and ${TOPO_BACKENDS[*]}"

LB_LOG=$TOPO_DIR/l3dsrd-lb.log

# e2e_wait_log COUNT PATTERN: waits (10 s) until the LB's log has COUNT lines matching PATTERN.
e2e_wait_log() {
	local tries=100
	while ((tries--)); do
		(($(grep -cE "$2" "$LB_LOG") >= $1)) && return 0
		sleep 0.1
	done
	return 1
}

counter() { e2e_stat lb "s['counters']['$1']['packets']"; }

# phase WHAT FIRST_PORT REDIRECTED: 20 requests per family; all must be answered, and the
# packets must have left by redirect (REDIRECTED 1) or through the kernel (0), not the other.
phase() {
	local what=$1 port=$2 redirected=$3 redirect_before no_xdp_before redirect no_xdp family
	redirect_before=$(counter redirect)
	no_xdp_before=$(counter egress_no_xdp)
	for family in 4 6; do
		e2e_spread "$family" $((port + family * 100)) 20
		if ((E2E_SPREAD_FAILED == 0)); then
			e2e_ok "$what: IPv$family: 20 requests answered ($(e2e_spread_text))"
		else
			e2e_fail "$what: IPv$family: 20 requests answered" \
				"$E2E_SPREAD_FAILED failed; $(e2e_spread_text)"
		fi
	done
	redirect=$(($(counter redirect) - redirect_before))
	no_xdp=$(($(counter egress_no_xdp) - no_xdp_before))
	if ((redirected ? redirect > 0 && no_xdp == 0 : redirect == 0 && no_xdp > 0)); then
		e2e_ok "$what: redirect +$redirect, egress_no_xdp +$no_xdp"
	else
		e2e_fail "$what: $( ((redirected)) && echo "redirected" || echo "passed to the kernel")" \
			"redirect +$redirect, egress_no_xdp +$no_xdp"
	fi
}

takes="interface eth1 \(ifindex [0-9]+\) takes redirected XDP frames"
cannot="interface eth1 \(ifindex [0-9]+\) cannot take redirected XDP frames"
e2e_check "the LB's daemon found that eth1 takes redirected frames" e2e_wait_log 1 "$takes"
phase "eth1's peer runs XDP" 31000 1

e2e_must "the XDP program off the router's eth2" \
	ip -n "$TOPO_NS_ROUTER" link set dev eth2 xdpdrv off
e2e_check "the LB's daemon saw that eth1 no longer takes them" e2e_wait_log 1 "$cannot"
phase "eth1's peer runs no XDP" 32000 0

e2e_must "the XDP program back on the router's eth2" topology_napi "$TOPO_NS_ROUTER" eth2
e2e_check "the LB's daemon saw that eth1 takes them again" e2e_wait_log 2 "$takes"
phase "eth1's peer runs XDP again" 33000 1

e2e_finish
