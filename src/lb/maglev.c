/* maglev.c: builds a VIP's Maglev lookup table (slot -> backend) from its backends and weights. */
/*
 * Each backend gets Maglev's preference list over the M slots (Eisenbud et al., NSDI 2016):
 * offset, offset + skip, offset + 2 skip, ... (mod M, M prime), with offset and skip from two
 * independent hashes of (key, seed). How the lists become a table differs from the paper.
 *
 * Plain Maglev lets the backends take turns, each taking the next *free* slot of its list. The
 * shares come out exact, but how far down its list a backend gets depends on what the others
 * took before it: remove one and every later turn shifts. Measured at M = 65537 with 100 equal
 * backends, each removed in turn (tests/maglev/maglev_measure, docs/maglev.md), plain Maglev
 * moves 0.55-0.57 % of the table between surviving backends on average and up to 0.65 %. That
 * is within the 1 % we require, but weighted it reaches 0.96 %, and its weighted forms (weight
 * slots per turn, or credits) miss the proportions by up to 3.9 % at N = 1000.
 *
 * So here a backend's walk does not depend on the others:
 * - Backend i reaches position p of its list at a fixed time, time(p) * pace_i, pace_i about
 *   1 / weight_i, time(p) the expected (p+1)-th smallest of M exponential variables: a slot's
 *   first visitor is backend i with probability weight_i / total weight (weighted rendezvous).
 * - Backend i has a capacity, its exact share M * weight_i / total weight rounded to a whole
 *   slot (largest remainder).
 * - The visits are taken in order of time, ties to the lower key; a visit takes the slot if it
 *   is still free; a backend that is full stops walking.
 * Without capacities this would be rendezvous hashing: a removal would move nothing else, but
 * the shares would be several per cent off. With them, the shares are exact, and removing a
 * backend frees its slots to their next visitors while every capacity grows a little, which
 * shifts only the few slots near where each backend filled up. Measured the same way: 0.29-0.30 %
 * moved on average and at most 0.37 % for N = 100 (0.11-0.16 % and 0.22 % for N = 10, 0.003 %
 * for N = 3), about half of plain Maglev; weighted 1..5, at most 0.44 % for N = 100.
 * The exponential clock matters for weights: with backend i at (p + 1) / weight_i, or with the
 * weights in the capacities only, removing one of three backends weighted 1, 2, 3 moves on
 * average 1.3 % or 2.2 % of the table between the other two, against 0.005 %.
 * The result is the stable assignment in which slots and backends both prefer earlier visits,
 * so it depends on nothing but the lists, capacities and key order: input order and ids play no
 * part. tests/maglev/maglev_reference.c computes it the slow, obvious way; the tests compare.
 *
 * Cost: the backends of one weight walk in step (one group), the groups merge by a heap on
 * time, so a visit costs O(1) with equal weights and O(log groups) otherwise. Measured CPU time,
 * M = 65537: 4-5 ms for 100 or 1000 equal backends, 8 ms for 1000 weighted 1..5 (plain Maglev:
 * 2 ms); M = 1048573: 115-160 ms for 1000 to 10000 backends. Memory: O(N) beside the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/lb/maglev.h"
#include "src/common/prime.h"

#define MAGLEV_NONE	  UINT32_MAX /* no backend (yet), as a canonical index */
#define MAGLEV_TIME_SHIFT 32	     /* list times are in units of 2^-32 */
#define MAGLEV_PACE_SHIFT 26	     /* pace = 2^26 / weight */

/*
 * A group's time times its pace must fit 64 bits: the time sums 2^32 / (M - p) over the
 * positions p, at most 2^32 x (ln M + 1) < 2^36 for M < 2^20, and the pace is at most 2^26.
 */
_Static_assert(L3DSR_MAX_TABLE_SIZE < (1U << 20), "table sizes below 2^20 keep times below 2^36");
_Static_assert(MAGLEV_TIME_SHIFT + 4 + MAGLEV_PACE_SHIFT <= 64, "time x pace overflows 64 bits");

/* One weighted backend, in canonical order (sorted by key). */
struct maglev_entry {
	uint8_t key[16];
	uint32_t weight;
	uint32_t id;
	uint32_t skip;
	uint32_t cursor;    /* the slot at its current position in its list */
	uint32_t pace;	    /* 2^26 / weight: how slowly it walks its list */
	uint32_t remaining; /* capacity left */
};

/* A backend's claim on the slots that rounding the shares down left over. */
struct maglev_rounding {
	uint64_t remainder; /* M * weight % total weight */
	uint32_t backend;   /* canonical index */
};

/* A backend by pace, to form the groups. */
struct maglev_pace_key {
	uint32_t pace;
	uint32_t backend; /* canonical index */
};

/*
 * The backends of one pace walk their lists in step, all at the same position p, which they
 * reach at time(p) * pace, where
 *	time(p) = sum(2^32 / (M - k), k = 0..p), each term rounded down (and at least 1)
 * grows strictly, stays below 2^37, and is 2^32 times the expected (p+1)-th smallest of M
 * exponential variables. So backend i reaches a slot about time / weight_i after the start,
 * and a slot's first visitor is backend i with probability weight_i / total weight, as in
 * weighted rendezvous hashing. Integers only: every machine computes the same times.
 */
struct maglev_group {
	uint32_t pace;
	uint32_t position;
	uint64_t time;	   /* time(position) */
	uint32_t *members; /* the canonical indices of the members with room left, ascending */
	uint32_t count;	   /* how many */
	uint32_t turn;	   /* members[turn] visits next, at this position */
};

struct maglev_builder {
	struct maglev_entry *entries; /* the weighted backends, in canonical order */
	uint32_t count;
	uint32_t size;
	struct maglev_group *groups;
	uint32_t *members;  /* the groups' member lists, one after the other */
	uint32_t *schedule; /* heap of group indices: the earliest next visit on top */
	uint32_t scheduled; /* groups in the heap */
};

/*
 * An avalanche step: xor-shift, multiply, xor-shift, multiply, xor-shift. With Murmur3's
 * constants it finalizes the offset hash, with SplitMix64's the skip hash.
 */
static uint64_t maglev_mix(uint64_t x, const uint64_t constants[5])
{
	x ^= x >> constants[0];
	x *= constants[1];
	x ^= x >> constants[2];
	x *= constants[3];
	x ^= x >> constants[4];
	return x;
}

static const uint64_t maglev_murmur3_mix[5] = {33, 0xff51afd7ed558ccdULL, 33, 0xc4ceb9fe1a85ec53ULL,
					       33};
static const uint64_t maglev_splitmix64_mix[5] = {30, 0xbf58476d1ce4e5b9ULL, 27,
						  0x94d049bb133111ebULL, 31};

/*
 * Both hashes read the seed as four little-endian bytes, then the key byte by byte, so they give
 * the same values on every machine whatever its byte order.
 */
static void maglev_seed_bytes(uint32_t seed, uint8_t bytes[4])
{
	for (int i = 0; i < 4; i++)
		bytes[i] = (uint8_t)(seed >> (8 * i));
}

/* FNV-1a over seed and key, then finalized: gives the offset. */
static uint64_t maglev_hash_offset(const uint8_t key[16], uint32_t seed)
{
	uint8_t seed_bytes[4];
	uint64_t hash = 0xcbf29ce484222325ULL;

	maglev_seed_bytes(seed, seed_bytes);
	for (int i = 0; i < 4; i++)
		hash = (hash ^ seed_bytes[i]) * 0x100000001b3ULL;
	for (int i = 0; i < 16; i++)
		hash = (hash ^ key[i]) * 0x100000001b3ULL;
	return maglev_mix(hash, maglev_murmur3_mix);
}

/* Per byte rotate, add, multiply by the golden ratio; then another finalizer: gives the skip. */
static uint64_t maglev_hash_skip(const uint8_t key[16], uint32_t seed)
{
	uint8_t seed_bytes[4];
	uint64_t hash = 0x6a09e667f3bcc908ULL;

	maglev_seed_bytes(seed, seed_bytes);
	for (int i = 0; i < 4; i++)
		hash = (((hash << 23) | (hash >> 41)) + seed_bytes[i] + 1) * 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 16; i++)
		hash = (((hash << 23) | (hash >> 41)) + key[i] + 1) * 0x9e3779b97f4a7c15ULL;
	return maglev_mix(hash, maglev_splitmix64_mix);
}

void maglev_permutation(const uint8_t key[16], uint32_t seed, uint32_t size, uint32_t *offset,
			uint32_t *skip)
{
	*offset = (uint32_t)(maglev_hash_offset(key, seed) % size);
	*skip = size > 1 ? (uint32_t)(maglev_hash_skip(key, seed) % (size - 1)) + 1 : 1;
}

static int maglev_compare_keys(const void *left, const void *right)
{
	return memcmp(((const struct maglev_entry *)left)->key,
		      ((const struct maglev_entry *)right)->key, 16);
}

/* Largest remainder first, then canonical order: who gets the slots that rounding left over. */
static int maglev_compare_roundings(const void *left, const void *right)
{
	const struct maglev_rounding *a = left, *b = right;

	if (a->remainder != b->remainder)
		return a->remainder > b->remainder ? -1 : 1;
	return a->backend < b->backend ? -1 : a->backend > b->backend;
}

/* The weighted backends, sorted by key, into the builder: -EINVAL on a duplicate key. */
static int maglev_sort_backends(struct maglev_builder *builder,
				const struct maglev_backend *backends, size_t count)
{
	struct maglev_entry *entries = builder->entries;
	uint32_t n = 0;

	for (size_t i = 0; i < count; i++) {
		memcpy(entries[i].key, backends[i].key, 16);
		entries[i].weight = backends[i].weight;
		entries[i].id = backends[i].id;
	}
	qsort(entries, count, sizeof(*entries), maglev_compare_keys);
	for (size_t i = 1; i < count; i++)
		if (memcmp(entries[i - 1].key, entries[i].key, 16) == 0)
			return -EINVAL;
	for (size_t i = 0; i < count; i++)
		if (entries[i].weight > 0) {
			if (n == builder->size)
				return -EINVAL;
			entries[n++] = entries[i];
		}
	builder->count = n;
	return 0;
}

/*
 * Each backend's list, pace and capacity: M * weight / total weight rounded down, and the slots
 * this leaves over one each to the largest remainders (ties: canonical order), so the shares
 * are the exact proportions rounded to whole slots.
 */
static int maglev_set_capacities(struct maglev_builder *builder, uint32_t seed)
{
	struct maglev_entry *entries = builder->entries;
	struct maglev_rounding *roundings;
	uint64_t total_weight = 0, handed_out = 0;

	roundings = malloc(builder->count * sizeof(*roundings));
	if (!roundings)
		return -ENOMEM;
	for (uint32_t i = 0; i < builder->count; i++)
		total_weight += entries[i].weight;
	for (uint32_t i = 0; i < builder->count; i++) {
		uint64_t product = (uint64_t)builder->size * entries[i].weight;

		maglev_permutation(entries[i].key, seed, builder->size, &entries[i].cursor,
				   &entries[i].skip);
		/* exact to 1e-5 for the weights of a configuration (<= 1000) */
		entries[i].pace = (1U << MAGLEV_PACE_SHIFT) / entries[i].weight;
		if (entries[i].pace == 0)
			entries[i].pace = 1;
		entries[i].remaining = (uint32_t)(product / total_weight);
		handed_out += entries[i].remaining;
		roundings[i].remainder = product % total_weight;
		roundings[i].backend = i;
	}
	qsort(roundings, builder->count, sizeof(*roundings), maglev_compare_roundings);
	/* fewer than count slots are left over */
	for (uint64_t i = 0; i < builder->size - handed_out; i++)
		entries[roundings[i].backend].remaining++;
	free(roundings);
	return 0;
}

/* Whether group A visits next before group B: by time, then by the visitors' canonical index. */
static int maglev_group_before(const struct maglev_builder *builder, uint32_t a, uint32_t b)
{
	const struct maglev_group *group_a = &builder->groups[a], *group_b = &builder->groups[b];
	uint64_t time_a = group_a->time * group_a->pace, time_b = group_b->time * group_b->pace;

	if (time_a != time_b)
		return time_a < time_b;
	return group_a->members[group_a->turn] < group_b->members[group_b->turn];
}

/* Moves the group at heap index PARENT down to where it belongs. */
static void maglev_schedule_down(struct maglev_builder *builder, uint32_t parent)
{
	uint32_t *heap = builder->schedule, group = heap[parent], child;

	while ((child = 2 * parent + 1) < builder->scheduled) {
		if (child + 1 < builder->scheduled &&
		    maglev_group_before(builder, heap[child + 1], heap[child]))
			child++;
		if (!maglev_group_before(builder, heap[child], group))
			break;
		heap[parent] = heap[child];
		parent = child;
	}
	heap[parent] = group;
}

static int maglev_compare_paces(const void *left, const void *right)
{
	const struct maglev_pace_key *a = left, *b = right;

	if (a->pace != b->pace)
		return a->pace < b->pace ? -1 : 1;
	return a->backend < b->backend ? -1 : a->backend > b->backend;
}

/*
 * Puts the backends with room into groups of equal pace (all of them when the weights are equal),
 * members in canonical order, and every group into the schedule.
 */
static int maglev_make_groups(struct maglev_builder *builder)
{
	struct maglev_pace_key *by_pace;
	uint32_t n = 0, groups = 0;

	by_pace = malloc(builder->count * sizeof(*by_pace));
	builder->groups = malloc(builder->count * sizeof(*builder->groups));
	builder->members = malloc(builder->count * sizeof(*builder->members));
	builder->schedule = malloc(builder->count * sizeof(*builder->schedule));
	if (!by_pace || !builder->groups || !builder->members || !builder->schedule) {
		free(by_pace);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < builder->count; i++)
		if (builder->entries[i].remaining > 0) {
			by_pace[n].pace = builder->entries[i].pace;
			by_pace[n++].backend = i;
		}
	qsort(by_pace, n, sizeof(*by_pace), maglev_compare_paces);
	for (uint32_t i = 0; i < n; i++) {
		builder->members[i] = by_pace[i].backend;
		if (i > 0 && by_pace[i].pace == by_pace[i - 1].pace) {
			builder->groups[groups - 1].count++;
			continue;
		}
		builder->groups[groups] = (struct maglev_group){
		    .pace = by_pace[i].pace,
		    .time = (1ULL << MAGLEV_TIME_SHIFT) / builder->size,
		    .members = &builder->members[i],
		    .count = 1,
		};
		builder->schedule[groups] = groups;
		groups++;
	}
	free(by_pace);
	builder->scheduled = groups;
	for (uint32_t parent = groups / 2; parent-- > 0;)
		maglev_schedule_down(builder, parent);
	return 0;
}

/*
 * Every member of GROUP has visited at its position: the members without room leave, the others
 * step to the next position. Returns how many members are left.
 */
static uint32_t maglev_group_step(struct maglev_builder *builder, struct maglev_group *group)
{
	uint32_t kept = 0;

	for (uint32_t m = 0; m < group->count; m++)
		if (builder->entries[group->members[m]].remaining > 0)
			group->members[kept++] = group->members[m];
	group->count = kept;
	group->turn = 0;
	group->position++;
	/* a member with room never walks its whole list: it would have filled every slot */
	if (group->position < builder->size)
		group->time += (1ULL << MAGLEV_TIME_SHIFT) / (builder->size - group->position);
	return kept;
}

/*
 * The visits, in order of time: a backend takes the slot it visits if the slot is still free.
 * It has room, since a member leaves its group as soon as the group's position is done, before
 * its next visit. TABLE holds canonical indices, MAGLEV_NONE while free.
 */
static void maglev_fill(struct maglev_builder *builder, uint32_t *table)
{
	uint32_t free_slots = builder->size;

	for (uint32_t slot = 0; slot < builder->size; slot++)
		table[slot] = MAGLEV_NONE;
	while (free_slots > 0) {
		struct maglev_group *group = &builder->groups[builder->schedule[0]];
		uint32_t visitor = group->members[group->turn];
		struct maglev_entry *entry = &builder->entries[visitor];

		if (table[entry->cursor] == MAGLEV_NONE) {
			table[entry->cursor] = visitor;
			entry->remaining--;
			free_slots--;
		}
		entry->cursor += entry->skip;
		if (entry->cursor >= builder->size)
			entry->cursor -= builder->size;
		if (++group->turn == group->count && maglev_group_step(builder, group) == 0)
			builder->schedule[0] = builder->schedule[--builder->scheduled];
		if (builder->scheduled > 0)
			maglev_schedule_down(builder, 0);
	}
}

int maglev_build(const struct maglev_backend *backends, size_t count, uint32_t size, uint32_t seed,
		 uint32_t *table)
{
	struct maglev_builder builder = {.size = size};
	int err;

	if (!prime_test(size) || (count > 0 && !backends) || !table)
		return -EINVAL;
	builder.entries = calloc(count ? count : 1, sizeof(*builder.entries));
	if (!builder.entries)
		return -ENOMEM;
	err = maglev_sort_backends(&builder, backends, count);
	if (err)
		goto out;
	if (builder.count == 0) {
		for (uint32_t slot = 0; slot < size; slot++)
			table[slot] = LB_RING_SLOT_EMPTY;
		goto out;
	}
	err = maglev_set_capacities(&builder, seed);
	if (!err)
		err = maglev_make_groups(&builder);
	if (err)
		goto out;
	maglev_fill(&builder, table);
	for (uint32_t slot = 0; slot < size; slot++)
		table[slot] = builder.entries[table[slot]].id;
out:
	free(builder.schedule);
	free(builder.members);
	free(builder.groups);
	free(builder.entries);
	return err;
}
