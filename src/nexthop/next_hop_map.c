/* next_hop_map.c: reads backends, writes next_hops double-buffered (next_hop_map.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/address.h"
#include "src/common/maps.h"
#include "src/nexthop/next_hop_map.h"

int next_hop_map_read(int backends_fd, int next_hops_fd, struct next_hop_maps *maps)
{
	uint32_t backends = maps_max_entries(backends_fd);
	uint32_t entries = maps_max_entries(next_hops_fd);
	int result;

	memset(maps, 0, sizeof(*maps));
	if (!backends || !entries)
		return -EBADF;
	maps->count = backends < entries ? backends : entries;
	maps->backends = calloc(maps->count, sizeof(*maps->backends));
	maps->entries = calloc(maps->count, sizeof(*maps->entries));
	if (!maps->backends || !maps->entries) {
		next_hop_map_free(maps);
		return -ENOMEM;
	}
	result = maps_read_array(backends_fd, maps->count, sizeof(*maps->backends), maps->backends);
	if (!result)
		result = maps_read_array(next_hops_fd, maps->count, sizeof(*maps->entries),
					 maps->entries);
	if (result)
		next_hop_map_free(maps);
	return result;
}

void next_hop_map_free(struct next_hop_maps *maps)
{
	free(maps->backends);
	free(maps->entries);
	memset(maps, 0, sizeof(*maps));
}

/*
 * One whole-value write. The kernel copies it over the element while the program may read it:
 * the fields this write does not change are rewritten with the same bytes, so a reader sees
 * each changed field either old or new, and the callers change live alone or the live copy not.
 */
static int next_hop_map_write(int next_hops_fd, uint32_t id, const struct next_hop_entry *entry)
{
	return bpf_map_update_elem(next_hops_fd, &id, entry, BPF_ANY) ? -errno : 0;
}

int next_hop_map_set(int next_hops_fd, uint32_t id, struct next_hop_entry *entry,
		     const struct l3dsr_address *address, uint32_t ingress_ifindex,
		     const struct next_hop *hop)
{
	bool same_key =
	    address_equal(&entry->address, address) && entry->ingress_ifindex == ingress_ifindex;
	int result, unused;

	if (entry->live != NEXT_HOP_NONE && (!hop || !same_key)) {
		entry->live = NEXT_HOP_NONE;
		result = next_hop_map_write(next_hops_fd, id, entry);
		if (result)
			return result;
		if (!hop)
			return 1;
	}
	if (!hop)
		return 0;
	if (!same_key) {
		entry->address = *address;
		entry->ingress_ifindex = ingress_ifindex;
		result = next_hop_map_write(next_hops_fd, id, entry);
		if (result)
			return result;
	}
	if (entry->live != NEXT_HOP_NONE &&
	    !memcmp(&entry->copies[entry->live == NEXT_HOP_COPY1], hop, sizeof(*hop)))
		return 0;
	/* The copy not in use (either while none is), then live pointed at it. */
	unused = entry->live == NEXT_HOP_COPY0 ? 1 : 0;
	entry->copies[unused] = *hop;
	result = next_hop_map_write(next_hops_fd, id, entry);
	if (result)
		return result;
	entry->live = unused ? NEXT_HOP_COPY1 : NEXT_HOP_COPY0;
	result = next_hop_map_write(next_hops_fd, id, entry);
	return result ? result : 1;
}
