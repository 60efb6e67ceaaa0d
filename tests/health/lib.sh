# lib.sh: what the health-check suites share, on top of tests/e2e/lib.sh (topology, daemons,
# TAP, requests): an lb.conf with checks, reading a backend's state from `l3dsrctl -j status`,
# waiting for a state (a generous bound: the state decides, never the time it took).

HEALTH_ROOT=${L3DSR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../e2e/lib.sh
. "$HEALTH_ROOT/tests/e2e/lib.sh"

# How long a state may take to be reached before the suite calls it missing: far above what
# any check configuration of these suites needs, so only a wrong state fails.
HEALTH_WAIT_SECONDS=${HEALTH_WAIT_SECONDS:-60}

# health_lb_config FILE CHECK [--global LINE]... [--vip NAME:FAMILY:PORT:DSCP]... BACKEND[:WEIGHT]...
# Writes an lb.conf with the VIPs given (default web4 and web6, tcp port 80, DSCP 10 and 11),
# each with the backends given (numbers, 1 = backend1) and "check = CHECK".
health_lb_config() {
	local file=$1 check=$2 options=() vips=0 name family port dscp
	shift 2
	while (($#)); do
		case $1 in
		--global) options+=("$1" "$2") ;;
		--vip)
			IFS=: read -r name family port dscp <<<"$2"
			options+=(--vip "$name:$family:tcp:$port:$dscp")
			vips=$((vips + 1))
			;;
		*) break ;;
		esac
		shift 2
	done
	((vips)) || options+=(--vip web4:4:tcp:80:10 --vip web6:6:tcp:80:11)
	conf_lb --global "flow-table-size = 65536" "${options[@]}" --line "check = $check" "$@" \
		>"$file"
}

# health_backend_config FILE [NAME:FAMILY:DSCP[:PROTOCOL:PORT]]...: the backends' side (default
# web4, web6).
health_backend_config() {
	local file=$1
	shift
	(($#)) || set -- web4:4:10 web6:6:11
	conf_backend "$@" >"$file"
}

# health_start CHECK [health_lb_config options] BACKEND...: backends' daemons, then the LB's with
# those VIPs; bails out of the suite when one does not become ready.
health_start() {
	health_lb_config "$TOPO_DIR/lb.conf" "$@"
	[ -f "$TOPO_DIR/backend.conf" ] || health_backend_config "$TOPO_DIR/backend.conf"
	health_start_daemons
}

# health_start_daemons: the backends' daemons with $TOPO_DIR/backend.conf, then the LB's with
# $TOPO_DIR/lb.conf, for a suite that wrote those files itself.
health_start_daemons() {
	# Not in $(...): the daemons and listeners started must stay known to this shell.
	local host
	for host in "${TOPO_BACKENDS[@]}"; do
		e2e_start_daemon "$host" backend "$TOPO_DIR/backend.conf" \
			>"$TOPO_DIR/start-$host.out" 2>&1 </dev/null ||
			e2e_bail "l3dsrd --role backend ready on $host" "$(cat "$TOPO_DIR/start-$host.out")"
	done
	e2e_start_daemon lb lb "$TOPO_DIR/lb.conf" >"$TOPO_DIR/start-lb.out" 2>&1 </dev/null ||
		e2e_bail "l3dsrd --role lb ready" "$(cat "$TOPO_DIR/start-lb.out")"
	e2e_ok "l3dsrd ready on the LB and on ${TOPO_BACKENDS[*]}"
}

health_rip() {
	local number=$1 family=$2
	if [ "$family" = 4 ]; then
		echo "${TOPO_BACKEND_ADDR4[$((number - 1))]}"
	else
		echo "${TOPO_BACKEND_ADDR6[$((number - 1))]}"
	fi
}

# health_query VIP BACKEND_ADDRESS|- PYTHON_EXPRESSION: evaluates the expression on the VIP's
# (v) and the backend's (b) objects of `l3dsrctl -j status` on the LB; prints the result.
health_query() {
	e2e_ctl lb -j status 2>/dev/null | "$E2E_PYTHON" -c '
import json, sys
vip, backend, expression = sys.argv[1:4]
for instance in json.load(sys.stdin):
    for v in instance["vips"]:
        if v["name"] != vip:
            continue
        b = None
        if backend != "-":
            matches = [b for b in v["backends"] if b["address"] == backend]
            if not matches:
                sys.exit(1)
            b = matches[0]
        print(eval(expression))
        sys.exit(0)
sys.exit(1)' "$@"
}

# health_wait VIP BACKEND_ADDRESS|- PYTHON_EXPRESSION EXPECTED: polls until the expression
# prints EXPECTED; 1 when it never does within HEALTH_WAIT_SECONDS. HEALTH_WAITED holds the
# seconds it took (for notes, never for verdicts) and HEALTH_LAST the last value seen.
health_wait() {
	local vip=$1 backend=$2 expression=$3 expected=$4 start now
	start=$(date +%s.%N)
	while :; do
		HEALTH_LAST=$(health_query "$vip" "$backend" "$expression")
		now=$(date +%s.%N)
		HEALTH_WAITED=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
		[ "$HEALTH_LAST" = "$expected" ] && return 0
		awk -v w="$HEALTH_WAITED" -v m="$HEALTH_WAIT_SECONDS" 'BEGIN { exit !(w > m) }' &&
			return 1
		sleep 0.2
	done
}

# health_expect_state WHAT VIP BACKEND_ADDRESS STATE: TAP line for the backend reaching STATE.
health_expect_state() {
	local what=$1 vip=$2 backend=$3 state=$4
	if health_wait "$vip" "$backend" 'b["state"]' "$state"; then
		e2e_ok "$what: vip $vip backend $backend $state (after ${HEALTH_WAITED} s)"
	else
		e2e_fail "$what: vip $vip backend $backend $state" \
			"still '$HEALTH_LAST' after ${HEALTH_WAIT_SECONDS} s" \
			"$(e2e_ctl lb status 2>&1)"
	fi
}

# health_log_count PATTERN: lines of the LB daemon's log matching the fixed string PATTERN.
health_log_count() {
	grep -cF -- "$1" "$TOPO_DIR/l3dsrd-lb.log"
}

# health_expect_log WHAT LINE: the LB daemon logged exactly LINE (after its <N> prefix).
health_expect_log() {
	if grep -qxF -- "<6>$2" "$TOPO_DIR/l3dsrd-lb.log" ||
		grep -qxF -- "<4>$2" "$TOPO_DIR/l3dsrd-lb.log"; then
		e2e_ok "$1: logged \"$2\""
	else
		e2e_fail "$1: logged \"$2\"" "$(grep -F 'vip ' "$TOPO_DIR/l3dsrd-lb.log" | tail -n 20)"
	fi
}

# health_http_server [--port PORT] [--silent] HOST NAME ADDRESS...: an HTTP server of tests/lib
# on HOST (port 80 by default), or with --silent one that accepts and never answers; its pid in
# HEALTH_PID, killed by the teardown if still running.
health_http_server() {
	local port=80 server=("$TOPO_LIB_DIR/http_backend.py" --name)
	if [ "$1" = --port ]; then
		port=$2
		shift 2
	fi
	if [ "$1" = --silent ]; then
		server=("$HEALTH_ROOT/tests/health/silent_server.py" --name)
		shift
	fi
	local host=$1 name=$2
	shift 2
	# ip netns exec directly, not a shell function: $! is then the server itself.
	ip netns exec "$(topology_ns "$host")" "$E2E_PYTHON" "${server[@]}" "$name" \
		--port "$port" "$@" >>"$TOPO_DIR/http-$name.log" 2>&1 &
	HEALTH_PID=$!
	topology_track_pid "$HEALTH_PID"
	local address listen=()
	for address in "$@"; do
		if [[ $address == *:* ]]; then
			listen+=("[$address]")
		else
			listen+=("$address")
		fi
	done
	topology_wait_listen "$host" "$port" "${listen[@]}"
}

# health_stop_pid PID: SIGTERM and wait (a process this suite started).
health_stop_pid() {
	kill "$1" 2>/dev/null
	topology_reap "$1"
}

# health_spread FAMILY FIRST_PORT COUNT: like e2e_spread (fills E2E_SPREAD and
# E2E_SPREAD_FAILED), with the requests made by one process, several at a time: the test
# servers take a few hundred milliseconds per request.
health_spread() {
	local family=$1 first=$2 count=$3 vip=$TOPO_VIP4 name number host
	[ "$family" = 6 ] && vip=$TOPO_VIP6
	E2E_SPREAD=()
	E2E_SPREAD_FAILED=$count
	for host in "${TOPO_BACKENDS[@]}"; do
		E2E_SPREAD[$host]=0
	done
	while read -r name number; do
		if [ "$name" = failed ]; then
			E2E_SPREAD_FAILED=$number
		else
			E2E_SPREAD[$name]=$number
		fi
	done < <(topology_exec client "$E2E_PYTHON" "$HEALTH_ROOT/tests/health/spread.py" \
		--first-port "$first" --count "$count" "$vip" 2>>"$TOPO_DIR/spread.err")
}

# health_spread_check WHAT FAMILY FIRST_PORT COUNT ABSENT: COUNT requests all answered, none by
# the backend named ABSENT (backendN; "-" for no such condition).
health_spread_check() {
	local what=$1 family=$2 first=$3 count=$4 absent=$5
	health_spread "$family" "$first" "$count"
	if ((E2E_SPREAD_FAILED == 0)) && { [ "$absent" = - ] || ((${E2E_SPREAD[$absent]:-0} == 0)); }; then
		e2e_ok "$what: IPv$family, $count requests all answered$([ "$absent" = - ] ||
			echo ", none by $absent") ($(e2e_spread_text))"
	else
		e2e_fail "$what: IPv$family, $count requests all answered$([ "$absent" = - ] ||
			echo ", none by $absent")" \
			"$E2E_SPREAD_FAILED failed; spread: $(e2e_spread_text)"
	fi
}
