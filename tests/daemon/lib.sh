# lib.sh: what the daemon suites share: TAP lines, l3dsrd instances with a notify listener,
# configurations for the topology of tests/lib/topology.sh, UDP request streams.
#
# A suite sources this file, calls daemon_setup (topology, HTTP and UDP servers, private bpffs,
# teardown trap) or daemon_setup_plain (a temp dir and bpffs only), starts instances with
# daemon_start NAME HOST ROLE IFNAME CONFIG, checks with the TAP functions of the end-to-end
# library (e2e_ok, e2e_fail, e2e_check, e2e_bail; tap_json here) and ends with e2e_finish.
# Every instance runs with --pin-dir $D_BPFFS/HOST/IFNAME on a bpffs the suite mounted.

D_ROOT=${L3DSR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# The TAP functions and the topology (tests/lib/topology.sh), shared with the e2e suites.
# shellcheck source=../e2e/lib.sh
. "$D_ROOT/tests/e2e/lib.sh"

L3DSRD=$D_ROOT/src/l3dsrd
L3DSRCTL=$D_ROOT/src/l3dsrctl
D_BPF_DIR=$D_ROOT/bpf
D_LIB=$D_ROOT/tests/daemon
D_PYTHON=/usr/bin/python3
D_UDP_PORT=$E2E_UDP_PORT # the UDP VIPs of e2e_lb_config
D_PLAIN_NS=()        # namespaces made by daemon_netns (topology_down does not know them)
declare -A D_PID=()  # instance name -> l3dsrd pid (the ip netns exec process execs it)
declare -A D_HOST=() # instance name -> topology host or namespace
declare -A D_IFNAME=() # instance name -> its interface
declare -A D_NOTIFY_PID=()
declare -A D_STREAM_PID=()

# ---- setup and teardown ---------------------------------------------------------------------

daemon_teardown() {
	local name pid
	trap - EXIT INT TERM
	if ((TAP_FAILURES)); then
		for name in "${!D_PID[@]}"; do
			echo "# --- l3dsrd $name (last lines) ---"
			tail -n 20 "$TOPO_DIR/l3dsrd-$name.log" 2>/dev/null | sed 's/^/# /'
		done
	fi
	# SIGTERM first, so instances detach and unpin as they do in production.
	for pid in "${D_PID[@]}" "${D_STREAM_PID[@]}" "${D_NOTIFY_PID[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${D_PID[@]}" "${D_STREAM_PID[@]}" "${D_NOTIFY_PID[@]}"; do
		topology_reap "$pid"
	done
	# The topology; without it (daemon_setup_plain) the processes topology_track_pid was given.
	topology_down
	if [ -n "${TOPO_DIR:-}" ] && [ -d "$TOPO_DIR" ]; then
		umount "$TOPO_DIR/bpffs" 2>/dev/null
		rm -rf "$TOPO_DIR"
	fi
	for name in "${D_PLAIN_NS[@]}"; do
		ip netns del "$name" 2>/dev/null
	done
}

daemon_check_built() {
	local file
	for file in "$L3DSRD" "$L3DSRCTL" "$D_BPF_DIR/lb.bpf.o" "$D_BPF_DIR/backend.bpf.o"; do
		[ -e "$file" ] || e2e_bail "setup: $file exists (run make first)"
	done
}

# daemon_setup [topology_up options]: the topology with HTTP and UDP servers on every backend.
daemon_setup() {
	trap daemon_teardown EXIT
	trap 'e2e_fail "interrupted"; exit 130' INT TERM
	daemon_check_built
	topology_up "$@" || e2e_bail "setup: topology_up $*"
	topology_http_servers || e2e_bail "setup: HTTP servers on the backends"
	D_BPFFS=$(topology_bpffs) || e2e_bail "setup: a private bpffs"
	local i
	for i in "${!TOPO_BACKENDS[@]}"; do
		ip netns exec "${TOPO_NS_BACKENDS[$i]}" "$D_PYTHON" "$D_LIB/udp_echo.py" \
			--name "${TOPO_BACKENDS[$i]}" --port "$D_UDP_PORT" "$TOPO_VIP4" "$TOPO_VIP6" \
			>>"$TOPO_DIR/udp-${TOPO_BACKENDS[$i]}.log" 2>&1 &
		topology_track_pid $!
	done
}

# daemon_setup_plain: no topology, only a temp dir with a private bpffs (for daemon_netns).
daemon_setup_plain() {
	trap daemon_teardown EXIT
	trap 'e2e_fail "interrupted"; exit 130' INT TERM
	daemon_check_built
	TOPO_DIR=$(mktemp -d /tmp/l3dsr-daemon.XXXXXX) || e2e_bail "setup: a temp dir"
	TOPO_TAG=$(basename "$TOPO_DIR" | tr -dc 'a-zA-Z0-9' | tail -c 6)
	mkdir "$TOPO_DIR/bpffs" && mount -t bpf bpf "$TOPO_DIR/bpffs" || e2e_bail "setup: bpffs"
	D_BPFFS=$TOPO_DIR/bpffs
}

# daemon_netns NAME: a namespace of its own, named in D_NS, removed by the teardown (not to be
# called in a subshell, or the teardown would not know it).
daemon_netns() {
	D_NS=l3d-$TOPO_TAG-$1
	ip netns add "$D_NS" || return 1
	D_PLAIN_NS+=("$D_NS")
	ip -n "$D_NS" link set lo up
}

# Runs cmd in HOST, a topology host name or a namespace made by daemon_netns.
daemon_exec() {
	local host=$1
	shift
	if [[ $host == l3d-* ]]; then
		ip netns exec "$host" "$@"
	else
		topology_exec "$host" "$@"
	fi
}

# ---- instances ------------------------------------------------------------------------------

daemon_notify_log() { echo "$TOPO_DIR/notify-$1.log"; }
daemon_log() { echo "$TOPO_DIR/l3dsrd-$1.log"; }
# Pins mirror the default layout, one root per host: $D_BPFFS/HOST/IFNAME.
daemon_pin_root() { echo "$D_BPFFS/${D_HOST[$1]}"; }
daemon_pins() { echo "$D_BPFFS/${D_HOST[$1]}/${D_IFNAME[$1]}"; }

# daemon_count NAME PATTERN: lines of NAME's notify log matching the extended regex PATTERN.
daemon_count() {
	grep -cE "$2" "$(daemon_notify_log "$1")" 2>/dev/null
}

# daemon_start NAME HOST ROLE IFNAME CONFIG [l3dsrd options...]: starts l3dsrd with its own
# notify listener and pin directory; returns at once. D_PROBE, when set, is the listener's
# command to run at each READY=1 (see notify_probe.py). D_ENV may hold VAR=value words.
daemon_start() {
	local name=$1 host=$2 role=$3 ifname=$4 config=$5 socket tries=50
	shift 5
	socket=$TOPO_DIR/notify-$name.sock
	D_HOST[$name]=$host
	D_IFNAME[$name]=$ifname
	mkdir -p "$(daemon_pin_root "$name")"
	if [ -z "${D_NOTIFY_PID[$name]:-}" ]; then
		"$D_PYTHON" "$D_LIB/notify_probe.py" "$socket" "$(daemon_notify_log "$name")" \
			${D_PROBE:+"$D_PROBE"} </dev/null >/dev/null 2>>"$TOPO_DIR/notify-$name.err" &
		D_NOTIFY_PID[$name]=$!
		while ((tries--)) && [ ! -S "$socket" ]; do
			sleep 0.1
		done
	fi
	# shellcheck disable=SC2086
	env NOTIFY_SOCKET="$socket" ${D_ENV:-} ip netns exec "$(daemon_ns "$host")" "$L3DSRD" \
		--role "$role" --interface "$ifname" --config "$config" --bpf-dir "$D_BPF_DIR" \
		--pin-dir "$(daemon_pins "$name")" "$@" </dev/null >>"$(daemon_log "$name")" 2>&1 &
	D_PID[$name]=$!
}

daemon_ns() {
	if [[ $1 == l3d-* ]]; then echo "$1"; else topology_ns "$1"; fi
}

# daemon_wait NAME PATTERN COUNT [SECONDS]: waits until NAME's notify log has COUNT lines
# matching PATTERN; fails early when the daemon exits.
daemon_wait() {
	local name=$1 pattern=$2 count=$3 tries=$((${4:-20} * 10))
	while ((tries--)); do
		(($(daemon_count "$name" "$pattern") >= count)) && return 0
		topology_running "${D_PID[$name]}" || break
		sleep 0.1
	done
	(($(daemon_count "$name" "$pattern") >= count))
}

daemon_wait_ready() {
	daemon_wait "$1" ': READY=1' "$2" "${3:-20}"
}

# daemon_start_ready NAME HOST ROLE IFNAME CONFIG: daemon_start, then waits for its READY=1.
# Not to be run in a subshell ($(...)): the instance must stay known to this shell. On failure
# D_ERROR says why.
daemon_start_ready() {
	local ready
	ready=$(daemon_count "$1" ': READY=1')
	daemon_start "$@"
	daemon_wait_ready "$1" $((ready + 1)) && return 0
	D_ERROR="l3dsrd $1: no READY=1 within 20 s; its log:
$(tail -n 20 "$(daemon_log "$1")")"
	return 1
}

# daemon_reload NAME: SIGHUP, then waits for the RELOADING=1 and the READY=1 that close it.
daemon_reload() {
	local name=$1 reloading ready
	reloading=$(daemon_count "$name" 'RELOADING=1')
	ready=$(daemon_count "$name" ': READY=1')
	kill -HUP "${D_PID[$name]}" || return 1
	daemon_wait "$name" 'RELOADING=1' $((reloading + 1)) &&
		daemon_wait_ready "$name" $((ready + 1))
}

# daemon_stop NAME: SIGTERM and wait; D_STATUS gets the exit status (not in a subshell).
daemon_stop() {
	local name=$1
	kill -TERM "${D_PID[$name]}" 2>/dev/null
	wait "${D_PID[$name]}"
	D_STATUS=$?
	unset "D_PID[$name]"
}

# daemon_ctl NAME args...: l3dsrctl on NAME's host, pointed at the suite's bpffs.
daemon_ctl() {
	local name=$1
	shift
	daemon_exec "${D_HOST[$name]}" "$L3DSRCTL" --pin-root "$(daemon_pin_root "$name")" "$@"
}

# daemon_json EXPRESSION: evaluates a Python EXPRESSION over the JSON on stdin (as "j").
daemon_json() {
	"$D_PYTHON" -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# tap_json WHAT JSON CHECKS: CHECKS is a Python expression giving a list of (description, bool)
# over the parsed JSON "j"; vip(instance, name) picks a VIP. Ok when every bool holds; else the
# failing descriptions and the JSON are the detail.
tap_json() {
	local what=$1 json=$2 out
	if out=$(printf '%s' "$json" | "$D_PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
def vip(instance, name):
    return [v for v in instance["vips"] if v["name"] == name][0]
failed = [what for what, holds in eval("(" + sys.argv[1] + ")") if not holds]
print("\n".join("does not hold: " + what for what in failed))
sys.exit(1 if failed else 0)' "$3" 2>&1); then
		e2e_ok "$what"
	else
		e2e_fail "$what" "$out" "JSON: $json"
	fi
}

# daemon_xdp_id HOST IFNAME: the id of the XDP program on IFNAME, empty when none.
daemon_xdp_id() {
	daemon_exec "$1" ip -d link show "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

# daemon_map_id NAME MAP: the id of the map pinned as MAP by instance NAME.
daemon_map_id() {
	bpftool -j map show pinned "$(daemon_pins "$1")/$2" | daemon_json 'j["id"]'
}

# ---- configurations -------------------------------------------------------------------------

# daemon_lb_config FILE [--flow-table N] BACKEND[:WEIGHT]...: e2e_lb_config's four VIPs (web4/web6
# tcp 80, DSCP 10/11; udp4/udp6 udp D_UDP_PORT, DSCP 12/13), table size 1009, default checks.
daemon_lb_config() {
	local file=$1
	shift
	e2e_lb_config "$file" --table-size 1009 --default-checks "$@"
}

# daemon_start_all: backend instances on every backend, then the LB with backend1 and backend2
# (with D_LB_PROBE and D_LB_ENV as its D_PROBE and D_ENV, and D_LB_L3DSRD, when set, as the
# binary it runs).
daemon_start_all() {
	local host
	e2e_backend_config "$TOPO_DIR/backend.conf"
	daemon_lb_config "$TOPO_DIR/lb.conf" 1 2
	for host in "${TOPO_BACKENDS[@]}"; do
		daemon_start_ready "$host" "$host" backend eth0 "$TOPO_DIR/backend.conf" ||
			e2e_bail "l3dsrd --role backend on $host: READY=1" "$D_ERROR"
	done
	L3DSRD=${D_LB_L3DSRD:-$L3DSRD} D_PROBE=${D_LB_PROBE:-} D_ENV=${D_LB_ENV:-} \
		daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd --role lb: READY=1" "$D_ERROR"
}

# ---- requests -------------------------------------------------------------------------------

# daemon_http FAMILY LOCAL_PORT: one GET / through the VIP; prints the backend that answered.
daemon_http() {
	local url="http://$TOPO_VIP4/"
	[ "$1" = 6 ] && url="http://[$TOPO_VIP6]/"
	topology_exec client curl -"$1" -sS --fail --max-time 5 --local-port "$2" -g "$url"
}

# daemon_stream_start NAME FAMILY FIRST_PORT: a continuous UDP request stream from the client.
daemon_stream_start() {
	local name=$1 address=$TOPO_VIP4 tries=100
	[ "$2" = 6 ] && address=$TOPO_VIP6
	rm -f "$TOPO_DIR/stream-$name.stop"
	topology_exec client "$D_PYTHON" "$D_LIB/udp_stream.py" "$address" "$D_UDP_PORT" \
		"$TOPO_DIR/stream-$name.log" "$TOPO_DIR/stream-$name.stop" --first-port "$3" \
		</dev/null >"$TOPO_DIR/stream-$name.result" 2>&1 &
	D_STREAM_PID[$name]=$!
	# Returns once the stream is flowing.
	while ((tries--)) && (($(daemon_stream_position "$name") < 5)); do
		sleep 0.1
	done
}

# daemon_udp_ask FAMILY FIRST_PORT COUNT: one UDP request from each source port FIRST_PORT..;
# prints "SOURCE_PORT BACKEND" lines (BACKEND is LOST when unanswered within 1 s).
daemon_udp_ask() {
	local address=$TOPO_VIP4 log
	[ "$1" = 6 ] && address=$TOPO_VIP6
	log=$(mktemp "$TOPO_DIR/ask.XXXXXX")
	topology_exec client "$D_PYTHON" "$D_LIB/udp_stream.py" "$address" "$D_UDP_PORT" "$log" \
		"$TOPO_DIR/never" --first-port "$2" --ports "$3" --count "$3" --timeout 1 >/dev/null
	awk '{ print $2, $3 }' "$log"
	rm -f "$log"
}

# How many requests the stream NAME has completed so far.
daemon_stream_position() {
	if [ -e "$TOPO_DIR/stream-$1.log" ]; then
		wc -l <"$TOPO_DIR/stream-$1.log"
	else
		echo 0
	fi
}

# daemon_stream_wait NAME COUNT: until the stream NAME has completed COUNT requests (30 s at most).
daemon_stream_wait() {
	local tries=300
	while ((tries--)) && (($(daemon_stream_position "$1") < $2)); do
		sleep 0.1
	done
}

# daemon_stream_stop NAME: stops it; D_SUMMARY gets "sent N answered N lost N" and D_LOST the
# number lost (not in a subshell).
daemon_stream_stop() {
	touch "$TOPO_DIR/stream-$1.stop"
	wait "${D_STREAM_PID[$1]}"
	unset "D_STREAM_PID[$1]"
	D_SUMMARY=$(cat "$TOPO_DIR/stream-$1.result")
	D_LOST=$(sed -n 's/.* lost \([0-9]*\)$/\1/p' <<<"$D_SUMMARY")
	D_LOST=${D_LOST:-unknown}
}

# daemon_stream_backends NAME FROM [TO]: the backends that answered requests FROM..TO-1 (sorted,
# unique, LOST included when some were).
daemon_stream_backends() {
	awk -v from="$2" -v to="${3:-999999999}" '$1 >= from && $1 < to { print $3 }' \
		"$TOPO_DIR/stream-$1.log" | sort -u | tr '\n' ' ' | sed 's/ $//'
}
