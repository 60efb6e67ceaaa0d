/*
 * next_hop.c: the next-hop follower (next_hop.h). A refresh reads the backends map, resolves
 * each distinct backend address once (resolve.c) and writes the next_hops entries that changed
 * (next_hop_map.c). The kernel's events on one subscribed socket call for a refresh: everything
 * pending is read first, then one refresh answers them all.
 *
 * Each backend address's next hop is logged once when it changes (and at start), in one of two
 * forms the tests read:
 *	next hop of backend ADDRESS: GATEWAY dev IFNAME lladdr aa:bb:cc:dd:ee:ff mtu N
 *	next hop of backend ADDRESS: kernel FIB lookup (REASON)
 * GATEWAY is the address itself when it is on a connected network.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "src/common/address.h"
#include "src/common/log.h"
#include "src/nexthop/next_hop.h"
#include "src/nexthop/next_hop_map.h"
#include "src/nexthop/resolve.h"

/* Room for a burst of events (a link going down takes its routes and neighbours with it). */
#define NEXT_HOP_RECEIVE_BUFFER (1 << 20)

/* Long enough for the longest line of the forms above. */
#define NEXT_HOP_LINE_MAX 192

/* One distinct backend address. */
struct next_hop_address {
	struct l3dsr_address address;
	struct resolve_answer answer;
	char line[NEXT_HOP_LINE_MAX]; /* the line logged last for it */
};

struct next_hops {
	int backends_fd;
	int next_hops_fd;
	int ingress_ifindex;
	struct netlink requests;
	struct netlink events; /* subscribed; closed for a one-shot fill */
	sd_event_source *source;
	struct resolve_conditions conditions;
	bool recount[RESOLVE_FAMILIES];	    /* a special route came or went: count them again */
	bool refresh_due;		    /* set by the events just read */
	struct next_hop_address *addresses; /* sorted by address */
	size_t address_count;
};

/* The groups followed: everything that can change an answer of resolve.c. */
static const unsigned int next_hop_groups[] = {
    RTNLGRP_LINK,	  RTNLGRP_NEIGH,	RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
    RTNLGRP_IPV4_ROUTE,	  RTNLGRP_IPV6_ROUTE,	RTNLGRP_IPV4_RULE,   RTNLGRP_IPV6_RULE,
    RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF, RTNLGRP_NEXTHOP,
};

static int next_hop_compare_address(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct l3dsr_address));
}

/* Backend ids in use, with their address, sorted by address so each distinct one is resolved
 * once. */
struct next_hop_user {
	struct l3dsr_address address;
	uint32_t id;
};

static int next_hop_compare_user(const void *a, const void *b)
{
	const struct next_hop_user *left = a, *right = b;
	int order = memcmp(&left->address, &right->address, sizeof(left->address));

	if (order)
		return order;
	return left->id < right->id ? -1 : left->id > right->id;
}

static void next_hop_format(const struct next_hop_address *entry, char *line, size_t size)
{
	char address[ADDRESS_TEXT_MAX], via[ADDRESS_TEXT_MAX];
	const struct resolve_answer *answer = &entry->answer;
	const uint8_t *mac = answer->hop.dmac;

	address_format(&entry->address, address);
	if (!answer->live) {
		snprintf(line, size, "next hop of backend %s: kernel FIB lookup (%s)", address,
			 answer->reason);
		return;
	}
	snprintf(line, size,
		 "next hop of backend %s: %s dev %s lladdr %02x:%02x:%02x:%02x:%02x:%02x mtu %u",
		 address, address_format(&answer->via, via), answer->ifname, mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5], answer->hop.mtu);
}

/* The line logged last for ADDRESS before this refresh, or "" (new to the maps). */
static const char *next_hop_logged(const struct next_hops *hops,
				   const struct l3dsr_address *address)
{
	const struct next_hop_address *found =
	    bsearch(address, hops->addresses, hops->address_count, sizeof(*hops->addresses),
		    next_hop_compare_address);

	return found ? found->line : "";
}

/* The distinct addresses of USERS (sorted), each resolved and logged when its line changed. */
static struct next_hop_address *next_hop_resolve_all(struct next_hops *hops,
						     const struct next_hop_user *users,
						     size_t user_count, size_t *count)
{
	struct next_hop_address *addresses =
	    calloc(user_count ? user_count : 1, sizeof(*addresses));
	struct resolve_cache *cache = resolve_cache_new();

	*count = 0;
	if (!addresses || !cache) {
		free(addresses);
		resolve_cache_free(cache);
		return NULL;
	}
	for (size_t i = 0; i < user_count; i++) {
		struct next_hop_address *entry;

		if (*count && address_equal(&addresses[*count - 1].address, &users[i].address))
			continue;
		entry = &addresses[(*count)++];
		entry->address = users[i].address;
		resolve_address(&hops->requests, &hops->conditions, cache, &entry->address,
				&entry->answer);
		next_hop_format(entry, entry->line, sizeof(entry->line));
		if (strcmp(entry->line, next_hop_logged(hops, &entry->address)))
			log_info("%s", entry->line);
	}
	resolve_cache_free(cache);
	return addresses;
}

/* The conditions every answer depends on; the special routes are counted again when due. */
static void next_hop_read_conditions(struct next_hops *hops)
{
	int result =
	    resolve_read_conditions(&hops->requests, hops->ingress_ifindex, &hops->conditions);

	if (result)
		log_errno(LOG_PRIORITY_WARNING, result,
			  "next hops: cannot read the forwarding setting or the rules");
	for (int family = 0; family < RESOLVE_FAMILIES; family++) {
		if (!hops->recount[family])
			continue;
		result = resolve_count_special_routes(&hops->requests, family,
						      &hops->conditions.special_routes[family]);
		if (result) {
			log_errno(LOG_PRIORITY_WARNING, result,
				  "next hops: cannot dump the routes");
			/* Unknown: as if there were some, so nothing is cached on a guess. */
			hops->conditions.special_routes[family] = 1;
			continue;
		}
		hops->recount[family] = false;
	}
}

/* Brings next_hops to the kernel's state now. Returns the number of live entries or -errno. */
static int next_hop_refresh(struct next_hops *hops)
{
	struct next_hop_maps maps;
	struct next_hop_user *users = NULL;
	struct next_hop_address *addresses;
	size_t user_count = 0, address_count = 0;
	int result, live = 0;

	hops->refresh_due = false;
	next_hop_read_conditions(hops);
	result = next_hop_map_read(hops->backends_fd, hops->next_hops_fd, &maps);
	if (result)
		return log_errno(LOG_PRIORITY_WARNING, result,
				 "next hops: cannot read the backends or next_hops map");
	users = calloc(maps.count ? maps.count : 1, sizeof(*users));
	if (!users) {
		next_hop_map_free(&maps);
		return -ENOMEM;
	}
	for (uint32_t id = 0; id < maps.count; id++) {
		if (!(maps.backends[id].flags & BACKEND_F_IN_USE))
			continue;
		users[user_count].address = maps.backends[id].address;
		users[user_count++].id = id;
	}
	qsort(users, user_count, sizeof(*users), next_hop_compare_user);
	addresses = next_hop_resolve_all(hops, users, user_count, &address_count);
	if (!addresses) {
		result = -ENOMEM;
		goto out;
	}
	/* Each id in use to its address's answer; an id out of use not live, so that a reuse for
	 * the same address never finds a next hop nobody kept. */
	for (uint32_t id = 0; id < maps.count && !result; id++) {
		const struct next_hop *hop = NULL;
		const struct l3dsr_address *address = &maps.entries[id].address;
		int written;

		if (maps.backends[id].flags & BACKEND_F_IN_USE) {
			const struct next_hop_address *entry =
			    bsearch(&maps.backends[id].address, addresses, address_count,
				    sizeof(*addresses), next_hop_compare_address);

			address = &maps.backends[id].address;
			if (entry && entry->answer.live)
				hop = &entry->answer.hop;
		}
		written = next_hop_map_set(hops->next_hops_fd, id, &maps.entries[id], address,
					   (uint32_t)hops->ingress_ifindex, hop);
		if (written < 0)
			result = log_errno(LOG_PRIORITY_WARNING, written,
					   "next hops: cannot write next_hops[%u]", id);
		live += hop != NULL;
	}
	free(hops->addresses);
	hops->addresses = addresses;
	hops->address_count = address_count;
out:
	free(users);
	next_hop_map_free(&maps);
	return result ? result : live;
}

/* Whether a neighbour event is about a next hop some answer depends on. */
static bool next_hop_neighbour_followed(const struct next_hops *hops, const struct nlmsghdr *header)
{
	const struct ndmsg *message = mnl_nlmsg_get_payload(header);
	const struct nlattr *attribute;
	struct l3dsr_address key;
	bool has_key = false;

	if (mnl_nlmsg_get_payload_len(header) < sizeof(*message))
		return false;
	mnl_attr_for_each(attribute, header, sizeof(*message))
	{
		if (mnl_attr_get_type(attribute) == NDA_DST)
			has_key = resolve_read_address(attribute, message->ndm_family, &key);
	}
	if (!has_key)
		return false;
	for (size_t i = 0; i < hops->address_count; i++) {
		const struct resolve_answer *answer = &hops->addresses[i].answer;

		if (answer->neighbour_ifindex == message->ndm_ifindex &&
		    address_equal(&answer->neighbour, &key))
			return true;
	}
	return false;
}

/*
 * Whether a route event can change an answer: a route whose prefix holds no backend address
 * takes part in no lookup for one (a full routing table's churn then costs no refresh). The
 * route's next hop going link down raises no route event but a link event, which refreshes.
 */
static bool next_hop_route_followed(const struct next_hops *hops, const struct nlmsghdr *header)
{
	struct l3dsr_address prefix;
	unsigned int length;

	if (!resolve_route_prefix(header, &prefix, &length))
		return true;
	for (size_t i = 0; i < hops->address_count; i++)
		if (resolve_prefix_covers(&prefix, length, &hops->addresses[i].address))
			return true;
	return false;
}

static int next_hop_on_event(const struct nlmsghdr *header, void *data)
{
	struct next_hops *hops = data;

	switch (header->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (next_hop_neighbour_followed(hops, header))
			hops->refresh_due = true;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		/* Counting them takes a dump of every route: only when one of them changed. */
		if (resolve_route_is_special(header)) {
			const struct rtmsg *route = mnl_nlmsg_get_payload(header);

			hops->recount[route->rtm_family == AF_INET ? RESOLVE_IPV4 : RESOLVE_IPV6] =
			    true;
			hops->refresh_due = true;
		} else if (next_hop_route_followed(hops, header)) {
			hops->refresh_due = true;
		}
		break;
	default:
		hops->refresh_due = true;
	}
	return MNL_CB_OK;
}

static int next_hop_on_readable(sd_event_source *source, int fd, uint32_t events, void *userdata)
{
	struct next_hops *hops = userdata;
	int result;

	(void)source;
	(void)fd;
	(void)events;
	result = netlink_dispatch(&hops->events, next_hop_on_event, hops);
	/* ENOBUFS: the kernel dropped events; whatever they said is read again whole. */
	if (result == -ENOBUFS) {
		for (int family = 0; family < RESOLVE_FAMILIES; family++)
			hops->recount[family] = true;
		hops->refresh_due = true;
		/* What is still queued is older than the refresh below: read it away. */
		netlink_dispatch(&hops->events, NULL, NULL);
	} else if (result) {
		log_errno(LOG_PRIORITY_WARNING, result, "next hops: cannot read rtnetlink events");
	}
	if (hops->refresh_due)
		next_hop_refresh(hops);
	return 0;
}

static int next_hop_subscribe(struct next_hops *hops, sd_event *event)
{
	int size = NEXT_HOP_RECEIVE_BUFFER, result = netlink_open(&hops->events, NETLINK_ROUTE, 0);

	if (result)
		return result;
	/* Best effort: the kernel's limit applies; a lost event costs one full refresh. */
	setsockopt(netlink_fd(&hops->events), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	for (size_t i = 0; i < sizeof(next_hop_groups) / sizeof(next_hop_groups[0]); i++) {
		unsigned int group = next_hop_groups[i];

		if (mnl_socket_setsockopt(hops->events.socket, NETLINK_ADD_MEMBERSHIP, &group,
					  sizeof(group)))
			return -errno;
	}
	return sd_event_add_io(event, &hops->source, netlink_fd(&hops->events), EPOLLIN,
			       next_hop_on_readable, hops);
}

/* Takes duplicates of the descriptors (the caller's may be closed by a reload). */
static int next_hop_take_maps(struct next_hops *hops, int backends_fd, int next_hops_fd,
			      int ingress_ifindex)
{
	int backends = backends_fd < 0 ? -1 : dup(backends_fd);
	int entries = next_hops_fd < 0 ? -1 : dup(next_hops_fd);

	if (backends < 0 || entries < 0) {
		int error = backends_fd < 0 || next_hops_fd < 0 ? -EBADF : -errno;

		if (backends >= 0)
			close(backends);
		if (entries >= 0)
			close(entries);
		return error;
	}
	if (hops->backends_fd >= 0)
		close(hops->backends_fd);
	if (hops->next_hops_fd >= 0)
		close(hops->next_hops_fd);
	hops->backends_fd = backends;
	hops->next_hops_fd = entries;
	hops->ingress_ifindex = ingress_ifindex;
	return 0;
}

static void next_hop_free(struct next_hops *hops)
{
	sd_event_source_disable_unref(hops->source);
	if (hops->events.socket)
		netlink_close(&hops->events);
	if (hops->requests.socket)
		netlink_close(&hops->requests);
	if (hops->backends_fd >= 0)
		close(hops->backends_fd);
	if (hops->next_hops_fd >= 0)
		close(hops->next_hops_fd);
	free(hops->addresses);
	free(hops);
}

/* A follower with its maps and request socket; EVENT NULL: a one-shot fill. */
static int next_hop_create(struct next_hops **created, int backends_fd, int next_hops_fd,
			   int ingress_ifindex, sd_event *event)
{
	struct next_hops *hops = calloc(1, sizeof(*hops));
	int result;

	*created = NULL;
	if (!hops)
		return -ENOMEM;
	hops->backends_fd = hops->next_hops_fd = -1;
	for (int family = 0; family < RESOLVE_FAMILIES; family++)
		hops->recount[family] = true;
	result = next_hop_take_maps(hops, backends_fd, next_hops_fd, ingress_ifindex);
	/* Subscribed before the first refresh reads anything: no change falls in between. */
	if (!result && event)
		result = next_hop_subscribe(hops, event);
	if (!result)
		result = netlink_open(&hops->requests, NETLINK_ROUTE, 0);
	if (result) {
		next_hop_free(hops);
		return result;
	}
	*created = hops;
	return 0;
}

int next_hops_fill(int backends_fd, int next_hops_fd, int ingress_ifindex)
{
	struct next_hops *hops;
	int result = next_hop_create(&hops, backends_fd, next_hops_fd, ingress_ifindex, NULL);

	if (result)
		return result;
	result = next_hop_refresh(hops);
	next_hop_free(hops);
	return result;
}

int next_hops_start(struct next_hops **hops, int backends_fd, int next_hops_fd, int ingress_ifindex,
		    sd_event *event)
{
	int result = next_hop_create(hops, backends_fd, next_hops_fd, ingress_ifindex, event);

	if (result)
		return result;
	/* A failed first refresh is logged there; the next event tries again. */
	next_hop_refresh(*hops);
	return 0;
}

int next_hops_use(struct next_hops *hops, int backends_fd, int next_hops_fd, int ingress_ifindex)
{
	int result;

	if (!hops)
		return 0;
	result = next_hop_take_maps(hops, backends_fd, next_hops_fd, ingress_ifindex);
	if (result)
		return log_errno(LOG_PRIORITY_WARNING, result,
				 "next hops: cannot take the maps in use");
	result = next_hop_refresh(hops);
	return result < 0 ? result : 0;
}

void next_hops_backends_changed(struct next_hops *hops)
{
	if (hops)
		next_hop_refresh(hops);
}

void next_hops_stop(struct next_hops *hops, bool clear)
{
	struct next_hop_maps maps;

	if (!hops)
		return;
	if (clear && !next_hop_map_read(hops->backends_fd, hops->next_hops_fd, &maps)) {
		for (uint32_t id = 0; id < maps.count; id++)
			next_hop_map_set(hops->next_hops_fd, id, &maps.entries[id],
					 &maps.entries[id].address,
					 maps.entries[id].ingress_ifindex, NULL);
		next_hop_map_free(&maps);
	}
	next_hop_free(hops);
}
