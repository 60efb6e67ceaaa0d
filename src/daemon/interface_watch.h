/*
 * interface_watch.h: follows the daemon's interface by rtnetlink link events (src/netlink), so
 * that the service learns at once when the interface goes away and when one of its name is back.
 */
#ifndef L3DSR_INTERFACE_WATCH_H
#define L3DSR_INTERFACE_WATCH_H

#include <net/if.h>
#include <systemd/sd-event.h>

#include "src/netlink/netlink.h"

/* Something happened to an interface of the watched name (created, deleted, changed), or events
 * were lost: the callee looks at the interface itself. */
typedef void interface_watch_fn(void *context);

struct interface_watch {
	struct netlink netlink;
	sd_event_source *source;
	char ifname[IF_NAMESIZE];
	interface_watch_fn *changed;
	void *context;
	bool seen; /* an event for ifname in the batch being read */
};

/*
 * Subscribes to link events (RTMGRP_LINK) in EVENT's loop and calls CHANGED with CONTEXT after
 * each batch that concerns IFNAME. Returns 0 or -errno (WATCH is then inert).
 */
int interface_watch_start(struct interface_watch *watch, sd_event *event, const char *ifname,
			  interface_watch_fn *changed, void *context);

void interface_watch_stop(struct interface_watch *watch);

#endif /* L3DSR_INTERFACE_WATCH_H */
