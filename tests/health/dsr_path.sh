#!/usr/bin/env bash
# dsr_path.sh: health checks over the DSR path with the real daemons in the seed topology (three
# backends, web4 and web6 with an http check). A backend whose service stops goes down, no
# request reaches it, and it comes back after rise checks; a backend is down whenever the path a
# client's packets take is broken though something answers on its real address: VIP not on lo,
# backend program detached (the LB drops the answer from the real address), return route of
# the VIP broken. Every state is waited for with a generous bound; the state decides.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/health/lib.sh"

INTERVAL_S=1
FALL=2
RISE=2
CHECK="http path=/ interval=${INTERVAL_S}s timeout=900ms rise=$RISE fall=$FALL"
REQUESTS=90

e2e_setup --backends 3
health_start "$CHECK" 1 2 3

every_backend_is() {
	local what=$1 expected=$2 family number
	for family in 4 6; do
		for number in 1 2 3; do
			if ! health_wait "web$family" "$(health_rip "$number" "$family")" \
				'b["state"] + "/" + b["check"]["result"]' "$expected"; then
				e2e_fail "$what: web$family backend$number $expected" \
					"still $HEALTH_LAST" "$(e2e_ctl lb status 2>&1)"
				return
			fi
		done
	done
	e2e_ok "$what: every backend of web4 and web6 $expected"
}

# Both VIPs' view of backend NUMBER reach STATE, and the LB logged why.
backend_becomes() {
	local what=$1 number=$2 state=$3 reason=$4 family from
	[ "$state" = down ] && from=up || from=down
	for family in 4 6; do
		health_expect_state "$what" "web$family" "$(health_rip "$number" "$family")" "$state"
		e2e_note "detected after $HEALTH_WAITED s (fall x interval + 1 s = $((FALL * INTERVAL_S + 1)) s)"
		health_expect_log "$what" \
			"vip web$family: backend $(health_rip "$number" "$family") $from -> $state ($reason)"
	done
}

every_backend_is "start" "up/ok"
for family in 4 6; do
	health_spread "$family" $((20000 + family * 1000)) "$REQUESTS"
	if ((E2E_SPREAD_FAILED == 0 && E2E_SPREAD[backend1] > 0 && E2E_SPREAD[backend2] > 0 &&
		E2E_SPREAD[backend3] > 0)); then
		e2e_ok "start: IPv$family, $REQUESTS requests answered by all three ($(e2e_spread_text))"
	else
		e2e_fail "start: IPv$family, $REQUESTS requests answered by all three" \
			"$E2E_SPREAD_FAILED failed; $(e2e_spread_text)"
	fi
done

# --- the service stops, then starts again ---------------------------------------------------
before_status=$(grep -c 'STATUS=.* 4/6 backends up' "$TOPO_DIR/notify-lb.log")
slots=$(health_query web4 "$(health_rip 2 4)" 'str(b["slots"]) + " " + str(v["table_size"])')
health_stop_pid "$TOPO_HTTP_PID_backend2"
backend_becomes "service stopped on backend2" 2 down "connect refused"
# Only its slots move: as many as it owned, no more.
health_expect_log "service stopped on backend2: only its slots move" \
	"vip web4: ${slots% *} of ${slots#* } table slots moved"
for family in 4 6; do
	health_spread_check "service stopped on backend2" "$family" $((30000 + family * 1000)) \
		"$REQUESTS" backend2
done
if health_wait web4 - 'v["name"]' web4 &&
	(($(grep -c 'STATUS=.* 4/6 backends up' "$TOPO_DIR/notify-lb.log") > before_status)); then
	e2e_ok "service stopped on backend2: STATUS= says 4/6 backends up"
else
	e2e_fail "service stopped on backend2: STATUS= says 4/6 backends up" \
		"$(tail -n 3 "$TOPO_DIR/notify-lb.log")"
fi

health_http_server backend2 backend2 "$TOPO_VIP4" "$TOPO_VIP6"
backend_becomes "service started again on backend2" 2 up "$RISE checks ok"
for family in 4 6; do
	health_spread "$family" $((40000 + family * 1000)) 150
	e2e_check_share "service started again: IPv$family" backend2 150 0.3333333
done

# --- the VIP leaves backend3's lo while a server answers on its real address -----------------
health_http_server backend3 backend3-rip "$(health_rip 3 4)" "$(health_rip 3 6)"
rip_server=$HEALTH_PID
topology_exec backend3 ip addr del "$TOPO_VIP4/32" dev lo
topology_exec backend3 ip addr del "$TOPO_VIP6/128" dev lo
backend_becomes "VIP removed from backend3's lo" 3 down "connect timeout"
for family in 4 6; do
	health_spread_check "VIP removed from backend3's lo" "$family" $((50000 + family * 1000)) \
		"$REQUESTS" backend3
done
topology_exec backend3 ip addr add "$TOPO_VIP4/32" dev lo
topology_exec backend3 ip addr add "$TOPO_VIP6/128" dev lo nodad
backend_becomes "VIP back on backend3's lo" 3 up "$RISE checks ok"
health_stop_pid "$rip_server"

# --- backend1's program detached (its l3dsrd stopped) while its real address answers --------
probe_direct() {
	e2e_ctl lb -j stats | "$E2E_PYTHON" -c \
		'import json, sys; print(json.load(sys.stdin)[0]["counters"]["probe_direct"]["packets"])'
}
health_http_server backend1 backend1-rip "$(health_rip 1 4)" "$(health_rip 1 6)"
rip_server=$HEALTH_PID
dropped_before=$(probe_direct)
kill -TERM "${E2E_DAEMON_PID[backend1]}"
topology_reap "${E2E_DAEMON_PID[backend1]}"
if topology_exec backend1 ip link show eth0 | grep -q ' xdp'; then
	e2e_fail "backend1's l3dsrd stopped: no XDP program left on its eth0"
else
	e2e_ok "backend1's l3dsrd stopped: no XDP program left on its eth0"
fi
backend_becomes "backend program detached on backend1" 1 down "connect timeout"
dropped_after=$(probe_direct)
if ((dropped_after > dropped_before)); then
	e2e_ok "backend program detached: the LB dropped $((dropped_after - dropped_before)) answers from backend1's real address (probe_direct)"
else
	e2e_fail "backend program detached: the LB dropped answers from backend1's real address" \
		"probe_direct $dropped_before -> $dropped_after"
fi
for family in 4 6; do
	health_spread_check "backend program detached on backend1" "$family" \
		$((10000 + family * 1000)) "$REQUESTS" backend1
done
e2e_start_daemon backend1 backend "$TOPO_DIR/backend.conf" >"$TOPO_DIR/restart.out" 2>&1 \
	</dev/null || e2e_bail "l3dsrd on backend1 ready again" "$(cat "$TOPO_DIR/restart.out")"
backend_becomes "backend program attached again on backend1" 1 up "$RISE checks ok"
health_stop_pid "$rip_server"

# --- backend2's replies from the VIP have no route back (policy routing for the VIP) ---------
for family in 4 6; do
	vip=$TOPO_VIP4
	[ "$family" = 6 ] && vip=$TOPO_VIP6
	topology_exec backend2 ip -"$family" route add blackhole default table 4242
	topology_exec backend2 ip -"$family" rule add from "$vip" lookup 4242 priority 100
done
backend_becomes "return route of the VIP broken on backend2" 2 down "connect timeout"
for family in 4 6; do
	health_spread_check "return route broken on backend2" "$family" \
		$((24000 + family * 1000)) "$REQUESTS" backend2
done
for family in 4 6; do
	vip=$TOPO_VIP4
	[ "$family" = 6 ] && vip=$TOPO_VIP6
	topology_exec backend2 ip -"$family" rule del from "$vip" lookup 4242 priority 100
done
backend_becomes "return route repaired on backend2" 2 up "$RISE checks ok"
every_backend_is "end" "up/ok"

e2e_finish
