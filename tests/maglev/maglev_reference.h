/* maglev_reference.h: a plain rewrite of maglev_build's rule, to check it and to compare clocks. */
#ifndef L3DSR_MAGLEV_REFERENCE_H
#define L3DSR_MAGLEV_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "src/lb/maglev.h"

/* When backend i, of weight w, visits position p of its list. */
enum maglev_reference_clock {
	MAGLEV_CLOCK_EXPONENTIAL, /* maglev_build's: sum(1 / (M - k), k <= p) / w, in its units */
	MAGLEV_CLOCK_LINEAR,	  /* (p + 1) / w */
	MAGLEV_CLOCK_NONE,	  /* p: weights only set the capacities */
};

/*
 * Builds TABLE like maglev_build (same input rules, same capacities) by the most direct means:
 * sort by key, drop weight 0, then one heap entry per backend, visits popped in order of
 * (time, key), a visitor taking a free slot while it has room. Returns maglev_build's errors
 * for bad input.
 */
int maglev_reference_build(const struct maglev_backend *backends, size_t count, uint32_t size,
			   uint32_t seed, uint32_t *table, enum maglev_reference_clock clock);

#endif /* L3DSR_MAGLEV_REFERENCE_H */
