/* prime.h: primality for Maglev table sizes, shared by the table builder and the config checks. */
#ifndef L3DSR_PRIME_H
#define L3DSR_PRIME_H

#include <stdbool.h>
#include <stdint.h>

/* Whether N is prime (trial division: fast enough for table sizes, exact for every uint32_t). */
bool prime_test(uint32_t n);

/* The smallest prime >= N; N must be at most 4294967291, the largest prime below 2^32. */
uint32_t prime_next(uint32_t n);

#endif /* L3DSR_PRIME_H */
