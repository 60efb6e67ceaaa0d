/*
 * instance.h: what l3dsrctl needs that the datapath maps do not hold (role, interface, mode, VIP
 * names, weights, daemon pid), kept in small user-space maps pinned beside the others, so that
 * every question about a running instance is answered from its pins alone.
 */
#ifndef L3DSR_INSTANCE_H
#define L3DSR_INSTANCE_H

#include <linux/types.h>
#include <net/if.h>
#include <stdbool.h>

#include "src/config/config.h"
#include "bpf/l3dsr_common.h"

/* Pin names, in the instance's pin directory. */
#define INSTANCE_MAP_INFO	     "instance" /* ARRAY, 1 entry: struct instance_info */
#define INSTANCE_MAP_VIP_NAMES	     "vip_names" /* ARRAY, L3DSR_MAX_VIPS: struct instance_vip_name */
#define INSTANCE_MAP_BACKEND_WEIGHTS "backend_weights" /* ARRAY, L3DSR_MAX_BACKENDS: __u32 (lb) */
/* ARRAY, L3DSR_MAX_BACKENDS: struct instance_backend_health (lb) */
#define INSTANCE_MAP_BACKEND_HEALTH "backend_health"
/* ARRAY, L3DSR_MAX_VIPS: struct instance_vip_state (lb) */
#define INSTANCE_MAP_VIP_STATE "vip_state"

/* Bumped whenever struct instance_info changes, so old pins are recognised and replaced. */
#define INSTANCE_INFO_VERSION 1

struct instance_info {
	__u32 version;	/* INSTANCE_INFO_VERSION */
	__u32 role;	/* enum l3dsr_role */
	__u32 xdp_mode; /* enum xdp_mode in effect: native or generic, never auto */
	__u32 ifindex;
	__u32 pid; /* of the daemon that wrote this; it may have died since (fail-static) */
	__u32 pad;
	__u64 started_realtime_ns; /* when that daemon attached or adopted the program */
	char ifname[IF_NAMESIZE];
	char config_path[CONFIG_PATH_MAX];
	char object_path[CONFIG_PATH_MAX];
};

/* Indexed by vip_index: the VIP's name from "[vip NAME]"; "" for an unused index. */
struct instance_vip_name {
	char name[CONFIG_NAME_MAX];
};

/*
 * Indexed by backend_id: what the health checks know of the backend (src/health/health.c). Valid
 * only while its address is the backend's: an id handed to another backend shows nothing stale.
 */
#define INSTANCE_HEALTH_F_CHECKED   (1U << 0) /* its VIP has a check (else it counts as up) */
#define INSTANCE_HEALTH_F_UP	    (1U << 1) /* the checks say up (or have not ended yet) */
#define INSTANCE_HEALTH_F_IN_TABLE  (1U << 2) /* takes new flows if it has a weight */
#define INSTANCE_HEALTH_F_FAIL_OPEN (1U << 3) /* its VIP: every backend down, last table kept */
#define INSTANCE_HEALTH_F_LATENCY   (1U << 4) /* latency_usec holds a successful check's */
struct instance_backend_health {
	struct l3dsr_address address;
	__u32 flags;	 /* INSTANCE_HEALTH_F_* */
	__u32 outcome;	 /* enum probe_outcome of the last check that ended */
	__u32 status;	 /* its HTTP status, 0 when none */
	__u32 successes; /* consecutive, against rise */
	__u32 failures;	 /* consecutive, against fall */
	__u32 rise;
	__u32 fall;
	__u32 latency_usec; /* of the last successful check */
	__u64 checks;	    /* that ended, since the daemon started */
	__u64 failed_checks;
	__u64 last_check_realtime_ns; /* when the last check ended; 0: none */
};

/* The daemon writes them, l3dsrctl reads them, each map's value size naming the layout: no
 * padding the fields do not name. */
_Static_assert(sizeof(struct instance_info) == 6 * 4 + 8 + IF_NAMESIZE + 2 * CONFIG_PATH_MAX,
	       "struct instance_info size");
_Static_assert(sizeof(struct instance_backend_health) == 16 + 8 * 4 + 3 * 8,
	       "struct instance_backend_health size");

/*
 * Indexed by vip_index: what the daemon says of the VIP beyond the maps. The fingerprint is of
 * its Maglev table as written (lb_fingerprint.h), equal on every LB that balances the VIP alike.
 */
#define INSTANCE_VIP_F_ANNOUNCED (1U << 0) /* its address is announced (src/announce) */
struct instance_vip_state {
	__u64 fingerprint;
	__u32 flags; /* INSTANCE_VIP_F_* */
	__u32 pad;
};
_Static_assert(sizeof(struct instance_vip_state) == 16, "struct instance_vip_state size");

struct instance_maps {
	int info;
	int vip_names;
	int backend_weights; /* -1 for the backend role */
	int backend_health;  /* -1 for the backend role */
	int vip_state;	     /* -1 for the backend role */
};

/*
 * For the daemon: opens the instance maps pinned in PIN_DIR, or creates and pins them when they
 * are missing or of another layout (they hold nothing that cannot be written again).
 * Returns 0 or -errno (logged).
 */
int instance_maps_create(const char *pin_dir, enum l3dsr_role role, struct instance_maps *maps);

/* For l3dsrctl: opens what is pinned; a missing map is left at -1. Returns 0, or -ENOENT when
 * PIN_DIR holds no instance. */
int instance_maps_open(const char *pin_dir, struct instance_maps *maps);

void instance_maps_close(struct instance_maps *maps);

int instance_write_info(const struct instance_maps *maps, const struct instance_info *info);
int instance_read_info(const struct instance_maps *maps, struct instance_info *info);

/* The VIP name of INDEX (written by lb_maps / backend_maps when they hand out an index). */
int instance_write_vip_name(const struct instance_maps *maps, __u32 index, const char *name);
void instance_read_vip_name(const struct instance_maps *maps, __u32 index, char *name, size_t size);

/* The per-VIP state of INDEX, each part written on its own (lb). Returns 0 or -errno. */
int instance_write_vip_fingerprint(const struct instance_maps *maps, __u32 index,
				   __u64 fingerprint);
int instance_write_vip_announced(const struct instance_maps *maps, __u32 index, bool announced);
int instance_read_vip_state(const struct instance_maps *maps, __u32 index,
			    struct instance_vip_state *state);

const char *instance_role_name(enum l3dsr_role role);
const char *instance_mode_name(enum xdp_mode mode);
/* The flow hash an lb program's settings FLAGS select, as flow-hash names it in lb.conf. */
const char *instance_flow_hash_name(__u32 settings_flags);

#endif /* L3DSR_INSTANCE_H */
