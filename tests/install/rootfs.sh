#!/usr/bin/env bash
# rootfs.sh: prints the path of a cached minimal Debian bookworm root (a tarball), building it
# with debootstrap on first use. Usage: rootfs.sh CACHE_DIR [EXTRA_PACKAGE...]
#
# The root holds systemd (to boot as PID 1 under systemd-nspawn), iproute2 (to look at the XDP
# attachment from inside) and the EXTRA packages: the caller passes the l3dsr package's runtime
# Depends, so `apt install ./l3dsr_*.deb` inside the container needs no network. The tarball's
# name carries a hash of the package list and the mirror, so a changed list builds a new root
# and never reuses a stale one.
set -euo pipefail

cache_dir=$1
shift
suite=bookworm
packages=$(printf '%s\n' systemd systemd-sysv dbus iproute2 "$@" | sort -u | paste -sd, -)

# The mirror the host's apt uses for the suite (one-line or deb822 sources, whichever is set).
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' |
	awk -v suite="$suite" '$2 == suite && $3 == "main" { print $1; exit }')
if [ -z "$mirror" ]; then
	echo "rootfs.sh: no apt source for $suite main in /etc/apt/sources.list(.d)" >&2
	exit 1
fi

key=$(printf '%s %s %s\n' "$suite" "$mirror" "$packages" | sha1sum | cut -c1-12)
tarball="$cache_dir/$suite-$key.tar"
if [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

mkdir -p "$cache_dir"
work=$(mktemp -d "$cache_dir/debootstrap.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "rootfs.sh: debootstrap $suite from $mirror with $packages (first run only)" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$mirror" >"$work/log" 2>&1 || {
	tail -n 30 "$work/log" >&2
	exit 1
}
# A root that boots quietly and offline: no getty on a console nobody reads, no network
# configuration (the test sets the addresses), a fixed machine id so journald starts at once.
rm -f "$work/root/etc/systemd/system/getty.target.wants/"* 2>/dev/null || true
echo l3dsr-install-test >"$work/root/etc/hostname"
tar -C "$work/root" --numeric-owner -cf "$work/root.tar" .
mv "$work/root.tar" "$tarball"
echo "$tarball"
