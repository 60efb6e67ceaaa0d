#!/usr/bin/env bash
# install-rpm-test.sh: runs the .rpm's scriptlets under a real systemd: in the container of
# tests/install/container.sh (the cached Debian root with rpm in it, `rpm --nodeps` since its
# libraries are Debian's), installs the .rpm, enables an LB and a backend instance, upgrades to a
# later release (a changed lb.bpf.o and unit file), rolls back, reinstalls with a broken lb.conf,
# leaves the LB instance crashed with its link pinned, and erases. Each rpm run must run its scriptlets (rpm -vv shows them)
# with exit status 0 and leave what rpm/l3dsr.spec promises: units reloaded and running
# instances reloaded in place on upgrade, instances stopped and disabled, pins removed and
# changed configuration kept as .rpmsave on erase, systemd reloaded without the units. Prints TAP.
set -u

. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/install/container.sh"

lb_unit=l3dsr-lb@veth0.service
backend_unit=l3dsr-backend@veth1.service
upgrade_build_pid=

# make_upgrade_rpm: the same spec and sources built as a later release (1.installtest1) in
# $tmp/rpmbuild, with one extra section in lb.bpf.o (a reload has a new program to swap in) and
# one more comment line in the LB unit (systemd must be told to reload it). rpmbuild compiles
# everything again: it runs in the background while the container boots.
make_upgrade_rpm() {
	local top=$tmp/rpmbuild macros=() change
	# Debian's rpm lacks Fedora's systemd macros: the stand-ins `make rpm` loads, too.
	[ -n "$(rpm --eval '%{?systemd_post:yes}')" ] || macros=(--load "$root/rpm/macros.systemd")
	mkdir -p "$top/SOURCES" && cp "$root/build/l3dsr-$version.tar.gz" "$top/SOURCES/" &&
		echo "upgrade test" >"$tmp/note" || return 1
	# Run where rpmbuild checks the installed tree (empty on Debian), after %install.
	change="llvm-objcopy --add-section .note.l3dsr-upgrade=$tmp/note"
	change+=" %{buildroot}/usr/lib/l3dsr/lb.bpf.o"
	change+=" && echo '# upgrade test' >>'%{buildroot}%{_unitdir}/l3dsr-lb@.service'"
	rpmbuild -bb --nodeps --quiet --define "_topdir $top" --define "dist .installtest1" \
		--define "__arch_install_post $change" "${macros[@]}" "$root/rpm/l3dsr.spec"
}

# The build runs in a session of its own (setsid), so that an early exit ends all of it.
start_upgrade_build() {
	tmp=$tmp root=$root version=$version setsid bash -c "$(declare -f make_upgrade_rpm); \
		make_upgrade_rpm" >"$tmp/upgrade-build.log" 2>&1 </dev/null &
	upgrade_build_pid=$!
}

stop_upgrade_build() {
	[ -n "$upgrade_build_pid" ] || return 0
	kill -TERM -- "-$upgrade_build_pid" 2>/dev/null
	wait "$upgrade_build_pid" 2>/dev/null
}
trap 'stop_upgrade_build; cleanup' EXIT

upgrade_rpm_built() {
	local rpm
	wait "$upgrade_build_pid" || { tail -n 30 "$tmp/upgrade-build.log"; return 1; }
	upgrade_build_pid=
	rpm=$(ls "$tmp"/rpmbuild/RPMS/*/l3dsr-*.installtest1.*.rpm) || return 1
	cp "$rpm" "$tmp/root/srv/l3dsr-upgrade.rpm" && chmod 0644 "$tmp/root/srv/l3dsr-upgrade.rpm"
}

# rpm_runs NAME SCRIPTLET... -- RPM_ARGUMENTS...: runs rpm -vv RPM_ARGUMENTS in the container;
# it must succeed and run each SCRIPTLET (as "%post(l3dsr-0.1.0-1.x86_64)", the package's
# name-version-release.arch; "%post(l3dsr-*)" for any) with exit status 0. Its log is kept as
# $tmp/rpm-NAME.log.
rpm_runs() {
	local name=$1 log=$tmp/rpm-$1.log scriptlet pattern status=0
	shift
	local scriptlets=()
	while [ "$1" != -- ]; do scriptlets+=("$1"); shift; done
	shift
	in_container rpm -vv --nodeps "$@" >"$log" 2>&1 || status=$?
	grep -vE '^D: ' "$log"
	grep -E '^D: %[a-z]+\(.*\): (scriptlet start|waitpid)' "$log"
	[ "$status" -eq 0 ] || { echo "rpm $* exited with $status"; return 1; }
	for scriptlet in "${scriptlets[@]}"; do
		pattern=$(sed 's/[.()]/\\&/g; s/\*/[^)]*/g' <<<"$scriptlet")
		grep -qE "^D: $pattern: waitpid\([0-9]+\) rc [0-9]+ status 0$" "$log" ||
			{ echo "$scriptlet did not run, or did not exit with status 0"; return 1; }
	done
	! grep -E 'scriptlet failed' "$log"
}

# journal_count UNIT TEXT: how many of UNIT's journal lines hold TEXT.
journal_count() {
	in_container journalctl --no-pager -u "$1" -o cat | grep -cF "$2"
}

# backend_reloaded OLD_PID OLD_COUNT: the backend instance is the same process and has logged
# one more "reloading" than before (its object did not change: nothing to swap).
backend_reloaded() {
	local pid count
	for _ in $(seq 20); do
		count=$(journal_count "$backend_unit" "reloading /etc/l3dsr/backend.conf")
		[ "$count" -gt "$2" ] && break
		sleep 0.5
	done
	pid=$(in_container systemctl show -P MainPID "$backend_unit")
	echo "MainPID $1 -> $pid, reloads $2 -> $count"
	[ "$pid" = "$1" ] && [ "$count" -gt "$2" ] &&
		[ "$(in_container systemctl is-active "$backend_unit")" = active ]
}

# units_reloaded: systemd runs the units as they are on disk now (no NeedDaemonReload).
units_reloaded() {
	local unit need
	for unit in "$lb_unit" "$backend_unit"; do
		need=$(in_container systemctl show -P NeedDaemonReload "$unit")
		echo "$unit NeedDaemonReload=$need"
		[ "$need" = no ] || return 1
	done
}

# unit_file_in_force YES|NO: systemd has loaded the LB unit as it is on disk (NeedDaemonReload
# is no, for both units), and that file ends with the upgrade's comment line (YES) or not (NO).
unit_file_in_force() {
	local last
	units_reloaded || return 1
	last=$(in_container systemctl cat "$lb_unit" | tail -n 1)
	echo "last line of $lb_unit: $last"
	if [ "$1" = yes ]; then [ "$last" = "# upgrade test" ]; else [ "$last" != "# upgrade test" ]; fi
}

configs_kept() {
	in_container cat /etc/l3dsr/lb.conf | cmp - "$tmp/lb.conf" &&
		in_container cat /etc/l3dsr/backend.conf | cmp - "$tmp/backend.conf" &&
		in_container sh -c '! ls /etc/l3dsr/*.rpmnew /etc/l3dsr/*.rpmsave 2>/dev/null'
}

# failed_reload_kept BROKEN_LOG OLD_PID OLD_PROG: the reinstall with a broken lb.conf succeeded,
# %post said the LB instance keeps its previous programs, and it does (same process, program).
failed_reload_kept() {
	grep -F "l3dsr: reloading $lb_unit failed; it keeps its previous programs" "$1" ||
		{ echo "no message from %post"; return 1; }
	echo "MainPID $2 -> $(main_pid), XDP program id $3 -> $(xdp_prog_id)"
	[ "$(main_pid)" = "$2" ] && [ "$(xdp_prog_id)" = "$3" ] && unit_active
}

# crashed_pinned: with Restart= off (a runtime drop-in), SIGKILL leaves the LB instance failed
# and its link pinned and attached (fail-static) for the erase to clean up.
crashed_pinned() {
	in_container mkdir -p "/run/systemd/system/$lb_unit.d" &&
		in_container sh -c "printf '[Service]\nRestart=no\n' >/run/systemd/system/$lb_unit.d/crash.conf" &&
		in_container systemctl daemon-reload &&
		in_container systemctl kill --signal=SIGKILL "$lb_unit" || return 1
	for _ in $(seq 20); do
		[ "$(in_container systemctl is-active "$lb_unit")" = failed ] && break
		sleep 0.5
	done
	in_container systemctl is-active "$lb_unit"
	[ "$(in_container systemctl is-active "$lb_unit")" = failed ] && xdp_attached &&
		in_container test -e /sys/fs/bpf/l3dsr/veth0/link
}

nothing_left_after_erase() {
	nothing_left_after_remove || return 1
	in_container ip -d link show dev veth1
	in_container ip -d link show dev veth1 | grep -q 'prog/xdp' && { echo "veth1: still attached"; return 1; }
	in_container sh -c '! test -e /sys/fs/bpf/l3dsr' || { echo "/sys/fs/bpf/l3dsr is left"; return 1; }
	in_container sh -c '! test -e /usr/sbin/l3dsrd && ! test -e /usr/lib/l3dsr' ||
		{ echo "package files are left"; return 1; }
	! in_container rpm -q l3dsr
}

instances_disabled() {
	in_container sh -c 'ls -l /etc/systemd/system/*.wants/'
	in_container sh -c '! ls /etc/systemd/system/*.wants/l3dsr-* 2>/dev/null'
}

# units_dropped: systemd was reloaded after the unit files went, so it no longer has them.
units_dropped() {
	local unit state
	for unit in "$lb_unit" "$backend_unit"; do
		state=$(in_container systemctl show -P LoadState "$unit")
		echo "$unit LoadState=$state"
		[ "$state" = not-found ] || return 1
	done
}

configs_saved() {
	in_container ls -l /etc/l3dsr
	in_container cat /etc/l3dsr/lb.conf.rpmsave | cmp - "$tmp/lb.conf" &&
		in_container cat /etc/l3dsr/backend.conf.rpmsave | cmp - "$tmp/backend.conf" &&
		in_container sh -c '! test -e /etc/l3dsr/lb.conf && ! test -e /etc/l3dsr/backend.conf'
}

# ---- the test ------------------------------------------------------------------------------
version=$(sed -n 's/^VERSION := //p' "$root/Makefile")
# The .deb names the root's packages (container.sh), the .rpm is what this test installs.
require "the .deb and the .rpm build (make deb rpm)" make -C "$root" -s build-all deb rpm \
	build/tests/lib/xdp_pass.bpf.o
rpm_file=$(ls "$root"/build/rpm/RPMS/*/l3dsr-"$version"-1.*.rpm 2>/dev/null | head -n 1)
nvra=$(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}' "$rpm_file")
start_upgrade_build
container_up "$rpm_file"

require "rpm -i: installs, %post runs and exits 0" rpm_runs install "%post($nvra)" -- \
	-i "/srv/$(basename "$rpm_file")"
check "the template units are known to systemd, the instances not enabled" in_container sh -c \
	"systemctl cat l3dsr-lb@.service l3dsr-backend@.service >/dev/null &&
	 test \"\$(systemctl is-enabled $lb_unit)\" = disabled"

require "write /etc/l3dsr/lb.conf and backend.conf (changed from the package's)" \
	cp "$tmp/lb.conf" "$tmp/backend.conf" "$tmp/root/etc/l3dsr/"
require "systemctl enable --now $lb_unit $backend_unit" \
	in_container systemctl enable --now "$lb_unit" "$backend_unit"
check "an XDP program is attached to veth0 (ip -d link)" xdp_attached
check "traffic to the VIP is balanced over both backends" balanced 42000

old_pid=$(main_pid) old_prog=$(xdp_prog_id)
old_backend_pid=$(in_container systemctl show -P MainPID "$backend_unit")
old_reloads=$(journal_count "$backend_unit" "reloading /etc/l3dsr/backend.conf")
require "an upgrade package (rpmbuild of the same spec, release 1.installtest1)" upgrade_rpm_built
check "upgrade: rpm -U runs the new %post and the old %preun and %postun, each exits 0" \
	rpm_runs upgrade "%post(l3dsr-$version-1.installtest1.*)" "%preun($nvra)" "%postun($nvra)" \
	-- -U /srv/l3dsr-upgrade.rpm
check "upgrade: the LB instance reloaded in place onto the new program" \
	reloaded_in_place "$old_pid" "$old_prog"
check "upgrade: the backend instance reloaded in place" backend_reloaded "$old_backend_pid" \
	"$old_reloads"
check "upgrade: systemd reloaded the units (NeedDaemonReload=no, the new unit file in force)" \
	unit_file_in_force yes
check "upgrade: the changed lb.conf and backend.conf are kept (%config(noreplace)), no .rpmnew" \
	configs_kept
check "upgrade: traffic is still balanced" balanced 42100

old_pid=$(main_pid) old_prog=$(xdp_prog_id)
old_backend_pid=$(in_container systemctl show -P MainPID "$backend_unit")
old_reloads=$(journal_count "$backend_unit" "reloading /etc/l3dsr/backend.conf")
check "rollback: rpm -U --oldpackage runs the scriptlets, each exits 0" \
	rpm_runs rollback "%post($nvra)" "%preun(l3dsr-$version-1.installtest1.*)" \
	"%postun(l3dsr-$version-1.installtest1.*)" -- -U --oldpackage "/srv/$(basename "$rpm_file")"
check "rollback: the LB instance reloaded in place onto the previous program" \
	reloaded_in_place "$old_pid" "$old_prog"
check "rollback: the backend instance reloaded in place" backend_reloaded "$old_backend_pid" \
	"$old_reloads"
check "rollback: systemd reloaded the units, the previous unit file in force" \
	unit_file_in_force no
check "rollback: traffic is still balanced" balanced 42200

old_pid=$(main_pid) old_prog=$(xdp_prog_id)
in_container sh -c 'echo "no-such-key = 1" >>/etc/l3dsr/lb.conf'
check "reinstall with a broken lb.conf: rpm -U --replacepkgs still succeeds, %post exits 0" \
	rpm_runs broken "%post($nvra)" -- -U --replacepkgs "/srv/$(basename "$rpm_file")"
check "reinstall with a broken lb.conf: %post says the reload failed, the LB instance keeps its program" \
	failed_reload_kept "$tmp/rpm-broken.log" "$old_pid" "$old_prog"
cp "$tmp/lb.conf" "$tmp/root/etc/l3dsr/lb.conf"
check "reinstall with a broken lb.conf: traffic is still balanced" balanced 42300

check "SIGKILL with Restart=no: the LB instance failed, its link still pinned and attached" \
	crashed_pinned
check "erase: rpm -e runs %preun and %postun, each exits 0" \
	rpm_runs erase "%preun($nvra)" "%postun($nvra)" -- -e l3dsr
check "erase: no instance running, no l3dsrd, no XDP program on veth0 or veth1, no pins, no files" \
	nothing_left_after_erase
check "erase: the instances are disabled (no l3dsr-* link in /etc/systemd/system/*.wants)" \
	instances_disabled
check "erase: systemd reloaded, the units are gone from it (LoadState=not-found)" units_dropped
check "erase: the changed configs are kept as lb.conf.rpmsave and backend.conf.rpmsave" configs_saved
in_container rm -rf "/run/systemd/system/$lb_unit.d"

tap_plan
