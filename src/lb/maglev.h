/* maglev.h: builds a VIP's Maglev lookup table (slot -> backend) from its backends and weights. */
#ifndef L3DSR_MAGLEV_H
#define L3DSR_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/l3dsr_common.h"

struct maglev_backend {
	/* what the permutation is derived from: the backend's address (v4-mapped), as bytes */
	uint8_t key[16];
	uint32_t weight; /* 0: takes no slot (drained) */
	uint32_t id;	 /* what is written into the slots (the backend_id of the maps) */
};

/*
 * Fills TABLE[0..SIZE-1] with backend ids. SIZE must be prime. The result depends only on the
 * set of (key, weight) pairs and SEED, not on the order of BACKENDS nor on their ids' values
 * beyond what is written, so every load balancer with the same configuration computes the same
 * assignment of slots to addresses, on any machine. Backends share slots in proportion to their
 * weights: backend i gets M * weight_i / total weight slots, rounded to a neighbouring whole
 * number (a backend whose exact share is below one slot may get none). Weight 0 is the same as
 * leaving the backend out; when no backend has a weight, every slot is LB_RING_SLOT_EMPTY.
 * Removing or adding one backend moves its own slots and, measured, well under 1 % of the table
 * between the others (docs/maglev.md).
 * Returns 0; -EINVAL (SIZE not prime, SIZE < number of backends with a weight, duplicate key,
 * BACKENDS or TABLE NULL) with TABLE untouched; or -ENOMEM with TABLE partly overwritten.
 */
int maglev_build(const struct maglev_backend *backends, size_t count, uint32_t size, uint32_t seed,
		 uint32_t *table);

/*
 * The preference list of the backend with KEY in a table of SIZE slots: OFFSET, OFFSET + SKIP,
 * OFFSET + 2 SKIP, ... (mod SIZE), with 0 <= OFFSET < SIZE and 1 <= SKIP < SIZE from two
 * independent hashes of (KEY, SEED). Exposed for the tests and tests/maglev/maglev_measure.
 */
void maglev_permutation(const uint8_t key[16], uint32_t seed, uint32_t size, uint32_t *offset,
			uint32_t *skip);

#endif /* L3DSR_MAGLEV_H */
