#!/usr/bin/env bash
# pmtu_fragments.sh: path MTU discovery through the LB, and fragmented UDP datagrams to a VIP.
#
# PMTU: the backends reply through a second router (topology_up --reply-router, the path DSR
# replies may take) whose route back to the client gets a smaller MTU, so a large HTTP response
# (1500-byte segments, DF) makes it send ICMP fragmentation-needed / packet-too-big to the VIP.
# The VIP is routed to the LB, which must steer the error to the backend that owns the flow
# (hashing the inner packet), or the download stalls.
# Fragments: datagrams of up to 30000 bytes to a UDP VIP leave the client as IP fragments;
# every fragment of one datagram must reach the same backend, which checks length and digest.
set -u
. "${L3DSR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_setup --reply-router
e2e_lb_config "$TOPO_DIR/lb.conf" 1 2
e2e_backend_config "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role backend ready" e2e_start_backends "$TOPO_DIR/backend.conf"
e2e_must "l3dsrd --role lb ready" e2e_start_lb "$TOPO_DIR/lb.conf"
e2e_ok "l3dsrd ready on the LB and ${TOPO_BACKENDS[*]}"

# --- PMTU ---------------------------------------------------------------------------------------
SIZE=300000
topology_exec replyrouter ip -4 route add "$TOPO_CLIENT_ADDR4/32" dev eth0 mtu 1200
topology_exec replyrouter ip -6 route add "$TOPO_CLIENT_ADDR6/128" dev eth0 mtu 1280
e2e_must "capture" e2e_capture_start icmp-lb "$TOPO_NS_SWITCH" "$TOPO_LB_PEER"
for host in "${TOPO_BACKENDS[@]}"; do
	e2e_must "capture" e2e_capture_start "icmp-$host" "$TOPO_NS_SWITCH" "b-$host"
done
declare -A served=()
for family in 4 6; do
	body=$TOPO_DIR/pmtu-$family.body
	url=$(e2e_vip_url "$family" "/bytes?count=$SIZE")
	result=$(topology_exec client curl -"$family" -sS --max-time 20 \
		--local-port $((23000 + family)) -o "$body" -w '%{http_code} %{size_download}' \
		-g "$url" 2>&1)
	served[$family]=$(head -n 1 "$body" 2>/dev/null)
	if [ "$result" = "200 $SIZE" ]; then
		e2e_ok "IPv$family: a $SIZE-byte response arrives over a reply path with a smaller MTU (served by ${served[$family]})"
	else
		e2e_fail "IPv$family: a $SIZE-byte response arrives over a reply path with a smaller MTU" \
			"curl: $result"
	fi
done
e2e_capture_stop icmp-lb
for host in "${TOPO_BACKENDS[@]}"; do
	e2e_capture_stop "icmp-$host"
done
frag_needed4="icmp and icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 4"
too_big6="icmp6 and ip6[40] == 2" # ICMPv6 type 2, packet too big
for family in 4 6; do
	if [ "$family" = 4 ]; then
		filter="dst host $TOPO_VIP4 and $frag_needed4"
		to_backend=$frag_needed4
	else
		filter="dst host $TOPO_VIP6 and $too_big6"
		to_backend=$too_big6
	fi
	seen=$(e2e_capture_count icmp-lb "$filter")
	if ((seen > 0)); then
		e2e_ok "IPv$family: the reply router's $seen PMTU error(s) to the VIP reached the LB"
	else
		e2e_fail "IPv$family: the reply router's PMTU errors to the VIP reached the LB" \
			"none on the LB's link: the test did not exercise PMTU discovery"
	fi
	# Only the backend that served the download may receive the errors.
	details=
	wrong=0
	for host in "${TOPO_BACKENDS[@]}"; do
		count=$(e2e_capture_count "icmp-$host" "$to_backend")
		details+="$host=$count "
		if [ "$host" = "${served[$family]}" ]; then
			((count > 0)) || wrong=1
		else
			((count == 0)) || wrong=1
		fi
	done
	if ((wrong == 0)) && [ -n "${served[$family]}" ]; then
		e2e_ok "IPv$family: the PMTU errors went to ${served[$family]} only ($details)"
	else
		e2e_fail "IPv$family: the PMTU errors went to the backend that served the flow" \
			"served by '${served[$family]}'; errors seen per backend: $details"
	fi
done

# --- fragmented UDP datagrams to a UDP VIP -----------------------------------------------------
for i in "${!TOPO_BACKENDS[@]}"; do
	host=${TOPO_BACKENDS[$i]}
	topology_spawn "$host" "$TOPO_DIR/udp-$host.log" "$E2E_PYTHON" \
		"$E2E_ROOT/tests/e2e/udp_fragments.py" serve --name "$host" --port "$E2E_UDP_PORT" \
		"$TOPO_VIP4" "$TOPO_VIP6"
done
for host in "${TOPO_BACKENDS[@]}"; do
	for ((tries = 50; tries > 0; tries--)); do
		grep -q listening "$TOPO_DIR/udp-$host.log" 2>/dev/null && break
		sleep 0.1
	done
done
SIZES=(3000 4000 8000 9000 16000 20000 30000 1400 2900 12000 25000 5000)
e2e_must "capture" e2e_capture_start fragments "$TOPO_NS_SWITCH" "$TOPO_LB_PEER"
for family in 4 6; do
	if [ "$family" = 4 ]; then vip=$TOPO_VIP4; else vip=$TOPO_VIP6; fi
	out=$(topology_exec client "$E2E_PYTHON" "$E2E_ROOT/tests/e2e/udp_fragments.py" send \
		--first-port 24000 "$vip" "$E2E_UDP_PORT" "${SIZES[@]}" 2>&1)
	status=$?
	spread=$(awk '$1 == "ok" {print $3}' <<<"$out" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
	if ((status == 0)) && [ "$(grep -c '^ok ' <<<"$out")" = "${#SIZES[@]}" ]; then
		e2e_ok "IPv$family: ${#SIZES[@]} UDP datagrams of up to 30000 bytes to the VIP arrive intact ($spread)"
	else
		e2e_fail "IPv$family: ${#SIZES[@]} UDP datagrams of up to 30000 bytes to the VIP arrive intact" \
			"$out"
	fi
done

e2e_capture_stop fragments
# The datagrams really crossed the LB as fragments, later fragments (no UDP header) included.
later4=$(e2e_capture_count fragments "ip and dst host $TOPO_VIP4 and (ip[6:2] & 0x1fff) != 0")
# IPv6: a fragment header right after the fixed one, its offset (the top 13 bits) not 0.
later6=$(e2e_capture_count fragments \
	"ip6 and dst host $TOPO_VIP6 and ip6[6] == 44 and (ip6[42:2] & 0xfff8) != 0")
if ((later4 > 0 && later6 > 0)); then
	e2e_ok "the LB received $later4 IPv4 and $later6 IPv6 non-first fragments to the VIPs"
else
	e2e_fail "the LB received non-first fragments to the VIPs" "IPv4: $later4, IPv6: $later6"
fi

. "$E2E_ROOT/tests/e2e/counters.sh"
e2e_check_fragment_counters

e2e_finish
