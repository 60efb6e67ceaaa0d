/*
 * egress.h: keeps the LB program's egress_devices map: the interfaces that can take the frames
 * it redirects, from the XDP features the kernel reports for each (netdev netlink family).
 */
#ifndef L3DSR_EGRESS_H
#define L3DSR_EGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "src/netlink/netlink.h"

struct egress {
	bool started;		 /* egress_start ran (its resources are to be freed) */
	int map_fd;		 /* egress_devices (a dup), -1 when there is none */
	struct netlink requests; /* dumps of the netdev family */
	struct netlink events;	 /* its "mgmt" notifications: features changed */
	sd_event_source *source; /* events in the daemon's loop */
	uint16_t family;	 /* the netdev family's id; 0: the kernel has none */
	size_t devices;		 /* interfaces in the map after the last sync */
};

/*
 * Fills MAP_FD (egress_devices) with the interfaces that can take XDP frames now and follows
 * their changes in EVENT's loop (an XDP program attached to a veth's peer, an interface added
 * or removed). A kernel without the netdev family (before Linux 6.3) cannot say: then the map
 * holds only EGRESS_ANY_DEVICE and every interface is tried, with a warning. Returns 0 or
 * -errno (logged).
 */
int egress_start(struct egress *egress, int map_fd, sd_event *event);

/* After a reload: MAP_FD is the map now in use (it may be a new one); fills it. */
int egress_use_map(struct egress *egress, int map_fd);

void egress_stop(struct egress *egress);

#endif /* L3DSR_EGRESS_H */
