#!/usr/bin/env bash
# two_armed.sh: health checks on a two-armed LB (requests in on eth0, out to the backends on
# eth1). The probes leave through eth1 like the requests, but from eth0's address, so that the
# answers come back through eth0, where the LB program maps them back to the real address; from
# eth1's address they would never meet the program and every backend would look down. Both
# backends come up, one whose service stops goes down, no request reaches it, it comes back.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/health/lib.sh"

e2e_setup --backends 2 --two-armed
health_start "http interval=1s timeout=900ms rise=2 fall=2" 1 2
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
