/*
 * restart_check.c: whether the SIGTERM being handled is systemd stopping the unit to start it
 * again, asked of systemd over D-Bus.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/daemon/restart_check.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
/* systemd answers while it waits for us to exit; a bus that does not is no reason to wait. */
#define RESTART_CHECK_TIMEOUT_USEC (2 * 1000000ULL)

/* systemd's own socket first, as systemctl does for root: it needs no D-Bus daemon. */
static int connect_to_systemd(sd_bus **bus)
{
	int result;

	if (geteuid() == 0) {
		result = sd_bus_new(bus);
		if (result >= 0)
			result = sd_bus_set_address(*bus, "unix:path=/run/systemd/private");
		if (result >= 0)
			result = sd_bus_start(*bus);
		if (result >= 0)
			return 0;
		*bus = sd_bus_flush_close_unref(*bus);
	}
	return sd_bus_open_system(bus);
}

/* The job systemd runs on UNIT now: its type into *TYPE (free it), NULL when there is none. */
static int unit_job_type(sd_bus *bus, const char *unit, char **type, sd_bus_error *error)
{
	sd_bus_message *reply = NULL;
	const char *unit_path, *job_path;
	char *path = NULL;
	uint32_t job_id;
	int result;

	*type = NULL;
	result =
	    sd_bus_call_method(bus, SYSTEMD_SERVICE, "/org/freedesktop/systemd1",
			       SYSTEMD_SERVICE ".Manager", "GetUnit", error, &reply, "s", unit);
	if (result >= 0)
		result = sd_bus_message_read(reply, "o", &unit_path);
	if (result >= 0)
		path = strdup(unit_path);
	reply = sd_bus_message_unref(reply);
	if (result >= 0 && !path)
		result = -ENOMEM;
	if (result >= 0)
		result = sd_bus_get_property(bus, SYSTEMD_SERVICE, path, SYSTEMD_SERVICE ".Unit",
					     "Job", error, &reply, "(uo)");
	free(path);
	if (result >= 0)
		result = sd_bus_message_read(reply, "(uo)", &job_id, &job_path);
	/* Job id 0: no job, e.g. the SIGTERM came from kill, not from systemctl. */
	if (result >= 0 && job_id != 0)
		result = sd_bus_get_property_string(bus, SYSTEMD_SERVICE, job_path,
						    SYSTEMD_SERVICE ".Job", "JobType", error, type);
	sd_bus_message_unref(reply);
	return result;
}

bool stop_is_restart(void)
{
	static const char *const restarts[] = {"restart", "try-restart", "reload-or-restart",
					       "try-reload-or-restart"};
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	char *unit = NULL, *type = NULL;
	bool restart = false;
	int result;

	/* Not in a unit of the system manager (a run by hand): no one to ask. */
	if (sd_pid_get_unit(0, &unit) < 0)
		return false;
	if (connect_to_systemd(&bus) < 0) {
		free(unit);
		return false;
	}
	result = sd_bus_set_method_call_timeout(bus, RESTART_CHECK_TIMEOUT_USEC);
	if (result >= 0)
		result = unit_job_type(bus, unit, &type, &error);
	if (result < 0)
		log_warning("cannot ask systemd whether %s is being restarted (%s); stopping fully",
			    unit, sd_bus_error_is_set(&error) ? error.message : strerror(-result));
	for (size_t i = 0; type && i < sizeof(restarts) / sizeof(restarts[0]); i++)
		restart |= !strcmp(type, restarts[i]);
	if (restart)
		log_info("systemd runs a %s job on %s", type, unit);
	sd_bus_error_free(&error);
	sd_bus_flush_close_unref(bus);
	free(type);
	free(unit);
	return restart;
}
