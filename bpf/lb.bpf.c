/* lb.bpf.c: the load balancer: sends each VIP flow to one backend's real address (L3DSR). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "l3dsr_common.h"
#include "checksum.h"
#include "counters.h"
#include "egress_takes.h"
#include "hash.h"
#include "icmp_too_big.h"
#include "lb_maps.h"
#include "parse.h"
#include "probe_reply.h"
#include "rewrite.h"

/* The uapi has no sys/socket.h for BPF; bpf_fib_lookup wants the AF_ values. */
#define LB_AF_INET	2
#define LB_AF_INET6	10
#define LB_NSEC_PER_SEC 1000000000ULL

/* A step's result: a counter (the packet is passed with it) or "go on". */
#define LB_CONTINUE LB_COUNTER_MAX

/* The datagram a fragment belongs to (RFC 791 / RFC 8200: source, destination, id, protocol). */
static __always_inline void lb_fragment_key(const struct packet *pkt, struct fragment_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->source = pkt->source;
	key->destination = pkt->destination;
	key->id = pkt->fragment_id;
	key->protocol = pkt->protocol;
}

/*
 * The client's flow: addresses and protocol from the IP header, ports from the transport header,
 * or for a later fragment from what its first fragment recorded, or for an ICMP error from the
 * packet it quotes (reversed, and only when that quote came from this very VIP address).
 */
static __always_inline __u32 lb_load_flow(struct packet *pkt, void *data_end, struct flow_key *flow,
					  enum transport_kind *kind)
{
	if (packet_load_source(pkt, data_end, &flow->source) != PARSE_OK)
		return LB_COUNTER_MALFORMED;
	flow->destination = pkt->destination;
	flow->protocol = pkt->protocol;
	/* Every other field is written below: only the padding needs zeroing for the key. */
	flow->pad[0] = 0;
	flow->pad[1] = 0;
	flow->pad[2] = 0;

	*kind = TRANSPORT_PORTS;
	if (pkt->fragment == PACKET_LATER_FRAGMENT) {
		struct fragment_key key;
		struct fragment_ports *ports;

		lb_fragment_key(pkt, &key);
		ports = bpf_map_lookup_elem(&fragments, &key);
		if (!ports)
			return LB_COUNTER_FRAGMENTS_UNTRACKED;
		flow->source_port = ports->source_port;
		flow->destination_port = ports->destination_port;
		return LB_CONTINUE;
	}

	switch (parse_transport(pkt, data_end, flow, kind)) {
	case PARSE_OK:
		break;
	case PARSE_MALFORMED:
		return LB_COUNTER_MALFORMED;
	default:
		return *kind == TRANSPORT_ICMP_ERROR ? LB_COUNTER_UNKNOWN_PORT : LB_COUNTER_PASS;
	}
	if (*kind == TRANSPORT_ICMP_ERROR) {
		/* Its fragments could not follow it: the flow is in the quote, not in a header. */
		if (pkt->fragment != PACKET_WHOLE)
			return LB_COUNTER_FRAGMENTS_UNTRACKED;
		if (!address_equal(&flow->destination, &pkt->destination))
			return LB_COUNTER_UNKNOWN_PORT;
	}
	return LB_CONTINUE;
}

/*
 * A later fragment to a VIP address whose first fragment left no ports. Of a protocol the
 * address balances (tcp and udp: any VIP there may have them; every protocol with a "protocol
 * = any" VIP) it is dropped: its datagram's first fragment went to a backend, and the LB's
 * kernel, which owns the address, could only hold the rest until its reassembly times out.
 * Of another protocol (a large ping to a tcp VIP) no VIP balances the datagram: the kernel
 * reassembles and answers it, as for any packet of the address that no VIP takes.
 */
static __always_inline int lb_untracked_fragment(const struct packet *pkt,
						 const struct vip_address_info *address_info,
						 __u32 *counter)
{
	if (protocol_has_ports(pkt->protocol) ||
	    (address_info->flags & VIP_ADDRESS_F_ANY_PROTOCOL)) {
		*counter = LB_COUNTER_FRAGMENTS_UNTRACKED;
		return XDP_DROP;
	}
	*counter = LB_COUNTER_UNKNOWN_PORT;
	return XDP_PASS;
}

/* The VIP address filter (and the live half of vip_slots); NULL: the map is missing. */
static __always_inline struct vip_address_filter *lb_address_filter(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vip_address_filter, &zero);
}

/*
 * Whether DESTINATION may be a VIP address: its bit in vip_address_filter (an inline array
 * lookup, no hashing of the 16-byte key), or 1 while the filter is not filled.
 */
static __always_inline int lb_may_be_vip(const struct vip_address_filter *filter,
					 const struct l3dsr_address *destination)
{
	__u32 bit;

	if (!filter || !filter->ready)
		return 1;
	bit = l3dsr_address_filter_bit(destination);
	return (filter->bits[bit / 64] >> (bit % 64)) & 1;
}

/*
 * The exact VIP of FLOW (its destination, protocol and port) from the live half of vip_slots:
 * the home slot and the next ones, compared in the program (array lookups the verifier inlines,
 * no call) with the flow's own fields, no key copied for it. NULL when the search does not find
 * it (an empty slot, L3DSR_VIP_SLOT_PROBES tried, no live half): the caller asks vips.
 */
static __always_inline struct vip_info *lb_slot_vip(const struct vip_address_filter *filter,
						    const struct flow_key *flow)
{
	struct vip_info *info;
	struct vip_slot *slot;
	__u32 base, home, index;

	if (!filter || filter->slots == VIP_SLOTS_NONE)
		return NULL;
	base = filter->slots == VIP_SLOTS_SECOND ? L3DSR_VIP_SLOTS : 0;
	home = l3dsr_vip_slot_home_of(&flow->destination, flow->destination_port, flow->protocol);
#pragma unroll
	for (__u32 probe = 0; probe < L3DSR_VIP_SLOT_PROBES; probe++) {
		index = base + ((home + probe) & (L3DSR_VIP_SLOTS - 1));
		slot = bpf_map_lookup_elem(&vip_slots, &index);
		if (!slot || !slot->key.protocol)
			return NULL;
		if (slot->key.port != flow->destination_port ||
		    slot->key.protocol != flow->protocol ||
		    !address_equal(&slot->key.address, &flow->destination))
			continue;
		index = slot->vip_index;
		info = bpf_map_lookup_elem(&vip_infos, &index);
		return info && info->table_size ? info : NULL;
	}
	return NULL;
}

/* The exact (address, protocol, port) VIP of FLOW, if there is one: vip_slots, else vips. */
static __always_inline struct vip_info *lb_exact_vip(const struct vip_address_filter *filter,
						     const struct flow_key *flow)
{
	struct vip_info *vip = lb_slot_vip(filter, flow);
	struct vip_key key;

	if (vip)
		return vip;
	key.address = flow->destination;
	key.port = flow->destination_port;
	key.protocol = flow->protocol;
	key.pad = 0;
	return bpf_map_lookup_elem(&vips, &key);
}

/*
 * The VIP of FLOW when it has no exact (address, protocol, port) VIP: (address, protocol, 0) for
 * "port = *", then (address, 0, 0) for "protocol = any", trying only the kinds of key the address
 * has.
 */
static __always_inline struct vip_info *lb_wildcard_vip(const struct vip_address_info *address_info,
							const struct flow_key *flow)
{
	__u32 flags = address_info->flags;
	struct vip_info *vip;
	struct vip_key key;

	/* Port and protocol are written before each lookup below. */
	key.pad = 0;
	key.address = flow->destination;
	if (protocol_has_ports(flow->protocol) && (flags & VIP_ADDRESS_F_ANY_PORT)) {
		key.protocol = flow->protocol;
		key.port = 0;
		vip = bpf_map_lookup_elem(&vips, &key);
		if (vip)
			return vip;
	}
	if (flags & VIP_ADDRESS_F_ANY_PROTOCOL) {
		key.port = 0;
		key.protocol = 0;
		return bpf_map_lookup_elem(&vips, &key);
	}
	return NULL;
}

/* The first fragment leaves its ports for the later ones, which carry none. */
static __always_inline void lb_record_fragment(const struct packet *pkt,
					       const struct flow_key *flow)
{
	struct fragment_ports ports = {
	    .source_port = flow->source_port,
	    .destination_port = flow->destination_port,
	};
	struct fragment_key key;

	lb_fragment_key(pkt, &key);
	bpf_map_update_elem(&fragments, &key, &ports, BPF_ANY);
}

/*
 * Whether this CPU may remember one more new flow: at most flow_inserts_per_second per one-second
 * window (0: no limit). Beyond that (a SYN flood) new flows are still balanced by Maglev, but
 * cannot evict the flows already in the table. *BUDGET is what lb_insert_flow charges.
 */
static __always_inline int lb_insert_allowed(__u32 inserts_per_second, struct flow_budget **budget)
{
	struct flow_budget *window;
	__u32 zero = 0;
	__u64 now;

	*budget = NULL;
	if (!inserts_per_second)
		return 1;
	window = bpf_map_lookup_elem(&flow_budget, &zero);
	if (!window)
		return 0;
	now = bpf_ktime_get_coarse_ns();
	if (now - window->window_start_ns >= LB_NSEC_PER_SEC) {
		window->window_start_ns = now;
		window->inserts = 0;
	}
	if (window->inserts >= inserts_per_second)
		return 0;
	*budget = window;
	return 1;
}

/*
 * Remembers FLOW's backend, overwriting what the table held for it. A SYN did not look the
 * table up (see lb_changed_slot_backend): should the write fail, the old entry must not outlive
 * it, or the rest of the connection would follow the old entry and not the SYN.
 */
static __always_inline void lb_insert_flow(const struct flow_key *flow, __u32 backend_id,
					   struct flow_budget *budget, int syn)
{
	if (budget)
		budget->inserts++;
	if (bpf_map_update_elem(&flows, flow, &backend_id, BPF_ANY) && syn)
		bpf_map_delete_elem(&flows, flow);
}

/* BACKEND_ID while it may keep this VIP's flows: in use, up, and serving the VIP. */
static __always_inline struct backend_info *lb_usable_backend(__u32 backend_id,
							      const struct vip_info *vip)
{
	struct backend_info *backend = bpf_map_lookup_elem(&backends, &backend_id);

	if (!backend)
		return NULL;
	if ((backend->flags & (BACKEND_F_IN_USE | BACKEND_F_UP)) !=
		(BACKEND_F_IN_USE | BACKEND_F_UP) ||
	    backend->vip_index != vip->vip_index)
		return NULL;
	return backend;
}

/* A remembered backend still counts while it is usable (lb_usable_backend). */
static __always_inline struct backend_info *
lb_remembered_backend(const struct flow_key *flow, const struct vip_info *vip, __u32 *backend_id)
{
	__u32 *remembered = bpf_map_lookup_elem(&flows, flow);

	if (!remembered)
		return NULL;
	*backend_id = *remembered;
	return lb_usable_backend(*backend_id, vip);
}

/* The ring's backend BACKEND_ID, while it is in use; NULL for an empty slot. */
static __always_inline struct backend_info *lb_ring_backend(__u32 backend_id, __u32 *chosen)
{
	struct backend_info *backend;

	if (backend_id == L3DSR_RING_SLOT_EMPTY)
		return NULL;
	*chosen = backend_id;
	backend = bpf_map_lookup_elem(&backends, chosen);
	return backend && (backend->flags & BACKEND_F_IN_USE) ? backend : NULL;
}

/*
 * lookup3's first round for IPv4 sources (hash.h) under a seed, one entry per CPU id, written
 * only on that CPU, where XDP never runs twice at once: one of the hash's four rounds, a serial
 * chain BPF has no rotate for, skipped on every IPv4 packet (docs/performance.md). Global data:
 * not pinned, made afresh at each load. CPUs from LB_HASH_CACHE_CPUS on compute it every time.
 */
#define LB_HASH_CACHE_CPUS 256
struct lb_hash_cache {
	struct l3dsr_hash_round first;
	__u32 seed;
	__u32 ready; /* first holds the round for seed */
};
static struct lb_hash_cache lb_hash_cache[LB_HASH_CACHE_CPUS];

/*
 * FLOW's hash under SEED (hash.h): mix64 when FLAGS (the settings') ask for it, else lookup3
 * with the first round from lb_hash_cache for an IPv4 source. Every packet that picks a slot
 * comes here (fragments and ICMP errors too, with the flow they belong to), so a flow's packets
 * agree. A global function: the verifier checks it once, not on every path that reaches it.
 */
__noinline __u32 lb_flow_hash(const struct flow_key *flow, __u32 seed, __u32 flags)
{
	struct lb_hash_cache *cache = NULL;
	struct l3dsr_hash_round first;
	__u32 cpu;

	if (!flow)
		return 0;
	if (flags & LB_SETTINGS_F_HASH_MIX64)
		return l3dsr_flow_hash_mix64(flow, seed);
	if (address_is_v4_mapped(&flow->source)) {
		cpu = bpf_get_smp_processor_id();
		if (cpu < LB_HASH_CACHE_CPUS)
			cache = &lb_hash_cache[cpu];
	}
	if (cache && cache->ready && cache->seed == seed) {
		first = cache->first;
	} else {
		l3dsr_flow_hash_first(&flow->source, seed, &first);
		if (cache) {
			cache->first = first;
			cache->seed = seed;
			cache->ready = 1;
		}
	}
	return l3dsr_flow_hash_rest(flow, &first);
}

/*
 * FLOW's slot of the VIP's ring, hash(flow, seed) % M with CONFIG's hash and seed: its current
 * and previous backend in one word (l3dsr_common.h). -1: the VIP has no ring.
 */
static __always_inline int lb_ring_slot(const struct flow_key *flow, const struct vip_info *vip,
					const struct lb_settings *config, __u32 *slot)
{
	__u32 vip_index = vip->vip_index, table_size = vip->table_size, index, entry;
	struct ring_entry *value;
	void *ring;

	ring = bpf_map_lookup_elem(&maglev_rings, &vip_index);
	if (!ring || table_size == 0)
		return -1;
	index = lb_flow_hash(flow, config->hash_seed, config->flags) % table_size;
	entry = index / L3DSR_RING_SLOTS_PER_ENTRY;
	value = bpf_map_lookup_elem(ring, &entry);
	if (!value)
		return -1;
	*slot = value->slots[index & (L3DSR_RING_SLOTS_PER_ENTRY - 1)];
	return 0;
}

/* Whether a flow the table does not know still goes to a changed slot's previous backend. */
static __always_inline int lb_unknown_to_previous(__u32 vip_index)
{
	struct ring_change *change = bpf_map_lookup_elem(&ring_changes, &vip_index);

	return change && bpf_ktime_get_coarse_ns() < change->unknown_until_ns;
}

/* A packet of the VIP went to a backend other than its slot's current one: the mark is needed. */
static __always_inline void lb_mark_used(__u32 vip_index)
{
	__u64 *used = bpf_map_lookup_elem(&ring_mark_use, &vip_index);

	if (used)
		*used = bpf_ktime_get_coarse_ns();
}

/*
 * The backend of FLOW on a slot that changed owner from PREVIOUS to CURRENT: the flow table's,
 * while it is still usable; else, for a flow the table does not know, the previous backend
 * (while it is usable and the change is recent, ring_changes) unless the packet opens a TCP
 * connection; else the current one. The choice is remembered, within the insert limit.
 *
 * A TCP SYN without ACK opens a connection: it goes straight to the current backend and
 * overwrites the table's entry, without looking the table up (on a busy LB that lookup is a cold
 * miss on every new flow). Only a SYN that may be inserted skips the lookup: one over the insert
 * limit still honours the table, because its connection's later packets will.
 */
static __always_inline struct backend_info *
lb_changed_slot_backend(const struct flow_key *flow, const struct vip_info *vip,
			const struct lb_settings *config, __u32 current, __u32 previous,
			int may_insert, int syn, __u64 frame_length, __u32 *backend_id)
{
	struct flow_budget *budget = NULL;
	struct backend_info *backend;
	int allowed = -1;
	__u32 chosen = current;

	syn = may_insert && syn;
	if (syn)
		allowed = lb_insert_allowed(config->flow_inserts_per_second, &budget);
	if (!(syn && allowed)) {
		backend = lb_remembered_backend(flow, vip, backend_id);
		if (backend) {
			if (*backend_id != current)
				lb_mark_used(vip->vip_index);
			return backend;
		}
	}
	if (!syn && previous != L3DSR_RING_SLOT_EMPTY && lb_usable_backend(previous, vip) &&
	    lb_unknown_to_previous(vip->vip_index))
		chosen = previous;
	backend = lb_ring_backend(chosen, backend_id);
	if (!backend)
		return NULL;
	if (chosen != current)
		lb_mark_used(vip->vip_index);
	if (may_insert) {
		if (allowed < 0)
			allowed = lb_insert_allowed(config->flow_inserts_per_second, &budget);
		if (allowed)
			lb_insert_flow(flow, chosen, budget, syn);
		else
			counter_add(&counters, LB_COUNTER_FLOW_INSERT_SKIPPED, frame_length);
	}
	return backend;
}

/*
 * The backend of FLOW: the VIP's Maglev ring at hash(flow, seed) % M. A slot that did not change
 * owner (or the flow table off) decides alone: no per-flow state is read or written, SYN or
 * not, so a stable VIP costs none. A changed slot asks lb_changed_slot_backend. NULL when the VIP
 * has no ring or the slot is empty.
 */
static __always_inline struct backend_info *lb_choose_backend(const struct flow_key *flow,
							      const struct vip_info *vip,
							      int may_insert, int syn,
							      __u64 frame_length, __u32 *backend_id)
{
	struct lb_settings *config;
	__u32 zero = 0, slot, current, previous;

	config = bpf_map_lookup_elem(&settings, &zero);
	if (!config || lb_ring_slot(flow, vip, config, &slot))
		return NULL;
	current = l3dsr_ring_current(slot);
	previous = l3dsr_ring_previous(slot);
	if (previous == current || !(config->flags & LB_SETTINGS_F_FLOW_TABLE))
		return lb_ring_backend(current, backend_id);
	return lb_changed_slot_backend(flow, vip, config, current, previous, may_insert, syn,
				       frame_length, backend_id);
}

/*
 * BACKEND_ID's next hop from next_hops when it is exact for this packet (l3dsr_common.h): live,
 * resolved for RIP, for the interface the packet came in by, and the datagram within its MTU.
 * NULL: ask bpf_fib_lookup.
 */
static __always_inline const struct next_hop *lb_cached_next_hop(struct xdp_md *ctx,
								 const struct packet *pkt,
								 __u32 backend_id,
								 const struct l3dsr_address *rip)
{
	struct next_hop_entry *entry = bpf_map_lookup_elem(&next_hops, &backend_id);
	const struct next_hop *hop;
	__u32 live;

	if (!entry)
		return NULL;
	live = entry->live;
	if (live == NEXT_HOP_NONE || entry->ingress_ifindex != ctx->ingress_ifindex ||
	    !address_equal(&entry->address, rip))
		return NULL;
	hop = &entry->copies[live == NEXT_HOP_COPY1];
	return pkt->ip_length <= hop->mtu ? hop : NULL;
}

/*
 * The next hop by bpf_fib_lookup, into *HOP: SUCCESS, or the lookup's other answers. On
 * FRAG_NEEDED hop->mtu is the route's MTU.
 */
static __always_inline int lb_fib_next_hop(struct xdp_md *ctx, const struct packet *pkt,
					   const struct flow_key *flow, enum transport_kind kind,
					   const struct l3dsr_address *rip, __u8 ds,
					   struct next_hop *hop)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup fib;
	int result;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.ifindex = ctx->ingress_ifindex;
	fib.l4_protocol = pkt->protocol;
	if (kind == TRANSPORT_PORTS) {
		fib.sport = flow->source_port;
		fib.dport = flow->destination_port;
	}
	fib.tot_len = pkt->ip_length;
	if (pkt->family == 4) {
		fib.family = LB_AF_INET;
		fib.tos = ds;
		fib.ipv4_src = pkt->source.words[3];
		fib.ipv4_dst = rip->words[3];
	} else {
		__be32 *first_word = pkt->l3;

		/* Checked by the parse; the verifier asks again. */
		if ((void *)(first_word + 1) > data_end)
			return BPF_FIB_LKUP_RET_NOT_FWDED;
		fib.family = LB_AF_INET6;
		/* Traffic class and flow label as they will be sent. */
		fib.flowinfo = bpf_htonl(((__u32)ds << 20) | (bpf_ntohl(*first_word) & 0xfffff));
		__builtin_memcpy(fib.ipv6_src, &pkt->source, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, rip, sizeof(fib.ipv6_dst));
	}
	result = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	hop->ifindex = fib.ifindex;
	hop->mtu = fib.mtu_result;
	__builtin_memcpy(hop->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(hop->smac, fib.smac, ETH_ALEN);
	return result;
}

/*
 * Rewrites the packet towards RIP and forwards it to the next hop: the one l3dsrd keeps in
 * next_hops when it is exact for the packet, else bpf_fib_lookup's; XDP_TX or redirect with
 * the next hop's MACs and the TTL decremented. When the neighbour is not resolved yet, the
 * egress interface cannot take XDP frames (egress_takes.h), or the lookup fails otherwise, the
 * rewritten packet goes to the kernel, which forwards it (and decrements the TTL) itself or
 * drops it: addressed to the RIP now, it is not the LB's own. A packet too big for the route
 * gets the client an ICMP error instead (always decided by the lookup: the cache holds no
 * datagram over its MTU). A packet whose headers cannot be rewritten is dropped (see
 * lb_process).
 */
static __always_inline int lb_forward(struct xdp_md *ctx, const struct packet *pkt,
				      const struct flow_key *flow, enum transport_kind kind,
				      __u32 backend_id, const struct l3dsr_address *rip, __u8 ds,
				      __u64 frame_length, __u32 *counter)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	const struct next_hop *hop;
	struct next_hop looked_up;
	int fib_result = BPF_FIB_LKUP_RET_SUCCESS, forward, redirect;

	if ((void *)(eth + 1) > data_end) {
		*counter = LB_COUNTER_REWRITE_FAILED;
		return XDP_DROP;
	}
	hop = lb_cached_next_hop(ctx, pkt, backend_id, rip);
	if (!hop) {
		counter_add(&counters, LB_COUNTER_FIB_LOOKUP, frame_length);
		fib_result = lb_fib_next_hop(ctx, pkt, flow, kind, rip, ds, &looked_up);
		hop = &looked_up;
	}

	/* Before the rewrite: the error quotes the packet as the client sent it. */
	if (fib_result == BPF_FIB_LKUP_RET_FRAG_NEEDED && too_big_wanted(pkt, kind, data_end)) {
		int action = icmp_too_big(ctx, pkt, hop->mtu);

		if (action != TOO_BIG_NOT_SENT) {
			*counter = action == XDP_TX ? LB_COUNTER_TOO_BIG : LB_COUNTER_FIB_FAIL;
			return action;
		}
	}
	/* Sent on by this program only where the frame can leave: else the kernel forwards it. */
	forward = fib_result == BPF_FIB_LKUP_RET_SUCCESS;
	redirect = forward && hop->ifindex != ctx->ingress_ifindex;
	if (redirect && !egress_takes(ctx, hop->ifindex))
		forward = 0;
	if (packet_rewrite(pkt, data_end, rip, ds, forward) < 0) {
		*counter = LB_COUNTER_REWRITE_FAILED;
		return XDP_DROP;
	}
	if (fib_result == BPF_FIB_LKUP_RET_NO_NEIGH) {
		*counter = LB_COUNTER_FIB_NO_NEIGH;
		return XDP_PASS;
	}
	if (fib_result != BPF_FIB_LKUP_RET_SUCCESS) {
		*counter = LB_COUNTER_FIB_FAIL;
		return XDP_PASS;
	}
	if (!forward) {
		*counter = LB_COUNTER_EGRESS_NO_XDP;
		return XDP_PASS;
	}
	/* No helper called since the check at the top can move the packet: eth is in bounds. */
	__builtin_memcpy(eth->h_dest, hop->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, hop->smac, ETH_ALEN);
	if (!redirect) {
		*counter = LB_COUNTER_TX;
		return XDP_TX;
	}
	*counter = LB_COUNTER_REDIRECT;
	return bpf_redirect(hop->ifindex, 0);
}

static __always_inline int lb_process(struct xdp_md *ctx, __u64 frame_length, __u32 *counter)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct vip_address_filter *filter;
	struct vip_address_info *address_info;
	enum transport_kind kind;
	struct backend_info *backend;
	struct l3dsr_address rip;
	struct flow_key flow;
	struct packet pkt;
	struct vip_info *vip;
	__u32 backend_id = 0, step;
	__u8 ds;
	int action;

	switch (parse_packet(ctx, &pkt)) {
	case PARSE_OK:
		break;
	case PARSE_MALFORMED:
		*counter = LB_COUNTER_MALFORMED;
		return XDP_PASS;
	default:
		*counter = LB_COUNTER_PASS;
		return XDP_PASS;
	}
	/* What every other packet pays: the filter's bit (an array lookup, no hashing). */
	filter = lb_address_filter();
	if (!lb_may_be_vip(filter, &pkt.destination)) {
		*counter = LB_COUNTER_PASS;
		return lb_probe_reply(&pkt, data_end, counter);
	}

	/*
	 * The common VIP, with a fixed port, costs no hash lookup: the exact key in vip_slots, else
	 * in vips. Only when both miss does vip_addresses say whether the destination is a VIP
	 * address at all (the filter's bits collide) and which wildcard keys it has. Until then the
	 * flow's errors wait: a packet for no VIP is passed as such, whatever its ports.
	 */
	step = lb_load_flow(&pkt, data_end, &flow, &kind);
	vip = step == LB_CONTINUE && protocol_has_ports(flow.protocol) ? lb_exact_vip(filter, &flow)
								       : NULL;
	if (!vip) {
		address_info = bpf_map_lookup_elem(&vip_addresses, &pkt.destination);
		if (!address_info) {
			*counter = LB_COUNTER_PASS;
			return lb_probe_reply(&pkt, data_end, counter);
		}
		if (step == LB_COUNTER_FRAGMENTS_UNTRACKED)
			return lb_untracked_fragment(&pkt, address_info, counter);
		if (step != LB_CONTINUE) {
			*counter = step;
			return XDP_PASS;
		}
		vip = lb_wildcard_vip(address_info, &flow);
		if (!vip) {
			*counter = LB_COUNTER_UNKNOWN_PORT;
			return XDP_PASS;
		}
	}
	ds = vip->dscp ? ds_with_dscp(pkt.ds, vip->dscp) : pkt.ds;
	if (pkt.fragment == PACKET_FIRST_FRAGMENT && kind == TRANSPORT_PORTS)
		lb_record_fragment(&pkt, &flow);
	/*
	 * From here on the packet belongs to a balanced VIP, which the LB's kernel owns (a local
	 * route, src/announce): handed to it unmodified, it would be delivered locally, and a TCP
	 * segment of a connection a backend serves would be answered with a reset. So every way
	 * out that does not forward the packet drops it. A TTL that runs out here gets no
	 * time-exceeded: the LB is not a hop the client's traceroute can see anyway.
	 */
	if (pkt.ttl <= 1) {
		*counter = LB_COUNTER_TTL_EXPIRED;
		return XDP_DROP;
	}

	backend = lb_choose_backend(&flow, vip, kind == TRANSPORT_PORTS,
				    kind == TRANSPORT_PORTS && packet_is_tcp_syn(&pkt, data_end),
				    frame_length, &backend_id);
	if (!backend) {
		*counter = LB_COUNTER_NO_BACKEND;
		return XDP_DROP;
	}
	rip = backend->address;
	if (address_is_v4_mapped(&rip) != (pkt.family == 4)) {
		*counter = LB_COUNTER_NO_BACKEND;
		return XDP_DROP;
	}

	action = lb_forward(ctx, &pkt, &flow, kind, backend_id, &rip, ds, frame_length, counter);
	/* The backend's traffic: what went on towards the backend. A backend_id serves one VIP: its
	 * VIP's traffic is the sum of its backends', which user space adds up (vip_traffic holds
	 * what removed backends had counted). */
	if (*counter != LB_COUNTER_REWRITE_FAILED && *counter != LB_COUNTER_TOO_BIG) {
		counter_add(&backend_traffic, backend_id, frame_length);
		if (kind == TRANSPORT_ICMP_ERROR)
			counter_add(&counters, LB_COUNTER_ICMP_ERROR, frame_length);
	}
	return action;
}

/* xdp.frags: it attaches where the MTU is above a page; see parse.h for what that means. */
SEC("xdp.frags")
int l3dsr_lb(struct xdp_md *ctx)
{
	__u64 frame_length = xdp_frame_length(ctx);
	__u32 counter = LB_COUNTER_PASS;
	int action = lb_process(ctx, frame_length, &counter);

	counter_add(&counters, counter, frame_length);
	return action;
}

char LICENSE[] SEC("license") = "GPL";
