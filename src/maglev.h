/* maglev.h: builds a VIP's Maglev lookup table (slot -> backend) from its backends and weights. */
#ifndef L3DSR_MAGLEV_H
#define L3DSR_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

/* A slot no backend owns: the table of a VIP whose backends all have weight 0. */
#define MAGLEV_EMPTY UINT32_MAX

struct maglev_backend {
	uint8_t key[16]; /* what the permutation is derived from: the backend's address (v4-mapped) */
	uint32_t weight; /* 0: takes no slot */
	uint32_t id;	 /* what is written into the slots (the backend_id of the maps) */
};

/*
 * Fills TABLE[0..SIZE-1] with backend ids. SIZE must be prime. The result depends only on the
 * set of (key, weight) pairs and SEED, not on the order of BACKENDS nor on their ids' values
 * beyond what is written, so every load balancer with the same configuration computes the same
 * assignment of slots to addresses. Backends share slots in proportion to their weights.
 * Returns 0, or -EINVAL (SIZE not prime, SIZE < number of backends, duplicate key),
 * or -ENOMEM.
 */
int maglev_build(const struct maglev_backend *backends, size_t count, uint32_t size, uint32_t seed,
		 uint32_t *table);

/* Whether N is prime (for config checks of table-size). */
int maglev_is_prime(uint32_t n);

#endif /* L3DSR_MAGLEV_H */
