/* probe_reply.h: the LB side of the health checks: replies from a VIP given back the RIP. */
#ifndef L3DSR_PROBE_REPLY_H
#define L3DSR_PROBE_REPLY_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "l3dsr_common.h"
#include "lb_maps.h"
#include "parse.h"
#include "rewrite.h"

/*
 * Called only for packets whose destination is no VIP, so VIP traffic pays nothing for it, and
 * the rest one settings lookup and a compare of the TCP destination port. A packet to a probe
 * port of the daemon (docs/health-checks.md): from the probe's VIP:port, its source becomes
 * the RIP and it is passed (the probe's socket, connected to the RIP, accepts it); from
 * RIP:port, it is dropped: the backend answered without going through its VIP, which is not
 * the path clients take. Anything else, and anything truncated, is passed untouched.
 * Returns the verdict and sets *COUNTER when it is not a plain pass.
 */
static __always_inline int lb_probe_reply(struct packet *pkt, void *data_end, __u32 *counter)
{
	struct tcphdr *tcp = pkt->l4;
	struct probe_target *target;
	struct lb_settings *config;
	__u32 zero = 0, index;

	if (pkt->protocol != IPPROTO_TCP || pkt->fragment != PACKET_WHOLE)
		return XDP_PASS;
	if ((void *)(tcp + 1) > data_end || (void *)(tcp + 1) > pkt->ip_end)
		return XDP_PASS;
	config = bpf_map_lookup_elem(&settings, &zero);
	if (!config)
		return XDP_PASS;
	/* One unsigned compare: ports below the range wrap around to large indexes. */
	index = (__u16)(bpf_ntohs(tcp->dest) - config->probe_port_first);
	if (index >= config->probe_port_count)
		return XDP_PASS;
	target = bpf_map_lookup_elem(&probes, &index);
	if (!target || target->family != pkt->family || tcp->source != target->port)
		return XDP_PASS;
	if (packet_load_source(pkt, data_end, NULL) != PARSE_OK)
		return XDP_PASS;
	if (address_equal(&pkt->source, &target->rip)) {
		*counter = LB_COUNTER_PROBE_DIRECT;
		return XDP_DROP;
	}
	if (!address_equal(&pkt->source, &target->vip))
		return XDP_PASS;
	if (packet_rewrite_source(pkt, data_end, &target->rip) < 0) {
		*counter = LB_COUNTER_MALFORMED;
		return XDP_PASS;
	}
	*counter = LB_COUNTER_PROBE_REPLY;
	return XDP_PASS;
}

#endif /* L3DSR_PROBE_REPLY_H */
