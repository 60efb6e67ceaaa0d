#!/usr/bin/env bash
# stuck.sh: a check stuck on a backend that accepts but never answers times out (read timeout,
# the backend goes down) without holding up any other check. VIP slow4 (tcp 8080, http check,
# 4 s timeout) has backend1 silent and backend2 answering; VIP fast4 (tcp 80) is checked every
# 200 ms. While one stuck probe to backend1 is in flight (its connection seen established on the
# LB), fast4's checks go on ending, and that same connection is still there afterwards: the
# checks run side by side, none waits for another. VIP status6 (tcp 8080 on IPv6) asks for a page
# backend2 does not have: down with "bad status 404".
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/health/lib.sh"

SLOW_PORT=8080
FAST_CHECKS=3 # fast4 checks that must end during one stuck probe

e2e_setup --backends 2
health_backend_config "$TOPO_DIR/backend.conf" slow4:4:20 fast4:4:10 status6:6:21
health_http_server --port "$SLOW_PORT" --silent backend1 silent1 "$TOPO_VIP4" ||
	e2e_bail "silent server on backend1"
health_http_server --port "$SLOW_PORT" backend2 backend2-slow "$TOPO_VIP4" "$TOPO_VIP6" ||
	e2e_bail "HTTP server on backend2 port $SLOW_PORT"
health_lb_config "$TOPO_DIR/lb.conf" "http interval=5s timeout=4s rise=1 fall=1" \
	--vip slow4:4:$SLOW_PORT:20 1 2
# fast4: a VIP of its own, with a quick check, on the same backends.
{
	echo
	conf_vip fast4:4:tcp:80:10 --line "check = tcp interval=200ms timeout=150ms" 1 2
	echo
	conf_vip "status6:6:tcp:$SLOW_PORT:21" \
		--line "check = http path=/no-such-page expect=200 interval=1s timeout=900ms rise=1 fall=1" 2
} >>"$TOPO_DIR/lb.conf"
health_start_daemons

health_expect_state "a page the backend does not have" status6 "$(health_rip 2 6)" down
health_expect_log "a page the backend does not have" \
	"vip status6: backend $(health_rip 2 6) up -> down (bad status 404)"
status=$(health_query status6 "$(health_rip 2 6)" 'b["check"]["result"] + " " + str(b["check"]["http_status"])')
if [ "$status" = "bad_status 404" ]; then
	e2e_ok "l3dsrctl -j status: result bad_status, http_status 404"
else
	e2e_fail "l3dsrctl -j status: result bad_status, http_status 404" "$status"
fi

silent=$(health_rip 1 4)
health_expect_state "silent service" slow4 "$silent" down
health_expect_log "silent service" "vip slow4: backend $silent up -> down (read timeout)"
if health_wait slow4 "$(health_rip 2 4)" 'b["state"] + "/" + b["check"]["result"]' up/ok; then
	e2e_ok "slow4 backend2 (answering) is up/ok beside the silent one"
else
	e2e_fail "slow4 backend2 (answering) is up/ok beside the silent one" "$HEALTH_LAST"
fi

# The local port of the probe connection established to the silent backend, if one is.
stuck_probe() {
	topology_exec lb ss -Htn state established "( dport = :$SLOW_PORT )" dst "$silent" |
		awk '{ n = split($3, a, ":"); print a[n]; exit }'
}

fast_checks() {
	health_query fast4 "$(health_rip 2 4)" 'b["check"]["checks"]'
}

overlap=0
attempts=0
while ((attempts < 5 && !overlap)); do
	attempts=$((attempts + 1))
	port=
	for _ in $(seq 100); do
		port=$(stuck_probe)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || continue
	before=$(fast_checks)
	for _ in $(seq 100); do
		after=$(fast_checks)
		((after >= before + FAST_CHECKS)) && break
		sleep 0.05
	done
	# Still the same connection: the fast checks ended while it was in flight.
	if ((after >= before + FAST_CHECKS)) && [ "$(stuck_probe)" = "$port" ]; then
		overlap=1
	fi
done
if ((overlap)); then
	e2e_ok "fast4 ended $((after - before)) checks while the stuck probe from port $port to backend1 was in flight"
else
	e2e_fail "fast4's checks end while a stuck probe is in flight" \
		"$attempts attempts; last: probe port '$port', fast4 checks $before -> $after" \
		"$(topology_exec lb ss -tn)"
fi

# And the stuck check did end as a timeout each time, not as anything else.
results=$(health_query slow4 "$silent" 'b["check"]["result"] + " " + str(b["check"]["failed_checks"]) + " " + str(b["check"]["checks"])')
read -r result failed total <<<"$results"
if [ "$result" = read_timeout ] && ((failed == total && total > 0)); then
	e2e_ok "every check of the silent backend ended as read timeout ($failed of $total)"
else
	e2e_fail "every check of the silent backend ended as read timeout" "$results"
fi
if health_wait fast4 - 'all(b["state"] == "up" and b["check"]["failed_checks"] == 0 for b in v["backends"])' True; then
	e2e_ok "fast4: both backends up, no failed check"
else
	e2e_fail "fast4: both backends up, no failed check" "$(e2e_ctl lb status)"
fi

e2e_finish
