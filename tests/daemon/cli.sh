#!/usr/bin/env bash
# cli.sh: the command lines of l3dsrd and l3dsrctl: --help and --version, usage errors, --check,
# and what l3dsrctl says when nothing is attached. Nothing here touches a network.
set -u
. "$(dirname "$0")/lib.sh"

daemon_setup_plain
version=$(sed -n 's/^VERSION := //p' "$D_ROOT/Makefile")

# expect WHAT STATUS STDOUT_REGEX STDERR_REGEX cmd...: the exit status and both outputs (each
# regex must match some line; "" means the output must be empty).
expect() {
	local what=$1 status=$2 out_regex=$3 err_regex=$4 got problems=()
	shift 4
	"$@" >"$TOPO_DIR/out" 2>"$TOPO_DIR/err" </dev/null
	got=$?
	[ "$got" = "$status" ] || problems+=("exit status $got, expected $status")
	if [ -z "$out_regex" ]; then
		[ ! -s "$TOPO_DIR/out" ] || problems+=("stdout not empty")
	else
		grep -qE "$out_regex" "$TOPO_DIR/out" || problems+=("no stdout line matches: $out_regex")
	fi
	if [ -z "$err_regex" ]; then
		[ ! -s "$TOPO_DIR/err" ] || problems+=("stderr not empty")
	else
		grep -qE "$err_regex" "$TOPO_DIR/err" || problems+=("no stderr line matches: $err_regex")
	fi
	if ((${#problems[@]} == 0)); then
		e2e_ok "$what"
	else
		e2e_fail "$what" "command: $*" "${problems[@]}" "stdout: $(cat "$TOPO_DIR/out")" \
			"stderr: $(cat "$TOPO_DIR/err")"
	fi
}

# --- l3dsrd -----------------------------------------------------------------------------------
expect "l3dsrd --version" 0 "^l3dsrd $version\$" "" "$L3DSRD" --version
expect "l3dsrd --help: usage on stdout, exit 0" 0 '^usage: l3dsrd --role lb\|backend --interface IFNAME' "" \
	"$L3DSRD" --help
missing=()
for option in --role --interface --config --bpf-dir --pin-dir --check --help --version; do
	grep -qe "$option" "$TOPO_DIR/out" || missing+=("$option")
done
if ((${#missing[@]} == 0)); then
	e2e_ok "l3dsrd --help names every option"
else
	e2e_fail "l3dsrd --help names every option" "missing: ${missing[*]}"
fi
expect "l3dsrd without --role: usage error, exit 2" 2 "" '^l3dsrd: --role lb\|backend is required$' \
	"$L3DSRD" --interface eth0
expect "l3dsrd --role router: exit 2" 2 "" '^l3dsrd: --role router: expected lb or backend$' \
	"$L3DSRD" --role router --interface eth0
expect "l3dsrd without --interface: exit 2" 2 "" '^l3dsrd: --interface IFNAME is required$' \
	"$L3DSRD" --role lb
expect "l3dsrd --interface with a 16-character name: exit 2" 2 "" \
	'^l3dsrd: --interface abcdefghijklmnop: not an interface name$' \
	"$L3DSRD" --role lb --interface abcdefghijklmnop
expect "l3dsrd with an unknown option: exit 2" 2 "" 'unrecognized option' "$L3DSRD" --rôle lb
expect "l3dsrd with a stray argument: exit 2" 2 "" "^l3dsrd: unexpected argument 'eth0'\$" \
	"$L3DSRD" --role lb --interface eth0 eth0

# --- --check ---------------------------------------------------------------------------------
cat >"$TOPO_DIR/lb.conf" <<'EOF'
[global]
hash-seed = 7

[vip web]
address = 192.0.2.10
protocol = tcp
port = 80
dscp = 10
table-size = 1009
backend = 198.51.100.11
backend = 198.51.100.12 weight=2
EOF
conf_backend web:4:10 >"$TOPO_DIR/backend.conf"
sed 's/^dscp = 10$/dscp = 0/; s/^backend = 198.51.100.12 weight=2$/backend = 2001:db8::12/' \
	"$TOPO_DIR/lb.conf" >"$TOPO_DIR/bad.conf"
expect "--check --role lb on a good file: 'configuration OK', exit 0" 0 '^configuration OK$' "" \
	"$L3DSRD" --check --role lb --config "$TOPO_DIR/lb.conf"
expect "--check --role backend on a good file: 'configuration OK', exit 0" 0 '^configuration OK$' "" \
	"$L3DSRD" --check --role backend --config "$TOPO_DIR/backend.conf"
expect "--check on a bad file: the line of the bad dscp, exit 1, no 'configuration OK'" 1 "" \
	"^$TOPO_DIR/bad.conf:8: " "$L3DSRD" --check --role lb --config "$TOPO_DIR/bad.conf"
expect "--check on a bad file: the line of the IPv6 backend of an IPv4 VIP too" 1 "" \
	"^$TOPO_DIR/bad.conf:11: " "$L3DSRD" --check --role lb --config "$TOPO_DIR/bad.conf"
expect "--check --role backend on an lb file: exit 1 (backend is not a backend.conf key)" 1 "" \
	"^$TOPO_DIR/lb.conf:[0-9]+: " "$L3DSRD" --check --role backend --config "$TOPO_DIR/lb.conf"
expect "--check on a missing file: exit 1, names it" 1 "" "$TOPO_DIR/missing.conf" \
	"$L3DSRD" --check --role lb --config "$TOPO_DIR/missing.conf"
chmod 0755 "$TOPO_DIR" && chmod 0644 "$TOPO_DIR/backend.conf"
expect "--check needs no --interface and no privileges beyond reading the file" 0 '^configuration OK$' "" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$L3DSRD" --check --role backend \
	--config "$TOPO_DIR/backend.conf"

# --- l3dsrctl ----------------------------------------------------------------------------------
expect "l3dsrctl --version" 0 "^l3dsrctl $version\$" "" "$L3DSRCTL" --version
expect "l3dsrctl --help: usage on stdout, exit 0" 0 \
	'^usage: l3dsrctl \[-j\] \[--pin-root DIR\] status\|stats \[IFNAME\]$' "" "$L3DSRCTL" --help
expect "l3dsrctl without a command: usage on stderr, exit 2" 2 "" '^usage: l3dsrctl' "$L3DSRCTL"
expect "l3dsrctl frobnicate: exit 2" 2 "" "^l3dsrctl: unknown command 'frobnicate' \\(expected status or stats\\)\$" \
	"$L3DSRCTL" frobnicate
expect "l3dsrctl status eth0 eth1: exit 2" 2 "" "^l3dsrctl: unexpected argument 'eth1'\$" \
	"$L3DSRCTL" status eth0 eth1
mkdir -p "$D_BPFFS/empty"
expect "l3dsrctl status with nothing pinned: says nothing is attached, exit 1" 1 "" \
	"^l3dsrctl: nothing attached: no l3dsr instance is pinned under $D_BPFFS/empty\$" \
	"$L3DSRCTL" --pin-root "$D_BPFFS/empty" status
expect "l3dsrctl stats eth3 with nothing pinned: names the interface, exit 1" 1 "" \
	"^l3dsrctl: nothing attached on eth3: no l3dsr instance is pinned at $D_BPFFS/empty/eth3\$" \
	"$L3DSRCTL" --pin-root "$D_BPFFS/empty" stats eth3
expect "l3dsrctl -j status with nothing pinned: [] on stdout, exit 1" 1 '^\[\]$' 'nothing attached' \
	"$L3DSRCTL" -j --pin-root "$D_BPFFS/empty" status
expect "l3dsrctl status with a missing pin root: nothing attached, exit 1" 1 "" \
	'nothing attached' "$L3DSRCTL" --pin-root "$TOPO_DIR/does-not-exist" status
mkdir -p "$D_BPFFS/stale/eth0"
expect "a directory without an instance record is not an instance" 1 "" 'nothing attached' \
	"$L3DSRCTL" --pin-root "$D_BPFFS/stale" status

e2e_finish
