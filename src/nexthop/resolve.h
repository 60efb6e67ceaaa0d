/*
 * resolve.h: the next hop bpf_fib_lookup would answer for a packet to one address that came in
 * by a given interface, asked of the kernel by rtnetlink (route, neighbour, link), under the
 * conditions of resolve_conditions.h.
 */
#ifndef L3DSR_NEXT_HOP_RESOLVE_H
#define L3DSR_NEXT_HOP_RESOLVE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "bpf/l3dsr_common.h"
#include "src/netlink/netlink.h"
#include "src/nexthop/resolve_conditions.h"

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

/*
 * What many addresses of one refresh share (the egress links, the gateways' neighbours), asked
 * of the kernel once per refresh: a snapshot as consistent as asking for each address, and
 * a few requests instead of three per address behind one gateway.
 */
struct resolve_cache;
struct resolve_cache *resolve_cache_new(void);
void resolve_cache_free(struct resolve_cache *cache);

enum resolve_family resolve_family_of(const struct l3dsr_address *address);

/* The per-interface forwarding setting of both families (the helper's check), or -errno
 * (-ENODEV: no such interface). */
int resolve_forwarding(struct netlink *netlink, int ifindex, bool forwarding[RESOLVE_FAMILIES]);

/* AF_INET or AF_INET6. */
int resolve_socket_family(enum resolve_family family);

/* An address attribute of FAMILY (AF_INET: 4 bytes) into the maps' form; false if malformed. */
bool resolve_read_address(const struct nlattr *attribute, int family,
			  struct l3dsr_address *address);

/* ADDRESS's answer under CONDITIONS (CACHE may be NULL). Kernel errors give a not-live answer
 * saying so. */
void resolve_address(struct netlink *netlink, const struct resolve_conditions *conditions,
		     struct resolve_cache *cache, const struct l3dsr_address *address,
		     struct resolve_answer *answer);

#endif /* L3DSR_NEXT_HOP_RESOLVE_H */
