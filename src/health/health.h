/*
 * health.h: the load balancer's health checks: one probe per backend every interval, rise/fall
 * counting, the state each backend is in and whether it takes new flows, fail-open, and what
 * l3dsrctl and the metrics are told (docs/health-checks.md).
 */
#ifndef L3DSR_HEALTH_H
#define L3DSR_HEALTH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "src/config/config.h"
#include "src/common/instance.h"
#include "bpf/l3dsr_common.h"
#include "src/health/probe.h"
#include "src/health/probe_ports.h"

struct health;
struct health_vip;

struct health_backend {
	struct health *health;
	struct health_vip *vip;
	struct l3dsr_address address;
	uint32_t weight;
	uint32_t id; /* backend_id in the maps, when id_known */
	bool id_known;

	bool up;       /* what the checks say; presumed up until the first check ends */
	bool checked;  /* a check has ended since the backend was configured */
	bool in_table; /* takes new flows: up, or kept by fail-open */
	uint32_t successes, failures; /* consecutive */
	enum probe_outcome last_outcome;
	uint16_t last_status;
	bool has_latency;
	uint64_t last_latency_usec; /* of the last successful check */
	uint64_t last_check_realtime_ns;
	uint64_t checks, failed_checks;
	uint64_t outcome_counts[PROBE_OUTCOME_COUNT]; /* checks that ended so, since start */
	uint64_t state_changes;

	sd_event_source *timer; /* the next check */
	uint64_t next_check_usec;
	struct probe *probe; /* the check in flight */
};

struct health_vip {
	char name[CONFIG_NAME_MAX];
	int family; /* AF_INET or AF_INET6 */
	struct l3dsr_address address;
	uint8_t dscp;
	struct check_config check;
	uint32_t index; /* vip_index in the maps, when index_known */
	bool index_known;
	bool fail_open; /* every backend with a weight is down: the last table is kept */
	struct health_backend **backends;
	size_t backend_count;
};

/* Called (from the event loop, never from within a health_* call) after backends changed state;
 * TABLES when some entered or left the tables: the maps must follow health_in_table. */
typedef void health_changed_fn(void *context, bool tables);

struct health {
	sd_event *event;
	char ifname[IF_NAMESIZE];
	int record_map; /* the instance's backend_health map */
	struct probe_ports ports;
	int probes_map;
	struct l3dsr_address source4, source6; /* the interface's addresses probes come from */
	bool has_source4, has_source6;
	struct health_vip *vips;
	size_t vip_count;
	health_changed_fn *changed;
	void *changed_context;
	sd_event_source *changed_event; /* deferred, so changes of one loop turn are applied once */
	bool tables_changed;		/* since the last call of changed */
};

struct health_summary {
	size_t backends;
	size_t backends_up;
	size_t fail_open_vips;
	char fail_open_names[128]; /* "web, api" (cut to fit) */
};

/*
 * Prepares HEALTH for the instance on IFNAME: PROBES_MAP is the LB program's probes map,
 * RECORD_MAP the pinned backend_health map. CHANGED is called when the tables must change.
 * Returns 0 or -errno (logged).
 */
int health_init(struct health *health, sd_event *event, const char *ifname, int probes_map,
		int record_map, health_changed_fn *changed, void *context);

/*
 * Brings the checks to CONFIG (at start and after each applied reload). A backend that stays
 * (same VIP name, same address) keeps its state and counters; a new one is presumed up and its
 * first check comes within one interval. Returns 0 or -errno (logged).
 */
int health_configure(struct health *health, const struct l3dsr_config *config);

/* Whether BACKEND of VIP takes new flows: its state, or fail-open's; true for one unknown. */
bool health_in_table(const struct health *health, const struct vip_config *vip,
		     const struct backend_config *backend);

/* Whether the checks say BACKEND of VIP is up (fail-open aside); true for one unknown. */
bool health_up(const struct health *health, const struct vip_config *vip,
	       const struct backend_config *backend);

/*
 * Learns the VIPs' indexes and the backends' ids from the maps (after every change to them) and
 * writes every backend's record for l3dsrctl.
 */
void health_refresh_ids(struct health *health, int backends_map,
			const struct instance_maps *instance);

/* Periodic work: the interface's addresses may have changed. */
void health_tick(struct health *health);

void health_summarize(const struct health *health, struct health_summary *summary);

/* Cancels every check; the maps keep what they hold. */
void health_free(struct health *health);

#endif /* L3DSR_HEALTH_H */
