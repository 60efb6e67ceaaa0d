/*
 * announce.c: the VIP routes this load balancer keeps in its kernel: what should be there (from
 * the configuration, the health checks, drain and the daemon's phase), read back from the kernel,
 * and the difference applied.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "src/announce/announce.h"
#include "src/common/grow.h"
#include "src/common/log.h"
#include "src/netlink/route.h"

int announce_open(struct announce *announce)
{
	int result;

	memset(announce, 0, sizeof(*announce));
	announce->loopback = (int)if_nametoindex("lo");
	if (announce->loopback <= 0)
		return log_errno(LOG_PRIORITY_ERROR, -errno, "announce: no loopback interface");
	result = netlink_open(&announce->netlink, NETLINK_ROUTE, 0);
	if (result)
		return log_errno(LOG_PRIORITY_ERROR, result,
				 "announce: cannot open a netlink socket");
	announce->open = true;
	return 0;
}

void announce_close(struct announce *announce)
{
	if (announce->open)
		netlink_close(&announce->netlink);
	free(announce->addresses);
	memset(announce, 0, sizeof(*announce));
}

static bool address_equal(const struct config_address *a, const struct config_address *b)
{
	return a->family == b->family && !memcmp(&a->address, &b->address, sizeof(a->address));
}

static struct announce_address *find_address(struct announce_address *addresses, size_t count,
					     const struct config_address *address)
{
	for (size_t i = 0; i < count; i++)
		if (address_equal(&addresses[i].address, address))
			return &addresses[i];
	return NULL;
}

bool announce_is_announced(const struct announce *announce, const struct config_address *address)
{
	const struct announce_address *found =
	    find_address(announce->addresses, announce->address_count, address);

	return found && found->announced;
}

/* Whether VIP can take a new flow: a backend with a weight that the checks say is up. */
static bool vip_servable(const struct vip_config *vip, announce_up_fn *is_up, void *context)
{
	for (size_t b = 0; b < vip->backend_count; b++)
		if (vip->backends[b].weight > 0 && is_up(context, vip, &vip->backends[b]))
			return true;
	return false;
}

/* The configuration's VIP addresses, each once, with whether it should be announced. */
static int desired_addresses(const struct l3dsr_config *config, enum announce_mode mode,
			     announce_up_fn *is_up, void *context,
			     struct announce_address **addresses, size_t *count)
{
	struct announce_address *list = calloc(config->vip_count + 1, sizeof(*list));

	*count = 0;
	if (!list)
		return -ENOMEM;
	for (size_t v = 0; mode != ANNOUNCE_RELEASE && v < config->vip_count; v++) {
		const struct vip_config *vip = &config->vips[v];
		struct announce_address *entry = find_address(list, *count, &vip->address);

		if (!entry) {
			entry = &list[(*count)++];
			entry->address = vip->address;
		}
		if (mode == ANNOUNCE_SERVE && !config->drain && !entry->wanted)
			entry->wanted = vip_servable(vip, is_up, context);
	}
	*addresses = list;
	return 0;
}

static struct netlink_route route_for(const struct config_address *address, bool owned,
				      int loopback)
{
	struct netlink_route route = {
	    .family = address->family,
	    .destination = address->address,
	    .prefix_length = address->family == AF_INET ? 32 : 128,
	    .type = owned ? RTN_LOCAL : RTN_BLACKHOLE,
	    .protocol = owned ? ANNOUNCE_PROTOCOL_OWNED : ANNOUNCE_PROTOCOL,
	    .table = owned ? RT_TABLE_LOCAL : RT_TABLE_MAIN,
	    .ifindex = owned ? loopback : 0,
	};

	return route;
}

static bool route_is_host(const struct netlink_route *route)
{
	return route->prefix_length == (route->family == AF_INET ? 32 : 128);
}

/* The routes of our protocols found in the kernel. */
struct kernel_routes {
	struct netlink_route *routes;
	size_t count, capacity;
	bool out_of_memory;
};

static void kernel_route_found(const struct netlink_route *route, void *context)
{
	struct kernel_routes *found = context;

	if (found->count == found->capacity) {
		struct netlink_route *routes =
		    grow_array(found->routes, &found->capacity, sizeof(*routes), 16);

		if (!routes) {
			found->out_of_memory = true;
			return;
		}
		found->routes = routes;
	}
	found->routes[found->count++] = *route;
}

static int kernel_read(struct announce *announce, struct kernel_routes *found)
{
	int result;

	memset(found, 0, sizeof(*found));
	result =
	    netlink_route_dump(&announce->netlink, ANNOUNCE_PROTOCOL, kernel_route_found, found);
	if (!result)
		result = netlink_route_dump(&announce->netlink, ANNOUNCE_PROTOCOL_OWNED,
					    kernel_route_found, found);
	if (!result && found->out_of_memory)
		result = -ENOMEM;
	return result;
}

/* Whether ROUTE is exactly the one we keep for an address of DESIRED that should have it. */
static bool route_wanted(const struct netlink_route *route, struct announce_address *desired,
			 size_t count, int loopback)
{
	bool owned = route->protocol == ANNOUNCE_PROTOCOL_OWNED;
	struct config_address address = {.address = route->destination, .family = route->family};
	struct announce_address *entry = find_address(desired, count, &address);
	struct netlink_route expected;

	if (!entry || !route_is_host(route) || (!owned && !entry->wanted))
		return false;
	expected = route_for(&entry->address, owned, loopback);
	if (route->type != expected.type || route->table != expected.table ||
	    (owned && route->ifindex != expected.ifindex))
		return false;
	if (owned)
		entry->owned = true;
	else
		entry->announced = true;
	return true;
}

/* A change is logged; a failure once, until an apply succeeds (they are retried each tick). */
static void log_route(const struct announce *announce, const char *what,
		      const struct netlink_route *route, int result)
{
	char text[INET6_ADDRSTRLEN + 8];

	netlink_route_format(route, text, sizeof(text));
	if (!result)
		log_info("announce: %s %s", what, text);
	else if (!announce->failed && result == -EEXIST)
		log_error("announce: cannot announce %s: table main holds a route to it that is "
			  "not l3dsr's; remove it",
			  text);
	else if (!announce->failed)
		log_error("announce: cannot %s %s: %s", what, text, strerror(-result));
}

/* Deletes the routes of FOUND of one protocol that are not wanted; the first error is kept. */
static void delete_unwanted(struct announce *announce, struct kernel_routes *found,
			    uint8_t protocol, struct announce_address *desired, size_t count,
			    int *first_error)
{
	for (size_t i = 0; i < found->count; i++) {
		const struct netlink_route *route = &found->routes[i];
		int result;

		if (route->protocol != protocol ||
		    route_wanted(route, desired, count, announce->loopback))
			continue;
		result = netlink_route_delete(&announce->netlink, route);
		if (result == -ESRCH)
			result = 0; /* gone meanwhile */
		log_route(announce, protocol == ANNOUNCE_PROTOCOL ? "withdrew" : "released", route,
			  result);
		if (result && !*first_error)
			*first_error = result;
	}
}

/* Adds the routes of one kind that DESIRED lacks. */
static void add_missing(struct announce *announce, bool owned, struct announce_address *desired,
			size_t count, int *first_error)
{
	for (size_t i = 0; i < count; i++) {
		struct announce_address *entry = &desired[i];
		struct netlink_route route = route_for(&entry->address, owned, announce->loopback);
		int result;

		if (owned ? entry->owned : (entry->announced || !entry->wanted))
			continue;
		result = netlink_route_add(&announce->netlink, &route);
		/* An address local already (configured on an interface) is the kernel's
		 * without us, which is all the ownership route is for. */
		if (result == -EEXIST && owned)
			result = 0;
		else
			log_route(announce, owned ? "owns" : "announced", &route, result);
		if (result && !*first_error)
			*first_error = result;
		if (!result && owned)
			entry->owned = true;
		else if (!result)
			entry->announced = true;
	}
}

int announce_apply(struct announce *announce, const struct l3dsr_config *config,
		   enum announce_mode mode, announce_up_fn *is_up, void *context)
{
	struct announce_address *desired = NULL;
	struct kernel_routes found = {0};
	size_t count = 0;
	int result, first_error = 0;

	if (!announce->open)
		return -EBADF;
	result = desired_addresses(config, mode, is_up, context, &desired, &count);
	if (!result)
		result = kernel_read(announce, &found);
	if (result) {
		if (!announce->failed)
			log_error("announce: cannot read the kernel's routes: %s",
				  strerror(-result));
		announce->failed = true;
		free(desired);
		free(found.routes);
		return result;
	}
	/* Withdrawals first, so that a router never learns a route this LB no longer serves;
	 * ownership before announcement, so that nothing announced is forwarded back out. */
	delete_unwanted(announce, &found, ANNOUNCE_PROTOCOL, desired, count, &first_error);
	add_missing(announce, true, desired, count, &first_error);
	add_missing(announce, false, desired, count, &first_error);
	delete_unwanted(announce, &found, ANNOUNCE_PROTOCOL_OWNED, desired, count, &first_error);
	free(found.routes);

	free(announce->addresses);
	announce->addresses = desired;
	announce->address_count = count;
	announce->announced_count = 0;
	for (size_t i = 0; i < count; i++)
		announce->announced_count += desired[i].announced;
	announce->failed = first_error != 0;
	return first_error;
}
