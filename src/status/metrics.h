/*
 * metrics.h: an instance's counters (and on the load balancer its health checks' state) in the
 * Prometheus text format, written for the node exporter's textfile collector (statistics-file;
 * every metric is in docs/metrics.md).
 */
#ifndef L3DSR_METRICS_H
#define L3DSR_METRICS_H

#include <stdio.h>

#include "src/health/health.h"

/* The load balancer program's per-CPU traffic maps. */
struct metrics_maps {
	int counters;
	int vip_traffic;
	int backend_traffic;
	const struct instance_maps *instance; /* per VIP: announced, fingerprint */
};

/* What the metrics of the instance on IFNAME are read from. */
struct metrics_source {
	enum l3dsr_role role;
	const char *ifname;
	const struct health *health; /* lb: the health checks */
	struct metrics_maps maps;    /* lb */
	const char *pin_dir;	     /* backend: its pins, read the way l3dsrctl reads them */
};

/* Writes every metric of the instance to OUT. Returns 0 or -errno. */
int metrics_print(FILE *out, const struct metrics_source *source);

/*
 * Writes them to PATH atomically: a temporary file in the same directory, renamed over PATH, so
 * the collector never reads half a file. Returns 0 or -errno (not logged).
 */
int metrics_write(const char *path, const struct metrics_source *source);

#endif /* L3DSR_METRICS_H */
