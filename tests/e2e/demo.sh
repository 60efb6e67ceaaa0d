#!/usr/bin/env bash
# demo.sh: `make demo`: l3dsr balancing real HTTP requests in namespaces, replies bypassing it.
#
# Brings up docs/topology.md's network in fresh namespaces, starts l3dsrd (lb on the LB,
# backend on each backend) with etc/demo/*.conf and pins under a private bpffs, sends requests
# with curl from the client, and shows which backend answered, the spread, the daemons'
# counters and a capture of the LB's link proving that no reply crossed it. Everything is
# removed at the end, also on Ctrl-C or an error.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

SHOWN=8    # requests printed one by one, per family
SPREAD=100 # requests behind the spread, per family

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD= PLAIN=; fi
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() {
	echo "demo: $*" >&2
	exit 1
}

demo_teardown() {
	echo
	echo "tearing down: stopping l3dsrd (detach, unpin), the servers, deleting the namespaces"
	e2e_teardown
}
trap demo_teardown EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM

for file in "$E2E_L3DSRD" "$E2E_L3DSRCTL" "$E2E_BPF_DIR/lb.bpf.o" "$E2E_BPF_DIR/backend.bpf.o"; do
	[ -e "$file" ] || die "$file is missing: run make first"
done
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"

say "the topology (docs/topology.md)"
topology_up || die "could not build the topology"
cat <<EOF
  client $TOPO_CLIENT_ADDR4 / $TOPO_CLIENT_ADDR6
     |  routes the VIPs $TOPO_VIP4, $TOPO_VIP6 to the LB
  LB $TOPO_LB_ADDR4 / $TOPO_LB_ADDR6 (l3dsrd --role lb on eth0)   --  router $TOPO_ROUTER_ADDR4 | $TOPO_ROUTER_BACKEND_ADDR4
                                                                             |
$(for i in "${!TOPO_BACKENDS[@]}"; do
	echo "  ${TOPO_BACKENDS[$i]} ${TOPO_BACKEND_ADDR4[$i]} / ${TOPO_BACKEND_ADDR6[$i]}, VIPs on lo (l3dsrd --role backend)"
done)
  namespaces: l3e-$TOPO_TAG-*
EOF
topology_http_servers || die "could not start the HTTP servers"
topology_bpffs >/dev/null || die "could not mount a bpffs under $TOPO_DIR"

say "starting l3dsrd"
for host in "${TOPO_BACKENDS[@]}"; do
	e2e_start_daemon "$host" backend "$E2E_ROOT/etc/demo/backend.conf" ||
		die "l3dsrd --role backend on $host did not become ready"
	echo "$host: l3dsrd --role backend --interface eth0 --config etc/demo/backend.conf: ready"
done
e2e_start_lb "$E2E_ROOT/etc/demo/lb.conf" || die "l3dsrd --role lb did not become ready"
echo "lb: l3dsrd --role lb --interface eth0 --config etc/demo/lb.conf: ready"

e2e_capture_start lb-link "$TOPO_NS_SWITCH" "$TOPO_LB_PEER" >/dev/null ||
	die "tcpdump on the LB's link did not start"
e2e_capture_start client-link "$TOPO_NS_SWITCH" f-client >/dev/null ||
	die "tcpdump on the client's link did not start"

for family in 4 6; do
	url=$(e2e_vip_url "$family")
	say "IPv$family: curl $url from the client"
	for ((i = 0; i < SHOWN; i++)); do
		port=$((30000 + family * 100 + i)) # a port per request: no TIME_WAIT in the way
		answer=$(e2e_request "$family" "$port" 2>&1) || answer="FAILED: $answer"
		printf '  request %2d from source port %d -> %s\n' $((i + 1)) "$port" "$answer"
	done
	e2e_spread "$family" $((30000 + family * 1000)) "$SPREAD"
	echo "  spread over $SPREAD more requests from distinct source ports: $(e2e_spread_text)" \
		"(failed: $E2E_SPREAD_FAILED)"
done
sleep 0.5 # the last ACKs of the last connection are still crossing the links
e2e_capture_stop lb-link
e2e_capture_stop client-link

say "the LB: l3dsrctl status; l3dsrctl stats"
e2e_ctl lb status
e2e_ctl lb stats
for host in "${TOPO_BACKENDS[@]}"; do
	say "$host: l3dsrctl stats"
	e2e_ctl "$host" stats
done

say "direct server return: what crossed the LB's link (captured on its switch port)"
to_vip=$(e2e_capture_count lb-link "dst host $TOPO_VIP4 or dst host $TOPO_VIP6")
from_vip=$(e2e_capture_count lb-link "src host $TOPO_VIP4 or src host $TOPO_VIP6")
rips=$(printf ' or dst host %s' "${TOPO_BACKEND_ADDR4[@]}" "${TOPO_BACKEND_ADDR6[@]}")
to_rip=$(e2e_capture_count lb-link "${rips# or } and tcp dst port 80")
client_from_vip=$(e2e_capture_count client-link "src host $TOPO_VIP4 or src host $TOPO_VIP6")
printf '  %-52s %6d\n' "packets to a VIP arriving at the LB:" "$to_vip" \
	"packets the LB sent on to a backend's real address:" "$to_rip" \
	"packets from a VIP on the LB's link:" "$from_vip" \
	"packets from a VIP the client received (replies):" "$client_from_vip"
echo "  one rewritten request, as the LB sent it (TTL-1, DSCP = the VIP's code):"
tcpdump -n -v -r "$TOPO_DIR/lb-link.pcap" -c 1 "${rips# or } and tcp dst port 80" 2>/dev/null |
	sed 's/^/    /'
if ((from_vip == 0 && client_from_vip > 0)); then
	echo "  => every reply went from the backends to the client directly, never through the LB"
else
	echo "  => UNEXPECTED: $from_vip packets from a VIP crossed the LB's link"
	exit 1
fi
