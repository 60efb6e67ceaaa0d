/*
 * lb_marks.c: retires the marks of a VIP's changed ring slots once the retention has passed and
 * no flow has needed them for as long (docs/datapath.md, "Per-flow state").
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/maps.h"
#include "src/lb/lb_marks.h"
#include "src/lb/lb_rings.h"

uint64_t lb_marks_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* The last time any CPU sent a packet of VIP INDEX through a mark; 0: never. */
static int last_use(const struct lb_maps *maps, uint32_t index, int cpus, uint64_t *used)
{
	uint64_t *per_cpu = calloc((size_t)cpus, sizeof(*per_cpu));

	*used = 0;
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(maps->ring_mark_use, &index, per_cpu)) {
		free(per_cpu);
		return -errno;
	}
	for (int cpu = 0; cpu < cpus; cpu++)
		if (per_cpu[cpu] > *used)
			*used = per_cpu[cpu];
	free(per_cpu);
	return 0;
}

/* Sets VIP INDEX's slots back to unchanged (its ring, when it still has one) and forgets its
 * change. */
static int retire(const struct lb_maps *maps, uint32_t index)
{
	static const struct ring_change none;
	char name[CONFIG_NAME_MAX];
	struct vip_info info;
	uint32_t entries = 0;
	long retired = 0;
	int ring;

	if (!bpf_map_lookup_elem(maps->vip_infos, &index, &info) && info.table_size) {
		ring = lb_ring_open(maps->maglev_rings, index, &entries);
		if (ring >= 0 && entries == l3dsr_ring_entries(info.table_size))
			retired = lb_ring_retire_marks(ring, info.table_size);
		if (ring >= 0)
			close(ring);
		else if (ring != -ENOENT)
			retired = ring;
	}
	if (retired < 0)
		return (int)retired;
	if (retired > 0) {
		name[0] = '\0';
		if (maps->instance)
			instance_read_vip_name(maps->instance, index, name, sizeof(name));
		log_info("vip %s: %ld changed table slots unmarked (no flow needed their previous "
			 "backend)",
			 name[0] ? name : "(unnamed)", retired);
	}
	return bpf_map_update_elem(maps->ring_changes, &index, &none, BPF_ANY) ? -errno : 0;
}

int lb_marks_retire(const struct lb_maps *maps, uint32_t retention_ms, uint64_t now_ns)
{
	uint32_t count = maps_max_entries(maps->ring_changes);
	struct ring_change *changes = calloc(count ? count : 1, sizeof(*changes));
	uint64_t retention_ns = (uint64_t)retention_ms * 1000000, used;
	int cpus = libbpf_num_possible_cpus(), result, done = 0;

	result = changes ? maps_read_array(maps->ring_changes, count, sizeof(*changes), changes)
			 : -ENOMEM;
	if (!result && cpus < 0)
		result = cpus;
	for (uint32_t index = 0; index < count && !result; index++) {
		if (!changes[index].unknown_until_ns || now_ns < changes[index].unknown_until_ns)
			continue;
		result = last_use(maps, index, cpus, &used);
		if (result || used > now_ns || now_ns - used < retention_ns)
			continue;
		result = retire(maps, index);
		done += !result;
	}
	free(changes);
	if (result)
		return log_errno(LOG_PRIORITY_ERROR, result,
				 "cannot retire the marks of changed table slots");
	return done;
}
