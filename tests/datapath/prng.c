/* prng.c: the seeded pseudo-random numbers of the property tests (splitmix64). */
#include "prng.h"

#include <stdlib.h>
#include <sys/random.h>

static uint64_t prng_state;

uint64_t prng_seed_from_environment(const char *name)
{
	const char *text = getenv(name);
	uint64_t seed = 1;

	if (text && *text)
		seed = strtoull(text, NULL, 0);
	else if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = 1;
	prng_state = seed;
	return seed;
}

void prng_seed(uint64_t seed)
{
	prng_state = seed;
}

uint64_t prng_next(void)
{
	uint64_t z = (prng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t prng_below(uint32_t bound)
{
	return (uint32_t)(prng_next() % bound);
}
