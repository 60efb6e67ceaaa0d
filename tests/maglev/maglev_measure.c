/* maglev_measure.c: measures balance, disruption and speed of the Maglev builder and its rivals. */
/*
 * Not a test (nothing here decides pass or fail): it prints the figures of docs/maglev.md.
 *
 *     make build/tests/maglev/maglev_measure && build/tests/maglev/maglev_measure [seed]
 *
 * Every population below uses the same lists (maglev_permutation) and M = 65537:
 * - l3dsr: maglev_build.
 * - greedy-*: maglev_reference_build, a plain rewrite of maglev_build's rule, with its three
 *   clocks: "exponential" is maglev_build's own (the tool stops if the two tables ever differ),
 *   "linear" has backend i reach position p at (p + 1) / weight_i, "none" ignores the weights
 *   (the capacities alone carry them).
 * - plain-*: the paper's population, the backends taking turns and each taking the next free
 *   slot of its list; weighted as "rounds" (weight slots per turn) or "credit" (weight / max
 *   weight per turn, a slot per whole credit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/lb/maglev.h"
#include "maglev_reference.h"

#define TABLE_SIZE   L3DSR_DEFAULT_TABLE_SIZE
#define MAX_BACKENDS 1000

enum population {
	POPULATION_L3DSR,
	POPULATION_GREEDY_EXPONENTIAL,
	POPULATION_GREEDY_LINEAR,
	POPULATION_GREEDY_NONE,
	POPULATION_PLAIN_ROUNDS,
	POPULATION_PLAIN_CREDIT,
};
static const enum maglev_reference_clock clocks[] = {
    [POPULATION_GREEDY_EXPONENTIAL] = MAGLEV_CLOCK_EXPONENTIAL,
    [POPULATION_GREEDY_LINEAR] = MAGLEV_CLOCK_LINEAR,
    [POPULATION_GREEDY_NONE] = MAGLEV_CLOCK_NONE,
};
static const char *const population_names[] = {
    "l3dsr", "greedy-exponential", "greedy-linear", "greedy-none", "plain-rounds", "plain-credit",
};

/* Backends 2001:db8::1, ::2, ...: sorted by key, as the rewrites below expect. */
static struct maglev_backend *make_backends(size_t count, const uint32_t *weights)
{
	struct maglev_backend *backends = calloc(count, sizeof(*backends));

	for (size_t i = 0; backends && i < count; i++) {
		backends[i].key[0] = 0x20;
		backends[i].key[1] = 0x01;
		backends[i].key[2] = 0x0d;
		backends[i].key[3] = 0xb8;
		backends[i].key[14] = (uint8_t)((i + 1) >> 8);
		backends[i].key[15] = (uint8_t)(i + 1);
		backends[i].weight = weights ? weights[i] : 1;
		backends[i].id = (uint32_t)i;
	}
	return backends;
}

static void die(const char *what)
{
	fprintf(stderr, "maglev_measure: %s\n", what);
	exit(1);
}

/* Plain Maglev: turns in input order, every weight > 0. */
static void plain_build(const struct maglev_backend *backends, size_t count, uint32_t seed,
			uint32_t *table, int credit)
{
	static uint32_t offsets[MAX_BACKENDS], skips[MAX_BACKENDS], next[MAX_BACKENDS];
	static double credits[MAX_BACKENDS];
	uint32_t max_weight = 0, filled = 0;

	for (size_t i = 0; i < count; i++) {
		maglev_permutation(backends[i].key, seed, TABLE_SIZE, &offsets[i], &skips[i]);
		next[i] = 0;
		credits[i] = 0;
		if (backends[i].weight > max_weight)
			max_weight = backends[i].weight;
	}
	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++)
		table[slot] = LB_RING_SLOT_EMPTY;
	while (filled < TABLE_SIZE) {
		for (size_t i = 0; i < count && filled < TABLE_SIZE; i++) {
			uint32_t claims = backends[i].weight;

			if (credit) {
				credits[i] += (double)backends[i].weight / max_weight;
				claims = (uint32_t)credits[i];
				credits[i] -= claims;
			}
			for (; claims > 0 && filled < TABLE_SIZE; claims--) {
				uint32_t slot;

				do {
					slot = (uint32_t)((offsets[i] +
							   (uint64_t)next[i]++ * skips[i]) %
							  TABLE_SIZE);
				} while (table[slot] != LB_RING_SLOT_EMPTY);
				table[slot] = backends[i].id;
				filled++;
			}
		}
	}
}

static void build(enum population population, const struct maglev_backend *backends, size_t count,
		  uint32_t seed, uint32_t *table)
{
	switch (population) {
	case POPULATION_L3DSR:
		if (maglev_build(backends, count, TABLE_SIZE, seed, table) != 0)
			die("maglev_build failed");
		break;
	case POPULATION_GREEDY_EXPONENTIAL:
	case POPULATION_GREEDY_LINEAR:
	case POPULATION_GREEDY_NONE:
		if (maglev_reference_build(backends, count, TABLE_SIZE, seed, table,
					   clocks[population]) != 0)
			die("maglev_reference_build failed");
		break;
	case POPULATION_PLAIN_ROUNDS:
	case POPULATION_PLAIN_CREDIT:
		plain_build(backends, count, seed, table, population == POPULATION_PLAIN_CREDIT);
		break;
	}
}

/* Largest |share - fair share| / fair share over the backends, fair share = M * w / W. */
static double worst_share_error(const struct maglev_backend *backends, size_t count,
				const uint32_t *table)
{
	static uint32_t shares[MAX_BACKENDS];
	double total_weight = 0, worst = 0;

	memset(shares, 0, sizeof(shares));
	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++)
		shares[table[slot]]++;
	for (size_t i = 0; i < count; i++)
		total_weight += backends[i].weight;
	for (size_t i = 0; i < count; i++) {
		double fair = TABLE_SIZE * backends[i].weight / total_weight;
		double error = (shares[i] > fair ? shares[i] - fair : fair - shares[i]) / fair;

		if (error > worst)
			worst = error;
	}
	return worst;
}

/*
 * Removes backend REMOVED (the others keep their ids) and counts the slots that change hands
 * between two surviving backends, as a fraction of the table.
 */
static double moved_between_survivors(enum population population,
				      const struct maglev_backend *backends, size_t count,
				      size_t removed, uint32_t seed, const uint32_t *before)
{
	static struct maglev_backend rest[MAX_BACKENDS];
	static uint32_t after[TABLE_SIZE];
	uint32_t moved = 0;
	size_t n = 0;

	for (size_t i = 0; i < count; i++)
		if (i != removed)
			rest[n++] = backends[i];
	build(population, rest, n, seed, after);
	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++)
		if (before[slot] != removed && after[slot] != before[slot])
			moved++;
	return (double)moved / TABLE_SIZE;
}

static void measure(enum population population, const char *what, size_t count,
		    const uint32_t *weights, uint32_t seed)
{
	static uint32_t table[TABLE_SIZE], check[TABLE_SIZE];
	struct maglev_backend *backends = make_backends(count, weights);
	size_t tries = count <= 100 ? count : 20;
	double worst = 0, sum = 0;

	if (!backends)
		die("out of memory");
	build(population, backends, count, seed, table);
	if (population == POPULATION_GREEDY_EXPONENTIAL) {
		build(POPULATION_L3DSR, backends, count, seed, check);
		if (memcmp(table, check, sizeof(table)) != 0)
			die("maglev_build and its plain rewrite differ");
	}
	for (size_t t = 0; t < tries; t++) {
		/* every backend up to 100, else an even spread of them */
		double moved = moved_between_survivors(population, backends, count,
						       t * count / tries, seed, table);

		sum += moved;
		if (moved > worst)
			worst = moved;
	}
	printf("%-19s %-17s %5zu %10.3f %% %11.3f %% %11.3f %%\n", population_names[population],
	       what, count, 100 * worst_share_error(backends, count, table), 100 * sum / tries,
	       100 * worst);
	free(backends);
}

/* This thread's CPU time: the machine is shared, wall time would measure the neighbours. */
static double cpu_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Times maglev_build and plain Maglev, interleaved, on SIZE slots; prints medians. */
static void time_builds(size_t count, uint32_t size, const uint32_t *weights, const char *what,
			uint32_t seed)
{
	enum { RUNS = 9 };
	struct maglev_backend *backends = make_backends(count, weights);
	uint32_t *table = malloc((size_t)size * sizeof(*table));
	double runs[2][RUNS];

	if (!backends || !table)
		die("out of memory");
	for (int run = 0; run < RUNS; run++) {
		double started = cpu_seconds();

		if (maglev_build(backends, count, size, seed, table) != 0)
			die("maglev_build failed");
		runs[0][run] = cpu_seconds() - started;
		started = cpu_seconds();
		if (size == TABLE_SIZE && count <= MAX_BACKENDS)
			plain_build(backends, count, seed, table, 0);
		runs[1][run] = cpu_seconds() - started;
	}
	for (int kind = 0; kind < 2; kind++)
		qsort(runs[kind], RUNS, sizeof(runs[0][0]), compare_doubles);
	printf("M=%-7u N=%-5zu %-13s l3dsr %6.1f ms (%6.1f..%6.1f)", size, count, what,
	       1e3 * runs[0][RUNS / 2], 1e3 * runs[0][0], 1e3 * runs[0][RUNS - 1]);
	if (size == TABLE_SIZE && count <= MAX_BACKENDS)
		printf("   plain Maglev %5.1f ms (%5.1f..%5.1f)", 1e3 * runs[1][RUNS / 2],
		       1e3 * runs[1][0], 1e3 * runs[1][RUNS - 1]);
	printf("\n");
	free(backends);
	free(table);
}

int main(int argc, char **argv)
{
	static const size_t counts[] = {2, 3, 10, 100, 1000};
	static const enum population equal[] = {POPULATION_L3DSR, POPULATION_PLAIN_ROUNDS};
	static const enum population weighted[] = {
	    POPULATION_L3DSR,	    POPULATION_GREEDY_EXPONENTIAL, POPULATION_GREEDY_LINEAR,
	    POPULATION_GREEDY_NONE, POPULATION_PLAIN_ROUNDS,	   POPULATION_PLAIN_CREDIT,
	};
	uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 0;
	uint32_t mixed[MAX_BACKENDS];

	for (size_t i = 0; i < MAX_BACKENDS; i++)
		mixed[i] = 1 + (uint32_t)(i % 5);
	printf("M = %u, hash seed %u. One backend removed: 'moved' = slots that change hands\n"
	       "between two surviving backends, in %% of the table; each backend removed in turn\n"
	       "for N <= 100, 20 spread choices for N = 1000. 'worst share' = largest\n"
	       "|slots - fair share| / fair share.\n\n",
	       TABLE_SIZE, seed);
	printf("%-19s %-17s %5s %12s %13s %13s\n", "population", "weights", "N", "worst share",
	       "mean moved", "worst moved");
	for (size_t p = 0; p < sizeof(equal) / sizeof(equal[0]); p++)
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			measure(equal[p], "equal", counts[i], NULL, seed);
	for (size_t p = 0; p < sizeof(weighted) / sizeof(weighted[0]); p++)
		for (size_t i = 1; i < sizeof(counts) / sizeof(counts[0]); i++)
			measure(weighted[p], "1,2,3,4,5,1,2,..", counts[i], mixed, seed);

	printf("\nBuild time, CPU, median (min..max) of 9 runs, interleaved:\n");
	time_builds(10, TABLE_SIZE, NULL, "equal", seed);
	time_builds(100, TABLE_SIZE, NULL, "equal", seed);
	time_builds(1000, TABLE_SIZE, NULL, "equal", seed);
	time_builds(1000, TABLE_SIZE, mixed, "1,2,3,4,5,..", seed);
	time_builds(1000, 1048573, NULL, "equal", seed);
	time_builds(10000, 1048573, NULL, "equal", seed);
	return 0;
}
