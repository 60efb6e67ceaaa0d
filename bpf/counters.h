/* counters.h: per-CPU packet and byte counters, shared by both programs. */
#ifndef L3DSR_COUNTERS_H
#define L3DSR_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"

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
