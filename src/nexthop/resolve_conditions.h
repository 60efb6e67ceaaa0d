/*
 * resolve_conditions.h: what makes bpf_fib_lookup's answer depend on more than the destination,
 * read for a whole family at once (resolve_conditions.c); resolve_address answers only where
 * none holds.
 */
#ifndef L3DSR_NEXT_HOP_RESOLVE_CONDITIONS_H
#define L3DSR_NEXT_HOP_RESOLVE_CONDITIONS_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>

#include "bpf/l3dsr_common.h"
#include "src/netlink/netlink.h"

/* Index of a family in the per-family arrays below. */
enum resolve_family {
	RESOLVE_IPV4,
	RESOLVE_IPV6,
	RESOLVE_FAMILIES,
};

/* What holds for every address of a family, read once per refresh. */
struct resolve_conditions {
	int ingress_ifindex;
	bool ingress_present; /* the interface exists (it may be gone, to be created again) */
	bool forwarding[RESOLVE_FAMILIES];   /* on the ingress interface */
	bool custom_rules[RESOLVE_FAMILIES]; /* policy-routing rules beyond the defaults */
	/* IPv4 routes with a TOS, IPv6 routes with a source prefix (any table): counted by
	 * resolve_count_special_routes. */
	size_t special_routes[RESOLVE_FAMILIES];
};

/*
 * Reads CONDITIONS for INGRESS_IFINDEX: forwarding and the rules of both families (the special
 * route counts are left as they are). Returns 0 or -errno.
 */
int resolve_read_conditions(struct netlink *netlink, int ingress_ifindex,
			    struct resolve_conditions *conditions);

/* Counts FAMILY's special routes (see above) by a dump of every table. Returns 0 or -errno. */
int resolve_count_special_routes(struct netlink *netlink, enum resolve_family family,
				 size_t *count);

/* Whether a route message (an event) is a special route in the sense above. */
bool resolve_route_is_special(const struct nlmsghdr *header);

/*
 * The destination prefix of a route message, in the maps' form (IPv4 v4-mapped, its length
 * then counted over the 128 bits). Returns false when the message carries none that parses.
 */
bool resolve_route_prefix(const struct nlmsghdr *header, struct l3dsr_address *prefix,
			  unsigned int *length);

/* Whether ADDRESS is within PREFIX/LENGTH (as resolve_route_prefix gives them). */
bool resolve_prefix_covers(const struct l3dsr_address *prefix, unsigned int length,
			   const struct l3dsr_address *address);

#endif /* L3DSR_NEXT_HOP_RESOLVE_CONDITIONS_H */
