/* netlink.c: one rtnetlink socket (libmnl): requests, dumps, and the dispatch of events. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "src/netlink/netlink.h"

/* The kernel answers a route request at once; this only bounds a wait that should not happen. */
#define NETLINK_ANSWER_TIMEOUT_MS 5000

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

int netlink_open(struct netlink *netlink, int protocol, unsigned int groups)
{
	int on = 1, error;

	memset(netlink, 0, sizeof(*netlink));
	netlink->buffer = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!netlink->buffer)
		return -ENOMEM;
	netlink->socket = mnl_socket_open2(protocol, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!netlink->socket)
		goto fail;
	/* Kernels before 4.20 refuse it; their dumps are then whole and filtered by the caller. */
	mnl_socket_setsockopt(netlink->socket, NETLINK_GET_STRICT_CHK, &on, sizeof(on));
	/* An error names the attribute at fault instead of a bare errno, where the kernel can. */
	mnl_socket_setsockopt(netlink->socket, NETLINK_EXT_ACK, &on, sizeof(on));
	if (mnl_socket_bind(netlink->socket, groups, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	netlink->port_id = mnl_socket_get_portid(netlink->socket);
	/* Distinct from an earlier run's, whose late answers must not be taken for ours. */
	netlink->sequence = (uint32_t)time(NULL);
	return 0;
fail:
	error = errno;
	netlink_close(netlink);
	return -error;
}

void netlink_close(struct netlink *netlink)
{
	if (netlink->socket)
		mnl_socket_close(netlink->socket);
	free(netlink->buffer);
	memset(netlink, 0, sizeof(*netlink));
}

int netlink_fd(const struct netlink *netlink)
{
	return netlink->socket ? mnl_socket_get_fd(netlink->socket) : -1;
}

struct nlmsghdr *netlink_request(struct netlink *netlink, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *header = mnl_nlmsg_put_header(netlink->buffer);

	header->nlmsg_type = type;
	header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	header->nlmsg_seq = ++netlink->sequence;
	return header;
}

/*
 * The next answer. The socket is non-blocking (for the dispatch of events), but a long dump comes
 * in parts: wait for each, a bounded time, as the kernel answers at once.
 */
static ssize_t receive(struct netlink *netlink)
{
	struct pollfd poll_fd = {.fd = netlink_fd(netlink), .events = POLLIN};

	for (;;) {
		ssize_t length =
		    mnl_socket_recvfrom(netlink->socket, netlink->buffer, MNL_SOCKET_BUFFER_SIZE);
		int ready;

		if (length >= 0 || errno != EAGAIN)
			return length;
		ready = poll(&poll_fd, 1, NETLINK_ANSWER_TIMEOUT_MS);
		if (ready == 0)
			errno = ETIMEDOUT;
		if (ready <= 0 && errno != EINTR)
			return -1;
	}
}

int netlink_call(struct netlink *netlink, struct nlmsghdr *request, mnl_cb_t callback, void *data)
{
	uint32_t sequence = request->nlmsg_seq;
	int result;

	if (mnl_socket_sendto(netlink->socket, request, request->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t length = receive(netlink);

		if (length < 0)
			return -errno;
		/* MNL_CB_STOP (0) at the acknowledgement or NLMSG_DONE; an error sets errno. */
		result = mnl_cb_run(netlink->buffer, (size_t)length, sequence, netlink->port_id,
				    callback, data);
	} while (result > 0);
	return result < 0 ? -errno : 0;
}

int netlink_dispatch(struct netlink *netlink, mnl_cb_t callback, void *data)
{
	for (;;) {
		ssize_t length =
		    mnl_socket_recvfrom(netlink->socket, netlink->buffer, MNL_SOCKET_BUFFER_SIZE);

		if (length < 0)
			return errno == EAGAIN ? 0 : -errno;
		/* Events carry sequence 0 and port 0: mnl_cb_run checks neither then. */
		if (mnl_cb_run(netlink->buffer, (size_t)length, 0, 0, callback, data) < 0)
			return -errno;
	}
}
