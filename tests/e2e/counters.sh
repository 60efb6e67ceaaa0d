# counters.sh: checks on the daemons' counters, read the way an operator reads them (l3dsrctl -j).

# e2e_stat HOST EXPRESSION: a Python EXPRESSION evaluated on HOST's `l3dsrctl -j stats` (its
# first instance, named s; `vip(s, "web4")` finds a VIP by name).
e2e_stat() {
	e2e_ctl "$1" -j stats | "$E2E_PYTHON" -c '
import json, sys
def vip(instance, name):
    return next(v for v in instance["vips"] if v["name"] == name)
s = json.load(sys.stdin)[0]
print(eval(sys.argv[1]))' "$2"
}

# e2e_check_stat WHAT HOST EXPRESSION: ok when EXPRESSION is true on HOST's counters; on failure
# the counters are shown.
e2e_check_stat() {
	local what=$1 host=$2 expression=$3 value
	value=$(e2e_stat "$host" "$expression" 2>&1)
	if [ "$value" = True ]; then
		e2e_ok "$what"
	else
		e2e_fail "$what" "on $host: $expression -> $value" "$(e2e_ctl "$host" stats 2>&1)"
	fi
}

# e2e_check_vip_delivery VIP...: for each VIP, the LB counted traffic for every backend, and every
# packet it sent on was restored by a backend (LB's VIP count = sum of the backends' counts).
e2e_check_vip_delivery() {
	local name host sent restored total
	for name in "$@"; do
		e2e_check_stat "LB counters: VIP $name sent packets to every backend" lb \
			"all(b['packets'] > 0 for b in vip(s, '$name')['backends'])"
		e2e_check_stat "LB counters: VIP $name = the sum of its backends" lb \
			"vip(s, '$name')['packets'] == sum(b['packets'] for b in vip(s, '$name')['backends'])"
		sent=$(e2e_stat lb "vip(s, '$name')['packets']")
		total=0
		restored=
		for host in "${TOPO_BACKENDS[@]}"; do
			count=$(e2e_stat "$host" "vip(s, '$name')['packets']")
			restored+="$host=$count "
			total=$((total + count))
		done
		if [[ $sent =~ ^[0-9]+$ ]] && ((sent > 0 && sent == total)); then
			e2e_ok "VIP $name: the $sent packets the LB sent on were all restored by the backends ($restored)"
		else
			e2e_fail "VIP $name: every packet the LB sent on was restored by a backend" \
				"LB sent $sent; restored: $restored"
		fi
	done
}

# After the balance traffic: the verdicts match the topology, the neighbour misses were counted,
# and the web VIPs' packets all arrived.
e2e_check_counters() {
	if ((TOPO_TWO_ARMED)); then
		e2e_check_stat "LB counters: requests left by redirect, none by XDP_TX (two-armed)" lb \
			"s['counters']['redirect']['packets'] > 0 and s['counters']['tx']['packets'] == 0"
	else
		e2e_check_stat "LB counters: requests left by XDP_TX, none by redirect (one-armed)" lb \
			"s['counters']['tx']['packets'] > 0 and s['counters']['redirect']['packets'] == 0"
	fi
	e2e_check_stat "LB counters: the two first requests with no neighbour went through the kernel" \
		lb "s['counters']['fib_no_neigh']['packets'] >= 2"
	e2e_check_stat "LB counters: nothing malformed, no fib failure" lb \
		"s['counters']['malformed']['packets'] == 0 and s['counters']['fib_fail']['packets'] == 0"
	e2e_check_vip_delivery web4 web6
}

# After the PMTU and fragment traffic.
e2e_check_fragment_counters() {
	e2e_check_stat "LB counters: ICMP errors steered to a flow's backend" lb \
		"s['counters']['icmp_error']['packets'] > 0"
	e2e_check_stat "LB counters: no fragment passed untracked" lb \
		"s['counters']['fragments_untracked']['packets'] == 0"
	e2e_check_vip_delivery udp4 udp6
}
