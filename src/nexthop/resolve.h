/*
 * resolve.h: the next hop bpf_fib_lookup would answer for a packet to one address that came in
 * by a given interface, asked of the kernel by rtnetlink (route, neighbour, link), and the
 * conditions under which that answer depends on the destination alone (rules, source-specific
 * and TOS routes, forwarding).
 */
#ifndef L3DSR_NEXT_HOP_RESOLVE_H
#define L3DSR_NEXT_HOP_RESOLVE_H

#include <net/if.h>
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

/* One address's answer. */
struct resolve_answer {
	bool live;		  /* HOP is exact for every packet to the address */
	struct next_hop hop;	  /* when live */
	const char *reason;	  /* when not: why the program must ask the FIB */
	struct l3dsr_address via; /* the gateway, or the address itself when on link */
	char ifname[IF_NAMESIZE]; /* the egress interface's name, when live */
	/* The neighbour the answer depends on (0: none): its events call for a new answer. */
	int neighbour_ifindex;
	struct l3dsr_address neighbour;
};

enum resolve_family resolve_family_of(const struct l3dsr_address *address);

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

/* ADDRESS's answer under CONDITIONS. Kernel errors give a not-live answer saying so. */
void resolve_address(struct netlink *netlink, const struct resolve_conditions *conditions,
		     const struct l3dsr_address *address, struct resolve_answer *answer);

#endif /* L3DSR_NEXT_HOP_RESOLVE_H */
