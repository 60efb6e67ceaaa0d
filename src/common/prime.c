/* prime.c: primality for Maglev table sizes, shared by the table builder and the config checks. */
#include "src/common/prime.h"

bool prime_test(uint32_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint32_t divisor = 3; (uint64_t)divisor * divisor <= n; divisor += 2)
		if (n % divisor == 0)
			return false;
	return true;
}

uint32_t prime_next(uint32_t n)
{
	while (!prime_test(n))
		n++;
	return n;
}
