#!/usr/bin/env bash
# reload.sh: SIGHUP while a continuous stream of UDP requests runs through the VIP. A bad
# configuration is refused and everything keeps serving; adding and removing a backend, a new
# weight and a table size growing and shrinking change the tables in place; a changed object
# file or flow-table-size swaps the program atomically on the same link, keeping the other maps.
# Not one request of a stream may go unanswered. Last, a VIP turns to "dscp = none" on the LB and
# the backends, which then restore it by protocol and port. Then flow-hash: the LB started with
# mix64 has the flag in its settings map, a bad value is refused and keeps it, lookup3 clears it.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup --backends 3
# The LB loads its program from a copy, so that the object file can change under it.
mkdir "$TOPO_DIR/bpf" && cp "$D_BPF_DIR"/*.bpf.o "$TOPO_DIR/bpf/" || e2e_bail "setup: copy of bpf/"
D_BPF_DIR=$TOPO_DIR/bpf
daemon_start_all
conf=$TOPO_DIR/lb.conf
e2e_ok "l3dsrd ready on the LB (backend1, backend2) and on ${TOPO_BACKENDS[*]}"

program_id() { daemon_ctl lb -j status | daemon_json 'j[0]["program_id"]'; }
link_id() { daemon_ctl lb -j status | daemon_json 'j[0]["link_id"]'; }
map_ids() {
	local map
	for map in vip_addresses vips maglev_rings backends flows settings counters vip_traffic \
		backend_traffic; do
		printf '%s=%s ' "$map" "$(daemon_map_id lb "$map")"
	done
}
# udp4_backends: the backends of udp4, as "address:slots" words.
udp4_backends() {
	daemon_ctl lb -j status | daemon_json '" ".join("%s:%d" % (b["address"], b["slots"])
		for v in j[0]["vips"] if v["name"] == "udp4" for b in v["backends"])'
}
# wait_stream_past N: until the stream $STREAM has completed N requests (at most 30 s).
STREAM=main
wait_stream_past() {
	daemon_stream_wait "$STREAM" "$1"
}
# reload_with TEXT_FOR_LOG: SIGHUP; M_BEFORE/M_AFTER are the stream positions around it.
reload_marked() {
	M_BEFORE=$(daemon_stream_position "$STREAM")
	daemon_reload lb || e2e_bail "SIGHUP: RELOADING=1 then READY=1" "$(tail -n 20 "$(daemon_log lb)")"
	M_AFTER=$(daemon_stream_position "$STREAM")
}

program_before=$(program_id)
link_before=$(link_id)
maps_before=$(map_ids)
daemon_stream_start main 4 41000

# --- a bad configuration: refused, everything kept ------------------------------------------
cp "$conf" "$TOPO_DIR/lb-good.conf"
daemon_lb_config "$TOPO_DIR/lb-bad.conf" 1 2 3
sed -i 's/^dscp = 12$/dscp = 64/; s/^protocol = tcp$/protocol = sctp/' "$TOPO_DIR/lb-bad.conf"
cp "$TOPO_DIR/lb-bad.conf" "$conf"
log_lines_before=$(wc -l <"$(daemon_log lb)")
before=$("$D_PYTHON" -c 'import time; print(int(time.monotonic() * 1e6))')
reload_marked
after=$("$D_PYTHON" -c 'import time; print(int(time.monotonic() * 1e6))')
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
bad_lines=$(grep -nE '^(dscp = 64|protocol = sctp)$' "$TOPO_DIR/lb-bad.conf" | cut -d: -f1 | tr '\n' ' ')
missing=()
for line in $bad_lines; do
	grep -qE "^<3>$conf:$line: " <<<"$reload_log" || missing+=("no '<3>$conf:$line: ...' line")
done
grep -qE "^<3>reload refused: [0-9]+ errors in $conf; the running configuration stays$" \
	<<<"$reload_log" || missing+=("no '<3>reload refused: N errors in $conf; ...' line")
if ((${#missing[@]} == 0)); then
	e2e_ok "SIGHUP with a bad configuration: each error logged as <3>FILE:LINE (lines $bad_lines), reload refused"
else
	e2e_fail "SIGHUP with a bad configuration: each error logged, reload refused" "${missing[@]}" \
		"$reload_log"
fi
reloading=$(grep -E ': RELOADING=1' "$(daemon_notify_log lb)" | tail -n 1)
usec=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<<"$reloading")
if [ -n "$usec" ] && ((usec >= before && usec <= after)); then
	e2e_ok "RELOADING=1 with MONOTONIC_USEC=$usec, taken between the SIGHUP and the READY=1"
else
	e2e_fail "RELOADING=1 with MONOTONIC_USEC of the moment of the reload" "got: $reloading" \
		"expected a value in [$before, $after]"
fi
wait_stream_past $((M_AFTER + 200))
if [ "$(program_id)" = "$program_before" ] && [ "$(udp4_backends | wc -w)" = 2 ] &&
	[ "$(daemon_stream_backends main 0)" = "backend1 backend2" ]; then
	e2e_ok "after the refused reload: same program, same 2 backends, every request answered by them"
else
	e2e_fail "after the refused reload everything is as it was" \
		"program $(program_id) (was $program_before); udp4: $(udp4_backends)" \
		"answered by: $(daemon_stream_backends main 0)"
fi

# --- adding backend3, then removing it, while the stream runs --------------------------------
# A fresh stream on ports main never used: once a stream wraps around its 20000 source ports,
# every request belongs to a flow the LB remembers, and no new flow could show the new table.
daemon_stream_stop main
main_lost=$D_LOST main_summary=$D_SUMMARY
STREAM=change
daemon_stream_start change 4 20000
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_lb_config "$conf" 1 2 3
reload_marked
add_before=$M_BEFORE add_after=$M_AFTER
wait_stream_past $((add_after + 600))
after_add=$(udp4_backends)
daemon_lb_config "$conf" 1 2
reload_marked
remove_before=$M_BEFORE remove_after=$M_AFTER
wait_stream_past $((remove_after + 600))
daemon_stream_stop change
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")

# A request in flight while READY=1 was being read may have gone either way: 2 of slack.
before_add=$(daemon_stream_backends change 0 "$add_before")
during=$(daemon_stream_backends change $((add_after + 2)) "$remove_before")
after_removal=$(daemon_stream_backends change $((remove_after + 2)))
# UDP has no connection start: a flow the flow table does not know, on a slot that the change
# moved, is taken for one that was running before and stays with the slot's previous backend
# for flow-change-retention (5 minutes; docs/datapath.md, "Per-flow state"). So the stream's
# new flows keep to backend1+2 while backend3 is in the table; new TCP connections reach it at
# once (tests/e2e/reload.sh).
if [ "$before_add" = "backend1 backend2" ] && [ "$during" = "backend1 backend2" ] &&
	[ "$after_removal" = "backend1 backend2" ]; then
	e2e_ok "the stream's new UDP flows: backend1+2 before, while backend3 is in the table (changed slots keep their previous backend), and after removing it"
else
	e2e_fail "new flows follow the table" "before the add: $before_add" \
		"between add and removal: $during" "after the removal: $after_removal"
fi
if [ "$main_lost" = 0 ] && [ "$D_LOST" = 0 ]; then
	e2e_ok "no request lost across the three reloads ($main_summary; $D_SUMMARY)"
else
	e2e_fail "no request lost across the three reloads" "$main_summary" "$D_SUMMARY" \
		"$(grep -h LOST "$TOPO_DIR/stream-main.log" "$TOPO_DIR/stream-change.log" | head -n 10)"
fi
slots3=$(tr ' ' '\n' <<<"$after_add" | sed -n 's/^198\.51\.100\.13://p')
if [[ $after_add == *198.51.100.11:*198.51.100.12:*198.51.100.13:* ]] && ((slots3 > 250 && slots3 < 420)); then
	e2e_ok "after adding backend3, l3dsrctl shows it with about a third of the 1009 slots ($after_add)"
else
	e2e_fail "after adding backend3, l3dsrctl shows it with about a third of the slots" "udp4: $after_add"
fi
missing=()
for pattern in '^<6>vip udp4: backend 198\.51\.100\.13 added \(weight 1\)$' \
	'^<6>vip udp4: [0-9]+ of 1009 table slots moved$' \
	'^<6>vip udp4: backend 198\.51\.100\.13 removed$' '^<6>reload applied: 4 VIPs$'; do
	grep -qE "$pattern" <<<"$reload_log" || missing+=("no line matches $pattern")
done
if ((${#missing[@]} == 0)) && [ "$(program_id)" = "$program_before" ] &&
	[ "$(map_ids)" = "$maps_before" ]; then
	e2e_ok "configuration reloads: one log line per change; program $program_before and every map kept"
else
	e2e_fail "configuration reloads: logged, program and maps kept" "${missing[@]}" \
		"program $(program_id) (was $program_before)" "maps now:    $(map_ids)" \
		"maps before: $maps_before" "$reload_log"
fi

# --- a weight and a table size change (growing, then shrinking), under a stream -------------------
daemon_stream_start sizes 4 30000
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_lb_config "$conf" 1 2:2
sed -i 's/^table-size = 1009$/table-size = 2003/' "$conf"
daemon_reload lb || e2e_bail "SIGHUP growing the tables" "$(tail -n 20 "$(daemon_log lb)")"
grown=$(daemon_ctl lb -j status | daemon_json '" ".join("%d:%s" % (v["table_size"], ",".join(
	"%d/%d" % (b["weight"], b["slots"]) for b in v["backends"])) for v in j[0]["vips"])')
daemon_lb_config "$conf" 1 2
daemon_reload lb || e2e_bail "SIGHUP shrinking the tables" "$(tail -n 20 "$(daemon_log lb)")"
M_AFTER=$(daemon_stream_position sizes)
tries=300
while ((tries--)) && (($(daemon_stream_position sizes) < M_AFTER + 300)); do sleep 0.1; done
daemon_stream_stop sizes
shrunk=$(daemon_ctl lb -j status | daemon_json '" ".join("%d:%s" % (v["table_size"], ",".join(
	"%d/%d" % (b["weight"], b["slots"]) for b in v["backends"])) for v in j[0]["vips"])')
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
problems=()
for table in $grown; do
	# 2003 slots shared 1:2 by weight: about 668 and 1335.
	[[ $table =~ ^2003:1/(6[0-9][0-9]|7[0-3][0-9]),2/(1[23][0-9][0-9])$ ]] || problems+=("grown: $table")
done
for table in $shrunk; do
	[[ $table =~ ^1009:1/50[0-9],1/50[0-9]$ ]] || problems+=("shrunk: $table")
done
for pattern in '^<6>vip udp4: backend 198\.51\.100\.12 weight 1 -> 2$' \
	'^<6>vip udp4: table size 1009 -> 2003$' '^<6>vip udp4: table size 2003 -> 1009$'; do
	grep -qE "$pattern" <<<"$reload_log" || problems+=("no line matches $pattern")
done
[ "$D_LOST" = 0 ] || problems+=("stream: $D_SUMMARY")
[ "$(map_ids)" = "$maps_before" ] || problems+=("maps now:    $(map_ids)" "maps before: $maps_before")
if ((${#problems[@]} == 0)); then
	e2e_ok "weight 2 and table size 2003, then back to 1009: rings swapped, slots by weight, maps kept, nothing lost ($D_SUMMARY)"
else
	e2e_fail "a weight and table size change in both directions" "${problems[@]}" "$reload_log"
fi

# --- a new object file: the program is swapped on the same link, maps kept --------------------
daemon_stream_start object 4 52000
llvm-objcopy --add-section .l3dsr_test=<(echo "a change of the file, not of the program") \
	"$D_BPF_DIR/lb.bpf.o" || e2e_bail "llvm-objcopy changes lb.bpf.o"
log_lines_before=$(wc -l <"$(daemon_log lb)")
M_BEFORE=$(daemon_stream_position object)
daemon_reload lb || e2e_bail "SIGHUP after the object changed" "$(tail -n 20 "$(daemon_log lb)")"
M_AFTER=$(daemon_stream_position object)
tries=300
while ((tries--)) && (($(daemon_stream_position object) < M_AFTER + 300)); do sleep 0.1; done
daemon_stream_stop object
program_after=$(program_id)
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
problems=()
[ "$program_after" != "$program_before" ] || problems+=("program id unchanged: $program_after")
[ "$(daemon_xdp_id lb eth0)" = "$program_after" ] || problems+=("ip link shows $(daemon_xdp_id lb eth0)")
[ "$(link_id)" = "$link_before" ] || problems+=("link $(link_id), was $link_before")
[ "$(map_ids)" = "$maps_before" ] || problems+=("maps now:    $(map_ids)" "maps before: $maps_before")
grep -qE "^<6>program id $program_before replaced by $program_after on link $link_before \(the object file changed\)$" \
	<<<"$reload_log" || problems+=("no 'program id $program_before replaced by $program_after' line" "$reload_log")
[ "$D_LOST" = 0 ] || problems+=("stream: $D_SUMMARY")
if ((${#problems[@]} == 0)); then
	e2e_ok "object file changed + SIGHUP: program $program_before -> $program_after on link $link_before, every map kept, no request lost ($D_SUMMARY)"
else
	e2e_fail "object file changed + SIGHUP: new program on the same link, maps kept, nothing lost" \
		"${problems[@]}"
fi

# --- a new flow-table-size: a new flows map and program; the rest kept -----------------------
daemon_stream_start flows 4 56000
daemon_lb_config "$conf" --flow-table 4096 1 2
daemon_reload lb || e2e_bail "SIGHUP with flow-table-size 4096" "$(tail -n 20 "$(daemon_log lb)")"
M_AFTER=$(daemon_stream_position flows)
tries=300
while ((tries--)) && (($(daemon_stream_position flows) < M_AFTER + 300)); do sleep 0.1; done
daemon_stream_stop flows
flows_entries=$(bpftool -j map show pinned "$(daemon_pins lb)/flows" | daemon_json 'j["max_entries"]')
expected_maps=$(sed "s/flows=[0-9]*/flows=$(daemon_map_id lb flows)/" <<<"$maps_before")
if [ "$flows_entries" = 4096 ] && [ "$(map_ids)" = "$expected_maps" ] &&
	[ "$(daemon_map_id lb flows)" != "$(sed -n 's/.*flows=\([0-9]*\).*/\1/p' <<<"$maps_before")" ] &&
	[ "$(program_id)" != "$program_after" ] && [ "$(link_id)" = "$link_before" ] && [ "$D_LOST" = 0 ]; then
	e2e_ok "flow-table-size 4096 + SIGHUP: a new 4096-entry flows map, new program, same link, other maps kept, nothing lost"
else
	e2e_fail "flow-table-size 4096 + SIGHUP: new flows map and program, rest kept, nothing lost" \
		"flows max_entries $flows_entries" "maps now:    $(map_ids)" "maps before: $maps_before" \
		"program $(program_id) (was $program_after), link $(link_id) (was $link_before)" \
		"stream: $D_SUMMARY"
fi

# RELOADING=1 always came before its READY=1: the notify log alternates.
sequence=$(grep -oE ': (RELOADING|READY)=1' "$(daemon_notify_log lb)" | tr -d ': =1' | tr '\n' ' ')
if [ "$sequence" = "READY$(printf ' RELOADING READY%.0s' 1 2 3 4 5 6 7) " ]; then
	e2e_ok "notify: READY=1, then a RELOADING=1 and READY=1 pair for each of the 7 reloads"
else
	e2e_fail "notify: READY=1, then RELOADING=1 / READY=1 per reload" "got: $sequence"
fi

# --- dscp = none on both sides: the backend restores by (protocol, port) -------------------------
daemon_lb_config "$conf" 1 2
sed -i '/^\[vip udp4\]$/,/^$/s/^dscp = 12$/dscp = none/' "$conf"
sed '/^\[vip udp4\]$/,/^$/s/^dscp = 12$/dscp = none\nprotocol = udp\nport = '"$D_UDP_PORT"'/' \
	"$TOPO_DIR/backend.conf" >"$TOPO_DIR/backend-none.conf"
cp "$TOPO_DIR/backend-none.conf" "$TOPO_DIR/backend.conf"
for host in lb "${TOPO_BACKENDS[@]}"; do
	daemon_reload "$host" || e2e_bail "SIGHUP on $host for dscp = none" "$(tail -n 20 "$(daemon_log "$host")")"
done
answers=$(daemon_udp_ask 4 59000 40 | awk '{print $2}' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
lb_view=$(daemon_ctl lb -j status | daemon_json '[v["dscp"] for v in j[0]["vips"] if v["name"] == "udp4"][0]')
backend_view=$(daemon_ctl backend1 -j status | daemon_json '[(v["protocol"], v["port"], v["dscp"])
	for v in j[0]["vips"] if v["name"] == "udp4"]')
if [[ $answers =~ ^\ [0-9]+\ backend1,\ [0-9]+\ backend2,$ ]] && [ "$lb_view" = None ] && [ "$backend_view" = "[('udp', $D_UDP_PORT, None)]" ] &&
	grep -qx '<6>vip udp4: dscp 12 -> 0' "$(daemon_log lb)" &&
	grep -qx '<6>vip udp4: added (192.0.2.10, udp port '"$D_UDP_PORT"')' "$(daemon_log backend1)" &&
	grep -qx '<6>vip udp4: removed' "$(daemon_log backend1)"; then
	e2e_ok "udp4 reloaded to dscp = none on the LB and the backends: all 40 requests answered ($answers)"
else
	e2e_fail "udp4 reloaded to dscp = none on both sides" "answers: $answers" "LB dscp: $lb_view" \
		"backend1: $backend_view" "$(tail -n 8 "$(daemon_log lb)")" \
		"$(tail -n 8 "$(daemon_log backend1)")"
fi

# --- VIP keys added, then removed: vip_slots switches to a half holding exactly the keys -------
# The LB finds a VIP with a fixed port in vip_slots, not in vips; the daemon writes the spare
# half and switches at each change of the keys, and never leaves it saying other than vips.
slots_check() { "$D_PYTHON" "$D_ROOT/tests/daemon/vip_slots_check.py" "$(daemon_pins lb)" 2>&1; }
slots_start=$(slots_check)
cp "$conf" "$TOPO_DIR/lb-without-web4b.conf"
printf '\n[vip web4b]\naddress = %s\nprotocol = tcp\nport = 8080\ndscp = 20\n' "$TOPO_VIP4" >>"$conf"
topology_backend_lines 4 1 >>"$conf"
daemon_reload lb || e2e_bail "SIGHUP adding VIP web4b" "$(tail -n 20 "$(daemon_log lb)")"
slots_added=$(slots_check)
cp "$TOPO_DIR/lb-without-web4b.conf" "$conf"
daemon_reload lb || e2e_bail "SIGHUP removing VIP web4b" "$(tail -n 20 "$(daemon_log lb)")"
slots_removed=$(slots_check)
if [[ $slots_start =~ ^live=([12])\ keys=([0-9]+)$ ]] &&
	[ "$slots_added" = "live=$((3 - BASH_REMATCH[1])) keys=$((BASH_REMATCH[2] + 1))" ] &&
	[ "$slots_removed" = "$slots_start" ]; then
	e2e_ok "VIP web4b added then removed: vip_slots switched halves each time, each holding exactly the vips keys ($slots_start, $slots_added, $slots_removed)"
else
	e2e_fail "vip_slots follows the VIP keys across reloads" "at the start: $slots_start" \
		"web4b added: $slots_added" "web4b removed: $slots_removed"
fi

# --- an object file that cannot be read: refused, in one line --------------------------------
# The failure is said once, with what the daemon does about it, not once by each layer.
program_kept=$(program_id)
mv "$D_BPF_DIR/lb.bpf.o" "$D_BPF_DIR/lb.bpf.o.away" || e2e_bail "moving lb.bpf.o away"
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_reload lb || e2e_bail "SIGHUP without the object file" "$(tail -n 20 "$(daemon_log lb)")"
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
mv "$D_BPF_DIR/lb.bpf.o.away" "$D_BPF_DIR/lb.bpf.o" || e2e_bail "putting lb.bpf.o back"
expected="<3>reload refused: cannot read $D_BPF_DIR/lb.bpf.o: No such file or directory; the running configuration stays"
if [ "$(grep '^<[34]>' <<<"$reload_log")" = "$expected" ] && [ "$(program_id)" = "$program_kept" ]; then
	e2e_ok "SIGHUP with the object file gone: refused in one line saying why and what stays, program $program_kept kept"
else
	e2e_fail "SIGHUP with the object file gone: refused in one line" "expected: $expected" \
		"program $(program_id), was $program_kept" "$reload_log"
fi

# --- flow-table-size changed: the remembered flows are carried over --------------------------
# 200 UDP flows to udp6 from known source ports, then one reload that changes flow-table-size
# and adds backend3 (which takes a third of the ring): the new flows map holds every entry the
# old one had, with the same backend, and each of those source ports is still answered by the
# backend it had; fresh source ports follow the changed-slot rule.
flow_dump() {
	bpftool -j map dump pinned "$(daemon_pins lb)/flows" |
		daemon_json '"\n".join(sorted(" ".join(e["key"]) + " -> " + " ".join(e["value"]) for e in j))'
}
before_answers=$(daemon_udp_ask 6 61000 200)
before_flows=$(flow_dump)
old_flows_id=$(daemon_map_id lb flows)
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_lb_config "$conf" --flow-table 16384 1 2 3
sed -i '/^\[vip udp4\]$/,/^$/s/^dscp = 12$/dscp = none/' "$conf"
daemon_reload lb || e2e_bail "SIGHUP with flow-table-size 16384 and backend3" "$(tail -n 20 "$(daemon_log lb)")"
after_flows=$(flow_dump)
after_answers=$(daemon_udp_ask 6 61000 200)
fresh_answers=$(daemon_udp_ask 6 62000 200 | awk '{ print $2 }' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
count=$(wc -l <<<"$before_flows")
problems=()
[ "$(bpftool -j map show pinned "$(daemon_pins lb)/flows" | daemon_json 'j["max_entries"]')" = 16384 ] ||
	problems+=("the flows map does not have 16384 entries")
[ "$(daemon_map_id lb flows)" != "$old_flows_id" ] || problems+=("the flows map was not replaced")
missing=$(comm -23 <(echo "$before_flows") <(echo "$after_flows"))
[ -z "$missing" ] || problems+=("$(wc -l <<<"$missing") of $count entries missing or with another backend:" "$(head -n 5 <<<"$missing")")
grep -qx "<6>flow table: $count of $count remembered flows carried over to the new table of 16384" <<<"$reload_log" ||
	problems+=("no 'flow table: $count of $count remembered flows carried over' line" "$reload_log")
if ((${#problems[@]} == 0)); then
	e2e_ok "flow-table-size 65536 -> 16384: all $count remembered flows are in the new flows map, each with its backend"
else
	e2e_fail "flow-table-size changed: the remembered flows are in the new flows map" "${problems[@]}"
fi
moved=$(diff <(echo "$before_answers") <(echo "$after_answers") | grep -c '^>')
# backend3 took slots, but within flow-change-retention a UDP flow on a moved slot stays with
# the slot's previous backend (docs/datapath.md), fresh source ports included.
if [ "$moved" = 0 ] && ! grep -q LOST <<<"$before_answers$after_answers" &&
	[[ $fresh_answers != *LOST* && $fresh_answers != *backend3* ]]; then
	e2e_ok "the 200 flows kept their backend across the reload that added backend3; fresh UDP flows stay on the moved slots' previous backends ($fresh_answers)"
else
	e2e_fail "the flows kept their backend across the flow-table-size change" "$moved of 200 answered by another backend" \
		"fresh UDP flows (none on backend3 within flow-change-retention): $fresh_answers"
fi

# --- flow-hash: started with mix64, reloaded to lookup3; a bad value keeps the flag -----------
# The program reads the hash from the settings map's flags (1: the flow table, 2: mix64,
# LB_SETTINGS_F_HASH_MIX64); l3dsrctl shows it from there. Whatever the hash, udp6's requests
# (its dscp is unchanged on the backends) are answered by the LB's backends, with none lost.
settings_flags() {
	bpftool -j map lookup pinned "$(daemon_pins lb)/settings" key 0 0 0 0 |
		daemon_json 'j["formatted"]["value"]["flags"]'
}
# hash_view: "FLAGS json=NAME text=NAME", the map's flags and what l3dsrctl -j and text say.
hash_view() {
	printf '%s json=%s text=%s' "$(settings_flags)" \
		"$(daemon_ctl lb -j status | daemon_json 'j[0]["flow_hash"]')" \
		"$(daemon_ctl lb status | sed -n 's/^  flow hash: //p')"
}
udp6_fingerprint() { daemon_ctl lb -j status | daemon_json '[v["fingerprint"] for v in j[0]["vips"] if v["name"] == "udp6"][0]'; }
# udp6_answers FIRST_PORT: who answered 40 fresh flows, e.g. "backend1 backend2 " (LOST if any was not).
udp6_answers() { daemon_udp_ask 6 "$1" 40 | awk '{ print $2 }' | sort -u | tr '\n' ' '; }
daemon_stop lb
daemon_lb_config "$conf" 1 2
sed -i 's/^hash-seed = 0$/&\nflow-hash = mix64/' "$conf"
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_start_ready lb lb lb eth0 "$conf" || e2e_bail "l3dsrd --role lb with flow-hash = mix64: READY=1" "$D_ERROR"
started=$(hash_view)
mix64_fingerprint=$(udp6_fingerprint)
started_answers=$(udp6_answers 63000)
start_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
if [ "$started" = "3 json=mix64 text=mix64" ] && [[ $started_answers =~ ^(backend[12] )+$ ]] &&
	grep -qx '<6>flow-hash mix64' <<<"$start_log"; then
	e2e_ok "started with flow-hash = mix64: settings flags 3 (flow table + mix64), l3dsrctl says mix64 in JSON and text, logged; udp6 answered by $started_answers"
else
	e2e_fail "started with flow-hash = mix64: the flag in the settings map, shown, traffic answered" \
		"flags, l3dsrctl: $started (expected 3 json=mix64 text=mix64)" "udp6: $started_answers" "$start_log"
fi

line=$(grep -n '^flow-hash = mix64$' "$conf" | cut -d: -f1)
cp "$conf" "$TOPO_DIR/lb-mix64.conf"
sed -i 's/^flow-hash = mix64$/flow-hash = mix-64/' "$conf"
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_reload lb || e2e_bail "SIGHUP with flow-hash = mix-64" "$(tail -n 20 "$(daemon_log lb)")"
refused=$(hash_view)
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
expected="<3>$conf:$line: bad flow-hash \"mix-64\" (expected lookup3 or mix64)"
if [ "$refused" = "$started" ] && grep -qxF "$expected" <<<"$reload_log" &&
	grep -qE "^<3>reload refused: 1 errors? in $conf; the running configuration stays$" <<<"$reload_log"; then
	e2e_ok "SIGHUP with flow-hash = mix-64: refused at $conf:$line with the accepted values, mix64 kept ($refused)"
else
	e2e_fail "SIGHUP with a bad flow-hash: refused, the flag kept" "now: $refused (was $started)" \
		"expected: $expected" "$reload_log"
fi

sed 's/^flow-hash = mix64$/flow-hash = lookup3/' "$TOPO_DIR/lb-mix64.conf" >"$conf"
log_lines_before=$(wc -l <"$(daemon_log lb)")
daemon_reload lb || e2e_bail "SIGHUP with flow-hash = lookup3" "$(tail -n 20 "$(daemon_log lb)")"
reloaded=$(hash_view)
lookup3_fingerprint=$(udp6_fingerprint)
reloaded_answers=$(udp6_answers 63100)
reload_log=$(tail -n +$((log_lines_before + 1)) "$(daemon_log lb)")
if [ "$reloaded" = "1 json=lookup3 text=lookup3" ] && [[ $reloaded_answers =~ ^(backend[12] )+$ ]] &&
	grep -qx '<6>flow-hash lookup3' <<<"$reload_log" && grep -qx '<6>reload applied: 4 VIPs' <<<"$reload_log"; then
	e2e_ok "reloaded to flow-hash = lookup3: the mix64 flag cleared (flags 1), shown as lookup3, logged; udp6 answered by $reloaded_answers"
else
	e2e_fail "reloaded to flow-hash = lookup3: the flag cleared, traffic answered" \
		"flags, l3dsrctl: $reloaded (expected 1 json=lookup3 text=lookup3)" "udp6: $reloaded_answers" "$reload_log"
fi
# The same table under another flow hash sends flows elsewhere: LBs must see it in the fingerprint.
if [[ $mix64_fingerprint =~ ^[0-9a-f]{16}$ && $lookup3_fingerprint =~ ^[0-9a-f]{16}$ ]] &&
	[ "$mix64_fingerprint" != "$lookup3_fingerprint" ]; then
	e2e_ok "udp6's fingerprint differs between mix64 and lookup3 on the same table ($mix64_fingerprint, $lookup3_fingerprint)"
else
	e2e_fail "the fingerprint covers flow-hash" "mix64: $mix64_fingerprint" "lookup3: $lookup3_fingerprint"
fi

e2e_finish
