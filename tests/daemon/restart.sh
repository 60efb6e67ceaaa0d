#!/usr/bin/env bash
# restart.sh: fail-static and adoption, one instance per interface. SIGKILL the LB daemon while
# a UDP stream runs: the pinned link keeps forwarding, l3dsrctl still reads everything; a new
# daemon adopts the pins: same link, same maps (flow table and counters kept), a new program,
# and not one request lost. A second daemon on the same interface is refused; an instance on
# another interface is independent of the first.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup --backends 2
daemon_start_all
e2e_ok "l3dsrd ready on the LB and on ${TOPO_BACKENDS[*]}"

status_json() { daemon_ctl lb -j status; }
map_ids() {
	local map
	for map in vip_addresses vips maglev_rings backends flows fragments settings counters \
		vip_traffic backend_traffic instance vip_names backend_weights; do
		printf '%s=%s ' "$map" "$(daemon_map_id lb "$map")"
	done
}
flow_keys() {
	bpftool -j map dump pinned "$(daemon_pins lb)/flows" |
		daemon_json '"\n".join(sorted(" ".join(e["key"]) for e in j))'
}
tx_packets() { daemon_ctl lb -j stats | daemon_json 'j[0]["counters"]["tx"]["packets"]'; }
wait_stream_past() {
	local tries=300
	while ((tries--)) && (($(daemon_stream_position main) < $1)); do
		sleep 0.1
	done
}

daemon_stream_start main 4 43000
wait_stream_past 300
# A stable table keeps no per-flow state: backend2's weight 3 moves slots from backend1, and the
# stream's flows on those slots are remembered, which the restart must keep.
daemon_lb_config "$TOPO_DIR/lb.conf" 1 2:3
daemon_reload lb || e2e_bail "SIGHUP reweighting backend2" "$(tail -n 20 "$(daemon_log lb)")"
wait_stream_past $(($(daemon_stream_position main) + 600))
old_pid=${D_PID[lb]}
program_before=$(status_json | daemon_json 'j[0]["program_id"]')
link_before=$(status_json | daemon_json 'j[0]["link_id"]')
maps_before=$(map_ids)

# --- SIGKILL: the program keeps forwarding, l3dsrctl works from the pins ----------------------
kill -KILL "$old_pid"
wait "$old_pid" 2>/dev/null
unset "D_PID[lb]"
killed_at=$(daemon_stream_position main)
flows_before=$(flow_keys)
tx_before=$(tx_packets)
wait_stream_past $((killed_at + 500))
json=$(status_json)
tap_json "after SIGKILL, l3dsrctl -j status reads the instance from its pins alone" "$json" '[
	("daemon not running", j[0]["daemon_running"] is False),
	("daemon_pid is the dead one", j[0]["daemon_pid"] == '"$old_pid"'),
	("still attached", j[0]["attached"] is True),
	("same program", j[0]["program_id"] == '"$program_before"'),
	("VIPs and backends", len(j[0]["vips"]) == 4 and
		all(len(v["backends"]) == 2 for v in j[0]["vips"])),
	]'
text=$(daemon_ctl lb status | head -n 1)
if [[ $text == "eth0: lb, native, program $program_before (link $link_before), no daemon (pid $old_pid exited; the program keeps forwarding)" ]]; then
	e2e_ok "l3dsrctl status says so: '$text'"
else
	e2e_fail "l3dsrctl status says the daemon is gone and the program forwards" "got: $text"
fi
answered_dead=$(awk -v from="$killed_at" '$1 >= from && $3 != "LOST"' "$TOPO_DIR/stream-main.log" | wc -l)
if [ "$(daemon_xdp_id lb eth0)" = "$program_before" ] && ((answered_dead >= 500)); then
	e2e_ok "with its daemon dead, program $program_before still on eth0 and balancing: $answered_dead requests answered"
else
	e2e_fail "with its daemon dead the program keeps forwarding" \
		"eth0: '$(daemon_xdp_id lb eth0)', answered since the kill: $answered_dead"
fi

# --- restart: adoption --------------------------------------------------------------------
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd restarted" "$D_ERROR"
ready_at=$(daemon_stream_position main)
wait_stream_past $((ready_at + 500))
daemon_stream_stop main
json=$(status_json)
program_after=$(daemon_json 'j[0]["program_id"]' <<<"$json")
restart_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
problems=()
[ "$program_after" != "$program_before" ] || problems+=("the program id did not change: $program_after")
[ "$(daemon_xdp_id lb eth0)" = "$program_after" ] || problems+=("eth0 runs $(daemon_xdp_id lb eth0)")
[ "$(daemon_json 'j[0]["link_id"]' <<<"$json")" = "$link_before" ] || problems+=("another link")
[ "$(map_ids)" = "$maps_before" ] || problems+=("maps now:    $(map_ids)" "maps before: $maps_before")
grep -qE "^<6>adopted the pinned link $link_before on eth0 \(native\): program id $program_before replaced by $program_after$" \
	<<<"$restart_log" || problems+=("no 'adopted the pinned link' line" "$restart_log")
grep -qE 'added|removed|moved' <<<"$restart_log" && problems+=("the adoption changed the maps:" "$restart_log")
if ((${#problems[@]} == 0)); then
	e2e_ok "restart with pins present: link $link_before adopted, program $program_before -> $program_after, every map id kept, nothing re-added"
else
	e2e_fail "restart with pins present: adopted, program replaced, map ids kept" "${problems[@]}"
fi
missing=$(comm -23 <(echo "$flows_before") <(flow_keys) | wc -l)
tx_after=$(tx_packets)
if ((missing == 0 && $(wc -l <<<"$flows_before") > 100 && tx_after >= tx_before + 1000)); then
	e2e_ok "flow table and counters kept: all $(wc -l <<<"$flows_before") flows of before the kill still there, tx $tx_before -> $tx_after"
else
	e2e_fail "flow table and counters kept" "flows missing: $missing of $(wc -l <<<"$flows_before")" \
		"tx before: $tx_before, after: $tx_after"
fi
if [ "$D_LOST" = 0 ]; then
	e2e_ok "traffic never stopped: kill, dead daemon, restart, adoption ($D_SUMMARY)"
else
	e2e_fail "traffic never stopped" "$D_SUMMARY" "$(grep LOST "$TOPO_DIR/stream-main.log" | head)"
fi

# --- a second daemon on the same interface ------------------------------------------------
first_pid=${D_PID[lb]}
for variant in same other; do
	name=second-$variant
	extra=()
	[ "$variant" = other ] && extra=(--pin-dir "$D_BPFFS/lb/elsewhere")
	daemon_start "$name" lb lb eth0 "$TOPO_DIR/lb.conf" "${extra[@]}"
	pid=${D_PID[$name]}
	tries=100
	while ((tries--)) && topology_running "$pid"; do sleep 0.1; done
	wait "$pid"
	status=$?
	unset "D_PID[$name]"
	log=$(cat "$(daemon_log "$name")")
	problems=()
	[ "$status" = 1 ] || problems+=("exit status $status")
	grep -qx "<3>another l3dsrd (pid $first_pid) already runs on interface eth0" <<<"$log" ||
		problems+=("no '<3>another l3dsrd (pid $first_pid) already runs on interface eth0'" "$log")
	[ "$(daemon_xdp_id lb eth0)" = "$program_after" ] || problems+=("eth0 now runs $(daemon_xdp_id lb eth0)")
	[ "$(map_ids)" = "$maps_before" ] || problems+=("the first instance's maps changed")
	[ ! -e "$D_BPFFS/lb/elsewhere" ] || problems+=("it created $D_BPFFS/lb/elsewhere")
	grep -q READY=1 "$(daemon_notify_log "$name")" && problems+=("it sent READY=1")
	if ((${#problems[@]} == 0)); then
		e2e_ok "a second l3dsrd on eth0 ($variant pin directory) is refused, exit 1, naming pid $first_pid; the first is untouched"
	else
		e2e_fail "a second l3dsrd on eth0 ($variant pin directory) is refused" "${problems[@]}"
	fi
done

# --- an instance on another interface is independent ---------------------------------------
other=l3x${TOPO_TAG:0:8}a
topology_exec lb ip link add "$other" type veth peer name "${other%a}b" &&
	topology_exec lb ip link set "$other" up && topology_exec lb ip link set "${other%a}b" up ||
	e2e_bail "setup: veth $other in the LB namespace"
daemon_start_ready other lb lb "$other" "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd on $other" "$D_ERROR"
text=$(daemon_ctl lb status | grep -E '^[a-z0-9]+: lb, ')
other_program=$(daemon_xdp_id lb "$other")
if [ "$(wc -l <<<"$text")" = 2 ] && grep -q "^eth0: lb, native, program $program_after " <<<"$text" &&
	grep -q "^$other: lb, native, program $other_program " <<<"$text" &&
	[ "$other_program" != "$program_after" ]; then
	e2e_ok "a second instance on $other runs beside the one on eth0; l3dsrctl status lists both"
else
	e2e_fail "two instances on two interfaces, both listed" "$text"
fi
daemon_stop other
daemon_stream_start after 4 48000
wait_stream_past 0
tries=100
while ((tries--)) && (($(daemon_stream_position after) < 300)); do sleep 0.1; done
daemon_stream_stop after
if [ "$D_STATUS" = 0 ] && [ -z "$(daemon_xdp_id lb "$other")" ] && [ ! -e "$D_BPFFS/lb/$other" ] &&
	[ "$(daemon_xdp_id lb eth0)" = "$program_after" ] && [ "$(map_ids)" = "$maps_before" ] &&
	[ "$D_LOST" = 0 ]; then
	e2e_ok "stopping the instance on $other removes only its program and pins; eth0 keeps balancing ($D_SUMMARY)"
else
	e2e_fail "stopping the instance on $other leaves eth0's alone" "exit status $D_STATUS" \
		"$other: '$(daemon_xdp_id lb "$other")', pins: $(ls "$D_BPFFS/lb")" \
		"eth0: $(daemon_xdp_id lb eth0) (expected $program_after)" "stream: $D_SUMMARY"
fi

# --- an upgrade from rings of 4-byte values ---------------------------------------------------
# Before a ring slot held its previous backend, maglev_rings held ARRAYs of one __u32 per value.
# The verifier checks the program against the inner maps of the map it is given, so such a pin
# must be replaced, not reused: the daemon says so, builds every ring afresh, and balances.
kill -KILL "${D_PID[lb]}"
wait "${D_PID[lb]}" 2>/dev/null
unset "D_PID[lb]"
pins=$(daemon_pins lb)
bpftool map create "$pins/old_ring" type array key 4 value 4 entries 1009 name maglev_ring \
	flags 0x1000 &&
	bpftool map create "$pins/old_rings" type array_of_maps key 4 value 4 entries 1024 \
		name maglev_rings inner_map pinned "$pins/old_ring" &&
	bpftool map update pinned "$pins/old_rings" key 0 0 0 0 value pinned "$pins/old_ring" &&
	rm "$pins/maglev_rings" "$pins/old_ring" && mv "$pins/old_rings" "$pins/maglev_rings" ||
	e2e_bail "setup: a pinned maglev_rings of 4-byte rings"
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd over old rings" "$D_ERROR"
upgrade_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
daemon_stream_start upgrade 4 50000
tries=100
while ((tries--)) && (($(daemon_stream_position upgrade) < 300)); do sleep 0.1; done
daemon_stream_stop upgrade
slots=$(daemon_ctl lb -j status | daemon_json 'sum(b["slots"] for v in j[0]["vips"] for b in v["backends"])')
if grep -qx "<6>map maglev_rings: the pinned one has another layout or size; a new one replaces it" \
	<<<"$upgrade_log" && [ "$slots" = $((4 * 1009)) ] && [ "$D_LOST" = 0 ] &&
	(($(daemon_stream_position upgrade) >= 300)); then
	e2e_ok "a pinned maglev_rings of 4-byte rings is replaced, every ring built afresh ($slots slots), and the LB balances ($D_SUMMARY)"
else
	e2e_fail "a pinned maglev_rings of 4-byte rings is replaced" "slots: $slots" \
		"stream: $D_SUMMARY" "$upgrade_log"
fi

e2e_finish
