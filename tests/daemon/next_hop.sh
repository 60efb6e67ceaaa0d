#!/usr/bin/env bash
# next_hop.sh: l3dsrd's next-hop cache (src/nexthop; next_hops in bpf/l3dsr_common.h) on a real
# LB with two ways to its backend. The LB's program takes a backend's next hop from next_hops
# when l3dsrd keeps one there, and asks bpf_fib_lookup otherwise (counted fib_lookup). For each
# change of the kernel's routes, neighbours, links and rules below, and a reload that names
# another backend address, the daemon must log the backend's new next hop (or why the kernel is
# asked instead), and the next packet must leave the way the kernel would send it: to the router
# and with the MACs a capture on the routers shows, with fib_lookup still (cache) or growing
# (kernel).
#
#   client eth0 --- eth0 LB (l3dsrd lb) eth1 --- eth0 R1 eth1 --+
#     |                                eth2 --- eth0 R2 eth1 --+-- [switch] -- eth0 backend
#     +-- eth1 ----------------------------------------------------------------- eth1 (replies)
#
# The backend answers over its own link to the client (direct server return: the VIP is the
# LB's own address, its replies cannot come back through it). The routers' eth0 run an XDP
# program, so that frames the LB redirects to them are taken (tests/lib/topology.sh).
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup_plain

RIP4=198.51.100.11 RIP6=2001:db8:2::11
# A second address of the backend host, which the LB's configuration names instead at the end.
RIP4_OTHER=198.51.100.12 RIP6_OTHER=2001:db8:2::12
CLIENT4=203.0.113.100 CLIENT6=2001:db8:1::100
LB4=203.0.113.10 LB6=2001:db8:1::10
R1_4=192.0.2.130 R1_6=2001:db8:11::2 R2_4=192.0.2.134 R2_6=2001:db8:12::2
LB_R1_MAC=02:00:00:00:0a:01 LB_R2_MAC=02:00:00:00:0a:02
R1_MAC=02:00:00:00:01:01 R1_NEW_MAC=02:00:00:00:01:99 R2_MAC=02:00:00:00:02:01
BACKEND_NET4=198.51.100.0/24 BACKEND_NET6=2001:db8:2::/64
# The backend addresses as conf_lb names them (1, 2: tests/lib/topology.sh's
# topology_backend_lines).
# shellcheck disable=SC2034
TOPO_BACKEND_ADDR4=("$RIP4" "$RIP4_OTHER") TOPO_BACKEND_ADDR6=("$RIP6" "$RIP6_OTHER")

# make_host NAME: a namespace of this run (tests/lib/topology.sh's sysctls: no rp_filter, no
# DAD, no redirects), removed by the teardown; its name in NS_<NAME>.
make_host() {
	local ns=l3d-$TOPO_TAG-$1
	D_PLAIN_NS+=("$ns")
	topology_ns_create "$ns" || return 1
	printf -v "NS_${1^^}" '%s' "$ns"
}

# cable NS_A IF_A MAC_A NS_B IF_B MAC_B: a veth pair, both ends up with the given MACs (- keeps
# the kernel's), full checksums on the wire.
cable() {
	topology_veth "$1" "$2" "$4" "$5" || return 1
	[ "$3" = - ] || ip -n "$1" link set dev "$2" address "$3" || return 1
	[ "$6" = - ] || ip -n "$4" link set dev "$5" address "$6" || return 1
	topology_host_if "$1" "$2"
	topology_host_if "$4" "$5"
}

# lb ARGS...: ip -n on the LB.
lb() { ip -n "$NS_LB" "$@"; }

# The routes to the backends a routing daemon would keep: via R1 (metric 10), R2 as the backup
# (metric 20).
lb_routes() {
	lb route replace "$BACKEND_NET4" via "$R1_4" dev eth1 metric 10 &&
		lb -6 route replace "$BACKEND_NET6" via "$R1_6" dev eth1 metric 10 &&
		lb route replace "$BACKEND_NET4" via "$R2_4" dev eth2 metric 20 &&
		lb -6 route replace "$BACKEND_NET6" via "$R2_6" dev eth2 metric 20
}

# lb_resolve ADDRESS...: the LB's neighbour entries for them, resolved as traffic would.
lb_resolve() {
	local address
	for address in "$@"; do
		ip netns exec "$NS_LB" ping -c 1 -i 0.2 -w 5 "$address" >/dev/null || return 1
	done
}

# r1_knows_lb: R1's neighbour entries for the LB's eth1 addresses, permanent, so that R1 never
# asks the LB for them. The LB's kernel answers an ARP request (a neighbour solicitation) for its
# address by creating a STALE entry for the sender, which l3dsrd keeps as a next hop: R1's probe of
# its own entry for the LB, 5 s after R1 answered d's ping, re-created the LB's entry for R1 just
# after g deleted it, and g's IPv4 request went by the next hop kept again, not by the kernel. A
# MAC change of R1's eth0 flushes R1's entries, permanent ones too (c sets them again). The LB's
# entries for R2 are never deleted, so R2 needs none.
r1_knows_lb() {
	ip -n "$NS_R1" neigh replace 192.0.2.129 lladdr "$LB_R1_MAC" dev eth0 nud permanent &&
		ip -n "$NS_R1" -6 neigh replace 2001:db8:11::1 lladdr "$LB_R1_MAC" dev eth0 nud permanent
}

build() {
	local name
	for name in client lb r1 r2 switch backend; do
		make_host "$name" || return 1
	done
	cable "$NS_CLIENT" eth0 - "$NS_LB" eth0 - || return 1
	cable "$NS_LB" eth1 "$LB_R1_MAC" "$NS_R1" eth0 "$R1_MAC" || return 1
	cable "$NS_LB" eth2 "$LB_R2_MAC" "$NS_R2" eth0 "$R2_MAC" || return 1
	cable "$NS_R1" eth1 - "$NS_SWITCH" r1 - || return 1
	cable "$NS_R2" eth1 - "$NS_SWITCH" r2 - || return 1
	cable "$NS_BACKEND" eth0 - "$NS_SWITCH" backend - || return 1
	cable "$NS_BACKEND" eth1 - "$NS_CLIENT" eth1 - || return 1
	ip -n "$NS_SWITCH" link add name br0 type bridge mcast_snooping 0 || return 1
	for name in r1 r2 backend; do
		ip -n "$NS_SWITCH" link set "$name" master br0 || return 1
	done
	ip -n "$NS_SWITCH" link set br0 up || return 1
	# Frames the LB redirects out of eth1 / eth2 land on the routers' eth0.
	topology_napi "$NS_R1" eth0 && topology_napi "$NS_R2" eth0 || return 1

	topology_addresses "$NS_CLIENT" eth0 "$CLIENT4/25" "$CLIENT6/64" &&
		topology_addresses "$NS_CLIENT" eth1 203.0.113.129/30 2001:db8:5::1/64 &&
		ip -n "$NS_CLIENT" route add "$TOPO_VIP4/32" via "$LB4" &&
		ip -n "$NS_CLIENT" -6 route add "$TOPO_VIP6/128" via "$LB6" || return 1

	topology_forwarding "$NS_LB"
	topology_addresses "$NS_LB" eth0 "$LB4/25" "$LB6/64" &&
		topology_addresses "$NS_LB" eth1 192.0.2.129/30 2001:db8:11::1/64 &&
		topology_addresses "$NS_LB" eth2 192.0.2.133/30 2001:db8:12::1/64 &&
		lb_routes || return 1

	topology_forwarding "$NS_R1"
	topology_addresses "$NS_R1" eth0 "$R1_4/30" "$R1_6/64" &&
		topology_addresses "$NS_R1" eth1 198.51.100.1/24 2001:db8:2::1/64 && r1_knows_lb || return 1
	topology_forwarding "$NS_R2"
	topology_addresses "$NS_R2" eth0 "$R2_4/30" "$R2_6/64" &&
		topology_addresses "$NS_R2" eth1 198.51.100.2/24 2001:db8:2::2/64 || return 1

	# The backend: its address on eth0, the VIPs on lo (not answered for on eth0), replies to
	# the client over eth1.
	ip netns exec "$NS_BACKEND" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore;
		echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce'
	topology_addresses "$NS_BACKEND" eth0 "$RIP4/24" "$RIP6/64" &&
		topology_addresses "$NS_BACKEND" eth0 "$RIP4_OTHER/24" "$RIP6_OTHER/64" &&
		topology_addresses "$NS_BACKEND" lo "$TOPO_VIP4/32" "$TOPO_VIP6/128" &&
		topology_addresses "$NS_BACKEND" eth1 203.0.113.130/30 2001:db8:5::2/64 &&
		ip -n "$NS_BACKEND" route add 203.0.113.0/25 via 203.0.113.129 &&
		ip -n "$NS_BACKEND" -6 route add 2001:db8:1::/64 via 2001:db8:5::1 || return 1
	lb_resolve "$R1_4" "$R1_6" "$R2_4" "$R2_6"
}

e2e_must "setup: client, LB, two routers, a switch and a backend in namespaces" build
ip netns exec "$NS_BACKEND" "$D_PYTHON" "$D_LIB/udp_echo.py" --name backend --port "$D_UDP_PORT" \
	"$TOPO_VIP4" "$TOPO_VIP6" >>"$TOPO_DIR/udp-backend.log" 2>&1 </dev/null &
topology_track_pid $!
# lb_config BACKEND: the LB's two UDP VIPs with backend address BACKEND (1 or 2), no checks.
lb_config() {
	conf_lb --global "hash-seed = 0" --vip "udp4:4:udp:$D_UDP_PORT:12" \
		--vip "udp6:6:udp:$D_UDP_PORT:13" --line "check = none" "$1" >"$TOPO_DIR/lb.conf"
}
lb_config 1
conf_backend udp4:4:12 udp6:6:13 >"$TOPO_DIR/backend.conf"
daemon_start_ready backend "$NS_BACKEND" backend eth0 "$TOPO_DIR/backend.conf" ||
	e2e_bail "l3dsrd --role backend: READY=1" "$D_ERROR"
e2e_must "tcpdump on R1's eth0" e2e_capture_start r1 "$NS_R1" eth0
e2e_must "tcpdump on R2's eth0" e2e_capture_start r2 "$NS_R2" eth0
daemon_start_ready lb "$NS_LB" lb eth0 "$TOPO_DIR/lb.conf" ||
	e2e_bail "l3dsrd --role lb: READY=1" "$D_ERROR"
e2e_ok "l3dsrd ready on the LB (eth0) and on the backend"

# ---- what the daemon says --------------------------------------------------------------------

LB_LOG=$(daemon_log lb)
declare -A HOP_MARK=()
# The backend address the LB's configuration names, of each family.
declare -A BACKEND=([4]=$RIP4 [6]=$RIP6)

# hop_lines ADDRESS: the daemon's "next hop of backend ADDRESS: ..." lines, without the prefix.
hop_lines() {
	sed -n "s/^.*next hop of backend $1: //p" "$LB_LOG"
}

# hop_mark: what the daemon said so far; hop_wait then waits for something said after it.
hop_mark() {
	HOP_MARK[4]=$(hop_lines "${BACKEND[4]}" | wc -l)
	HOP_MARK[6]=$(hop_lines "${BACKEND[6]}" | wc -l)
}

# hop_wait FAMILY TEXT: waits (5 s) until the daemon has logged a next hop for the backend
# after hop_mark, the last one TEXT. HOP_SAID: its lines since the mark.
hop_wait() {
	local address=${BACKEND[$1]} deadline=$((SECONDS + 5))
	while :; do
		HOP_SAID=$(hop_lines "$address" | tail -n +$((HOP_MARK[$1] + 1)))
		[ -n "$HOP_SAID" ] && [ "${HOP_SAID##*$'\n'}" = "$2" ] && return 0
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# check_hop WHAT FAMILY TEXT: a TAP line for hop_wait.
check_hop() {
	local address=${BACKEND[$2]}
	if hop_wait "$2" "$3"; then
		e2e_ok "$1: logged 'next hop of backend $address: $3'"
	else
		e2e_fail "$1: logged 'next hop of backend $address: $3' within 5 s" \
			"logged since the change: ${HOP_SAID:-nothing}"
	fi
}

# check_hops WHAT TEXT4 TEXT6: both families.
check_hops() {
	check_hop "$1: IPv4" 4 "$2"
	check_hop "$1: IPv6" 6 "$3"
}

# via_r1 WHAT MAC, via_r2 WHAT, by_kernel WHAT REASON: the lines expected in both families.
via_r1() {
	check_hops "$1" "$R1_4 dev eth1 lladdr $2 mtu 1500" "$R1_6 dev eth1 lladdr $2 mtu 1500"
}
via_r2() {
	check_hops "$1" "$R2_4 dev eth2 lladdr $R2_MAC mtu 1500" \
		"$R2_6 dev eth2 lladdr $R2_MAC mtu 1500"
}
by_kernel() { check_hops "$1" "kernel FIB lookup ($2)" "kernel FIB lookup ($2)"; }

# entry_is WHAT INTERFACE MAC: the backend's next_hops entry in both families, as l3dsrctl -j
# status reads it from the pinned map: egress INTERFACE, neighbour MAC, MTU 1500; with
# INTERFACE "-" none (the program asks the kernel).
entry_is() {
	local expected="None"
	[ "$2" = - ] || expected="('$2', '$3', 1500)"
	tap_json "$1: l3dsrctl -j status shows the backend's next hop as $expected" \
		"$(daemon_ctl lb -j status)" '[(name, (lambda hop: hop and (hop.get("interface"),
		hop["lladdr"], hop["mtu"]))(vip(j[0], name)["backends"][0]["next_hop"]) == '"$expected"')
		for name in ("udp4", "udp6")]'
}

# ---- where packets go ------------------------------------------------------------------------

# ask FAMILY PORT: one UDP request from source port PORT to the VIP; the backend's name, or LOST.
ask() {
	local address=$TOPO_VIP4 log=$TOPO_DIR/ask-$2.log
	[ "$1" = 6 ] && address=$TOPO_VIP6
	ip netns exec "$NS_CLIENT" "$D_PYTHON" "$D_LIB/udp_stream.py" "$address" "$D_UDP_PORT" \
		"$log" "$TOPO_DIR/never" --first-port "$2" --ports 1 --count 1 --timeout 2 >/dev/null
	awk '{ print $3 }' "$log"
}

# went PORT ADDRESS: where the request from PORT, rewritten to backend ADDRESS, left the LB:
# "ROUTER SOURCE_MAC > DESTINATION_MAC" for each router whose capture holds it (waits 2 s).
went() {
	local tries=20 router out
	while :; do
		out=
		for router in r1 r2; do
			out+=$(tcpdump -n -e -r "$TOPO_DIR/$router.pcap" "udp src port $1 and dst host $2" 2>/dev/null |
				awk -v router="$router" '{ sub(",", "", $4); print router, $2, ">", $4 }')
		done
		[ -n "$out" ] && break
		((tries--)) || break
		sleep 0.1
	done
	echo "${out:-nowhere}"
}

# counters: the LB's fib_lookup and fib_no_neigh counters (packets), as l3dsrctl shows them.
counters() {
	daemon_ctl lb -j stats | daemon_json '" ".join(str(j[0]["counters"][name]["packets"])
		for name in ("fib_lookup", "fib_no_neigh"))'
}

# send WHAT PORT EXPECTED: a request of each family (IPv4 from PORT, IPv6 from PORT + 1) must be
# answered and have left the LB once, to the configured backend address, as the extended regex
# EXPECTED says (router and MACs).
send() {
	local what=$1 port=$2 expected=$3 family answer where
	for family in 4 6; do
		answer=$(ask "$family" "$port")
		where=$(went "$port" "${BACKEND[$family]}")
		if [ "$answer" = backend ] && [[ $where =~ ^$expected$ ]]; then
			e2e_ok "$what: IPv$family request answered; it left for $where (to ${BACKEND[$family]})"
		else
			e2e_fail "$what: IPv$family request answered, leaving as '$expected'" \
				"answer: ${answer:-none}" "captured on the routers: $where"
		fi
		port=$((port + 1))
	done
}

TO_R1="r1 $LB_R1_MAC > $R1_MAC"
TO_R1_NEW="r1 $LB_R1_MAC > $R1_NEW_MAC"
TO_R2="r2 $LB_R2_MAC > $R2_MAC"

# check_fib WHAT EXPECTED_LOOKUPS [EXPECTED_NO_NEIGH]: how much fib_lookup (and fib_no_neigh)
# grew since the last check_fib.
read -r FIB_LOOKUP FIB_NO_NEIGH < <(counters)
check_fib() {
	local lookup no_neigh grown grown_no_neigh
	read -r lookup no_neigh < <(counters)
	grown=$((lookup - FIB_LOOKUP))
	grown_no_neigh=$((no_neigh - FIB_NO_NEIGH))
	FIB_LOOKUP=$lookup
	FIB_NO_NEIGH=$no_neigh
	if ((grown == $2)) && { [ -z "${3:-}" ] || ((grown_no_neigh == $3)); }; then
		e2e_ok "$1: fib_lookup +$grown${3:+, fib_no_neigh +$grown_no_neigh}"
	else
		e2e_fail "$1: fib_lookup +$2${3:+, fib_no_neigh +$3}" \
			"fib_lookup +$grown, fib_no_neigh +$grown_no_neigh"
	fi
}

# ---- a. at start: the route's next hop, R1 ---------------------------------------------------
HOP_MARK=([4]=0 [6]=0)
via_r1 "at start" "$R1_MAC"
entry_is "at start" eth1 "$R1_MAC"
send "at start" 41000 "$TO_R1"
check_fib "at start: two requests by the kept next hop" 0

# ---- b. the route changes to R2 --------------------------------------------------------------
hop_mark
lb route replace "$BACKEND_NET4" via "$R2_4" dev eth2 metric 10 &&
	lb -6 route replace "$BACKEND_NET6" via "$R2_6" dev eth2 metric 10 ||
	e2e_fail "ip route replace ... via R2"
via_r2 "route replaced, via R2"
entry_is "route via R2" eth2 "$R2_MAC"
send "route via R2" 41010 "$TO_R2"
check_fib "route via R2: by the kept next hop" 0
hop_mark
lb_routes || e2e_fail "ip route replace ... via R1 again"
via_r1 "route back via R1" "$R1_MAC"
# A route of its own for the backend, more specific than the one via R1, then gone again.
hop_mark
lb route add "$RIP4/32" via "$R2_4" dev eth2 && lb -6 route add "$RIP6/128" via "$R2_6" dev eth2 ||
	e2e_fail "ip route add BACKEND/32 (/128) via R2"
via_r2 "a more specific route via R2"
send "a more specific route via R2" 41014 "$TO_R2"
check_fib "a more specific route via R2: by the kept next hop" 0
hop_mark
lb route del "$RIP4/32" && lb -6 route del "$RIP6/128" || e2e_fail "the /32 (/128) deleted"
via_r1 "the more specific route gone" "$R1_MAC"

# ---- c. R1 changes its MAC -------------------------------------------------------------------
hop_mark
ip -n "$NS_R1" link set dev eth0 address "$R1_NEW_MAC" && r1_knows_lb &&
	lb neigh replace "$R1_4" lladdr "$R1_NEW_MAC" dev eth1 nud reachable &&
	lb -6 neigh replace "$R1_6" lladdr "$R1_NEW_MAC" dev eth1 nud reachable ||
	e2e_fail "R1's new MAC (R1's entries for the LB again), the LB's neighbour entries for it"
via_r1 "R1's MAC changed" "$R1_NEW_MAC"
send "R1's new MAC" 41020 "$TO_R1_NEW"
check_fib "R1's new MAC: by the kept next hop" 0

# ---- d. the link to R1 goes down, then up ----------------------------------------------------
hop_mark
lb link set dev eth1 down || e2e_fail "ip link set eth1 down"
via_r2 "eth1 down: the backup route via R2"
send "eth1 down" 41030 "$TO_R2"
check_fib "eth1 down: by the kept next hop" 0
hop_mark
# What a routing daemon does when the link is back: its addresses and routes again (the kernel
# flushed the IPv6 address and the routes through eth1); traffic resolves R1 again.
lb link set dev eth1 up &&
	lb -6 addr replace 2001:db8:11::1/64 dev eth1 nodad && lb_routes &&
	lb_resolve "$R1_4" "$R1_6" || e2e_fail "eth1 up, its address, routes and R1 resolved again"
via_r1 "eth1 up again" "$R1_NEW_MAC"
send "eth1 up again" 41040 "$TO_R1_NEW"
check_fib "eth1 up again: by the kept next hop" 0

# ---- e. a multipath route --------------------------------------------------------------------
hop_mark
lb route replace "$BACKEND_NET4" metric 10 nexthop via "$R1_4" dev eth1 \
	nexthop via "$R2_4" dev eth2 && lb -6 route del "$BACKEND_NET6" metric 10 &&
	lb -6 route add "$BACKEND_NET6" metric 10 nexthop via "$R1_6" dev eth1 \
	nexthop via "$R2_6" dev eth2 ||
	e2e_fail "a multipath route via R1 and R2"
by_kernel "multipath route" "multipath route"
entry_is "multipath route" -
send "multipath route, first flow" 41050 "($TO_R1_NEW|$TO_R2)"
send "multipath route, second flow" 41052 "($TO_R1_NEW|$TO_R2)"
check_fib "multipath route: four requests, each asked of the kernel" 4
hop_mark
lb -6 route del "$BACKEND_NET6" metric 10 && lb_routes || e2e_fail "the single route via R1 again"
via_r1 "multipath route gone" "$R1_NEW_MAC"

# ---- f. a policy-routing rule ----------------------------------------------------------------
hop_mark
lb route add "$BACKEND_NET4" via "$R2_4" dev eth2 table 100 &&
	lb -6 route add "$BACKEND_NET6" via "$R2_6" dev eth2 table 100 &&
	lb rule add from "$CLIENT4" lookup 100 priority 100 &&
	lb -6 rule add from "$CLIENT6" lookup 100 priority 100 ||
	e2e_fail "a rule: from the client, table 100 (via R2)"
by_kernel "policy rule" "policy-routing rules"
send "policy rule (main says R1, the client's table R2)" 41060 "$TO_R2"
check_fib "policy rule: asked of the kernel" 2
hop_mark
lb rule del from "$CLIENT4" lookup 100 priority 100 &&
	lb -6 rule del from "$CLIENT6" lookup 100 priority 100 &&
	lb route flush table 100 && lb -6 route flush table 100 || e2e_fail "the rule removed"
via_r1 "policy rule gone" "$R1_NEW_MAC"

# ---- g. the neighbour is not resolved --------------------------------------------------------
# check_unresolved WHAT: what g's counts rest on: the LB holds no entry for R1 that its program
# would use (a state of the kernel's NUD_VALID), in either family.
check_unresolved() {
	local entries
	if ! entries=$(lb neigh show "$R1_4" dev eth1 nud all &&
		lb -6 neigh show "$R1_6" dev eth1 nud all); then
		e2e_fail "$1: the LB has no usable neighbour entry for R1" "ip neigh show failed"
	elif grep -Ewq 'PERMANENT|NOARP|REACHABLE|PROBE|STALE|DELAY' <<<"$entries"; then
		e2e_fail "$1: the LB has no usable neighbour entry for R1" "the LB's entries: $entries"
	else
		e2e_ok "$1: the LB has no usable neighbour entry for R1"
	fi
}
hop_mark
lb neigh del "$R1_4" dev eth1 && lb -6 neigh del "$R1_6" dev eth1 ||
	e2e_fail "the LB's neighbour entries for R1 deleted"
by_kernel "R1's neighbour entry deleted" "neighbour not resolved"
hop_mark
check_unresolved "R1 not resolved, before the requests"
send "R1 not resolved: through the kernel, which resolves it" 41070 "$TO_R1_NEW"
check_fib "R1 not resolved: passed to the kernel" 2 2
via_r1 "R1 resolved by the kernel" "$R1_NEW_MAC"
send "R1 resolved again" 41080 "$TO_R1_NEW"
check_fib "R1 resolved again: by the kept next hop" 0

# ---- h. the configuration names another backend address (reload) ----------------------------
BACKEND=([4]=$RIP4_OTHER [6]=$RIP6_OTHER)
hop_mark
lb_config 2
daemon_reload lb || e2e_fail "l3dsrd lb reloaded with backend $RIP4_OTHER / $RIP6_OTHER"
via_r1 "reloaded with another backend address" "$R1_NEW_MAC"
send "reloaded with another backend address" 41090 "$TO_R1_NEW"
check_fib "reloaded with another backend address: by its kept next hop" 0

e2e_finish
