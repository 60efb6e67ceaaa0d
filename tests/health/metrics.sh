#!/usr/bin/env bash
# metrics.sh: the statistics file (statistics-file) of the real LB daemon: it parses with
# Prometheus' Python client parser, every family has HELP and TYPE and is in docs/metrics.md,
# its counters agree with `l3dsrctl -j stats` read before and after it was written, backend state
# shows in l3dsr_backend_up, it is replaced atomically (0644, no temporary left), follows a
# reload to another path and is removed when the daemon stops.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/health/lib.sh"

CHECK_SCRIPT=$HEALTH_ROOT/tests/health/metrics_check.py
DOCS=$HEALTH_ROOT/docs/metrics.md

e2e_setup --backends 2
mkdir -p "$TOPO_DIR/textfile" "$TOPO_DIR/textfile2"
PROM=$TOPO_DIR/textfile/l3dsr.prom
health_start "http interval=1s timeout=900ms rise=2 fall=2" --global "statistics-file = $PROM" 1 2

# Runs metrics_check.py; its "ok N - " / "not ok N - " lines become this suite's TAP lines.
metrics_check() {
	local line failed=0
	while IFS= read -r line; do
		case $line in
		"ok "*) e2e_ok "${line#* - }" ;;
		"not ok "*)
			failed=1
			e2e_fail "${line#* - }"
			;;
		1..*) ;;
		"# "*) e2e_note "${line#\# }" ;;
		*) e2e_note "$line" ;;
		esac
	done < <("$E2E_PYTHON" "$CHECK_SCRIPT" "$@" 2>&1)
	return $failed
}

# The file's modification time, to the nanosecond ("" while there is none).
mtime() {
	stat -c %.9Y "$1" 2>/dev/null
}

# wait_rewrites FILE N: returns once FILE has been replaced N more times (bounded).
wait_rewrites() {
	local file=$1 count=$2 last now tries=$((HEALTH_WAIT_SECONDS * 10))
	last=$(mtime "$file")
	while ((count > 0 && tries-- > 0)); do
		now=$(mtime "$file")
		if [ -n "$now" ] && [ "$now" != "$last" ]; then
			count=$((count - 1))
			last=$now
		fi
		sleep 0.1
	done
	((count == 0))
}

for family in 4 6; do
	for number in 1 2; do
		health_wait "web$family" "$(health_rip "$number" "$family")" 'b["check"]["result"]' ok ||
			e2e_bail "start: web$family backend$number checked ok" "$HEALTH_LAST"
	done
done
e2e_ok "start: every backend checked ok"
for family in 4 6; do
	health_spread_check "traffic for the counters" "$family" $((20000 + family * 1000)) 40 -
done

# --- the file as Prometheus reads it -----------------------------------------------------------
wait_rewrites "$PROM" 1 || e2e_bail "$PROM is written" "$(ls -la "$TOPO_DIR/textfile")"
metrics_check parse "$PROM" "$DOCS"
mode=$(stat -c %a "$PROM")
left=$(find "$TOPO_DIR/textfile" -mindepth 1 ! -name l3dsr.prom | wc -l)
if [ "$mode" = 644 ] && [ "$left" = 0 ]; then
	e2e_ok "the file is mode 644, alone in its directory (no temporary file left)"
else
	e2e_fail "the file is mode 644, alone in its directory" "mode $mode" "$(ls -la "$TOPO_DIR/textfile")"
fi

# --- its counters against l3dsrctl: before <= file <= after -------------------------------------
# The file is read only after two rewrites that both began after the first l3dsrctl read: the
# values it holds were read from the maps after that read ended.
e2e_ctl lb -j stats >"$TOPO_DIR/stats-before.json"
wait_rewrites "$PROM" 2 || e2e_bail "$PROM rewritten twice" "$(ls -la --time-style=full-iso "$PROM")"
cp "$PROM" "$TOPO_DIR/snapshot.prom"
e2e_ctl lb -j stats >"$TOPO_DIR/stats-after.json"
metrics_check compare "$TOPO_DIR/snapshot.prom" "$TOPO_DIR/stats-before.json" \
	"$TOPO_DIR/stats-after.json"
packets=$("$E2E_PYTHON" "$CHECK_SCRIPT" value "$TOPO_DIR/snapshot.prom" l3dsr_vip_packets_total vip=web4)
if [ "$packets" != absent ] && ((packets > 0)); then
	e2e_ok "l3dsr_vip_packets_total{vip=\"web4\"} counted the requests: $packets"
else
	e2e_fail "l3dsr_vip_packets_total{vip=\"web4\"} counted the requests" "$packets"
fi
for metric in l3dsr_backend_up l3dsr_backend_takes_new_flows; do
	value=$("$E2E_PYTHON" "$CHECK_SCRIPT" value "$TOPO_DIR/snapshot.prom" "$metric" \
		vip=web6 "backend=$(health_rip 2 6)")
	if [ "$value" = 1 ]; then
		e2e_ok "$metric of web6 backend2 is 1"
	else
		e2e_fail "$metric of web6 backend2 is 1" "$value"
	fi
done
latency=$("$E2E_PYTHON" "$CHECK_SCRIPT" value "$TOPO_DIR/snapshot.prom" \
	l3dsr_backend_check_latency_seconds vip=web4 "backend=$(health_rip 1 4)")
if [ "$latency" != absent ] && awk -v l="$latency" 'BEGIN { exit !(l > 0 && l < 0.9) }'; then
	e2e_ok "l3dsr_backend_check_latency_seconds of web4 backend1: $latency s, within the timeout"
else
	e2e_fail "l3dsr_backend_check_latency_seconds of web4 backend1 within the timeout" "$latency"
fi

# --- a backend down ------------------------------------------------------------------------------
health_stop_pid "$TOPO_HTTP_PID_backend2"
health_expect_state "service stopped on backend2" web4 "$(health_rip 2 4)" down
wait_rewrites "$PROM" 1 || e2e_bail "$PROM rewritten"
cp "$PROM" "$TOPO_DIR/down.prom"
up=$("$E2E_PYTHON" "$CHECK_SCRIPT" value "$TOPO_DIR/down.prom" l3dsr_backend_up vip=web4 \
	"backend=$(health_rip 2 4)")
refused=$("$E2E_PYTHON" "$CHECK_SCRIPT" value "$TOPO_DIR/down.prom" l3dsr_backend_checks_total \
	vip=web4 "backend=$(health_rip 2 4)" result=connect_refused)
changes=$("$E2E_PYTHON" "$CHECK_SCRIPT" value "$TOPO_DIR/down.prom" \
	l3dsr_backend_state_changes_total vip=web4 "backend=$(health_rip 2 4)")
if [ "$up" = 0 ] && [ "$refused" != absent ] && ((refused >= 2)) && [ "$changes" = 1 ]; then
	e2e_ok "backend2 down: l3dsr_backend_up 0, $refused checks connect_refused, 1 state change"
else
	e2e_fail "backend2 down: l3dsr_backend_up 0, checks connect_refused, 1 state change" \
		"up $up, connect_refused $refused, state changes $changes"
fi

# --- reload to another path, then stop -----------------------------------------------------------
PROM2=$TOPO_DIR/textfile2/l3dsr.prom
health_lb_config "$TOPO_DIR/lb-moved.conf" "http interval=1s timeout=900ms rise=2 fall=2" \
	--global "statistics-file = $PROM2" 1 2
out=$(e2e_reload lb "$TOPO_DIR/lb-moved.conf" 2>&1) || e2e_bail "reload to another statistics-file" "$out"
if [ -f "$PROM2" ] && [ ! -e "$PROM" ]; then
	e2e_ok "reload: the file moved to the new statistics-file; the old one is gone"
else
	e2e_fail "reload: the file moved to the new statistics-file" "$(ls -la "$TOPO_DIR"/textfile*)"
fi
metrics_check parse "$PROM2" "$DOCS"
kill -TERM "${E2E_DAEMON_PID[lb]}"
topology_reap "${E2E_DAEMON_PID[lb]}"
unset 'E2E_DAEMON_PID[lb]'
if [ ! -e "$PROM2" ]; then
	e2e_ok "SIGTERM: the statistics file is removed with the instance"
else
	e2e_fail "SIGTERM: the statistics file is removed with the instance"
fi

e2e_finish
