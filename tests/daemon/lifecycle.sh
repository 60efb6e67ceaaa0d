#!/usr/bin/env bash
# lifecycle.sh: l3dsrd from start to stop on the topology: READY=1 only once the program is
# attached and the maps are filled, STATUS=, the watchdog, l3dsrctl status and stats (text and
# JSON) on both roles, the backend role restoring packets, SIGTERM leaving nothing behind.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup --backends 2
# The LB's listener stops the daemon the moment READY=1 arrives and looks at the interface and
# the maps (through l3dsrctl) before letting it go on.
LB_NS=$(topology_ns lb)
D_LB_PROBE="ip -n $LB_NS -d link show eth0 | grep -o 'prog/xdp id [0-9]*';
	ip netns exec $LB_NS $L3DSRCTL --pin-root $D_BPFFS/lb -j status eth0"
D_LB_ENV="WATCHDOG_USEC=1000000"
daemon_start_all
notify=$(daemon_notify_log lb)
e2e_ok "READY=1 from the load balancer and from ${TOPO_BACKENDS[*]}"

# --- READY=1 came after attach and fill ------------------------------------------------------
probe_xdp=$(sed -n '0,/^PROBE-END/s/^PROBE: prog\/xdp id \([0-9]*\)$/\1/p' "$notify")
xdp_id=$(daemon_xdp_id lb eth0)
if [ -n "$probe_xdp" ] && [ "$probe_xdp" = "$xdp_id" ]; then
	e2e_ok "when READY=1 arrived, ip -d link already showed the program on eth0 (id $probe_xdp)"
else
	e2e_fail "when READY=1 arrived, ip -d link already showed the program on eth0" \
		"seen at READY=1: '${probe_xdp}', now: '$xdp_id'" "$(cat "$notify")"
fi
probe_json=$(sed -n '0,/^PROBE-END/s/^PROBE: \(\[.*\]\)$/\1/p' "$notify")
tap_json "when READY=1 arrived, every VIP had its 2 backends and all 1009 ring slots" \
	"${probe_json:-null}" '[("VIP " + v["name"], len(v["backends"]) == 2 and
	sum(b["slots"] for b in v["backends"]) == 1009) for v in j[0]["vips"]] +
	[("four VIPs", len(j[0]["vips"]) == 4)]'

status=$(grep -m1 ': READY=1' "$notify" | sed 's/.*STATUS=//')
if [[ $status =~ ^lb\ on\ eth0\ \(native\):\ 4\ VIPs,\ 2/2\ VIP\ addresses\ announced,\ 8/8\ backends\ up,\ [0-9.]+\ [kM]?pps$ ]]; then
	e2e_ok "STATUS= with READY=1: '$status'"
else
	e2e_fail "STATUS= with READY=1 is 'lb on eth0 (native): 4 VIPs, 2/2 VIP addresses announced, 8/8 backends up, N pps'" \
		"got: '$status'"
fi
if grep -qE '^[0-9]+: STATUS=' "$TOPO_DIR/notify-backend1.log" ||
	daemon_wait backend1 '^[0-9]+: STATUS=backend on eth0 \(native\): 4 VIPs, 3 local addresses, ' 1 8; then
	e2e_ok "the backend refreshes STATUS=: '$(grep -m1 -E '^[0-9]+: STATUS=' "$TOPO_DIR/notify-backend1.log" | sed 's/.*STATUS=//')'"
else
	e2e_fail "the backend refreshes STATUS= within 8 s" "$(cat "$TOPO_DIR/notify-backend1.log")"
fi
if daemon_wait lb ': WATCHDOG=1$' 2 10; then
	e2e_ok "WATCHDOG_USEC=1000000: WATCHDOG=1 keeps coming ($(daemon_count lb ': WATCHDOG=1$') so far)"
else
	e2e_fail "WATCHDOG_USEC=1000000: two WATCHDOG=1 within 10 s" "$(cat "$notify")"
fi
if grep -qE 'WATCHDOG=1' "$TOPO_DIR/notify-backend1.log"; then
	e2e_fail "no WATCHDOG=1 when WATCHDOG_USEC is not set" "$(cat "$TOPO_DIR/notify-backend1.log")"
else
	e2e_ok "no WATCHDOG=1 when WATCHDOG_USEC is not set"
fi

# --- traffic through both roles -----------------------------------------------------------
declare -A answered=()
failed=0
for family in 4 6; do
	# Each family its own source ports: a port in TIME_WAIT cannot be bound again at once.
	for ((port = 30000 + family * 100; port < 30040 + family * 100; port++)); do
		if backend=$(daemon_http "$family" "$port" 2>/dev/null); then
			answered[$backend]=$((${answered[$backend]:-0} + 1))
		else
			failed=$((failed + 1))
		fi
	done
done
if ((failed == 0 && ${answered[backend1]:-0} > 0 && ${answered[backend2]:-0} > 0)); then
	e2e_ok "80 HTTP requests (IPv4 and IPv6) through the VIPs: all answered, backend1 ${answered[backend1]}, backend2 ${answered[backend2]}"
else
	e2e_fail "80 HTTP requests through the VIPs, all answered by both backends" \
		"failed $failed, backend1 ${answered[backend1]:-0}, backend2 ${answered[backend2]:-0}"
fi

# --- l3dsrctl status ----------------------------------------------------------------------
text=$(daemon_ctl lb status)
pid=${D_PID[lb]}
checks=(
	"^eth0: lb, native, program $xdp_id \\(link [0-9]+\\), daemon pid $pid\$"
	"^  configuration $TOPO_DIR/lb.conf\$"
	"^  flow hash: lookup3\$"
	"^  vip web4 192\\.0\\.2\\.10 tcp/80 dscp 10 table 1009 announced yes fingerprint [0-9a-f]{16}: [0-9]+ packets\$"
	"^  vip udp6 2001:db8:f::10 udp/$D_UDP_PORT dscp 13 table 1009 announced yes fingerprint [0-9a-f]{16}: [0-9]+ packets\$"
	"^    backend 198\\.51\\.100\\.11 +weight 1 +up +[0-9]+ slots +[0-9]+ packets\$"
	"^    backend 2001:db8:2::12 +weight 1 +up +[0-9]+ slots +[0-9]+ packets\$"
)
e2e_expect_lines "l3dsrctl status: role, interface, mode, program id, daemon, VIPs, backends" \
	"$text" "${checks[@]}"

json=$(daemon_ctl lb -j status)
tap_json "l3dsrctl -j status: the documented keys, values as configured, backend packets add up" \
	"$json" '[
	("interface eth0", j[0]["interface"] == "eth0"), ("role lb", j[0]["role"] == "lb"),
	("xdp_mode native", j[0]["xdp_mode"] == "native"), ("attached", j[0]["attached"] is True),
	("program_id '"$xdp_id"'", j[0]["program_id"] == '"$xdp_id"'),
	("link_id > 0", j[0]["link_id"] > 0),
	("daemon_pid '"$pid"' running", j[0]["daemon_pid"] == '"$pid"' and j[0]["daemon_running"]),
	("config", j[0]["config"] == "'"$TOPO_DIR/lb.conf"'"),
	("pin_dir", j[0]["pin_dir"] == "'"$D_BPFFS/lb/eth0"'"),
	("flow_hash lookup3, the default", j[0]["flow_hash"] == "lookup3"),
	("object", j[0]["object"].endswith("/bpf/lb.bpf.o")),
	("four VIPs", sorted(v["name"] for v in j[0]["vips"]) == ["udp4", "udp6", "web4", "web6"]),
	("web4 as configured", [vip(j[0], "web4")[k] for k in
		("address", "protocol", "port", "dscp", "table_size")] ==
		["192.0.2.10", "tcp", 80, 10, 1009]),
	("web4 backends", sorted(b["address"] for b in vip(j[0], "web4")["backends"]) ==
		["198.51.100.11", "198.51.100.12"]),
	("weight 1, up", all(b["weight"] == 1 and b["state"] == "up"
		for b in vip(j[0], "web4")["backends"])),
	("slots add up to the table", sum(b["slots"] for b in vip(j[0], "web6")["backends"]) == 1009),
	("backend packets add up to the VIP packets", sum(b["packets"] for b in
		vip(j[0], "web4")["backends"]) == vip(j[0], "web4")["packets"]),
	("both backends got packets", all(b["packets"] > 0 for b in vip(j[0], "web4")["backends"])),
	]'

# --- l3dsrctl stats, with a stream running through the sample ------------------------------
daemon_stream_start stats 4 40000
text=$(daemon_ctl lb stats)
json=$(daemon_ctl lb -j stats)
daemon_stream_stop stats
counters="pass tx redirect fib_no_neigh fib_fail ttl_expired fragments_untracked malformed unknown_port no_backend icmp_error flow_insert_skipped probe_reply probe_direct rewrite_failed too_big egress_no_xdp fib_lookup"
checks=('^eth0: lb, rates over 1\.[0-9]+ s$')
for counter in $counters "vip udp4" "  backend 198.51.100.11"; do
	checks+=("^  $counter +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+\$")
done
e2e_expect_lines "l3dsrctl stats: every counter, VIP and backend with packets, bytes and rates" \
	"$text" "${checks[@]}"
tap_json "l3dsrctl -j stats while a UDP stream runs: all counters, rates > 0" "$json" '[
	("every counter", sorted(j[0]["counters"]) == sorted("'"$counters"'".split())),
	("each with packets, bytes and rates", all(sorted(c) ==
		["bytes", "bytes_per_second", "packets", "packets_per_second"]
		for c in j[0]["counters"].values())),
	("a one-second sample", 0.9 < j[0]["interval_seconds"] < 5),
	("tx packets per second > 0", j[0]["counters"]["tx"]["packets_per_second"] > 0),
	("udp4 packets per second > 0", vip(j[0], "udp4")["packets_per_second"] > 0),
	("udp4 backends listed", len(vip(j[0], "udp4")["backends"]) == 2),
	]'
# Once the stream has stopped the counters hold still: they must match it request for request.
sent=$(awk '{print $2}' <<<"$D_SUMMARY")
per_backend=$(awk '{n[$3]++} END {for (b in n) print b, n[b]}' "$TOPO_DIR/stream-stats.log" |
	sort | tr '\n' ' ')
json=$(daemon_ctl lb -j stats)
tap_json "after the stream ($D_SUMMARY): udp4 counted every request, each backend what it answered" \
	"$json" '[
	("udp4 packets == '"$sent"' requests sent", vip(j[0], "udp4")["packets"] == '"$sent"'),
	("per backend as the stream saw it: '"$per_backend"'", " ".join("%s %d" % (
		{"198.51.100.11": "backend1", "198.51.100.12": "backend2"}[b["address"]], b["packets"])
		for b in sorted(vip(j[0], "udp4")["backends"], key=lambda b: b["address"])) + " " ==
		"'"$per_backend"'"),
	("rates 0 once stopped", vip(j[0], "udp4")["packets_per_second"] == 0),
	]'

# --- the backend role -----------------------------------------------------------------------
json=$(daemon_ctl backend1 -j status)
tap_json "l3dsrctl -j status on a backend: local addresses, VIPs by DSCP, restored packets per VIP" \
	"$json" '[
	("role backend", j[0]["role"] == "backend"), ("attached", j[0]["attached"] is True),
	("no flow_hash: a backend hashes no flow", "flow_hash" not in j[0]),
	("its real addresses", {"198.51.100.11", "2001:db8:2::11"} <= set(j[0]["local_addresses"])),
	("VIPs by DSCP", sorted((v["name"], v["address"], v["dscp"]) for v in j[0]["vips"]) == [
		("udp4", "192.0.2.10", 12), ("udp6", "2001:db8:f::10", 13),
		("web4", "192.0.2.10", 10), ("web6", "2001:db8:f::10", 11)]),
	("web4 packets restored", vip(j[0], "web4")["packets"] > 0),
	]'
restored=$(daemon_ctl backend1 -j stats | daemon_json 'j[0]["counters"]["restored"]["packets"]')
if ((restored > 0)); then
	e2e_ok "l3dsrctl -j stats on a backend: $restored packets restored"
else
	e2e_fail "l3dsrctl -j stats on a backend counts restored packets" "restored: $restored"
fi

# Without its backend program backend2 cannot answer what the LB sends it (the packets are for
# its real address, the service listens on the VIP); with it again, it can. UDP, so a source port
# can be used again at once.
ports2=$(daemon_udp_ask 4 46000 40 | awk '$2 == "backend2" {print $1}')
daemon_stop backend2
without=$(for port in $ports2; do daemon_udp_ask 4 "$port" 1; done | awk '{print $2}' | sort | uniq -c | tr -s ' ')
daemon_start_ready backend2 backend2 backend eth0 "$TOPO_DIR/backend.conf" ||
	e2e_bail "l3dsrd --role backend on backend2 restarted" "$D_ERROR"
with=$(for port in $ports2; do daemon_udp_ask 4 "$port" 1; done | awk '{print $2}' | sort | uniq -c | tr -s ' ')
count=$(wc -w <<<"$ports2")
if ((count > 0)) && [ "$without" = " $count LOST" ] && [ "$with" = " $count backend2" ]; then
	e2e_ok "the backend role restores the VIP: backend2's $count flows lost without its instance, all answered with it"
else
	e2e_fail "the backend role restores the VIP" "flows on backend2: $count" \
		"without its instance:$without" "with it:$with"
fi

# --- SIGTERM: the rollback ----------------------------------------------------------------------
daemon_stop lb
problems=()
[ "$D_STATUS" = 0 ] || problems+=("exit status $D_STATUS")
grep -qE ': STOPPING=1 STATUS=stopping: every VIP withdrawn, forwarding for 3.000 s' "$notify" ||
	problems+=("no STOPPING=1 with a STATUS= saying how long it forwards")
[ -z "$(daemon_xdp_id lb eth0)" ] || problems+=("eth0 still has XDP program $(daemon_xdp_id lb eth0)")
[ ! -e "$D_BPFFS/lb/eth0" ] || problems+=("pins left: $(ls "$D_BPFFS/lb/eth0")")
out=$(topology_exec lb "$L3DSRCTL" --pin-root "$D_BPFFS/lb" status eth0 2>&1)
[[ $out == *"nothing attached on eth0"* ]] || problems+=("l3dsrctl status eth0 says: $out")
if ((${#problems[@]} == 0)); then
	e2e_ok "SIGTERM: STOPPING=1, exit 0, no XDP program on eth0, no pins, l3dsrctl says nothing attached"
else
	e2e_fail "SIGTERM: STOPPING=1, exit 0, no XDP program, no pins" "${problems[@]}" \
		"$(tail -n 5 "$(daemon_log lb)")"
fi

e2e_finish
