/*
 * probe.c: one health check of one backend over the DSR path: a non-blocking TCP connection from
 * a probe port to RIP:port carrying the VIP's DSCP code, and for http a GET whose status is
 * compared; driven by the daemon's sd-event loop, it never blocks.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/health/probe.h"

/* Ports of the range that another socket of the host holds are skipped, this many at most. */
#define PROBE_BIND_TRIES 16
/* Timeouts may fire this late: a millisecond, where sd-event's default is 250 ms. */
#define PROBE_TIMER_ACCURACY_USEC 1000

struct probe {
	struct probe_request request;
	struct probe_ports *ports;
	probe_done_fn *done;
	void *context;
	int fd;
	uint16_t local_port;
	bool connected;
	sd_event_source *io;
	sd_event_source *timeout;
	uint64_t started_usec;
	char request_text[2 * CONFIG_PATH_MAX + 128];
	size_t request_length, request_sent;
	char response[PROBE_HTTP_RESPONSE_MAX];
	size_t response_length;
};

static uint64_t monotonic_usec(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
}

/* A socket address of the request's family from an address in the maps' form. */
static socklen_t socket_address(int family, const struct l3dsr_address *address, uint16_t port,
				struct sockaddr_storage *storage)
{
	memset(storage, 0, sizeof(*storage));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)storage;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = address->words[3];
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, address->words, sizeof(in6->sin6_addr));
	return sizeof(*in6);
}

static enum probe_outcome connect_outcome(int error)
{
	switch (error) {
	case ECONNREFUSED:
		return PROBE_CONNECT_REFUSED;
	case ETIMEDOUT:
		return PROBE_CONNECT_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENONET:
		return PROBE_UNREACHABLE;
	default:
		return PROBE_CONNECT_ERROR;
	}
}

static void probe_free(struct probe *probe)
{
	sd_event_source_disable_unref(probe->io);
	sd_event_source_disable_unref(probe->timeout);
	/* SO_LINGER 0: the close resets the connection, so no TIME_WAIT holds the port and the
	 * backend's service forgets the connection at once. */
	if (probe->fd >= 0)
		close(probe->fd);
	if (probe->local_port)
		probe_ports_release(probe->ports, probe->local_port);
	free(probe);
}

static void probe_finish(struct probe *probe, enum probe_outcome outcome, uint16_t status)
{
	probe_done_fn *done = probe->done;
	void *context = probe->context;
	uint64_t latency = monotonic_usec() - probe->started_usec;

	probe_free(probe);
	done(context, outcome, status, latency);
}

/* The status line, once it is complete. */
static void probe_read(struct probe *probe)
{
	uint16_t status = 0;
	ssize_t got;
	int parsed;

	for (;;) {
		got = recv(probe->fd, probe->response + probe->response_length,
			   sizeof(probe->response) - probe->response_length, 0);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			probe_finish(probe, errno == ECONNRESET ? PROBE_RESET : PROBE_CLOSED, 0);
			return;
		}
		if (got == 0) {
			probe_finish(probe, PROBE_CLOSED, 0);
			return;
		}
		probe->response_length += (size_t)got;
		parsed = probe_http_status(probe->response, probe->response_length, &status);
		if (parsed < 0) {
			probe_finish(probe, PROBE_BAD_RESPONSE, 0);
			return;
		}
		if (parsed > 0) {
			probe_finish(probe,
				     status == probe->request.expect ? PROBE_OK : PROBE_BAD_STATUS,
				     status);
			return;
		}
	}
}

/* The request, as far as the socket takes it; then the wait for the answer. */
static void probe_write(struct probe *probe)
{
	while (probe->request_sent < probe->request_length) {
		ssize_t sent = send(probe->fd, probe->request_text + probe->request_sent,
				    probe->request_length - probe->request_sent, MSG_NOSIGNAL);

		if (sent < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			probe_finish(
			    probe,
			    errno == ECONNRESET || errno == EPIPE ? PROBE_RESET : PROBE_CLOSED, 0);
			return;
		}
		probe->request_sent += (size_t)sent;
	}
	if (sd_event_source_set_io_events(probe->io, EPOLLIN) < 0)
		probe_finish(probe, PROBE_LOCAL_ERROR, 0);
}

static int probe_on_io(sd_event_source *source, int fd, uint32_t events, void *userdata)
{
	struct probe *probe = userdata;
	int error = 0;
	socklen_t length = sizeof(error);

	(void)source;
	(void)events;
	if (!probe->connected) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
			error = errno;
		if (error == EINPROGRESS || error == EALREADY)
			return 0;
		if (error) {
			probe_finish(probe, connect_outcome(error), 0);
			return 0;
		}
		probe->connected = true;
		if (probe->request.type == CHECK_TCP) {
			probe_finish(probe, PROBE_OK, 0);
			return 0;
		}
	}
	if (probe->request_sent < probe->request_length)
		probe_write(probe);
	else
		probe_read(probe);
	return 0;
}

static int probe_on_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct probe *probe = userdata;

	(void)source;
	(void)usec;
	probe_finish(probe, probe->connected ? PROBE_READ_TIMEOUT : PROBE_CONNECT_TIMEOUT, 0);
	return 0;
}

/* A socket bound to the source address and a free probe port, with the VIP's DSCP code. */
static enum probe_outcome probe_socket(struct probe *probe)
{
	const struct probe_request *request = &probe->request;
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
	int ds = request->dscp << 2;
	struct sockaddr_storage local;
	socklen_t local_length;

	for (int tries = 0; tries < PROBE_BIND_TRIES; tries++) {
		probe->local_port = probe_ports_acquire(probe->ports);
		if (!probe->local_port)
			return PROBE_NO_PORT;
		probe->fd = socket(request->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (probe->fd < 0)
			return PROBE_LOCAL_ERROR;
		if (setsockopt(probe->fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
			       sizeof(abort_on_close)))
			return PROBE_LOCAL_ERROR;
		if (ds && (request->family == AF_INET
			       ? setsockopt(probe->fd, IPPROTO_IP, IP_TOS, &ds, sizeof(ds))
			       : setsockopt(probe->fd, IPPROTO_IPV6, IPV6_TCLASS, &ds, sizeof(ds))))
			return PROBE_LOCAL_ERROR;
		local_length =
		    socket_address(request->family, &request->source, probe->local_port, &local);
		if (bind(probe->fd, (struct sockaddr *)&local, local_length) == 0)
			return PROBE_OK;
		if (errno != EADDRINUSE)
			return errno == EADDRNOTAVAIL ? PROBE_NO_SOURCE : PROBE_LOCAL_ERROR;
		/* Another socket of the host holds this one: the next port. */
		close(probe->fd);
		probe->fd = -1;
	}
	return PROBE_NO_PORT;
}

struct probe *probe_start(sd_event *event, const struct probe_request *request,
			  struct probe_ports *ports, probe_done_fn *done, void *context,
			  enum probe_outcome *outcome)
{
	struct probe *probe = calloc(1, sizeof(*probe));
	struct probe_target target;
	struct sockaddr_storage remote;
	socklen_t remote_length;
	int length;

	*outcome = PROBE_LOCAL_ERROR;
	if (!probe)
		return NULL;
	probe->request = *request;
	probe->ports = ports;
	probe->done = done;
	probe->context = context;
	probe->fd = -1;
	probe->started_usec = monotonic_usec();
	if (request->type == CHECK_HTTP) {
		length = probe_http_request(probe->request_text, sizeof(probe->request_text),
					    request->path, request->host);
		if (length < 0)
			goto out;
		probe->request_length = (size_t)length;
	}
	*outcome = probe_socket(probe);
	if (*outcome != PROBE_OK)
		goto out;
	*outcome = PROBE_LOCAL_ERROR;
	/* The LB program must know the port before the first reply can arrive. */
	target = (struct probe_target){
	    .vip = request->vip,
	    .rip = request->rip,
	    .port = htons(request->port),
	    .family = request->family == AF_INET ? 4 : 6,
	};
	if (probe_ports_publish(ports, probe->local_port, &target))
		goto out;
	remote_length = socket_address(request->family, &request->rip, request->port, &remote);
	if (connect(probe->fd, (struct sockaddr *)&remote, remote_length) && errno != EINPROGRESS) {
		*outcome = connect_outcome(errno);
		goto out;
	}
	if (sd_event_add_io(event, &probe->io, probe->fd, EPOLLOUT, probe_on_io, probe) < 0 ||
	    sd_event_add_time_relative(event, &probe->timeout, CLOCK_MONOTONIC,
				       (uint64_t)request->timeout_ms * 1000,
				       PROBE_TIMER_ACCURACY_USEC, probe_on_timeout, probe) < 0)
		goto out;
	return probe;
out:
	probe_free(probe);
	return NULL;
}

void probe_cancel(struct probe *probe)
{
	if (probe)
		probe_free(probe);
}
