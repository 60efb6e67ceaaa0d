/* l3dsr_common.h: the one definition of everything that crosses the kernel/user boundary. */
#ifndef L3DSR_COMMON_H
#define L3DSR_COMMON_H

#include <linux/types.h>

/*
 * Sizes. The daemon may lower or raise the map sizes before loading (bpf_map__set_max_entries);
 * these are the defaults compiled into the objects.
 */
#define L3DSR_MAX_VIPS		 1024	 /* vip_index range, ring slots in maglev_rings */
#define L3DSR_MAX_BACKENDS	 65535	 /* backend_id range: one id per (VIP, backend) pair */
#define L3DSR_DEFAULT_TABLE_SIZE 65537	 /* Maglev M, prime */
#define L3DSR_MAX_TABLE_SIZE	 1048573 /* largest prime below 2^20 */
/* The flow table holds only the flows on changed ring slots (see maglev_rings). */
#define L3DSR_DEFAULT_FLOW_TABLE_SIZE 131072
#define L3DSR_FRAGMENT_TABLE_SIZE     16384
#define L3DSR_DSCP_CODES	      64   /* DSCP is six bits; code 0 means "not marked" */
#define L3DSR_MAX_PROBE_PORTS	      4096 /* local ports the health checks may use at once */

/*
 * Addresses. IPv4 addresses are stored v4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2) so that one
 * key layout serves both families and an IPv4 key can never equal an IPv6 one.
 * All address and port fields are in network byte order.
 */
struct l3dsr_address {
	__be32 words[4];
};

/* ---------------------------------------------------------------------------------------------
 * Load-balancer maps (bpf/lb.bpf.c)
 * ------------------------------------------------------------------------------------------- */

/*
 * vip_addresses: HASH, key struct l3dsr_address, value struct vip_address_info.
 * Looked up only when the exact (address, protocol, port) key is found neither in vip_slots nor
 * in vips (bpf/lb.bpf.c): whether the destination is a VIP address at all, and which wildcard
 * vips keys exist for it, so such a packet costs at most the lookups it needs. The program
 * tries the exact key first whatever the flags; VIP_ADDRESS_F_PORT still gives an address with
 * only exact keys a flag, which is how l3dsrd's map diff (src/lb/lb_sync.c) knows it is wanted.
 */
#define VIP_ADDRESS_F_PORT	   (1U << 0) /* some (address, protocol, port) key exists */
#define VIP_ADDRESS_F_ANY_PORT	   (1U << 1) /* some (address, protocol, 0) key exists */
#define VIP_ADDRESS_F_ANY_PROTOCOL (1U << 2) /* the (address, 0, 0) key exists */
struct vip_address_info {
	__u32 flags;
};

/*
 * vip_address_filter: ARRAY, 1 entry, key 0, value struct vip_address_filter. A bitmap in front
 * of vip_addresses: bit l3dsr_address_filter_bit(address) (bpf/hash.h) is set for every address
 * in vip_addresses, so a packet whose bit is clear is for no VIP without a hash lookup (most of
 * the packets on the interface); a set bit only means "look it up". ready = 0 (not filled):
 * every packet is looked up. Writers set the bits of the old and the new addresses before they
 * change vip_addresses, and write the exact bits once the old addresses are gone.
 */
#define L3DSR_ADDRESS_FILTER_ORDER 12 /* log2 of the bits: the hash keeps its top 12 bits */
#define L3DSR_ADDRESS_FILTER_BITS  (1U << L3DSR_ADDRESS_FILTER_ORDER)
struct vip_address_filter {
	__u32 ready; /* 1: the bits cover every address in vip_addresses */
	__u32 slots; /* which half of vip_slots is live: VIP_SLOTS_NONE, _FIRST or _SECOND */
	__u64 bits[L3DSR_ADDRESS_FILTER_BITS / 64];
};

/*
 * vips: HASH, key struct vip_key, value struct vip_info.
 * Lookup order: (address, protocol, port) (in vip_slots first, below), then (address, protocol,
 * 0) for "port = *", then (address, 0, 0) for "protocol = any". "protocol = any" with a fixed port
 * is expanded by the daemon into one tcp and one udp key sharing a vip_index.
 */
struct vip_key {
	struct l3dsr_address address;
	__be16 port;   /* 0: any port */
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP, or 0: any protocol */
	__u8 pad;      /* always 0: keys are compared as bytes */
};

struct vip_info {
	__u32 vip_index;  /* index into maglev_rings and vip_traffic */
	__u32 table_size; /* M, the number of slots of this VIP's ring (prime) */
	__u8 dscp;	  /* DSCP code written into the DS field, 1..63; 0: "dscp = none" */
	__u8 pad[3];
};

/*
 * vip_slots: ARRAY, 2 x L3DSR_VIP_SLOTS entries, value struct vip_slot. The exact (address,
 * protocol, port) keys of vips once more, in an open-addressing table that the program searches
 * with array lookups the verifier inlines, instead of a hash-map lookup (the kernel's hashing,
 * bucket walk and key compare, through calls): a key's home slot is l3dsr_vip_slot_home(key)
 * (bpf/hash.h), then the next slots in turn, L3DSR_VIP_SLOT_PROBES in all; an empty slot
 * (protocol 0) ends the search. A key the search does not find is looked up in vips as before,
 * so the slots are a faster path, never the only one: a key that found no free slot within the
 * probes is simply not placed. The table has two halves and vip_address_filter.slots names the
 * live one; the daemon writes the other half whole, then switches, so a packet never sees a
 * half-written table. It writes a half again only at a later change of the keys.
 */
/* Per half, a power of two (the hash keeps its top 12 bits): at most 2048 keys, a quarter full. */
#define L3DSR_VIP_SLOTS_ORDER 12
#define L3DSR_VIP_SLOTS	      (1U << L3DSR_VIP_SLOTS_ORDER)
#define L3DSR_VIP_SLOT_PROBES 4
#define VIP_SLOTS_NONE	      0 /* not filled: every VIP is looked up in vips */
#define VIP_SLOTS_FIRST	      1 /* entries 0 .. L3DSR_VIP_SLOTS - 1 */
#define VIP_SLOTS_SECOND      2 /* entries L3DSR_VIP_SLOTS .. 2 x L3DSR_VIP_SLOTS - 1 */
struct vip_slot {
	struct vip_key key; /* key.protocol 0: an empty slot */
	__u32 vip_index;    /* its vip_info is vip_infos[vip_index] */
};

/*
 * vip_infos: ARRAY, L3DSR_MAX_VIPS entries, indexed by vip_index, value struct vip_info: the
 * same vip_info as every vips key of that VIP holds, written at the same moment (so the order
 * of table_size and ring changes holds for both). Read after a vip_slots hit; table_size 0:
 * not in use, the packet takes the vips path.
 */

/*
 * maglev_rings: ARRAY_OF_MAPS, L3DSR_MAX_VIPS entries, indexed by vip_index. Each inner map is an
 * ARRAY of struct ring_entry (created with BPF_F_INNER_MAP so sizes may differ per VIP), each
 * entry L3DSR_RING_SLOTS_PER_ENTRY slots: slot S is entry S / 16, word S % 16, and a ring of M
 * slots has l3dsr_ring_entries(M) entries. Slot = hash(5-tuple, hash_seed) % table_size. The
 * kernel rounds an ARRAY's values up to 8 bytes: sixteen 4-byte slots per value keep a slot at
 * 4 bytes of memory where one __u32 per value took 8.
 *
 * A slot is one __u32: the backend_id that owns it now (low 16 bits) and the one that owned it
 * before its last change (high 16 bits, "previous"). previous == current: the slot did not change
 * (or its mark was retired) and the program reads no per-flow state for it. previous !=
 * current: the slot changed owner; the flow table decides (docs/datapath.md, "Per-flow state").
 * L3DSR_RING_SLOT_EMPTY in either half: no backend (all drained, or none). backend_ids are
 * therefore below L3DSR_RING_SLOT_EMPTY. When table_size changes the daemon swaps the inner
 * map and vip_info in the order that keeps every index in range: growing, ring first;
 * shrinking, vip_info first. A packet whose VIP has no ring (or a table_size of 0) is counted
 * no_backend and passed.
 */
/*
 * The id maglev_build gives a slot no backend owns (the whole table of a VIP whose backends all
 * have weight 0); src/lb/lb_rings.c writes it into a ring slot as L3DSR_RING_SLOT_EMPTY.
 */
#define LB_RING_SLOT_EMPTY	   0xffffffffU
#define L3DSR_RING_SLOT_EMPTY	   0xffffU
#define L3DSR_RING_ID_BITS	   16
#define L3DSR_RING_SLOTS_PER_ENTRY 16
_Static_assert(L3DSR_MAX_BACKENDS <= L3DSR_RING_SLOT_EMPTY,
	       "every backend_id (0 .. L3DSR_MAX_BACKENDS - 1) fits a ring slot's 16 bits and is "
	       "not L3DSR_RING_SLOT_EMPTY");
_Static_assert((L3DSR_RING_SLOTS_PER_ENTRY & (L3DSR_RING_SLOTS_PER_ENTRY - 1)) == 0,
	       "a slot's word in its entry is S & (L3DSR_RING_SLOTS_PER_ENTRY - 1)");
struct ring_entry {
	__u32 slots[L3DSR_RING_SLOTS_PER_ENTRY];
};
_Static_assert(sizeof(struct ring_entry) == 4 * L3DSR_RING_SLOTS_PER_ENTRY,
	       "a ring slot, mark included, is 4 bytes");

static inline __u32 l3dsr_ring_entries(__u32 table_size)
{
	return (table_size + L3DSR_RING_SLOTS_PER_ENTRY - 1) / L3DSR_RING_SLOTS_PER_ENTRY;
}

/* A slot owned by CURRENT that was owned by PREVIOUS before its last change. */
static inline __u32 l3dsr_ring_slot(__u32 current, __u32 previous)
{
	return (current & L3DSR_RING_SLOT_EMPTY) | (previous << L3DSR_RING_ID_BITS);
}

static inline __u32 l3dsr_ring_current(__u32 slot)
{
	return slot & L3DSR_RING_SLOT_EMPTY;
}

static inline __u32 l3dsr_ring_previous(__u32 slot)
{
	return slot >> L3DSR_RING_ID_BITS;
}

/*
 * ring_changes: ARRAY, L3DSR_MAX_VIPS entries, indexed by vip_index, value struct ring_change,
 * written by l3dsrd whenever it marks slots of the VIP's ring. Until unknown_until_ns
 * (CLOCK_MONOTONIC, bpf_ktime_get_coarse_ns) a flow the table does not know, on a changed
 * slot, goes to the slot's previous backend (unless it opens a TCP connection); after it, to the
 * current one: every flow that was alive at the change and sent a packet in that time is in the
 * table by then, and new UDP flows stop going to a drained backend.
 *
 * ring_mark_use: PERCPU_ARRAY, L3DSR_MAX_VIPS entries, indexed by vip_index, value __u64: when
 * this CPU last sent a packet of the VIP, on a changed slot, by the flow table to a backend
 * other than the slot's current one. l3dsrd retires the VIP's marks (every slot back to
 * previous == current) once the retention has passed since unknown_until_ns - retention and
 * since the latest of these (src/lb/lb_marks.c).
 */
struct ring_change {
	__u64 unknown_until_ns;
};

/*
 * backends: ARRAY, L3DSR_MAX_BACKENDS entries, indexed by backend_id.
 * A flow-table entry is honoured only while its backend is BACKEND_F_IN_USE, BACKEND_F_UP and
 * still belongs to the flow's VIP; otherwise the flow is hashed again through the ring. That is
 * what moves the flows of a removed or failed backend and keeps those of a drained one
 * (weight 0: out of the ring, still in use and up).
 */
#define BACKEND_F_IN_USE (1U << 0)
#define BACKEND_F_UP	 (1U << 1)
struct backend_info {
	struct l3dsr_address address; /* the real address (RIP) */
	__u32 vip_index;
	__u32 flags;
};

/*
 * next_hops: ARRAY, as many entries as backends, indexed by backend_id, value struct
 * next_hop_entry: where a packet to the backend's address leaves, as bpf_fib_lookup would answer
 * it, resolved and kept by l3dsrd from the kernel's routes, neighbours, links and rules
 * (src/nexthop). The program uses an entry only when it is exact for the packet: live, for this
 * backend's address (a reused backend_id never gets another address's next hop), for the
 * interface the packet came in by, and the IP datagram no longer than the entry's MTU. Anything
 * else asks bpf_fib_lookup as before (counted fib_lookup); l3dsrd leaves an entry not live where
 * the answer may depend on more than the destination (a multipath route, policy-routing rules
 * beyond the defaults, source-specific or TOS routes, a neighbour not resolved, ...).
 *
 * A change of next hop writes the copy not in use, then points live at it: a packet reads one
 * whole next hop, the old or the new, never half of each. (Rewriting the entry copies the live
 * copy's bytes over themselves, unchanged.)
 */
#define NEXT_HOP_NONE  0 /* no exact next hop: bpf_fib_lookup */
#define NEXT_HOP_COPY0 1 /* copies[0] is the next hop */
#define NEXT_HOP_COPY1 2 /* copies[1] is the next hop */
struct next_hop {
	__u32 ifindex; /* the egress interface */
	__u32 mtu;     /* the route's MTU: longer IP datagrams ask bpf_fib_lookup */
	__u8 dmac[6];  /* the neighbour's link-layer address */
	__u8 smac[6];  /* the egress interface's */
};

struct next_hop_entry {
	struct l3dsr_address address; /* the backend address it was resolved for */
	__u32 ingress_ifindex;	      /* valid for packets that came in by this interface */
	__u32 live;		      /* NEXT_HOP_NONE, NEXT_HOP_COPY0 or NEXT_HOP_COPY1 */
	struct next_hop copies[2];
};

/*
 * flows: LRU_HASH (BPF_F_NO_COMMON_LRU), flow-table-size entries, key struct flow_key,
 * value __u32 backend_id. Keyed by the client's 5-tuple as it arrives (destination = VIP).
 */
struct flow_key {
	struct l3dsr_address source;
	struct l3dsr_address destination;
	__be16 source_port;
	__be16 destination_port;
	__u8 protocol;
	__u8 pad[3];
};

/*
 * fragments: LRU_HASH, L3DSR_FRAGMENT_TABLE_SIZE entries. The first fragment of a datagram
 * records its ports so that the later fragments (which carry none) hash to the same backend.
 */
struct fragment_key {
	struct l3dsr_address source;
	struct l3dsr_address destination;
	__u32 id; /* IPv4: the 16-bit identification; IPv6: the fragment header's 32-bit id */
	__u8 protocol;
	__u8 pad[3];
};

struct fragment_ports {
	__be16 source_port;
	__be16 destination_port;
};

/* settings: ARRAY, 1 entry, key 0. Changed in place by a reload. */
#define LB_SETTINGS_F_FLOW_TABLE (1U << 0) /* flow-table-size > 0 */
/*
 * flow-hash = mix64: the slot of a flow is l3dsr_flow_hash_mix64 (bpf/hash.h), a multiply-xorshift
 * hash, in place of lookup3 (the default). Every LB of a service must use the same hash, as the
 * same hash-seed: the two map a flow to different slots.
 */
#define LB_SETTINGS_F_HASH_MIX64 (1U << 1)
struct lb_settings {
	__u32 hash_seed;
	__u32 flags;
	/*
	 * Flow-table inserts allowed per CPU per second; above it new flows are still balanced
	 * (Maglev) but not inserted, so a SYN flood cannot evict the established flows.
	 * 0: no limit.
	 */
	__u32 flow_inserts_per_second;
	/* The health checks' local ports, host order: first .. first + count - 1; count 0: none. */
	__u16 probe_port_first;
	__u16 probe_port_count;
};

/*
 * probes: ARRAY, L3DSR_MAX_PROBE_PORTS entries, indexed by local port - probe_port_first.
 * A health check (l3dsrd) connects from the LB host to RIP:port with the VIP's DSCP code, so
 * the backend answers from VIP:port, as it answers clients. A TCP packet to a probe port from
 * the entry's VIP:port gets the RIP as its source and goes to the kernel: the socket hears its
 * peer. One from RIP:port itself (something answered without the backend program or without
 * the VIP on lo) is dropped, so that it can never make a broken backend look up.
 */
struct probe_target {
	struct l3dsr_address vip;
	struct l3dsr_address rip;
	__be16 port; /* the port checked: the reply's source port */
	__u8 family; /* 4 or 6; 0: unused entry */
	__u8 pad;
};

/*
 * egress_devices: HASH, key __u32 ifindex, value __u32 EGRESS_F_* flags. The interfaces a
 * redirect may leave by: a redirect to a device that cannot transmit XDP frames is not refused
 * by the program's verdict, the driver drops the frame afterwards. l3dsrd keeps the map from the
 * kernel's XDP features of each interface (src/egress/egress.c); the flags are the kernel's
 * NETDEV_XDP_ACT_NDO_XMIT and _NDO_XMIT_SG bits (linux/netdev.h, Linux 6.3), which only those
 * interfaces that can take frames have. An interface not in the map gets the rewritten packet
 * by XDP_PASS, and the kernel forwards it. Key EGRESS_ANY_DEVICE: the kernel reports no XDP
 * features, so every interface is tried with the flags of that entry.
 */
#define L3DSR_MAX_EGRESS_DEVICES 1024
#define EGRESS_F_XMIT		 (1U << 2) /* takes XDP frames (NETDEV_XDP_ACT_NDO_XMIT) */
#define EGRESS_F_XMIT_SG	 (1U << 6) /* also multi-buffer ones (NETDEV_XDP_ACT_NDO_XMIT_SG) */
#define EGRESS_ANY_DEVICE	 0	   /* no interface has ifindex 0 */

/* flow_budget: PERCPU_ARRAY, 1 entry: this CPU's insert count in the current one-second window. */
struct flow_budget {
	__u64 window_start_ns;
	__u64 inserts;
};

/* Traffic counters: vip_traffic (PERCPU_ARRAY, by vip_index), backend_traffic (by backend_id). */
struct traffic_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * counters: PERCPU_ARRAY, LB_COUNTER_MAX entries, each a struct traffic_counter.
 * The one list of the program's counters, in index order, as X(ID, NAME, VERDICT, METRIC, HELP):
 * it makes enum lb_counter (LB_COUNTER_ID) below, and in l3dsrd and l3dsrctl the names
 * (src/common/counter_names.c) and the metrics (src/status/metrics.c). NAME is the stable name
 * l3dsrctl shows and the metrics' verdict label. VERDICT 1: what the program did with the
 * packet, exported in l3dsr_packets_total and l3dsr_bytes_total; 0: an event counted besides
 * the verdict, exported as its own counter METRIC with HELP (NULL for the verdicts).
 */
#define LB_COUNTERS(X)                                                                             \
	/* not for us, handed to the kernel untouched */                                           \
	X(PASS, "pass", 1, NULL, NULL)                                                             \
	/* rewritten, sent back out of the ingress interface */                                    \
	X(TX, "tx", 1, NULL, NULL)                                                                 \
	/* rewritten, redirected to another interface */                                           \
	X(REDIRECT, "redirect", 1, NULL, NULL)                                                     \
	/* rewritten, passed so the kernel resolves the neighbour */                               \
	X(FIB_NO_NEIGH, "fib_no_neigh", 1, NULL, NULL)                                             \
	/* rewritten, fib lookup failed otherwise; passed */                                       \
	X(FIB_FAIL, "fib_fail", 1, NULL, NULL)                                                     \
	/* A balanced VIP's packet is never passed unmodified: the LB's kernel owns the VIP        \
	 * (src/announce) and would answer it, a TCP segment with a reset. Those are dropped. */   \
	/* balanced VIP, TTL / hop limit <= 1: dropped */                                          \
	X(TTL_EXPIRED, "ttl_expired", 1, NULL, NULL)                                               \
	/* later fragment of a protocol the VIP address balances, no ports recorded: dropped */    \
	X(FRAGMENTS_UNTRACKED, "fragments_untracked", 1, NULL, NULL)                               \
	/* truncated or inconsistent headers: passed untouched */                                  \
	X(MALFORMED, "malformed", 1, NULL, NULL)                                                   \
	/* VIP address, no VIP for this protocol/port: passed */                                   \
	X(UNKNOWN_PORT, "unknown_port", 1, NULL, NULL)                                             \
	/* balanced VIP without a ring or with an empty slot: dropped */                           \
	X(NO_BACKEND, "no_backend", 1, NULL, NULL)                                                 \
	/* ICMP/ICMPv6 errors steered to a flow's backend */                                       \
	X(ICMP_ERROR, "icmp_error", 0, "l3dsr_icmp_errors_total",                                  \
	  "ICMP errors about a VIP flow: steered to its backend (lb), restored (backend).")        \
	/* new flows over flow_inserts_per_second, not inserted */                                 \
	X(FLOW_INSERT_SKIPPED, "flow_insert_skipped", 0, "l3dsr_flow_inserts_skipped_total",       \
	  "New flows balanced but not remembered: over flow-inserts-per-second.")                  \
	/* health-check reply from a VIP: source set to the RIP */                                 \
	X(PROBE_REPLY, "probe_reply", 1, NULL, NULL)                                               \
	/* health-check reply from the RIP itself: dropped */                                      \
	X(PROBE_DIRECT, "probe_direct", 1, NULL, NULL)                                             \
	/* balanced VIP, headers the rewrite cannot take: dropped; a safeguard the verifier asks   \
	 * for (the parse has checked those headers already), so it stays 0 */                     \
	X(REWRITE_FAILED, "rewrite_failed", 1, NULL, NULL)                                         \
	/* too big for the route to the backend: an ICMP error sent back to the client */          \
	X(TOO_BIG, "too_big", 1, NULL, NULL)                                                       \
	/* rewritten; its egress interface cannot take XDP frames: passed, the kernel forwards */  \
	X(EGRESS_NO_XDP, "egress_no_xdp", 1, NULL, NULL)                                           \
	/* asked bpf_fib_lookup: no exact next hop in next_hops (the others used theirs) */        \
	X(FIB_LOOKUP, "fib_lookup", 0, "l3dsr_fib_lookups_total",                                  \
	  "Packets sent towards a backend whose next hop was asked of the kernel's FIB, not "      \
	  "taken from l3dsrd's next-hop cache.")

#define LB_COUNTER_ID(id, ...) LB_COUNTER_##id,
enum lb_counter {
	LB_COUNTERS(LB_COUNTER_ID) LB_COUNTER_MAX,
};
#undef LB_COUNTER_ID

/* ---------------------------------------------------------------------------------------------
 * Backend maps (bpf/backend.bpf.c)
 * ------------------------------------------------------------------------------------------- */

/* local_addresses: HASH, key struct l3dsr_address, value __u8 (unused). This host's RIPs. */

/* What a packet is turned back into. family 0 marks an unused entry. */
struct restore_target {
	struct l3dsr_address vip;
	__u32 vip_index; /* index into the backend's vip_traffic */
	__u8 family;	 /* 4, 6, or 0: unused */
	__u8 pad[3];
};

/* dscp_vips: ARRAY, L3DSR_DSCP_CODES entries, indexed by DSCP code -> struct restore_target. */

/*
 * port_vips: HASH, key struct port_vip_key -> struct restore_target, for VIPs with
 * "dscp = none": a packet to a local address with this (protocol, destination port) and a DS
 * code that maps to nothing is restored to that VIP.
 */
struct port_vip_key {
	__be16 port;
	__u8 protocol;
	__u8 family; /* 4 or 6 */
};

/*
 * counters: PERCPU_ARRAY, BACKEND_COUNTER_MAX entries, each a struct traffic_counter; listed as
 * LB_COUNTERS is, X(ID, NAME, VERDICT) (the backend exports no metrics).
 */
#define BACKEND_COUNTERS(X)                                                                        \
	X(PASS, "pass", 1)	       /* not for a VIP: untouched */                              \
	X(RESTORED, "restored", 1)     /* destination set back to a VIP */                         \
	X(MALFORMED, "malformed", 1)   /* truncated or inconsistent headers: untouched */          \
	X(ICMP_ERROR, "icmp_error", 0) /* ICMP/ICMPv6 errors restored, besides "restored" */

#define BACKEND_COUNTER_ID(id, ...) BACKEND_COUNTER_##id,
enum backend_counter {
	BACKEND_COUNTERS(BACKEND_COUNTER_ID) BACKEND_COUNTER_MAX,
};
#undef BACKEND_COUNTER_ID

/* vip_traffic on the backend: PERCPU_ARRAY, L3DSR_MAX_VIPS entries, by restore_target.vip_index. */

/*
 * The size of each struct above, field by field: BPF and the host compile them apart, keys are
 * hashed and compared as bytes, and padding the fields do not name would be bytes nobody zeroes.
 */
#define L3DSR_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size")
L3DSR_ASSERT_SIZE(struct l3dsr_address, 16);
L3DSR_ASSERT_SIZE(struct vip_address_info, 4);
L3DSR_ASSERT_SIZE(struct vip_address_filter, 4 + 4 + L3DSR_ADDRESS_FILTER_BITS / 8);
L3DSR_ASSERT_SIZE(struct vip_key, 16 + 2 + 1 + 1);
L3DSR_ASSERT_SIZE(struct vip_info, 4 + 4 + 1 + 3);
L3DSR_ASSERT_SIZE(struct vip_slot, 20 + 4);
L3DSR_ASSERT_SIZE(struct backend_info, 16 + 4 + 4);
L3DSR_ASSERT_SIZE(struct next_hop, 4 + 4 + 6 + 6);
L3DSR_ASSERT_SIZE(struct next_hop_entry, 16 + 4 + 4 + 2 * 20);
L3DSR_ASSERT_SIZE(struct flow_key, 16 + 16 + 2 + 2 + 1 + 3);
L3DSR_ASSERT_SIZE(struct fragment_key, 16 + 16 + 4 + 1 + 3);
L3DSR_ASSERT_SIZE(struct fragment_ports, 2 + 2);
L3DSR_ASSERT_SIZE(struct lb_settings, 4 + 4 + 4 + 2 + 2);
L3DSR_ASSERT_SIZE(struct probe_target, 16 + 16 + 2 + 1 + 1);
L3DSR_ASSERT_SIZE(struct flow_budget, 8 + 8);
L3DSR_ASSERT_SIZE(struct traffic_counter, 8 + 8);
L3DSR_ASSERT_SIZE(struct restore_target, 16 + 4 + 1 + 3);
L3DSR_ASSERT_SIZE(struct port_vip_key, 2 + 1 + 1);
#undef L3DSR_ASSERT_SIZE

#endif /* L3DSR_COMMON_H */
