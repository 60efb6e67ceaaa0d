/* route.c: add, delete and dump kernel routes by rtnetlink (route.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "src/netlink/route.h"

/* The address as the kernel wants it: 4 bytes for IPv4, 16 for IPv6. */
static const void *route_address(const struct netlink_route *route, size_t *length)
{
	if (route->family == AF_INET) {
		*length = 4;
		return &route->destination.s6_addr32[3];
	}
	*length = 16;
	return &route->destination;
}

/* A request for ROUTE: the header fields that identify it and its attributes. */
static struct nlmsghdr *route_message(struct netlink *netlink, uint16_t type, uint16_t flags,
				      const struct netlink_route *route)
{
	struct nlmsghdr *header = netlink_request(netlink, type, flags);
	struct rtmsg *message = mnl_nlmsg_put_extra_header(header, sizeof(*message));
	size_t length;
	const void *address = route_address(route, &length);

	message->rtm_family = (uint8_t)route->family;
	message->rtm_dst_len = route->prefix_length;
	message->rtm_protocol = route->protocol;
	message->rtm_type = route->type;
	/* A local route is the host's own; everything else is for the whole universe. */
	message->rtm_scope = route->type == RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	message->rtm_table = route->table < 256 ? (uint8_t)route->table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(header, RTA_TABLE, route->table);
	mnl_attr_put(header, RTA_DST, length, address);
	if (route->ifindex > 0)
		mnl_attr_put_u32(header, RTA_OIF, (uint32_t)route->ifindex);
	return header;
}

int netlink_route_add(struct netlink *netlink, const struct netlink_route *route)
{
	return netlink_call(netlink,
			    route_message(netlink, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route),
			    NULL, NULL);
}

int netlink_route_delete(struct netlink *netlink, const struct netlink_route *route)
{
	return netlink_call(netlink, route_message(netlink, RTM_DELROUTE, 0, route), NULL, NULL);
}

struct dump_context {
	uint8_t protocol;
	netlink_route_fn *found;
	void *context;
};

static int route_attribute(const struct nlattr *attribute, void *data)
{
	const struct nlattr **attributes = data;
	int type = mnl_attr_get_type(attribute);

	if (mnl_attr_type_valid(attribute, RTA_MAX) > 0)
		attributes[type] = attribute;
	return MNL_CB_OK;
}

static int route_parse(const struct nlmsghdr *header, void *data)
{
	const struct dump_context *dump = data;
	const struct nlattr *attributes[RTA_MAX + 1] = {NULL};
	const struct rtmsg *message = mnl_nlmsg_get_payload(header);
	struct netlink_route route = {0};
	size_t length = message->rtm_family == AF_INET ? 4 : 16;

	/* Strict dumps are filtered by the kernel already; older kernels send every route. */
	if (header->nlmsg_type != RTM_NEWROUTE || message->rtm_protocol != dump->protocol ||
	    (message->rtm_family != AF_INET && message->rtm_family != AF_INET6))
		return MNL_CB_OK;
	if (mnl_attr_parse(header, sizeof(*message), route_attribute, attributes) < 0)
		return MNL_CB_ERROR;
	route.family = message->rtm_family;
	route.prefix_length = message->rtm_dst_len;
	route.type = message->rtm_type;
	route.protocol = message->rtm_protocol;
	route.table =
	    attributes[RTA_TABLE] ? mnl_attr_get_u32(attributes[RTA_TABLE]) : message->rtm_table;
	if (attributes[RTA_OIF])
		route.ifindex = (int)mnl_attr_get_u32(attributes[RTA_OIF]);
	if (route.family == AF_INET) {
		route.destination.s6_addr32[2] = htonl(0xffff);
		if (attributes[RTA_DST] && mnl_attr_get_payload_len(attributes[RTA_DST]) == length)
			memcpy(&route.destination.s6_addr32[3],
			       mnl_attr_get_payload(attributes[RTA_DST]), length);
	} else if (attributes[RTA_DST] && mnl_attr_get_payload_len(attributes[RTA_DST]) == length) {
		memcpy(&route.destination, mnl_attr_get_payload(attributes[RTA_DST]), length);
	}
	dump->found(&route, dump->context);
	return MNL_CB_OK;
}

int netlink_route_dump(struct netlink *netlink, uint8_t protocol, netlink_route_fn *found,
		       void *context)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct dump_context dump = {.protocol = protocol, .found = found, .context = context};

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct nlmsghdr *header = netlink_request(netlink, RTM_GETROUTE, NLM_F_DUMP);
		struct rtmsg *message = mnl_nlmsg_put_extra_header(header, sizeof(*message));
		int result;

		message->rtm_family = (uint8_t)families[i];
		/* With strict checking, the kernel sends only this protocol's routes. */
		message->rtm_protocol = protocol;
		result = netlink_call(netlink, header, route_parse, &dump);
		if (result)
			return result;
	}
	return 0;
}

const char *netlink_route_format(const struct netlink_route *route, char *text, size_t size)
{
	char address[INET6_ADDRSTRLEN];
	const void *bytes = route->family == AF_INET
				? (const void *)&route->destination.s6_addr32[3]
				: (const void *)&route->destination;

	if (!inet_ntop(route->family, bytes, address, sizeof(address)))
		snprintf(address, sizeof(address), "?");
	snprintf(text, size, "%s/%u", address, route->prefix_length);
	return text;
}
