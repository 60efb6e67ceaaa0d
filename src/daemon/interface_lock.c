/* interface_lock.c: at most one l3dsrd per interface, whatever pin directories they are given. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "src/daemon/interface_lock.h"
#include "src/common/log.h"

static socklen_t lock_address(const char *ifname, struct sockaddr_un *address)
{
	memset(address, 0, sizeof(*address));
	address->sun_family = AF_UNIX;
	/* sun_path[0] = 0: an abstract name, nothing on disk to clean up after a crash. */
	int length =
	    snprintf(address->sun_path + 1, sizeof(address->sun_path) - 1, "l3dsrd/%s", ifname);
	return offsetof(struct sockaddr_un, sun_path) + 1 + length;
}

/* Who holds the lock: connect and read the listener's credentials. 0 when unknown. */
static pid_t lock_holder(const struct sockaddr_un *address, socklen_t length)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct ucred credentials = {0};
	socklen_t credentials_length = sizeof(credentials);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)address, length) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &credentials_length) == 0)
		pid = credentials.pid;
	close(fd);
	return pid;
}

int interface_lock(const char *ifname)
{
	struct sockaddr_un address;
	socklen_t length = lock_address(ifname, &address);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot create the lock socket for %s",
				 ifname);
	if (bind(fd, (struct sockaddr *)&address, length) != 0) {
		int error = errno;
		pid_t holder;

		close(fd);
		if (error != EADDRINUSE)
			return log_errno(LOG_PRIORITY_ERROR, error, "cannot lock interface %s",
					 ifname);
		holder = lock_holder(&address, length);
		if (holder > 0)
			log_error("another l3dsrd (pid %d) already runs on interface %s",
				  (int)holder, ifname);
		else
			log_error("another l3dsrd already runs on interface %s", ifname);
		return -EADDRINUSE;
	}
	if (listen(fd, 8) != 0) {
		int error = errno;

		close(fd);
		return log_errno(LOG_PRIORITY_ERROR, error,
				 "cannot listen on the lock socket for %s", ifname);
	}
	return fd;
}

void interface_lock_drain(int fd)
{
	int connection;

	while ((connection = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(connection);
}
