#!/usr/bin/env bash
# two_armed.sh: health checks on a two-armed LB (requests in on eth0, out to the backends on
# eth1). The probes leave through eth1 like the requests, but from eth0's address, so that the
# answers come back through eth0, where the LB program maps them back to the real address; from
# eth1's address they would never meet the program and every backend would look down. Both
# backends come up, one whose service stops goes down, no request reaches it, it comes back.
# VIP plain4 has dscp = none: its probes carry no mark and the backends know them by port.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/health/lib.sh"

e2e_setup --backends 2 --two-armed
health_backend_config "$TOPO_DIR/backend.conf" web4:4:10 web6:6:11 plain4:4:none:tcp:8080
for number in 1 2; do
	health_http_server --port 8080 "backend$number" "backend$number" "$TOPO_VIP4" ||
		e2e_bail "HTTP server on backend$number port 8080"
done
health_start "http interval=1s timeout=900ms rise=2 fall=2" \
	--vip web4:4:80:10 --vip web6:6:80:11 --vip plain4:4:8080:none 1 2
for family in 4 6; do
	for number in 1 2; do
		if health_wait "web$family" "$(health_rip "$number" "$family")" \
			'b["state"] + "/" + b["check"]["result"]' up/ok; then
			e2e_ok "two-armed: web$family backend$number up/ok"
		else
			e2e_fail "two-armed: web$family backend$number up/ok" "$HEALTH_LAST" \
				"$(e2e_ctl lb status)"
		fi
	done
done
for number in 1 2; do
	if health_wait plain4 "$(health_rip "$number" 4)" 'b["state"] + "/" + b["check"]["result"]' up/ok; then
		e2e_ok "dscp = none: plain4 backend$number up/ok (restored by port)"
	else
		e2e_fail "dscp = none: plain4 backend$number up/ok" "$HEALTH_LAST"
	fi
done
if grep -qF "health checks: probes leave eth0 from $TOPO_LB_ADDR4 and $TOPO_LB_ADDR6" \
	"$TOPO_DIR/l3dsrd-lb.log"; then
	e2e_ok "two-armed: probes leave from eth0's addresses ($TOPO_LB_ADDR4, $TOPO_LB_ADDR6)"
else
	e2e_fail "two-armed: probes leave from eth0's addresses" "$(grep 'probes leave' "$TOPO_DIR/l3dsrd-lb.log")"
fi

health_stop_pid "$TOPO_HTTP_PID_backend1"
for family in 4 6; do
	health_expect_state "two-armed: service stopped on backend1" "web$family" \
		"$(health_rip 1 "$family")" down
	health_spread_check "two-armed: service stopped on backend1" "$family" \
		$((20000 + family * 1000)) 30 backend1
done
health_http_server backend1 backend1 "$TOPO_VIP4" "$TOPO_VIP6"
for family in 4 6; do
	health_expect_state "two-armed: service back on backend1" "web$family" \
		"$(health_rip 1 "$family")" up
done

e2e_finish
