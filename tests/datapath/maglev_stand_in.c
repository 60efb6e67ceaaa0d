/* maglev_stand_in.c: fills rings round-robin until src/maglev.c exists (tests/datapath only). */
#include "maglev.h"

#include <errno.h>

int maglev_is_prime(uint32_t n)
{
	uint32_t divisor;

	if (n < 2)
		return 0;
	for (divisor = 2; (uint64_t)divisor * divisor <= n; divisor++)
		if (n % divisor == 0)
			return 0;
	return 1;
}

int maglev_build(const struct maglev_backend *backends, size_t count, uint32_t size, uint32_t seed,
		 uint32_t *table)
{
	uint32_t slot;

	(void)seed;
	if (!maglev_is_prime(size) || size < count)
		return -EINVAL;
	for (slot = 0; slot < size; slot++)
		table[slot] = count ? backends[slot % count].id : MAGLEV_EMPTY;
	return 0;
}
