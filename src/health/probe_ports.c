/*
 * probe_ports.c: the local ports of the health checks (probe-ports): which are free, and what
 * the LB program is told about each one in use (the probes map).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"
#include "src/health/probe_ports.h"

#define EPHEMERAL_RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_PORTS_FILE  "/proc/sys/net/ipv4/ip_local_reserved_ports"

int probe_ports_init(struct probe_ports *ports, uint16_t first, uint16_t last, int map)
{
	static const struct probe_target unused;

	memset(ports, 0, sizeof(*ports));
	ports->first = first;
	ports->count = (uint32_t)(last - first) + 1;
	ports->map = map;
	ports->busy = calloc(ports->count, sizeof(*ports->busy));
	if (!ports->busy)
		return -ENOMEM;
	for (uint32_t index = 0; index < L3DSR_MAX_PROBE_PORTS; index++)
		if (bpf_map_update_elem(map, &index, &unused, BPF_ANY))
			return -errno;
	return 0;
}

void probe_ports_free(struct probe_ports *ports)
{
	free(ports->busy);
	ports->busy = NULL;
	ports->count = 0;
}

uint16_t probe_ports_acquire(struct probe_ports *ports)
{
	for (uint32_t tries = 0; tries < ports->count; tries++) {
		uint32_t index = ports->cursor;

		ports->cursor = (ports->cursor + 1) % ports->count;
		if (!ports->busy[index]) {
			ports->busy[index] = true;
			return (uint16_t)(ports->first + index);
		}
	}
	return 0;
}

void probe_ports_release(struct probe_ports *ports, uint16_t port)
{
	uint32_t index = (uint16_t)(port - ports->first);

	if (index < ports->count)
		ports->busy[index] = false;
}

int probe_ports_publish(const struct probe_ports *ports, uint16_t port,
			const struct probe_target *target)
{
	__u32 index = (uint16_t)(port - ports->first);

	if (index >= ports->count)
		return -ERANGE;
	return bpf_map_update_elem(ports->map, &index, target, BPF_ANY) ? -errno : 0;
}

bool probe_ports_list_contains(const char *list, uint16_t port)
{
	const char *cursor = list;

	while (*cursor) {
		char *end;
		unsigned long low = strtoul(cursor, &end, 10), high = low;

		if (end == cursor)
			return false;
		if (*end == '-') {
			cursor = end + 1;
			high = strtoul(cursor, &end, 10);
			if (end == cursor)
				return false;
		}
		if (port >= low && port <= high)
			return true;
		cursor = end;
		if (*cursor == ',')
			cursor++;
		else if (*cursor != '\0' && *cursor != '\n')
			return false;
		else
			break;
	}
	return false;
}

/* The first line of a /proc file, without its newline; "" when it cannot be read. */
static void read_line(const char *path, char *text, size_t size)
{
	FILE *file = fopen(path, "r");

	text[0] = '\0';
	if (!file)
		return;
	if (!fgets(text, (int)size, file))
		text[0] = '\0';
	fclose(file);
	text[strcspn(text, "\n")] = '\0';
}

bool probe_ports_check_ephemeral(uint16_t first, uint16_t last)
{
	char range[64], reserved[4096];
	unsigned low, high;
	uint32_t exposed = 0;

	read_line(EPHEMERAL_RANGE_FILE, range, sizeof(range));
	if (sscanf(range, "%u %u", &low, &high) != 2)
		return true;
	read_line(RESERVED_PORTS_FILE, reserved, sizeof(reserved));
	for (uint32_t port = first; port <= last; port++)
		if (port >= low && port <= high &&
		    !probe_ports_list_contains(reserved, (uint16_t)port))
			exposed++;
	if (exposed == 0)
		return true;
	log_warning(
	    "probe-ports %u-%u: %u of them are ephemeral ports (net.ipv4.ip_local_port_range "
	    "= %u %u) that are not reserved: another connection of this host may be given "
	    "one and lose the replies from a backend's real address; set "
	    "net.ipv4.ip_local_reserved_ports = %u-%u or move probe-ports",
	    first, last, exposed, low, high, first, last);
	return false;
}
