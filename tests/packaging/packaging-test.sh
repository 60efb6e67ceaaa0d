#!/usr/bin/env bash
# packaging-test.sh: builds the .deb and the .rpm (make reuses them when nothing changed) and
# checks what they hold against docs/design.md section 4: payload file lists, modes, conffiles,
# maintainer scripts, dependencies, lintian; and `make install DESTDIR=` the same way. Prints TAP.
set -u

root=${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/l3dsr-packaging.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$root" || exit 1

. "$root/tests/install/tap.sh"

# docs/design.md section 4, as "MODE PATH" lines; UNITDIR ($1) differs between Debian and
# Fedora, and so may the documentation directory ($2) that holds the BIRD and FRR examples.
layout() {
	cat <<EOF
0755 /usr/sbin/l3dsrd
0755 /usr/sbin/l3dsrctl
0644 /usr/lib/l3dsr/lb.bpf.o
0644 /usr/lib/l3dsr/backend.bpf.o
0644 $1/l3dsr-lb@.service
0644 $1/l3dsr-backend@.service
0644 /etc/l3dsr/lb.conf
0644 /etc/l3dsr/backend.conf
0644 /etc/iproute2/rt_protos.d/l3dsr.conf
0644 $2/examples/bird/l3dsr.conf
0644 $2/examples/frr/l3dsr.conf
0644 /usr/share/man/man8/l3dsrd.8
0644 /usr/share/man/man8/l3dsrctl.8
0644 /usr/share/man/man5/l3dsr.conf.5
EOF
}

# mode_of PERMISSIONS: "-rwxr-xr-x" -> 0755
mode_of() {
	local perms=${1:1:9} mode=0 digit i
	for i in 0 3 6; do
		digit=0
		[ "${perms:i:1}" = r ] && digit=$((digit + 4))
		[ "${perms:i+1:1}" = w ] && digit=$((digit + 2))
		[ "${perms:i+2:1}" = x ] && digit=$((digit + 1))
		mode=$mode$digit
	done
	echo "$mode"
}

versions_agree() {
	local make_version deb_version spec_version
	make_version=$(sed -n 's/^VERSION := //p' Makefile)
	deb_version=$(dpkg-parsechangelog -S Version)
	spec_version=$(sed -n 's/^Version: *//p' rpm/l3dsr.spec)
	echo "Makefile $make_version, debian/changelog $deb_version, rpm/l3dsr.spec $spec_version"
	[ "$make_version" = "$deb_version" ] && [ "$make_version" = "$spec_version" ]
}

make_install_layout() {
	local actual
	make -s install DESTDIR="$tmp/destdir" PREFIX=/usr UNITDIR=/lib/systemd/system || return 1
	actual=$(cd "$tmp/destdir" && find . -type f -printf '%m /%P\n' | sed 's/^/0/')
	same_lines "make install DESTDIR=" "$(layout /lib/systemd/system /usr/share/doc/l3dsr)" "$actual"
}

# ---- the .deb ----
check "Makefile, debian/changelog and rpm/l3dsr.spec name the same version" versions_agree
check "make install DESTDIR= installs exactly docs/design.md section 4's layout" make_install_layout
check "make deb builds the package (dpkg-buildpackage -us -uc -b from a clean copy)" \
	make -s deb
deb=$(ls build/deb/l3dsr_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || deb=build/deb/missing.deb

deb_payload() {
	local expected actual
	# Beyond the layout: what every Debian package carries (compressed man pages, doc files,
	# the lintian overrides).
	expected=$(layout /lib/systemd/system /usr/share/doc/l3dsr | sed 's,^\(.*/man[0-9]/.*\)$,\1.gz,'
		printf '%s\n' "0644 /usr/share/doc/l3dsr/changelog.gz" "0644 /usr/share/doc/l3dsr/copyright" \
			"0644 /usr/share/doc/l3dsr/install.md" "0644 /usr/share/doc/l3dsr/scale-out.md" \
			"0644 /usr/share/lintian/overrides/l3dsr")
	actual=$(dpkg-deb -c "$deb" | while read -r perms _ _ _ _ path; do
		[ "${perms:0:1}" = - ] && echo "$(mode_of "$perms") ${path#.}"
	done | sed 's,/\(install\|scale-out\).md.gz$,/\1.md,')
	same_lines "dpkg-deb -c" "$expected" "$actual"
}
check "dpkg-deb -c: the payload is exactly the layout plus the Debian doc files" deb_payload

deb_conffiles() {
	same_lines "conffiles" "$(printf '%s\n' /etc/l3dsr/lb.conf /etc/l3dsr/backend.conf \
		/etc/iproute2/rt_protos.d/l3dsr.conf)" \
		"$(dpkg-deb -I "$deb" conffiles)"
}
check "the conffiles are /etc/l3dsr/lb.conf, /etc/l3dsr/backend.conf and the rt_protos names" \
	deb_conffiles

deb_control() {
	local depends
	dpkg-deb -f "$deb" Package Architecture Depends
	depends=$(dpkg-deb -f "$deb" Depends)
	[ "$(dpkg-deb -f "$deb" Package)" = l3dsr ] &&
		[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] &&
		grep -q 'libbpf1' <<<"$depends" && grep -q 'libsystemd0' <<<"$depends" &&
		grep -q 'libc6' <<<"$depends"
}
check "control: package l3dsr, this architecture, Depends computed from the shared libraries" \
	deb_control

# deb_script NAME PATTERN...: the maintainer script exists, is valid sh, and holds every PATTERN.
deb_script() {
	local name=$1 pattern
	shift
	dpkg-deb -I "$deb" "$name" >"$tmp/$name" || return 1
	cat "$tmp/$name"
	sh -n "$tmp/$name" || return 1
	for pattern in "$@"; do
		grep -qF -- "$pattern" "$tmp/$name" || { echo "missing: $pattern"; return 1; }
	done
}
check "postinst: an upgrade reloads the running instances" deb_script postinst \
	'[ "$1" = "configure" ] && [ -n "$2" ]' "'l3dsr-lb@*.service' 'l3dsr-backend@*.service'" \
	'systemctl reload "$unit"'
check "prerm: removal stops every instance and unpins leftovers" deb_script prerm \
	'[ "$1" = "remove" ]' "systemctl stop 'l3dsr-lb@*.service' 'l3dsr-backend@*.service'" \
	'rm -rf /sys/fs/bpf/l3dsr'
check "postrm: purge removes /etc/l3dsr" deb_script postrm '[ "$1" = "purge" ]' 'rm -rf /etc/l3dsr'

no_lintian_findings() {
	# Errors and warnings alike: each warning is either fixed or overridden with a reason.
	lintian --fail-on error,warning "$deb" 2>&1 | grep -v 'running with root privileges'
	return "${PIPESTATUS[0]}"
}
check "lintian: no errors, no warnings left unexplained" no_lintian_findings

# ---- the .rpm ----
check "make rpm builds the package (rpmbuild --nodeps)" make -s rpm
rpm=$(ls build/rpm/RPMS/*/l3dsr-*.rpm 2>/dev/null | head -n 1)
[ -n "$rpm" ] || rpm=build/rpm/missing.rpm

rpm_payload() {
	local expected actual
	# Fedora's doc directory is /usr/share/doc/NAME, older rpm's NAME-VERSION; man pages are
	# compressed on Fedora only: compare without those differences.
	expected=$(layout /usr/lib/systemd/system /usr/share/doc/l3dsr
		printf '%s\n' "0644 /usr/share/doc/l3dsr/README.md" "0644 /usr/share/doc/l3dsr/install.md" \
			"0644 /usr/share/doc/l3dsr/scale-out.md")
	actual=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" | while read -r perms path; do
		[ "${perms:0:1}" = - ] && echo "$(mode_of "$perms") $path"
	done | sed 's,^\(.*/man[0-9]/.*\)\.gz$,\1,; s,/usr/share/doc/l3dsr-[0-9.]*/,/usr/share/doc/l3dsr/,')
	same_lines "rpm -qlp" "$expected" "$actual"
}
check "rpm -qlp: the payload is exactly the layout (Fedora's unit directory) plus the docs" \
	rpm_payload

rpm_configs() {
	local flags
	flags=$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm" | grep -e '^/etc/l3dsr/' -e '^/etc/iproute2/')
	echo "$flags"
	same_lines "%config(noreplace)" "$(printf '%s\n' '/etc/l3dsr/lb.conf cn' '/etc/l3dsr/backend.conf cn' \
		'/etc/iproute2/rt_protos.d/l3dsr.conf cn')" "$flags"
}
check "the configs are %config(noreplace)" rpm_configs

rpm_scripts() {
	local scripts
	scripts=$(rpm -qp --scripts "$rpm")
	echo "$scripts"
	# post: enable by preset on install, reload running instances on upgrade;
	# preun: disable and stop on erase, stop every instance, unpin;
	# postun: reload after an upgrade.
	grep -q 'preset l3dsr-lb@.service l3dsr-backend@.service' <<<"$scripts" &&
		grep -q 'systemctl reload "$unit"' <<<"$scripts" &&
		grep -q 'disable --now l3dsr-lb@.service l3dsr-backend@.service' <<<"$scripts" &&
		grep -qF "systemctl stop 'l3dsr-lb@*.service' 'l3dsr-backend@*.service'" <<<"$scripts" &&
		grep -q 'rm -rf /sys/fs/bpf/l3dsr' <<<"$scripts" &&
		grep -q 'reload l3dsr-lb@.service l3dsr-backend@.service' <<<"$scripts"
}
check "rpm -qp --scripts: %systemd_post, %systemd_preun, %systemd_postun_with_reload, instance reload/stop" \
	rpm_scripts

rpm_requires() {
	rpm -qp --requires "$rpm"
	rpm -qp --requires "$rpm" | grep -q '^libbpf.so.1' &&
		rpm -qp --requires "$rpm" | grep -q '^libsystemd.so.0'
}
check "rpm requires the shared libraries it links" rpm_requires

tap_plan
