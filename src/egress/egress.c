/*
 * egress.c: keeps the LB program's egress_devices map: the interfaces that can take the frames
 * it redirects, from the XDP features the kernel reports for each (netdev netlink family).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/l3dsr_common.h"
#include "src/common/log.h"
#include "src/egress/egress.h"

/* From linux/netdev.h (Linux 6.3), which Debian 12's linux-libc-dev predates. */
#define EGRESS_NETDEV_FAMILY		 "netdev"
#define EGRESS_NETDEV_GROUP		 "mgmt"
#define EGRESS_NETDEV_CMD_DEV_GET	 1
#define EGRESS_NETDEV_A_DEV_IFINDEX	 1
#define EGRESS_NETDEV_A_DEV_XDP_FEATURES 3

struct egress_device {
	uint32_t ifindex;
	uint32_t flags; /* EGRESS_F_* */
};

struct egress_devices {
	struct egress_device list[L3DSR_MAX_EGRESS_DEVICES];
	size_t count;
};

struct egress_family {
	uint16_t id;
	uint32_t group; /* 0: not found */
};

/* A request of the generic netlink family TYPE for COMMAND, in the socket's buffer. */
static struct nlmsghdr *egress_message(struct egress *egress, uint16_t type, uint16_t flags,
				       uint8_t command)
{
	struct nlmsghdr *message = netlink_request(&egress->requests, type, flags);
	struct genlmsghdr *header = mnl_nlmsg_put_extra_header(message, sizeof(*header));

	header->cmd = command;
	header->version = 1;
	return message;
}

static int egress_on_family(const struct nlmsghdr *message, void *data)
{
	struct egress_family *family = data;
	const struct nlattr *attribute, *group, *field;

	mnl_attr_for_each(attribute, message, sizeof(struct genlmsghdr))
	{
		if (mnl_attr_get_type(attribute) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attribute, MNL_TYPE_U16) >= 0)
			family->id = mnl_attr_get_u16(attribute);
		if (mnl_attr_get_type(attribute) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(group, attribute)
		{
			const char *name = NULL;
			uint32_t id = 0;

			mnl_attr_for_each_nested(field, group)
			{
				if (mnl_attr_get_type(field) == CTRL_ATTR_MCAST_GRP_NAME &&
				    mnl_attr_validate(field, MNL_TYPE_NUL_STRING) >= 0)
					name = mnl_attr_get_str(field);
				else if (mnl_attr_get_type(field) == CTRL_ATTR_MCAST_GRP_ID &&
					 mnl_attr_validate(field, MNL_TYPE_U32) >= 0)
					id = mnl_attr_get_u32(field);
			}
			if (name && !strcmp(name, EGRESS_NETDEV_GROUP))
				family->group = id;
		}
	}
	return MNL_CB_OK;
}

static int egress_on_device(const struct nlmsghdr *message, void *data)
{
	struct egress_devices *devices = data;
	const struct nlattr *attribute;
	uint64_t features = 0;
	uint32_t ifindex = 0;

	mnl_attr_for_each(attribute, message, sizeof(struct genlmsghdr))
	{
		if (mnl_attr_get_type(attribute) == EGRESS_NETDEV_A_DEV_IFINDEX &&
		    mnl_attr_validate(attribute, MNL_TYPE_U32) >= 0)
			ifindex = mnl_attr_get_u32(attribute);
		else if (mnl_attr_get_type(attribute) == EGRESS_NETDEV_A_DEV_XDP_FEATURES &&
			 mnl_attr_validate(attribute, MNL_TYPE_U64) >= 0)
			features = mnl_attr_get_u64(attribute);
	}
	if (ifindex != EGRESS_ANY_DEVICE && (features & EGRESS_F_XMIT) &&
	    devices->count < L3DSR_MAX_EGRESS_DEVICES) {
		devices->list[devices->count].ifindex = ifindex;
		devices->list[devices->count].flags =
		    (uint32_t)features & (EGRESS_F_XMIT | EGRESS_F_XMIT_SG);
		devices->count++;
	}
	return MNL_CB_OK;
}

/* The interfaces that take XDP frames now, by the kernel; or EGRESS_ANY_DEVICE when it cannot say.
 */
static int egress_read(struct egress *egress, struct egress_devices *devices)
{
	devices->count = 0;
	if (!egress->family) {
		devices->list[0].ifindex = EGRESS_ANY_DEVICE;
		devices->list[0].flags = EGRESS_F_XMIT | EGRESS_F_XMIT_SG;
		devices->count = 1;
		return 0;
	}
	return netlink_call(
	    &egress->requests,
	    egress_message(egress, egress->family, NLM_F_DUMP, EGRESS_NETDEV_CMD_DEV_GET),
	    egress_on_device, devices);
}

static const struct egress_device *egress_find(const struct egress_devices *devices,
					       uint32_t ifindex)
{
	for (size_t i = 0; i < devices->count; i++)
		if (devices->list[i].ifindex == ifindex)
			return &devices->list[i];
	return NULL;
}

static void egress_log(uint32_t ifindex, const char *what)
{
	char name[IF_NAMESIZE];

	if (ifindex == EGRESS_ANY_DEVICE)
		return;
	if (!if_indextoname(ifindex, name))
		strcpy(name, "(gone)");
	log_info("interface %s (ifindex %u) %s", name, ifindex, what);
}

/* Brings the map to what the kernel reports now, saying which interfaces changed. */
static int egress_sync(struct egress *egress)
{
	struct egress_devices *now = calloc(1, sizeof(*now)), *before = calloc(1, sizeof(*before));
	uint32_t key, next, flags;
	int result = -ENOMEM;
	bool first = true;

	if (!now || !before)
		goto out;
	result = egress_read(egress, now);
	if (result) {
		log_error("cannot read the interfaces' XDP features: %s", strerror(-result));
		goto out;
	}
	while (before->count < L3DSR_MAX_EGRESS_DEVICES &&
	       !bpf_map_get_next_key(egress->map_fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(egress->map_fd, &key, &flags))
			continue;
		before->list[before->count].ifindex = key;
		before->list[before->count].flags = flags;
		before->count++;
	}
	for (size_t i = 0; i < now->count; i++) {
		const struct egress_device *device = &now->list[i];
		const struct egress_device *old = egress_find(before, device->ifindex);

		if (old && old->flags == device->flags)
			continue;
		if (bpf_map_update_elem(egress->map_fd, &device->ifindex, &device->flags,
					BPF_ANY)) {
			result = -errno;
			log_error("cannot write egress_devices: %s", strerror(errno));
			goto out;
		}
		egress_log(device->ifindex,
			   device->flags & EGRESS_F_XMIT_SG
			       ? "takes redirected XDP frames, multi-buffer ones too"
			       : "takes redirected XDP frames (not multi-buffer ones)");
	}
	for (size_t i = 0; i < before->count; i++) {
		if (egress_find(now, before->list[i].ifindex))
			continue;
		bpf_map_delete_elem(egress->map_fd, &before->list[i].ifindex);
		egress_log(before->list[i].ifindex,
			   "cannot take redirected XDP frames: the kernel forwards packets to it");
	}
	egress->devices = now->count;
	result = 0;
out:
	free(now);
	free(before);
	return result;
}

/* A notification: some interface was added, removed or changed its XDP features. */
static int egress_on_event(sd_event_source *source, int fd, uint32_t events, void *userdata)
{
	struct egress *egress = userdata;

	(void)source;
	(void)fd;
	(void)events;
	/* What they say is read again whole below; a lost one (ENOBUFS) changes nothing there. */
	netlink_dispatch(&egress->events, NULL, NULL);
	egress_sync(egress);
	return 0;
}

/* The netdev family and its notification group; ENOENT: this kernel has none. */
static int egress_resolve(struct egress *egress, struct egress_family *family)
{
	struct nlmsghdr *message = egress_message(egress, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);

	mnl_attr_put_strz(message, CTRL_ATTR_FAMILY_NAME, EGRESS_NETDEV_FAMILY);
	memset(family, 0, sizeof(*family));
	return netlink_call(&egress->requests, message, egress_on_family, family);
}

static int egress_follow(struct egress *egress, uint32_t group, sd_event *event)
{
	int result = netlink_open(&egress->events, NETLINK_GENERIC, 0);

	if (result)
		return result;
	if (mnl_socket_setsockopt(egress->events.socket, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)))
		return -errno;
	return sd_event_add_io(event, &egress->source, netlink_fd(&egress->events), EPOLLIN,
			       egress_on_event, egress);
}

int egress_start(struct egress *egress, int map_fd, sd_event *event)
{
	struct egress_family family;
	int result;

	memset(egress, 0, sizeof(*egress));
	egress->started = true;
	egress->map_fd = map_fd < 0 ? -1 : dup(map_fd);
	if (egress->map_fd < 0) {
		log_error("egress_devices: no map to fill");
		return -EBADF;
	}
	result = netlink_open(&egress->requests, NETLINK_GENERIC, 0);
	if (result) {
		log_error("cannot open a generic netlink socket: %s", strerror(-result));
		return result;
	}
	result = egress_resolve(egress, &family);
	if (result == -ENOENT) {
		log_warning("this kernel does not report interfaces' XDP features (Linux 6.3): "
			    "redirects are sent to every interface, and one that cannot transmit "
			    "XDP frames drops them");
	} else if (result) {
		log_error("cannot resolve the netdev netlink family: %s", strerror(-result));
		return result;
	} else {
		egress->family = family.id;
		result = family.group ? egress_follow(egress, family.group, event) : -ENOENT;
		if (result) {
			log_error("cannot follow the interfaces' XDP features: %s",
				  strerror(-result));
			return result;
		}
	}
	return egress_sync(egress);
}

int egress_use_map(struct egress *egress, int map_fd)
{
	int copy;

	if (!egress->started)
		return 0;
	copy = dup(map_fd);
	if (copy < 0)
		return -errno;
	if (egress->map_fd >= 0)
		close(egress->map_fd);
	egress->map_fd = copy;
	if (!egress->requests.socket)
		return 0;
	return egress_sync(egress);
}

void egress_stop(struct egress *egress)
{
	if (!egress->started)
		return;
	sd_event_source_unref(egress->source);
	netlink_close(&egress->events);
	netlink_close(&egress->requests);
	if (egress->map_fd >= 0)
		close(egress->map_fd);
	memset(egress, 0, sizeof(*egress));
}
