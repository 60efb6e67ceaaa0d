/* maglev_reference.c: a plain rewrite of maglev_build's rule, to check it and to compare clocks. */
/*
 * Written from the rule in docs/maglev.md, not from src/lb/maglev.c: no groups, no shared steps,
 * one heap entry per backend, and the capacities found by repeated search instead of sorting.
 * Slow (N log N per visit is fine here), obvious, and with maglev_build's clock it must give
 * byte for byte the same tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev_reference.h"
#include "src/common/prime.h"

struct walker {
	uint64_t time; /* the visit is at time / divisor */
	uint64_t divisor;
	uint64_t list_time; /* sum(2^32 / (M - k), k = 0..position) */
	uint32_t index;	    /* in key order */
	uint32_t position;
	uint32_t slot;
	uint32_t skip;
	uint32_t room;
	uint32_t weight;
};

static int reference_compare_keys(const void *left, const void *right)
{
	return memcmp(((const struct maglev_backend *)left)->key,
		      ((const struct maglev_backend *)right)->key, 16);
}

static void reference_set_time(struct walker *walker, enum maglev_reference_clock clock)
{
	walker->divisor = 1;
	if (clock == MAGLEV_CLOCK_EXPONENTIAL) {
		uint64_t pace = (1U << 26) / walker->weight;

		walker->time = walker->list_time * (pace ? pace : 1);
	} else if (clock == MAGLEV_CLOCK_LINEAR) {
		walker->time = walker->position + 1;
		walker->divisor = walker->weight;
	} else {
		walker->time = walker->position;
	}
}

static int reference_before(const struct walker *a, const struct walker *b)
{
	/* linear products stay below 2^52: positions < 2^20, weights < 2^32 */
	uint64_t time_a = a->time * b->divisor, time_b = b->time * a->divisor;

	return time_a < time_b || (time_a == time_b && a->index < b->index);
}

static void reference_down(struct walker *heap, size_t count, size_t parent)
{
	struct walker moving = heap[parent];
	size_t child;

	while ((child = 2 * parent + 1) < count) {
		if (child + 1 < count && reference_before(&heap[child + 1], &heap[child]))
			child++;
		if (!reference_before(&heap[child], &moving))
			break;
		heap[parent] = heap[child];
		parent = child;
	}
	heap[parent] = moving;
}

/* Capacities: M w / W rounded down, then +1 to the largest remainders, ties to the lower key. */
static void reference_capacities(struct walker *walkers, size_t count, uint32_t size)
{
	uint64_t total_weight = 0, handed_out = 0;

	for (size_t i = 0; i < count; i++)
		total_weight += walkers[i].weight;
	for (size_t i = 0; i < count; i++) {
		walkers[i].room = (uint32_t)((uint64_t)size * walkers[i].weight / total_weight);
		handed_out += walkers[i].room;
	}
	for (; handed_out < size; handed_out++) {
		size_t best = count;
		uint64_t best_remainder = 0;

		for (size_t i = 0; i < count; i++) {
			uint64_t product = (uint64_t)size * walkers[i].weight;
			int topped_up = walkers[i].room > product / total_weight;

			if (!topped_up &&
			    (best == count || product % total_weight > best_remainder)) {
				best = i;
				best_remainder = product % total_weight;
			}
		}
		walkers[best].room++;
	}
}

int maglev_reference_build(const struct maglev_backend *backends, size_t count, uint32_t size,
			   uint32_t seed, uint32_t *table, enum maglev_reference_clock clock)
{
	struct maglev_backend *sorted = malloc((count ? count : 1) * sizeof(*sorted));
	struct walker *heap = malloc((count ? count : 1) * sizeof(*heap));
	uint32_t free_slots = size, *ids = malloc((count ? count : 1) * sizeof(*ids));
	size_t weighted = 0, live = 0;
	int err = 0;

	if (!sorted || !heap || !ids) {
		err = -ENOMEM;
		goto out;
	}
	if (!prime_test(size)) {
		err = -EINVAL;
		goto out;
	}
	memcpy(sorted, backends, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), reference_compare_keys);
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && memcmp(sorted[i - 1].key, sorted[i].key, 16) == 0) {
			err = -EINVAL;
			goto out;
		}
		if (sorted[i].weight == 0)
			continue;
		heap[weighted] =
		    (struct walker){.index = (uint32_t)weighted, .weight = sorted[i].weight};
		ids[weighted] = sorted[i].id;
		maglev_permutation(sorted[i].key, seed, size, &heap[weighted].slot,
				   &heap[weighted].skip);
		weighted++;
	}
	if (weighted > size) {
		err = -EINVAL;
		goto out;
	}
	for (uint32_t slot = 0; slot < size; slot++)
		table[slot] = LB_RING_SLOT_EMPTY;
	if (weighted == 0)
		goto out;
	reference_capacities(heap, weighted, size);
	for (size_t i = 0; i < weighted; i++) {
		if (heap[i].room == 0)
			continue;
		heap[i].list_time = (1ULL << 32) / size;
		reference_set_time(&heap[i], clock);
		heap[live++] = heap[i];
	}
	for (size_t parent = live / 2; parent-- > 0;)
		reference_down(heap, live, parent);
	while (free_slots > 0) {
		struct walker *top = &heap[0];

		if (table[top->slot] == LB_RING_SLOT_EMPTY) {
			table[top->slot] = ids[top->index];
			top->room--;
			free_slots--;
		}
		top->slot = (uint32_t)(((uint64_t)top->slot + top->skip) % size);
		top->position++;
		if (top->room == 0) {
			heap[0] = heap[--live];
		} else {
			top->list_time += (1ULL << 32) / (size - top->position);
			reference_set_time(top, clock);
		}
		reference_down(heap, live, 0);
	}
out:
	free(ids);
	free(heap);
	free(sorted);
	return err;
}
