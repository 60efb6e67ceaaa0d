/*
 * health_memory.c: the backends' health as an earlier daemon left it in the pinned records, read
 * back when a daemon adopts the pins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/address.h"
#include "src/common/maps.h"
#include "src/health/health_memory.h"

int health_memory_read(struct health_memory *memory, int backends_map,
		       const struct instance_maps *instance)
{
	uint32_t capacity = maps_max_entries(backends_map);
	struct backend_info *backends = NULL;
	struct instance_backend_health *records = NULL;
	struct instance_vip_name *names = NULL;
	int result = 0;

	memset(memory, 0, sizeof(*memory));
	if (instance->backend_health < 0 || capacity == 0)
		return 0;
	/* Records exist only for ids below L3DSR_MAX_BACKENDS (health.c writes no others). */
	if (capacity > L3DSR_MAX_BACKENDS)
		capacity = L3DSR_MAX_BACKENDS;
	backends = calloc(capacity, sizeof(*backends));
	records = calloc(capacity, sizeof(*records));
	names = calloc(L3DSR_MAX_VIPS, sizeof(*names));
	memory->entries = calloc(capacity, sizeof(*memory->entries));
	if (!backends || !records || !names || !memory->entries) {
		result = -ENOMEM;
		goto out;
	}
	result = maps_read_array(backends_map, capacity, sizeof(*backends), backends);
	if (!result)
		result =
		    maps_read_array(instance->backend_health, capacity, sizeof(*records), records);
	if (!result)
		result =
		    maps_read_array(instance->vip_names, L3DSR_MAX_VIPS, sizeof(*names), names);
	if (result)
		goto out;
	for (uint32_t id = 0; id < capacity; id++) {
		const struct backend_info *backend = &backends[id];
		struct health_memory_entry *entry = &memory->entries[memory->count];

		/* A record is the backend's only while it names the backend's address; one never
		 * checked says nothing the new daemon would not presume anyway. */
		if (!(backend->flags & BACKEND_F_IN_USE) || backend->vip_index >= L3DSR_MAX_VIPS ||
		    !(records[id].flags & INSTANCE_HEALTH_F_CHECKED) || records[id].checks == 0 ||
		    !address_equal(&records[id].address, &backend->address))
			continue;
		memcpy(entry->vip, names[backend->vip_index].name, sizeof(entry->vip));
		entry->vip[sizeof(entry->vip) - 1] = '\0';
		if (!entry->vip[0])
			continue;
		entry->record = records[id];
		memory->count++;
	}
out:
	free(backends);
	free(records);
	free(names);
	if (result)
		health_memory_free(memory);
	return result;
}

const struct instance_backend_health *health_memory_find(const struct health_memory *memory,
							 const struct vip_config *vip,
							 const struct backend_config *backend)
{
	struct l3dsr_address address = address_from_config(&backend->address);

	if (vip->check.type == CHECK_NONE)
		return NULL;
	for (size_t i = 0; i < memory->count; i++)
		if (!strcmp(memory->entries[i].vip, vip->name) &&
		    address_equal(&memory->entries[i].record.address, &address))
			return &memory->entries[i].record;
	return NULL;
}

void health_memory_free(struct health_memory *memory)
{
	free(memory->entries);
	memset(memory, 0, sizeof(*memory));
}
