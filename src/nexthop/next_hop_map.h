/*
 * next_hop_map.h: reads the backends map and writes next_hops entries the way the program can
 * read them while they change (bpf/l3dsr_common.h): the copy not in use first, then live.
 */
#ifndef L3DSR_NEXT_HOP_MAP_H
#define L3DSR_NEXT_HOP_MAP_H

#include <stdint.h>

#include "bpf/l3dsr_common.h"

/* The two maps as read at the start of a refresh. free() both arrays. */
struct next_hop_maps {
	uint32_t count; /* backend_ids covered: the smaller of the two maps */
	struct backend_info *backends;
	struct next_hop_entry *entries;
};

/* Reads both maps whole. Returns 0 or -errno. */
int next_hop_map_read(int backends_fd, int next_hops_fd, struct next_hop_maps *maps);

void next_hop_map_free(struct next_hop_maps *maps);

/*
 * Brings entry ID (now *ENTRY, updated in place) to next hop HOP for ADDRESS coming in by
 * INGRESS_IFINDEX, or to not live when HOP is NULL; writes nothing when it already says so.
 * A new address or interface is first written not live, so no packet ever pairs it with the
 * old next hop. Returns 1 when it wrote, 0 when nothing changed, or -errno.
 */
int next_hop_map_set(int next_hops_fd, uint32_t id, struct next_hop_entry *entry,
		     const struct l3dsr_address *address, uint32_t ingress_ifindex,
		     const struct next_hop *hop);

#endif /* L3DSR_NEXT_HOP_MAP_H */
