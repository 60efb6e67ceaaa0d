/*
 * lb_sync.h: makes the load balancer's maps say what the configuration says: VIPs, backends with
 * stable ids, Maglev rings, settings. The maps themselves are the state: the difference is taken
 * against what they hold, so a first start, an adopted restart and a reload are the same step.
 */
#ifndef L3DSR_LB_SYNC_H
#define L3DSR_LB_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "src/config/config.h"
#include "src/common/instance.h"
#include "src/daemon/loader.h"

struct lb_maps {
	int vip_address_filter;
	int vip_addresses;
	int vips;
	int vip_slots;
	int vip_infos;
	int maglev_rings;
	int ring_changes;
	int ring_mark_use;
	int backends;
	int settings;
	int vip_traffic;
	int backend_traffic;
	__u32
	    ring_flags; /* map flags of the object's inner ring template, which rings must match */
	const struct instance_maps *instance; /* VIP names and backend weights */
};

/* Whether BACKEND of VIP may take new flows now: the one place backend state comes from (the
 * service answers from the health checks, every backend being up until they start). */
typedef bool lb_backend_up_fn(void *context, const struct vip_config *vip,
			      const struct backend_config *backend);

struct lb_summary {
	size_t vips;
	size_t backends;
	size_t backends_up;
};

/* Finds the maps in a loaded lb.bpf.o. Returns 0, or -ENOENT (logged) when one is missing. */
int lb_maps_find(const struct loaded_object *object, const struct instance_maps *instance,
		 struct lb_maps *maps);

/*
 * Brings the maps to CONFIG in an order that never leaves a packet without a valid choice:
 * new backends and rings before the keys that lead to them, keys removed before what they lead
 * to, ring slots rewritten one by one (a slot moves from its old backend to its new one, never
 * to nothing), a ring of another size swapped in the order of l3dsr_common.h. A VIP keeps its
 * vip_index and a backend its backend_id as long as they stay in the configuration, so flows
 * and counters survive. Logs one line per change. Returns 0 or -errno (logged).
 */
int lb_maps_apply(const struct lb_maps *maps, const struct l3dsr_config *config,
		  lb_backend_up_fn *is_up, void *context, struct lb_summary *summary);

/* The vip_index the maps give VIP. Returns 0, or -ENOENT when it is not in the maps. */
int lb_maps_vip_index(const struct lb_maps *maps, const struct vip_config *vip, uint32_t *index);

#endif /* L3DSR_LB_SYNC_H */
