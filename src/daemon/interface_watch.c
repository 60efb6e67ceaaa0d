/*
 * interface_watch.c: follows the daemon's interface by rtnetlink link events, so that the service
 * learns at once when it goes away and when one of its name is back.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "src/common/log.h"
#include "src/daemon/interface_watch.h"

static int on_message(const struct nlmsghdr *header, void *data)
{
	struct interface_watch *watch = data;
	const struct nlattr *attribute;

	if (header->nlmsg_type != RTM_NEWLINK && header->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(attribute, header, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(attribute) == IFLA_IFNAME &&
		    mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) == 0 &&
		    !strcmp(mnl_attr_get_str(attribute), watch->ifname))
			watch->seen = true;
	}
	return MNL_CB_OK;
}

static int on_readable(sd_event_source *source, int fd, uint32_t events, void *userdata)
{
	struct interface_watch *watch = userdata;
	int result;

	(void)source;
	(void)fd;
	(void)events;
	watch->seen = false;
	result = netlink_dispatch(&watch->netlink, on_message, watch);
	/* ENOBUFS: the kernel dropped events; the interface may have changed unseen. */
	if (result && result != -ENOBUFS)
		log_errno(LOG_PRIORITY_WARNING, result, "interface %s: cannot read link events",
			  watch->ifname);
	if (watch->seen || result == -ENOBUFS)
		watch->changed(watch->context);
	return 0;
}

int interface_watch_start(struct interface_watch *watch, sd_event *event, const char *ifname,
			  interface_watch_fn *changed, void *context)
{
	int result;

	memset(watch, 0, sizeof(*watch));
	snprintf(watch->ifname, sizeof(watch->ifname), "%s", ifname);
	watch->changed = changed;
	watch->context = context;
	result = netlink_open(&watch->netlink, NETLINK_ROUTE, RTMGRP_LINK);
	if (!result)
		result = sd_event_add_io(event, &watch->source, netlink_fd(&watch->netlink),
					 EPOLLIN, on_readable, watch);
	if (result < 0) {
		interface_watch_stop(watch);
		return result;
	}
	return 0;
}

void interface_watch_stop(struct interface_watch *watch)
{
	watch->source = sd_event_source_disable_unref(watch->source);
	if (watch->netlink.socket)
		netlink_close(&watch->netlink);
}
