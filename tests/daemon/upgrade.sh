#!/usr/bin/env bash
# upgrade.sh: a reload after the l3dsrd binary was replaced (what a package upgrade does) executes
# the new binary in the same process, which adopts the pinned datapath. The LB daemon runs from
# a copy of the build; the copy is replaced by a different file (the same binary with a byte
# appended: still a valid ELF) and SIGHUP sent while a UDP request stream and a long TCP download
# run through the VIP. Afterwards the PID is the same, /proc/PID/exe is the new file, the link is
# the same with a new program, no request was lost and the download completed byte for byte. A
# SIGHUP without a new binary does not re-execute; a new binary with a broken configuration is
# refused and the old image goes on.
set -u
. "$(dirname "$0")/lib.sh"

STREAM_SECONDS=10
STREAM_BYTES=$((STREAM_SECONDS * 10 * 1000)) # http_backend.py: 10 chunks of 1000 bytes a second

daemon_setup --backends 2
bin=$TOPO_DIR/bin/l3dsrd
mkdir "$TOPO_DIR/bin" && cp "$L3DSRD" "$bin" || e2e_bail "setup: a copy of l3dsrd"
D_LB_L3DSRD=$bin daemon_start_all
pid=${D_PID[lb]}
e2e_ok "l3dsrd ready on the LB (running $bin, pid $pid) and on ${TOPO_BACKENDS[*]}"

status_value() { daemon_ctl lb -j status | daemon_json "j[0][\"$1\"]"; }
exe_of() { readlink "/proc/$1/exe"; }
inode() { stat -L -c %i "$1"; }
# replace_binary: a different file at $bin, written beside it and renamed over it (a new inode,
# as dpkg and rpm do; the running image cannot be written to).
replace_binary() {
	cp "$L3DSRD" "$bin.new" && printf '\n' >>"$bin.new" && mv -f "$bin.new" "$bin"
}
log_since() { tail -n +$(($1 + 1)) "$(daemon_log lb)"; }

daemon_stream_start main 4 43000
daemon_stream_wait main 300
topology_spawn client "$TOPO_DIR/download.result" curl -4 -sS --max-time $((STREAM_SECONDS + 20)) \
	--local-port 45000 -o "$TOPO_DIR/download.body" -w '%{http_code} %{size_download}' \
	"http://$TOPO_VIP4/stream?seconds=$STREAM_SECONDS"
download_pid=$TOPO_SPAWNED_PID
tries=50
while ((tries--)) && (($(stat -c %s "$TOPO_DIR/download.body" 2>/dev/null || echo 0) < 2000)); do
	sleep 0.1
done
link_before=$(status_value link_id)
program_before=$(status_value program_id)
old_inode=$(inode "/proc/$pid/exe")

# --- the binary replaced, then SIGHUP: the new one runs in the same process ------------------
replace_binary || e2e_bail "setup: replace $bin"
new_inode=$(inode "$bin")
log_lines=$(wc -l <"$(daemon_log lb)")
ready_before=$(daemon_count lb ': READY=1')
daemon_reload lb || e2e_bail "SIGHUP after the binary was replaced: RELOADING=1 then READY=1" \
	"$(log_since "$log_lines")"
reload_at=$(daemon_stream_position main)
exe=$(exe_of "$pid")
problems=()
topology_running "$pid" || problems+=("pid $pid is gone")
[ "$exe" = "$bin" ] || problems+=("/proc/$pid/exe is '$exe', not $bin")
[ "$(inode "/proc/$pid/exe")" = "$new_inode" ] && [ "$new_inode" != "$old_inode" ] ||
	problems+=("/proc/$pid/exe is inode $(inode "/proc/$pid/exe"); the new file is $new_inode, the old one was $old_inode")
ready_pid=$(grep ': READY=1' "$(daemon_notify_log lb)" | sed -n "$((ready_before + 1))s/:.*//p")
[ "$ready_pid" = "$pid" ] || problems+=("the READY=1 that closed the reload came from pid '$ready_pid'")
if ((${#problems[@]} == 0)); then
	e2e_ok "SIGHUP after the binary was replaced: pid $pid now runs the new file (inode $old_inode -> $new_inode), READY=1 from the same pid"
else
	e2e_fail "SIGHUP after the binary was replaced: the same pid runs the new file" "${problems[@]}"
fi
reload_log=$(log_since "$log_lines")
program_after=$(status_value program_id)
problems=()
grep -qxF "<6>$bin was replaced: executing it in this process (pid $pid); the program stays attached and the new binary adopts it" <<<"$reload_log" ||
	problems+=("no 'was replaced: executing it' line")
grep -qxF "<6>executed in place of the previous l3dsrd (pid $pid stays): adopting its datapath" <<<"$reload_log" ||
	problems+=("no 'executed in place of the previous l3dsrd' line")
grep -qE "^<6>adopted the pinned link $link_before on eth0 \(native\): program id $program_before replaced by $program_after$" <<<"$reload_log" ||
	problems+=("no 'adopted the pinned link $link_before ... replaced by $program_after' line")
[ "$(status_value link_id)" = "$link_before" ] || problems+=("link $(status_value link_id), was $link_before")
[ "$(daemon_xdp_id lb eth0)" = "$program_after" ] || problems+=("eth0 runs '$(daemon_xdp_id lb eth0)'")
grep -qE 'detached|added|removed|moved|up -> down' <<<"$reload_log" && problems+=("the re-execution changed the datapath")
if ((${#problems[@]} == 0)); then
	e2e_ok "the new image adopted link $link_before (program $program_before -> $program_after) without detaching or changing the tables"
else
	e2e_fail "the new image adopted the pinned link" "${problems[@]}" "log: $reload_log"
fi

daemon_stream_wait main $((reload_at + 500))
daemon_stream_stop main
if [ "$D_LOST" = 0 ]; then
	e2e_ok "no UDP request lost across the re-execution ($D_SUMMARY)"
else
	e2e_fail "no UDP request lost across the re-execution" "$D_SUMMARY" "$(grep LOST "$TOPO_DIR/stream-main.log" | head)"
fi
wait "$download_pid"
read -r code size <"$TOPO_DIR/download.result"
if [ "$code" = 200 ] && [ "$size" = "$STREAM_BYTES" ] &&
	[ "$(grep -o 'backend[0-9]*' "$TOPO_DIR/download.body" | sort -u | wc -l)" = 1 ]; then
	e2e_ok "a $STREAM_SECONDS s TCP download across the re-execution completed: $size of $STREAM_BYTES bytes, from one backend, no reset"
else
	e2e_fail "the TCP download across the re-execution completed" "$(cat "$TOPO_DIR/download.result")"
fi

# --- SIGHUP with the same binary: a reload in place, no execution ------------------------------
log_lines=$(wc -l <"$(daemon_log lb)")
daemon_reload lb || e2e_bail "SIGHUP with the same binary" "$(log_since "$log_lines")"
reload_log=$(log_since "$log_lines")
if ! grep -q 'was replaced\|executed in place' <<<"$reload_log" && grep -q '^<6>reload applied' <<<"$reload_log" &&
	[ "$(inode "/proc/$pid/exe")" = "$new_inode" ] && [ "$(status_value program_id)" = "$program_after" ]; then
	e2e_ok "SIGHUP with the binary unchanged: reloaded in place, no execution, same program $program_after"
else
	e2e_fail "SIGHUP with the binary unchanged reloads in place" "$reload_log"
fi

# --- a new binary but a broken configuration: refused, the running image goes on -------------
replace_binary || e2e_bail "setup: replace $bin again"
cp "$TOPO_DIR/lb.conf" "$TOPO_DIR/lb.conf.good"
echo "no-such-key = 1" >>"$TOPO_DIR/lb.conf"
log_lines=$(wc -l <"$(daemon_log lb)")
daemon_reload lb || e2e_bail "SIGHUP with a broken configuration" "$(log_since "$log_lines")"
reload_log=$(log_since "$log_lines")
if grep -q '^<3>reload refused' <<<"$reload_log" && ! grep -q 'executing it' <<<"$reload_log" &&
	[ "$(exe_of "$pid")" = "$bin (deleted)" ] && [ "$(inode "/proc/$pid/exe")" = "$new_inode" ] &&
	[ "$(status_value program_id)" = "$program_after" ] &&
	[ "$(daemon_udp_ask 4 47000 20 | grep -c LOST)" = 0 ]; then
	e2e_ok "a replaced binary with a broken configuration: reload refused, the running image (now '$(exe_of "$pid")') keeps serving"
else
	e2e_fail "a replaced binary with a broken configuration is refused" "exe: $(exe_of "$pid")" "$reload_log"
fi
cp "$TOPO_DIR/lb.conf.good" "$TOPO_DIR/lb.conf"
log_lines=$(wc -l <"$(daemon_log lb)")
daemon_reload lb || e2e_bail "SIGHUP with the configuration fixed" "$(log_since "$log_lines")"
if [ "$(exe_of "$pid")" = "$bin" ] && [ "$(inode "/proc/$pid/exe")" = "$(inode "$bin")" ] &&
	grep -q 'executed in place of the previous' <<<"$(log_since "$log_lines")"; then
	e2e_ok "configuration fixed, SIGHUP: pid $pid executes the waiting binary"
else
	e2e_fail "configuration fixed, SIGHUP: the waiting binary is executed" "exe: $(exe_of "$pid")" \
		"$(log_since "$log_lines")"
fi

e2e_finish
