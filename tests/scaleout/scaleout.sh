#!/usr/bin/env bash
# scaleout.sh: two load balancers behind a router that spreads the VIPs over them by BGP and ECMP
# (issue 12, docs/scale-out.md). A client, a router running BIRD with a session to each LB,
# merged paths and L4 multipath hashing; two LBs, each with l3dsrd and BIRD using the shipped
# etc/bird/l3dsr.conf; three backends. Checks, in order: the FRR snippet passes FRR's own check;
# both LBs announce and the router has a two-way route; flows spread over both LBs and each
# lands where a single LB would send it, with equal fingerprints; the LB's kernel owns its VIPs
# (a ping answered, a SYN to another port not forwarded back); one LB's failed checks withdraw
# its VIP only; the same ownership while a VIP is drained; SIGTERM to one l3dsrd withdraws
# before it stops and no connection stalls, resets or fails; an LB dying is dropped by BFD and
# its connections survive; it comes back and carries new flows; FRR with the shipped
# etc/frr/l3dsr.conf in BIRD's place on one LB announces and withdraws alike.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/scaleout/lib.sh"

CHECK="tcp interval=500ms timeout=300ms rise=1 fall=2"
STREAMS=20
FLOWS=200

# --- the FRR snippet: FRR's own configuration check (no daemon needed) ----------------------
frr_check() {
	vtysh --dryrun --inputfile "$SCALEOUT_ROOT/etc/frr/l3dsr.conf" 2>&1
}
frr_check_rejects() {
	# The same check must fail on a broken copy, or passing it proves nothing.
	local broken=$1/frr-broken.conf
	sed 's/^ neighbor 203.0.113.1 timers 1 3$/ neighbor 203.0.113.1 timers fast/' \
		"$SCALEOUT_ROOT/etc/frr/l3dsr.conf" >"$broken"
	! vtysh --dryrun --inputfile "$broken" >/dev/null 2>&1
}

# --- setup ------------------------------------------------------------------------------------
e2e_setup --second-lb --backends 3
e2e_check "FRR snippet: vtysh --dryrun accepts etc/frr/l3dsr.conf" frr_check
e2e_check "FRR snippet: vtysh --dryrun rejects a broken copy of it" frr_check_rejects "$TOPO_DIR"

# L4 multipath hashing on the router: a flow's ports pick its LB, not only its addresses.
ip netns exec "$TOPO_NS_ROUTER" sysctl -q -w net.ipv4.fib_multipath_hash_policy=1 \
	net.ipv6.fib_multipath_hash_policy=1 || e2e_bail "setup: L4 multipath hashing on the router"
e2e_must "setup: nft counters on the router" scaleout_router_counters
health_backend_config "$TOPO_DIR/backend.conf"
e2e_must "setup: l3dsrd on every backend" e2e_start_backends "$TOPO_DIR/backend.conf"
health_lb_config "$TOPO_DIR/lb.conf" "$CHECK" --global "hash-seed = 0" \
	--global "stop-delay = 3s" 1 2 3
for host in router lb lb2; do
	e2e_must "setup: BIRD on $host" scaleout_bird_start "$host"
done
for host in lb lb2; do
	e2e_must "setup: l3dsrd on $host" e2e_start_daemon "$host" lb "$TOPO_DIR/lb.conf"
done

# --- a. both LBs announce ---------------------------------------------------------------------

# scaleout_lb_routes HOST: HOST's routes of protocol 250 (l3dsr), every table, one a line.
scaleout_lb_routes() {
	ip -n "$(topology_ns "$1")" -4 route show table all proto 250
	ip -n "$(topology_ns "$1")" -6 route show table all proto 250
}

# wait_lb_routes HOST COUNT: HOST has COUNT routes of protocol 250.
wait_lb_routes() {
	unset SCALEOUT_UNTIL
	while scaleout_waiting; do
		(($(scaleout_lb_routes "$1" | grep -c .) == $2)) && return 0
		sleep 0.05
	done
	scaleout_lb_routes "$1"
	return 1
}

for host in lb lb2; do
	e2e_check "$host: l3dsrd keeps a route of protocol l3dsr (250) per VIP address" \
		wait_lb_routes "$host" 2
done
# The shipped rt_protos.d file names them for this iproute2: read in a private mount namespace
# where it is the only file of /etc/iproute2/rt_protos.d.
names_check() {
	unshare -m sh -c 'mount --bind "$1" /etc/iproute2/rt_protos.d &&
		ip -n "$2" -4 route show table all proto l3dsr &&
		ip -n "$2" -6 route show table all proto l3dsr &&
		ip -n "$2" -4 route show table all proto l3dsr-local &&
		ip -n "$2" -6 route show table all proto l3dsr-local' sh \
		"$SCALEOUT_ROOT/etc/iproute2/rt_protos.d" "$TOPO_NS_LB" >"$TOPO_DIR/names.out" 2>&1 ||
		{ cat "$TOPO_DIR/names.out"; return 1; }
	cat "$TOPO_DIR/names.out"
	grep -q "^blackhole $TOPO_VIP4\b" "$TOPO_DIR/names.out" &&
		grep -q "^blackhole $TOPO_VIP6\b" "$TOPO_DIR/names.out" &&
		grep -q "^local $TOPO_VIP4 dev lo table local" "$TOPO_DIR/names.out" &&
		grep -q "^local $TOPO_VIP6 dev lo table local" "$TOPO_DIR/names.out"
}
e2e_check "rt_protos.d/l3dsr.conf: ip route show table all proto l3dsr / l3dsr-local list the VIPs" \
	names_check
scaleout_check_nexthops "a: the router's kernel route to the VIP has both LBs as next hops" lb lb2

bird_two_paths() {
	local family=$1 out
	out=$(scaleout_birdc router show route for "$(scaleout_vip "$family")" all)
	echo "$out"
	grep -q "BGP.next_hop: $(scaleout_lb_addr lb "$family")" <<<"$out" &&
		grep -q "BGP.next_hop: $(scaleout_lb_addr lb2 "$family")" <<<"$out"
}
for family in 4 6; do
	e2e_check "a: birdc show route on the router: the IPv$family VIP learned from both LBs" \
		bird_two_paths "$family"
done

# --- b. flows spread over both LBs, each on the backend a single LB picks -------------------

# lb_vip_packets HOST FAMILY: packets HOST's l3dsrd balanced for the VIP web4 / web6.
lb_vip_packets() {
	e2e_stat "$1" "vip(s, 'web$2')['packets']"
}

# flows_via VIA FAMILY: the client's flows; VIA router = ECMP, or lb / lb2 = the client sends
# the VIP straight to that LB (a route of its own), so one LB alone picks every backend.
flows_via() {
	local via=$1 family=$2 out
	if [ "$via" != router ]; then
		ip -n "$TOPO_NS_CLIENT" -"$family" route replace "$(scaleout_vip "$family")" \
			via "$(scaleout_lb_addr "$via" "$family")" || return 1
	fi
	scaleout_flows "$family" 30000 "$FLOWS" >"$TOPO_DIR/flows-$via-$family.json"
	if [ "$via" != router ]; then
		ip -n "$TOPO_NS_CLIENT" -"$family" route del "$(scaleout_vip "$family")"
	fi
}

for family in 4 6; do
	before_lb=$(lb_vip_packets lb "$family")
	before_lb2=$(lb_vip_packets lb2 "$family")
	flows_via router "$family"
	after_lb=$(lb_vip_packets lb "$family")
	after_lb2=$(lb_vip_packets lb2 "$family")
	if [[ $before_lb$after_lb$before_lb2$after_lb2 =~ ^[0-9]+$ ]] &&
		((after_lb > before_lb && after_lb2 > before_lb2)); then
		e2e_ok "b: IPv$family: $FLOWS flows through the router reached both LBs" \
			"(packets: lb +$((after_lb - before_lb)), lb2 +$((after_lb2 - before_lb2)))"
	else
		e2e_fail "b: IPv$family: $FLOWS flows through the router reached both LBs" \
			"lb: $before_lb -> $after_lb, lb2: $before_lb2 -> $after_lb2"
	fi
	flows_via lb "$family"
	flows_via lb2 "$family"
	compare=$("$E2E_PYTHON" - "$TOPO_DIR"/flows-{router,lb,lb2}-"$family".json <<'EOF'
import json, sys
router, lb, lb2 = (json.load(open(f)) for f in sys.argv[1:])
problems = []
for port, name in router.items():
    if name is None:
        problems.append("port %s: failed through the router" % port)
    elif name != lb[port] or name != lb2[port]:
        problems.append("port %s: router path %s, lb alone %s, lb2 alone %s"
                        % (port, name, lb[port], lb2[port]))
print("\n".join(problems[:20]))
EOF
	)
	if [ -z "$compare" ]; then
		e2e_ok "b: IPv$family: every one of the $FLOWS flows reached the backend either LB alone picks"
	else
		e2e_fail "b: IPv$family: every one of the $FLOWS flows reached the backend either LB alone picks" \
			"$compare"
	fi
done

fingerprints() {
	local lb lb2
	lb=$(e2e_ctl lb -j status | "$E2E_PYTHON" -c '
import json, sys
print(sorted((v["name"], v["fingerprint"]) for v in json.load(sys.stdin)[0]["vips"]))')
	lb2=$(e2e_ctl lb2 -j status | "$E2E_PYTHON" -c '
import json, sys
print(sorted((v["name"], v["fingerprint"]) for v in json.load(sys.stdin)[0]["vips"]))')
	echo "lb:  $lb"
	echo "lb2: $lb2"
	[ -n "$lb" ] && [ "$lb" = "$lb2" ] && grep -q "'web4', '[0-9a-f]" <<<"$lb" &&
		e2e_ctl lb status | grep -qi fingerprint
}
e2e_check "b: l3dsrctl status: both LBs show the same fingerprint for every VIP" fingerprints

# --- g. the LB's kernel owns its VIPs: answered or dropped, never forwarded back -----------

# ping_once FAMILY: one echo request to the VIP from the client, answered within 2 s.
ping_once() {
	topology_exec client ping -"$1" -n -c 1 -W 2 "$(scaleout_vip "$1")"
}

# syn_once FAMILY PORT: one connection attempt to VIP:PORT, given up before a SYN is repeated
# (the first retransmission is 1 s later): prints refused or unanswered.
syn_once() {
	topology_exec client "$E2E_PYTHON" -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(0.8)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError:
    print("unanswered")' "$(scaleout_vip "$1")" "$2"
}

# owned WHAT EXPECTED_AT_ROUTER: for both families, a ping answered and a SYN to port 81 (no
# VIP has it) refused or unanswered, and the router received exactly EXPECTED_AT_ROUTER of each
# (1: the packet it forwarded to the LB; 0: the client sent straight to the LB), so the LB's
# kernel sent nothing back out toward it.
owned() {
	local what=$1 expected=$2 family before after answer
	for family in 4 6; do
		before=$(scaleout_router_count "$family")
		if ping_once "$family" >"$TOPO_DIR/ping.out" 2>&1; then
			e2e_ok "g: $what: IPv$family ping to the VIP answered"
		else
			e2e_fail "g: $what: IPv$family ping to the VIP answered" "$(cat "$TOPO_DIR/ping.out")"
		fi
		# Forwarded copies of a looping packet would follow within milliseconds.
		sleep 0.2
		after=$(scaleout_router_count "$family")
		if ((after - before == expected)); then
			e2e_ok "g: $what: IPv$family: the router received $expected packet(s) of the ping"
		else
			e2e_fail "g: $what: IPv$family: the router received $expected packet(s) of the ping" \
				"it received $((after - before))"
		fi
		before=$after
		answer=$(syn_once "$family" 81)
		sleep 0.2
		after=$(scaleout_router_count "$family")
		if [[ $answer =~ ^(refused|unanswered)$ ]] && ((after - before == expected)); then
			e2e_ok "g: $what: IPv$family SYN to port 81 $answer, the router received $expected"
		else
			e2e_fail "g: $what: IPv$family SYN to port 81 refused or unanswered, the router received $expected" \
				"answer: $answer; the router received $((after - before))"
		fi
	done
}
owned "through the router" 1

# --- f. every backend down on one LB only: it withdraws, the other keeps the VIP -------------

# Drops lb's health checks to the backends (not the clients' packets: XDP sends those on before
# nftables sees them): every backend goes down on lb, and only there.
lb_probes() {
	if [ "$1" = drop ]; then
		ip netns exec "$TOPO_NS_LB" nft -f - <<EOF
table inet scaleout_probes {
	chain output {
		type filter hook output priority 0;
		tcp dport 80 ip daddr 198.51.100.0/24 drop
		tcp dport 80 ip6 daddr 2001:db8:2::/64 drop
	}
}
EOF
	else
		ip netns exec "$TOPO_NS_LB" nft delete table inet scaleout_probes
	fi
}
e2e_must "f: drop lb's health checks" lb_probes drop
e2e_check "f: lb withdraws both VIPs (no route of protocol 250 left)" wait_lb_routes lb 0
scaleout_check_nexthops "f: the router sends the VIP to lb2 only" lb2
e2e_check "f: lb2 keeps both VIPs announced" wait_lb_routes lb2 2
e2e_must "f: let lb's health checks through" lb_probes accept
e2e_check "f: lb announces again once its backends are up" wait_lb_routes lb 2
scaleout_check_nexthops "f: the router uses both LBs again" lb lb2

# --- g, drained: lb's backends all at weight 0 -----------------------------------------------
health_lb_config "$TOPO_DIR/lb-drained.conf" "$CHECK" --global "hash-seed = 0" \
	--global "stop-delay = 3s" 1:0 2:0 3:0
e2e_must "g: reload lb with every backend drained" e2e_reload lb "$TOPO_DIR/lb-drained.conf"
e2e_check "g: drained: lb withdraws both VIPs" wait_lb_routes lb 0
scaleout_check_nexthops "g: drained: the router sends the VIP to lb2 only" lb2
# The client sends straight to lb now: the router must see none of it.
for family in 4 6; do
	ip -n "$TOPO_NS_CLIENT" -"$family" route replace "$(scaleout_vip "$family")" \
		via "$(scaleout_lb_addr lb "$family")"
done
owned "drained, straight to lb" 0
for family in 4 6; do
	before=$(scaleout_router_count "$family")
	answer=$(syn_once "$family" 80)
	sleep 0.2
	after=$(scaleout_router_count "$family")
	if [[ $answer =~ ^(refused|unanswered)$ ]] && ((after == before)); then
		e2e_ok "g: drained: IPv$family SYN to the drained VIP's port $answer by lb, not forwarded"
	else
		e2e_fail "g: drained: IPv$family SYN to the drained VIP's port refused or unanswered by lb, not forwarded" \
			"answer: $answer; the router received $((after - before))"
	fi
	ip -n "$TOPO_NS_CLIENT" -"$family" route del "$(scaleout_vip "$family")"
done
e2e_must "g: reload lb with its backends back" e2e_reload lb "$TOPO_DIR/lb.conf"
scaleout_check_nexthops "g: undrained: the router uses both LBs again" lb lb2

# --- c. SIGTERM to l3dsrd on lb: withdrawn first, no connection notices ----------------------

# streams_spread FIRST_PORT: the streams' flows go through both LBs (the router's own choice).
streams_spread() {
	local port via count_lb=0 count_lb2=0
	for ((port = $1; port < $1 + STREAMS; port++)); do
		via=$(scaleout_lb_of_flow 4 "$port")
		[ "$via" = "$TOPO_LB_ADDR4" ] && count_lb=$((count_lb + 1))
		[ "$via" = "$TOPO_LB2_ADDR4" ] && count_lb2=$((count_lb2 + 1))
	done
	echo "lb $count_lb, lb2 $count_lb2"
	((count_lb > 0 && count_lb2 > 0))
}

e2e_must "c: $STREAMS long-lived connections" scaleout_streams_start stop 4 40000 "$STREAMS"
e2e_check "c: the router sends the connections through both LBs" streams_spread 40000
e2e_must "c: a stream of new requests" scaleout_requests_start stop 4 20000
sleep 1 # requests and echoes flowing through both LBs before the stop
lb_pid=${E2E_DAEMON_PID[lb]}
kill -TERM "$lb_pid"
e2e_check "c: SIGTERM: lb withdraws both VIPs" wait_lb_routes lb 0
scaleout_check_nexthops "c: SIGTERM: the router converges to lb2" lb2
# l3dsrd forwards through its stop delay, then detaches and exits.
stopped() {
	unset SCALEOUT_UNTIL
	while scaleout_waiting && topology_running "$lb_pid"; do
		sleep 0.1
	done
	! topology_running "$lb_pid"
}
e2e_check "c: l3dsrd on lb exits after its stop delay" stopped
unset 'E2E_DAEMON_PID[lb]'
e2e_must "c: mark the end of the stop" scaleout_streams_mark stop 1
sleep 1 # every connection now through lb2 only
e2e_must "c: stop the requests" scaleout_requests_stop stop
e2e_must "c: stop the connections" scaleout_streams_stop stop
scaleout_streams_check "c: every connection carried on through the stop: no reset, no stall > 1 s" \
	streams-stop.json.1 1.0 10
scaleout_streams_check "c: ... and on through lb2 after it: every connection echoing" \
	streams-stop.json 1.0 10
requests_check() {
	"$E2E_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%d requests, failed: %s" % (r["requests"], r["failed"][:10]))
sys.exit(0 if r["requests"] > 0 and not r["failed"] else 1)' "$TOPO_DIR/requests-stop.json"
}
e2e_check "c: no new request failed during the stop" requests_check

# --- d. lb dies: link down, l3dsrd and BIRD killed --------------------------------------------
e2e_must "d: l3dsrd on lb again" e2e_start_daemon lb lb "$TOPO_DIR/lb.conf"
scaleout_check_nexthops "d: lb announces again after its restart" lb lb2
e2e_must "d: $STREAMS long-lived connections" scaleout_streams_start dies 4 41000 "$STREAMS"
e2e_check "d: the router sends the connections through both LBs" streams_spread 41000
ip -n "$TOPO_NS_LB" link set eth0 down
# Out of the shell's job table first: bash would report each SIGKILL as "Killed" amid the TAP
# lines. It still collects them (topology_reap).
disown "${E2E_DAEMON_PID[lb]}" "${SCALEOUT_BIRD_PID[lb]}" 2>/dev/null
kill -KILL "${E2E_DAEMON_PID[lb]}" "${SCALEOUT_BIRD_PID[lb]}"
topology_reap "${E2E_DAEMON_PID[lb]}"
topology_reap "${SCALEOUT_BIRD_PID[lb]}"
unset 'E2E_DAEMON_PID[lb]'
scaleout_check_nexthops "d: the router drops lb when its BGP session fails (BFD)" lb2
e2e_must "d: mark lb's death" scaleout_streams_mark dies 1
sleep 2 # long enough for TCP to retransmit what the dead LB swallowed
e2e_must "d: mark lb's return" scaleout_streams_mark dies 2
scaleout_streams_check "d: every connection survived lb's death (no reset, each echoing since)" \
	streams-dies.json.2 "" 10

# --- e. lb comes back -------------------------------------------------------------------------
e2e_must "e: lb's link up, its addresses and routes back" scaleout_lb_network lb
e2e_must "e: BIRD on lb again" scaleout_bird_start lb
e2e_must "e: l3dsrd on lb again (adopting what the killed one left)" \
	e2e_start_daemon lb lb "$TOPO_DIR/lb.conf"
scaleout_check_nexthops "e: lb announces again" lb lb2
before_lb=$(lb_vip_packets lb 4)
scaleout_flows 4 31000 50 >"$TOPO_DIR/flows-back.json"
after_lb=$(lb_vip_packets lb 4)
failed=$("$E2E_PYTHON" -c 'import json, sys
print(sum(1 for name in json.load(open(sys.argv[1])).values() if name is None))' \
	"$TOPO_DIR/flows-back.json")
if [[ $before_lb$after_lb =~ ^[0-9]+$ ]] && ((after_lb > before_lb)) && [ "$failed" = 0 ]; then
	e2e_ok "e: 50 new flows all answered, through lb too (+$((after_lb - before_lb)) packets)"
else
	e2e_fail "e: 50 new flows all answered, through lb too" "lb: $before_lb -> $after_lb" \
		"failed: $failed"
fi
sleep 1
e2e_must "e: stop the connections" scaleout_streams_stop dies
scaleout_streams_check "e: lb's return left the old connections alone: no reset, no stall > 1 s" \
	streams-dies.json 1.0 10

# --- h. FRR instead of BIRD on lb, with the shipped snippet unmodified ------------------------
kill -TERM "${SCALEOUT_BIRD_PID[lb]}"
scaleout_check_nexthops "h: BIRD on lb stopped: the router sends the VIP to lb2 only" lb2
e2e_must "h: FRR (zebra, bgpd) on lb with etc/frr/l3dsr.conf" scaleout_frr_start lb
scaleout_check_nexthops "h: FRR on lb announces: the router has both LBs again (paths merged)" \
	lb lb2
health_lb_config "$TOPO_DIR/lb-drain.conf" "$CHECK" --global "hash-seed = 0" \
	--global "stop-delay = 3s" --global "drain = yes" 1 2 3
e2e_must "h: reload lb with drain = yes" e2e_reload lb "$TOPO_DIR/lb-drain.conf"
scaleout_check_nexthops "h: lb drained: FRR withdraws, the router sends the VIP to lb2 only" lb2

e2e_finish
