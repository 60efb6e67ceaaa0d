/*
 * flow_hash_test.c: properties of the opt-in flow hash l3dsr_flow_hash_mix64 (bpf/hash.h), run
 * by tests/suites/flow-hash. The datapath suites check that the program picks the slots it
 * names; these check that the slots are worth picking:
 *
 * - spread: 200,000 flows, random IPv4 and IPv6 clients and ports, land in every bucket within
 *   6 standard deviations of the binomial count (a hash that a good one meets with margin: the
 *   largest of a few hundred buckets is about 3 sigma out), over the slots of a prime table as
 *   the LB takes them (hash % 251; hash % 65,537 in 64 contiguous ranges, a backend's share);
 *   also for structured clients: one address with every port, consecutive addresses;
 * - avalanche: one input bit flipped changes 16 of the 32 output bits on average, for every
 *   input bit the hash reads;
 * - the seed: another seed puts a flow in another slot except by chance (1 in 251).
 *
 * The generator is seeded with constants: the same flows on every run, no flakiness.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "bpf/hash.h"
#include "tests/datapath/prng.h"

#define HASH_SEED	0x2468ace0U
#define HASH_FLOWS	200000
#define SMALL_TABLE	251
#define LARGE_TABLE	65537
#define LARGE_RANGES	64
#define HASH_SIGMAS	6.0
#define AVALANCHE_FLOWS 4000
#define FLOW_INPUT_BITS (8 * (16 + 16 + 2 + 2 + 1)) /* what the hash reads: not the padding */

/* A client's flow to a VIP: random source address (IPv4 v4-mapped or IPv6) and ports. */
static void flow_random(int family, struct flow_key *flow)
{
	memset(flow, 0, sizeof(*flow));
	if (family == 4) {
		flow->source.words[2] = htonl(0xffff);
		flow->source.words[3] = (__u32)prng_next();
		flow->destination.words[2] = htonl(0xffff);
		flow->destination.words[3] = htonl(0xc0000250); /* 192.0.2.80 */
	} else {
		for (int i = 0; i < 4; i++)
			flow->source.words[i] = (__u32)prng_next();
		flow->destination.words[0] = htonl(0x20010db8);
		flow->destination.words[3] = htonl(0x80);
	}
	flow->source_port = (__be16)prng_next();
	flow->destination_port = htons(443);
	flow->protocol = prng_below(2) ? IPPROTO_TCP : IPPROTO_UDP;
}

/* Every count of COUNTS (BUCKETS of them, TOTAL flows in all) within HASH_SIGMAS of its mean. */
static void assert_spread(const uint32_t *counts, uint32_t buckets, uint32_t total)
{
	double p = 1.0 / buckets, mean = total * p, sigma = sqrt(total * p * (1 - p));
	double worst = 0;

	for (uint32_t i = 0; i < buckets; i++) {
		double off = fabs(counts[i] - mean) / sigma;

		if (off > worst)
			worst = off;
	}
	print_message("# %u flows over %u buckets: mean %.1f, sigma %.1f, worst %.2f sigma\n",
		      total, buckets, mean, sigma, worst);
	assert_true(worst <= HASH_SIGMAS);
}

/* The slot counts of the flows FLOW_AT(0 .. TOTAL - 1) makes, by the two tables' rules. */
static void spread_of(void (*flow_at)(uint32_t, struct flow_key *), uint32_t total)
{
	static uint32_t small[SMALL_TABLE], large[LARGE_RANGES];
	struct flow_key flow;

	memset(small, 0, sizeof(small));
	memset(large, 0, sizeof(large));
	for (uint32_t i = 0; i < total; i++) {
		uint32_t hash;

		flow_at(i, &flow);
		hash = l3dsr_flow_hash_mix64(&flow, HASH_SEED);
		small[hash % SMALL_TABLE]++;
		large[(uint64_t)(hash % LARGE_TABLE) * LARGE_RANGES / LARGE_TABLE]++;
	}
	assert_spread(small, SMALL_TABLE, total);
	/* The ranges are 1024 slots, the last 1025: a share of 1 / 64 within 0.1 %. */
	assert_spread(large, LARGE_RANGES, total);
}

static void flow_random4(uint32_t i, struct flow_key *flow)
{
	(void)i;
	flow_random(4, flow);
}

static void flow_random6(uint32_t i, struct flow_key *flow)
{
	(void)i;
	flow_random(6, flow);
}

/* One client (203.0.113.9), every source port. */
static void flow_every_port(uint32_t i, struct flow_key *flow)
{
	memset(flow, 0, sizeof(*flow));
	flow->source.words[2] = flow->destination.words[2] = htonl(0xffff);
	flow->source.words[3] = htonl(0xcb007109);
	flow->destination.words[3] = htonl(0xc0000250);
	flow->source_port = htons((uint16_t)(i + 1));
	flow->destination_port = htons(80);
	flow->protocol = IPPROTO_TCP;
}

/* Consecutive client addresses from 10.0.0.0, one port: a NAT pool or a scan. */
static void flow_consecutive_addresses(uint32_t i, struct flow_key *flow)
{
	flow_every_port(0, flow);
	flow->source.words[3] = htonl(0x0a000000 + i);
	flow->source_port = htons(40000);
}

static void test_random_ipv4_flows_spread(void **state)
{
	(void)state;
	prng_seed(0x1d4);
	spread_of(flow_random4, HASH_FLOWS);
}

static void test_random_ipv6_flows_spread(void **state)
{
	(void)state;
	prng_seed(0x1d6);
	spread_of(flow_random6, HASH_FLOWS);
}

static void test_structured_flows_spread(void **state)
{
	(void)state;
	spread_of(flow_every_port, 65535);
	spread_of(flow_consecutive_addresses, HASH_FLOWS);
}

/* Flips bit BIT of what the hash reads in FLOW (addresses, ports, protocol; not the padding). */
static void flow_flip(struct flow_key *flow, unsigned int bit)
{
	((uint8_t *)flow)[bit / 8] ^= (uint8_t)(1U << (bit % 8));
}

/*
 * For every input bit: over AVALANCHE_FLOWS flows (half IPv4, half IPv6) the mean number of
 * output bits that change is 16 within 0.5 (its standard error is 2.83 / sqrt(4000) = 0.045),
 * and over all input bits within 0.05. Each output bit changes in 50 % of the cases within 5
 * points, for every input bit.
 */
static void test_one_input_bit_changes_half_the_output(void **state)
{
	static uint32_t changed[FLOW_INPUT_BITS][32];
	double total = 0;

	(void)state;
	memset(changed, 0, sizeof(changed));
	prng_seed(0xa7a);
	for (int n = 0; n < AVALANCHE_FLOWS; n++) {
		struct flow_key flow;
		uint32_t hash;

		flow_random(n % 2 ? 6 : 4, &flow);
		hash = l3dsr_flow_hash_mix64(&flow, HASH_SEED);
		for (unsigned int bit = 0; bit < FLOW_INPUT_BITS; bit++) {
			uint32_t difference;

			flow_flip(&flow, bit);
			difference = hash ^ l3dsr_flow_hash_mix64(&flow, HASH_SEED);
			flow_flip(&flow, bit);
			for (int out = 0; out < 32; out++)
				changed[bit][out] += difference >> out & 1;
		}
	}
	for (unsigned int bit = 0; bit < FLOW_INPUT_BITS; bit++) {
		double mean = 0;

		for (int out = 0; out < 32; out++) {
			double share = (double)changed[bit][out] / AVALANCHE_FLOWS;

			if (fabs(share - 0.5) > 0.05)
				print_message("# input bit %u, output bit %d: %.3f\n", bit, out,
					      share);
			assert_true(fabs(share - 0.5) <= 0.05);
			mean += changed[bit][out];
		}
		mean /= AVALANCHE_FLOWS;
		assert_true(fabs(mean - 16) <= 0.5);
		total += mean;
	}
	total /= FLOW_INPUT_BITS;
	print_message("# output bits changed by one input bit: %.3f of 32\n", total);
	assert_true(fabs(total - 16) <= 0.05);
}

typedef __u32 (*flow_hash_function)(const struct flow_key *, __u32);

/* Of HASH_FLOWS random flows (half IPv6), how many get the same slot of 251 from A and B. */
static uint32_t same_slots(flow_hash_function a, uint32_t seed_a, flow_hash_function b,
			   uint32_t seed_b)
{
	uint32_t same = 0;

	prng_seed(0x5eed);
	for (int n = 0; n < HASH_FLOWS; n++) {
		struct flow_key flow;

		flow_random(n % 2 ? 6 : 4, &flow);
		same += a(&flow, seed_a) % SMALL_TABLE == b(&flow, seed_b) % SMALL_TABLE;
	}
	return same;
}

/*
 * Another seed, another slot: of 200,000 flows about 1 in 251 keep theirs by chance (797, sigma
 * 28); within 6 sigma of that. The seed is xored into one lane, so every bit of it must count:
 * each single-bit change of the seed is checked too.
 */
static void test_the_seed_moves_flows(void **state)
{
	double mean = (double)HASH_FLOWS / SMALL_TABLE;
	double sigma = sqrt(mean * (1 - 1.0 / SMALL_TABLE));

	(void)state;
	for (int seed_bit = -1; seed_bit < 32; seed_bit++) {
		uint32_t other =
		    seed_bit < 0 ? HASH_SEED ^ 0x5a5a5a5a : HASH_SEED ^ (1U << seed_bit);
		uint32_t same =
		    same_slots(l3dsr_flow_hash_mix64, HASH_SEED, l3dsr_flow_hash_mix64, other);

		assert_true(fabs(same - mean) <= HASH_SIGMAS * sigma);
	}
}

/* The two hashes are different functions: a flow's lookup3 slot says nothing of its mix64 slot. */
static void test_mix64_is_not_lookup3(void **state)
{
	double mean = (double)HASH_FLOWS / SMALL_TABLE;
	double sigma = sqrt(mean * (1 - 1.0 / SMALL_TABLE));
	uint32_t same = same_slots(l3dsr_flow_hash_mix64, HASH_SEED, l3dsr_flow_hash, HASH_SEED);

	(void)state;
	assert_true(fabs(same - mean) <= HASH_SIGMAS * sigma);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_ipv4_flows_spread),
	    cmocka_unit_test(test_random_ipv6_flows_spread),
	    cmocka_unit_test(test_structured_flows_spread),
	    cmocka_unit_test(test_one_input_bit_changes_half_the_output),
	    cmocka_unit_test(test_the_seed_moves_flows),
	    cmocka_unit_test(test_mix64_is_not_lookup3),
	};

	return cmocka_run_group_tests_name("flow hash mix64", tests, NULL, NULL);
}
