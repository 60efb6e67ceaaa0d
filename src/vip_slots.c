/* vip_slots.c: builds a half of the LB's vip_slots table and makes it the live one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "hash.h"
#include "vip_slots.h"

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

/* Whether the live half of the map already holds exactly HALF. */
static int live_half_equal(int slots_fd, const struct vip_slot_half *half, __u32 live, bool *equal)
{
	struct vip_slot slot;

	*equal = false;
	if (live != VIP_SLOTS_FIRST && live != VIP_SLOTS_SECOND)
		return 0;
	for (__u32 i = 0; i < L3DSR_VIP_SLOTS; i++) {
		__u32 entry = half_base(live) + i;

		if (bpf_map_lookup_elem(slots_fd, &entry, &slot))
			return -errno;
		if (memcmp(&slot, &half->slots[i], sizeof(slot)))
			return 0;
	}
	*equal = true;
	return 0;
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
