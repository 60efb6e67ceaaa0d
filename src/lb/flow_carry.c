/*
 * flow_carry.c: a flow table of a new size starts with the flows the old one remembers (reload
 * with another flow-table-size).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/l3dsr_common.h"
#include "src/common/maps.h"
#include "src/lb/flow_carry.h"

/* Entries read per system call: few calls for a table of millions, little memory per call. */
#define FLOW_CARRY_BATCH 4096

struct flow_entries {
	struct flow_key *keys;
	__u32 *backends;
	size_t count;
};

/* Every entry of OLD_FLOWS, read in batches (a walk by next key could restart from the first
 * key whenever the program evicts the one it stands on). */
static int read_flows(int old_flows, struct flow_entries *entries)
{
	size_t capacity = 0;
	__u32 batch = 0;
	bool first = true;
	int result = 0;

	memset(entries, 0, sizeof(*entries));
	for (;;) {
		__u32 count = FLOW_CARRY_BATCH;

		if (entries->count + FLOW_CARRY_BATCH > capacity) {
			size_t bigger = capacity ? capacity * 2 : FLOW_CARRY_BATCH * 4;
			struct flow_key *keys = realloc(entries->keys, bigger * sizeof(*keys));
			__u32 *backends =
			    keys ? realloc(entries->backends, bigger * sizeof(*backends)) : NULL;

			if (keys)
				entries->keys = keys;
			if (!backends)
				return -ENOMEM;
			entries->backends = backends;
			capacity = bigger;
		}
		result = bpf_map_lookup_batch(old_flows, first ? NULL : &batch, &batch,
					      entries->keys + entries->count,
					      entries->backends + entries->count, &count, NULL);
		first = false;
		if (result && errno != ENOENT)
			return -errno;
		entries->count += count;
		/* ENOENT: that was the last batch. */
		if (result)
			return 0;
	}
}

/* Writes ENTRIES[*NEXT ..] into NEW_FLOWS, at most LIMIT of them, advancing *NEXT. */
static int write_flows(int new_flows, const struct flow_entries *entries, size_t *next,
		       size_t limit, size_t *copied)
{
	for (size_t written = 0; written < limit && *next < entries->count; written++, (*next)++) {
		if (bpf_map_update_elem(new_flows, &entries->keys[*next], &entries->backends[*next],
					BPF_NOEXIST) &&
		    errno != EEXIST)
			return -errno;
		(*copied)++;
	}
	return 0;
}

int flow_carry_over(int old_flows, int new_flows, struct flow_carry_result *result)
{
	int possible = libbpf_num_possible_cpus();
	uint32_t capacity = maps_max_entries(new_flows);
	struct flow_entries entries;
	cpu_set_t allowed, one;
	size_t next = 0, share;
	bool moved = false;
	int error;

	memset(result, 0, sizeof(*result));
	if (possible <= 0 || capacity == 0)
		return -EINVAL;
	share = capacity / (uint32_t)possible;
	error = read_flows(old_flows, &entries);
	result->found = entries.count;
	if (error || share == 0)
		goto out;
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	/* One list's worth from each CPU this thread may run on; where it may not move (a
	 * sandbox without sched_setaffinity), only the list of the CPU it is on. */
	for (int cpu = 0; cpu < CPU_SETSIZE && next < entries.count && !error; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			break;
		moved = true;
		error = write_flows(new_flows, &entries, &next, share, &result->copied);
	}
	if (!moved && !error)
		error = write_flows(new_flows, &entries, &next, share, &result->copied);
	if (moved)
		sched_setaffinity(0, sizeof(allowed), &allowed);
out:
	free(entries.keys);
	free(entries.backends);
	return error;
}
