/*
 * metrics.h: the load balancer's counters and health in the Prometheus text format, written for
 * the node exporter's textfile collector (statistics-file; every metric is in docs/metrics.md).
 */
#ifndef L3DSR_METRICS_H
#define L3DSR_METRICS_H

#include <stdio.h>

#include "src/health/health.h"

/* The program's per-CPU traffic maps. */
struct metrics_maps {
	int counters;
	int vip_traffic;
	int backend_traffic;
	const struct instance_maps *instance; /* per VIP: announced, fingerprint */
};

/* Writes every metric of the instance on IFNAME to OUT. Returns 0 or -errno. */
int metrics_print(FILE *out, const char *ifname, const struct health *health,
		  const struct metrics_maps *maps);

/*
 * Writes them to PATH atomically: a temporary file in the same directory, renamed over PATH, so
 * the collector never reads half a file. Returns 0 or -errno (not logged).
 */
int metrics_write(const char *path, const char *ifname, const struct health *health,
		  const struct metrics_maps *maps);

#endif /* L3DSR_METRICS_H */
