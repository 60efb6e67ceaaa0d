/* maglev_test.c: unit tests of the Maglev table builder (src/lb/maglev.c), run by
 * tests/suites/maglev.
 */
/*
 * Shares are compared with the fair share F = M * weight / total weight. "Within P %" means
 * |slots - F| <= P % of F, checked in integers as 100 * |slots * W - M * w| <= P * M * w.
 * Disruption: "moved between survivors" counts the slots that belong to one surviving backend
 * before and to another surviving backend after; it must stay within 1 % of M.
 *
 * The allocator is wrapped (-Wl,--wrap=malloc,...) so the -ENOMEM paths can be driven one
 * failing allocation at a time, and every build can be checked for leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/common/prime.h"
#include "src/lb/lb_fingerprint.h"
#include "src/lb/maglev.h"
#include "maglev_reference.h"

#define TABLE_SIZE	 L3DSR_DEFAULT_TABLE_SIZE
#define SMALL_TABLE_SIZE 251
#define MAX_BACKENDS	 320

/* ---- allocator wrapper: counts live blocks, fails the Nth allocation when armed ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
void __real_free(void *pointer);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *pointer, size_t size);
void __wrap_free(void *pointer);

static long allocations_live;	    /* blocks handed out and not freed */
static long allocations_until_fail; /* 0: never fail; N: the Nth allocation from now fails */

static int allocation_fails(void)
{
	return allocations_until_fail > 0 && --allocations_until_fail == 0;
}

void *__wrap_malloc(size_t size)
{
	void *block = allocation_fails() ? NULL : __real_malloc(size);

	allocations_live += block != NULL;
	return block;
}

void *__wrap_calloc(size_t count, size_t size)
{
	void *block = allocation_fails() ? NULL : __real_calloc(count, size);

	allocations_live += block != NULL;
	return block;
}

void *__wrap_realloc(void *pointer, size_t size)
{
	void *block;

	if (allocation_fails())
		return NULL;
	block = __real_realloc(pointer, size);
	allocations_live += block != NULL && pointer == NULL;
	return block;
}

void __wrap_free(void *pointer)
{
	allocations_live -= pointer != NULL;
	__real_free(pointer);
}

/* ---- helpers ---- */

/* Backend INDEX's key: ::ffff:198.51.100.(INDEX + 1) below 250, else 2001:db8::INDEX. */
static void make_key(uint32_t index, uint8_t key[16])
{
	memset(key, 0, 16);
	if (index < 250) {
		key[10] = 0xff;
		key[11] = 0xff;
		key[12] = 198;
		key[13] = 51;
		key[14] = 100;
		key[15] = (uint8_t)(index + 1);
		return;
	}
	key[0] = 0x20;
	key[1] = 0x01;
	key[2] = 0x0d;
	key[3] = 0xb8;
	key[14] = (uint8_t)(index >> 8);
	key[15] = (uint8_t)index;
}

/* COUNT backends with keys 0..COUNT-1, ids equal to the key index, all weights WEIGHT. */
static void make_backends(struct maglev_backend *backends, size_t count, uint32_t weight)
{
	for (size_t i = 0; i < count; i++) {
		make_key((uint32_t)i, backends[i].key);
		backends[i].weight = weight;
		backends[i].id = (uint32_t)i;
	}
}

/* Builds, asserting success and that no allocation is left behind. */
static void build(const struct maglev_backend *backends, size_t count, uint32_t size, uint32_t seed,
		  uint32_t *table)
{
	long live_before = allocations_live;

	assert_int_equal(maglev_build(backends, count, size, seed, table), 0);
	assert_int_equal(allocations_live, live_before);
}

/* SHARES[id] = how many slots hold ID; asserts every slot holds an id below ID_LIMIT. */
static void count_shares(const uint32_t *table, uint32_t size, uint32_t *shares, uint32_t id_limit)
{
	memset(shares, 0, id_limit * sizeof(*shares));
	for (uint32_t slot = 0; slot < size; slot++) {
		assert_in_range(table[slot], 0, id_limit - 1);
		shares[table[slot]]++;
	}
}

/* Asserts |slots - M w / W| <= PERCENT % of M w / W. */
static void assert_share_within(uint32_t slots, uint32_t size, uint64_t weight,
				uint64_t total_weight, uint64_t percent)
{
	uint64_t scaled = slots * total_weight, fair = size * weight;
	uint64_t error = scaled > fair ? scaled - fair : fair - scaled;

	if (100 * error > percent * fair)
		fail_msg("%u slots, fair share %.2f: off by more than %u %%", slots,
			 (double)fair / (double)total_weight, (unsigned)percent);
}

/* Slots owned before and after by two different backends, neither of them EXCLUDED. */
static uint32_t moved_between(const uint32_t *before, const uint32_t *after, uint32_t size,
			      uint32_t excluded)
{
	uint32_t moved = 0;

	for (uint32_t slot = 0; slot < size; slot++)
		moved += before[slot] != excluded && after[slot] != excluded &&
			 before[slot] != after[slot];
	return moved;
}

/* FNV-1a over the table as little-endian 32-bit words: the same on every machine. */
static uint64_t table_checksum(const uint32_t *table, uint32_t size)
{
	uint64_t hash = 0xcbf29ce484222325ULL;

	for (uint32_t slot = 0; slot < size; slot++)
		for (int byte = 0; byte < 4; byte++)
			hash = (hash ^ ((table[slot] >> (8 * byte)) & 0xff)) * 0x100000001b3ULL;
	return hash;
}

/* A small deterministic generator (xorshift64*) for shuffles. */
static uint64_t random_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

static uint32_t table[TABLE_SIZE], other_table[TABLE_SIZE], third_table[TABLE_SIZE];
static uint32_t shares[MAX_BACKENDS];
static struct maglev_backend backends[MAX_BACKENDS], other_backends[MAX_BACKENDS];

/* ---- balance ---- */

static void test_equal_weights_share_within_1_percent(void **state)
{
	size_t count = *(const size_t *)*state;

	make_backends(backends, count, 1);
	build(backends, count, TABLE_SIZE, 0, table);
	count_shares(table, TABLE_SIZE, shares, (uint32_t)count);
	for (size_t i = 0; i < count; i++)
		assert_share_within(shares[i], TABLE_SIZE, 1, count, 1);
}

static void test_weights_1_2_share_1_2_within_2_percent(void **state)
{
	(void)state;
	make_backends(backends, 2, 1);
	backends[1].weight = 2;
	build(backends, 2, TABLE_SIZE, 0, table);
	count_shares(table, TABLE_SIZE, shares, 2);
	/* |shares[1] / shares[0] - 2| <= 2 % of 2 */
	assert_true(100 * labs((long)shares[1] - 2L * shares[0]) <= 2L * 2 * shares[0]);
	assert_share_within(shares[0], TABLE_SIZE, 1, 3, 2);
	assert_share_within(shares[1], TABLE_SIZE, 2, 3, 2);
}

static void test_mixed_weights_share_within_1_percent(void **state)
{
	uint64_t total_weight = 0;

	(void)state;
	make_backends(backends, 10, 1);
	for (size_t i = 0; i < 10; i++) {
		backends[i].weight =
		    100 * (1 + (uint32_t)(i % 5)); /* 100, 200, ... 500, 100, ... */
		total_weight += backends[i].weight;
	}
	build(backends, 10, TABLE_SIZE, 7, table);
	count_shares(table, TABLE_SIZE, shares, 10);
	for (size_t i = 0; i < 10; i++)
		assert_share_within(shares[i], TABLE_SIZE, backends[i].weight, total_weight, 1);
}

static void test_weight_0_takes_no_slot_and_equals_removal(void **state)
{
	(void)state;
	make_backends(backends, 10, 1);
	build(backends, 9, TABLE_SIZE, 0, other_table);
	backends[9].weight = 0;
	build(backends, 10, TABLE_SIZE, 0, table);
	count_shares(table, TABLE_SIZE, shares, 10);
	assert_int_equal(shares[9], 0);
	assert_memory_equal(table, other_table, sizeof(table));
}

static void test_all_weights_0_or_no_backend_gives_empty_table(void **state)
{
	(void)state;
	make_backends(backends, 3, 0);
	memset(table, 0, sizeof(table));
	build(backends, 3, TABLE_SIZE, 0, table);
	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++)
		assert_int_equal(table[slot], LB_RING_SLOT_EMPTY);
	memset(table, 0, sizeof(table));
	build(NULL, 0, SMALL_TABLE_SIZE, 0, table);
	for (uint32_t slot = 0; slot < SMALL_TABLE_SIZE; slot++)
		assert_int_equal(table[slot], LB_RING_SLOT_EMPTY);
}

static void test_as_many_backends_as_slots_get_one_each(void **state)
{
	(void)state;
	make_backends(backends, 251, 1);
	build(backends, 251, SMALL_TABLE_SIZE, 0, table);
	count_shares(table, SMALL_TABLE_SIZE, shares, 251);
	for (size_t i = 0; i < 251; i++)
		assert_int_equal(shares[i], 1);
	build(backends, 2, 2, 0, table);
	assert_int_not_equal(table[0], table[1]);
	build(backends, 1, 3, 0, table);
	for (uint32_t slot = 0; slot < 3; slot++)
		assert_int_equal(table[slot], 0);
}

/* ---- disruption ---- */

/*
 * Removing one of COUNT backends (several choices): its slots all go to survivors, at most
 * 1 % of the table moves between survivors, and adding it back gives the original table.
 */
static void test_remove_one_moves_at_most_1_percent(void **state)
{
	size_t count = *(const size_t *)*state;
	size_t choices[] = {0, 1, count / 3, count / 2, count - 2, count - 1};

	make_backends(backends, count, 1);
	build(backends, count, TABLE_SIZE, 0, table);
	for (size_t c = 0; c < sizeof(choices) / sizeof(choices[0]); c++) {
		uint32_t removed = (uint32_t)choices[c], moved;
		size_t rest = 0;

		for (size_t i = 0; i < count; i++)
			if (i != removed)
				other_backends[rest++] = backends[i];
		build(other_backends, rest, TABLE_SIZE, 0, other_table);
		count_shares(other_table, TABLE_SIZE, shares, (uint32_t)count);
		assert_int_equal(shares[removed], 0);
		moved = moved_between(table, other_table, TABLE_SIZE, removed);
		print_message("# N=%zu, backend %u removed: %u slots (%.3f %%) moved between "
			      "survivors\n",
			      count, removed, moved, 100.0 * moved / TABLE_SIZE);
		assert_true(100 * moved <= TABLE_SIZE);

		/* adding it back: the same slots move back, nothing else (history plays no part) */
		other_backends[rest++] = backends[removed];
		build(other_backends, rest, TABLE_SIZE, 0, third_table);
		assert_memory_equal(third_table, table, sizeof(table));
	}
}

/* Adding a new backend to COUNT: it takes its share, at most 1 % moves between the others. */
static void test_add_new_moves_at_most_1_percent(void **state)
{
	size_t count = *(const size_t *)*state;
	uint32_t added = (uint32_t)count, moved;

	make_backends(backends, count + 1, 1);
	make_key(300, backends[added].key); /* a key from another range */
	build(backends, count, TABLE_SIZE, 0, table);
	build(backends, count + 1, TABLE_SIZE, 0, other_table);
	count_shares(other_table, TABLE_SIZE, shares, added + 1);
	assert_share_within(shares[added], TABLE_SIZE, 1, count + 1, 1);
	moved = moved_between(table, other_table, TABLE_SIZE, added);
	print_message("# N=%zu, one added: %u slots (%.3f %%) moved between the others\n", count,
		      moved, 100.0 * moved / TABLE_SIZE);
	assert_true(100 * moved <= TABLE_SIZE);
}

static void test_weighted_remove_one_moves_at_most_1_percent(void **state)
{
	(void)state;
	make_backends(backends, 10, 1);
	for (size_t i = 0; i < 10; i++)
		backends[i].weight = 1 + (uint32_t)(i % 5);
	build(backends, 10, TABLE_SIZE, 3, table);
	for (uint32_t removed = 0; removed < 10; removed++) {
		size_t rest = 0;

		for (size_t i = 0; i < 10; i++)
			if (i != removed)
				other_backends[rest++] = backends[i];
		build(other_backends, rest, TABLE_SIZE, 3, other_table);
		count_shares(other_table, TABLE_SIZE, shares, 10);
		assert_int_equal(shares[removed], 0);
		assert_true(100 * moved_between(table, other_table, TABLE_SIZE, removed) <=
			    TABLE_SIZE);
	}
}

/* ---- the rule ---- */

/*
 * maglev_build (groups of equal pace walking in step) against maglev_reference_build (one heap
 * entry per backend, nothing shared): byte-identical tables over sizes, counts, weights (with
 * drained backends and extreme ratios), seeds and input orders.
 */
static void test_same_tables_as_the_plain_rewrite(void **state)
{
	static const uint32_t sizes[] = {2, 3, 251, 4099, TABLE_SIZE};
	static const size_t counts[] = {1, 2, 3, 10, 100, 250};
	static const uint32_t seeds[] = {0, 42, 0xffffffff};
	uint64_t random_state = 12345;
	size_t compared = 0;

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
			for (int weighting = 0; weighting < 3; weighting++) {
				uint32_t size = sizes[s], seed = seeds[(s + c) % 3];
				size_t count = counts[c];

				if (count > size)
					continue;
				make_backends(backends, count, 1);
				for (size_t i = 0; i < count; i++) {
					size_t j = random_next(&random_state) % (i + 1);
					struct maglev_backend swap = backends[i];

					backends[i] = backends[j];
					backends[j] = swap;
					if (weighting == 1)
						backends[i].weight = 1 + (uint32_t)(i % 5);
					if (weighting == 2) /* 0 (drained), 1, 1000 */
						backends[i].weight = i % 3 == 0	  ? 0
								     : i % 3 == 1 ? 1
										  : 1000;
				}
				build(backends, count, size, seed, table);
				assert_int_equal(maglev_reference_build(backends, count, size, seed,
									other_table,
									MAGLEV_CLOCK_EXPONENTIAL),
						 0);
				assert_memory_equal(table, other_table, size * sizeof(table[0]));
				compared++;
			}
	assert_true(compared >= 60);
}

/* ---- determinism ---- */

/* Shuffled input and other ids: every slot still belongs to the same key. */
static void test_order_and_ids_do_not_matter(void **state)
{
	size_t count = 100;
	uint64_t random_state = 0x9e3779b97f4a7c15ULL;

	(void)state;
	make_backends(backends, count, 1);
	for (size_t i = 0; i < count; i++)
		backends[i].weight = 1 + (uint32_t)(i % 7);
	memcpy(other_backends, backends, count * sizeof(*backends));
	for (size_t i = count - 1; i > 0; i--) {
		size_t j = random_next(&random_state) % (i + 1);
		struct maglev_backend swap = other_backends[i];

		other_backends[i] = other_backends[j];
		other_backends[j] = swap;
	}
	for (size_t i = 0; i < count; i++)
		other_backends[i].id = 5000 + 3 * (uint32_t)i; /* position in the shuffled list */
	assert_memory_not_equal(backends[0].key, other_backends[0].key, 16);

	build(backends, count, TABLE_SIZE, 11, table);
	build(other_backends, count, TABLE_SIZE, 11, other_table);
	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++) {
		uint32_t shuffled_index = (other_table[slot] - 5000) / 3;

		assert_in_range(other_table[slot], 5000, 5000 + 3 * (count - 1));
		assert_memory_equal(other_backends[shuffled_index].key, backends[table[slot]].key,
				    16);
	}
}

/* The fingerprint is of addresses, not ids: the shuffled input with other ids gives the same. */
static void test_fingerprint_ignores_order_and_ids(void **state)
{
	size_t count = 100;

	test_order_and_ids_do_not_matter(state);
	assert_int_equal(lb_fingerprint(11, TABLE_SIZE, table, backends, count),
			 lb_fingerprint(11, TABLE_SIZE, other_table, other_backends, count));
}

/* Another seed, flow-hash mix64, a backend less, another size or no backend at all: another
 * fingerprint. */
static void test_fingerprint_follows_the_table(void **state)
{
	uint64_t full, other;

	(void)state;
	make_backends(backends, 10, 1);
	build(backends, 10, TABLE_SIZE, 3, table);
	full = lb_fingerprint(3, TABLE_SIZE, table, backends, 10);
	build(backends, 10, TABLE_SIZE, 4, table);
	assert_int_not_equal(lb_fingerprint(4, TABLE_SIZE, table, backends, 10), full);
	/* flow-hash mix64 sends the flows elsewhere on the same table: another fingerprint. */
	build(backends, 10, TABLE_SIZE, 3, table);
	assert_int_equal(lb_fingerprint(3, TABLE_SIZE, table, backends, 10), full);
	assert_int_not_equal(lb_fingerprint_mix64(full), full);
	build(backends, 9, TABLE_SIZE, 3, table);
	assert_int_not_equal(lb_fingerprint(3, TABLE_SIZE, table, backends, 9), full);
	build(backends, 10, 1009, 3, table);
	other = lb_fingerprint(3, 1009, table, backends, 10);
	assert_int_not_equal(other, full);
	for (size_t i = 0; i < 10; i++)
		backends[i].weight = 0;
	build(backends, 10, 1009, 3, table);
	assert_int_not_equal(lb_fingerprint(3, 1009, table, backends, 10), other);
}

/*
 * Pinned: what l3dsrd showed for web4 of tests/daemon/announce.sh (198.51.100.11 and .12, hash
 * seed 0, table size 1009). LBs of different versions must agree on it, so it never changes.
 */
static void test_fingerprint_golden(void **state)
{
	char text[17];

	(void)state;
	make_key(10, backends[0].key);
	make_key(11, backends[1].key);
	backends[0].weight = backends[1].weight = 1;
	backends[0].id = 7;
	backends[1].id = 3;
	build(backends, 2, 1009, 0, table);
	lb_fingerprint_format(lb_fingerprint(0, 1009, table, backends, 2), text);
	assert_string_equal(text, "d57d35fc3c1c0a3d");
}

static void test_repeated_builds_are_byte_identical(void **state)
{
	(void)state;
	make_backends(backends, 100, 1);
	for (size_t i = 0; i < 100; i++)
		backends[i].weight = 1 + (uint32_t)(i % 3);
	memset(table, 0x55, sizeof(table));
	memset(other_table, 0xaa, sizeof(other_table));
	build(backends, 100, TABLE_SIZE, 5, table);
	build(backends, 100, TABLE_SIZE, 5, other_table);
	assert_memory_equal(table, other_table, sizeof(table));
}

static void test_seed_changes_the_table(void **state)
{
	uint32_t same = 0;

	(void)state;
	make_backends(backends, 10, 1);
	build(backends, 10, TABLE_SIZE, 0, table);
	build(backends, 10, TABLE_SIZE, 1, other_table);
	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++)
		same += table[slot] == other_table[slot];
	/* unrelated tables of 10 backends agree on about a tenth of the slots */
	assert_true(same < TABLE_SIZE / 5);
}

/*
 * Golden values, computed once from this implementation (2026-11-26) and pinned (a throwaway
 * Python rewrite of the hashes and of the rule gave the same). If one of them changes, the hashes
 * or the algorithm changed, and load balancers running different versions would send one flow to
 * different backends. Change them only on purpose, and say so in the release notes.
 */
static void test_golden_checksum(void **state)
{
	uint32_t offset, skip;

	(void)state;
	make_backends(backends, 10, 1);
	for (size_t i = 0; i < 10; i++)
		backends[i].weight = 1 + (uint32_t)(i % 4);
	build(backends, 10, TABLE_SIZE, 42, table);
	assert_int_equal(table_checksum(table, TABLE_SIZE), 0x387bf7561ff59754ULL);

	make_key(0, backends[0].key); /* ::ffff:198.51.100.1 */
	maglev_permutation(backends[0].key, 0, TABLE_SIZE, &offset, &skip);
	assert_int_equal(offset, 56476);
	assert_int_equal(skip, 55452);
	maglev_permutation(backends[0].key, 0xdeadbeef, TABLE_SIZE, &offset, &skip);
	assert_int_equal(offset, 15606);
	assert_int_equal(skip, 54866);
}

static void test_permutation_ranges(void **state)
{
	static const uint32_t sizes[] = {2, 3, 251, TABLE_SIZE, L3DSR_MAX_TABLE_SIZE};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (uint32_t i = 0; i < 300; i++) {
			uint8_t key[16];
			uint32_t offset, skip;

			make_key(i, key);
			maglev_permutation(key, i * 7919, sizes[s], &offset, &skip);
			assert_in_range(offset, 0, sizes[s] - 1);
			assert_in_range(skip, 1, sizes[s] - 1);
		}
}

/* ---- errors ---- */

static void assert_build_fails(const struct maglev_backend *input, size_t count, uint32_t size,
			       int expected)
{
	long live_before = allocations_live;

	for (uint32_t slot = 0; slot < TABLE_SIZE; slot++)
		table[slot] = 0x12345678;
	assert_int_equal(maglev_build(input, count, size, 0, table), expected);
	assert_int_equal(allocations_live, live_before);
	for (uint32_t slot = 0; slot < (size < TABLE_SIZE ? size : TABLE_SIZE); slot++)
		assert_int_equal(table[slot], 0x12345678); /* untouched */
}

static void test_invalid_input_is_refused_and_changes_nothing(void **state)
{
	static const uint32_t not_prime[] = {0, 1, 4, 9, 561, 65535, 65536, 65541};

	(void)state;
	make_backends(backends, 3, 1);
	for (size_t i = 0; i < sizeof(not_prime) / sizeof(not_prime[0]); i++)
		assert_build_fails(backends, 3, not_prime[i], -EINVAL);
	/* three weighted backends cannot share two slots; a drained one does not count */
	assert_build_fails(backends, 3, 2, -EINVAL);
	backends[2].weight = 0;
	build(backends, 3, 2, 0, table);
	/* duplicate keys, also when one of them is drained */
	make_backends(backends, 3, 1);
	memcpy(backends[2].key, backends[0].key, 16);
	assert_build_fails(backends, 3, TABLE_SIZE, -EINVAL);
	backends[2].weight = 0;
	assert_build_fails(backends, 3, TABLE_SIZE, -EINVAL);
	assert_build_fails(NULL, 3, TABLE_SIZE, -EINVAL);
	assert_int_equal(maglev_build(backends, 1, TABLE_SIZE, 0, NULL), -EINVAL);
}

/* Every allocation failing in turn gives -ENOMEM and leaks nothing; then the build succeeds. */
static void test_allocation_failure_gives_enomem(void **state)
{
	long failures = 0;
	int err;

	(void)state;
	make_backends(backends, 300, 1);
	for (long fail_at = 1;; fail_at++) {
		long live_before = allocations_live;

		allocations_until_fail = fail_at;
		err = maglev_build(backends, 300, TABLE_SIZE, 0, table);
		allocations_until_fail = 0;
		assert_int_equal(allocations_live, live_before);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		failures++;
	}
	/* entries, roundings, the pace sort, groups, members, schedule */
	assert_true(failures >= 6);
}

static void test_is_prime(void **state)
{
	static const uint32_t primes[] = {2, 3, 5, 251, 65521, 65537, 1048573, 4294967291U};
	static const uint32_t composites[] = {0, 1, 4, 9, 561, 65535, 65536, 1048575, 4294967295U,
					      /* 65521^2: only the last divisor finds it */
					      4293001441U};
	static char composite[100000];

	(void)state;
	for (size_t i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		assert_true(prime_test(primes[i]));
	for (size_t i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		assert_false(prime_test(composites[i]));
	/* agrees with a sieve of Eratosthenes below 100000 */
	composite[0] = composite[1] = 1;
	for (uint32_t n = 2; n * n < sizeof(composite); n++)
		if (!composite[n])
			for (uint32_t multiple = n * n; multiple < sizeof(composite); multiple += n)
				composite[multiple] = 1;
	for (uint32_t n = 0; n < sizeof(composite); n++)
		assert_int_equal(prime_test(n), !composite[n]);
	/* prime_next, what the table-size message suggests: the sieve's next prime (gaps below
	 * 100000 are under 100, so the search stays inside the sieve) */
	for (uint32_t n = 0; n + 100 < sizeof(composite); n++) {
		uint32_t next = n;

		while (composite[next])
			next++;
		assert_int_equal(prime_next(n), next);
	}
	assert_int_equal(prime_next(1048572), 1048573);
	assert_int_equal(prime_next(4294967280U), 4294967291U);
}

#define TEST_WITH(function, text, state)                                                           \
	{                                                                                          \
		text, function, NULL, NULL, state                                                  \
	}

int main(void)
{
	static size_t two = 2, three = 3, ten = 10, hundred = 100;
	const struct CMUnitTest tests[] = {
	    TEST_WITH(test_equal_weights_share_within_1_percent,
		      "2 equal backends: each share within 1 % of M/2", &two),
	    TEST_WITH(test_equal_weights_share_within_1_percent,
		      "3 equal backends: each share within 1 % of M/3", &three),
	    TEST_WITH(test_equal_weights_share_within_1_percent,
		      "10 equal backends: each share within 1 % of M/10", &ten),
	    TEST_WITH(test_equal_weights_share_within_1_percent,
		      "100 equal backends: each share within 1 % of M/100", &hundred),
	    TEST_WITH(test_weights_1_2_share_1_2_within_2_percent,
		      "weights 1:2 give shares 1:2 within 2 %", NULL),
	    TEST_WITH(test_mixed_weights_share_within_1_percent,
		      "weights 100..500: each share within 1 % of M w / W", NULL),
	    TEST_WITH(test_weight_0_takes_no_slot_and_equals_removal,
		      "weight 0 takes no slot: same table as without it", NULL),
	    TEST_WITH(test_all_weights_0_or_no_backend_gives_empty_table,
		      "all weights 0, or no backend: every slot LB_RING_SLOT_EMPTY", NULL),
	    TEST_WITH(test_as_many_backends_as_slots_get_one_each,
		      "as many backends as slots: one slot each", NULL),
	    TEST_WITH(test_remove_one_moves_at_most_1_percent,
		      "remove 1 of 2: its slots to the survivor, re-adding restores", &two),
	    TEST_WITH(test_remove_one_moves_at_most_1_percent,
		      "remove 1 of 3: at most 1 % moves between survivors, re-adding restores",
		      &three),
	    TEST_WITH(test_remove_one_moves_at_most_1_percent,
		      "remove 1 of 10: at most 1 % moves between survivors, re-adding restores",
		      &ten),
	    TEST_WITH(test_remove_one_moves_at_most_1_percent,
		      "remove 1 of 100: at most 1 % moves between survivors, re-adding restores",
		      &hundred),
	    TEST_WITH(test_add_new_moves_at_most_1_percent,
		      "add a new one to 2: at most 1 % moves between the others", &two),
	    TEST_WITH(test_add_new_moves_at_most_1_percent,
		      "add a new one to 3: at most 1 % moves between the others", &three),
	    TEST_WITH(test_add_new_moves_at_most_1_percent,
		      "add a new one to 10: at most 1 % moves between the others", &ten),
	    TEST_WITH(test_add_new_moves_at_most_1_percent,
		      "add a new one to 100: at most 1 % moves between the others", &hundred),
	    TEST_WITH(test_weighted_remove_one_moves_at_most_1_percent,
		      "weights 1..5, remove each of 10: at most 1 % moves between survivors", NULL),
	    TEST_WITH(test_same_tables_as_the_plain_rewrite,
		      "same tables as a plain rewrite of the rule (sizes, weights, seeds, orders)",
		      NULL),
	    TEST_WITH(test_order_and_ids_do_not_matter,
		      "shuffled input, other ids: every slot keeps its backend address", NULL),
	    TEST_WITH(test_repeated_builds_are_byte_identical, "repeated builds are byte-identical",
		      NULL),
	    TEST_WITH(test_fingerprint_ignores_order_and_ids,
		      "fingerprint: shuffled input, other ids, the same fingerprint", NULL),
	    TEST_WITH(test_fingerprint_follows_the_table,
		      "fingerprint: another seed, backend set, size or an empty table changes it",
		      NULL),
	    TEST_WITH(test_fingerprint_golden,
		      "fingerprint of 198.51.100.11 and .12, seed 0, size 1009 pinned", NULL),
	    TEST_WITH(test_seed_changes_the_table, "another hash seed gives another table", NULL),
	    TEST_WITH(test_golden_checksum,
		      "golden checksum of one table and golden offset/skip pinned", NULL),
	    TEST_WITH(test_permutation_ranges, "offset in [0, M), skip in [1, M)", NULL),
	    TEST_WITH(
		test_invalid_input_is_refused_and_changes_nothing,
		"-EINVAL on non-prime M, M < weighted backends, duplicate key; table untouched",
		NULL),
	    TEST_WITH(test_allocation_failure_gives_enomem,
		      "-ENOMEM at every allocation failure, nothing leaked", NULL),
	    TEST_WITH(test_is_prime,
		      "prime_test agrees with known values and a sieve below 100000, prime_next "
		      "with both",
		      NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
