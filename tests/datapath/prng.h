/* prng.h: the seeded pseudo-random numbers of the property tests (the same seed, the same run). */
#ifndef L3DSR_TEST_PRNG_H
#define L3DSR_TEST_PRNG_H

#include <stdint.h>

/*
 * Seeds the generator from the environment variable NAME (a number, e.g. 0x1234) when it is
 * set, else from getrandom(); returns the seed, which the tests print so a run can be repeated.
 */
uint64_t prng_seed_from_environment(const char *name);

/* Seeds the generator with SEED: a fixed sequence, for tests that must not vary. */
void prng_seed(uint64_t seed);

uint64_t prng_next(void);

/* A number in [0, BOUND). */
uint32_t prng_below(uint32_t bound);

/* An element of a C array. */
#define PRNG_PICK(array) ((array)[prng_below(sizeof(array) / sizeof((array)[0]))])

#endif /* L3DSR_TEST_PRNG_H */
