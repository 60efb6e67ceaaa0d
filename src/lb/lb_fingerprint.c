/* lb_fingerprint.c: a VIP's Maglev table summed up in 64 bits (lb_fingerprint.h). */
#include <stdio.h>
#include <string.h>

#include "src/lb/lb_fingerprint.h"

#define FNV_OFFSET_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME	 0x100000001b3ULL

static uint64_t fnv_add(uint64_t hash, const uint8_t *bytes, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		hash ^= bytes[i];
		hash *= FNV_PRIME;
	}
	return hash;
}

static uint64_t fnv_add_u32(uint64_t hash, uint32_t value)
{
	uint8_t bytes[4] = {value >> 24, value >> 16, value >> 8, value};

	return fnv_add(hash, bytes, sizeof(bytes));
}

uint64_t lb_fingerprint(uint32_t seed, uint32_t size, const uint32_t *table,
			const struct maglev_backend *backends, size_t count)
{
	static const uint8_t empty[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint64_t hash = fnv_add_u32(fnv_add_u32(FNV_OFFSET_BASIS, seed), size);
	size_t last = 0; /* runs of one backend are common: try the last one found first */

	for (uint32_t slot = 0; slot < size; slot++) {
		const uint8_t *address = empty;

		if (table[slot] != LB_RING_SLOT_EMPTY) {
			if (last >= count || backends[last].id != table[slot])
				for (last = 0; last < count && backends[last].id != table[slot];
				     last++)
					;
			if (last < count)
				address = backends[last].key;
		}
		hash = fnv_add(hash, address, sizeof(empty));
	}
	return hash;
}

uint64_t lb_fingerprint_mix64(uint64_t fingerprint)
{
	static const uint8_t name[] = {'m', 'i', 'x', '6', '4'};

	return fnv_add(fingerprint, name, sizeof(name));
}

void lb_fingerprint_format(uint64_t fingerprint, char text[17])
{
	snprintf(text, 17, "%016llx", (unsigned long long)fingerprint);
}
