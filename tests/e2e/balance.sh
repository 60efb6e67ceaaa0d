#!/usr/bin/env bash
# balance.sh: VIP traffic through the real l3dsrd in the seed topology: spread, DSR, stickiness.
#
#   balance.sh [--two-armed] [--generic]
# One-armed, the LB sends rewritten requests back out of eth0 (XDP_TX); two-armed, out of eth1
# (redirect). --generic runs the LB and the backends with xdp-mode = generic (the kernel's skb
# path, for drivers without native XDP) instead of native. Checks, IPv4 and IPv6: the mode the
# program is attached in (ip -d link); the first request with no neighbour resolved on the LB;
# 200 requests from distinct source ports all answered, each backend's share within binomial
# bounds; a capture of the LB's links sees every request (rewritten, DSCP-marked) and no reply;
# a 5-tuple always lands on the same backend; weights 1:3; counters; an unrelated service on
# the LB host and non-VIP traffic through the LB keep working.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

ARM=one-armed
TOPOLOGY_OPTIONS=()
# The word `ip -d link` shows for the attachment in each mode.
declare -A XDP_MODE_WORD=([native]=xdp [generic]=xdpgeneric)
while (($#)); do
	case $1 in
	--two-armed)
		ARM=two-armed
		TOPOLOGY_OPTIONS=(--two-armed)
		;;
	--generic) E2E_XDP_MODE=generic ;;
	*)
		echo "usage: balance.sh [--two-armed] [--generic]" >&2
		exit 2
		;;
	esac
	shift
done
ARM+=" $E2E_XDP_MODE"
REQUESTS=200

e2e_setup "${TOPOLOGY_OPTIONS[@]}"
e2e_lb_config "$TOPO_DIR/lb.conf" 1 2
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role backend ready" e2e_start_backends "$TOPO_DIR/backend.conf"
e2e_ok "l3dsrd --role backend ready on ${TOPO_BACKENDS[*]}"
e2e_must "l3dsrd --role lb ready" e2e_start_lb "$TOPO_DIR/lb.conf"
e2e_ok "l3dsrd --role lb ready"
# The mode the kernel reports, on the LB and on every backend: a daemon that fell back to
# another mode, or ignored xdp-mode, fails here. `ip -d link` names the mode in the link's
# first line ("mtu 1500 xdpgeneric qdisc ..."); the program line says prog/xdp in both modes.
for host in lb "${TOPO_BACKENDS[@]}"; do
	e2e_check "$ARM: $host's eth0 has its XDP program attached as ${XDP_MODE_WORD[$E2E_XDP_MODE]}" \
		sh -c "ip -d -n '$(topology_ns "$host")' link show eth0 | tee /dev/stderr |
			grep -Eq '^[0-9]+: eth0[@:].* ${XDP_MODE_WORD[$E2E_XDP_MODE]} ' &&
			ip -d -n '$(topology_ns "$host")' link show eth0 | grep -Eq '^ *prog/xdp id [0-9]+ '"
done

# --- neighbour not resolved: the first request of each family ------------------------------
for family in 4 6; do
	topology_exec lb ip -"$family" neigh flush all
	neighbours=$(topology_exec lb ip -"$family" neigh show nud reachable nud stale nud delay)
	if [ -n "$neighbours" ]; then
		e2e_fail "IPv$family: the LB has no resolved neighbour before the first request" \
			"$neighbours"
	fi
	if answer=$(e2e_request "$family" $((19000 + family)) 2>&1) && [ -n "$answer" ]; then
		e2e_ok "IPv$family: first request with the LB's neighbours flushed answered by $answer"
	else
		e2e_fail "IPv$family: first request with the LB's neighbours flushed" "$answer"
	fi
done

# --- 200 requests per family from distinct source ports, captured on the LB's links ---------
e2e_must "capture" e2e_capture_start lbfront "$TOPO_NS_SWITCH" "$TOPO_LB_PEER"
if ((TOPO_TWO_ARMED)); then
	e2e_must "capture" e2e_capture_start lbback "$TOPO_LB_PEER_BACKEND_NS" "$TOPO_LB_PEER_BACKEND"
fi
for family in 4 6; do
	e2e_spread "$family" $((20000 + family * 1000)) "$REQUESTS"
	if ((E2E_SPREAD_FAILED == 0)); then
		e2e_ok "IPv$family: $REQUESTS requests from distinct source ports all answered"
	else
		e2e_fail "IPv$family: $REQUESTS requests from distinct source ports all answered" \
			"$E2E_SPREAD_FAILED failed; spread: $(e2e_spread_text)"
	fi
	e2e_note "IPv$family spread: $(e2e_spread_text)"
	for host in "${TOPO_BACKENDS[@]}"; do
		e2e_check_share "IPv$family equal weights" "$host" "$REQUESTS" 0.5
	done
done
e2e_capture_stop lbfront
((TOPO_TWO_ARMED)) && e2e_capture_stop lbback

# What the LB receives: every request (one SYN per source port).
syn4="tcp[tcpflags] & tcp-syn != 0"
syn6="ip6[6] == 6 and ip6[53] & 2 != 0" # TCP right after the fixed header, SYN flag
for family in 4 6; do
	if [ "$family" = 4 ]; then
		filter="ip and dst host $TOPO_VIP4 and dst port 80 and $syn4"
	else
		filter="ip6 and dst host $TOPO_VIP6 and dst port 80 and $syn6"
	fi
	ports=$(e2e_capture_sources lbfront "$filter")
	if ((ports == REQUESTS)); then
		e2e_ok "IPv$family: the LB's link saw the SYN of all $REQUESTS requests"
	else
		e2e_fail "IPv$family: the LB's link saw the SYN of all $REQUESTS requests" \
			"distinct source ports seen: $ports"
	fi
done

# What the LB sends: the requests rewritten to the RIPs with the VIP's DSCP code, TTL-1.
capture=lbfront
((TOPO_TWO_ARMED)) && capture=lbback
rips4=$(printf ' or dst host %s' "${TOPO_BACKEND_ADDR4[@]}")
rips6=$(printf ' or dst host %s' "${TOPO_BACKEND_ADDR6[@]}")
marked4="ip and (${rips4# or }) and dst port 80 and $syn4 and (ip[1] & 0xfc) == $((10 << 2))"
# IPv6 traffic class straddles bytes 0 and 1: DSCP 11 = class 0x2c.
marked6="ip6 and (${rips6# or }) and dst port 80 and $syn6"
marked6+=" and (ip6[0] & 0x0f) == 0x2 and (ip6[1] & 0xc0) == 0xc0"
for family in 4 6; do
	if [ "$family" = 4 ]; then filter=$marked4; else filter=$marked6; fi
	ports=$(e2e_capture_sources "$capture" "$filter")
	if ((ports == REQUESTS)); then
		e2e_ok "IPv$family: $ARM LB sent all $REQUESTS SYNs on to the RIPs, DSCP-marked"
	else
		e2e_fail "IPv$family: $ARM LB sent all $REQUESTS SYNs on to the RIPs, DSCP-marked" \
			"distinct source ports seen: $ports" \
			"$(tcpdump -n -v -r "$TOPO_DIR/$capture.pcap" 2>/dev/null | head -n 8)"
	fi
done

# DSR: no reply (source = VIP) ever crossed the LB's links.
from_vip="src host $TOPO_VIP4 or src host $TOPO_VIP6"
for capture in lbfront $( ((TOPO_TWO_ARMED)) && echo lbback); do
	replies=$(e2e_capture_count "$capture" "$from_vip")
	total=$(e2e_capture_count "$capture" "")
	if ((replies == 0 && total > 0)); then
		e2e_ok "DSR: none of the $total packets on the LB's $capture link came from a VIP"
	else
		e2e_fail "DSR: no packet on the LB's $capture link came from a VIP" \
			"$replies of $total packets did" \
			"$(tcpdump -n -r "$TOPO_DIR/$capture.pcap" "$from_vip" 2>/dev/null | head -n 5)"
	fi
done

# --- the same 5-tuple always lands on the same backend ---------------------------------------
for family in 4 6; do
	if [ "$family" = 4 ]; then vip=$TOPO_VIP4; else vip=$TOPO_VIP6; fi
	answers=$(topology_exec client "$E2E_PYTHON" "$E2E_ROOT/tests/e2e/http_get.py" \
		--local-port $((19500 + family)) --count 5 "$vip" 2>&1)
	distinct=$(sort -u <<<"$answers")
	if [ "$(wc -l <<<"$distinct")" = 1 ] && [[ $distinct == backend* ]]; then
		e2e_ok "IPv$family: 5 connections with the same 5-tuple all answered by $distinct"
	else
		e2e_fail "IPv$family: 5 connections with the same 5-tuple, one backend" "$answers"
	fi
done

# --- counters ---------------------------------------------------------------------------------
. "$E2E_ROOT/tests/e2e/counters.sh"
e2e_check_counters

# --- weights 1:3 by reload --------------------------------------------------------------------
e2e_lb_config "$TOPO_DIR/lb-weights.conf" 1:1 2:3
e2e_must "reload with weights 1:3" e2e_reload lb "$TOPO_DIR/lb-weights.conf"
for family in 4 6; do
	e2e_spread "$family" $((21000 + family * 1000)) "$REQUESTS"
	e2e_note "IPv$family spread with weights 1:3: $(e2e_spread_text)"
	if ((E2E_SPREAD_FAILED == 0)); then
		e2e_ok "IPv$family weights 1:3: all $REQUESTS requests answered"
	else
		e2e_fail "IPv$family weights 1:3: all $REQUESTS requests answered" \
			"$E2E_SPREAD_FAILED failed"
	fi
	e2e_check_share "IPv$family weights 1:3" backend1 "$REQUESTS" 0.25
	e2e_check_share "IPv$family weights 1:3" backend2 "$REQUESTS" 0.75
done

# --- the LB touches only VIP traffic ------------------------------------------------------------
mkdir -p "$TOPO_DIR/www"
echo "lb host service" >"$TOPO_DIR/www/hello"
for host in lb backend1; do
	topology_spawn "$host" "$TOPO_DIR/$host-service.log" \
		"$E2E_PYTHON" -m http.server 8080 --bind :: --directory "$TOPO_DIR/www"
done
topology_wait_listen lb 8080 "*" && topology_wait_listen backend1 8080 "*"
for family in 4 6; do
	if [ "$family" = 4 ]; then
		lb=$TOPO_LB_ADDR4 rip=${TOPO_BACKEND_ADDR4[0]} prefix=32
	else
		lb="[$TOPO_LB_ADDR6]" rip=${TOPO_BACKEND_ADDR6[0]} prefix=128
	fi
	e2e_check "IPv$family: an unrelated service on the LB host answers" \
		topology_exec client curl -sS --fail --max-time 5 -g "http://$lb:8080/hello"
	e2e_check "IPv$family: ping of the LB host" \
		topology_exec client ping -"$family" -c 2 -i 0.2 -W 2 "${lb//[\[\]]/}"
	# Non-VIP traffic routed through the LB: the client reaches backend1's real address via it.
	topology_exec client ip -"$family" route add "$rip/$prefix" via "${lb//[\[\]]/}"
	e2e_check "IPv$family: client's route to backend1's RIP goes through the LB" \
		sh -c "ip -n '$TOPO_NS_CLIENT' -$family route get '$rip' | grep -qF 'via ${lb//[\[\]]/}'"
	e2e_check "IPv$family: ping of backend1's RIP through the LB" \
		topology_exec client ping -"$family" -c 2 -i 0.2 -W 2 "$rip"
	if [ "$family" = 6 ]; then rip="[$rip]"; fi
	e2e_check "IPv$family: TCP to a non-VIP service on backend1's RIP through the LB" \
		topology_exec client curl -sS --fail --max-time 5 -g "http://$rip:8080/hello"
done

e2e_finish
