/*
 * service.h: the one XDP instance a daemon runs on its interface: load the object, fill the
 * maps, attach or adopt, reload in place, detach and unpin.
 */
#ifndef L3DSR_SERVICE_H
#define L3DSR_SERVICE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/announce/announce.h"
#include "src/backend/backend_sync.h"
#include "src/config/config.h"
#include "src/health/health.h"
#include "src/common/instance.h"
#include "src/lb/lb_sync.h"
#include "src/daemon/loader.h"
#include "src/nexthop/next_hop.h"

struct service {
	/* From the command line. */
	enum l3dsr_role role;
	const char *ifname;
	const char *config_path;
	char object_path[PATH_MAX];
	char pin_dir[PATH_MAX];

	int ifindex;
	struct l3dsr_config config; /* the configuration in force */
	struct loaded_object object;
	struct instance_maps instance;
	struct lb_maps lb;
	struct backend_maps backend;
	int link_fd;
	int pin_lock_fd;
	enum xdp_mode mode;	      /* in effect: native or generic */
	uint64_t started_realtime_ns; /* when this daemon attached or adopted the program */
	bool interface_gone;	      /* the kernel took the program off with it; waiting for it */

	/* lb: the health checks, once service_start_checks has run. */
	struct health health;
	bool checks_started;
	bool apply_pending; /* a state change the maps could not take yet */
	/* The health the pinned records remember, from service_start to the checks' start. */
	struct health_memory health_memory;

	/* Both roles: the statistics file. */
	char statistics_file[CONFIG_PATH_MAX]; /* the one written last, removed at stop */
	bool statistics_failed;		       /* the last write failed (said once) */

	/* lb: the next-hop cache (src/nexthop), from service_start_next_hops until the stop or
	 * the leave; NULL when it could not start (the program asks the FIB for everything). */
	struct next_hops *next_hops;

	/* lb: the VIP routes (src/announce), from start until detach. */
	struct announce announce;
	bool stopping; /* withdrawn for the stop: nothing is announced again */

	/* For STATUS=. */
	struct lb_summary lb_summary;
	size_t local_address_count;
	uint64_t last_packets;
	uint64_t last_sample_ns;
	double packets_per_second;
};

/*
 * Parses PATH for ROLE into CONFIG, logging each error and warning line. Returns the number of
 * errors (CONFIG is usable only when 0).
 */
int service_parse_config(const char *path, enum l3dsr_role role, struct l3dsr_config *config);

/*
 * Brings SERVICE up: checks forwarding (lb), prepares and locks the pin directory, loads the
 * object reusing pinned maps, fills the maps from SERVICE->config, then adopts the pinned link
 * (swapping in the new program) or attaches a new one and pins it. SERVICE->role, ifname,
 * ifindex, config_path, object_path, pin_dir and config must be set. Returns 0 or -errno
 * (logged); a failed first start leaves no pins behind, a failed adoption leaves them as they
 * were.
 */
int service_start(struct service *service);

/*
 * Re-reads the configuration and the object file. Any error: logged, everything kept. Else the
 * maps are brought to the new configuration in place, and when the object file changed (or a
 * map must change size) the new program replaces the old one atomically, keeping the maps.
 * Returns 0 when the new configuration is in force.
 */
int service_reload(struct service *service);

/* Whether a reload now would be applied: the configuration parses and (lb) forwarding is on
 * for its families. Returns 0, or -EINVAL with the reasons logged as a refused reload. */
int service_check_reload(const struct service *service);

/*
 * lb: starts the health checks in EVENT's loop (after service_start). From then on backend state
 * changes reach the maps, STATUS= and the statistics file. Returns 0 or -errno (logged).
 */
int service_start_checks(struct service *service, sd_event *event);

/*
 * lb: brings the VIP routes to the state in force (src/announce/announce.h) and records per VIP
 * whether it is announced, for l3dsrctl. Called after every change and at each tick.
 */
void service_announce(struct service *service);

/*
 * lb: fills next_hops and follows the kernel's routes, neighbours and links in EVENT's loop
 * from then on (after service_start). A failure is logged and the daemon serves on: every
 * packet asks bpf_fib_lookup, as before the cache.
 */
void service_start_next_hops(struct service *service, sd_event *event);

/* lb, first step of a stop: withdraws every announcement; forwarding and ownership stay. */
void service_withdraw(struct service *service);

/* Detaches the program, removes the ownership routes (lb), the pins and the pin directory.
 * Returns 0 or -errno. */
int service_stop(struct service *service);

/*
 * Follows the interface (after a link event, and at each tick): when it is gone, the program went
 * with it (logged once, STATUS= says so); when an interface of the name is there again, the
 * program is attached to it with a new link, pinned in place of the old. Link down and up need
 * nothing. Returns true when the interface went or came back (STATUS= to refresh).
 */
bool service_check_interface(struct service *service);

/* Ends the checks and lets go of everything without detaching or unpinning: the program keeps
 * forwarding (fail-static) for the next daemon, which adopts the pins. */
void service_leave(struct service *service);

/* Periodic work: refreshes the backend's local addresses, the packet rate, the probes' source
 * addresses and the statistics file. */
void service_tick(struct service *service);

/* The STATUS= line, e.g. "lb on eth0 (native): 2 VIPs, 2/2 addresses announced, 5/6 backends
 * up, 1.2 Mpps". */
void service_status(const struct service *service, char *text, size_t size);

#endif /* L3DSR_SERVICE_H */
