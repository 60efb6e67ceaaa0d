# container.sh: what the install tests share (sourced): a cached Debian bookworm root booted
# under systemd-nspawn in a network namespace of its own, the namespaces around it, the
# backends, and the checks on the instance l3dsr-lb@veth0 in it. install-test.sh installs the
# .deb there, install-rpm-test.sh the .rpm. Everything it creates is removed on exit, also on
# failure (the EXIT trap it sets).
#
# Topology (documentation addresses only):
#
#   client 192.0.2.2 --- 192.0.2.1 [router] 192.0.2.17 --- 192.0.2.18 veth0 [container: systemd,
#                         |      |                                          l3dsr-lb@veth0]
#          198.51.100.17 |      | 198.51.100.33
#   backend1 198.51.100.18      backend2 198.51.100.34   (VIP 203.0.113.10 on lo, http on :80,
#                                                          l3dsrd --role backend from the tree)
#
# The router sends VIP traffic to the load balancer, whose XDP program rewrites it to a backend
# and sends it back out veth0 (XDP_TX); the backends answer the client directly. A second link,
# veth1 (198.51.100.50, router 198.51.100.49), carries the container's l3dsr-backend@veth1.
#
# The sourcing script calls container_up PACKAGE_FILE... first, then installs and checks with
# check / require (tap.sh) and in_container.

root=${L3DSR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cache_dir=$root/.cache/install
tag=$$$((RANDOM % 100))
prefix=l3i$tag
tmp=$(mktemp -d /tmp/l3dsr-install.XXXXXX)
vip=203.0.113.10
declare -A netns=([container]=${prefix}c [router]=${prefix}r [client]=${prefix}k
	[backend1]=${prefix}b1 [backend2]=${prefix}b2)
machine=$prefix
cgroups=()
background_pids=()
nspawn_pid=
container_pid=

# ---- TAP ----------------------------------------------------------------------------------
. "$root/tests/install/tap.sh"
# Under a failed check: what the container's journal says about l3dsr.
on_check_failure() {
	[ -n "$container_pid" ] || return 0
	echo "the container's journal of l3dsr:"
	in_container journalctl --no-pager -n 12 -u 'l3dsr-*'
}

# ---- cleanup ---------------------------------------------------------------------------------
cleanup() {
	local pid cgroup
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# SIGTERM asks nspawn for an orderly shutdown of the container's systemd.
		kill -TERM "$nspawn_pid"
		for _ in $(seq 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	for pid in "${background_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${background_pids[@]}"; do
		for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
		kill -KILL "$pid" 2>/dev/null
	done
	# Whatever is still in the container's cgroups (nothing, after a clean shutdown) goes,
	# then the cgroups themselves, deepest first.
	for cgroup in "${cgroups[@]}"; do
		[ -e "$cgroup/cgroup.kill" ] && echo 1 >"$cgroup/cgroup.kill" 2>/dev/null
		find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$cgroup" ] && { sleep 1; find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null; }
		[ -d "$cgroup" ] && echo "# cleanup: could not remove $cgroup" >&2
	done
	umount "$tmp/bpffs" 2>/dev/null
	for ns in "${netns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- helpers -------------------------------------------------------------------------------
# in_container COMMAND...: runs COMMAND in every namespace of the container's PID 1, as `machinectl
# shell` would (there is no machined on this host), with a clean environment.
in_container() {
	nsenter -t "$container_pid" -a -r -w env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# The cgroup nspawn runs in: one per mounted hierarchy that tracks processes for systemd (the
# unified one, and the named "systemd" one of a hybrid host), below the cgroup we are in.
make_cgroups() {
	local mount path
	while read -r _ mount type options _; do
		case $type in
		cgroup2) path=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup) ;;
		cgroup) [[ ,$options, == *,name=systemd,* ]] || continue
			path=$(awk -F: '$2 == "name=systemd" { print $3 }' /proc/self/cgroup) ;;
		*) continue ;;
		esac
		cgroups+=("$mount${path%/}/l3dsr-install-$tag")
		mkdir "${cgroups[-1]}" || return 1
	done < <(awk '$3 == "cgroup2" || $3 == "cgroup" { print $1, $2, $3, $4 }' /proc/self/mounts)
	[ ${#cgroups[@]} -gt 0 ] || { echo "no cgroup2 or name=systemd hierarchy mounted"; return 1; }
	printf '%s\n' "${cgroups[@]}"
}

# boot_container: starts systemd-nspawn inside our cgroups and waits for the container's
# systemd to finish starting up.
boot_container() {
	local script=$tmp/nspawn.sh cgroup
	{
		echo '#!/bin/sh'
		for cgroup in "${cgroups[@]}"; do echo "echo \$\$ > '$cgroup/cgroup.procs' || exit 1"; done
		# nspawn's default seccomp filter denies bpf() and perf_event_open(); --keep-unit and
		# --register=no because this host has neither systemd as PID 1 nor machined.
		echo "exec systemd-nspawn --quiet --directory='$tmp/root' --machine='$machine' --boot" \
			"--network-namespace-path='/run/netns/${netns[container]}' --register=no --keep-unit" \
			"--capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN,CAP_SYS_ADMIN" \
			"--system-call-filter='bpf perf_event_open' --console=pipe"
	} >"$script"
	setsid sh "$script" </dev/null >"$tmp/console.log" 2>&1 &
	nspawn_pid=$!
	# The container's PID 1 is the one process of its init.scope, once systemd has set that up.
	for _ in $(seq 120); do
		container_pid=$(cat "${cgroups[0]}"/payload/init.scope/cgroup.procs 2>/dev/null | head -n 1)
		[ -n "$container_pid" ] && break
		kill -0 "$nspawn_pid" 2>/dev/null || { cat "$tmp/console.log"; return 1; }
		sleep 0.5
	done
	[ -n "$container_pid" ] || { echo "no init.scope after 60 s"; cat "$tmp/console.log"; return 1; }
	timeout 90 bash -c "until nsenter -t $container_pid -a -r -w systemctl is-system-running --wait \
		>/dev/null 2>&1; do [ \"\$(nsenter -t $container_pid -a -r -w systemctl \
		is-system-running 2>/dev/null)\" = degraded ] && exit 0; sleep 0.5; done" || {
		in_container systemctl --failed --no-pager
		tail -n 30 "$tmp/console.log"
		return 1
	}
	in_container systemctl is-system-running
	in_container cat /proc/1/comm
}

# link_ns NS1 NAME1 ADDR1 NS2 NAME2 ADDR2: a veth pair between two namespaces, addressed, up.
link_ns() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4" &&
		ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up &&
		ip -n "$4" addr add "$6" dev "$5" && ip -n "$4" link set "$5" up
}

make_network() {
	local ns name
	for name in "${!netns[@]}"; do ip netns add "${netns[$name]}" || return 1; done
	for ns in "${netns[@]}"; do ip -n "$ns" link set lo up || return 1; done
	local r=${netns[router]}
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 || return 1
	link_ns "${netns[client]}" eth0 192.0.2.2/28 "$r" "${prefix}rk" 192.0.2.1/28 || return 1
	link_ns "${netns[container]}" veth0 192.0.2.18/28 "$r" "${prefix}rl" 192.0.2.17/28 || return 1
	link_ns "${netns[backend1]}" eth0 198.51.100.18/28 "$r" "${prefix}r1" 198.51.100.17/28 || return 1
	link_ns "${netns[backend2]}" eth0 198.51.100.34/28 "$r" "${prefix}r2" 198.51.100.33/28 || return 1
	# The container's second link, where the backend unit runs (the VIP traffic does not use it).
	link_ns "${netns[container]}" veth1 198.51.100.50/28 "$r" "${prefix}rb" 198.51.100.49/28 || return 1
	# A veth only takes in what its peer sent with XDP_TX when it has NAPI: an XDP program
	# (tests/lib/xdp_pass.bpf.c, section xdp.frags) gives it that (on this kernel, turning GRO
	# on did not).
	ip -n "$r" link set "${prefix}rl" xdp obj "$root/build/tests/lib/xdp_pass.bpf.o" sec xdp.frags ||
		return 1
	# Hosts put full checksums on the wire: a partial one (veth offload) would reach the LB's
	# XDP program as a pseudo-header sum only.
	for ns in client backend1 backend2; do
		ip netns exec "${netns[$ns]}" ethtool -K eth0 tx off >/dev/null || return 1
	done
	ip -n "$r" route add $vip/32 via 192.0.2.18 || return 1
	ip -n "${netns[client]}" route add default via 192.0.2.1 || return 1
	ip -n "${netns[container]}" route add default via 192.0.2.17 || return 1
	# A rewritten packet whose next hop is not resolved yet is passed to the kernel to forward.
	ip netns exec "${netns[container]}" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "${netns[backend1]}" route add default via 198.51.100.17 || return 1
	ip -n "${netns[backend2]}" route add default via 198.51.100.33 || return 1
	ip netns exec "${netns[container]}" ping -c 1 -W 2 192.0.2.17 >/dev/null
}

# start_backend NAME: the service on the VIP and l3dsrd --role backend from the build tree.
start_backend() {
	local name=$1 ns=${netns[$1]}
	mkdir -p "$tmp/www-$name" "$tmp/bpffs/$name" && echo "$name" >"$tmp/www-$name/index.html" &&
		ip -n "$ns" addr add $vip/32 dev lo || return 1
	ip netns exec "$ns" /usr/bin/python3 -m http.server 80 --bind 0.0.0.0 \
		--directory "$tmp/www-$name" >"$tmp/http-$name.log" 2>&1 &
	background_pids+=($!)
	ip netns exec "$ns" "$root/src/l3dsrd" --role backend --interface eth0 \
		--config "$tmp/backend.conf" --bpf-dir "$root/bpf" --pin-dir "$tmp/bpffs/$name" \
		>"$tmp/l3dsrd-$name.log" 2>&1 &
	background_pids+=($!)
	for _ in $(seq 40); do
		ip -n "$ns" -d link show dev eth0 | grep -q 'prog/xdp' && return 0
		kill -0 "${background_pids[-1]}" 2>/dev/null || break
		sleep 0.25
	done
	echo "l3dsrd --role backend did not attach on $name:"
	cat "$tmp/l3dsrd-$name.log"
	return 1
}

# balanced FIRST_PORT: 40 HTTP requests to the VIP from fixed client ports (so the Maglev picks
# are the same every run); every request must be answered and both backends must take at
# least a quarter of them.
balanced() {
	local port answers failed=0
	answers=$(for port in $(seq "$1" $(($1 + 39))); do
		ip netns exec "${netns[client]}" curl -s --max-time 3 --local-port "$port" \
			"http://$vip/" || { echo "no answer from client port $port"; failed=$((failed + 1)); }
		[ $failed -ge 3 ] && break
	done)
	printf '%s\n' "$answers" | sort | uniq -c
	[ "$(grep -c '^backend1$' <<<"$answers")" -ge 10 ] &&
		[ "$(grep -c '^backend2$' <<<"$answers")" -ge 10 ] &&
		[ "$(grep -cv '^backend[12]$' <<<"$answers")" -eq 0 ]
}

xdp_prog_id() {
	in_container ip -d link show dev veth0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

xdp_attached() {
	in_container ip -d link show dev veth0
	[ -n "$(xdp_prog_id)" ]
}

xdp_detached() {
	in_container ip -d link show dev veth0
	[ -z "$(xdp_prog_id)" ] || return 1
	# The unit creates the pin root /sys/fs/bpf/l3dsr before its sandbox; nothing may be left in it.
	in_container sh -c 'left=$(find /sys/fs/bpf/l3dsr -mindepth 1 2>/dev/null); echo "$left"; [ -z "$left" ]'
}

unit_active() {
	in_container systemctl is-active l3dsr-lb@veth0.service
}

main_pid() {
	in_container systemctl show -P MainPID l3dsr-lb@veth0.service
}

# reloaded_in_place OLD_PID OLD_PROG_ID: after a package upgrade or rollback the instance is the
# same process (reloaded, not restarted) and runs a different XDP program.
# systemd 252 ends a reload job when ExecReload's kill has sent SIGHUP, not when l3dsrd is done
# (Type=notify-reload needs 253): wait for the program swap itself, up to 30 s.
reloaded_in_place() {
	local pid prog
	for _ in $(seq 60); do
		prog=$(xdp_prog_id)
		[ -n "$prog" ] && [ "$prog" != "$2" ] && break
		sleep 0.5
	done
	pid=$(main_pid)
	echo "MainPID $1 -> $pid, XDP program id $2 -> $prog"
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o short | tail -n 8
	[ "$pid" = "$1" ] && [ -n "$prog" ] && [ "$prog" != "$2" ] && unit_active >/dev/null
}

nothing_left_after_remove() {
	local units
	units=$(in_container systemctl list-units --no-legend --plain --state=active 'l3dsr-*')
	[ -z "$units" ] || { echo "still active: $units"; return 1; }
	in_container sh -c '! pgrep -x l3dsrd' || { echo "an l3dsrd process is left"; return 1; }
	xdp_detached
}


# root_packages: what the cached root holds besides systemd: the .deb's runtime Depends (so
# `apt install ./l3dsr_*.deb` needs no network inside) and rpm (to install the .rpm). Both
# tests ask for the same list, so they share one cached root.
root_packages() {
	local deb
	deb=$(ls "$root"/build/deb/l3dsr_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { echo "no .deb in build/deb (make deb)" >&2; return 1; }
	dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep .
	echo rpm
}

# write_configs: $tmp/lb.conf (one VIP over the two backend namespaces) and $tmp/backend.conf.
write_configs() {
	cat >"$tmp/lb.conf" <<EOF
# lb.conf of the install test: one VIP over the two backend namespaces.
[global]
xdp-mode = native
hash-seed = 0

[vip web]
address = $vip
protocol = tcp
port = 80
dscp = 10
backend = 198.51.100.18
backend = 198.51.100.34
check = none
EOF
	cat >"$tmp/backend.conf" <<EOF
# backend.conf of the install test.
[vip web]
address = $vip
dscp = 10
EOF
}

# container_up PACKAGE_FILE...: the cached root unpacked with the package files in /srv, the
# network, systemd booted in the container with bpffs mounted, the two backends serving the
# VIP. Stops the test (Bail out!) when any of it fails.
container_up() {
	local packages
	packages=$(root_packages) || { echo "Bail out! no .deb to take the root's packages from"; exit 1; }
	require "a cached bookworm root with the .deb's dependencies and rpm" \
		bash -c "'$root/tests/install/rootfs.sh' '$cache_dir' $(echo $packages) >'$tmp/rootfs'"
	require "the root unpacks" bash -c "mkdir '$tmp/root' && tar -C '$tmp/root' -xf \"\$(cat '$tmp/rootfs')\" &&
		cp $(printf "'%s' " "$@")'$tmp/root/srv/' && chmod 0644 '$tmp/root/srv/'*"
	require "network namespaces: client, router, two backends, the container's" make_network
	require "cgroups for the container" make_cgroups
	require "systemd boots as PID 1 in the container (systemd-nspawn -b)" boot_container
	# nspawn gives the container a read-only /sys without bpffs; a host's systemd mounts it at boot.
	require "bpffs is mounted at /sys/fs/bpf in the container" in_container mount -t bpf bpf /sys/fs/bpf
	write_configs
	cp "$tmp/backend.conf" "$tmp/root/srv/backend.conf"
	require "bpffs for the backends' pins" bash -c "mkdir -p '$tmp/bpffs' && mount -t bpf bpf '$tmp/bpffs'"
	require "backend1 serves the VIP behind l3dsrd --role backend" start_backend backend1
	require "backend2 serves the VIP behind l3dsrd --role backend" start_backend backend2
}

# add_upgrade_note OBJECT: changes a BPF object by one extra section that libbpf ignores, so an
# upgrade that carries it gives a reload a new program to swap in.
add_upgrade_note() {
	echo "upgrade test" >"$tmp/note" &&
		llvm-objcopy --add-section ".note.l3dsr-upgrade=$tmp/note" "$1"
}
