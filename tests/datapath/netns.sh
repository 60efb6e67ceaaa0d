#!/usr/bin/env bash
# netns.sh: runs a command inside a fresh network namespace that holds the datapath test network
# (topology.ip), with forwarding on, and removes the namespace afterwards, also on failure.
# Usage: netns.sh COMMAND [ARG...]; the command sees L3DSR_DP_INGRESS and L3DSR_DP_OTHER.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tag=$$
namespace=l3dp$tag
ingress=dpi$tag
other=dpo$tag

cleanup() {
	ip netns del "$namespace" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$namespace"
# The links are created inside the namespace, so deleting it removes them all.
sed -e "s/{ingress}/$ingress/g" -e "s/{other}/$other/g" "$here/topology.ip" |
	ip -n "$namespace" -batch -
# bpf_fib_lookup answers "forwarding disabled" unless the namespace forwards.
ip netns exec "$namespace" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

status=0
ip netns exec "$namespace" env L3DSR_DP_INGRESS="$ingress" L3DSR_DP_OTHER="$other" "$@" ||
	status=$?
exit $status
