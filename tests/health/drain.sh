#!/usr/bin/env bash
# drain.sh: what a reload does to health state, draining, and fail-open, with the real daemons
# (three backends, web4 and web6, tcp check). backend3's service is stopped (down). A long
# download runs from one up backend; a reload gives that backend weight 0: the download ends
# complete, new requests go elsewhere, and the reload kept every backend's state and counters
# (backend3 stays down without a new transition). Then the last up backend with a weight stops:
# every weighted backend is down, the VIP keeps its last table (fail-open) and says so in the
# log, in l3dsrctl status and in STATUS=; its service back, fail-open ends. Last, a reload
# moves probe-ports into the ephemeral ports: the checks go on, the daemon warns until the
# ports are reserved.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/health/lib.sh"

CHECK="tcp interval=1s timeout=900ms rise=2 fall=2"
STREAM_SECONDS=8
STREAM_BYTES=$((STREAM_SECONDS * 10 * 1000)) # http_backend.py: 10 chunks of 1000 bytes a second

e2e_setup --backends 3
health_start "$CHECK" 1 2 3
down_rip4=$(health_rip 3 4)
down_rip6=$(health_rip 3 6)

for family in 4 6; do
	for number in 1 2 3; do
		health_wait "web$family" "$(health_rip "$number" "$family")" 'b["check"]["result"]' ok ||
			e2e_bail "start: web$family backend$number checked ok" "$HEALTH_LAST"
	done
done
e2e_ok "start: every backend checked ok"

health_stop_pid "$TOPO_HTTP_PID_backend3"
health_expect_state "service stopped on backend3" web4 "$down_rip4" down
health_expect_state "service stopped on backend3" web6 "$down_rip6" down

# --- a long download, then its backend drained by a reload ----------------------------------
stream_file=$TOPO_DIR/stream.out
topology_exec client curl -4 -sS --max-time 60 --local-port 45000 -o "$stream_file" \
	-w '%{http_code} %{size_download}\n' "$(e2e_vip_url 4 "/stream?seconds=$STREAM_SECONDS")" \
	>"$TOPO_DIR/stream.result" 2>&1 &
stream_pid=$!
topology_track_pid "$stream_pid"
drained=
for _ in $(seq 100); do
	drained=$(head -n 1 "$stream_file" 2>/dev/null | grep -o '^backend[0-9]*')
	[ -n "$drained" ] && break
	sleep 0.1
done
[ -n "$drained" ] || e2e_bail "a download of $STREAM_SECONDS s started" "$(cat "$TOPO_DIR/stream.result")"
drained_number=${drained#backend}
other_number=$((3 - drained_number)) # the other of backend1 and backend2
other=backend$other_number
e2e_ok "a download of $STREAM_SECONDS s runs from $drained"

checks_of() {
	health_query web4 "$(health_rip "$1" 4)" 'b["check"]["checks"]'
}
other_checks_before=$(checks_of "$other_number")
down_checks_before=$(checks_of 3)
transitions_before=$(health_log_count "backend $down_rip4 ")

weights=(1 2 3)
weights[$((drained_number - 1))]=$drained_number:0
health_lb_config "$TOPO_DIR/lb-drain.conf" "$CHECK" "${weights[@]}"
out=$(e2e_reload lb "$TOPO_DIR/lb-drain.conf" 2>&1) || e2e_bail "reload with $drained at weight 0" "$out"
e2e_ok "reload with $drained at weight 0 applied"
health_expect_state "after the reload" web4 "$(health_rip "$drained_number" 4)" drained

health_spread_check "$drained drained" 4 46000 60 "$drained"
wait "$stream_pid"
read -r code size <"$TOPO_DIR/stream.result"
if [ "$code" = 200 ] && [ "$size" = "$STREAM_BYTES" ] && ! grep -qv "$drained" <(grep -o 'backend[0-9]*' "$stream_file"); then
	e2e_ok "the download from $drained went on after the drain: $size of $STREAM_BYTES bytes, all from $drained"
else
	e2e_fail "the download from $drained went on after the drain" \
		"status $code, $size of $STREAM_BYTES bytes" "$(cat "$TOPO_DIR/stream.result")"
fi

# --- the reload kept every backend's state and counters ---------------------------------------
# Two more checks of backend3 end after the reload: had its state been reset to "presumed up",
# the first would have logged "up -> down" again.
if health_wait web4 "$down_rip4" "b['check']['checks'] >= $down_checks_before + 2" True; then
	transitions_after=$(health_log_count "backend $down_rip4 ")
	if ((transitions_after == transitions_before)) &&
		[ "$(health_query web4 "$down_rip4" 'b["state"]')" = down ]; then
		e2e_ok "reload: backend3 stayed down, no new transition in $(($(checks_of 3) - down_checks_before)) checks since"
	else
		e2e_fail "reload: backend3 stayed down without a new transition" \
			"$(grep -F "backend $down_rip4 " "$TOPO_DIR/l3dsrd-lb.log")"
	fi
else
	e2e_fail "reload: backend3 goes on being checked" "$(e2e_ctl lb status)"
fi
other_checks_after=$(checks_of "$other_number")
if ((other_checks_after >= other_checks_before && other_checks_before > 0)); then
	e2e_ok "reload: $other's check count went on ($other_checks_before -> $other_checks_after), not reset"
else
	e2e_fail "reload: $other's check count went on, not reset" \
		"$other_checks_before -> $other_checks_after"
fi

# --- fail-open: the last up backend with a weight goes down ---------------------------------
other_rip4=$(health_rip "$other_number" 4)
slots_before=$(health_query web4 "$other_rip4" 'b["slots"]')
eval "other_pid=\$TOPO_HTTP_PID_$other"
health_stop_pid "$other_pid"
health_expect_state "last weighted backend stopped" web4 "$other_rip4" down
health_expect_log "fail-open" "vip web4: every backend is down; it keeps its last table (fail-open)"
health_expect_log "fail-open" "vip web6: every backend is down; it keeps its last table (fail-open)"
fail_open=$(health_query web4 "$other_rip4" 'str(v["fail_open"]) + " " + str(b["slots"]) + " " + str(b["check"]["takes_new_flows"])')
if [ "$fail_open" = "True $slots_before True" ]; then
	e2e_ok "fail-open: l3dsrctl says so; $other keeps its $slots_before slots and takes new flows"
else
	e2e_fail "fail-open: l3dsrctl says so; $other keeps its $slots_before slots" "$fail_open"
fi
if e2e_ctl lb status | grep -q '^  vip web4 .*fail-open'; then
	e2e_ok "fail-open: l3dsrctl status text says so"
else
	e2e_fail "fail-open: l3dsrctl status text says so" "$(e2e_ctl lb status)"
fi
for _ in $(seq $((HEALTH_WAIT_SECONDS * 10))); do
	grep -q 'STATUS=.*fail-open: web4, web6' "$TOPO_DIR/notify-lb.log" && break
	sleep 0.1
done
if grep -q 'STATUS=.*fail-open: web4, web6' "$TOPO_DIR/notify-lb.log"; then
	e2e_ok "fail-open: STATUS= says so: $(grep -o 'STATUS=.*fail-open: web4, web6' "$TOPO_DIR/notify-lb.log" | tail -n 1)"
else
	e2e_fail "fail-open: STATUS= says so" "$(tail -n 3 "$TOPO_DIR/notify-lb.log")"
fi

health_http_server "$other" "$other" "$TOPO_VIP4" "$TOPO_VIP6"
health_expect_state "service back on $other" web4 "$other_rip4" up
health_expect_log "fail-open ends" "vip web4: 1 backend up again; fail-open ends"
if [ "$(health_query web4 - 'v["fail_open"]')" = False ]; then
	e2e_ok "fail-open ends: l3dsrctl says so"
else
	e2e_fail "fail-open ends: l3dsrctl says so"
fi
health_spread_check "fail-open ended" 4 47000 30 "$drained"

# --- probe-ports moved by a reload, into the ephemeral ports, then reserved -----------------
# The checks go on from the new range (the LB program must map it: a failing mapping would end
# them as connect timeouts), and the daemon warns about the overlap until it is reserved.
topology_exec lb sysctl -q -w net.ipv4.ip_local_port_range="32768 60999"
health_lb_config "$TOPO_DIR/lb-ports.conf" "$CHECK" --global "probe-ports = 60990-61010" \
	"${weights[@]}"
out=$(e2e_reload lb "$TOPO_DIR/lb-ports.conf" 2>&1) || e2e_bail "reload with probe-ports 60990-61010" "$out"
health_expect_log "probe-ports overlapping the ephemeral ports" \
	"probe-ports 60990-61010: 10 of them are ephemeral ports (net.ipv4.ip_local_port_range = 32768 60999) that are not reserved: another connection of this host may be given one and lose the replies from a backend's real address; set net.ipv4.ip_local_reserved_ports = 60990-61010 or move probe-ports"
before=$(checks_of "$other_number")
if health_wait web4 "$other_rip4" "b['check']['checks'] >= $before + 3 and b['check']['failures_in_a_row'] == 0 and b['state'] == 'up'" True; then
	e2e_ok "checks go on from the new probe ports: $other up, no failure since"
else
	e2e_fail "checks go on from the new probe ports" "$(e2e_ctl lb status)"
fi
topology_exec lb sysctl -q -w net.ipv4.ip_local_reserved_ports=60990-61010
warnings=$(health_log_count "probe-ports 60990-61010: ")
out=$(e2e_reload lb "$TOPO_DIR/lb-ports.conf" 2>&1) || e2e_bail "reload after reserving the ports" "$out"
if (($(health_log_count "probe-ports 60990-61010: ") == warnings)); then
	e2e_ok "no warning once net.ipv4.ip_local_reserved_ports holds the probe ports"
else
	e2e_fail "no warning once net.ipv4.ip_local_reserved_ports holds the probe ports"
fi

e2e_finish
