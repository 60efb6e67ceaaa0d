# conf.sh: writes the lb.conf and backend.conf of the network tests on stdout (bash, sourced
# after tests/lib/topology.sh, whose VIP and backend addresses they name). A VIP is given as
# NAME:FAMILY:PROTOCOL:PORT:DSCP (lb.conf) or NAME:FAMILY:DSCP[:PROTOCOL:PORT] (backend.conf);
# FAMILY 4 or 6 picks TOPO_VIP4 or TOPO_VIP6; backends are numbers (1 = backend1)[:WEIGHT].

conf_vip_address() {
	if [ "$1" = 4 ]; then
		echo "address = $TOPO_VIP4"
	else
		echo "address = $TOPO_VIP6"
	fi
}

# conf_vip NAME:FAMILY:PROTOCOL:PORT:DSCP [--line LINE]... BACKEND[:WEIGHT]...: one lb.conf VIP
# section; each LINE (table-size, check, ...) follows the backends.
conf_vip() {
	local name family protocol port dscp lines=() line
	IFS=: read -r name family protocol port dscp <<<"$1"
	shift
	while [ "${1:-}" = --line ]; do
		lines+=("$2")
		shift 2
	done
	echo "[vip $name]"
	conf_vip_address "$family"
	echo "protocol = $protocol"
	echo "port = $port"
	echo "dscp = $dscp"
	topology_backend_lines "$family" "$@"
	for line in "${lines[@]}"; do
		echo "$line"
	done
}

# conf_lb [--global LINE]... [--vip SPEC]... [--line LINE]... BACKEND[:WEIGHT]...: an lb.conf,
# native XDP, the global LINEs; every VIP with those backends and the (per-VIP) LINEs.
conf_lb() {
	local globals=() vips=() lines=() vip line
	while (($#)); do
		case $1 in
		--global) globals+=("$2") ;;
		--vip) vips+=("$2") ;;
		--line) lines+=(--line "$2") ;;
		*) break ;;
		esac
		shift 2
	done
	echo "# written by tests/lib/conf.sh"
	echo "[global]"
	echo "xdp-mode = native"
	for line in "${globals[@]}"; do
		echo "$line"
	done
	for vip in "${vips[@]}"; do
		echo
		conf_vip "$vip" "${lines[@]}" "$@"
	done
}

# conf_backend NAME:FAMILY:DSCP[:PROTOCOL:PORT]...: a backend.conf, a blank line after each VIP.
conf_backend() {
	local vip name family dscp protocol port
	echo "# written by tests/lib/conf.sh"
	for vip in "$@"; do
		IFS=: read -r name family dscp protocol port <<<"$vip"
		echo "[vip $name]"
		conf_vip_address "$family"
		echo "dscp = $dscp"
		[ -z "$protocol" ] || echo "protocol = $protocol"
		[ -z "$port" ] || echo "port = $port"
		echo
	done
}
