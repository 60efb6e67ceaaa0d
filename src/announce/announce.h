/*
 * announce.h: what this load balancer tells the routers, as kernel routes that BIRD or FRR carry
 * into BGP (docs/scale-out.md): per VIP address it serves, an ownership route (the LB's kernel
 * takes the VIP as its own: it answers a ping, resets a port no VIP has, never forwards a VIP
 * packet back out), and, while it can serve one of the address's VIPs, an announcement route.
 * The kernel's routes are the state: each apply reads them back and corrects them, so a restart
 * after a crash adopts what the last daemon left, keeping what is still wanted.
 */
#ifndef L3DSR_ANNOUNCE_H
#define L3DSR_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "src/config/config.h"
#include "src/netlink/netlink.h"

/*
 * The routing protocols of our routes, named in /etc/iproute2/rt_protos.d/l3dsr.conf:
 * "l3dsr": blackhole VIP/32 or /128 in table main, one per VIP address announced now;
 * "l3dsr-local": local VIP/32 or /128 dev lo in table local, one per VIP address served.
 */
#define ANNOUNCE_PROTOCOL	     250
#define ANNOUNCE_PROTOCOL_OWNED	     251
#define ANNOUNCE_PROTOCOL_NAME	     "l3dsr"
#define ANNOUNCE_PROTOCOL_OWNED_NAME "l3dsr-local"

/* Whether BACKEND of VIP is up as the health checks see it (fail-open does not count). */
typedef bool announce_up_fn(void *context, const struct vip_config *vip,
			    const struct backend_config *backend);

enum announce_mode {
	ANNOUNCE_SERVE,	   /* own every VIP address; announce those that can be served */
	ANNOUNCE_WITHDRAW, /* stopping: own every VIP address, announce none */
	ANNOUNCE_RELEASE,  /* detached: neither */
};

struct announce_address {
	struct config_address address;
	bool wanted;	/* should be announced */
	bool announced; /* the announcement route is in the kernel */
	bool owned;	/* the ownership route is in the kernel (ours or one already there) */
};

struct announce {
	struct netlink netlink;
	bool open;
	int loopback;			    /* ifindex of lo */
	struct announce_address *addresses; /* the configuration's VIP addresses, last apply */
	size_t address_count;
	size_t announced_count;
	bool failed; /* the last apply failed (said once until it works again) */
};

/* Opens the netlink socket. Returns 0 or -errno (logged). */
int announce_open(struct announce *announce);

/*
 * Brings the kernel's routes of both protocols to what MODE and CONFIG ask: an address is
 * announced in ANNOUNCE_SERVE when CONFIG is not drained and one of its VIPs has a backend with
 * a weight that IS_UP says is up. Routes of addresses no longer in CONFIG are deleted;
 * withdrawals come before anything is added, ownership routes before announcements. Logs each
 * change. Returns 0 or -errno (logged once); what could be done is done.
 */
int announce_apply(struct announce *announce, const struct l3dsr_config *config,
		   enum announce_mode mode, announce_up_fn *is_up, void *context);

/* Whether the VIP address ADDRESS is announced now. */
bool announce_is_announced(const struct announce *announce, const struct config_address *address);

/* Closes the socket; the routes stay as they are. */
void announce_close(struct announce *announce);

#endif /* L3DSR_ANNOUNCE_H */
