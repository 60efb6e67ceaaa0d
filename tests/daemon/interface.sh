#!/usr/bin/env bash
# interface.sh: the daemon follows its interface. Under a UDP request stream, the LB's eth0 is
# deleted (the kernel takes the program off with it): the daemon says so in its log, STATUS= and
# l3dsrctl status, and keeps running; eth0 is created again (a new ifindex, the same MAC, cabled
# and addressed as before): the daemon attaches the pinned program to it with a new link and
# the stream is answered again, by the same daemon. Then eth0 goes down and up: the program
# stays on it, nothing is attached again, and once the addresses and routes the kernel removed
# are back the stream is answered.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup --backends 2
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_lb_config "$TOPO_DIR/lb.conf" --table-size 1009 1 2
for host in "${TOPO_BACKENDS[@]}"; do
	daemon_start_ready "$host" "$host" backend eth0 "$TOPO_DIR/backend.conf" ||
		e2e_bail "l3dsrd --role backend on $host: READY=1" "$D_ERROR"
done
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd --role lb: READY=1" "$D_ERROR"
pid=${D_PID[lb]}
e2e_ok "l3dsrd ready on the LB (pid $pid) and on ${TOPO_BACKENDS[*]}"

status_value() { daemon_ctl lb -j status | daemon_json "j[0][\"$1\"]"; }
log_since() { tail -n +$(($1 + 1)) "$(daemon_log lb)"; }
# answered_since N: requests of the stream after the Nth that were answered.
answered_since() { awk -v from="$1" '$1 >= from && $3 != "LOST"' "$TOPO_DIR/stream-main.log" | wc -l; }
# wait_answered_since N COUNT: until COUNT requests after the Nth were answered (30 s at most).
wait_answered_since() {
	local tries=300
	while ((tries--)) && (($(answered_since "$1") < $2)); do sleep 0.1; done
	(($(answered_since "$1") >= $2))
}
# lb_routes: the LB's routes through eth0, as topology_up sets them (a link going down takes them,
# and its IPv6 address).
lb_routes() {
	ip -n "$TOPO_NS_LB" addr replace "$TOPO_LB_ADDR6/64" dev eth0 nodad &&
		ip -n "$TOPO_NS_LB" route replace default via "$TOPO_ROUTER_ADDR4" &&
		ip -n "$TOPO_NS_LB" -6 route replace default via "$TOPO_ROUTER_ADDR6" &&
		ip -n "$TOPO_NS_LB" route replace 198.51.100.0/24 via "$TOPO_ROUTER_ADDR4" &&
		ip -n "$TOPO_NS_LB" -6 route replace 2001:db8:2::/64 via "$TOPO_ROUTER_ADDR6"
}
# recreate_eth0 MAC: the LB's eth0 and its switch port f-lb again, as topology_up made them.
recreate_eth0() {
	ip link add name eth0 netns "$TOPO_NS_LB" address "$1" type veth peer name f-lb \
		netns "$TOPO_NS_SWITCH" &&
		ip -n "$TOPO_NS_SWITCH" link set f-lb master br-front &&
		topology_napi "$TOPO_NS_SWITCH" f-lb &&
		ip -n "$TOPO_NS_SWITCH" link set f-lb up &&
		topology_host_if "$TOPO_NS_LB" eth0 &&
		topology_addresses "$TOPO_NS_LB" eth0 "$TOPO_LB_ADDR4/24" "$TOPO_LB_ADDR6/64" &&
		ip -n "$TOPO_NS_LB" link set eth0 up && lb_routes
}

daemon_stream_start main 4 43000
daemon_stream_wait main 300
program=$(status_value program_id)
link=$(status_value link_id)
mac=$(ip -n "$TOPO_NS_LB" -j link show eth0 | daemon_json 'j[0]["address"]')
old_ifindex=$(ip -n "$TOPO_NS_LB" -j link show eth0 | daemon_json 'j[0]["ifindex"]')

# --- eth0 deleted: the daemon says so and keeps running -----------------------------------------
log_lines=$(wc -l <"$(daemon_log lb)")
gone_before=$(daemon_count lb 'STATUS=lb on eth0: interface gone')
ip -n "$TOPO_NS_LB" link del eth0 || e2e_bail "ip link del eth0 on the LB"
if daemon_wait lb 'STATUS=lb on eth0: interface gone; its program is attached again when it is back' $((gone_before + 1)); then
	e2e_ok "eth0 deleted: STATUS=lb on eth0: interface gone; its program is attached again when it is back"
else
	e2e_fail "eth0 deleted: STATUS= says the interface is gone" "$(tail -n 3 "$(daemon_notify_log lb)")"
fi
text=$(daemon_ctl lb status | head -n 1)
problems=()
[[ $text == "eth0: lb, native, detached (its interface is gone; the daemon attaches the program again when it is back), daemon pid $pid" ]] ||
	problems+=("l3dsrctl status: $text")
grep -qxF "<4>interface eth0 is gone, and its XDP program with it; l3dsrd attaches the program again when an interface of that name is back" \
	<<<"$(log_since "$log_lines")" || problems+=("no 'interface eth0 is gone' warning" "$(log_since "$log_lines")")
topology_running "$pid" || problems+=("the daemon exited")
e2e_expect_none "while eth0 is gone: l3dsrctl status says so, the daemon logged it once and runs on" "${problems[@]}"

# --- eth0 back: attached again, forwarding resumes ----------------------------------------------
gone_at=$(daemon_stream_position main)
recreate_eth0 "$mac" || e2e_bail "eth0 created again on the LB"
new_ifindex=$(ip -n "$TOPO_NS_LB" -j link show eth0 | daemon_json 'j[0]["ifindex"]')
back_at=$(daemon_stream_position main)
tries=100
while ((tries--)) && ! grep -q '^<6>interface eth0 is back' <<<"$(log_since "$log_lines")"; do sleep 0.1; done
new_link=$(status_value link_id)
problems=()
grep -qxF "<6>interface eth0 is back (ifindex $new_ifindex): program id $program attached again in native mode (link $new_link)" \
	<<<"$(log_since "$log_lines")" || problems+=("no 'interface eth0 is back' line" "$(log_since "$log_lines")")
[ "$new_ifindex" != "$old_ifindex" ] || problems+=("the new eth0 has the old ifindex $old_ifindex")
[ "$(daemon_xdp_id lb eth0)" = "$program" ] || problems+=("eth0 runs '$(daemon_xdp_id lb eth0)', not program $program")
[ "$new_link" != "$link" ] && [ "$(status_value attached)" = True ] || problems+=("l3dsrctl: link $new_link (was $link), attached $(status_value attached)")
[ "${D_PID[lb]}" = "$pid" ] && topology_running "$pid" || problems+=("the daemon is not pid $pid any more")
e2e_expect_none "eth0 created again (ifindex $old_ifindex -> $new_ifindex): the same daemon attached program $program to it (link $link -> $new_link)" "${problems[@]}"
if daemon_wait lb 'STATUS=lb on eth0 \(native\)' $(($(daemon_count lb 'STATUS=lb on eth0 \(native\)') + 1)); then
	e2e_ok "STATUS= is the usual line again: $(grep -o 'STATUS=lb on eth0 (native)[^:]*' "$(daemon_notify_log lb)" | tail -n 1)"
else
	e2e_fail "STATUS= is the usual line again" "$(tail -n 3 "$(daemon_notify_log lb)")"
fi
if wait_answered_since "$back_at" 500; then
	e2e_ok "forwarding resumed without a restart: $(answered_since "$back_at") requests answered since eth0 came back ($(daemon_stream_backends main "$back_at"))"
else
	e2e_fail "forwarding resumed after eth0 came back" "answered since: $(answered_since "$back_at")" \
		"lost while gone: $((back_at - gone_at))" "$(tail -n 5 "$TOPO_DIR/stream-main.log")"
fi

# --- eth0 down and up: nothing to do for the daemon ----------------------------------------------
log_lines=$(wc -l <"$(daemon_log lb)")
ip -n "$TOPO_NS_LB" link set eth0 down && ip -n "$TOPO_NS_LB" link set eth0 up && lb_routes ||
	e2e_bail "eth0 down, up, its routes again"
up_at=$(daemon_stream_position main)
problems=()
wait_answered_since "$up_at" 500 || problems+=("only $(answered_since "$up_at") requests answered since eth0 came up")
[ "$(status_value link_id)" = "$new_link" ] && [ "$(daemon_xdp_id lb eth0)" = "$program" ] ||
	problems+=("link $(status_value link_id) (was $new_link), eth0 runs '$(daemon_xdp_id lb eth0)'")
grep -q 'gone\|is back' <<<"$(log_since "$log_lines")" && problems+=("the daemon saw more than down and up" "$(log_since "$log_lines")")
e2e_expect_none "eth0 down and up: link $new_link and program $program stay, forwarding resumes ($(answered_since "$up_at") answered since)" "${problems[@]}"
daemon_stream_stop main
e2e_note "stream: $D_SUMMARY (the lost ones while eth0 was gone or down)"

e2e_finish
