#!/usr/bin/env bash
# install-test.sh: installs the .deb the way an operator does, under a real systemd: boots a
# cached Debian bookworm root with systemd-nspawn in a network namespace of its own, then
# apt-installs, configures, enables, reloads, upgrades, rolls back, stops and removes l3dsr in
# it while a client namespace sends traffic to a VIP balanced over two backend namespaces (the
# container, the topology and the cleanup are tests/install/container.sh's). Prints TAP.
set -u

. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/install/container.sh"

# ---- the .deb's own checks -------------------------------------------------------------------
# exposure_below_2_5: systemd-analyze security --threshold=24 fails above 2.4.
exposure_below_2_5() {
	local unit output status
	for unit in l3dsr-lb@veth0.service l3dsr-backend@veth0.service; do
		output=$(in_container systemd-analyze security --threshold=24 "$unit")
		status=$?
		printf '%s\n' "$output" | grep -E '✗|Overall'
		[ "$status" -eq 0 ] || return 1
	done
}

status_line() {
	local line
	in_container systemctl status --no-pager --lines=0 l3dsr-lb@veth0.service
	line=$(in_container systemctl status --no-pager --lines=0 l3dsr-lb@veth0.service |
		sed -n 's/^ *Status: "\(.*\)"$/\1/p')
	[ -n "$line" ]
}

journal_has_daemon_lines() {
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o short
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o cat _COMM=l3dsrd | grep -q .
}

# bad_reload_fails: a broken lb.conf makes `systemctl reload` fail, tells the operator where,
# and leaves the instance running.
bad_reload_fails() {
	in_container cp /etc/l3dsr/lb.conf /etc/l3dsr/lb.conf.good || return 1
	in_container sh -c 'printf "this line is not a key-value pair\nno-such-key = 1\n" >>/etc/l3dsr/lb.conf' ||
		return 1
	if in_container systemctl reload l3dsr-lb@veth0.service; then
		echo "systemctl reload succeeded with a broken lb.conf"
		return 1
	fi
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o cat | grep -E '^/etc/l3dsr/lb.conf:[0-9]+: ' ||
		{ echo "no FILE:LINE message in the journal"; return 1; }
	in_container systemctl is-active l3dsr-lb@veth0.service
}

# make_upgrade_deb: the same package as a later version, its LB object changed by one extra
# section that libbpf ignores, so a reload really has a new program to swap in.
make_upgrade_deb() {
	local unpacked=$tmp/upgrade
	dpkg-deb -R "$deb" "$unpacked" &&
		sed -i "s/^Version: .*/Version: ${deb_version}+installtest1/" "$unpacked/DEBIAN/control" &&
		add_upgrade_note "$unpacked/usr/lib/l3dsr/lb.bpf.o" &&
		(cd "$unpacked" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
			xargs -0 md5sum >DEBIAN/md5sums) &&
		dpkg-deb --root-owner-group -b "$unpacked" "$tmp/root/srv/l3dsr_upgrade.deb" >/dev/null
}

stopped_and_detached() {
	in_container systemctl stop l3dsr-lb@veth0.service || return 1
	! unit_active && xdp_detached
}

# ---- the test ------------------------------------------------------------------------------
require "the .deb builds (make deb)" make -C "$root" -s build-all deb build/tests/lib/xdp_pass.bpf.o
deb=$(ls "$root"/build/deb/l3dsr_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n 1)
deb_version=$(dpkg-deb -f "$deb" Version)
container_up "$deb"

require "apt install ./$(basename "$deb") (offline)" in_container apt-get install -y -q \
	--no-install-recommends "/srv/$(basename "$deb")"
check "the template units are installed, not enabled" in_container sh -c \
	'systemctl cat l3dsr-lb@.service l3dsr-backend@.service >/dev/null &&
	 test "$(systemctl is-enabled l3dsr-lb@veth0.service)" = disabled'
check "the units' exposure (systemd-analyze security) is below 2.5" exposure_below_2_5

require "write /etc/l3dsr/lb.conf" cp "$tmp/lb.conf" "$tmp/root/etc/l3dsr/lb.conf"

require "systemctl enable --now l3dsr-lb@veth0" in_container systemctl enable --now l3dsr-lb@veth0.service
check "systemctl is-active l3dsr-lb@veth0: active" unit_active
check "systemctl status shows the daemon's Status: line" status_line
check "journalctl -u l3dsr-lb@veth0 has the daemon's own lines" journal_has_daemon_lines
check "an XDP program is attached to veth0 (ip -d link)" xdp_attached
check "traffic to the VIP is balanced over both backends" balanced 41000

check "systemctl reload with a bad lb.conf fails, FILE:LINE in the journal, unit stays active" \
	bad_reload_fails
check "the old datapath keeps serving after the failed reload" balanced 41100
in_container mv /etc/l3dsr/lb.conf.good /etc/l3dsr/lb.conf

old_pid=$(main_pid) old_prog=$(xdp_prog_id)
require "an upgrade package (same files, a changed lb.bpf.o)" make_upgrade_deb
check "upgrade: apt install of the newer version succeeds" in_container apt-get install -y -q \
	/srv/l3dsr_upgrade.deb
check "upgrade: the running instance reloaded in place onto the new program" \
	reloaded_in_place "$old_pid" "$old_prog"
check "upgrade: traffic is still balanced" balanced 41200

old_pid=$(main_pid) old_prog=$(xdp_prog_id)
check "rollback: apt install --allow-downgrades of the previous version succeeds" \
	in_container apt-get install -y -q --allow-downgrades "/srv/$(basename "$deb")"
check "rollback: the running instance reloaded in place onto the previous program" \
	reloaded_in_place "$old_pid" "$old_prog"
check "rollback: traffic is still balanced" balanced 41300

# crash_restarts_and_adopts: SIGKILL leaves the pinned link forwarding (fail-static);
# Restart=on-failure starts a new l3dsrd, which adopts the pins.
crash_restarts_and_adopts() {
	local old_pid=$1 pid
	in_container systemctl kill --signal=SIGKILL l3dsr-lb@veth0.service || return 1
	for _ in $(seq 60); do
		pid=$(main_pid)
		[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$old_pid" ] &&
			[ "$(in_container systemctl is-active l3dsr-lb@veth0.service)" = active ] && break
		sleep 0.5
	done
	echo "MainPID $old_pid -> $pid"
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o short | tail -n 6
	[ "$pid" != "$old_pid" ] && unit_active && xdp_attached
}
check "SIGKILL: systemd restarts l3dsrd (Restart=on-failure), which adopts the pinned datapath" \
	crash_restarts_and_adopts "$(main_pid)"
check "after the restart traffic is still balanced" balanced 41400

# ---- hitless restart and upgrade under traffic --------------------------------------------------
# While `systemctl restart` or a package upgrade runs: a stream of HTTP requests (a new connection
# each), one slow download (a long-lived connection), and a watch on veth0's XDP program, sampled
# from the host every 50 ms. traffic_start NAME starts them; traffic_mark NAME notes how many
# requests have been made, before and after the operation; traffic_ok NAME stops them and fails
# on a failed request, a short or failed download, a sample without a program, or a stream that
# did not run before, during and after the operation.
traffic_start() {
	local name=$1 ns=${netns[client]} backend
	rm -f "$tmp/traffic-$name".*
	for backend in backend1 backend2; do
		[ -e "$tmp/www-$backend/slow" ] || head -c 400000 /dev/zero | tr '\0' x >"$tmp/www-$backend/slow"
	done
	ip netns exec "$ns" sh -c 'while [ ! -e "$1.stop" ]; do
			curl -s -o /dev/null -w "%{http_code}\n" --max-time 3 "http://$2/" || echo "failed $?"
		done >"$1.requests"' sh "$tmp/traffic-$name" "$vip" &
	background_pids+=($!)
	# 400 kB at 40 kB/s: one TCP connection held for 10 s.
	ip netns exec "$ns" curl -sS --max-time 30 --limit-rate 40k -o /dev/null \
		-w '%{http_code} %{size_download}\n' "http://$vip/slow" >"$tmp/traffic-$name.download" 2>&1 &
	background_pids+=($!)
	traffic_download_pid=$!
	sh -c 'while [ ! -e "$1.stop" ]; do
			ip -n "$2" -d link show dev veth0 | grep -o "prog/xdp id [0-9]*" || echo none
			sleep 0.05
		done >"$1.xdp"' sh "$tmp/traffic-$name" "${netns[container]}" &
	background_pids+=($!)
	sleep 2
}

traffic_mark() {
	wc -l <"$tmp/traffic-$1.requests" >>"$tmp/traffic-$1.marks"
}

traffic_ok() {
	local name=$1 file=$tmp/traffic-$1 requests failed absent programs before after
	wait "$traffic_download_pid"
	touch "$file.stop"
	sleep 0.5
	requests=$(wc -l <"$file.requests")
	failed=$(grep -cvx 200 "$file.requests")
	absent=$(grep -cx none "$file.xdp")
	programs=$(uniq "$file.xdp" | tr '\n' ' ')
	before=$(sed -n 1p "$file.marks") after=$(sed -n 2p "$file.marks")
	echo "$requests requests ($before before the operation, $((after - before)) during it), $failed failed;" \
		"download: $(cat "$file.download"); XDP on veth0: $programs($absent samples without)"
	[ "$before" -ge 1 ] && [ "$after" -gt "$before" ] && [ "$requests" -gt "$after" ] &&
		[ "$failed" = 0 ] && [ "$absent" = 0 ] && [ "$(cat "$file.download")" = "200 400000" ]
}

# restart_keeps_serving OLD_PID: systemctl restart under traffic; the daemon asked systemd, left the
# datapath attached for its successor, which adopted it.
restart_keeps_serving() {
	local old_pid=$1 pid
	traffic_start restart
	traffic_mark restart
	in_container systemctl restart l3dsr-lb@veth0.service || return 1
	traffic_mark restart
	pid=$(main_pid)
	traffic_ok restart || return 1
	echo "MainPID $old_pid -> $pid"
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o cat _PID="$old_pid" | tail -n 4
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o cat _PID="$old_pid" |
		grep -qx 'SIGTERM for a restart: the program, its maps and pins stay for the next l3dsrd' ||
		{ echo "the old daemon did not leave the datapath for its successor"; return 1; }
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o cat _PID="$pid" |
		grep -q '^adopted the pinned link' || { echo "the new daemon did not adopt the link"; return 1; }
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$old_pid" ] && unit_active
}
check "systemctl restart under traffic: no failed request, the download completes, XDP never off veth0, a new MainPID" \
	restart_keeps_serving "$(main_pid)"

# upgrade_keeps_serving OLD_PID: the upgrade package installed under traffic; the postinst reload
# makes the same process execute the new /usr/sbin/l3dsrd.
upgrade_keeps_serving() {
	local old_pid=$1 pid exe
	traffic_start upgrade
	traffic_mark upgrade
	in_container apt-get install -y -q --allow-downgrades /srv/l3dsr_upgrade.deb || return 1
	for _ in $(seq 60); do
		exe=$(in_container readlink "/proc/$old_pid/exe")
		[ "$exe" = /usr/sbin/l3dsrd ] && break
		sleep 0.5
	done
	traffic_mark upgrade
	traffic_ok upgrade || return 1
	pid=$(main_pid)
	echo "MainPID $old_pid -> $pid, /proc/$old_pid/exe -> $exe"
	in_container journalctl --no-pager -u l3dsr-lb@veth0.service -o cat | tail -n 5
	[ "$pid" = "$old_pid" ] && [ "$exe" = /usr/sbin/l3dsrd ] &&
		[ "$(in_container stat -L -c %i "/proc/$pid/exe")" = "$(in_container stat -c %i /usr/sbin/l3dsrd)" ] &&
		unit_active
}
check "upgrade under traffic: same MainPID now running the new /usr/sbin/l3dsrd, no failed request, XDP never off veth0" \
	upgrade_keeps_serving "$(main_pid)"

backend_unit_runs() {
	in_container cp /srv/backend.conf /etc/l3dsr/backend.conf &&
		in_container systemctl start l3dsr-backend@veth1.service || return 1
	in_container systemctl status --no-pager --lines=5 l3dsr-backend@veth1.service
	in_container ip -d link show dev veth1 | grep -q 'prog/xdp' || return 1
	in_container systemctl stop l3dsr-backend@veth1.service || return 1
	in_container ip -d link show dev veth1 | grep -q 'prog/xdp' && { echo "still attached"; return 1; }
	return 0
}
check "l3dsr-backend@veth1 starts under its sandbox, attaches, and detaches on stop" backend_unit_runs

check "systemctl stop l3dsr-lb@veth0 detaches the XDP program and unpins" stopped_and_detached

check "systemctl start brings it back" in_container systemctl start l3dsr-lb@veth0.service
check "XDP attached again after start" xdp_attached
check "apt remove l3dsr succeeds" in_container apt-get remove -y -q l3dsr
check "after apt remove: no unit running, no l3dsrd, no XDP program, no pins" nothing_left_after_remove
check "apt purge l3dsr removes /etc/l3dsr and the enablement links" in_container sh -c \
	'apt-get purge -y -q l3dsr && ! test -e /etc/l3dsr &&
	 ! ls /etc/systemd/system/*.wants/l3dsr-* 2>/dev/null'

tap_plan
