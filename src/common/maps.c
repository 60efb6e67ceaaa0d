/* maps.c: small helpers to read and write BPF maps from user space (arrays, per-CPU counters). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/maps.h"
#include "src/common/pins.h"

/* How many elements one batch system call moves: large enough to make a 65537-slot ring a
 * handful of calls, small enough for the key and value buffers to stay modest. */
#define MAPS_BATCH 8192

int maps_open_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pins_path(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

uint32_t maps_max_entries(int fd)
{
	struct bpf_map_info info = {0};
	__u32 length = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &length))
		return 0;
	return info.max_entries;
}

/* One element at a time, for kernels or map types without batch operations. */
static int read_array_slowly(int fd, uint32_t first, uint32_t count, size_t value_size,
			     void *values)
{
	for (uint32_t key = first; key < count; key++)
		if (bpf_map_lookup_elem(fd, &key, (char *)values + (size_t)key * value_size))
			return -errno;
	return 0;
}

int maps_read_array(int fd, uint32_t count, size_t value_size, void *values)
{
	uint32_t *keys = malloc(MAPS_BATCH * sizeof(*keys));
	uint32_t done = 0, next_batch = 0;
	int result = 0;

	if (!keys)
		return -ENOMEM;
	while (done < count) {
		__u32 wanted = count - done < MAPS_BATCH ? count - done : MAPS_BATCH;
		int error =
		    bpf_map_lookup_batch(fd, done ? &next_batch : NULL, &next_batch, keys,
					 (char *)values + (size_t)done * value_size, &wanted, NULL);

		if (error && errno != ENOENT) {
			if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
				result = read_array_slowly(fd, done, count, value_size, values);
			else
				result = -errno;
			break;
		}
		/* An array returns its keys in order, so the values land where they belong. */
		done += wanted;
		if (error || wanted == 0)
			break;
	}
	free(keys);
	return result;
}

int maps_write_array(int fd, const uint32_t *keys, const void *values, size_t value_size,
		     uint32_t count)
{
	const char *bytes = values;

	while (count > 0) {
		__u32 batch = count < MAPS_BATCH ? count : MAPS_BATCH;

		if (bpf_map_update_batch(fd, keys, bytes, &batch, NULL)) {
			if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP)
				return -errno;
			for (uint32_t i = 0; i < count; i++)
				if (bpf_map_update_elem(fd, &keys[i],
							bytes + (size_t)i * value_size, BPF_ANY))
					return -errno;
			return 0;
		}
		keys += batch;
		bytes += (size_t)batch * value_size;
		count -= batch;
	}
	return 0;
}

int maps_read_traffic(int fd, uint32_t count, struct traffic_counter *sums)
{
	int cpus = libbpf_num_possible_cpus();
	struct traffic_counter *per_cpu;
	int result;

	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	/* Per-CPU values come one per possible CPU, each rounded up to 8 bytes (16 already is). */
	per_cpu = calloc((size_t)count * cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	result = maps_read_array(fd, count, sizeof(*per_cpu) * cpus, per_cpu);
	for (uint32_t key = 0; !result && key < count; key++) {
		sums[key] = (struct traffic_counter){0};
		for (int cpu = 0; cpu < cpus; cpu++) {
			sums[key].packets += per_cpu[(size_t)key * cpus + cpu].packets;
			sums[key].bytes += per_cpu[(size_t)key * cpus + cpu].bytes;
		}
	}
	free(per_cpu);
	return result;
}

int maps_clear_traffic(int fd, uint32_t key)
{
	int cpus = libbpf_num_possible_cpus();
	struct traffic_counter *zeros;
	int result = 0;

	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	zeros = calloc(cpus, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &key, zeros, BPF_ANY))
		result = -errno;
	free(zeros);
	return result;
}

int maps_read_vip_traffic(int vip_traffic, int backend_traffic, int backends,
			  uint32_t backend_count, uint32_t count, struct traffic_counter *sums)
{
	struct backend_info *info = calloc(backend_count ? backend_count : 1, sizeof(*info));
	struct traffic_counter *traffic =
	    calloc(backend_count ? backend_count : 1, sizeof(*traffic));
	int result = info && traffic ? 0 : -ENOMEM;

	if (!result)
		result = maps_read_traffic(vip_traffic, count, sums);
	if (!result)
		result = maps_read_array(backends, backend_count, sizeof(*info), info);
	if (!result)
		result = maps_read_traffic(backend_traffic, backend_count, traffic);
	for (uint32_t id = 0; !result && id < backend_count; id++) {
		if (!(info[id].flags & BACKEND_F_IN_USE) || info[id].vip_index >= count)
			continue;
		sums[info[id].vip_index].packets += traffic[id].packets;
		sums[info[id].vip_index].bytes += traffic[id].bytes;
	}
	free(info);
	free(traffic);
	return result;
}

int maps_fold_traffic(int from_fd, uint32_t from, int to_fd, uint32_t to)
{
	int cpus = libbpf_num_possible_cpus();
	struct traffic_counter *source, *target;
	int result = 0;

	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	source = calloc(cpus, sizeof(*source));
	target = calloc(cpus, sizeof(*target));
	if (!source || !target)
		result = -ENOMEM;
	if (!result && (bpf_map_lookup_elem(from_fd, &from, source) ||
			bpf_map_lookup_elem(to_fd, &to, target)))
		result = -errno;
	for (int cpu = 0; !result && cpu < cpus; cpu++) {
		target[cpu].packets += source[cpu].packets;
		target[cpu].bytes += source[cpu].bytes;
	}
	if (!result && bpf_map_update_elem(to_fd, &to, target, BPF_ANY))
		result = -errno;
	free(source);
	free(target);
	return result ? result : maps_clear_traffic(from_fd, from);
}

int maps_read_hash(int fd, size_t key_size, size_t value_size, void **entries, size_t *count)
{
	size_t entry_size = key_size + value_size, capacity = 0;
	char key[64], next[64];
	void *previous = NULL;
	char *array = NULL;

	*count = 0;
	*entries = NULL;
	if (key_size > sizeof(key))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, previous, next) == 0) {
		if (*count == capacity) {
			char *bigger =
			    realloc(array, (capacity = capacity ? capacity * 2 : 64) * entry_size);
			if (!bigger) {
				free(array);
				return -ENOMEM;
			}
			array = bigger;
		}
		char *entry = array + *count * entry_size;
		memcpy(entry, next, key_size);
		/* A key deleted between the two calls is simply not there. */
		if (bpf_map_lookup_elem(fd, next, entry + key_size) == 0)
			(*count)++;
		memcpy(key, next, key_size);
		previous = key;
	}
	*entries = array;
	return 0;
}
