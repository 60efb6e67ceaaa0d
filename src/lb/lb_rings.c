/*
 * lb_rings.c: a VIP's Maglev ring in the kernel: an inner ARRAY in maglev_rings whose slots hold
 * each its backend id and the one it had before its last change (bpf/l3dsr_common.h).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/lb/lb_rings.h"
#include "src/lb/maglev.h"
#include "src/common/maps.h"

int lb_ring_open(int maglev_rings, uint32_t index, uint32_t *entries)
{
	__u32 ring_id;
	int fd;

	/* From user space, a map-in-map lookup yields the inner map's id, not an fd. */
	if (bpf_map_lookup_elem(maglev_rings, &index, &ring_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(ring_id);
	if (fd < 0)
		return -errno;
	*entries = maps_max_entries(fd);
	return fd;
}

/* A ring of SIZE slots as its entries, read whole; NULL with *RESULT set on failure. */
static struct ring_entry *ring_read_entries(int ring, uint32_t size, int *result)
{
	uint32_t count = l3dsr_ring_entries(size);
	struct ring_entry *entries = calloc(count ? count : 1, sizeof(*entries));

	*result = entries ? maps_read_array(ring, count, sizeof(*entries), entries) : -ENOMEM;
	if (*result) {
		free(entries);
		return NULL;
	}
	return entries;
}

int lb_ring_read(int ring, uint32_t size, uint32_t *slots)
{
	int result;
	struct ring_entry *entries = ring_read_entries(ring, size, &result);

	if (!entries)
		return result;
	memcpy(slots, entries, sizeof(*slots) * size);
	free(entries);
	return 0;
}

/* The 16-bit id of OWNER, a maglev_build id or LB_RING_SLOT_EMPTY. */
static uint32_t ring_id(uint32_t owner)
{
	return owner == LB_RING_SLOT_EMPTY ? L3DSR_RING_SLOT_EMPTY : owner;
}

static bool ring_mark_kept(uint32_t id, const bool *kept, uint32_t kept_count)
{
	return id != L3DSR_RING_SLOT_EMPTY && id < kept_count && kept[id];
}

uint32_t lb_ring_next_slot(uint32_t old, uint32_t owner, const bool *kept, uint32_t kept_count)
{
	uint32_t current = l3dsr_ring_current(old), previous = l3dsr_ring_previous(old), mark;

	owner = ring_id(owner);
	if (owner == current)
		return old;
	/*
	 * A slot changed again before its mark was retired: the flows that may be unknown to a
	 * flow table (silent since the first change, or arriving at another LB) are on the older
	 * owner, so its mark stays; the flows that arrived since are remembered. When the slot
	 * goes back to that older owner, those newer flows are on the current owner: it becomes
	 * the mark.
	 */
	if (previous != current && previous != owner && ring_mark_kept(previous, kept, kept_count))
		mark = previous;
	else if (ring_mark_kept(current, kept, kept_count))
		mark = current;
	else
		mark = owner; /* nothing to keep: no backend, or one that left the VIP */
	return l3dsr_ring_slot(owner, mark);
}

/* Writes the entries of ENTRIES flagged in DIRTY (COUNT entries). */
static int ring_write_dirty(int ring, const struct ring_entry *entries, const bool *dirty,
			    uint32_t count)
{
	uint32_t *keys = malloc(sizeof(*keys) * (count ? count : 1)), written = 0;
	struct ring_entry *values = malloc(sizeof(*values) * (count ? count : 1));
	int result = -ENOMEM;

	if (keys && values) {
		for (uint32_t entry = 0; entry < count; entry++) {
			if (!dirty[entry])
				continue;
			keys[written] = entry;
			values[written++] = entries[entry];
		}
		result = maps_write_array(ring, keys, values, sizeof(*values), written);
	}
	free(keys);
	free(values);
	return result;
}

/* Rewrites each slot S of RING (SIZE slots) as NEXT(old slot, S, CONTEXT); the number changed. */
static long ring_update(int ring, uint32_t size,
			uint32_t (*next)(uint32_t old, uint32_t slot, const void *context),
			const void *context)
{
	uint32_t count = l3dsr_ring_entries(size), changed = 0;
	struct ring_entry *entries;
	bool *dirty = NULL;
	int result;

	entries = ring_read_entries(ring, size, &result);
	if (entries)
		dirty = calloc(count ? count : 1, sizeof(*dirty));
	if (!dirty) {
		free(entries);
		return entries ? -ENOMEM : result;
	}
	for (uint32_t slot = 0; slot < size; slot++) {
		uint32_t *word = &entries[slot / L3DSR_RING_SLOTS_PER_ENTRY]
				      .slots[slot % L3DSR_RING_SLOTS_PER_ENTRY];
		uint32_t value = next(*word, slot, context);

		if (value == *word)
			continue;
		*word = value;
		dirty[slot / L3DSR_RING_SLOTS_PER_ENTRY] = true;
		changed++;
	}
	result = ring_write_dirty(ring, entries, dirty, count);
	free(entries);
	free(dirty);
	return result ? result : (long)changed;
}

struct ring_rewrite {
	const uint32_t *table;
	const bool *kept;
	uint32_t kept_count;
};

static uint32_t ring_rewrite_slot(uint32_t old, uint32_t slot, const void *context)
{
	const struct ring_rewrite *rewrite = context;

	return lb_ring_next_slot(old, rewrite->table[slot], rewrite->kept, rewrite->kept_count);
}

long lb_ring_rewrite(int ring, const uint32_t *table, uint32_t size, const bool *kept,
		     uint32_t kept_count)
{
	struct ring_rewrite rewrite = {.table = table, .kept = kept, .kept_count = kept_count};

	return ring_update(ring, size, ring_rewrite_slot, &rewrite);
}

static uint32_t ring_retire_slot(uint32_t old, uint32_t slot, const void *context)
{
	(void)slot;
	(void)context;
	return l3dsr_ring_slot(l3dsr_ring_current(old), l3dsr_ring_current(old));
}

long lb_ring_retire_marks(int ring, uint32_t size)
{
	return ring_update(ring, size, ring_retire_slot, NULL);
}

int lb_ring_create(const uint32_t *table, uint32_t size, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = flags);
	uint32_t count = l3dsr_ring_entries(size);
	struct ring_entry *entries = calloc(count ? count : 1, sizeof(*entries));
	uint32_t *keys = malloc(sizeof(*keys) * (count ? count : 1));
	int fd = -ENOMEM, result;

	if (!keys || !entries)
		goto out;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "maglev_ring", sizeof(__u32),
			    sizeof(struct ring_entry), count, &options);
	if (fd < 0) {
		fd = -errno;
		goto out;
	}
	/* A new ring has no history: every slot unchanged. The tail past SIZE is never read. */
	for (uint32_t slot = 0; slot < size; slot++)
		entries[slot / L3DSR_RING_SLOTS_PER_ENTRY]
		    .slots[slot % L3DSR_RING_SLOTS_PER_ENTRY] =
		    l3dsr_ring_slot(ring_id(table[slot]), ring_id(table[slot]));
	for (uint32_t entry = 0; entry < count; entry++)
		keys[entry] = entry;
	result = maps_write_array(fd, keys, entries, sizeof(*entries), count);
	if (result) {
		close(fd);
		fd = result;
	}
out:
	free(keys);
	free(entries);
	return fd;
}

int lb_ring_install(int maglev_rings, uint32_t index, int ring)
{
	return bpf_map_update_elem(maglev_rings, &index, &ring, BPF_ANY) ? -errno : 0;
}

int lb_ring_remove(int maglev_rings, uint32_t index)
{
	if (bpf_map_delete_elem(maglev_rings, &index) && errno != ENOENT)
		return -errno;
	return 0;
}
