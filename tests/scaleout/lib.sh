# lib.sh: what the scale-out suite needs on top of the health and end-to-end libraries: BIRD on
# the router and on each LB (the LBs with the shipped etc/bird/l3dsr.conf), the router's view
# of the VIP routes, the client programs of clients.py, counters of what the router forwards.

SCALEOUT_ROOT=${L3DSR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../health/lib.sh
. "$SCALEOUT_ROOT/tests/health/lib.sh"
# shellcheck source=../e2e/counters.sh
. "$SCALEOUT_ROOT/tests/e2e/counters.sh"

SCALEOUT_CLIENTS=$SCALEOUT_ROOT/tests/scaleout/clients.py
SCALEOUT_ROUTER_AS=65000
SCALEOUT_LB_AS=65010
# Every wait is bounded by this, in seconds of the clock (a loaded machine makes each poll
# slower, not the bound longer); the conditions decide, never the time they took.
SCALEOUT_WAIT_SECONDS=${SCALEOUT_WAIT_SECONDS:-30}

# scaleout_waiting [SECONDS]: true until SECONDS (default SCALEOUT_WAIT_SECONDS) have passed
# since the first call of a wait loop; the loop calls it with SCALEOUT_UNTIL unset first:
#     unset SCALEOUT_UNTIL; while scaleout_waiting; do ...; sleep 0.05; done
scaleout_waiting() {
	[ -n "${SCALEOUT_UNTIL:-}" ] || SCALEOUT_UNTIL=$((SECONDS + ${1:-$SCALEOUT_WAIT_SECONDS}))
	((SECONDS < SCALEOUT_UNTIL))
}
declare -A SCALEOUT_BIRD_PID=() # host -> bird pid

# The LBs, their addresses by family.
scaleout_lb_addr() {
	case $1:$2 in
	lb:4) echo "$TOPO_LB_ADDR4" ;;
	lb:6) echo "$TOPO_LB_ADDR6" ;;
	lb2:4) echo "$TOPO_LB2_ADDR4" ;;
	lb2:6) echo "$TOPO_LB2_ADDR6" ;;
	*) return 1 ;;
	esac
}

scaleout_vip() {
	if [ "$1" = 6 ]; then echo "$TOPO_VIP6"; else echo "$TOPO_VIP4"; fi
}

# ---- BIRD ----------------------------------------------------------------------------------

scaleout_bird_socket() { echo "$TOPO_DIR/bird-$1.ctl"; }

# scaleout_birdc HOST COMMAND...: a command to HOST's BIRD through its own control socket.
scaleout_birdc() {
	local host=$1
	shift
	birdc -s "$(scaleout_bird_socket "$host")" "$@"
}

# BFD on both sides: a router drops an LB that died without a word (its link down) within 1 s
# (5 x 200 ms: shorter intervals flap on a loaded test machine); the BGP hold time (3 s) is
# the fallback.
SCALEOUT_BFD='protocol bfd { interface "eth0" { min rx interval 200 ms; min tx interval 200 ms; multiplier 5; }; }'

# scaleout_router_bird_config FILE: the router's BIRD: a session per LB and family, every path
# of equal preference merged into one multipath kernel route (ECMP).
scaleout_router_bird_config() {
	local lb family
	{
		echo "# written by tests/scaleout/lib.sh"
		echo "router id $TOPO_ROUTER_ADDR4;"
		echo "log \"$TOPO_DIR/bird-router.log\" all;"
		echo "protocol device {}"
		# Session ups and downs in the log, for the failure report.
		echo "debug protocols { states };"
		echo "$SCALEOUT_BFD"
		for family in 4 6; do
			cat <<EOF
protocol kernel {
	ipv$family { import none; export all; };
	merge paths on;
}
template bgp lbs$family {
	local as $SCALEOUT_ROUTER_AS;
	hold time 3;
	keepalive time 1;
	connect retry time 1;
	error wait time 1, 5;
	bfd on;
	ipv$family { import all; export none; };
}
EOF
			for lb in lb lb2; do
				echo "protocol bgp ${lb}_v$family from lbs$family {" \
					"neighbor $(scaleout_lb_addr "$lb" "$family") as $SCALEOUT_LB_AS; }"
			done
		done
	} >"$1"
}

# scaleout_lb_bird_config FILE HOST: an LB's bird.conf as docs/scale-out.md tells an operator to
# write it: router id, the shipped snippet, one session per family toward the router.
scaleout_lb_bird_config() {
	local file=$1 host=$2
	cat >"$file" <<EOF
# written by tests/scaleout/lib.sh
router id $(scaleout_lb_addr "$host" 4);
log "$TOPO_DIR/bird-$host.log" all;
protocol device {}
$SCALEOUT_BFD
define L3DSR_AS = $SCALEOUT_LB_AS;
include "$SCALEOUT_ROOT/etc/bird/l3dsr.conf";
protocol bgp router_v4 from l3dsr_bgp4 { neighbor $TOPO_ROUTER_ADDR4 as $SCALEOUT_ROUTER_AS; bfd on; }
protocol bgp router_v6 from l3dsr_bgp6 { neighbor $TOPO_ROUTER_ADDR6 as $SCALEOUT_ROUTER_AS; bfd on; }
EOF
}

# scaleout_bird_start HOST: BIRD in HOST's namespace, in the foreground of its own process (so
# its PID is known and killed by topology_down), with its own config, socket and log; waits
# until it answers on its socket.
scaleout_bird_start() {
	local host=$1 conf=$TOPO_DIR/bird-$1.conf
	if [ "$host" = router ]; then
		scaleout_router_bird_config "$conf"
	else
		scaleout_lb_bird_config "$conf" "$host"
	fi
	topology_spawn "$host" "$TOPO_DIR/bird-$host.out" bird -f -c "$conf" \
		-s "$(scaleout_bird_socket "$host")" -P "$TOPO_DIR/bird-$host.pid" || return 1
	SCALEOUT_BIRD_PID[$host]=$TOPO_SPAWNED_PID
	unset SCALEOUT_UNTIL
	while scaleout_waiting; do
		scaleout_birdc "$host" show status 2>/dev/null | grep -q 'Daemon is up' && return 0
		topology_running "$TOPO_SPAWNED_PID" || break
		sleep 0.1
	done
	echo "bird on $host did not come up:"
	cat "$TOPO_DIR/bird-$host.out"
	return 1
}

# scaleout_lb_network HOST: HOST's link up with its addresses and routes, as its network
# configuration sets them at boot: a link that was down lost its IPv6 address and every route
# through it.
scaleout_lb_network() {
	local ns
	ns=$(topology_ns "$1") || return 1
	ip -n "$ns" link set eth0 up &&
		ip -n "$ns" addr replace "$(scaleout_lb_addr "$1" 4)/24" dev eth0 &&
		ip -n "$ns" addr replace "$(scaleout_lb_addr "$1" 6)/64" dev eth0 nodad &&
		ip -n "$ns" route replace default via "$TOPO_ROUTER_ADDR4" &&
		ip -n "$ns" -6 route replace default via "$TOPO_ROUTER_ADDR6" &&
		ip -n "$ns" route replace 198.51.100.0/24 via "$TOPO_ROUTER_ADDR4" &&
		ip -n "$ns" -6 route replace 2001:db8:2::/64 via "$TOPO_ROUTER_ADDR6"
}

# scaleout_frr_start HOST: FRR's zebra and bgpd in HOST's namespace with the shipped
# etc/frr/l3dsr.conf unmodified (its example addresses are lb's and the router's), each in the
# foreground of its own process (killed by topology_down), with their sockets and logs in a
# directory of their own that FRR's user can write.
scaleout_frr_start() {
	local host=$1 dir=$TOPO_DIR/frr-$1
	mkdir -p "$dir" && chmod 0777 "$dir" && chmod o+x "$TOPO_DIR" || return 1
	install -m 0644 "$SCALEOUT_ROOT/etc/frr/l3dsr.conf" "$dir/frr.conf" || return 1
	topology_spawn "$host" "$dir/zebra.out" /usr/lib/frr/zebra -u frr -g frr \
		-i "$dir/zebra.pid" -z "$dir/zserv.api" --vty_socket "$dir" -f /dev/null \
		--log "file:$dir/zebra.log" || return 1
	unset SCALEOUT_UNTIL
	while [ ! -S "$dir/zserv.api" ] && scaleout_waiting; do
		sleep 0.1
	done
	topology_spawn "$host" "$dir/bgpd.out" /usr/lib/frr/bgpd -u frr -g frr \
		-i "$dir/bgpd.pid" -z "$dir/zserv.api" --vty_socket "$dir" -f "$dir/frr.conf" \
		--log "file:$dir/bgpd.log"
}

# ---- the router's view ---------------------------------------------------------------------

# scaleout_router_nexthops FAMILY: the LB addresses the router's kernel route to the VIP goes
# through, sorted, one a line (none when it has no route).
scaleout_router_nexthops() {
	local family=$1
	ip -n "$TOPO_NS_ROUTER" -"$family" -j route show "$(scaleout_vip "$family")" |
		"$E2E_PYTHON" -c '
import json, sys
hops = []
for route in json.load(sys.stdin):
    if "gateway" in route:
        hops.append(route["gateway"])
    for hop in route.get("nexthops", []):
        hops.append(hop["gateway"])
print("\n".join(sorted(hops)))'
}

# scaleout_wait_nexthops FAMILY HOST...: waits until the router's kernel route to the VIP goes
# through exactly these LBs (none: no route); SCALEOUT_LAST_NEXTHOPS holds what it saw last.
scaleout_wait_nexthops() {
	local family=$1 want host
	shift
	want=$(for host in "$@"; do scaleout_lb_addr "$host" "$family"; done | sort)
	unset SCALEOUT_UNTIL
	while scaleout_waiting; do
		SCALEOUT_LAST_NEXTHOPS=$(scaleout_router_nexthops "$family")
		[ "$SCALEOUT_LAST_NEXTHOPS" = "$want" ] && return 0
		sleep 0.05
	done
	return 1
}

# scaleout_check_nexthops WHAT HOST...: a TAP line for both families: the router's route to the
# VIP goes through exactly these LBs (within the wait bound).
scaleout_check_nexthops() {
	local what=$1 family
	shift
	for family in 4 6; do
		if scaleout_wait_nexthops "$family" "$@"; then
			e2e_ok "$what (IPv$family: via ${*:-nothing})"
		else
			e2e_fail "$what (IPv$family: via ${*:-nothing})" \
				"router's route: $(ip -n "$TOPO_NS_ROUTER" -"$family" route show \
					"$(scaleout_vip "$family")")" \
				"BIRD: $(scaleout_birdc router show route 2>&1)"
		fi
	done
}

# scaleout_lb_of_flow FAMILY SOURCE_PORT: the LB the router sends the client's TCP flow from
# that port to VIP:80 through (the kernel's own multipath choice, asked by ip route get).
scaleout_lb_of_flow() {
	local family=$1 client=$TOPO_CLIENT_ADDR4
	[ "$family" = 6 ] && client=$TOPO_CLIENT_ADDR6
	ip -n "$TOPO_NS_ROUTER" -"$family" -j route get "$(scaleout_vip "$family")" from "$client" \
		iif eth0 ipproto tcp sport "$2" dport 80 |
		"$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0].get("gateway", ""))'
}

# ---- what the router forwards --------------------------------------------------------------

# Counters in the router's namespace of the packets to a VIP it receives (prerouting: before
# any routing decision, so a packet it then drops counts too).
scaleout_router_counters() {
	ip netns exec "$TOPO_NS_ROUTER" nft -f - <<EOF
table inet scaleout {
	counter vip4 {}
	counter vip6 {}
	chain prerouting {
		type filter hook prerouting priority -300;
		ip daddr $TOPO_VIP4 counter name vip4
		ip6 daddr $TOPO_VIP6 counter name vip6
	}
}
EOF
}

# scaleout_router_count FAMILY: packets to the VIP of FAMILY the router received so far.
scaleout_router_count() {
	ip netns exec "$TOPO_NS_ROUTER" nft -j list counter inet scaleout "vip$1" |
		"$E2E_PYTHON" -c '
import json, sys
for item in json.load(sys.stdin)["nftables"]:
    if "counter" in item:
        print(item["counter"]["packets"])'
}

# ---- the client's programs -----------------------------------------------------------------

# scaleout_flows FAMILY FIRST_PORT COUNT: prints clients.py flows' JSON (port -> backend).
scaleout_flows() {
	topology_exec client "$E2E_PYTHON" "$SCALEOUT_CLIENTS" flows "$(scaleout_vip "$1")" "$2" "$3"
}

# scaleout_streams_start NAME FAMILY FIRST_PORT COUNT: clients.py streams in the background;
# returns once every connection is established (its PID in SCALEOUT_STREAMS_PID[NAME]).
declare -A SCALEOUT_STREAMS_PID=()
scaleout_streams_start() {
	local name=$1 family=$2
	rm -f "$TOPO_DIR/streams-$name.ready" "$TOPO_DIR/streams-$name.json"
	topology_spawn client "$TOPO_DIR/streams-$name.log" "$E2E_PYTHON" "$SCALEOUT_CLIENTS" \
		streams "$(scaleout_vip "$family")" "$3" "$4" --ready "$TOPO_DIR/streams-$name.ready" \
		--result "$TOPO_DIR/streams-$name.json" || return 1
	SCALEOUT_STREAMS_PID[$name]=$TOPO_SPAWNED_PID
	unset SCALEOUT_UNTIL
	while scaleout_waiting; do
		[ -s "$TOPO_DIR/streams-$name.ready" ] && return 0
		topology_running "$TOPO_SPAWNED_PID" || break
		sleep 0.1
	done
	echo "streams $name did not establish its connections:"
	cat "$TOPO_DIR/streams-$name.log"
	return 1
}

# scaleout_streams_mark NAME N: the N-th mark (1, 2, ...): the result so far is written to
# streams-NAME.json.N (waited for), and counting starts again.
scaleout_streams_mark() {
	kill -USR1 "${SCALEOUT_STREAMS_PID[$1]}" || return 1
	unset SCALEOUT_UNTIL
	while scaleout_waiting 10; do
		[ -s "$TOPO_DIR/streams-$1.json.$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# scaleout_client_stop PID RESULT: SIGTERM to a clients.py program, which writes RESULT then
# exits; waits for that.
scaleout_client_stop() {
	kill -TERM "$1" 2>/dev/null
	unset SCALEOUT_UNTIL
	while scaleout_waiting 10 && topology_running "$1"; do
		sleep 0.1
	done
	[ -s "$2" ]
}

# scaleout_streams_stop NAME: ends the streams, waits for their result file.
scaleout_streams_stop() {
	scaleout_client_stop "${SCALEOUT_STREAMS_PID[$1]}" "$TOPO_DIR/streams-$1.json"
}

# scaleout_streams_check WHAT FILE MAX_GAP MIN_AFTER_MARK: a TAP line on a streams result
# (streams-NAME.json, or .N for a mark): every connection is alive (no reset, no close), none
# went more than MAX_GAP seconds without an echo since the mark before (empty: not checked),
# and each echoed at least MIN_AFTER_MARK lines since then.
scaleout_streams_check() {
	local what=$1 file=$TOPO_DIR/$2 max_gap=$3 min_after=$4 problems
	problems=$("$E2E_PYTHON" - "$file" "${max_gap:-inf}" "$min_after" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))
max_gap, min_after = float(sys.argv[2]), int(sys.argv[3])
for c in result["connections"]:
    if c["error"]:
        print("port %d (%s): %s" % (c["port"], c["backend"], c["error"]))
    elif c["max_gap"] > max_gap:
        print("port %d (%s): %.3f s without an echo" % (c["port"], c["backend"], c["max_gap"]))
    elif c["after_mark"] < min_after:
        print("port %d (%s): %d lines echoed after the mark" % (c["port"], c["backend"],
                                                               c["after_mark"]))
EOF
	) || problems="no result in $file"
	if [ -z "$problems" ]; then
		e2e_ok "$what"
	else
		e2e_fail "$what" "$problems"
	fi
}

# scaleout_requests_start NAME FAMILY FIRST_PORT / scaleout_requests_stop NAME: a stream of new
# requests (clients.py requests) while something happens; stop leaves its result file.
declare -A SCALEOUT_REQUESTS_PID=()
scaleout_requests_start() {
	rm -f "$TOPO_DIR/requests-$1.json"
	topology_spawn client "$TOPO_DIR/requests-$1.log" "$E2E_PYTHON" "$SCALEOUT_CLIENTS" \
		requests "$(scaleout_vip "$2")" "$3" --result "$TOPO_DIR/requests-$1.json" || return 1
	SCALEOUT_REQUESTS_PID[$1]=$TOPO_SPAWNED_PID
}

scaleout_requests_stop() {
	scaleout_client_stop "${SCALEOUT_REQUESTS_PID[$1]}" "$TOPO_DIR/requests-$1.json"
}
