#!/usr/bin/env bash
# jumbo.sh: the LB and the backends on links of MTU 9000. A 9000-byte frame does not fit in one
# page, so the XDP programs see it in several buffers (xdp.frags): both must attach on such an
# interface in native mode, balance, and carry uploads and downloads in 9000-byte frames, with
# the counters counting whole frames.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

MTU=9000
SIZE=2000000
e2e_setup --mtu "$MTU"
e2e_lb_config "$TOPO_DIR/lb.conf" 1 2
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role backend ready" e2e_start_backends "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role lb ready" e2e_start_lb "$TOPO_DIR/lb.conf"
e2e_ok "l3dsrd ready on the LB and ${TOPO_BACKENDS[*]}"

for host in lb "${TOPO_BACKENDS[@]}"; do
	link=$(topology_exec "$host" ip -d link show eth0)
	if grep -q "mtu $MTU " <<<"$link" && grep -q 'prog/xdp id' <<<"$link"; then
		e2e_ok "$host: the program runs in native mode on eth0 with MTU $MTU"
	else
		e2e_fail "$host: the program runs in native mode on eth0 with MTU $MTU" "$link"
	fi
done

for family in 4 6; do
	e2e_spread "$family" $((30000 + family * 100)) 40
	if ((E2E_SPREAD_FAILED == 0 && ${E2E_SPREAD[backend1]} > 0 && ${E2E_SPREAD[backend2]} > 0)); then
		e2e_ok "IPv$family: 40 requests balanced over both backends ($(e2e_spread_text))"
	else
		e2e_fail "IPv$family: 40 requests balanced over both backends" \
			"$(e2e_spread_text), $E2E_SPREAD_FAILED failed"
	fi
done

head -c "$SIZE" /dev/urandom >"$TOPO_DIR/upload.bin"
e2e_must "capture" e2e_capture_start big "$TOPO_NS_SWITCH" "$TOPO_LB_PEER"
for family in 4 6; do
	e2e_check_upload "IPv$family: a $SIZE-byte upload arrives intact" "$family" "$TOPO_DIR/upload.bin"
	result=$(topology_exec client curl -"$family" -sS --max-time 30 -o /dev/null \
		-w '%{http_code} %{size_download}' -g "$(e2e_vip_url "$family" "/bytes?count=$SIZE")" 2>&1)
	if [ "$result" = "200 $SIZE" ]; then
		e2e_ok "IPv$family: a $SIZE-byte download arrives"
	else
		e2e_fail "IPv$family: a $SIZE-byte download arrives" "curl: $result"
	fi
done
e2e_capture_stop big

# The uploads crossed the LB in jumbo frames: in to the VIP, and back out rewritten to a RIP.
for family in 4 6; do
	if [ "$family" = 4 ]; then
		vip=$TOPO_VIP4 rips=("${TOPO_BACKEND_ADDR4[@]}")
	else
		vip=$TOPO_VIP6 rips=("${TOPO_BACKEND_ADDR6[@]}")
	fi
	into=$(e2e_capture_count big "dst host $vip and greater 8000")
	out=$(e2e_capture_count big "(dst host ${rips[0]} or dst host ${rips[1]}) and greater 8000")
	if ((into > 0 && out > 0)); then
		e2e_ok "IPv$family: $into frames above 8000 bytes reached the LB, $out left it for a backend"
	else
		e2e_fail "IPv$family: frames above 8000 bytes crossed the LB" \
			"to the VIP: $into, to a backend: $out"
	fi
done

. "$E2E_ROOT/tests/e2e/counters.sh"
e2e_check_stat "LB counters: forwarded by XDP_TX, nothing malformed, no fib failure, nothing too big" \
	lb "s['counters']['tx']['packets'] > 0 and s['counters']['malformed']['packets'] == 0 and s['counters']['fib_fail']['packets'] == 0 and s['counters']['too_big']['packets'] == 0"
for name in web4 web6; do
	e2e_check_stat "LB counters: VIP $name counted every buffer of its frames (bytes >= the upload)" \
		lb "vip(s, '$name')['bytes'] >= $SIZE"
done
e2e_check_vip_delivery web4 web6

e2e_finish
