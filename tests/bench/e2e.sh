#!/usr/bin/env bash
# e2e.sh: make bench, part 4. In the seed topology (tests/lib/topology.sh), client -> VIP:
# TCP throughput (iperf3, one stream) and HTTP request rate (wrk against tests/lib/http_backend.py)
# through l3dsr (the real l3dsrd on the LB and the backend), with no load balancer (the router
# sends the VIP straight to the backend) and through the stateless nftables equivalent (LB:
# `ip daddr set jhash ...`, backend: `ip daddr set VIP`, both notrack); and, as a control, the
# l3dsr path's hops with the LB only routing (no XDP, no rewrite: the router sends the VIP to the
# backend). The paths take turns in every round; one backend everywhere, the same server for all.
#   e2e.sh --output FILE [--smoke]    the JSON into FILE; the log (and lib.sh's TAP) on stdout
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

RUN_SECONDS=10
ROUNDS=3
OUTPUT=
while (($#)); do
	case $1 in
	--smoke)
		RUN_SECONDS=1
		ROUNDS=1
		shift
		;;
	--output)
		OUTPUT=$2
		shift 2
		;;
	*)
		echo "usage: e2e.sh --output FILE [--smoke]" >&2
		exit 2
		;;
	esac
done
[ -n "$OUTPUT" ] || {
	echo "usage: e2e.sh --output FILE [--smoke]" >&2
	exit 2
}
IPERF_PORT=5201
PATHS=(l3dsr no_lb nftables lb_hop_routing)

e2e_setup --backends 1
RIP=${TOPO_BACKEND_ADDR4[0]}

conf_lb --global "hash-seed = 0" --global "flow-table-size = 65536" --vip web4:4:tcp:80:10 \
	--vip "iperf4:4:tcp:$IPERF_PORT:14" --line "check = none" 1 >"$TOPO_DIR/lb.conf"
conf_backend web4:4:10 iperf4:4:14 >"$TOPO_DIR/backend.conf"

# Not in $(...): the daemons and their notify listeners are children of this shell (teardown
# finds them), and they would hold a command substitution's pipe open.
e2e_start_backends "$TOPO_DIR/backend.conf" >"$TOPO_DIR/start-backends.out" ||
	e2e_bail "l3dsrd --role backend" "$(cat "$TOPO_DIR/start-backends.out")"
# Started as a plain command, so that $! is iperf3 itself (ip netns exec execs it).
ip netns exec "$(topology_ns backend1)" iperf3 -s -B "$TOPO_VIP4" -p "$IPERF_PORT" \
	>"$TOPO_DIR/iperf3.log" 2>&1 &
topology_track_pid $!

lb_start() {
	e2e_start_lb "$TOPO_DIR/lb.conf" >"$TOPO_DIR/start-lb.out" ||
		e2e_bail "l3dsrd --role lb" "$(cat "$TOPO_DIR/start-lb.out")"
}

lb_stop() {
	kill -TERM "${E2E_DAEMON_PID[lb]}" 2>/dev/null
	topology_reap "${E2E_DAEMON_PID[lb]}"
	unset 'E2E_DAEMON_PID[lb]'
}

# The VIP's route on the client and on the router: lb (both to the LB, as announced), backend
# (both straight to the backend), or hop (the client to the LB, which routes it to the router,
# which sends it to the backend).
vip_route_via() {
	case $1 in
	lb)
		topology_exec client ip route replace "$TOPO_VIP4/32" via "$TOPO_LB_ADDR4"
		topology_exec router ip route replace "$TOPO_VIP4/32" via "$TOPO_LB_ADDR4"
		;;
	backend)
		topology_exec client ip route replace "$TOPO_VIP4/32" via "$TOPO_ROUTER_ADDR4"
		topology_exec router ip route replace "$TOPO_VIP4/32" via "$RIP"
		;;
	hop)
		topology_exec client ip route replace "$TOPO_VIP4/32" via "$TOPO_LB_ADDR4"
		topology_exec router ip route replace "$TOPO_VIP4/32" via "$RIP"
		;;
	esac
}

nft_up() {
	topology_exec lb nft -f - <<NFT || e2e_bail "nftables rules on the LB"
table ip l3bench {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		ip daddr $TOPO_VIP4 tcp dport { 80, $IPERF_PORT } notrack ip dscp set 10 ip daddr set jhash ip saddr . tcp sport . tcp dport mod 1 map { 0 : $RIP }
	}
}
NFT
	topology_exec backend1 nft -f - <<NFT || e2e_bail "nftables rules on the backend"
table ip l3bench {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		ip daddr $RIP ip dscp 10 tcp dport { 80, $IPERF_PORT } notrack ip dscp set 0 ip daddr set $TOPO_VIP4
	}
	chain output {
		type filter hook output priority raw; policy accept;
		ip saddr $TOPO_VIP4 tcp sport { 80, $IPERF_PORT } notrack
	}
}
NFT
}

nft_down() {
	topology_exec lb nft delete table ip l3bench 2>/dev/null
	topology_exec backend1 nft delete table ip l3bench 2>/dev/null
}

path_up() {
	case $1 in
	l3dsr) lb_start && vip_route_via lb ;;
	no_lb) vip_route_via backend ;;
	nftables) nft_up && vip_route_via lb ;;
	lb_hop_routing) vip_route_via hop ;;
	esac
}

path_down() {
	case $1 in
	l3dsr) lb_stop ;;
	nftables) nft_down ;;
	esac
}

# Prints bits per second received by the server, or nothing.
measure_iperf() {
	topology_exec client timeout $((RUN_SECONDS + 20)) iperf3 -c "$TOPO_VIP4" -p "$IPERF_PORT" \
		-t "$RUN_SECONDS" -J 2>/dev/null |
		"$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' \
			2>/dev/null
}

# Prints requests per second, or nothing.
measure_wrk() {
	topology_exec client timeout $((RUN_SECONDS + 20)) wrk -t1 -c16 -d"${RUN_SECONDS}s" \
		"http://$TOPO_VIP4/" 2>/dev/null | awk '/^Requests\/sec:/ { print $2 }'
}

declare -A IPERF=() WRK=()
for ((round = 0; round < ROUNDS; round++)); do
	for ((p = 0; p < ${#PATHS[@]}; p++)); do
		path=${PATHS[$(((p + round) % ${#PATHS[@]}))]}
		path_up "$path"
		# The first request resolves neighbours; it is not measured.
		topology_exec client curl -s --max-time 5 "http://$TOPO_VIP4/" >/dev/null
		bps=$(measure_iperf)
		rps=$(measure_wrk)
		echo "round $round $path: iperf3 ${bps:-failed} bit/s, wrk ${rps:-failed} req/s"
		IPERF[$path]+="${bps:-null},"
		WRK[$path]+="${rps:-null},"
		path_down "$path"
	done
done

{
	printf '{"seconds": %s, "rounds": %s, "backends": 1, "paths": {' "$RUN_SECONDS" "$ROUNDS"
	sep=
	for path in "${PATHS[@]}"; do
		printf '%s"%s": {"iperf3_bits_per_second": [%s], "wrk_requests_per_second": [%s]}' \
			"$sep" "$path" "${IPERF[$path]%,}" "${WRK[$path]%,}"
		sep=", "
	done
	printf '}}\n'
} >"$OUTPUT"
