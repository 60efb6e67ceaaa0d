/* lb_rings.c: a VIP's Maglev ring in the kernel: an inner ARRAY of backend ids in maglev_rings. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "src/lb/lb_rings.h"
#include "src/common/maps.h"

int lb_ring_open(int maglev_rings, uint32_t index, uint32_t *size)
{
	__u32 ring_id;
	int fd;

	/* From user space, a map-in-map lookup yields the inner map's id, not an fd. */
	if (bpf_map_lookup_elem(maglev_rings, &index, &ring_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(ring_id);
	if (fd < 0)
		return -errno;
	*size = maps_max_entries(fd);
	return fd;
}

long lb_ring_rewrite(int ring, const uint32_t *table, uint32_t size)
{
	uint32_t *current = malloc(sizeof(*current) * size);
	uint32_t *keys = malloc(sizeof(*keys) * size);
	uint32_t *values = malloc(sizeof(*values) * size);
	uint32_t changed = 0;
	long result = -ENOMEM;

	if (!current || !keys || !values)
		goto out;
	result = maps_read_array(ring, size, sizeof(*current), current);
	if (result)
		goto out;
	for (uint32_t slot = 0; slot < size; slot++) {
		if (current[slot] == table[slot])
			continue;
		keys[changed] = slot;
		values[changed] = table[slot];
		changed++;
	}
	result = maps_write_array_slots(ring, keys, values, changed);
	if (!result)
		result = changed;
out:
	free(current);
	free(keys);
	free(values);
	return result;
}

int lb_ring_create(const uint32_t *table, uint32_t size, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = flags);
	uint32_t *keys = malloc(sizeof(*keys) * size);
	int fd = -ENOMEM, result;

	if (!keys)
		return -ENOMEM;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "maglev_ring", sizeof(__u32), sizeof(__u32), size,
			    &options);
	if (fd < 0) {
		fd = -errno;
		goto out;
	}
	for (uint32_t slot = 0; slot < size; slot++)
		keys[slot] = slot;
	result = maps_write_array_slots(fd, keys, table, size);
	if (result) {
		close(fd);
		fd = result;
	}
out:
	free(keys);
	return fd;
}

int lb_ring_install(int maglev_rings, uint32_t index, int ring)
{
	return bpf_map_update_elem(maglev_rings, &index, &ring, BPF_ANY) ? -errno : 0;
}

int lb_ring_remove(int maglev_rings, uint32_t index)
{
	if (bpf_map_delete_elem(maglev_rings, &index) && errno != ENOENT)
		return -errno;
	return 0;
}
