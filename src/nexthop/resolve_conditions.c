/*
 * resolve_conditions.c: what makes bpf_fib_lookup's answer depend on more than the destination,
 * for a whole family at once: forwarding off on the ingress interface, policy-routing rules
 * beyond the kernel's defaults, IPv4 routes with a TOS and IPv6 routes with a source prefix.
 */
#include <netinet/in.h>

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "src/nexthop/resolve.h"

/* ---- rules ---- */

struct resolve_rules {
	int family;
	bool custom;
};

/* One of the rules the kernel starts with: "from all lookup TABLE" at its priority. */
static bool resolve_rule_is_default(int family, uint32_t priority, uint32_t table)
{
	if (priority == 0 && table == RT_TABLE_LOCAL)
		return true;
	if (priority == 32766 && table == RT_TABLE_MAIN)
		return true;
	return family == AF_INET && priority == 32767 && table == RT_TABLE_DEFAULT;
}

static int resolve_on_rule(const struct nlmsghdr *header, void *data)
{
	struct resolve_rules *rules = data;
	const struct fib_rule_hdr *rule = mnl_nlmsg_get_payload(header);
	const struct nlattr *attribute;
	uint32_t priority = 0, table = rule->table;
	bool plain = rule->src_len == 0 && rule->dst_len == 0 && rule->tos == 0 &&
		     rule->action == FR_ACT_TO_TBL && rule->flags == 0;

	if (header->nlmsg_type != RTM_NEWRULE || rule->family != rules->family)
		return MNL_CB_OK;
	/* Any selector (iif, fwmark, l3mdev, uid, ports, ...) makes it more than a default. */
	mnl_attr_for_each(attribute, header, sizeof(*rule))
	{
		switch (mnl_attr_get_type(attribute)) {
		case FRA_PRIORITY:
			priority = mnl_attr_get_u32(attribute);
			break;
		case FRA_TABLE:
			table = mnl_attr_get_u32(attribute);
			break;
		case FRA_PROTOCOL:
			break;
		case FRA_SUPPRESS_PREFIXLEN:
		case FRA_SUPPRESS_IFGROUP:
			/* Dumped as -1 (none) by kernels that show them on every rule. */
			if (mnl_attr_validate(attribute, MNL_TYPE_U32) < 0 ||
			    mnl_attr_get_u32(attribute) != UINT32_MAX)
				plain = false;
			break;
		default:
			plain = false;
		}
	}
	if (!plain || !resolve_rule_is_default(rules->family, priority, table))
		rules->custom = true;
	return MNL_CB_OK;
}

static int resolve_read_rules(struct netlink *netlink, enum resolve_family family, bool *custom)
{
	struct nlmsghdr *header = netlink_request(netlink, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *rule = mnl_nlmsg_put_extra_header(header, sizeof(*rule));
	struct resolve_rules rules = {.family = resolve_socket_family(family)};
	int result;

	rule->family = (uint8_t)rules.family;
	result = netlink_call(netlink, header, resolve_on_rule, &rules);
	*custom = result ? true : rules.custom;
	return result;
}

int resolve_read_conditions(struct netlink *netlink, int ingress_ifindex,
			    struct resolve_conditions *conditions)
{
	bool forwarding[RESOLVE_FAMILIES];
	int link = resolve_forwarding(netlink, ingress_ifindex, forwarding), result = 0;

	conditions->ingress_ifindex = ingress_ifindex;
	/* Gone is a state (the daemon waits for it to come back), not an error. */
	conditions->ingress_present = link != -ENODEV;
	if (link != -ENODEV)
		result = link;
	for (int family = 0; family < RESOLVE_FAMILIES; family++) {
		int rules = resolve_read_rules(netlink, family, &conditions->custom_rules[family]);

		conditions->forwarding[family] = forwarding[family];
		if (!result)
			result = rules;
	}
	return result;
}

/* ---- special routes ---- */

bool resolve_route_is_special(const struct nlmsghdr *header)
{
	const struct rtmsg *route = mnl_nlmsg_get_payload(header);

	if (mnl_nlmsg_get_payload_len(header) < sizeof(*route))
		return false;
	if (route->rtm_family == AF_INET)
		return route->rtm_tos != 0;
	return route->rtm_family == AF_INET6 && route->rtm_src_len > 0;
}

bool resolve_route_prefix(const struct nlmsghdr *header, struct l3dsr_address *prefix,
			  unsigned int *length)
{
	const struct rtmsg *route = mnl_nlmsg_get_payload(header);
	const struct nlattr *attribute;
	int family;

	if (mnl_nlmsg_get_payload_len(header) < sizeof(*route))
		return false;
	family = route->rtm_family;
	if (family != AF_INET && family != AF_INET6)
		return false;
	/* A default route has no RTA_DST: the whole family. */
	memset(prefix, 0, sizeof(*prefix));
	if (family == AF_INET)
		prefix->words[2] = htonl(0xffff);
	*length = route->rtm_dst_len + (family == AF_INET ? 96U : 0U);
	if (*length > 128)
		return false;
	mnl_attr_for_each(attribute, header, sizeof(*route))
	{
		if (mnl_attr_get_type(attribute) == RTA_DST &&
		    !resolve_read_address(attribute, family, prefix))
			return false;
	}
	return true;
}

bool resolve_prefix_covers(const struct l3dsr_address *prefix, unsigned int length,
			   const struct l3dsr_address *address)
{
	const uint8_t *a = (const uint8_t *)prefix, *b = (const uint8_t *)address;
	unsigned int bytes = length / 8, bits = length % 8;

	if (memcmp(a, b, bytes))
		return false;
	return !bits || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static int resolve_on_special_route(const struct nlmsghdr *header, void *data)
{
	size_t *count = data;

	if (header->nlmsg_type == RTM_NEWROUTE && resolve_route_is_special(header))
		(*count)++;
	return MNL_CB_OK;
}

int resolve_count_special_routes(struct netlink *netlink, enum resolve_family family, size_t *count)
{
	struct nlmsghdr *header = netlink_request(netlink, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *route = mnl_nlmsg_put_extra_header(header, sizeof(*route));

	route->rtm_family = (uint8_t)resolve_socket_family(family);
	*count = 0;
	return netlink_call(netlink, header, resolve_on_special_route, count);
}
