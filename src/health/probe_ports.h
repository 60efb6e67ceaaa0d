/*
 * probe_ports.h: the local ports of the health checks (probe-ports): which are free, and what
 * the LB program is told about each one in use (the probes map).
 */
#ifndef L3DSR_PROBE_PORTS_H
#define L3DSR_PROBE_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/l3dsr_common.h"

struct probe_ports {
	uint16_t first;
	uint32_t count;
	uint32_t cursor; /* the next port to try: ports are used in turn, so a 4-tuple is reused
			    only after every other port of the range */
	bool *busy;
	int map; /* the probes map */
};

/* A pool of FIRST..LAST writing to the probes map MAP; the map's entries are cleared (a range
 * that moved must not leave entries that name other ports). Returns 0 or -errno. */
int probe_ports_init(struct probe_ports *ports, uint16_t first, uint16_t last, int map);
void probe_ports_free(struct probe_ports *ports);

/* A free port, marked busy, or 0 when all are busy. */
uint16_t probe_ports_acquire(struct probe_ports *ports);
void probe_ports_release(struct probe_ports *ports, uint16_t port);

/* Tells the LB program that replies to PORT are those of TARGET. Returns 0 or -errno. */
int probe_ports_publish(const struct probe_ports *ports, uint16_t port,
			const struct probe_target *target);

/*
 * Warns (once per call) when FIRST..LAST overlaps the kernel's ephemeral ports
 * (net.ipv4.ip_local_port_range, which IPv6 shares) without being reserved
 * (net.ipv4.ip_local_reserved_ports): another connection of this host could then be given a
 * probe port. Returns true when there is no such overlap.
 */
bool probe_ports_check_ephemeral(uint16_t first, uint16_t last);

/* Whether PORT is in the list LIST, "1000-1009,2000" (the format of ip_local_reserved_ports). */
bool probe_ports_list_contains(const char *list, uint16_t port);

#endif /* L3DSR_PROBE_PORTS_H */
