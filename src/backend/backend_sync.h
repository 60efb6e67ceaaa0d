/*
 * backend_sync.h: makes the backend program's maps say what backend.conf says (which DSCP code
 * or port turns a packet back into which VIP) and which real addresses this interface has.
 */
#ifndef L3DSR_BACKEND_SYNC_H
#define L3DSR_BACKEND_SYNC_H

#include <stddef.h>

#include "src/config/config.h"
#include "src/common/instance.h"
#include "src/daemon/loader.h"

struct backend_maps {
	int local_addresses;
	int dscp_vips;
	int port_vips;
	int vip_traffic;
	const struct instance_maps *instance; /* VIP names */
};

/* Finds the maps in a loaded backend.bpf.o. Returns 0, or -ENOENT (logged) when one is missing. */
int backend_maps_find(const struct loaded_object *object, const struct instance_maps *instance,
		      struct backend_maps *maps);

/* Brings dscp_vips and port_vips to CONFIG: new targets written before stale ones are cleared,
 * each VIP keeping its vip_index (and counters) while it stays. Logs each change. Returns 0 or
 * -errno (logged). */
int backend_maps_apply(const struct backend_maps *maps, const struct l3dsr_config *config);

/* Brings local_addresses to the addresses IFNAME has now, logging each one added or removed.
 * *COUNT gets how many there are. Returns 0 or -errno (logged). */
int backend_maps_refresh_addresses(const struct backend_maps *maps, const char *ifname,
				   size_t *count);

#endif /* L3DSR_BACKEND_SYNC_H */
