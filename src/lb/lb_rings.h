/* lb_rings.h: a VIP's Maglev ring in the kernel: an inner ARRAY of backend ids in maglev_rings. */
#ifndef L3DSR_LB_RINGS_H
#define L3DSR_LB_RINGS_H

#include <stdint.h>

/* Opens the ring installed at INDEX of MAGLEV_RINGS. Returns its fd and *SIZE, -ENOENT when
 * there is none, or -errno. */
int lb_ring_open(int maglev_rings, uint32_t index, uint32_t *size);

/* Rewrites the slots of RING that differ from TABLE (SIZE slots), each on its own, so every
 * packet meets either the old or the new backend of its slot. Returns how many changed or
 * -errno. */
long lb_ring_rewrite(int ring, const uint32_t *table, uint32_t size);

/* Creates a ring of SIZE slots with map flags FLAGS, filled with TABLE. Returns its fd or -errno.
 */
int lb_ring_create(const uint32_t *table, uint32_t size, uint32_t flags);

/* Installs RING at INDEX (replacing what was there in one step), or removes it. */
int lb_ring_install(int maglev_rings, uint32_t index, int ring);
int lb_ring_remove(int maglev_rings, uint32_t index);

#endif /* L3DSR_LB_RINGS_H */
