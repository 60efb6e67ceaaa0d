/* counters.h: per-CPU packet and byte counters, shared by both programs. */
#ifndef L3DSR_COUNTERS_H
#define L3DSR_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"

/* A per-CPU array of traffic counters: the counters, vip_traffic and backend_traffic maps. */
#define TRAFFIC_COUNTER_MAP(entries)                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, entries);                                                      \
		__type(key, __u32);                                                                \
		__type(value, struct traffic_counter);                                             \
	}

/*
 * The bytes a frame counts for: all of it, Ethernet header included, every buffer of a
 * multi-buffer frame (a jumbo frame) too, not only the first one that data_end ends.
 */
static __always_inline __u64 xdp_frame_length(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

/* Per-CPU maps: no other CPU writes this slot, so plain increments are exact. */
static __always_inline void counter_add(void *map, __u32 index, __u64 bytes)
{
	struct traffic_counter *counter = bpf_map_lookup_elem(map, &index);

	if (counter) {
		counter->packets++;
		counter->bytes += bytes;
	}
}

#endif /* L3DSR_COUNTERS_H */
