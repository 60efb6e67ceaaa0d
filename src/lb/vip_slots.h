/*
 * vip_slots.h: the LB's vip_slots table (bpf/l3dsr_common.h): the exact VIP keys placed in an
 * open-addressing table the program searches without a hash-map lookup, written into the half
 * that is not live, then made live. Used by l3dsrd, and by the tests and the benchmark so that
 * they fill the table the way the daemon does.
 */
#ifndef L3DSR_VIP_SLOTS_H
#define L3DSR_VIP_SLOTS_H

#include <stdbool.h>
#include <linux/types.h>

#include "bpf/l3dsr_common.h"

/* One half of the table, as built in memory. */
struct vip_slot_half {
	struct vip_slot slots[L3DSR_VIP_SLOTS];
};

/*
 * Places KEY (for VIP_INDEX) in HALF: the first empty slot from its home on, within
 * L3DSR_VIP_SLOT_PROBES. Returns the slot, or -1 when the key is not placed: no port or no
 * protocol (a wildcard, only in vips), no free slot within the probes (the program finds it in
 * vips), or the key is there already.
 */
int vip_slots_place(struct vip_slot_half *half, const struct vip_key *key, __u32 vip_index);

/*
 * Makes HALF the live table of the maps SLOTS_FD (vip_slots): writes it, with one batch
 * update, into the half that *LIVE (vip_address_filter.slots, VIP_SLOTS_*) does not name, and
 * sets *LIVE to that half; the caller then writes *LIVE into vip_address_filter. When the live
 * half already holds exactly HALF nothing is written and *LIVE stays. Returns 0 or -errno.
 */
int vip_slots_install(int slots_fd, const struct vip_slot_half *half, __u32 *live);

#endif /* L3DSR_VIP_SLOTS_H */
