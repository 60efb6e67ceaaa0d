# lib.sh: what every end-to-end suite shares: TAP output, the daemons, configs, requests, captures.
#
# A suite sources this file, calls e2e_setup (topology + HTTP servers + teardown trap), then
# e2e_start_lb / e2e_start_backends, runs its checks with e2e_ok / e2e_fail / e2e_check, and
# ends with e2e_finish. Everything it made is removed on every exit path by e2e_teardown.

E2E_ROOT=${L3DSR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=tests/lib/topology.sh
. "$E2E_ROOT/tests/lib/topology.sh"
# shellcheck source=tests/lib/tap.sh
. "$E2E_ROOT/tests/lib/tap.sh"
# shellcheck source=tests/lib/conf.sh
. "$E2E_ROOT/tests/lib/conf.sh"

E2E_L3DSRD=${L3DSRD:-$E2E_ROOT/src/l3dsrd}
E2E_L3DSRCTL=${L3DSRCTL:-$E2E_ROOT/src/l3dsrctl}
E2E_BPF_DIR=${L3DSR_BPF_DIR:-$E2E_ROOT/bpf}
E2E_PYTHON=/usr/bin/python3
E2E_UDP_PORT=7000 # the UDP VIPs of the fragment tests
declare -A E2E_DAEMON_PID=() # host -> l3dsrd pid
declare -A E2E_DAEMON_CONF=() # host -> the config file the daemon reads (reload rewrites it)
declare -A E2E_CAPTURE_PID=() # capture name -> tcpdump pid

# ---- TAP (tests/lib/tap.sh, under the names the suites use) ---------------------------------

e2e_ok() { tap_ok "$@"; }
# e2e_fail WHAT [DETAIL...]: a failed check; the details are printed as TAP comments.
e2e_fail() { tap_fail "$@"; }
# e2e_check WHAT cmd...: ok when cmd exits 0; its output becomes the failure's detail.
e2e_check() { tap_check "$@"; }
e2e_note() { tap_note "$@"; }

# e2e_expect_none WHAT [PROBLEM...]: ok when no problem was collected, else each one is shown.
e2e_expect_none() {
	local what=$1
	shift
	if (($# == 0)); then
		e2e_ok "$what"
	else
		e2e_fail "$what" "$@"
	fi
}

# e2e_expect_lines WHAT TEXT REGEX...: ok when every REGEX (extended) matches a line of TEXT;
# else the ones that match none, then TEXT.
e2e_expect_lines() {
	local what=$1 text=$2 regex missing=()
	shift 2
	for regex in "$@"; do
		grep -qE "$regex" <<<"$text" || missing+=("no line matches: $regex")
	done
	((${#missing[@]} == 0)) || missing+=("$text")
	e2e_expect_none "$what" "${missing[@]}"
}

# e2e_must WHAT cmd...: runs cmd in this shell (never in $(...): it may start background
# processes whose PIDs must be remembered here); when it fails the suite stops, showing WHAT
# and cmd's output.
e2e_must() {
	local what=$1
	shift
	"$@" >"$TOPO_DIR/must.out" 2>&1 || e2e_bail "$what" "$(cat "$TOPO_DIR/must.out")"
}

# A failure that makes the rest of the suite meaningless: report and stop (the trap tears down).
e2e_bail() {
	e2e_fail "$@"
	e2e_finish
}

e2e_finish() {
	tap_plan
	exit
}

# ---- setup and teardown --------------------------------------------------------------------

e2e_teardown() {
	local host
	trap - EXIT INT TERM
	if ((TAP_FAILURES)) && [ -n "${TOPO_DIR:-}" ]; then
		for host in "${!E2E_DAEMON_PID[@]}"; do
			e2e_note "--- l3dsrd on $host (last lines) ---"
			e2e_note "$(tail -n 15 "$TOPO_DIR/l3dsrd-$host.log" 2>/dev/null)"
		done
	fi
	# The daemons first, by SIGTERM, so that they detach and unpin as they would in production.
	for host in "${!E2E_DAEMON_PID[@]}"; do
		kill -TERM "${E2E_DAEMON_PID[$host]}" 2>/dev/null
	done
	for host in "${!E2E_DAEMON_PID[@]}"; do
		topology_reap "${E2E_DAEMON_PID[$host]}"
	done
	E2E_DAEMON_PID=()
	topology_down
}

# e2e_setup [topology_up options]: the topology with HTTP servers, torn down on every exit.
e2e_setup() {
	trap e2e_teardown EXIT
	trap 'e2e_fail "interrupted"; exit 130' INT TERM
	local tool
	for tool in "$E2E_L3DSRD" "$E2E_L3DSRCTL" "$E2E_BPF_DIR/lb.bpf.o" "$E2E_BPF_DIR/backend.bpf.o"; do
		[ -e "$tool" ] || e2e_bail "setup: $tool exists (run make first)"
	done
	topology_up "$@" || e2e_bail "setup: topology_up $*"
	topology_http_servers || e2e_bail "setup: HTTP servers on the backends"
	topology_bpffs >/dev/null || e2e_bail "setup: bpffs mounted under $TOPO_DIR"
}

# ---- the daemons ---------------------------------------------------------------------------

# Runs cmd in HOST's namespace with HOST's own directory of the test bpffs mounted on
# /sys/fs/bpf, so l3dsrd and l3dsrctl use their default pin paths and hosts never share pins.
# A plain command (no subshell): started with &, $! is cmd itself.
E2E_BIND_BPFFS='dir=$1; shift; mount --bind "$dir" /sys/fs/bpf || exit 1; exec "$@"'
e2e_exec_bpf() {
	local host=$1 ns
	shift
	ns=$(topology_ns "$host") || return 1
	mkdir -p "$TOPO_DIR/bpffs/$host" || return 1
	ip netns exec "$ns" sh -c "$E2E_BIND_BPFFS" sh "$TOPO_DIR/bpffs/$host" "$@"
}

e2e_ctl() {
	local host=$1
	shift
	e2e_exec_bpf "$host" "$E2E_L3DSRCTL" "$@"
}

# Number of READY=1 the daemon on HOST has sent so far.
e2e_ready_count() {
	grep -c '\bREADY=1\b' "$TOPO_DIR/notify-$1.log" 2>/dev/null
}

# e2e_wait_ready HOST COUNT: waits (20 s) until HOST's daemon has sent COUNT READY=1.
e2e_wait_ready() {
	local host=$1 count=$2 tries=200
	while ((tries--)); do
		(($(e2e_ready_count "$host") >= count)) && return 0
		topology_running "${E2E_DAEMON_PID[$host]}" || return 1
		sleep 0.1
	done
	return 1
}

# e2e_start_daemon HOST ROLE CONFIG: starts l3dsrd on HOST's eth0, waits for READY=1.
e2e_start_daemon() {
	local host=$1 role=$2 config=$3 socket pid tries=50
	socket=$TOPO_DIR/notify-$host.sock
	E2E_DAEMON_CONF[$host]=$TOPO_DIR/$role-$host.conf
	cp "$config" "${E2E_DAEMON_CONF[$host]}" || return 1
	if [ ! -S "$socket" ]; then
		"$E2E_PYTHON" "$E2E_ROOT/tests/e2e/notify_listen.py" "$socket" \
			"$TOPO_DIR/notify-$host.log" >/dev/null 2>>"$TOPO_DIR/notify-$host.err" &
		topology_track_pid $!
		while ((tries--)) && [ ! -S "$socket" ]; do
			sleep 0.1
		done
	fi
	mkdir -p "$TOPO_DIR/bpffs/$host" || return 1
	NOTIFY_SOCKET=$socket ip netns exec "$(topology_ns "$host")" sh -c "$E2E_BIND_BPFFS" sh \
		"$TOPO_DIR/bpffs/$host" "$E2E_L3DSRD" --role "$role" --interface eth0 \
		--config "${E2E_DAEMON_CONF[$host]}" --bpf-dir "$E2E_BPF_DIR" \
		>>"$TOPO_DIR/l3dsrd-$host.log" 2>&1 </dev/null &
	pid=$!
	topology_track_pid "$pid"
	E2E_DAEMON_PID[$host]=$pid
	if ! e2e_wait_ready "$host" $(($(e2e_ready_count "$host") + 1)); then
		echo "l3dsrd --role $role on $host: no READY=1 within 20 s; its log:"
		tail -n 20 "$TOPO_DIR/l3dsrd-$host.log"
		return 1
	fi
}

e2e_start_lb() {
	e2e_start_daemon lb lb "$1"
}

e2e_start_backends() {
	local host
	for host in "${TOPO_BACKENDS[@]}"; do
		e2e_start_daemon "$host" backend "$1" || return 1
	done
}

# e2e_reload HOST CONFIG: installs CONFIG as HOST's daemon config, SIGHUP, waits for the
# RELOADING=1 ... READY=1 pair that closes the reload.
e2e_reload() {
	local host=$1 config=$2 before
	before=$(e2e_ready_count "$host")
	cp "$config" "${E2E_DAEMON_CONF[$host]}" || return 1
	kill -HUP "${E2E_DAEMON_PID[$host]}" || return 1
	if ! e2e_wait_ready "$host" $((before + 1)); then
		echo "l3dsrd on $host: no READY=1 within 20 s of SIGHUP"
		tail -n 20 "$TOPO_DIR/l3dsrd-$host.log"
		return 1
	fi
	grep -q 'RELOADING=1' "$TOPO_DIR/notify-$host.log"
}

# ---- configurations ------------------------------------------------------------------------

# e2e_lb_config FILE [--flow-table N] [--table-size M] [--default-checks] BACKEND[:WEIGHT]...
# BACKEND is a backend's number (1 = backend1). Writes four VIPs, each with those backends:
# web4 / web6 (tcp 80, DSCP 10 / 11) and udp4 / udp6 (udp E2E_UDP_PORT, DSCP 12 / 13).
# --table-size gives each VIP that table size; --default-checks leaves out "check = none", so
# the daemon's default health checks run.
e2e_lb_config() {
	local file=$1 flow_table=65536 table_size= check="check = none" lines=()
	shift
	while (($#)); do
		case $1 in
		--flow-table)
			flow_table=$2
			shift 2
			;;
		--table-size)
			table_size=$2
			shift 2
			;;
		--default-checks)
			check=
			shift
			;;
		*) break ;;
		esac
	done
	[ -z "$table_size" ] || lines+=(--line "table-size = $table_size")
	[ -z "$check" ] || lines+=(--line "$check")
	conf_lb --global "hash-seed = 0" --global "flow-table-size = $flow_table" \
		--vip web4:4:tcp:80:10 --vip web6:6:tcp:80:11 --vip "udp4:4:udp:$E2E_UDP_PORT:12" \
		--vip "udp6:6:udp:$E2E_UDP_PORT:13" "${lines[@]}" "$@" >"$file"
}

# The backends' side of the same four VIPs.
e2e_backend_config() {
	conf_backend web4:4:10 web6:6:11 udp4:4:12 udp6:6:13 >"$1"
}

# ---- requests ------------------------------------------------------------------------------

# e2e_vip_url FAMILY [PATH]
e2e_vip_url() {
	if [ "$1" = 6 ]; then
		echo "http://[$TOPO_VIP6]${2:-/}"
	else
		echo "http://$TOPO_VIP4${2:-/}"
	fi
}

# e2e_request FAMILY LOCAL_PORT: one GET / from the client from that source port; prints the
# name of the backend that answered (nothing, and status 1, when the request failed).
e2e_request() {
	local family=$1 port=$2
	topology_exec client curl -"$family" -sS --fail --max-time 5 --local-port "$port" \
		-g "$(e2e_vip_url "$family")"
}

# e2e_upload FAMILY FILE: PUTs FILE to the VIP's web service from the client (curl -T, without
# waiting for a "100 Continue"); prints the answer, "BACKEND LENGTH SHA256" of what arrived.
e2e_upload() {
	topology_exec client curl -"$1" -sS --fail --max-time 30 -H 'Expect:' -T "$2" \
		-g "$(e2e_vip_url "$1" /upload)"
}

# e2e_check_upload WHAT FAMILY FILE: ok when a backend received all of FILE, intact.
e2e_check_upload() {
	local what=$1 family=$2 file=$3 answer expected
	expected="$(stat -c %s "$file") $(sha256sum "$file" | cut -d ' ' -f 1)"
	answer=$(e2e_upload "$family" "$file" 2>&1)
	if [ "${answer#* }" = "$expected" ]; then
		e2e_ok "$what (received by ${answer%% *})"
	else
		e2e_fail "$what" "expected: BACKEND $expected" "got: $answer"
	fi
}

# e2e_spread FAMILY FIRST_PORT COUNT: COUNT requests from ports FIRST_PORT.. ; fills
# E2E_SPREAD[backend] with how many each answered and E2E_SPREAD_FAILED with the failures.
declare -A E2E_SPREAD=()
E2E_SPREAD_FAILED=0
e2e_spread() {
	local family=$1 first=$2 count=$3 port answer host
	E2E_SPREAD=()
	E2E_SPREAD_FAILED=0
	for host in "${TOPO_BACKENDS[@]}"; do
		E2E_SPREAD[$host]=0
	done
	local consecutive_failures=0
	for ((port = first; port < first + count; port++)); do
		if ((consecutive_failures >= 10)); then
			# Nothing gets through: count the rest as failed rather than wait for each.
			E2E_SPREAD_FAILED=$((E2E_SPREAD_FAILED + 1))
		elif answer=$(e2e_request "$family" "$port" 2>/dev/null) && [ -n "$answer" ]; then
			E2E_SPREAD[$answer]=$((${E2E_SPREAD[$answer]:-0} + 1))
			consecutive_failures=0
		else
			E2E_SPREAD_FAILED=$((E2E_SPREAD_FAILED + 1))
			consecutive_failures=$((consecutive_failures + 1))
		fi
	done
}

e2e_spread_text() {
	local host text=
	for host in "${TOPO_BACKENDS[@]}"; do
		text+="$host=${E2E_SPREAD[$host]:-0} "
	done
	echo "${text% }"
}

# e2e_binomial_bounds N P: the interval mean +- 4.5 standard deviations of a Binomial(N, P)
# count, clipped to 0..N. A correct balancer falls outside it with probability < 7e-6 (two-sided
# normal tail), so a failure means a skewed spread, not bad luck.
e2e_binomial_bounds() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		mean = n * p; sigma = sqrt(n * p * (1 - p))
		low = mean - 4.5 * sigma; high = mean + 4.5 * sigma
		low = (low < 0) ? 0 : int(low) + (low > int(low))
		high = (high > n) ? n : int(high)
		print low, high }'
}

# e2e_check_share WHAT HOST N P: HOST's count in E2E_SPREAD is within the bounds for N, P.
e2e_check_share() {
	local what=$1 host=$2 n=$3 p=$4 low high count
	read -r low high < <(e2e_binomial_bounds "$n" "$p")
	count=${E2E_SPREAD[$host]:-0}
	if ((count >= low && count <= high)); then
		e2e_ok "$what: $host answered $count of $n, within [$low, $high]"
	else
		e2e_fail "$what: $host answered $count of $n, within [$low, $high]" \
			"spread: $(e2e_spread_text)"
	fi
}

# ---- captures ------------------------------------------------------------------------------

# e2e_capture_start NAME NAMESPACE INTERFACE: tcpdump writing $TOPO_DIR/NAME.pcap; returns
# once it listens.
e2e_capture_start() {
	local name=$1 ns=$2 interface=$3 tries=100
	# --immediate-mode: without it packets still in the capture buffer at stop are lost.
	ip netns exec "$ns" tcpdump -Z root -n -U --immediate-mode -s 256 -i "$interface" \
		-w "$TOPO_DIR/$name.pcap" >/dev/null 2>"$TOPO_DIR/$name.tcpdump" &
	E2E_CAPTURE_PID[$name]=$!
	topology_track_pid $!
	while ((tries--)); do
		grep -q 'listening on' "$TOPO_DIR/$name.tcpdump" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "tcpdump on $interface in $ns did not start: $(cat "$TOPO_DIR/$name.tcpdump")"
	return 1
}

e2e_capture_stop() {
	local pid=${E2E_CAPTURE_PID[$1]}
	kill -INT "$pid" 2>/dev/null
	topology_reap "$pid"
}

# e2e_capture_sources NAME FILTER: distinct source address.port pairs among matching packets.
e2e_capture_sources() {
	tcpdump -n -r "$TOPO_DIR/$1.pcap" "$2" 2>/dev/null | awk '{print $3}' | sort -u | wc -l
}

# e2e_capture_count NAME FILTER: packets of the capture that match the pcap FILTER.
e2e_capture_count() {
	tcpdump -n -r "$TOPO_DIR/$1.pcap" "$2" 2>/dev/null | wc -l
}
