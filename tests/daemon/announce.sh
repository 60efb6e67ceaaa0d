#!/usr/bin/env bash
# announce.sh: the LB owns its VIPs and announces them as kernel routes (src/announce). After
# READY the LB's namespace holds "blackhole VIP proto 250" in table main and "local VIP dev lo
# proto 251" in table local for both VIP addresses; a ping to a VIP is answered and a SYN to a
# port no VIP has gets a RST, neither forwarded back out. Every backend down (health) withdraws
# the addresses, one back announces them again; drain = yes withdraws all and the LB still
# forwards; a VIP removed by a reload is withdrawn and released; a VIP whose backends are all
# drained is withdrawn, and its SYNs are dropped by the program, neither reset by the LB's
# kernel nor forwarded, while a ping is still answered. SIGTERM withdraws first and
# keeps the program attached for the stop-delay (a second SIGTERM cuts it short), then
# everything is gone. SIGKILL leaves routes and program; a restart adopts them without a single
# withdrawal and deletes stale routes of addresses no longer served. Last, the LB's interface
# deleted under it withdraws the addresses, and a SIGTERM then stops at once.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup --backends 2
LB_NS=$(daemon_ns lb)
CHECK="tcp interval=1s timeout=500ms rise=1 fall=1"

# lb_config FILE [--global LINE]... [--only web4|web6] [--drained]: web4 and web6 (tcp 80) on
# backends 1 and 2 (with --drained both at weight 0) with a tcp check, and the [global] lines.
lb_config() {
	local file=$1 globals=() only= name family dscp weights=(1 2)
	shift
	while (($#)); do
		case $1 in
		--global) globals+=("$2"); shift 2 ;;
		--only) only=$2; shift 2 ;;
		--drained) weights=(1:0 2:0); shift ;;
		*) break ;;
		esac
	done
	{
		echo "[global]"
		echo "xdp-mode = native"
		printf '%s\n' "${globals[@]}"
		for spec in web4:4:10 web6:6:11; do
			IFS=: read -r name family dscp <<<"$spec"
			[ -z "$only" ] || [ "$only" = "$name" ] || continue
			echo "[vip $name]"
			if [ "$family" = 4 ]; then echo "address = $TOPO_VIP4"; else echo "address = $TOPO_VIP6"; fi
			echo "protocol = tcp"
			echo "port = 80"
			echo "dscp = $dscp"
			echo "table-size = 1009"
			topology_backend_lines "$family" "${weights[@]}"
			echo "check = $CHECK"
		done
	} >"$file"
}

# The destinations of the routes of PROTOCOL (250 or 251), both families, sorted, one line.
routes() {
	{
		ip -n "$LB_NS" -4 route show table all proto "$1"
		ip -n "$LB_NS" -6 route show table all proto "$1"
	} | sort | tr '\n' ';'
}
announced() { routes 250; }
owned() { routes 251; }
ANNOUNCED_BOTH="blackhole $TOPO_VIP4 ;blackhole $TOPO_VIP6 dev lo metric 1024 pref medium;"
OWNED_BOTH="local $TOPO_VIP4 dev lo table local scope host ;local $TOPO_VIP6 dev lo table local metric 1024 pref medium;"

# The value of web4's l3dsr_vip_announced in the statistics file.
announced_metric() {
	sed -n 's/^l3dsr_vip_announced{interface="eth0",vip="web4"} \([01]\)$/\1/p' "$PROM" 2>/dev/null
}
fingerprint_of() {
	daemon_ctl lb -j status |
		daemon_json '[v["fingerprint"] for v in j[0]["vips"] if v["name"] == "'"$1"'"][0]'
}

# wait_for WHAT COMMAND EXPECTED: polls COMMAND until it prints EXPECTED (60 s at most: the
# state decides, the time only bounds a wait for a state that never comes).
wait_for() {
	local what=$1 command=$2 expected=$3 tries=600 got
	while ((tries--)); do
		got=$($command)
		[ "$got" = "$expected" ] && return 0
		sleep 0.1
	done
	WAIT_GOT=$got
	return 1
}

expect_routes() {
	local what=$1 want_announced=$2 want_owned=$3
	if wait_for "$what" announced "$want_announced" && wait_for "$what" owned "$want_owned"; then
		e2e_ok "$what: proto 250 '$want_announced', proto 251 '$want_owned'"
	else
		e2e_fail "$what" "announced (proto 250): '$(announced)'" \
			"expected: '$want_announced'" "owned (proto 251): '$(owned)'" \
			"expected: '$want_owned'" "$(tail -n 8 "$(daemon_log lb)")"
	fi
}

# expect_equal WHAT GOT EXPECTED
expect_equal() {
	if [ "$2" = "$3" ]; then e2e_ok "$1"; else e2e_fail "$1" "got '$2', expected '$3'"; fi
}

forwarded() {
	ip netns exec "$LB_NS" nstat -az IpExtInNoRoutes Ip6OutForwDatagrams IpForwDatagrams |
		awk '$1 == "IpForwDatagrams" || $1 == "Ip6OutForwDatagrams" { sum += $2 } END { print sum + 0 }'
}

conf_backend web4:4:10 web6:6:11 udp4:4:12 udp6:6:13 >"$TOPO_DIR/backend.conf"
for host in "${TOPO_BACKENDS[@]}"; do
	daemon_start_ready "$host" "$host" backend eth0 "$TOPO_DIR/backend.conf" ||
		e2e_bail "l3dsrd --role backend on $host: READY=1" "$D_ERROR"
done
PROM=$TOPO_DIR/lb.prom
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM"
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd --role lb: READY=1" "$D_ERROR"

# --- after READY --------------------------------------------------------------------------------
if [ "$(announced)" = "$ANNOUNCED_BOTH" ] && [ "$(owned)" = "$OWNED_BOTH" ]; then
	e2e_ok "at READY=1: both VIP addresses announced (blackhole, proto 250) and owned (local dev lo, proto 251)"
else
	e2e_fail "at READY=1: both VIP addresses announced and owned" "proto 250: '$(announced)'" \
		"proto 251: '$(owned)'"
fi
status=$(grep -m1 ': READY=1' "$(daemon_notify_log lb)" | sed 's/.*STATUS=//')
expect_equal "STATUS= at READY=1 says 2/2 VIP addresses announced: '$status'" \
	"$([[ $status == *", 2/2 VIP addresses announced, "* ]] && echo yes)" yes
tap_json "l3dsrctl -j status: announced and a 16-digit fingerprint per VIP" "$(daemon_ctl lb -j status)" '[
	("web4 announced", vip(j[0], "web4")["announced"] is True),
	("web6 announced", vip(j[0], "web6")["announced"] is True),
	("fingerprints of 16 hex digits", all(len(v["fingerprint"]) == 16 and
		int(v["fingerprint"], 16) >= 0 for v in j[0]["vips"])),
	]'
e2e_note "$(daemon_ctl lb status)"
text=$(daemon_ctl lb status | grep -E '^  vip web4 ')
expect_equal "l3dsrctl status shows 'announced yes' and the fingerprint: '$text'" \
	"$([[ $text =~ announced\ yes\ fingerprint\ [0-9a-f]{16} ]] && echo yes)" yes

fingerprint_start=$(fingerprint_of web4)
if wait_for "metrics" announced_metric 1 &&
	grep -qxF "l3dsr_vip_info{interface=\"eth0\",vip=\"web4\",fingerprint=\"$fingerprint_start\"} 1" "$PROM"; then
	e2e_ok "statistics file: l3dsr_vip_announced 1 and l3dsr_vip_info with fingerprint $fingerprint_start"
else
	e2e_fail "statistics file: l3dsr_vip_announced 1 and the fingerprint" "$(grep l3dsr_vip_ "$PROM")"
fi

# --- the LB's kernel owns the VIPs: ping answered, a closed port reset, nothing forwarded -------
forwarded_before=$(forwarded)
ping4=$(topology_exec client ping -c 3 -i 0.2 -W 2 "$TOPO_VIP4" 2>&1 | grep -c 'bytes from')
ping6=$(topology_exec client ping -6 -c 3 -i 0.2 -W 2 "$TOPO_VIP6" 2>&1 | grep -c 'bytes from')
refused4=$(topology_exec client curl -4 -sS --max-time 5 "http://$TOPO_VIP4:81/" 2>&1)
code4=$?
refused6=$(topology_exec client curl -6 -sS --max-time 5 -g "http://[$TOPO_VIP6]:81/" 2>&1)
code6=$?
forwarded_after=$(forwarded)
if [ "$ping4" = 3 ] && [ "$ping6" = 3 ] && [ "$code4" = 7 ] && [ "$code6" = 7 ] &&
	[ "$forwarded_before" = "$forwarded_after" ]; then
	e2e_ok "pings to both VIPs answered, a SYN to port 81 refused (RST), the LB forwarded none of them"
else
	e2e_fail "pings answered, port 81 refused, nothing forwarded by the LB" \
		"ping replies: v4 $ping4/3, v6 $ping6/3" "curl port 81: v4 exit $code4 ($refused4), v6 exit $code6 ($refused6)" \
		"LB forwarded datagrams: $forwarded_before before, $forwarded_after after"
fi

# --- every backend down: withdrawn; one back: announced again -----------------------------------
for host in "${TOPO_BACKENDS[@]}"; do
	pid_var=TOPO_HTTP_PID_$host
	kill "${!pid_var}" 2>/dev/null
	topology_reap "${!pid_var}"
done
expect_routes "every backend's service stopped: both addresses withdrawn, still owned" "" "$OWNED_BOTH"
tap_json "l3dsrctl -j status: neither VIP announced" "$(daemon_ctl lb -j status)" \
	'[("web4 not announced", vip(j[0], "web4")["announced"] is False),
	  ("web6 not announced", vip(j[0], "web6")["announced"] is False)]'
if wait_for "metrics" announced_metric 0; then
	e2e_ok "statistics file: l3dsr_vip_announced 0 for web4"
else
	e2e_fail "statistics file: l3dsr_vip_announced 0 for web4" "$(grep l3dsr_vip_ "$PROM")"
fi
ip netns exec "${TOPO_NS_BACKENDS[0]}" "$D_PYTHON" "$TOPO_LIB_DIR/http_backend.py" --name backend1 \
	--port 80 "$TOPO_VIP4" "$TOPO_VIP6" >>"$TOPO_DIR/http-backend1.log" 2>&1 &
topology_track_pid $!
topology_wait_listen backend1 80 "$TOPO_VIP4" "[$TOPO_VIP6]" || e2e_bail "backend1's HTTP server back"
expect_routes "backend1's service back: both addresses announced again" "$ANNOUNCED_BOTH" "$OWNED_BOTH"
fingerprint_one=$(fingerprint_of web4)
if [ -n "$fingerprint_one" ] && [ "$fingerprint_one" != "$fingerprint_start" ]; then
	e2e_ok "with backend1 alone in the table the fingerprint changed: $fingerprint_start -> $fingerprint_one"
else
	e2e_fail "the fingerprint follows the table" "at start $fingerprint_start, backend1 alone $fingerprint_one"
fi

# --- drain = yes: everything withdrawn, the LB still forwards ----------------------------------
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM" --global "drain = yes"
daemon_reload lb || e2e_bail "reload with drain = yes"
expect_routes "reload with drain = yes: nothing announced, both addresses still owned" "" "$OWNED_BOTH"
answer=$(daemon_http 4 44001)
expect_equal "drained, a request through the VIP is still forwarded: answered by '$answer'" \
	"$answer" backend1
status=$(grep ': READY=1' "$(daemon_notify_log lb)" | tail -n 1 | sed 's/.*STATUS=//')
expect_equal "STATUS= says drained: '$status'" \
	"$([[ $status == *", drained, 0/2 VIP addresses announced, "* ]] && echo yes)" yes
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM"
daemon_reload lb || e2e_bail "reload with drain = no"
expect_routes "reload with drain = no: both announced again" "$ANNOUNCED_BOTH" "$OWNED_BOTH"

# --- a VIP removed by a reload: withdrawn and released -----------------------------------------
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM" --only web4
daemon_reload lb || e2e_bail "reload without web6"
expect_routes "reload without web6: $TOPO_VIP6 withdrawn and released" \
	"blackhole $TOPO_VIP4 ;" "local $TOPO_VIP4 dev lo table local scope host ;"
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM"
daemon_reload lb || e2e_bail "reload with web6 again"
expect_routes "reload with web6 again: announced and owned" "$ANNOUNCED_BOTH" "$OWNED_BOTH"

# --- every backend drained: withdrawn; a SYN to the VIP is dropped by the program, not reset ---
no_backend() {
	daemon_ctl lb -j stats | daemon_json 'j[0]["counters"]["no_backend"]["packets"]'
}
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM" --drained
daemon_reload lb || e2e_bail "reload with every backend at weight 0"
expect_routes "reload with every backend at weight 0: nothing announced, both still owned" "" "$OWNED_BOTH"
forwarded_before=$(forwarded)
no_backend_before=$(no_backend)
topology_exec client curl -4 -sS --max-time 2 "http://$TOPO_VIP4/" >/dev/null 2>&1
code=$?
ping4=$(topology_exec client ping -c 2 -i 0.2 -W 2 "$TOPO_VIP4" 2>&1 | grep -c 'bytes from')
no_backend_after=$(no_backend)
if [ "$code" = 28 ] && [ "$ping4" = 2 ] && [ "$(forwarded)" = "$forwarded_before" ] &&
	((no_backend_after > no_backend_before)); then
	e2e_ok "drained VIP: a request times out (its SYNs dropped by the program: no_backend $no_backend_before -> $no_backend_after, no reset), a ping is answered, the LB forwarded nothing"
else
	e2e_fail "drained VIP: SYNs dropped, not reset nor forwarded; ping answered" \
		"curl exit $code (28 = timed out, 7 = reset)" "ping replies $ping4/2" \
		"no_backend $no_backend_before -> $no_backend_after" \
		"LB forwarded datagrams $forwarded_before -> $(forwarded)"
fi
lb_config "$TOPO_DIR/lb.conf" --global "stop-delay = 30s" --global "statistics-file = $PROM"
daemon_reload lb || e2e_bail "reload with the weights back"
expect_routes "reload with the weights back: announced again" "$ANNOUNCED_BOTH" "$OWNED_BOTH"

# --- SIGTERM: withdrawn first, still attached and forwarding during the stop-delay ------------
program=$(daemon_xdp_id lb eth0)
pid=${D_PID[lb]}
kill -TERM "$pid"
daemon_wait lb 'STOPPING=1' 1 || e2e_fail "SIGTERM: STOPPING=1" "$(tail -n 5 "$(daemon_log lb)")"
stopping=$(grep -m1 'STOPPING=1' "$(daemon_notify_log lb)")
answer=$(daemon_http 4 44002)
problems=()
[ -z "$(announced)" ] || problems+=("still announced: $(announced)")
[ "$(owned)" = "$OWNED_BOTH" ] || problems+=("owned: '$(owned)'")
[ -n "$program" ] && [ "$(daemon_xdp_id lb eth0)" = "$program" ] ||
	problems+=("XDP on eth0: '$(daemon_xdp_id lb eth0)', was '$program'")
topology_running "$pid" || problems+=("the daemon exited")
[ "$answer" = backend1 ] || problems+=("a request during the stop-delay: '$answer'")
[[ $stopping == *"STATUS=stopping: every VIP withdrawn, forwarding for 30.000 s before detaching"* ]] ||
	problems+=("notify: $stopping")
if ((${#problems[@]} == 0)); then
	e2e_ok "SIGTERM: routes withdrawn while program $program stays attached and forwards, STOPPING=1 says for 30 s"
else
	e2e_fail "SIGTERM: withdrawn first, still attached during the stop-delay" "${problems[@]}"
fi
kill -TERM "$pid"
wait "$pid"
status=$?
unset "D_PID[lb]"
if [ "$status" = 0 ] && [ -z "$(announced)" ] && [ -z "$(owned)" ] && [ -z "$(daemon_xdp_id lb eth0)" ]; then
	e2e_ok "a second SIGTERM cuts the stop-delay short: exit 0, no route of proto 250 or 251, no XDP program"
else
	e2e_fail "after the stop: nothing left" "exit status $status" "proto 250: '$(announced)'" \
		"proto 251: '$(owned)'" "XDP: '$(daemon_xdp_id lb eth0)'"
fi

# --- SIGKILL: fail-static; a restart adopts without withdrawing --------------------------------
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd --role lb again: READY=1" "$D_ERROR"
expect_routes "started again: announced and owned" "$ANNOUNCED_BOTH" "$OWNED_BOTH"
pid=${D_PID[lb]}
kill -KILL "$pid"
wait "$pid" 2>/dev/null
unset "D_PID[lb]"
if [ "$(announced)" = "$ANNOUNCED_BOTH" ] && [ "$(owned)" = "$OWNED_BOTH" ] &&
	[ -n "$(daemon_xdp_id lb eth0)" ]; then
	e2e_ok "SIGKILL: routes and program stay (fail-static)"
else
	e2e_fail "SIGKILL: routes and program stay" "proto 250: '$(announced)'" \
		"proto 251: '$(owned)'" "XDP: '$(daemon_xdp_id lb eth0)'"
fi
# Stale routes of an address this LB does not serve, as an older configuration would leave.
ip -n "$LB_NS" route add blackhole 192.0.2.99/32 proto 250
ip -n "$LB_NS" route add local 192.0.2.99/32 dev lo table local proto 251
ip -n "$LB_NS" monitor route >"$TOPO_DIR/monitor.log" 2>&1 &
monitor_pid=$!
topology_track_pid "$monitor_pid"
sleep 0.5 # ip monitor has subscribed (it prints nothing until a change)
daemon_start_ready lb lb lb eth0 "$TOPO_DIR/lb.conf" || e2e_bail "l3dsrd --role lb adopting: READY=1" "$D_ERROR"
expect_routes "restarted: stale 192.0.2.99 routes deleted, the VIPs kept" "$ANNOUNCED_BOTH" "$OWNED_BOTH"
kill "$monitor_pid"
topology_reap "$monitor_pid"
deleted=$(grep '^Deleted' "$TOPO_DIR/monitor.log")
if ! grep -q "$TOPO_VIP4 \|$TOPO_VIP6 " <<<"$deleted" && grep -q '192.0.2.99' <<<"$deleted"; then
	e2e_ok "the restart adopted the routes: no VIP route deleted meanwhile, only the stale ones"
else
	e2e_fail "the restart adopted the routes without a withdrawal" "$(cat "$TOPO_DIR/monitor.log")"
fi

# --- the LB's interface goes away: the program with it, so the addresses are withdrawn ----------
ip -n "$LB_NS" link del eth0
expect_routes "eth0 deleted under the LB: both addresses withdrawn, still owned" "" "$OWNED_BOTH"
pid=${D_PID[lb]}
kill -TERM "$pid"
wait "$pid"
status=$?
unset "D_PID[lb]"
if [ "$status" = 0 ] && [ -z "$(announced)" ] && [ -z "$(owned)" ]; then
	e2e_ok "SIGTERM without its interface: no stop-delay to wait, exit 0, every route gone"
else
	e2e_fail "SIGTERM without its interface" "exit status $status" "proto 250: '$(announced)'" \
		"proto 251: '$(owned)'" "$(tail -n 5 "$(daemon_log lb)")"
fi

e2e_finish
