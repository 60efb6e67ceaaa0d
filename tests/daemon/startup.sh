#!/usr/bin/env bash
# startup.sh: how l3dsrd starts, or refuses to, in a namespace of its own: a bad configuration,
# forwarding off (naming the exact sysctl), a pin directory off bpffs, an interface that appears
# only later, the default pin directory with bpffs mounted on demand, and the flow-insert limit
# the default configuration writes into the settings map.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup_plain
daemon_netns s || e2e_bail "setup: a namespace"
ns=$D_NS
ip -n "$ns" link add ve0 type veth peer name ve1 && ip -n "$ns" link set ve0 up &&
	ip -n "$ns" link set ve1 up && ip -n "$ns" addr add 198.51.100.1/24 dev ve1 &&
	ip -n "$ns" addr add 2001:db8:2::1/64 dev ve1 nodad || e2e_bail "setup: veth ve0/ve1"
sysctl_in() { ip netns exec "$ns" sysctl -q -w "$@" >/dev/null; }
sysctl_in net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

cat >"$TOPO_DIR/lb4.conf" <<'EOF'
[vip web]
address = 192.0.2.10
protocol = tcp
port = 80
dscp = 10
table-size = 101
backend = 198.51.100.11
EOF
cat "$TOPO_DIR/lb4.conf" - >"$TOPO_DIR/lb46.conf" <<'EOF'

[vip web6]
address = 2001:db8:f::10
protocol = tcp
port = 80
dscp = 11
table-size = 101
backend = 2001:db8:2::11
EOF
conf_backend web:4:10 >"$TOPO_DIR/backend.conf"

# refused NAME: the instance NAME exited 1 without READY=1, XDP program or pins.
refused() {
	local name=$1 pid=${D_PID[$1]} tries=100 status
	while ((tries--)) && topology_running "$pid"; do sleep 0.1; done
	wait "$pid"
	status=$?
	unset "D_PID[$name]"
	REFUSAL=()
	[ "$status" = 1 ] || REFUSAL+=("exit status $status")
	grep -q 'READY=1' "$(daemon_notify_log "$name")" && REFUSAL+=("it sent READY=1")
	[ -z "$(daemon_xdp_id "$ns" "${D_IFNAME[$name]}")" ] || REFUSAL+=("an XDP program is attached")
	[ ! -e "$(daemon_pins "$name")" ] || REFUSAL+=("pins left: $(ls "$(daemon_pins "$name")")")
	((${#REFUSAL[@]} == 0))
}

# --- a configuration with errors -------------------------------------------------------------
sed 's/^dscp = 10$/dscp = 99/; s/^port = 80$/port = http/; s/^table-size = 101$/table-size = 7/' \
	"$TOPO_DIR/lb4.conf" >"$TOPO_DIR/bad.conf"
sysctl_in net.ipv4.ip_forward=1
daemon_start bad "$ns" lb ve0 "$TOPO_DIR/bad.conf"
refused bad
log=$(cat "$(daemon_log bad)")
if ((${#REFUSAL[@]} == 0)) && grep -qE "^<3>$TOPO_DIR/bad.conf:4: " <<<"$log" &&
	grep -qE "^<3>$TOPO_DIR/bad.conf:5: " <<<"$log" &&
	grep -qE "^<4>$TOPO_DIR/bad.conf:6: warning: table-size 7 " <<<"$log" &&
	grep -qx "<3>not starting: 2 errors in $TOPO_DIR/bad.conf" <<<"$log" &&
	! grep -q "^<3>$TOPO_DIR/bad.conf: [0-9]* error" <<<"$log"; then
	e2e_ok "a configuration with errors: each logged as <3>FILE:LINE, its warning as <4>, exit 1, nothing attached or pinned"
else
	e2e_fail "a configuration with errors is refused, each error logged" "${REFUSAL[@]}" "$log"
fi

# --- forwarding ------------------------------------------------------------------------------
sysctl_in net.ipv4.ip_forward=0
daemon_start fwd4 "$ns" lb ve0 "$TOPO_DIR/lb4.conf"
refused fwd4
expected="<3>IPv4 forwarding is off on ve0, which this load balancer needs: set net.ipv4.conf.ve0.forwarding=1 (or net.ipv4.ip_forward=1 for every interface)"
if ((${#REFUSAL[@]} == 0)) && grep -qxF "$expected" "$(daemon_log fwd4)"; then
	e2e_ok "IPv4 forwarding off: refused, naming net.ipv4.conf.ve0.forwarding"
else
	e2e_fail "IPv4 forwarding off: refused with the exact sysctl" "${REFUSAL[@]}" \
		"expected: $expected" "$(cat "$(daemon_log fwd4)")"
fi
sysctl_in net.ipv4.conf.ve0.forwarding=1
daemon_start fwd6 "$ns" lb ve0 "$TOPO_DIR/lb46.conf"
refused fwd6
expected="<3>IPv6 forwarding is off on ve0, which this load balancer needs: set net.ipv6.conf.ve0.forwarding=1 (or net.ipv6.conf.all.forwarding=1 for every interface)"
if ((${#REFUSAL[@]} == 0)) && grep -qxF "$expected" "$(daemon_log fwd6)" &&
	! grep -q 'IPv4 forwarding' "$(daemon_log fwd6)"; then
	e2e_ok "IPv4 on for ve0 alone, IPv6 off: refused, naming net.ipv6.conf.ve0.forwarding only"
else
	e2e_fail "IPv6 forwarding off: refused with the exact sysctl" "${REFUSAL[@]}" \
		"expected: $expected" "$(cat "$(daemon_log fwd6)")"
fi
sysctl_in net.ipv6.conf.ve0.forwarding=1
if daemon_start_ready fwd-on "$ns" lb ve0 "$TOPO_DIR/lb46.conf"; then
	e2e_ok "with forwarding on for ve0 in both families, the same configuration starts"
else
	e2e_fail "with forwarding on, the LB starts" "$D_ERROR"
fi

# --- flow-inserts-per-second auto, the default -------------------------------------------------
# lb46.conf has no [global]: the daemon writes flow-table-size / possible CPUs / 10 (at least 1)
# into the settings map, counting the CPUs as libbpf does, from the kernel's "possible" list.
possible_cpus() {
	local count=0 range ranges
	IFS=, read -ra ranges </sys/devices/system/cpu/possible
	for range in "${ranges[@]}"; do
		count=$((count + ${range#*-} - ${range%-*} + 1))
	done
	echo "$count"
}
cpus=$(possible_cpus)
table=$(sed -n 's/^#define L3DSR_DEFAULT_FLOW_TABLE_SIZE \([0-9]*\)$/\1/p' "$D_ROOT/bpf/l3dsr_common.h")
expected=$((table / cpus / 10))
((expected >= 1)) || expected=1
written=$(bpftool -j map lookup pinned "$(daemon_pins fwd-on)/settings" key 0 0 0 0 2>&1 |
	daemon_json 'j["formatted"]["value"]["flow_inserts_per_second"]' 2>&1)
line="<6>flow-inserts-per-second auto: $expected per CPU (flow-table-size $table / $cpus possible CPUs / 10 s)"
if [ -n "$table" ] && [ "$written" = "$expected" ] && grep -qxF "$line" "$(daemon_log fwd-on)"; then
	e2e_ok "flow-inserts-per-second left out: auto, $table / $cpus CPUs / 10 = $expected in the settings map, and logged"
else
	e2e_fail "flow-inserts-per-second auto: $table / $cpus CPUs / 10 = $expected in the settings map" \
		"settings.flow_inserts_per_second: $written" "expected log line: $line" \
		"$(cat "$(daemon_log fwd-on)")"
fi
daemon_stop fwd-on
sysctl_in net.ipv4.conf.ve0.forwarding=0 net.ipv6.conf.ve0.forwarding=0
if daemon_start_ready backend-nofwd "$ns" backend ve0 "$TOPO_DIR/backend.conf"; then
	e2e_ok "the backend role does not need forwarding"
else
	e2e_fail "the backend role starts without forwarding" "$D_ERROR"
fi
daemon_stop backend-nofwd

# A reload that adds an IPv6 VIP while IPv6 forwarding is off is refused the same way.
sysctl_in net.ipv4.conf.ve0.forwarding=1 net.ipv6.conf.ve0.forwarding=0
cp "$TOPO_DIR/lb4.conf" "$TOPO_DIR/lb-reload.conf"
daemon_start_ready fwd-reload "$ns" lb ve0 "$TOPO_DIR/lb-reload.conf" ||
	e2e_bail "the LB starts with an IPv4 VIP" "$D_ERROR"
program=$(daemon_xdp_id "$ns" ve0)
cp "$TOPO_DIR/lb46.conf" "$TOPO_DIR/lb-reload.conf"
daemon_reload fwd-reload || e2e_bail "SIGHUP: RELOADING=1, READY=1" "$(cat "$(daemon_log fwd-reload)")"
log=$(cat "$(daemon_log fwd-reload)")
# One line says both what is wrong and what the daemon did about it.
if grep -qxF "<3>reload refused: IPv6 forwarding is off on ve0, which this load balancer needs: set net.ipv6.conf.ve0.forwarding=1 (or net.ipv6.conf.all.forwarding=1 for every interface); the running configuration stays" <<<"$log" &&
	[ "$(grep -c '^<3>' <<<"$log")" = 1 ] &&
	[ "$(daemon_ctl fwd-reload -j status | daemon_json 'len(j[0]["vips"])')" = 1 ] &&
	[ "$(daemon_xdp_id "$ns" ve0)" = "$program" ]; then
	e2e_ok "a reload adding an IPv6 VIP with IPv6 forwarding off: refused with the sysctl, the IPv4 VIP stays"
else
	e2e_fail "a reload needing forwarding that is off is refused" "$log"
fi
daemon_stop fwd-reload

# --- a pin directory that is not on bpffs --------------------------------------------------------
mkdir -p "$TOPO_DIR/plain"
daemon_start off-bpffs "$ns" backend ve0 "$TOPO_DIR/backend.conf" --pin-dir "$TOPO_DIR/plain/ve0"
refused off-bpffs
expected="<3>pin directory $TOPO_DIR/plain/ve0: $TOPO_DIR/plain is not on a bpf filesystem (mount one with 'mount -t bpf bpf DIR')"
if ((${#REFUSAL[@]} == 0)) && grep -qxF "$expected" "$(daemon_log off-bpffs)" &&
	[ ! -e "$TOPO_DIR/plain/ve0" ]; then
	e2e_ok "--pin-dir off bpffs: refused with a hint, nothing created"
else
	e2e_fail "--pin-dir off bpffs is refused" "${REFUSAL[@]}" "expected: $expected" \
		"$(cat "$(daemon_log off-bpffs)")"
fi

# A relative --pin-dir is taken from the working directory and made absolute.
cd "$D_BPFFS" || e2e_bail "cd $D_BPFFS"
daemon_start_ready relative "$ns" backend ve0 "$TOPO_DIR/backend.conf" --pin-dir rel/ve0 ||
	e2e_fail "a relative --pin-dir" "$D_ERROR"
cd - >/dev/null || e2e_bail "cd back"
if [ -e "$D_BPFFS/rel/ve0/link" ] && grep -q ", pins $D_BPFFS/rel/ve0\$" "$(daemon_log relative)"; then
	e2e_ok "a relative --pin-dir rel/ve0 becomes $D_BPFFS/rel/ve0"
else
	e2e_fail "a relative --pin-dir becomes absolute" "$(cat "$(daemon_log relative)")"
fi
daemon_stop relative

# Without NOTIFY_SOCKET (a plain foreground run) it works the same, and says nothing about it.
env -u NOTIFY_SOCKET ip netns exec "$ns" "$L3DSRD" --role backend --interface ve0 \
	--config "$TOPO_DIR/backend.conf" --bpf-dir "$D_BPF_DIR" --pin-dir "$D_BPFFS/plain-run" \
	</dev/null >"$TOPO_DIR/plain-run.log" 2>&1 &
D_PID[plain-run]=$!
tries=100
while ((tries--)) && ! grep -qs '^<6>attached to ve0' "$TOPO_DIR/plain-run.log"; do sleep 0.1; done
kill -TERM "${D_PID[plain-run]}"
wait "${D_PID[plain-run]}"
status=$?
unset "D_PID[plain-run]"
if [ "$status" = 0 ] && grep -q '^<6>attached to ve0' "$TOPO_DIR/plain-run.log" &&
	! grep -qE '^<[34]>' "$TOPO_DIR/plain-run.log"; then
	e2e_ok "without NOTIFY_SOCKET: attaches, stops on SIGTERM with exit 0, no warning or error"
else
	e2e_fail "without NOTIFY_SOCKET it runs the same" "exit status $status" \
		"$(cat "$TOPO_DIR/plain-run.log")"
fi

# --- an interface that appears later -----------------------------------------------------------
daemon_start late "$ns" backend ve2 "$TOPO_DIR/backend.conf"
sleep 1.5
waiting=$(grep -c 'READY=1' "$(daemon_notify_log late)")
ip -n "$ns" link add ve2 type veth peer name ve3 && ip -n "$ns" link set ve2 up &&
	ip -n "$ns" link set ve3 up
if ((waiting == 0)) && daemon_wait_ready late 1 10 && [ -n "$(daemon_xdp_id "$ns" ve2)" ] &&
	grep -qx '<6>waiting up to 30 s for interface ve2 to appear' "$(daemon_log late)" &&
	grep -qx '<6>interface ve2 appeared' "$(daemon_log late)"; then
	e2e_ok "started before its interface existed: waited (logged), attached and READY=1 once ve2 appeared"
else
	e2e_fail "waits for its interface" "READY=1 before ve2 existed: $waiting" \
		"$(cat "$(daemon_log late)")"
fi
# The interface goes away under it: the kernel detaches the program; the daemon says so.
ip -n "$ns" link del ve2
tries=100
while ((tries--)) && ! grep -q 'interface ve2 is gone' "$(daemon_log late)"; do sleep 0.1; done
if grep -qx "<3>interface ve2 is gone, and its XDP program with it; restart l3dsrd once it is back" \
	"$(daemon_log late)"; then
	e2e_ok "its interface deleted: logged within 10 s"
else
	e2e_fail "its interface deleted: logged within 10 s" "$(cat "$(daemon_log late)")"
fi
daemon_stop late
if [ "$D_STATUS" = 0 ] && [ ! -e "$(daemon_pins late)" ]; then
	e2e_ok "SIGTERM after the interface went away: exit 0, pins removed"
else
	e2e_fail "SIGTERM after the interface went away" "exit status $D_STATUS" \
		"pins: $(ls "$(daemon_pins late)" 2>&1)" "$(tail -n 5 "$(daemon_log late)")"
fi

# SIGTERM while it waits for an interface: it stops at once, exit 0.
daemon_start never "$ns" backend ve9 "$TOPO_DIR/backend.conf"
tries=50
while ((tries--)) && ! grep -qs 'waiting up to 30 s' "$(daemon_log never)"; do sleep 0.1; done
started=$(date +%s%N)
daemon_stop never
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
if [ "$D_STATUS" = 0 ] && grep -qx '<6>SIGTERM before interface ve9 appeared: stopping' "$(daemon_log never)" &&
	((elapsed_ms < 5000)); then
	e2e_ok "SIGTERM while waiting for an interface: stops (in $elapsed_ms ms), exit 0"
else
	e2e_fail "SIGTERM while waiting for an interface stops it" "exit status $D_STATUS, $elapsed_ms ms" \
		"$(cat "$(daemon_log never)")"
fi

# --- the default pin directory, bpffs mounted on demand ------------------------------------------
# ip netns exec gives the daemon a fresh /sys with nothing on /sys/fs/bpf: it mounts bpffs there
# itself, in its own mount namespace, which ends with it.
socket=$TOPO_DIR/notify-default.sock
"$D_PYTHON" "$D_LIB/notify_probe.py" "$socket" "$(daemon_notify_log default)" </dev/null \
	>/dev/null 2>&1 &
D_NOTIFY_PID[default]=$!
tries=50
while ((tries--)) && [ ! -S "$socket" ]; do sleep 0.1; done
NOTIFY_SOCKET=$socket ip netns exec "$ns" "$L3DSRD" --role backend --interface ve0 \
	--config "$TOPO_DIR/backend.conf" --bpf-dir "$D_BPF_DIR" </dev/null \
	>>"$(daemon_log default)" 2>&1 &
D_PID[default]=$!
D_HOST[default]=$ns
D_IFNAME[default]=ve0
if daemon_wait_ready default 1; then
	pid=${D_PID[default]}
	pins=$(nsenter -t "$pid" -m ls /sys/fs/bpf/l3dsr/ve0 2>&1 | tr '\n' ' ')
	ctl=$(nsenter -t "$pid" -m -n "$L3DSRCTL" status 2>&1 | head -n 1)
	if grep -qx '<6>mounted a bpf filesystem on /sys/fs/bpf' "$(daemon_log default)" &&
		[[ $pins == *"link "* && $pins == *"dscp_vips "* && $pins == *"instance "* ]] &&
		[[ $ctl == "ve0: backend, native, program "*", daemon pid $pid" ]]; then
		e2e_ok "no --pin-dir: bpffs mounted on /sys/fs/bpf, pins in /sys/fs/bpf/l3dsr/ve0, l3dsrctl finds them by default"
	else
		e2e_fail "no --pin-dir: bpffs mounted on demand, default pins" "pins: $pins" \
			"l3dsrctl status: $ctl" "$(cat "$(daemon_log default)")"
	fi
	empty_after=$(nsenter -t "$pid" -m sh -c 'kill -TERM '"$pid"'; while kill -0 '"$pid"' 2>/dev/null; do sleep 0.1; done; ls -A /sys/fs/bpf' 2>&1)
	wait "$pid"
	status=$?
	unset "D_PID[default]"
	if [ "$status" = 0 ] && [ -z "$(daemon_xdp_id "$ns" ve0)" ] && [[ $empty_after != *l3dsr* ]]; then
		e2e_ok "SIGTERM: exit 0, ve0 without XDP program, /sys/fs/bpf/l3dsr removed (left: ${empty_after//$'\n'/ })"
	else
		e2e_fail "SIGTERM after a default-pins run" "exit status $status" \
			"ve0: $(daemon_xdp_id "$ns" ve0)" "/sys/fs/bpf after: $empty_after"
	fi
else
	e2e_fail "no --pin-dir: READY=1" "$(cat "$(daemon_log default)")"
fi

e2e_finish
