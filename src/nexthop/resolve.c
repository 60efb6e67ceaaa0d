/*
 * resolve.c: one address's next hop as bpf_fib_lookup (flags 0, ifindex = the ingress) would
 * answer it, asked of the kernel: RTM_GETROUTE with RTM_F_FIB_MATCH gives the FIB entry the
 * lookup finds (IPv6 asked as arriving by the ingress interface, as the helper asks; IPv4 as
 * sent, which finds the same entry while only the default rules exist), RTM_GETNEIGH the
 * neighbour's link-layer address, RTM_GETLINK the egress interface's.
 */
#include <netinet/in.h>

#include <errno.h>
#include <linux/fib_rules.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "src/common/address.h"
#include "src/nexthop/resolve.h"

/* The uapi's names, from linux/ipv6.h (which clashes with netinet/in.h): indices into
 * IFLA_INET6_CONF. */
#define RESOLVE_DEVCONF_FORWARDING 0
#define RESOLVE_DEVCONF_MTU6	   2
/* The kernel's bounds on a path MTU (IP_MAX_MTU, IPV6_MIN_MTU, IP6_MAX_MTU). */
#define RESOLVE_IPV4_MAX_MTU 0xFFFFU
#define RESOLVE_IPV6_MIN_MTU 1280U
#define RESOLVE_IPV6_MAX_MTU (0xFFFFU + 40U)

/* The neighbour states in which bpf_fib_lookup uses a neighbour (the kernel's NUD_VALID). */
#define RESOLVE_NUD_VALID                                                                          \
	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

struct resolve_link {
	bool found;
	unsigned short type; /* ARPHRD_* */
	unsigned int flags;  /* IFF_* */
	uint32_t mtu;
	uint32_t mtu6; /* 0: not reported */
	bool has_mac;
	uint8_t mac[ETH_ALEN];
	bool forwarding[RESOLVE_FAMILIES];
	char name[IF_NAMESIZE];
};

struct resolve_route {
	bool found;
	uint8_t type;
	uint32_t flags; /* rtm_flags: the next hop's RTNH_F_* for a single-path route */
	int oif;
	bool has_gateway;
	struct l3dsr_address gateway;
	bool via, multipath, nexthop_id, encap;
	uint32_t mtu; /* the route's mtu metric; 0: none */
};

struct resolve_neighbour {
	bool found;
	uint16_t state;
	bool has_lladdr;
	uint8_t lladdr[ETH_ALEN];
};

enum resolve_family resolve_family_of(const struct l3dsr_address *address)
{
	return address_is_v4(address) ? RESOLVE_IPV4 : RESOLVE_IPV6;
}

static int resolve_socket_family(enum resolve_family family)
{
	return family == RESOLVE_IPV4 ? AF_INET : AF_INET6;
}

/* The address as the kernel wants it: 4 bytes for IPv4, 16 for IPv6. */
static const void *resolve_kernel_address(const struct l3dsr_address *address, size_t *length)
{
	if (address_is_v4(address)) {
		*length = 4;
		return &address->words[3];
	}
	*length = 16;
	return address;
}

static bool resolve_read_address(const struct nlattr *attribute, int family,
				 struct l3dsr_address *address)
{
	size_t length = mnl_attr_get_payload_len(attribute);

	if (family == AF_INET && length == 4) {
		struct in_addr ipv4;

		memcpy(&ipv4, mnl_attr_get_payload(attribute), 4);
		*address = address_from_in(&ipv4);
		return true;
	}
	if (family == AF_INET6 && length == 16) {
		memcpy(address, mnl_attr_get_payload(attribute), 16);
		return true;
	}
	return false;
}

/* ---- links ---- */

static void resolve_link_af(const struct nlattr *spec, struct resolve_link *link)
{
	const struct nlattr *family, *conf;

	mnl_attr_for_each_nested(family, spec)
	{
		int type = mnl_attr_get_type(family);

		mnl_attr_for_each_nested(conf, family)
		{
			const int32_t *values = mnl_attr_get_payload(conf);
			size_t count = mnl_attr_get_payload_len(conf) / sizeof(*values);

			/* IFLA_INET_CONF is indexed by IPV4_DEVCONF_* - 1. */
			if (type == AF_INET && mnl_attr_get_type(conf) == IFLA_INET_CONF &&
			    count >= IPV4_DEVCONF_FORWARDING)
				link->forwarding[RESOLVE_IPV4] =
				    values[IPV4_DEVCONF_FORWARDING - 1] != 0;
			if (type == AF_INET6 && mnl_attr_get_type(conf) == IFLA_INET6_CONF) {
				if (count > RESOLVE_DEVCONF_FORWARDING)
					link->forwarding[RESOLVE_IPV6] =
					    values[RESOLVE_DEVCONF_FORWARDING] != 0;
				if (count > RESOLVE_DEVCONF_MTU6 &&
				    values[RESOLVE_DEVCONF_MTU6] > 0)
					link->mtu6 = (uint32_t)values[RESOLVE_DEVCONF_MTU6];
			}
		}
	}
}

static int resolve_on_link(const struct nlmsghdr *header, void *data)
{
	struct resolve_link *link = data;
	const struct ifinfomsg *message = mnl_nlmsg_get_payload(header);
	const struct nlattr *attribute;

	if (header->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	link->found = true;
	link->type = message->ifi_type;
	link->flags = message->ifi_flags;
	mnl_attr_for_each(attribute, header, sizeof(*message))
	{
		switch (mnl_attr_get_type(attribute)) {
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(attribute) == ETH_ALEN) {
				memcpy(link->mac, mnl_attr_get_payload(attribute), ETH_ALEN);
				link->has_mac = true;
			}
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(attribute, MNL_TYPE_U32) >= 0)
				link->mtu = mnl_attr_get_u32(attribute);
			break;
		case IFLA_IFNAME:
			if (mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(link->name, sizeof(link->name), "%s",
					 mnl_attr_get_str(attribute));
			break;
		case IFLA_AF_SPEC:
			resolve_link_af(attribute, link);
			break;
		}
	}
	return MNL_CB_OK;
}

static int resolve_get_link(struct netlink *netlink, int ifindex, struct resolve_link *link)
{
	struct nlmsghdr *header = netlink_request(netlink, RTM_GETLINK, 0);
	struct ifinfomsg *message = mnl_nlmsg_put_extra_header(header, sizeof(*message));
	int result;

	memset(link, 0, sizeof(*link));
	message->ifi_family = AF_UNSPEC;
	message->ifi_index = ifindex;
	result = netlink_call(netlink, header, resolve_on_link, link);
	if (!result && !link->found)
		result = -ENODEV;
	return result;
}

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
	struct resolve_link ingress;
	int result = resolve_get_link(netlink, ingress_ifindex, &ingress);

	conditions->ingress_ifindex = ingress_ifindex;
	conditions->ingress_present = result != -ENODEV;
	if (result == -ENODEV)
		result = 0;
	for (int family = 0; family < RESOLVE_FAMILIES; family++) {
		int rules = resolve_read_rules(netlink, family, &conditions->custom_rules[family]);

		conditions->forwarding[family] = !result && ingress.forwarding[family];
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

/* ---- the route, the neighbour ---- */

static int resolve_on_route(const struct nlmsghdr *header, void *data)
{
	struct resolve_route *route = data;
	const struct rtmsg *message = mnl_nlmsg_get_payload(header);
	const struct nlattr *attribute, *metric;

	if (header->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	route->found = true;
	route->type = message->rtm_type;
	route->flags = message->rtm_flags;
	mnl_attr_for_each(attribute, header, sizeof(*message))
	{
		switch (mnl_attr_get_type(attribute)) {
		case RTA_OIF:
			if (mnl_attr_validate(attribute, MNL_TYPE_U32) >= 0)
				route->oif = (int)mnl_attr_get_u32(attribute);
			break;
		case RTA_GATEWAY:
			route->has_gateway =
			    resolve_read_address(attribute, message->rtm_family, &route->gateway);
			break;
		case RTA_VIA:
			route->via = true;
			break;
		case RTA_MULTIPATH:
			route->multipath = true;
			break;
		case RTA_NH_ID:
			route->nexthop_id = true;
			break;
		case RTA_ENCAP:
		case RTA_ENCAP_TYPE:
			route->encap = true;
			break;
		case RTA_METRICS:
			mnl_attr_for_each_nested(metric, attribute)
			{
				if (mnl_attr_get_type(metric) == RTAX_MTU &&
				    mnl_attr_validate(metric, MNL_TYPE_U32) >= 0)
					route->mtu = mnl_attr_get_u32(metric);
			}
			break;
		}
	}
	return MNL_CB_OK;
}

static int resolve_get_route(struct netlink *netlink, const struct resolve_conditions *conditions,
			     const struct l3dsr_address *address, struct resolve_route *route)
{
	struct nlmsghdr *header = netlink_request(netlink, RTM_GETROUTE, 0);
	struct rtmsg *message = mnl_nlmsg_put_extra_header(header, sizeof(*message));
	size_t length;
	const void *destination = resolve_kernel_address(address, &length);

	memset(route, 0, sizeof(*route));
	message->rtm_family = length == 4 ? AF_INET : AF_INET6;
	message->rtm_dst_len = (uint8_t)(length * 8);
	message->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(header, RTA_DST, length, destination);
	/* IPv6 picks among routes of equal prefix and metric by the interface the packet came in
	 * by, as bpf_fib_lookup does; an IPv4 input lookup would want a source address. */
	if (length == 16)
		mnl_attr_put_u32(header, RTA_IIF, (uint32_t)conditions->ingress_ifindex);
	return netlink_call(netlink, header, resolve_on_route, route);
}

static int resolve_on_neighbour(const struct nlmsghdr *header, void *data)
{
	struct resolve_neighbour *neighbour = data;
	const struct ndmsg *message = mnl_nlmsg_get_payload(header);
	const struct nlattr *attribute;

	if (header->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	neighbour->found = true;
	neighbour->state = message->ndm_state;
	mnl_attr_for_each(attribute, header, sizeof(*message))
	{
		if (mnl_attr_get_type(attribute) == NDA_LLADDR &&
		    mnl_attr_get_payload_len(attribute) == ETH_ALEN) {
			memcpy(neighbour->lladdr, mnl_attr_get_payload(attribute), ETH_ALEN);
			neighbour->has_lladdr = true;
		}
	}
	return MNL_CB_OK;
}

static int resolve_get_neighbour(struct netlink *netlink, int ifindex,
				 const struct l3dsr_address *address,
				 struct resolve_neighbour *neighbour)
{
	struct nlmsghdr *header = netlink_request(netlink, RTM_GETNEIGH, 0);
	struct ndmsg *message = mnl_nlmsg_put_extra_header(header, sizeof(*message));
	size_t length;
	const void *key = resolve_kernel_address(address, &length);

	memset(neighbour, 0, sizeof(*neighbour));
	message->ndm_family = length == 4 ? AF_INET : AF_INET6;
	message->ndm_ifindex = ifindex;
	mnl_attr_put(header, NDA_DST, length, key);
	return netlink_call(netlink, header, resolve_on_neighbour, neighbour);
}

/*
 * The MTU to hold the cache to: never above what bpf_fib_lookup compares the datagram with, so
 * that every datagram the cache takes is one the lookup would have forwarded. The lookup takes
 * the route's mtu metric when it is locked (or, IPv4, net.ipv4.ip_forward_use_pmtu is set),
 * else a PMTU exception, else the device's (IPv6: its mtu6); the lower of the metric and the
 * device's is below all of them but the exception. Path MTU exceptions the LB host learns
 * itself raise no netlink event and are not followed: a datagram above a learnt PMTU but within
 * this MTU is sent by the cache where the lookup would have answered FRAG_NEEDED. The program
 * still asks the FIB for every datagram over the cached MTU.
 */
static uint32_t resolve_mtu(enum resolve_family family, const struct resolve_route *route,
			    const struct resolve_link *link)
{
	uint32_t mtu;

	if (family == RESOLVE_IPV4) {
		mtu = link->mtu < RESOLVE_IPV4_MAX_MTU ? link->mtu : RESOLVE_IPV4_MAX_MTU;
	} else {
		mtu = link->mtu6 ? link->mtu6 : link->mtu;
		if (mtu < RESOLVE_IPV6_MIN_MTU)
			mtu = RESOLVE_IPV6_MIN_MTU;
		if (mtu > RESOLVE_IPV6_MAX_MTU)
			mtu = RESOLVE_IPV6_MAX_MTU;
	}
	if (route->mtu && route->mtu < mtu)
		mtu = route->mtu;
	return mtu;
}

static bool resolve_route_usable(const struct resolve_route *route, int lookup,
				 struct resolve_answer *answer)
{
	if (lookup == -ENETUNREACH || lookup == -EHOSTUNREACH || lookup == -EACCES ||
	    lookup == -EINVAL || (!lookup && route->found && route->type != RTN_UNICAST)) {
		answer->reason = "no unicast route";
		return false;
	}
	if (lookup || !route->found) {
		answer->reason = "route lookup failed";
		return false;
	}
	if (route->multipath) {
		answer->reason = "multipath route";
		return false;
	}
	if (route->encap) {
		answer->reason = "route with encapsulation";
		return false;
	}
	if (route->via) {
		answer->reason = "route via another family";
		return false;
	}
	/* A nexthop object the kernel does not show as one path (nexthop compat mode off). */
	if (route->nexthop_id && !route->oif) {
		answer->reason = "nexthop object";
		return false;
	}
	if (route->flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN)) {
		answer->reason = "link down";
		return false;
	}
	if (!route->oif) {
		answer->reason = "no unicast route";
		return false;
	}
	return true;
}

/* The per-family conditions under which the answer could depend on more than the destination. */
static bool resolve_conditions_hold(const struct resolve_conditions *conditions,
				    enum resolve_family family, struct resolve_answer *answer)
{
	if (!conditions->ingress_present)
		answer->reason = "interface gone";
	else if (!conditions->forwarding[family])
		answer->reason = "forwarding off";
	else if (conditions->custom_rules[family])
		answer->reason = "policy-routing rules";
	else if (conditions->special_routes[family])
		answer->reason = family == RESOLVE_IPV4 ? "TOS routes" : "source-specific routes";
	return answer->reason == NULL;
}

void resolve_address(struct netlink *netlink, const struct resolve_conditions *conditions,
		     const struct l3dsr_address *address, struct resolve_answer *answer)
{
	enum resolve_family family = resolve_family_of(address);
	struct resolve_route route;
	struct resolve_link link;
	struct resolve_neighbour neighbour;
	int result;

	memset(answer, 0, sizeof(*answer));
	answer->via = *address;
	if (!resolve_conditions_hold(conditions, family, answer))
		return;
	result = resolve_get_route(netlink, conditions, address, &route);
	if (!resolve_route_usable(&route, result, answer))
		return;
	if (route.has_gateway)
		answer->via = route.gateway;
	/* From here on a change of this neighbour changes the answer. */
	answer->neighbour_ifindex = route.oif;
	answer->neighbour = answer->via;
	if (resolve_get_link(netlink, route.oif, &link)) {
		answer->reason = "link down";
		return;
	}
	if (link.type != ARPHRD_ETHER || !link.has_mac ||
	    (link.flags & (IFF_LOOPBACK | IFF_POINTOPOINT | IFF_NOARP))) {
		answer->reason = "not an Ethernet link";
		return;
	}
	if (!(link.flags & IFF_UP)) {
		answer->reason = "link down";
		return;
	}
	result = resolve_get_neighbour(netlink, route.oif, &answer->via, &neighbour);
	if (result || !neighbour.found || !(neighbour.state & RESOLVE_NUD_VALID) ||
	    !neighbour.has_lladdr) {
		answer->reason = "neighbour not resolved";
		return;
	}
	answer->live = true;
	answer->hop.ifindex = (uint32_t)route.oif;
	answer->hop.mtu = resolve_mtu(family, &route, &link);
	memcpy(answer->hop.dmac, neighbour.lladdr, ETH_ALEN);
	memcpy(answer->hop.smac, link.mac, ETH_ALEN);
	snprintf(answer->ifname, sizeof(answer->ifname), "%s", link.name);
}
