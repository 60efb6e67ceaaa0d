/* ctl_print.c: l3dsrctl's output, as text for people and as JSON (keys in l3dsrctl(8)). */
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "src/common/address.h"
#include "src/cli/ctl_print.h"
#include "src/health/probe_outcome.h"

/* The health checks' word when they have one (in fail-open a down backend keeps its flag). */
static const char *backend_state(const struct ctl_backend *backend)
{
	bool up = backend->has_health ? (backend->health.flags & INSTANCE_HEALTH_F_UP) != 0
				      : (backend->flags & BACKEND_F_UP) != 0;

	if (!up)
		return "down";
	return backend->weight == 0 ? "drained" : "up";
}

static bool backend_checked(const struct ctl_backend *backend)
{
	return backend->has_health && (backend->health.flags & INSTANCE_HEALTH_F_CHECKED);
}

/* "ok in 0.8 ms", "connect timeout, 3 in a row", "not checked yet". */
static void format_check(const struct ctl_backend *backend, char *text, size_t size)
{
	const struct instance_backend_health *health = &backend->health;
	char outcome[64];

	probe_outcome_text(health->outcome, (uint16_t)health->status, outcome, sizeof(outcome));
	if (health->outcome == PROBE_OK && (health->flags & INSTANCE_HEALTH_F_LATENCY))
		snprintf(text, size, "ok in %.1f ms", health->latency_usec / 1000.0);
	else if (health->outcome != PROBE_OK && health->outcome != PROBE_NOT_CHECKED)
		snprintf(text, size, "%s, %u in a row", outcome, health->failures);
	else
		snprintf(text, size, "%s", outcome);
}

static const char *role_name(const struct ctl_instance *instance)
{
	return instance_role_name(instance->info.role);
}

/* "tcp/80"; all ports are shown as a star after the slash, as in the configuration. */
static void format_service(const struct ctl_vip *vip, char *text, size_t size)
{
	if (vip->port)
		snprintf(text, size, "%s/%u", address_protocol_name(vip->protocol), vip->port);
	else
		snprintf(text, size, "%s/*", address_protocol_name(vip->protocol));
}

static void print_header_text(FILE *out, const struct ctl_instance *instance)
{
	fprintf(out, "%s: %s, %s", instance->info.ifname, role_name(instance),
		instance_mode_name(instance->info.xdp_mode));
	if (instance->attached)
		fprintf(out, ", program %u (link %u)", instance->program_id, instance->link_id);
	else if (instance->daemon_running)
		fprintf(out, ", detached (its interface is gone; the daemon attaches the program "
			     "again when it is back)");
	else
		fprintf(out, ", detached (its interface is gone)");
	if (instance->daemon_running)
		fprintf(out, ", daemon pid %u\n", instance->info.pid);
	else
		fprintf(out, ", no daemon (pid %u exited; the program keeps forwarding)\n",
			instance->info.pid);
	fprintf(out, "  configuration %s\n", instance->info.config_path);
	if (instance->info.role == ROLE_LB)
		fprintf(out, "  flow hash: %s\n",
			instance_flow_hash_name(instance->settings.flags));
}

/* "dev eth1 lladdr 00:00:5e:00:53:01 mtu 1500", or the FIB's part when it has none cached. */
static void format_next_hop(const struct ctl_backend *backend, char *text, size_t size)
{
	const uint8_t *mac = backend->next_hop.dmac;
	char name[IF_NAMESIZE];

	if (!backend->has_next_hop) {
		snprintf(text, size, "kernel FIB lookup");
		return;
	}
	if (!if_indextoname(backend->next_hop.ifindex, name))
		snprintf(name, sizeof(name), "%u", backend->next_hop.ifindex);
	snprintf(text, size, "dev %s lladdr %02x:%02x:%02x:%02x:%02x:%02x mtu %u", name, mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5], backend->next_hop.mtu);
}

/* The width of the widest backend address, so that the columns line up. */
static int backend_column_width(const struct ctl_instance *instance)
{
	char address[ADDRESS_TEXT_MAX];
	size_t width = 0;

	for (size_t i = 0; i < instance->vip_count; i++)
		for (size_t b = 0; b < instance->vips[i].backend_count; b++) {
			size_t length =
			    strlen(address_format(&instance->vips[i].backends[b].address, address));

			width = length > width ? length : width;
		}
	return (int)width;
}

void ctl_print_status_text(FILE *out, const struct ctl_instance *instance)
{
	char address[ADDRESS_TEXT_MAX], service[32];
	int width = backend_column_width(instance);

	print_header_text(out, instance);
	if (instance->info.role == ROLE_BACKEND) {
		fprintf(out, "  local addresses:");
		for (size_t i = 0; i < instance->local_address_count; i++)
			fprintf(out, " %s", address_format(&instance->local_addresses[i], address));
		fprintf(out, "%s\n", instance->local_address_count ? "" : " none");
	}
	if (instance->vip_count == 0)
		fprintf(out, "  no VIP\n");
	for (size_t i = 0; i < instance->vip_count; i++) {
		const struct ctl_vip *vip = &instance->vips[i];

		address_format(&vip->address, address);
		format_service(vip, service, sizeof(service));
		fprintf(out, "  vip %s %s", vip->name, address);
		if (instance->info.role == ROLE_LB || !vip->dscp)
			fprintf(out, " %s", service);
		if (vip->dscp)
			fprintf(out, " dscp %u", vip->dscp);
		else
			fprintf(out, " dscp none");
		if (instance->info.role == ROLE_LB)
			fprintf(out, " table %u announced %s fingerprint %s", vip->table_size,
				vip->announced ? "yes" : "no", vip->fingerprint);
		fprintf(out, ": %" PRIu64 " packets%s\n", (uint64_t)vip->traffic.packets,
			vip->fail_open
			    ? "; fail-open: every backend is down, the last table is kept"
			    : "");
		for (size_t b = 0; b < vip->backend_count; b++) {
			const struct ctl_backend *backend = &vip->backends[b];
			char check[96] = "";

			if (backend_checked(backend))
				format_check(backend, check, sizeof(check));
			fprintf(out,
				"    backend %-*s  weight %-4u %-7s %7u slots %12" PRIu64
				" packets%s%s\n",
				width, address_format(&backend->address, address), backend->weight,
				backend_state(backend), backend->slots,
				(uint64_t)backend->traffic.packets, check[0] ? "  check: " : "",
				check);
			if (instance->info.role == ROLE_LB) {
				char next_hop[96];

				format_next_hop(backend, next_hop, sizeof(next_hop));
				fprintf(out, "      next hop: %s\n", next_hop);
			}
		}
	}
}

static void json_traffic(struct json *json, const struct traffic_counter *traffic)
{
	json_field_uint(json, "packets", traffic->packets);
	json_field_uint(json, "bytes", traffic->bytes);
}

static void json_header(struct json *json, const struct ctl_instance *instance)
{
	json_field_string(json, "interface", instance->info.ifname);
	json_field_uint(json, "ifindex", instance->info.ifindex);
	json_field_string(json, "role", role_name(instance));
}

/* The next hop the program takes for it, or null: it asks the kernel's FIB per packet. */
static void json_next_hop(struct json *json, const struct ctl_backend *backend)
{
	const uint8_t *mac = backend->next_hop.dmac;
	char name[IF_NAMESIZE], lladdr[18];

	json_key(json, "next_hop");
	if (!backend->has_next_hop) {
		json_null(json);
		return;
	}
	json_begin_object(json);
	json_field_uint(json, "ifindex", backend->next_hop.ifindex);
	if (if_indextoname(backend->next_hop.ifindex, name))
		json_field_string(json, "interface", name);
	snprintf(lladdr, sizeof(lladdr), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	json_field_string(json, "lladdr", lladdr);
	json_field_uint(json, "mtu", backend->next_hop.mtu);
	json_end_object(json);
}

/* The last check of a backend whose VIP has one (keys in l3dsrctl(8)). */
static void json_check(struct json *json, const struct ctl_backend *backend)
{
	const struct instance_backend_health *health = &backend->health;
	char outcome[64];

	json_begin_object(json);
	json_field_string(json, "result", probe_outcome_name(health->outcome));
	json_field_string(json, "text",
			  probe_outcome_text(health->outcome, (uint16_t)health->status, outcome,
					     sizeof(outcome)));
	json_key(json, "http_status");
	if (health->status)
		json_uint(json, health->status);
	else
		json_null(json);
	json_key(json, "latency_seconds");
	if (health->flags & INSTANCE_HEALTH_F_LATENCY)
		json_double(json, health->latency_usec / 1e6);
	else
		json_null(json);
	json_field_uint(json, "successes_in_a_row", health->successes);
	json_field_uint(json, "failures_in_a_row", health->failures);
	json_field_uint(json, "rise", health->rise);
	json_field_uint(json, "fall", health->fall);
	json_field_uint(json, "checks", health->checks);
	json_field_uint(json, "failed_checks", health->failed_checks);
	/* Up, or kept in its table by fail-open; a drained backend takes none. */
	json_field_bool(json, "takes_new_flows",
			(health->flags & INSTANCE_HEALTH_F_IN_TABLE) && backend->weight > 0);
	json_end_object(json);
}

void ctl_print_status_json(struct json *json, const struct ctl_instance *instance)
{
	char address[ADDRESS_TEXT_MAX];

	json_begin_object(json);
	json_header(json, instance);
	json_field_string(json, "xdp_mode", instance_mode_name(instance->info.xdp_mode));
	json_field_bool(json, "attached", instance->attached);
	json_field_uint(json, "program_id", instance->program_id);
	json_field_uint(json, "link_id", instance->link_id);
	json_field_uint(json, "daemon_pid", instance->info.pid);
	json_field_bool(json, "daemon_running", instance->daemon_running);
	json_field_string(json, "config", instance->info.config_path);
	json_field_string(json, "object", instance->info.object_path);
	json_field_string(json, "pin_dir", instance->pin_dir);
	if (instance->info.role == ROLE_LB)
		json_field_string(json, "flow_hash",
				  instance_flow_hash_name(instance->settings.flags));
	if (instance->info.role == ROLE_BACKEND) {
		json_key(json, "local_addresses");
		json_begin_array(json);
		for (size_t i = 0; i < instance->local_address_count; i++)
			json_string(json, address_format(&instance->local_addresses[i], address));
		json_end_array(json);
	}
	json_key(json, "vips");
	json_begin_array(json);
	for (size_t i = 0; i < instance->vip_count; i++) {
		const struct ctl_vip *vip = &instance->vips[i];

		json_begin_object(json);
		json_field_string(json, "name", vip->name);
		json_field_uint(json, "index", vip->index);
		json_field_string(json, "address", address_format(&vip->address, address));
		json_field_string(json, "protocol", address_protocol_name(vip->protocol));
		json_key(json, "port");
		if (vip->port)
			json_uint(json, vip->port);
		else
			json_null(json);
		json_key(json, "dscp");
		if (vip->dscp)
			json_uint(json, vip->dscp);
		else
			json_null(json);
		if (instance->info.role == ROLE_LB) {
			json_field_uint(json, "table_size", vip->table_size);
			json_field_bool(json, "fail_open", vip->fail_open);
			json_field_bool(json, "announced", vip->announced);
			json_field_string(json, "fingerprint", vip->fingerprint);
		}
		json_traffic(json, &vip->traffic);
		if (instance->info.role == ROLE_LB) {
			json_key(json, "backends");
			json_begin_array(json);
			for (size_t b = 0; b < vip->backend_count; b++) {
				const struct ctl_backend *backend = &vip->backends[b];

				json_begin_object(json);
				json_field_string(json, "address",
						  address_format(&backend->address, address));
				json_field_uint(json, "id", backend->id);
				json_field_uint(json, "weight", backend->weight);
				json_field_string(json, "state", backend_state(backend));
				json_field_uint(json, "slots", backend->slots);
				json_traffic(json, &backend->traffic);
				json_key(json, "check");
				if (backend_checked(backend))
					json_check(json, backend);
				else
					json_null(json);
				json_next_hop(json, backend);
				json_end_object(json);
			}
			json_end_array(json);
		}
		json_end_object(json);
	}
	json_end_array(json);
	json_end_object(json);
}

/* A counter with its rate: AFTER - BEFORE over SECONDS (a counter reset reads as 0). */
struct rate {
	uint64_t packets, bytes;
	double packets_per_second, bytes_per_second;
};

static struct rate rate_of(const struct traffic_counter *before,
			   const struct traffic_counter *after, double seconds)
{
	struct rate rate = {.packets = after->packets, .bytes = after->bytes};

	if (before && seconds > 0 && after->packets >= before->packets &&
	    after->bytes >= before->bytes) {
		rate.packets_per_second = (double)(after->packets - before->packets) / seconds;
		rate.bytes_per_second = (double)(after->bytes - before->bytes) / seconds;
	}
	return rate;
}

static const struct ctl_vip *find_vip(const struct ctl_instance *instance, uint32_t index)
{
	for (size_t i = 0; i < instance->vip_count; i++)
		if (instance->vips[i].index == index)
			return &instance->vips[i];
	return NULL;
}

static const struct traffic_counter *find_backend_traffic(const struct ctl_vip *vip, uint32_t id)
{
	for (size_t b = 0; vip && b < vip->backend_count; b++)
		if (vip->backends[b].id == id)
			return &vip->backends[b].traffic;
	return NULL;
}

static void print_rate_text(FILE *out, const char *what, const struct rate *rate)
{
	fprintf(out, "  %-40s %14" PRIu64 " %16" PRIu64 " %12.1f %14.1f\n", what, rate->packets,
		rate->bytes, rate->packets_per_second, rate->bytes_per_second);
}

void ctl_print_stats_text(FILE *out, const struct ctl_instance *before,
			  const struct ctl_instance *after, double seconds)
{
	char what[160], address[ADDRESS_TEXT_MAX];
	const char *const *names;
	size_t count;
	struct rate rate;

	names = ctl_counter_names(after->info.role, &count);
	fprintf(out, "%s: %s, rates over %.2f s\n", after->info.ifname, role_name(after), seconds);
	fprintf(out, "  %-40s %14s %16s %12s %14s\n", "counter", "packets", "bytes", "packets/s",
		"bytes/s");
	for (size_t i = 0; i < count; i++) {
		rate = rate_of(&before->counters[i], &after->counters[i], seconds);
		print_rate_text(out, names[i], &rate);
	}
	for (size_t i = 0; i < after->vip_count; i++) {
		const struct ctl_vip *vip = &after->vips[i], *old = find_vip(before, vip->index);

		snprintf(what, sizeof(what), "vip %s", vip->name);
		rate = rate_of(old ? &old->traffic : NULL, &vip->traffic, seconds);
		print_rate_text(out, what, &rate);
		for (size_t b = 0; b < vip->backend_count; b++) {
			snprintf(what, sizeof(what), "  backend %s",
				 address_format(&vip->backends[b].address, address));
			rate = rate_of(find_backend_traffic(old, vip->backends[b].id),
				       &vip->backends[b].traffic, seconds);
			print_rate_text(out, what, &rate);
		}
	}
}

static void json_rate(struct json *json, const struct rate *rate)
{
	json_field_uint(json, "packets", rate->packets);
	json_field_uint(json, "bytes", rate->bytes);
	json_field_double(json, "packets_per_second", rate->packets_per_second);
	json_field_double(json, "bytes_per_second", rate->bytes_per_second);
}

void ctl_print_stats_json(struct json *json, const struct ctl_instance *before,
			  const struct ctl_instance *after, double seconds)
{
	char address[ADDRESS_TEXT_MAX];
	const char *const *names;
	size_t count;
	struct rate rate;

	names = ctl_counter_names(after->info.role, &count);
	json_begin_object(json);
	json_header(json, after);
	json_field_double(json, "interval_seconds", seconds);
	json_key(json, "counters");
	json_begin_object(json);
	for (size_t i = 0; i < count; i++) {
		json_key(json, names[i]);
		json_begin_object(json);
		rate = rate_of(&before->counters[i], &after->counters[i], seconds);
		json_rate(json, &rate);
		json_end_object(json);
	}
	json_end_object(json);
	json_key(json, "vips");
	json_begin_array(json);
	for (size_t i = 0; i < after->vip_count; i++) {
		const struct ctl_vip *vip = &after->vips[i], *old = find_vip(before, vip->index);

		json_begin_object(json);
		json_field_string(json, "name", vip->name);
		json_field_uint(json, "index", vip->index);
		rate = rate_of(old ? &old->traffic : NULL, &vip->traffic, seconds);
		json_rate(json, &rate);
		if (after->info.role == ROLE_LB) {
			json_key(json, "backends");
			json_begin_array(json);
			for (size_t b = 0; b < vip->backend_count; b++) {
				json_begin_object(json);
				json_key(json, "address");
				json_string(json,
					    address_format(&vip->backends[b].address, address));
				json_field_uint(json, "id", vip->backends[b].id);
				rate = rate_of(find_backend_traffic(old, vip->backends[b].id),
					       &vip->backends[b].traffic, seconds);
				json_rate(json, &rate);
				json_end_object(json);
			}
			json_end_array(json);
		}
		json_end_object(json);
	}
	json_end_array(json);
	json_end_object(json);
}
