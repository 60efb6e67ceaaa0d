# topology.sh: builds l3dsr's seed topology (client, LB, router, backends) in network namespaces.
#
# Source it from bash, then:
#   topology_up [--backends N] [--two-armed] [--reply-router] [--second-lb] [--mtu N]
#                                              build it (fresh namespaces, unique per run);
#                                              --mtu: every link's MTU (default 1500)
#   topology_exec HOST cmd...                  run cmd in HOST's namespace
#   topology_ns HOST                           print HOST's namespace name
#   topology_http_servers                      start an HTTP server on the VIPs of every backend
#   topology_spawn HOST OUTPUT cmd...          start cmd in the background in HOST's namespace,
#                                              output to OUTPUT; its PID in TOPO_SPAWNED_PID
#   topology_track_pid PID                     have topology_down kill PID (a process you started)
#   topology_bpffs                             mount a private bpffs, print its path
#   topology_down                              remove everything made; idempotent, trap-safe
# HOST is one of: client lb router switch backend1 .. backendN (and replyrouter, lb2).
#
#   client 203.0.113.100          LB 203.0.113.10            router 203.0.113.1 | 198.51.100.1
#     eth0 ---- [ br-front in the "switch" namespace ] ---- eth0 ..... eth0   eth1
#                                                                             |
#                          [ br-back in the "switch" namespace ] -------------+
#                            |            |
#                 backend1 198.51.100.11  backend2 198.51.100.12 ...   (VIPs on lo)
#   --two-armed adds LB eth1 192.0.2.249/30 <-> router eth2 192.0.2.250/30 (a point-to-point
#   link) and routes the backend subnet through it, so requests enter eth0 and leave eth1.
#   --reply-router adds a second router on both subnets (203.0.113.2 | 198.51.100.2) that the
#   backends use as their default route: replies then take another path than requests, as
#   DSR allows, and a hop on the reply path is not on the LB's path to the backends (an ICMP
#   error it sends to a VIP comes back through the router, which would drop it as a martian
#   if it carried the router's own source address).
#   --second-lb adds a second load balancer, lb2 (203.0.113.11, one-armed like lb), for the
#   scale-out tests: the VIPs are then routed by whatever the LBs announce (BGP), not
#   statically: neither the router nor the client has a VIP route, so the client sends to the
#   router (its default route) and the router picks an LB by its routing table.
# docs/topology.md draws it in full, with the IPv6 addresses.
#
# Variables set by topology_up (arrays are visible in the sourcing shell only):
#   TOPO_TAG                  unique per run; every namespace name starts with l3e-$TOPO_TAG
#   TOPO_DIR                  a temp dir for this run (logs, bpffs); removed by topology_down
#   TOPO_TWO_ARMED TOPO_REPLY_ROUTER TOPO_SECOND_LB   0 or 1
#   TOPO_NS_LB2 TOPO_LB2_ADDR4/6 TOPO_LB2_PEER   the second LB (namespace, addresses, switch port)
#   TOPO_MTU                  the MTU of every link
#   TOPO_NS_REPLY_ROUTER      the reply router's namespace (when there is one)
#   TOPO_REPLY_ROUTER_ADDR4/6 TOPO_REPLY_ROUTER_BACKEND_ADDR4/6   its addresses
#   TOPO_NS_CLIENT TOPO_NS_LB TOPO_NS_ROUTER TOPO_NS_SWITCH      namespace names
#   TOPO_NS_BACKENDS[i]       namespace of backend i (0-based)
#   TOPO_BACKENDS[i]          host name of backend i: backend1, backend2, ...
#   TOPO_BACKEND_ADDR4[i] TOPO_BACKEND_ADDR6[i]   its real addresses (RIPs)
#   TOPO_BACKEND_IF           the backends' interface (eth0)
#   TOPO_VIP4 TOPO_VIP6       the VIPs (192.0.2.10, 2001:db8:f::10), on every backend's lo
#   TOPO_CLIENT_ADDR4/6  TOPO_LB_ADDR4/6  TOPO_ROUTER_ADDR4/6     frontend addresses
#   TOPO_ROUTER_BACKEND_ADDR4/6                                   router on the backend subnet
#   TOPO_LB_IF                the LB's frontend interface (eth0): where XDP is attached
#   TOPO_LB_IF_BACKEND        the LB's interface toward the backends (eth0 one-armed, eth1)
#   TOPO_LB_TRANSIT_ADDR4/6 TOPO_ROUTER_TRANSIT_ADDR4/6   two-armed link addresses (else empty)
#   TOPO_LB_PEER              switch port of the LB's eth0 (in TOPO_NS_SWITCH): capture here to
#                             see every frame the LB sends or receives on eth0, XDP_TX included
#   TOPO_LB_PEER_BACKEND_NS TOPO_LB_PEER_BACKEND  the peer of TOPO_LB_IF_BACKEND (namespace, name)
#   TOPO_PIDS[]               processes topology_down kills
#
# Every host's veth sends full checksums (tx checksum offload off), as frames on a real wire
# carry them. The peers of the LB's interfaces (f-lb; two-armed also the router's eth2) run
# tests/lib/xdp_pass.bpf.c: a veth accepts frames its peer sent by XDP_TX / redirect only when it
# runs NAPI, and on kernel 6.18 GRO on the peer does not do that reliably, an XDP program does.
# The object is TOPO_XDP_PASS_OBJECT (make builds it), else compiled into TOPO_DIR with clang.

TOPO_VIP4=192.0.2.10
TOPO_VIP6=2001:db8:f::10
TOPO_CLIENT_ADDR4=203.0.113.100
TOPO_CLIENT_ADDR6=2001:db8:1::100
TOPO_LB_ADDR4=203.0.113.10
TOPO_LB_ADDR6=2001:db8:1::10
TOPO_ROUTER_ADDR4=203.0.113.1
TOPO_ROUTER_ADDR6=2001:db8:1::1
TOPO_LB2_ADDR4=203.0.113.11
TOPO_LB2_ADDR6=2001:db8:1::11
TOPO_LB2_PEER=f-lb2
TOPO_ROUTER_BACKEND_ADDR4=198.51.100.1
TOPO_ROUTER_BACKEND_ADDR6=2001:db8:2::1
TOPO_REPLY_ROUTER_ADDR4=203.0.113.2
TOPO_REPLY_ROUTER_ADDR6=2001:db8:1::2
TOPO_REPLY_ROUTER_BACKEND_ADDR4=198.51.100.2
TOPO_REPLY_ROUTER_BACKEND_ADDR6=2001:db8:2::2
TOPO_BACKEND_IF=eth0
TOPO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPO_PYTHON=/usr/bin/python3
TOPO_XDP_PASS_OBJECT=${TOPO_XDP_PASS_OBJECT:-$TOPO_LIB_DIR/../../build/tests/lib/xdp_pass.bpf.o}
TOPO_UP=0
TOPO_MTU=1500
TOPO_TWO_ARMED=0
TOPO_REPLY_ROUTER=0
TOPO_SECOND_LB=0
TOPO_PIDS=()

topology_log() { echo "topology: $*" >&2; }

# Prints the namespace of HOST (client, lb, router, switch, replyrouter, backendN).
topology_ns() {
	local host=$1 i
	case $host in
	client) echo "$TOPO_NS_CLIENT" ;;
	lb) echo "$TOPO_NS_LB" ;;
	lb2)
		if ! ((TOPO_SECOND_LB)); then
			topology_log "no such host: lb2 (topology_up --second-lb)"
			return 1
		fi
		echo "$TOPO_NS_LB2"
		;;
	router) echo "$TOPO_NS_ROUTER" ;;
	replyrouter)
		if ! ((TOPO_REPLY_ROUTER)); then
			topology_log "no such host: replyrouter (topology_up --reply-router)"
			return 1
		fi
		echo "$TOPO_NS_REPLY_ROUTER"
		;;
	switch) echo "$TOPO_NS_SWITCH" ;;
	backend[0-9]*)
		i=$((${host#backend} - 1))
		if ((i < 0 || i >= ${#TOPO_BACKENDS[@]})); then
			topology_log "no such host: $host"
			return 1
		fi
		echo "${TOPO_NS_BACKENDS[$i]}"
		;;
	*)
		topology_log "no such host: $host"
		return 1
		;;
	esac
}

# topology_backend_lines FAMILY BACKEND[:WEIGHT]...: the `backend =` lines of an lb.conf VIP of
# FAMILY (4 or 6), backends by number (1 = backend1), weight 1 unless given.
topology_backend_lines() {
	local family=$1 spec number weight
	shift
	for spec in "$@"; do
		number=${spec%%:*}
		weight=1
		[[ $spec == *:* ]] && weight=${spec#*:}
		if [ "$family" = 4 ]; then
			echo "backend = ${TOPO_BACKEND_ADDR4[$((number - 1))]} weight=$weight"
		else
			echo "backend = ${TOPO_BACKEND_ADDR6[$((number - 1))]} weight=$weight"
		fi
	done
}

topology_exec() {
	local ns
	ns=$(topology_ns "$1") || return 1
	shift
	ip netns exec "$ns" "$@"
}

topology_track_pid() { TOPO_PIDS+=("$1"); }

# Starts cmd in the background with "ip netns exec" as a plain command, so that $! is cmd itself
# (ip netns exec execs it) and signals reach it, not a subshell; topology_down kills it.
topology_spawn() {
	local ns output=$2
	ns=$(topology_ns "$1") || return 1
	shift 2
	ip netns exec "$ns" "$@" >"$output" 2>&1 </dev/null &
	TOPO_SPAWNED_PID=$!
	TOPO_PIDS+=("$TOPO_SPAWNED_PID")
}

# Sets sysctls that must hold before interfaces exist (they copy "default" when created).
topology_ns_create() {
	local ns=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sh -c '
		for f in all default; do
			echo 0 > /proc/sys/net/ipv4/conf/$f/rp_filter
			echo 0 > /proc/sys/net/ipv6/conf/$f/accept_dad
			echo 0 > /proc/sys/net/ipv6/conf/$f/accept_ra
			echo 0 > /proc/sys/net/ipv6/conf/$f/accept_redirects
			echo 0 > /proc/sys/net/ipv4/conf/$f/accept_redirects
			echo 0 > /proc/sys/net/ipv4/conf/$f/send_redirects
		done'
}

# A veth pair with one end in each namespace, created there directly: the names only need to
# be unique inside their namespace. Both ends get TOPO_MTU.
topology_veth() {
	local ns_a=$1 name_a=$2 ns_b=$3 name_b=$4
	ip link add name "$name_a" netns "$ns_a" mtu "$TOPO_MTU" type veth peer name "$name_b" \
		netns "$ns_b" mtu "$TOPO_MTU" || return 1
	ip -n "$ns_a" link set "$name_a" up
	ip -n "$ns_b" link set "$name_b" up
}

# A host end of a link: full checksums on the wire.
topology_host_if() {
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
}

# topology_addresses NAMESPACE INTERFACE IPV4/LEN IPV6/LEN: both families, IPv6 without DAD.
topology_addresses() {
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" addr add "$4" dev "$2" nodad
}

# The pass-through XDP object: the one make built, else compiled now.
topology_xdp_pass_object() {
	local object=$TOPO_DIR/xdp_pass.bpf.o
	if [ -s "$TOPO_XDP_PASS_OBJECT" ] &&
		[ "$TOPO_XDP_PASS_OBJECT" -nt "$TOPO_LIB_DIR/xdp_pass.bpf.c" ]; then
		echo "$TOPO_XDP_PASS_OBJECT"
		return 0
	fi
	if [ ! -s "$object" ]; then
		clang -O2 -target bpf -I"/usr/include/$(gcc -dumpmachine)" \
			-c -o "$object" "$TOPO_LIB_DIR/xdp_pass.bpf.c" || return 1
	fi
	echo "$object"
}

# topology_napi NAMESPACE INTERFACE: makes the veth accept XDP_TX / redirected frames.
topology_napi() {
	local object
	object=$(topology_xdp_pass_object) || return 1
	ip -n "$1" link set dev "$2" xdpdrv obj "$object" sec xdp.frags
}

topology_forwarding() {
	ip netns exec "$1" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward;
		echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
}

# topology_router NS FRONT4 FRONT6 BACK4 BACK6: NS's eth0 (client subnet) and eth1 (backend
# subnet), both already cabled, get these addresses; NS forwards. The VIPs are routed to the LB
# everywhere (as if it announced them), so ICMP errors a router generates toward a VIP (PMTU)
# reach the LB too; with a second LB they are left to what the LBs announce.
topology_router() {
	local ns=$1
	topology_host_if "$ns" eth0
	topology_host_if "$ns" eth1
	topology_forwarding "$ns"
	topology_addresses "$ns" eth0 "$2/24" "$3/64" || return 1
	topology_addresses "$ns" eth1 "$4/24" "$5/64" || return 1
	((TOPO_SECOND_LB)) && return 0
	ip -n "$ns" route add "$TOPO_VIP4/32" via "$TOPO_LB_ADDR4" || return 1
	ip -n "$ns" -6 route add "$TOPO_VIP6/128" via "$TOPO_LB_ADDR6" || return 1
}

topology_up() {
	local backends=2 two_armed=0 reply_router=0 second_lb=0 mtu=1500 i ns name
	while (($#)); do
		case $1 in
		--backends)
			backends=$2
			shift 2
			;;
		--two-armed)
			two_armed=1
			shift
			;;
		--reply-router)
			reply_router=1
			shift
			;;
		--second-lb)
			second_lb=1
			shift
			;;
		--mtu)
			mtu=$2
			shift 2
			;;
		*)
			topology_log "topology_up: unknown option $1" \
				"(expected --backends N, --two-armed, --reply-router, --second-lb, --mtu N)"
			return 1
			;;
		esac
	done
	if ! [[ $backends =~ ^[0-9]+$ ]] || ((backends < 1 || backends > 80)); then
		topology_log "topology_up: --backends must be 1..80, got '$backends'"
		return 1
	fi
	if ((second_lb && two_armed)); then
		topology_log "topology_up: --second-lb is one-armed only (not with --two-armed)"
		return 1
	fi
	if ! [[ $mtu =~ ^[0-9]+$ ]] || ((mtu < 1280 || mtu > 65535)); then
		topology_log "topology_up: --mtu must be 1280..65535, got '$mtu'"
		return 1
	fi
	if ((TOPO_UP)); then
		topology_log "topology_up: already up (call topology_down first)"
		return 1
	fi
	TOPO_TAG=$(printf '%x%s' $$ "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')")
	TOPO_DIR=$(mktemp -d "/tmp/l3e-$TOPO_TAG.XXXXXX") || return 1
	TOPO_UP=1
	TOPO_MTU=$mtu
	TOPO_TWO_ARMED=$two_armed
	TOPO_REPLY_ROUTER=$reply_router
	TOPO_NS_REPLY_ROUTER=
	((reply_router)) && TOPO_NS_REPLY_ROUTER=l3e-$TOPO_TAG-replyrouter
	TOPO_SECOND_LB=$second_lb
	TOPO_NS_LB2=
	((second_lb)) && TOPO_NS_LB2=l3e-$TOPO_TAG-lb2
	TOPO_NS_CLIENT=l3e-$TOPO_TAG-client
	TOPO_NS_LB=l3e-$TOPO_TAG-lb
	TOPO_NS_ROUTER=l3e-$TOPO_TAG-router
	TOPO_NS_SWITCH=l3e-$TOPO_TAG-switch
	TOPO_NS_BACKENDS=()
	TOPO_BACKENDS=()
	TOPO_BACKEND_ADDR4=()
	TOPO_BACKEND_ADDR6=()
	for ((i = 1; i <= backends; i++)); do
		TOPO_BACKENDS+=("backend$i")
		TOPO_NS_BACKENDS+=("l3e-$TOPO_TAG-backend$i")
		TOPO_BACKEND_ADDR4+=("198.51.100.$((10 + i))")
		TOPO_BACKEND_ADDR6+=("2001:db8:2::$((10 + i))")
	done
	TOPO_LB_IF=eth0
	TOPO_LB_PEER=f-lb
	if ((two_armed)); then
		TOPO_LB_IF_BACKEND=eth1
		TOPO_LB_PEER_BACKEND_NS=$TOPO_NS_ROUTER
		TOPO_LB_PEER_BACKEND=eth2
		TOPO_LB_TRANSIT_ADDR4=192.0.2.249
		TOPO_LB_TRANSIT_ADDR6=2001:db8:3::2
		TOPO_ROUTER_TRANSIT_ADDR4=192.0.2.250
		TOPO_ROUTER_TRANSIT_ADDR6=2001:db8:3::1
	else
		TOPO_LB_IF_BACKEND=eth0
		TOPO_LB_PEER_BACKEND_NS=$TOPO_NS_SWITCH
		TOPO_LB_PEER_BACKEND=f-lb
		TOPO_LB_TRANSIT_ADDR4=
		TOPO_LB_TRANSIT_ADDR6=
		TOPO_ROUTER_TRANSIT_ADDR4=
		TOPO_ROUTER_TRANSIT_ADDR6=
	fi
	if ! topology_build; then
		topology_log "topology_up failed; tearing down"
		topology_down
		return 1
	fi
}

topology_build() {
	local i ns sw=$TOPO_NS_SWITCH
	for ns in "$TOPO_NS_SWITCH" "$TOPO_NS_CLIENT" "$TOPO_NS_LB" "$TOPO_NS_ROUTER" \
		$TOPO_NS_REPLY_ROUTER $TOPO_NS_LB2 "${TOPO_NS_BACKENDS[@]}"; do
		topology_ns_create "$ns" || return 1
	done

	# The two L2 segments: bridges in the switch namespace. No multicast snooping, so IPv6
	# neighbour discovery never depends on MLD state.
	for name in br-front br-back; do
		ip -n "$sw" link add "$name" type bridge mcast_snooping 0 || return 1
		ip -n "$sw" link set "$name" up
	done
	topology_veth "$TOPO_NS_CLIENT" eth0 "$sw" f-client || return 1
	topology_veth "$TOPO_NS_LB" eth0 "$sw" f-lb || return 1
	topology_veth "$TOPO_NS_ROUTER" eth0 "$sw" f-router || return 1
	topology_veth "$TOPO_NS_ROUTER" eth1 "$sw" b-router || return 1
	for port in f-client f-lb f-router; do
		ip -n "$sw" link set "$port" master br-front || return 1
	done
	ip -n "$sw" link set b-router master br-back || return 1
	for i in "${!TOPO_BACKENDS[@]}"; do
		topology_veth "${TOPO_NS_BACKENDS[$i]}" eth0 "$sw" "b-${TOPO_BACKENDS[$i]}" || return 1
		ip -n "$sw" link set "b-${TOPO_BACKENDS[$i]}" master br-back || return 1
	done
	# XDP_TX out of the LB's eth0 lands on f-lb: it needs NAPI to accept those frames.
	topology_napi "$sw" f-lb || return 1

	# client
	topology_host_if "$TOPO_NS_CLIENT" eth0
	topology_addresses "$TOPO_NS_CLIENT" eth0 "$TOPO_CLIENT_ADDR4/24" \
		"$TOPO_CLIENT_ADDR6/64" || return 1
	ip -n "$TOPO_NS_CLIENT" route add default via "$TOPO_ROUTER_ADDR4" || return 1
	ip -n "$TOPO_NS_CLIENT" -6 route add default via "$TOPO_ROUTER_ADDR6" || return 1
	if ! ((TOPO_SECOND_LB)); then
		ip -n "$TOPO_NS_CLIENT" route add "$TOPO_VIP4/32" via "$TOPO_LB_ADDR4" || return 1
		ip -n "$TOPO_NS_CLIENT" -6 route add "$TOPO_VIP6/128" via "$TOPO_LB_ADDR6" || return 1
	fi

	# load balancer(s)
	topology_lb "$TOPO_NS_LB" "$TOPO_LB_ADDR4" "$TOPO_LB_ADDR6" || return 1
	if ((TOPO_SECOND_LB)); then
		topology_veth "$TOPO_NS_LB2" eth0 "$sw" "$TOPO_LB2_PEER" || return 1
		ip -n "$sw" link set "$TOPO_LB2_PEER" master br-front || return 1
		topology_napi "$sw" "$TOPO_LB2_PEER" || return 1
		topology_lb "$TOPO_NS_LB2" "$TOPO_LB2_ADDR4" "$TOPO_LB2_ADDR6" || return 1
		ip -n "$TOPO_NS_LB2" route add 198.51.100.0/24 via "$TOPO_ROUTER_ADDR4" || return 1
		ip -n "$TOPO_NS_LB2" -6 route add 2001:db8:2::/64 via "$TOPO_ROUTER_ADDR6" || return 1
	fi

	# router
	topology_router "$TOPO_NS_ROUTER" "$TOPO_ROUTER_ADDR4" "$TOPO_ROUTER_ADDR6" \
		"$TOPO_ROUTER_BACKEND_ADDR4" "$TOPO_ROUTER_BACKEND_ADDR6" || return 1

	if ((TOPO_TWO_ARMED)); then
		topology_veth "$TOPO_NS_LB" eth1 "$TOPO_NS_ROUTER" eth2 || return 1
		topology_host_if "$TOPO_NS_LB" eth1
		# Redirected frames out of the LB's eth1 land on the router's eth2.
		topology_napi "$TOPO_NS_ROUTER" eth2 || return 1
		topology_addresses "$TOPO_NS_LB" eth1 "$TOPO_LB_TRANSIT_ADDR4/30" \
			"$TOPO_LB_TRANSIT_ADDR6/64" || return 1
		topology_addresses "$TOPO_NS_ROUTER" eth2 "$TOPO_ROUTER_TRANSIT_ADDR4/30" \
			"$TOPO_ROUTER_TRANSIT_ADDR6/64" || return 1
		ip -n "$TOPO_NS_LB" route add 198.51.100.0/24 via "$TOPO_ROUTER_TRANSIT_ADDR4" ||
			return 1
		ip -n "$TOPO_NS_LB" -6 route add 2001:db8:2::/64 via "$TOPO_ROUTER_TRANSIT_ADDR6" ||
			return 1
	else
		ip -n "$TOPO_NS_LB" route add 198.51.100.0/24 via "$TOPO_ROUTER_ADDR4" || return 1
		ip -n "$TOPO_NS_LB" -6 route add 2001:db8:2::/64 via "$TOPO_ROUTER_ADDR6" || return 1
	fi

	if ((TOPO_REPLY_ROUTER)); then
		topology_reply_router || return 1
	fi

	# backends: real address on eth0, VIPs on lo (never answered for in ARP / ND on eth0)
	for i in "${!TOPO_BACKENDS[@]}"; do
		ns=${TOPO_NS_BACKENDS[$i]}
		topology_host_if "$ns" eth0
		ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore;
			echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce'
		topology_addresses "$ns" eth0 "${TOPO_BACKEND_ADDR4[$i]}/24" \
			"${TOPO_BACKEND_ADDR6[$i]}/64" || return 1
		topology_addresses "$ns" lo "$TOPO_VIP4/32" "$TOPO_VIP6/128" || return 1
		if ((TOPO_REPLY_ROUTER)); then
			ip -n "$ns" route add default via "$TOPO_REPLY_ROUTER_BACKEND_ADDR4" || return 1
			ip -n "$ns" -6 route add default via "$TOPO_REPLY_ROUTER_BACKEND_ADDR6" ||
				return 1
		else
			ip -n "$ns" route add default via "$TOPO_ROUTER_BACKEND_ADDR4" || return 1
			ip -n "$ns" -6 route add default via "$TOPO_ROUTER_BACKEND_ADDR6" || return 1
		fi
	done
}

# topology_lb NS ADDR4 ADDR6: a load balancer's eth0 (already cabled) on the client subnet,
# forwarding, its default route the router.
topology_lb() {
	topology_host_if "$1" eth0
	topology_forwarding "$1"
	topology_addresses "$1" eth0 "$2/24" "$3/64" || return 1
	ip -n "$1" route add default via "$TOPO_ROUTER_ADDR4" || return 1
	ip -n "$1" -6 route add default via "$TOPO_ROUTER_ADDR6" || return 1
}

# The second router, on both subnets: the backends' way back to the client.
topology_reply_router() {
	local ns=$TOPO_NS_REPLY_ROUTER sw=$TOPO_NS_SWITCH
	topology_veth "$ns" eth0 "$sw" f-replyrouter || return 1
	topology_veth "$ns" eth1 "$sw" b-replyrouter || return 1
	ip -n "$sw" link set f-replyrouter master br-front || return 1
	ip -n "$sw" link set b-replyrouter master br-back || return 1
	topology_router "$ns" "$TOPO_REPLY_ROUTER_ADDR4" "$TOPO_REPLY_ROUTER_ADDR6" \
		"$TOPO_REPLY_ROUTER_BACKEND_ADDR4" "$TOPO_REPLY_ROUTER_BACKEND_ADDR6"
}

# Mounts a private bpffs under TOPO_DIR (ip netns exec sees it too) and prints its path.
topology_bpffs() {
	local dir=$TOPO_DIR/bpffs
	if ! mountpoint -q "$dir" 2>/dev/null; then
		mkdir -p "$dir" && mount -t bpf bpf "$dir" || return 1
	fi
	echo "$dir"
}

# Waits until HOST listens on TCP PORT on every address given.
topology_wait_listen() {
	local host=$1 port=$2 tries=100 address missing
	shift 2
	while ((tries--)); do
		missing=0
		for address in "$@"; do
			topology_exec "$host" ss -Hltn "sport = :$port" |
				grep -qF -- "$address" || missing=1
		done
		((missing)) || return 0
		sleep 0.1
	done
	topology_log "$host: nothing listens on port $port of $* after 10 s"
	return 1
}

# Starts tests/lib/http_backend.py on every backend, bound to both VIPs on port 80.
topology_http_servers() {
	local i host pid
	for i in "${!TOPO_BACKENDS[@]}"; do
		host=${TOPO_BACKENDS[$i]}
		ip netns exec "${TOPO_NS_BACKENDS[$i]}" "$TOPO_PYTHON" "$TOPO_LIB_DIR/http_backend.py" \
			--name "$host" --port 80 "$TOPO_VIP4" "$TOPO_VIP6" \
			>>"$TOPO_DIR/http-$host.log" 2>&1 &
		pid=$!
		TOPO_PIDS+=("$pid")
		eval "TOPO_HTTP_PID_$host=$pid"
	done
	for host in "${TOPO_BACKENDS[@]}"; do
		topology_wait_listen "$host" 80 "$TOPO_VIP4" "[$TOPO_VIP6]" || return 1
	done
}

# True while PID runs (a zombie counts as gone).
topology_running() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# Waits up to 10 s for PID to exit after SIGTERM, then SIGKILLs it; collects it if it is ours.
# (l3dsrd --role lb forwards for stop-delay, 3 s by default, after a SIGTERM.)
topology_reap() {
	local pid=$1 tries=100
	while ((tries--)) && topology_running "$pid"; do
		sleep 0.1
	done
	topology_running "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

topology_down() {
	local pid ns
	for pid in "${TOPO_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${TOPO_PIDS[@]}"; do
		topology_reap "$pid"
	done
	TOPO_PIDS=()
	((TOPO_UP)) || return 0
	for ns in "${TOPO_NS_BACKENDS[@]}" "$TOPO_NS_CLIENT" "$TOPO_NS_LB" "$TOPO_NS_ROUTER" \
		$TOPO_NS_REPLY_ROUTER $TOPO_NS_LB2 "$TOPO_NS_SWITCH"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	if [ -n "${TOPO_DIR:-}" ] && [ -d "$TOPO_DIR" ]; then
		mountpoint -q "$TOPO_DIR/bpffs" 2>/dev/null && umount "$TOPO_DIR/bpffs"
		rm -rf "$TOPO_DIR"
	fi
	TOPO_UP=0
	return 0
}
