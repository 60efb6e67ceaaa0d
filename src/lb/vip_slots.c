/* vip_slots.c: builds a half of the LB's vip_slots table and makes it the live one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpf/hash.h"
#include "src/lb/vip_slots.h"

int vip_slots_place(struct vip_slot_half *half, const struct vip_key *key, __u32 vip_index)
{
	__u32 home = l3dsr_vip_slot_home(key);

	if (!key->port || !key->protocol)
		return -1;
	for (__u32 probe = 0; probe < L3DSR_VIP_SLOT_PROBES; probe++) {
		__u32 index = (home + probe) & (L3DSR_VIP_SLOTS - 1);
		struct vip_slot *slot = &half->slots[index];

		if (!slot->key.protocol) {
			slot->key = *key;
			slot->vip_index = vip_index;
			return (int)index;
		}
		/* The program stops at the first copy: a second one would never be read. */
		if (!memcmp(&slot->key, key, sizeof(*key)))
			return -1;
	}
	return -1;
}

/* The map's entry of slot 0 of the half that LIVE names (VIP_SLOTS_FIRST or _SECOND). */
static __u32 half_base(__u32 live)
{
	return live == VIP_SLOTS_SECOND ? L3DSR_VIP_SLOTS : 0;
}

/*
 * Whether the live half of the map already holds exactly HALF, read with one batch lookup
 * (4096 single lookups took 6-10 ms here, longer than writing the half).
 */
static int live_half_equal(int slots_fd, const struct vip_slot_half *half, __u32 live, bool *equal)
{
	static struct vip_slot_half now;
	__u32 count = L3DSR_VIP_SLOTS, after, next, *entries;
	int result = 0;

	*equal = false;
	if (live != VIP_SLOTS_FIRST && live != VIP_SLOTS_SECOND)
		return 0;
	entries = malloc(sizeof(*entries) * L3DSR_VIP_SLOTS);
	if (!entries)
		return -ENOMEM;
	/* A batch starts after the entry given (none: at 0); the map's last one ends in ENOENT. */
	after = half_base(live) - 1;
	if (bpf_map_lookup_batch(slots_fd, half_base(live) ? &after : NULL, &next, entries,
				 now.slots, &count, NULL) &&
	    errno != ENOENT)
		result = -errno;
	else if (count != L3DSR_VIP_SLOTS || entries[0] != half_base(live))
		result = -EIO;
	else
		*equal = !memcmp(now.slots, half->slots, sizeof(half->slots));
	free(entries);
	return result;
}

int vip_slots_install(int slots_fd, const struct vip_slot_half *half, __u32 *live)
{
	__u32 spare = *live == VIP_SLOTS_FIRST ? VIP_SLOTS_SECOND : VIP_SLOTS_FIRST;
	__u32 count = L3DSR_VIP_SLOTS, *entries;
	bool equal;
	int result = live_half_equal(slots_fd, half, *live, &equal);

	if (result || equal)
		return result;
	entries = malloc(sizeof(*entries) * L3DSR_VIP_SLOTS);
	if (!entries)
		return -ENOMEM;
	for (__u32 i = 0; i < L3DSR_VIP_SLOTS; i++)
		entries[i] = half_base(spare) + i;
	result = bpf_map_update_batch(slots_fd, entries, half->slots, &count, NULL) ? -errno : 0;
	if (!result && count != L3DSR_VIP_SLOTS)
		result = -EIO;
	if (!result)
		*live = spare;
	free(entries);
	return result;
}
