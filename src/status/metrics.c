/*
 * metrics.c: an instance's counters (and on the load balancer its health checks' state) in the
 * Prometheus text format, written for the node exporter's textfile collector (statistics-file;
 * every metric is in docs/metrics.md).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/address.h"
#include "src/common/counter_names.h"
#include "src/status/ctl_read.h"
#include "src/lb/lb_fingerprint.h"
#include "src/common/maps.h"
#include "src/status/metrics.h"

/* A label value with backslash, double quote and newline escaped, as the format wants. */
static void print_label(FILE *out, const char *name, const char *value)
{
	fprintf(out, "%s=\"", name);
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			fprintf(out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", out);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

static void print_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{interface="IFNAME"[,vip="VIP"[,backend="BACKEND"]][,EXTRA="EXTRA_VALUE"]} */
static void print_labels(FILE *out, const char *name, const char *ifname, const char *vip,
			 const struct health_backend *backend, const char *extra,
			 const char *extra_value)
{
	char address[ADDRESS_TEXT_MAX];

	fprintf(out, "%s{", name);
	print_label(out, "interface", ifname);
	if (vip) {
		fputc(',', out);
		print_label(out, "vip", vip);
	}
	if (backend) {
		fputc(',', out);
		print_label(out, "backend", address_format(&backend->address, address));
	}
	if (extra) {
		fputc(',', out);
		print_label(out, extra, extra_value);
	}
	fputs("} ", out);
}

/* One entry of a per-CPU traffic map, summed over the CPUs. */
static int read_traffic(int map, uint32_t key, struct traffic_counter *sum)
{
	int cpus = libbpf_num_possible_cpus();
	struct traffic_counter *per_cpu;
	int result = 0;

	*sum = (struct traffic_counter){0};
	if (cpus <= 0)
		return -EINVAL;
	per_cpu = calloc((size_t)cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map, &key, per_cpu))
		result = -errno;
	for (int cpu = 0; !result && cpu < cpus; cpu++) {
		sum->packets += per_cpu[cpu].packets;
		sum->bytes += per_cpu[cpu].bytes;
	}
	free(per_cpu);
	return result;
}

/* Each counter that is not a verdict is a metric of its own (LB_COUNTERS, bpf/l3dsr_common.h). */
struct counter_metric {
	const char *name; /* NULL: a verdict */
	const char *help;
};

#define LB_COUNTER_METRIC(id, name, verdict, metric, help) [LB_COUNTER_##id] = {metric, help},
static const struct counter_metric counter_metrics[LB_COUNTER_MAX] = {
    LB_COUNTERS(LB_COUNTER_METRIC)};

/* Whether ROLE's COUNTER is a verdict; the others (ICMP errors, skipped flow inserts) count
 * packets that are also counted under their verdict. */
static bool is_verdict(enum l3dsr_role role, size_t counter)
{
	if (role == ROLE_LB)
		return lb_counter_verdicts[counter];
	return counter != BACKEND_COUNTER_ICMP_ERROR;
}

/*
 * The program's global COUNTERS (ROLE's, by enum lb_counter or enum backend_counter). The
 * families both roles write have the same HELP text, so that the collector can merge the files
 * of a load balancer and a backend on one host.
 */
static void print_global(FILE *out, const char *ifname, enum l3dsr_role role,
			 const struct traffic_counter *counters)
{
	size_t icmp_error = role == ROLE_LB ? LB_COUNTER_ICMP_ERROR : BACKEND_COUNTER_ICMP_ERROR;
	const char *const *names;
	size_t count;

	names = ctl_counter_names(role, &count);
	for (int bytes = 0; bytes <= 1; bytes++) {
		const char *name = bytes ? "l3dsr_bytes_total" : "l3dsr_packets_total";

		print_family(out, name, "counter",
			     bytes ? "Bytes of those packets (whole frames), by verdict."
				   : "Packets the XDP program saw, by what it did with them.");
		for (size_t i = 0; i < count; i++) {
			if (!is_verdict(role, i))
				continue;
			print_labels(out, name, ifname, NULL, NULL, "verdict", names[i]);
			fprintf(out, "%" PRIu64 "\n",
				(uint64_t)(bytes ? counters[i].bytes : counters[i].packets));
		}
	}
	if (role != ROLE_LB) {
		/* The backend's one counter besides its verdicts, in the LB's family of that name.
		 */
		const struct counter_metric *metric = &counter_metrics[LB_COUNTER_ICMP_ERROR];

		print_family(out, metric->name, "counter", metric->help);
		print_labels(out, metric->name, ifname, NULL, NULL, NULL, NULL);
		fprintf(out, "%" PRIu64 "\n", (uint64_t)counters[icmp_error].packets);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		const struct counter_metric *metric = &counter_metrics[i];

		if (lb_counter_verdicts[i])
			continue;
		print_family(out, metric->name, "counter", metric->help);
		print_labels(out, metric->name, ifname, NULL, NULL, NULL, NULL);
		fprintf(out, "%" PRIu64 "\n", (uint64_t)counters[i].packets);
	}
}

static void print_vip_family(FILE *out, bool packets)
{
	print_family(out, packets ? "l3dsr_vip_packets_total" : "l3dsr_vip_bytes_total", "counter",
		     packets ? "Packets of the VIP: sent to one of its backends (lb), restored "
			       "to it (backend)."
			     : "Bytes of those packets (whole frames).");
}

static void print_vip_traffic(FILE *out, const char *ifname, const char *vip,
			      const struct traffic_counter *sum, bool packets)
{
	print_labels(out, packets ? "l3dsr_vip_packets_total" : "l3dsr_vip_bytes_total", ifname,
		     vip, NULL, NULL, NULL);
	fprintf(out, "%" PRIu64 "\n", (uint64_t)(packets ? sum->packets : sum->bytes));
}

/* The traffic of each VIP and backend the maps know; PACKETS or bytes. */
static int print_traffic(FILE *out, const char *ifname, const struct health *health,
			 const struct metrics_maps *maps, bool packets)
{
	const char *backend_name =
	    packets ? "l3dsr_backend_packets_total" : "l3dsr_backend_bytes_total";
	struct traffic_counter sum;
	int result;

	print_vip_family(out, packets);
	for (size_t i = 0; i < health->vip_count; i++) {
		const struct health_vip *vip = &health->vips[i];

		if (!vip->index_known)
			continue;
		result = read_traffic(maps->vip_traffic, vip->index, &sum);
		/* The program counts backends only; vip_traffic holds the removed ones'. */
		for (size_t b = 0; !result && b < vip->backend_count; b++) {
			struct traffic_counter backend;

			if (!vip->backends[b]->id_known)
				continue;
			result =
			    read_traffic(maps->backend_traffic, vip->backends[b]->id, &backend);
			sum.packets += backend.packets;
			sum.bytes += backend.bytes;
		}
		if (result)
			return result;
		print_vip_traffic(out, ifname, vip->name, &sum, packets);
	}
	print_family(out, backend_name, "counter",
		     packets ? "Packets sent to the backend for the VIP."
			     : "Bytes of the packets sent to the backend for the VIP.");
	for (size_t i = 0; i < health->vip_count; i++)
		for (size_t b = 0; b < health->vips[i].backend_count; b++) {
			const struct health_backend *backend = health->vips[i].backends[b];

			if (!backend->id_known)
				continue;
			result = read_traffic(maps->backend_traffic, backend->id, &sum);
			if (result)
				return result;
			print_labels(out, backend_name, ifname, health->vips[i].name, backend, NULL,
				     NULL);
			fprintf(out, "%" PRIu64 "\n",
				(uint64_t)(packets ? sum.packets : sum.bytes));
		}
	return 0;
}

/* A gauge or counter with one value per backend. */
static void print_backends(FILE *out, const char *ifname, const struct health *health,
			   const char *name, const char *type, const char *help, bool checked_only,
			   double (*value)(const struct health_backend *backend, bool *present))
{
	print_family(out, name, type, help);
	for (size_t i = 0; i < health->vip_count; i++) {
		const struct health_vip *vip = &health->vips[i];

		if (checked_only && vip->check.type == CHECK_NONE)
			continue;
		for (size_t b = 0; b < vip->backend_count; b++) {
			bool present = true;
			double number = value(vip->backends[b], &present);

			if (!present)
				continue;
			print_labels(out, name, ifname, vip->name, vip->backends[b], NULL, NULL);
			fprintf(out, "%.9g\n", number);
		}
	}
}

static double backend_up(const struct health_backend *backend, bool *present)
{
	(void)present;
	return backend->up;
}

static double backend_takes_new_flows(const struct health_backend *backend, bool *present)
{
	(void)present;
	return backend->in_table && backend->weight > 0;
}

static double backend_weight(const struct health_backend *backend, bool *present)
{
	(void)present;
	return backend->weight;
}

static double backend_latency(const struct health_backend *backend, bool *present)
{
	*present = backend->has_latency;
	return (double)backend->last_latency_usec / 1e6;
}

static double backend_state_changes(const struct health_backend *backend, bool *present)
{
	(void)present;
	return (double)backend->state_changes;
}

static void print_health(FILE *out, const char *ifname, const struct health *health)
{
	print_backends(out, ifname, health, "l3dsr_backend_up", "gauge",
		       "1 while the health checks say the backend is up (always without a check).",
		       false, backend_up);
	print_backends(out, ifname, health, "l3dsr_backend_takes_new_flows", "gauge",
		       "1 while the backend holds slots of its VIP's Maglev table.", false,
		       backend_takes_new_flows);
	print_backends(out, ifname, health, "l3dsr_backend_weight", "gauge",
		       "The backend's configured weight (0: drained).", false, backend_weight);
	print_backends(out, ifname, health, "l3dsr_backend_check_latency_seconds", "gauge",
		       "How long the last successful health check took.", true, backend_latency);
	print_backends(out, ifname, health, "l3dsr_backend_state_changes_total", "counter",
		       "Times the backend went up or down since the daemon started.", true,
		       backend_state_changes);

	print_family(out, "l3dsr_backend_checks_total", "counter",
		     "Health checks that ended, by result, since the daemon started.");
	for (size_t i = 0; i < health->vip_count; i++) {
		const struct health_vip *vip = &health->vips[i];

		if (vip->check.type == CHECK_NONE)
			continue;
		for (size_t b = 0; b < vip->backend_count; b++)
			for (int outcome = PROBE_OK; outcome < PROBE_OUTCOME_COUNT; outcome++) {
				uint64_t count = vip->backends[b]->outcome_counts[outcome];

				/* "ok" always; a failure once it has happened. */
				if (!count && outcome != PROBE_OK)
					continue;
				print_labels(out, "l3dsr_backend_checks_total", ifname, vip->name,
					     vip->backends[b], "result",
					     probe_outcome_name(outcome));
				fprintf(out, "%" PRIu64 "\n", count);
			}
	}

	print_family(out, "l3dsr_vip_fail_open", "gauge",
		     "1 while every backend of the VIP is down and it keeps its last table.");
	for (size_t i = 0; i < health->vip_count; i++) {
		print_labels(out, "l3dsr_vip_fail_open", ifname, health->vips[i].name, NULL, NULL,
			     NULL);
		fprintf(out, "%d\n", health->vips[i].fail_open);
	}
}

/* What the daemon recorded for the checks' VIP I; false when it recorded nothing. */
static bool read_vip_state(const struct health *health, const struct metrics_maps *maps, size_t i,
			   struct instance_vip_state *state)
{
	const struct health_vip *vip = &health->vips[i];

	return vip->index_known && !instance_read_vip_state(maps->instance, vip->index, state);
}

/* What the daemon recorded per VIP: whether it is announced, its table's fingerprint. */
static void print_vip_state(FILE *out, const char *ifname, const struct health *health,
			    const struct metrics_maps *maps)
{
	struct instance_vip_state state;
	char fingerprint[17];

	print_family(out, "l3dsr_vip_announced", "gauge",
		     "1 while the VIP's address is announced (a route of protocol l3dsr).");
	for (size_t i = 0; i < health->vip_count; i++) {
		if (!read_vip_state(health, maps, i, &state))
			continue;
		print_labels(out, "l3dsr_vip_announced", ifname, health->vips[i].name, NULL, NULL,
			     NULL);
		fprintf(out, "%d\n", (state.flags & INSTANCE_VIP_F_ANNOUNCED) != 0);
	}
	print_family(out, "l3dsr_vip_info", "gauge",
		     "Always 1; fingerprint: of the VIP's Maglev table, equal on every LB that "
		     "sends its flows to the same backends.");
	for (size_t i = 0; i < health->vip_count; i++) {
		if (!read_vip_state(health, maps, i, &state))
			continue;
		lb_fingerprint_format(state.fingerprint, fingerprint);
		print_labels(out, "l3dsr_vip_info", ifname, health->vips[i].name, NULL,
			     "fingerprint", fingerprint);
		fputs("1\n", out);
	}
}

static int print_lb(FILE *out, const char *ifname, const struct health *health,
		    const struct metrics_maps *maps)
{
	struct traffic_counter counters[LB_COUNTER_MAX];
	int result = maps_read_traffic(maps->counters, LB_COUNTER_MAX, counters);

	if (result)
		return result;
	print_global(out, ifname, ROLE_LB, counters);
	result = print_traffic(out, ifname, health, maps, true);
	if (!result)
		result = print_traffic(out, ifname, health, maps, false);
	if (!result)
		print_health(out, ifname, health);
	if (!result && maps->instance)
		print_vip_state(out, ifname, health, maps);
	return result;
}

/* A backend's counters, read from its pins as l3dsrctl reads them: the same numbers. */
static int print_backend(FILE *out, const char *ifname, const char *pin_dir)
{
	struct ctl_instance instance;
	char error[256];
	int result = ctl_read_instance(pin_dir, &instance, error, sizeof(error));

	if (!result) {
		print_global(out, ifname, ROLE_BACKEND, instance.counters);
		for (int packets = 1; packets >= 0; packets--) {
			print_vip_family(out, packets);
			for (size_t i = 0; i < instance.vip_count; i++)
				print_vip_traffic(out, ifname, instance.vips[i].name,
						  &instance.vips[i].traffic, packets);
		}
	}
	ctl_free_instance(&instance);
	return result;
}

int metrics_print(FILE *out, const struct metrics_source *source)
{
	if (source->role == ROLE_LB)
		return print_lb(out, source->ifname, source->health, &source->maps);
	return print_backend(out, source->ifname, source->pin_dir);
}

int metrics_write(const char *path, const struct metrics_source *source)
{
	char temporary[PATH_MAX];
	const char *slash = strrchr(path, '/');
	FILE *out;
	int fd, result;

	/* A hidden name without the .prom ending: the collector never reads it. */
	if (!slash || snprintf(temporary, sizeof(temporary), "%.*s/.%s.XXXXXX", (int)(slash - path),
			       path, slash + 1) >= (int)sizeof(temporary))
		return -ENAMETOOLONG;
	fd = mkstemp(temporary);
	if (fd < 0)
		return -errno;
	/* mkstemp makes it 0600; the node exporter runs as another user. */
	if (fchmod(fd, 0644) || !(out = fdopen(fd, "w"))) {
		result = -errno;
		close(fd);
		unlink(temporary);
		return result;
	}
	result = metrics_print(out, source);
	if (fflush(out) && !result)
		result = -errno;
	if (fclose(out) && !result)
		result = -errno;
	if (!result && rename(temporary, path))
		result = -errno;
	if (result)
		unlink(temporary);
	return result;
}
