/*
 * route.h: kernel routes by rtnetlink (over a struct netlink): add, delete, and dump the routes of
 * one routing protocol. Addresses are held as everywhere in l3dsr: IPv4 v4-mapped (::ffff:a.b.c.d).
 */
#ifndef L3DSR_NETLINK_ROUTE_H
#define L3DSR_NETLINK_ROUTE_H

#include <netinet/in.h>
#include <stdint.h>

#include "src/netlink/netlink.h"

struct netlink_route {
	int family; /* AF_INET or AF_INET6 */
	struct in6_addr destination;
	uint8_t prefix_length; /* 32 or 128 for a host route */
	uint8_t type;	       /* RTN_LOCAL, RTN_BLACKHOLE, RTN_UNICAST, ... */
	uint8_t protocol;      /* RTPROT_*, or one of our own */
	uint32_t table;	       /* RT_TABLE_MAIN, RT_TABLE_LOCAL, ... */
	int ifindex;	       /* the output device; 0: none (a blackhole) */
};

/*
 * Adds ROUTE. It never replaces a route someone else put there: -EEXIST when the table already
 * holds one for that destination. Returns 0 or -errno.
 */
int netlink_route_add(struct netlink *netlink, const struct netlink_route *route);

/* Deletes ROUTE, matched by destination, table, type and protocol: another protocol's route to
 * the same destination stays. -ESRCH when there is none. Returns 0 or -errno. */
int netlink_route_delete(struct netlink *netlink, const struct netlink_route *route);

/* Called for each route of a dump. */
typedef void netlink_route_fn(const struct netlink_route *route, void *context);

/*
 * Calls FOUND for every route of routing protocol PROTOCOL in every table, IPv4 and IPv6.
 * Returns 0 or -errno.
 */
int netlink_route_dump(struct netlink *netlink, uint8_t protocol, netlink_route_fn *found,
		       void *context);

/* "192.0.2.10/32" or "2001:db8::10/128", for messages. */
const char *netlink_route_format(const struct netlink_route *route, char *text, size_t size);

#endif /* L3DSR_NETLINK_ROUTE_H */
