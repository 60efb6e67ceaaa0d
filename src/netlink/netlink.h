/*
 * netlink.h: one netlink socket (libmnl), rtnetlink or generic: requests answered by an
 * acknowledgement or a dump, and the dispatch of whatever the kernel sends, so that a module may
 * subscribe to link, route or neighbour events (or a generic family's group) on a socket of its
 * own and feed it to the daemon's event loop.
 */
#ifndef L3DSR_NETLINK_H
#define L3DSR_NETLINK_H

#include <libmnl/libmnl.h>
#include <stdint.h>

struct netlink {
	struct mnl_socket *socket;
	uint32_t port_id;
	uint32_t sequence;
	char *buffer; /* MNL_SOCKET_BUFFER_SIZE bytes: one request, then the replies */
};

/*
 * Opens a socket of PROTOCOL (NETLINK_ROUTE, NETLINK_GENERIC) joined to GROUPS (RTMGRP_* bits;
 * 0 for a socket that only asks, or joins a group later by NETLINK_ADD_MEMBERSHIP). Dumps are
 * filtered by the kernel where it can (NETLINK_GET_STRICT_CHK). Returns 0 or -errno.
 */
int netlink_open(struct netlink *netlink, int protocol, unsigned int groups);
void netlink_close(struct netlink *netlink);

/* The socket's descriptor, for an event loop to wait on (a subscriber's socket). */
int netlink_fd(const struct netlink *netlink);

/*
 * A new request in the socket's buffer: header of TYPE with FLAGS (NLM_F_REQUEST and
 * NLM_F_ACK are added) and a fresh sequence number. The caller appends its payload.
 */
struct nlmsghdr *netlink_request(struct netlink *netlink, uint16_t type, uint16_t flags);

/*
 * Sends REQUEST (from netlink_request) and reads the answer up to its acknowledgement or the
 * end of the dump, calling CALLBACK (may be NULL) with DATA for each message it carries.
 * Returns 0 or -errno: the kernel's error for the request, or the socket's.
 */
int netlink_call(struct netlink *netlink, struct nlmsghdr *request, mnl_cb_t callback, void *data);

/*
 * Reads what is pending on a subscriber's socket (without blocking: call it when the fd is
 * readable) and calls CALLBACK with DATA for each message. Returns 0 or -errno.
 */
int netlink_dispatch(struct netlink *netlink, mnl_cb_t callback, void *data);

#endif /* L3DSR_NETLINK_H */
