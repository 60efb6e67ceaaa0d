/* notify.c: the daemon's state as told to systemd (sd_notify); silent when NOTIFY_SOCKET is unset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "src/common/log.h"
#include "src/daemon/notify.h"

/*
 * sd_notify returns 0 when NOTIFY_SOCKET is unset (a plain foreground run), which is fine; a
 * negative value means the socket is set but unusable: worth a warning.
 */
static void notify_send(const char *message)
{
	int result = sd_notify(0, message);

	if (result < 0)
		log_errno(LOG_PRIORITY_WARNING, result, "sd_notify failed");
}

void notify_ready(const char *status)
{
	char message[512];

	snprintf(message, sizeof(message), "READY=1\nSTATUS=%s", status);
	notify_send(message);
}

void notify_status(const char *status)
{
	char message[512];

	snprintf(message, sizeof(message), "STATUS=%s", status);
	notify_send(message);
}

void notify_reloading(void)
{
	struct timespec now;
	char message[128];

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(message, sizeof(message), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000);
	notify_send(message);
}

void notify_stopping(const char *status)
{
	char message[512];

	snprintf(message, sizeof(message), "STOPPING=1\nSTATUS=%s", status);
	notify_send(message);
}
