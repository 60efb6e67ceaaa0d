/*
 * health_memory.h: the backends' health as an earlier daemon left it in the pinned records
 * (instance map backend_health), read back when a daemon adopts the pins, so that a backend that
 * was down stays out of the tables until its checks pass again.
 */
#ifndef L3DSR_HEALTH_MEMORY_H
#define L3DSR_HEALTH_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include "src/common/instance.h"
#include "src/config/config.h"

struct health_memory_entry {
	char vip[CONFIG_NAME_MAX];
	struct instance_backend_health record;
};

struct health_memory {
	struct health_memory_entry *entries;
	size_t count;
};

/*
 * Reads the records of the checked backends in use from INSTANCE's backend_health map, with
 * their VIP's name, from the LB's BACKENDS_MAP and INSTANCE's vip_names. Records whose address
 * is no longer their backend's are left out. Returns 0 or -errno (MEMORY is then empty).
 */
int health_memory_read(struct health_memory *memory, int backends_map,
		       const struct instance_maps *instance);

/* The record of BACKEND of VIP, or NULL when none is remembered or VIP has no check now. */
const struct instance_backend_health *health_memory_find(const struct health_memory *memory,
							 const struct vip_config *vip,
							 const struct backend_config *backend);

void health_memory_free(struct health_memory *memory);

#endif /* L3DSR_HEALTH_MEMORY_H */
