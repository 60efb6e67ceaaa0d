/* backend.bpf.c: the backend: turns L3DSR packets addressed to this host back into VIP packets. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"
#include "backend_maps.h"
#include "counters.h"
#include "parse.h"
#include "rewrite.h"

/*
 * Which VIP the packet was sent to: the one its DSCP code names (same family only), else the
 * "dscp = none" VIP of its destination port and protocol. For an ICMP error FLOW holds the client
 * flow it is about, so its destination port is the VIP's port the quoted reply came from.
 * *BY_DSCP says which: only the LB's own mark is cleared, a DS field it left alone is kept.
 */
static __always_inline struct restore_target *backend_find_target(const struct packet *pkt,
								  const struct flow_key *flow,
								  int have_ports, int *by_dscp)
{
	struct restore_target *target;
	struct port_vip_key key;
	__u32 code = pkt->ds >> 2;

	*by_dscp = 0;
	if (code) {
		target = bpf_map_lookup_elem(&dscp_vips, &code);
		if (target && target->family == pkt->family) {
			*by_dscp = 1;
			return target;
		}
	}
	if (!have_ports || !protocol_has_ports(flow->protocol))
		return NULL;
	key.port = flow->destination_port;
	key.protocol = flow->protocol;
	key.family = pkt->family;
	target = bpf_map_lookup_elem(&port_vips, &key);
	if (target && target->family == pkt->family)
		return target;
	return NULL;
}

static __always_inline int backend_process(struct xdp_md *ctx, __u64 frame_length, __u32 *counter)
{
	void *data_end = (void *)(long)ctx->data_end;
	enum transport_kind kind = TRANSPORT_PORTS;
	struct restore_target *target;
	struct l3dsr_address vip;
	struct flow_key flow;
	struct packet pkt;
	__u32 vip_index;
	int have_ports = 0, by_dscp;

	switch (parse_packet(ctx, &pkt)) {
	case PARSE_OK:
		break;
	case PARSE_MALFORMED:
		*counter = BACKEND_COUNTER_MALFORMED;
		return XDP_PASS;
	default:
		*counter = BACKEND_COUNTER_PASS;
		return XDP_PASS;
	}
	/* The one lookup every packet pays. */
	if (!bpf_map_lookup_elem(&local_addresses, &pkt.destination)) {
		*counter = BACKEND_COUNTER_PASS;
		return XDP_PASS;
	}

	__builtin_memset(&flow, 0, sizeof(flow));
	flow.protocol = pkt.protocol;
	/* A later fragment has no transport header: only its DSCP code can name the VIP. */
	if (pkt.fragment != PACKET_LATER_FRAGMENT) {
		switch (parse_transport(&pkt, data_end, &flow, &kind)) {
		case PARSE_OK:
			have_ports = 1;
			break;
		case PARSE_MALFORMED:
			*counter = BACKEND_COUNTER_MALFORMED;
			return XDP_PASS;
		default:
			/* Neighbour discovery, echo replies, ...: never sent by the LB. */
			*counter = BACKEND_COUNTER_PASS;
			return XDP_PASS;
		}
	}

	target = backend_find_target(&pkt, &flow, have_ports, &by_dscp);
	if (!target) {
		*counter = BACKEND_COUNTER_PASS;
		return XDP_PASS;
	}
	vip = target->vip;
	vip_index = target->vip_index;
	if (address_is_v4_mapped(&vip) != (pkt.family == 4)) {
		*counter = BACKEND_COUNTER_PASS;
		return XDP_PASS;
	}
	/* An error about a reply this host sent from its own address is not VIP traffic. */
	if (kind == TRANSPORT_ICMP_ERROR && !address_equal(&flow.destination, &vip)) {
		*counter = BACKEND_COUNTER_PASS;
		return XDP_PASS;
	}

	/* In an ICMP error the quote's source is the VIP already: only the outer header changes. */
	if (packet_rewrite(&pkt, data_end, &vip, by_dscp ? pkt.ds & 0x3 : pkt.ds, 0) < 0) {
		*counter = BACKEND_COUNTER_MALFORMED;
		return XDP_PASS;
	}
	*counter = BACKEND_COUNTER_RESTORED;
	counter_add(&vip_traffic, vip_index, frame_length);
	if (kind == TRANSPORT_ICMP_ERROR)
		counter_add(&counters, BACKEND_COUNTER_ICMP_ERROR, frame_length);
	return XDP_PASS;
}

/* xdp.frags: it attaches where the MTU is above a page; see parse.h for what that means. */
SEC("xdp.frags")
int l3dsr_backend(struct xdp_md *ctx)
{
	__u64 frame_length = xdp_frame_length(ctx);
	__u32 counter = BACKEND_COUNTER_PASS;
	int action = backend_process(ctx, frame_length, &counter);

	counter_add(&counters, counter, frame_length);
	return action;
}

char LICENSE[] SEC("license") = "GPL";
