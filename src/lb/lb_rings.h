/*
 * lb_rings.h: a VIP's Maglev ring in the kernel: an inner ARRAY in maglev_rings whose slots hold
 * each its backend id and the one it had before its last change (bpf/l3dsr_common.h).
 */
#ifndef L3DSR_LB_RINGS_H
#define L3DSR_LB_RINGS_H

#include <stdbool.h>
#include <stdint.h>

/* Opens the ring installed at INDEX of MAGLEV_RINGS. Returns its fd and its map's *ENTRIES
 * (l3dsr_ring_entries of its table size), -ENOENT when there is none, or -errno. */
int lb_ring_open(int maglev_rings, uint32_t index, uint32_t *entries);

/* Reads the SIZE slots of RING into SLOTS (l3dsr_ring_current / _previous tell them apart).
 * Returns 0 or -errno. */
int lb_ring_read(int ring, uint32_t size, uint32_t *slots);

/*
 * The slot that replaces OLD when its owner becomes OWNER (a maglev_build id, LB_RING_SLOT_EMPTY
 * for none): unchanged when OWNER is its owner already; else OWNER with a mark, the backend the
 * slot's flows may still be on. KEPT[id] (KEPT_COUNT ids): whether backend id stays with the
 * VIP, so a mark naming it is worth keeping. The rule is in docs/datapath.md ("Per-flow state").
 */
uint32_t lb_ring_next_slot(uint32_t old, uint32_t owner, const bool *kept, uint32_t kept_count);

/* Rewrites the slots of RING (SIZE slots) whose owner differs from TABLE (lb_ring_next_slot),
 * whole entries at a time; a packet reads a slot in one load, old or new. Returns how many
 * slots changed owner, or -errno. */
long lb_ring_rewrite(int ring, const uint32_t *table, uint32_t size, const bool *kept,
		     uint32_t kept_count);

/* Sets every slot of RING (SIZE slots) back to unchanged. Returns how many were marked or
 * -errno. */
long lb_ring_retire_marks(int ring, uint32_t size);

/* Creates a ring of SIZE slots with map flags FLAGS, filled with TABLE (maglev_build ids), every
 * slot unchanged. Returns its fd or -errno. */
int lb_ring_create(const uint32_t *table, uint32_t size, uint32_t flags);

/* Installs RING at INDEX (replacing what was there in one step), or removes it. */
int lb_ring_install(int maglev_rings, uint32_t index, int ring);
int lb_ring_remove(int maglev_rings, uint32_t index);

#endif /* L3DSR_LB_RINGS_H */
