/* ctl_read.h: everything l3dsrctl shows about an instance, read from its pins alone. */
#ifndef L3DSR_CTL_READ_H
#define L3DSR_CTL_READ_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/instance.h"
#include "bpf/l3dsr_common.h"

struct ctl_backend {
	struct l3dsr_address address;
	uint32_t id;
	uint32_t weight;
	uint32_t flags; /* BACKEND_F_* */
	uint32_t slots; /* ring slots it owns */
	struct traffic_counter traffic;
	/* What the daemon's health checks say (src/health/health.c), when they wrote for this
	 * backend. */
	bool has_health;
	struct instance_backend_health health;
	/* lb: the next hop l3dsrd keeps for it (src/nexthop), when live and resolved for this
	 * address and the instance's interface; else the program asks the FIB per packet. */
	bool has_next_hop;
	struct next_hop next_hop;
};

struct ctl_vip {
	uint32_t index;
	char name[CONFIG_NAME_MAX];
	struct l3dsr_address address;
	uint8_t protocol;    /* IPPROTO_TCP, IPPROTO_UDP, 0: any */
	uint16_t port;	     /* host order; 0: all ports */
	uint8_t dscp;	     /* 0: none */
	uint32_t table_size; /* lb */
	struct traffic_counter traffic;
	struct ctl_backend *backends; /* lb */
	size_t backend_count;
	bool fail_open;	      /* lb: every backend down, the last table kept */
	bool announced;	      /* lb: its address is announced (src/announce) */
	char fingerprint[17]; /* lb: of its Maglev table, 16 hex digits (lb_fingerprint.h) */
};

struct ctl_instance {
	char pin_dir[PATH_MAX];
	struct instance_info info;
	bool daemon_running; /* the pid recorded is alive and is an l3dsrd */
	bool attached;	     /* the pinned link still holds the interface */
	uint32_t link_id;
	uint32_t program_id;
	struct ctl_vip *vips; /* by vip_index */
	size_t vip_count;
	struct traffic_counter counters[LB_COUNTER_MAX]; /* the role's global counters */
	size_t counter_count;
	/* lb: the pinned settings map, which the program reads (not lb.conf, which may have
	 * changed since it was applied) */
	struct lb_settings settings;
	struct l3dsr_address *local_addresses; /* backend */
	size_t local_address_count;
};
_Static_assert((int)BACKEND_COUNTER_MAX <= (int)LB_COUNTER_MAX,
	       "counters holds either role's counters");

/* The names of the global counters of ROLE, as shown and as JSON keys; *COUNT of them. */
const char *const *ctl_counter_names(enum l3dsr_role role, size_t *count);

/*
 * The instance directories under ROOT (each holding an "instance" map), sorted; only IFNAME's
 * when IFNAME is not NULL. Returns 0 and a malloc'd array of malloc'd paths, or -errno.
 */
int ctl_list_instances(const char *root, const char *ifname, char ***dirs, size_t *count);
void ctl_free_list(char **dirs, size_t count);

/* Reads the instance pinned in PIN_DIR. Returns 0 or -errno (with a message in ERROR). */
int ctl_read_instance(const char *pin_dir, struct ctl_instance *instance, char *error,
		      size_t error_size);
void ctl_free_instance(struct ctl_instance *instance);

#endif /* L3DSR_CTL_READ_H */
