#!/usr/bin/env bash
# health_memory.sh: an adopting daemon starts from the health the pinned records keep. backend2's
# service is stopped until both VIPs hold it down; the LB daemon is SIGKILLed and started again.
# At its READY=1 (the daemon held still there by the notify listener, before any check of its
# own has run) backend2 has no slot in either ring and every new request goes to backend1; it
# stays down, and once its service is back it comes up after `rise` checks and takes requests
# again. The checks are 10 s apart, so a daemon that presumed backend2 up would still hold it
# in the rings when the probe looks.
set -u
. "$(dirname "$0")/lib.sh"

CHECK="tcp interval=10s timeout=1s rise=2 fall=1"
SPREAD=$D_ROOT/tests/health/spread.py

daemon_setup --backends 2
rip4_2=${TOPO_BACKEND_ADDR4[1]}
rip6_2=${TOPO_BACKEND_ADDR6[1]}

conf_lb --global "flow-table-size = 65536" --vip web4:4:tcp:80:10 --vip web6:6:tcp:80:11 \
	--line "table-size = 1009" --line "check = $CHECK" 1 2 >"$TOPO_DIR/lb.conf"
conf_backend web4:4:10 web6:6:11 >"$TOPO_DIR/backend.conf"
for host in "${TOPO_BACKENDS[@]}"; do
	daemon_start_ready "$host" "$host" backend eth0 "$TOPO_DIR/backend.conf" ||
		e2e_bail "l3dsrd --role backend on $host: READY=1" "$D_ERROR"
done

# The probe at each READY=1 of the LB: backend2's slots in both rings, then 40 new connections
# to each VIP, by who answered.
D_PROBE="ip netns exec $TOPO_NS_LB $L3DSRCTL --pin-root $D_BPFFS/lb -j status |
	$D_PYTHON -c 'import json, sys
for v in json.load(sys.stdin)[0][\"vips\"]:
    for b in v[\"backends\"]:
        if b[\"address\"] in (\"$rip4_2\", \"$rip6_2\"):
            print(\"slots\", v[\"name\"], b[\"slots\"], b[\"state\"])'
for vip in $TOPO_VIP4 $TOPO_VIP6; do
	ip netns exec $TOPO_NS_CLIENT $D_PYTHON $SPREAD --first-port \$((40000 + 1\$(date +%N) % 20000)) --count 40 \$vip |
		sed \"s/^/spread \$vip /\"
done"
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd --role lb: READY=1" "$D_ERROR"

# backend_state VIP ADDRESS: its state in `l3dsrctl -j status`, and its last check's result.
backend_state() {
	daemon_ctl lb -j status 2>/dev/null | daemon_json \
		'[(b["state"], (b.get("check") or {}).get("result")) for v in j[0]["vips"] if v["name"] == "'"$1"'" for b in v["backends"] if b["address"] == "'"$2"'"][0]'
}
# wait_state VIP ADDRESS STATE: polls (60 s at most: only a wrong state fails) until STATE.
wait_state() {
	local tries=600
	while ((tries--)); do
		STATE=$(backend_state "$1" "$2")
		[[ $STATE == "('$3', 'ok')" || ($3 == down && $STATE == "('down',"*) ]] && return 0
		sleep 0.1
	done
	return 1
}
# expect_backend2 WHAT STATE ON_FAILURE: one TAP line per VIP for backend2 reaching STATE;
# ON_FAILURE is e2e_fail or e2e_bail.
expect_backend2() {
	local vip
	for vip in web4:$rip4_2 web6:$rip6_2; do
		if wait_state "${vip%%:*}" "${vip#*:}" "$2"; then
			e2e_ok "$1: ${vip%%:*} holds ${vip#*:} $2"
		else
			"$3" "$1: ${vip%%:*} holds ${vip#*:} $2" "$STATE"
		fi
	done
}
# probe_lines N: the PROBE lines of the LB's Nth READY=1.
probe_lines() {
	awk -v n="$1" '/: READY=1/ { ready++ } ready == n && /^PROBE: / { sub(/^PROBE: /, ""); print }' \
		"$(daemon_notify_log lb)"
}

for vip in web4:${TOPO_BACKEND_ADDR4[0]} web6:${TOPO_BACKEND_ADDR6[0]} web4:$rip4_2 web6:$rip6_2; do
	wait_state "${vip%%:*}" "${vip#*:}" up || e2e_bail "start: ${vip%%:*} backend ${vip#*:} checked up" "$STATE"
done
e2e_ok "start: both backends of web4 and web6 checked up"

kill "$TOPO_HTTP_PID_backend2"
topology_reap "$TOPO_HTTP_PID_backend2"
expect_backend2 "service stopped on backend2" down e2e_bail

# --- SIGKILL and a new daemon that adopts the pins --------------------------------------------
kill -KILL "${D_PID[lb]}"
wait "${D_PID[lb]}" 2>/dev/null
unset "D_PID[lb]"
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd restarted" "$D_ERROR"
probe=$(probe_lines 2)
problems=()
for name in web4 web6; do
	grep -qx "slots $name 0 down" <<<"$probe" || problems+=("$name: backend2 has slots or is not down")
done
for vip in $TOPO_VIP4 $TOPO_VIP6; do
	grep -qx "spread $vip backend1 40" <<<"$probe" || problems+=("$vip: not all 40 requests answered by backend1")
	grep -qx "spread $vip failed 0" <<<"$probe" || problems+=("$vip: some requests failed")
done
if ((${#problems[@]} == 0)); then
	e2e_ok "at the restarted daemon's READY=1 backend2 has no slot in either ring; 2 x 40 new connections all answered by backend1"
else
	e2e_fail "at the restarted daemon's READY=1 backend2 is out of the rings" "${problems[@]}" "probe: $probe"
fi
restart_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
problems=()
for vip in web4:$rip4_2 web6:$rip6_2; do
	grep -qF "vip ${vip%%:*}: backend ${vip#*:} stays down as the previous daemon left it" <<<"$restart_log" ||
		problems+=("no 'stays down' line for ${vip%%:*}")
done
grep -qF 'starting from the state the pinned records keep for 4 backends' <<<"$restart_log" ||
	problems+=("no 'starting from the state the pinned records keep for 4 backends'")
grep -q 'up -> down\|moved' <<<"$restart_log" && problems+=("the restart moved slots or took a backend down again")
((${#problems[@]} == 0)) || problems+=("log: $restart_log")
e2e_expect_none "the new daemon says it starts from the pinned health, and moves no slot" \
	"${problems[@]}"

# A check of backend2 by the new daemon: still down, and still no slot.
checks=$(daemon_ctl lb -j status | daemon_json '[b["check"]["checks"] for v in j[0]["vips"] if v["name"] == "web4" for b in v["backends"] if b["address"] == "'"$rip4_2"'"][0]')
tries=300
while ((tries--)) && [ "$(daemon_ctl lb -j status | daemon_json '[b["check"]["checks"] for v in j[0]["vips"] if v["name"] == "web4" for b in v["backends"] if b["address"] == "'"$rip4_2"'"][0]')" = "$checks" ]; do
	sleep 0.1
done
slots=$(daemon_ctl lb -j status | daemon_json '[(b["state"], b["slots"]) for v in j[0]["vips"] for b in v["backends"] if b["address"] in ("'"$rip4_2"'", "'"$rip6_2"'")]')
if [ "$slots" = "[('down', 0), ('down', 0)]" ]; then
	e2e_ok "after the new daemon's own checks of backend2 it is still down with no slot"
else
	e2e_fail "after the new daemon's own checks of backend2 it is still down with no slot" "$slots"
fi

# --- its service back: up after rise checks, and new connections reach it --------------------
ip netns exec "${TOPO_NS_BACKENDS[1]}" "$D_PYTHON" "$D_ROOT/tests/lib/http_backend.py" --name backend2 \
	--port 80 "$TOPO_VIP4" "$TOPO_VIP6" >>"$TOPO_DIR/http-backend2.log" 2>&1 &
topology_track_pid $!
topology_wait_listen backend2 80 "$TOPO_VIP4" "[$TOPO_VIP6]" || e2e_bail "backend2's service started again"
expect_backend2 "service back on backend2" up e2e_fail
if grep -qF "vip web4: backend $rip4_2 down -> up (2 checks ok)" "$(daemon_log lb)"; then
	e2e_ok "it came up after rise = 2 checks: 'vip web4: backend $rip4_2 down -> up (2 checks ok)'"
else
	e2e_fail "it came up after rise = 2 checks" "$(grep -F "$rip4_2" "$(daemon_log lb)")"
fi
for vip in $TOPO_VIP4 $TOPO_VIP6; do
	out=$(topology_exec client "$D_PYTHON" "$SPREAD" --first-port 30000 --count 60 "$vip" 2>&1)
	if grep -q '^backend2 [1-9]' <<<"$out" && grep -qx 'failed 0' <<<"$out"; then
		e2e_ok "$vip: new connections reach backend2 again ($(tr '\n' ' ' <<<"$out"))"
	else
		e2e_fail "$vip: new connections reach backend2 again" "$out"
	fi
done

e2e_finish
