#!/usr/bin/env bash
# reload.sh: long-lived TCP connections across reloads that add and remove a backend.
#
# Three backends, the LB configured with backend1 and backend2. Streaming downloads (a few
# seconds each, Content-Length known) run while a reload adds backend3: every one of them must
# complete, byte for byte, from the backend it started on. Then downloads run on all three while
# a reload removes backend3: those on backend1/2 complete; those on backend3 do not (their
# packets now go to another backend, which resets them: the flows moved); afterwards their
# source ports land on backend1/2, and new requests never reach backend3.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

STREAM_SECONDS=6
STREAM_BYTES=$((STREAM_SECONDS * 10 * 1000)) # http_backend.py: 10 chunks of 1000 bytes a second
# Adding a third backend hands it a third of the Maglev slots: with 16 downloads the chance
# that none of their slots moves (so the flow table had nothing to keep) is (2/3)^16 < 0.2 %.
DOWNLOADS=16

e2e_setup --backends 3
e2e_lb_config "$TOPO_DIR/lb-12.conf" 1 2
e2e_lb_config "$TOPO_DIR/lb-123.conf" 1 2 3
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role backend ready" e2e_start_backends "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role lb ready" e2e_start_lb "$TOPO_DIR/lb-12.conf"
e2e_ok "l3dsrd ready on the LB (backend1, backend2) and ${TOPO_BACKENDS[*]}"

declare -A STREAM_PID=() STREAM_FAMILY=()

# stream_start FAMILY PORT: a streaming download from that source port, in the background.
stream_start() {
	local family=$1 port=$2
	topology_spawn client "$TOPO_DIR/stream-$port.result" curl -"$family" -sS \
		--max-time $((STREAM_SECONDS + 15)) --local-port "$port" \
		-o "$TOPO_DIR/stream-$port.body" -w '%{http_code} %{size_download}' \
		-g "$(e2e_vip_url "$family" "/stream?seconds=$STREAM_SECONDS")"
	STREAM_PID[$port]=$TOPO_SPAWNED_PID
	STREAM_FAMILY[$port]=$family
}

# stream_backend PORT: the backend a running download comes from (its lines name it).
stream_backend() {
	local tries=50 file=$TOPO_DIR/stream-$1.body
	while ((tries--)); do
		if (($(stat -c %s "$file" 2>/dev/null || echo 0) >= 100)); then
			head -n 1 "$file" | tr -d .
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# streams_not_running PORT...: those of these downloads that have ended.
streams_not_running() {
	local port
	for port in "$@"; do
		topology_running "${STREAM_PID[$port]}" || echo "$port"
	done
}

# stream_complete PORT EXPECTED_BACKEND: waits for it; true when it got every byte, all from
# that backend (a download that switched backends would be reset, or carry another name).
stream_complete() {
	local port=$1 backend=$2 result lines
	wait "${STREAM_PID[$port]}" 2>/dev/null
	result=$(cat "$TOPO_DIR/stream-$port.result")
	lines=$(sort -u "$TOPO_DIR/stream-$port.body" | tr -d . | tr '\n' ' ')
	[ "$result" = "200 $STREAM_BYTES" ] && [ "$lines" = "$backend " ]
}

# downloads_text PORT...: "port:backend" of each download, for notes.
downloads_text() {
	local port
	for port in "$@"; do
		printf '%s:%s ' "$port" "${ON[$port]}"
	done
}

# stream_summary PORT: how a download ended and whose lines it holds, for failure details.
stream_summary() {
	printf '%s (IPv%s, %s): %s, lines from: %s' "$1" "${STREAM_FAMILY[$1]}" "${ON[$1]}" \
		"$(cat "$TOPO_DIR/stream-$1.result")" \
		"$(sort -u "$TOPO_DIR/stream-$1.body" | tr -d . | tr '\n' ' ')"
}

ENDED_EARLY="ended by the time the reload was done (reset by it, or it outlasted them):"

# reload_timed CONFIG: e2e_reload of the LB; RELOAD_SECONDS says how long it took.
reload_timed() {
	local started=$EPOCHREALTIME
	e2e_reload lb "$1" || return 1
	RELOAD_SECONDS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')
}

# --- a reload that adds a backend keeps every connection --------------------------------------
ports=()
for ((i = 0; i < DOWNLOADS; i++)); do
	port=$((25000 + i))
	ports+=("$port")
	stream_start $((i % 2 ? 6 : 4)) "$port"
done
declare -A ON=()
for port in "${ports[@]}"; do
	ON[$port]=$(stream_backend "$port") || ON[$port]=none
done
e2e_note "downloads before the reload: $(downloads_text "${ports[@]}")"
e2e_must "reload adding backend3" reload_timed "$TOPO_DIR/lb-123.conf"
e2e_note "the reload took $RELOAD_SECONDS s"
ended=$(streams_not_running "${ports[@]}")
e2e_expect_none "reload adding backend3 done (RELOADING=1, READY=1) while all $DOWNLOADS downloads ran" \
	${ended:+"$ENDED_EARLY ${ended//$'\n'/ }"}
lost=()
for port in "${ports[@]}"; do
	stream_complete "$port" "${ON[$port]}" ||
		lost+=("$(stream_summary "$port")")
done
e2e_expect_none "all $DOWNLOADS long-lived downloads (IPv4 and IPv6) survived the reload adding backend3, intact" \
	"${lost[@]}"
e2e_spread 4 26000 60
if ((E2E_SPREAD_FAILED == 0 && ${E2E_SPREAD[backend3]} > 0)); then
	e2e_ok "after the reload backend3 takes new connections ($(e2e_spread_text))"
else
	e2e_fail "after the reload backend3 takes new connections" \
		"failed: $E2E_SPREAD_FAILED; spread: $(e2e_spread_text)"
fi

# --- a reload that removes a backend moves only its flows --------------------------------------
# Open downloads until at least two run on backend3 and two on the others.
ports=()
others_ports=()
on3=0
others=0
for ((port = 27000; port < 27040 && (on3 < 2 || others < 2); port++)); do
	stream_start $((port % 2 ? 6 : 4)) "$port"
	ports+=("$port")
	ON[$port]=$(stream_backend "$port") || ON[$port]=none
	if [ "${ON[$port]}" = backend3 ]; then on3=$((on3 + 1)); else others=$((others + 1)); fi
done
e2e_note "downloads before the removal: $(downloads_text "${ports[@]}")"
((on3 >= 2 && others >= 2)) || e2e_bail "downloads on backend3 and on the others" \
	"backend3: $on3, others: $others after ${#ports[@]} downloads"
ended=$(streams_not_running "${ports[@]}")
e2e_must "reload removing backend3" reload_timed "$TOPO_DIR/lb-12.conf"
e2e_note "the reload took $RELOAD_SECONDS s"
for port in "${ports[@]}"; do
	[ "${ON[$port]}" = backend3 ] || others_ports+=("$port")
done
ended+=$(streams_not_running "${others_ports[@]}")
e2e_expect_none "reload removing backend3 done while the downloads on backend1/backend2 ran" \
	${ended:+"$ENDED_EARLY ${ended//$'\n'/ }"}
lost=()
kept=()
for port in "${ports[@]}"; do
	if stream_complete "$port" "${ON[$port]}"; then
		[ "${ON[$port]}" = backend3 ] && kept+=("$port")
	else
		[ "${ON[$port]}" != backend3 ] &&
			lost+=("$(stream_summary "$port")")
	fi
done
e2e_expect_none "the $others downloads on backend1/backend2 survived the removal of backend3, intact" \
	"${lost[@]}"
e2e_expect_none "the $on3 downloads on backend3 were moved away (none completed from backend3)" \
	"${kept[@]/%/: completed from backend3 after its removal}"
moved=()
for port in "${ports[@]}"; do
	[ "${ON[$port]}" = backend3 ] || continue
	answer=$(e2e_request "${STREAM_FAMILY[$port]}" "$port" 2>&1)
	[[ $answer == backend[12] ]] || moved+=("$port: $answer")
done
e2e_expect_none "backend3's source ports now land on backend1/backend2" "${moved[@]}"
e2e_spread 6 28000 60
if ((E2E_SPREAD_FAILED == 0 && ${E2E_SPREAD[backend3]} == 0)); then
	e2e_ok "after the removal no new connection reaches backend3 ($(e2e_spread_text))"
else
	e2e_fail "after the removal no new connection reaches backend3" \
		"failed: $E2E_SPREAD_FAILED; spread: $(e2e_spread_text)"
fi

e2e_finish
