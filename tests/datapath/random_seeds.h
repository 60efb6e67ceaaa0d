/* random_seeds.h: the scapy-built valid frames the random-packet test mutates (seeds.py). */
#ifndef L3DSR_TEST_RANDOM_SEEDS_H
#define L3DSR_TEST_RANDOM_SEEDS_H

#include <stddef.h>
#include <stdint.h>

struct random_seed {
	size_t length;
	const uint8_t *bytes;
};

extern const struct random_seed random_seeds[];
extern const size_t random_seed_count;

#endif /* L3DSR_TEST_RANDOM_SEEDS_H */
