/*
 * health.c: the load balancer's health checks: one probe per backend every interval, rise/fall
 * counting, the state each backend is in and whether it takes new flows, fail-open, and what
 * l3dsrctl and the metrics are told (docs/health-checks.md).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/common/address.h"
#include "src/health/health.h"
#include "src/common/log.h"
#include "src/common/maps.h"

/* Check timers may fire this late; sd-event's default would be 250 ms. */
#define HEALTH_TIMER_ACCURACY_USEC 10000

static uint64_t now_usec(clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
}

/* ---- the interface's addresses ------------------------------------------------------------ */

static bool is_link_local(const struct in6_addr *address)
{
	return address->s6_addr[0] == 0xfe && (address->s6_addr[1] & 0xc0) == 0x80;
}

/*
 * Probes leave from the address of the interface the LB program is attached to, so that the
 * backends' answers come back through that program (a two-armed LB would otherwise pick its
 * backend-side address, whose traffic the program never sees).
 */
static void refresh_sources(struct health *health)
{
	struct ifaddrs *addresses, *entry;
	bool had4 = health->has_source4, had6 = health->has_source6;

	if (getifaddrs(&addresses)) {
		log_errno(LOG_PRIORITY_WARNING, errno,
			  "health checks: cannot list the addresses of %s", health->ifname);
		return;
	}
	health->has_source4 = health->has_source6 = false;
	for (entry = addresses; entry; entry = entry->ifa_next) {
		if (!entry->ifa_addr || strcmp(entry->ifa_name, health->ifname))
			continue;
		if (entry->ifa_addr->sa_family == AF_INET && !health->has_source4) {
			health->source4 = address_from_in(
			    &((const struct sockaddr_in *)entry->ifa_addr)->sin_addr);
			health->has_source4 = true;
		} else if (entry->ifa_addr->sa_family == AF_INET6 && !health->has_source6) {
			const struct in6_addr *in6 =
			    &((const struct sockaddr_in6 *)entry->ifa_addr)->sin6_addr;

			if (is_link_local(in6))
				continue;
			health->source6 = address_from_in6(in6);
			health->has_source6 = true;
		}
	}
	freeifaddrs(addresses);
	if (had4 != health->has_source4 || had6 != health->has_source6) {
		char text4[ADDRESS_TEXT_MAX] = "none", text6[ADDRESS_TEXT_MAX] = "none";

		if (health->has_source4)
			address_format(&health->source4, text4);
		if (health->has_source6)
			address_format(&health->source6, text6);
		log_info("health checks: probes leave %s from %s and %s", health->ifname, text4,
			 text6);
	}
}

/* ---- records for l3dsrctl ------------------------------------------------------------------ */

static void write_record(const struct health_backend *backend)
{
	const struct health_vip *vip = backend->vip;
	struct instance_backend_health record = {
	    .address = backend->address,
	    .outcome = backend->last_outcome,
	    .status = backend->last_status,
	    .successes = backend->successes,
	    .failures = backend->failures,
	    .rise = vip->check.rise,
	    .fall = vip->check.fall,
	    .latency_usec = backend->last_latency_usec > UINT32_MAX
				? UINT32_MAX
				: (uint32_t)backend->last_latency_usec,
	    .checks = backend->checks,
	    .failed_checks = backend->failed_checks,
	    .last_check_realtime_ns = backend->last_check_realtime_ns,
	};

	if (!backend->id_known || backend->health->record_map < 0)
		return;
	record.flags = (vip->check.type != CHECK_NONE ? INSTANCE_HEALTH_F_CHECKED : 0) |
		       (backend->up ? INSTANCE_HEALTH_F_UP : 0) |
		       (backend->in_table ? INSTANCE_HEALTH_F_IN_TABLE : 0) |
		       (vip->fail_open ? INSTANCE_HEALTH_F_FAIL_OPEN : 0) |
		       (backend->has_latency ? INSTANCE_HEALTH_F_LATENCY : 0);
	/* Display only: a failed write costs l3dsrctl one stale line, nothing else. */
	bpf_map_update_elem(backend->health->record_map, &backend->id, &record, BPF_ANY);
}

static void write_vip_records(const struct health_vip *vip)
{
	for (size_t b = 0; b < vip->backend_count; b++)
		write_record(vip->backends[b]);
}

/* ---- which backends take new flows ---------------------------------------------------------- */

/*
 * A backend takes new flows while it is up. When every backend of the VIP that has a weight is
 * down, nothing changes instead (fail-open): the VIP keeps the table it had, so its traffic is
 * not dropped on the word of checks that may be what is broken. Returns whether any backend
 * entered or left the table.
 */
static bool decide_tables(struct health_vip *vip)
{
	size_t weighted = 0, weighted_up = 0;
	bool changed = false;

	for (size_t b = 0; b < vip->backend_count; b++) {
		weighted += vip->backends[b]->weight > 0;
		weighted_up += vip->backends[b]->weight > 0 && vip->backends[b]->up;
	}
	if (weighted > 0 && weighted_up == 0) {
		if (!vip->fail_open)
			log_warning("vip %s: every backend is down; it keeps its last table "
				    "(fail-open)",
				    vip->name);
		vip->fail_open = true;
		return false;
	}
	if (vip->fail_open)
		log_info("vip %s: %zu backend%s up again; fail-open ends", vip->name, weighted_up,
			 weighted_up == 1 ? "" : "s");
	vip->fail_open = false;
	for (size_t b = 0; b < vip->backend_count; b++) {
		struct health_backend *backend = vip->backends[b];

		changed |= backend->in_table != backend->up;
		backend->in_table = backend->up;
	}
	return changed;
}

static int on_changed(sd_event_source *source, void *userdata)
{
	struct health *health = userdata;
	bool tables = health->tables_changed;

	(void)source;
	health->tables_changed = false;
	health->changed(health->changed_context, tables);
	return 0;
}

/* Tells the service once this loop turn is over: states changed, and maybe the tables. */
static void states_changed(struct health *health, bool tables)
{
	health->tables_changed |= tables;
	sd_event_source_set_enabled(health->changed_event, SD_EVENT_ONESHOT);
}

/* ---- checks ------------------------------------------------------------------------------ */

static void check_done(void *context, enum probe_outcome outcome, uint16_t status,
		       uint64_t latency_usec);

static void schedule_check(struct health_backend *backend, uint64_t at_usec)
{
	backend->next_check_usec = at_usec;
	if (sd_event_source_set_time(backend->timer, at_usec) < 0 ||
	    sd_event_source_set_enabled(backend->timer, SD_EVENT_ONESHOT) < 0)
		log_error("vip %s: cannot schedule a check", backend->vip->name);
}

static bool make_request(const struct health_backend *backend, struct probe_request *request)
{
	const struct health *health = backend->health;
	const struct health_vip *vip = backend->vip;

	memset(request, 0, sizeof(*request));
	request->family = vip->family;
	if (vip->family == AF_INET ? !health->has_source4 : !health->has_source6)
		return false;
	request->source = vip->family == AF_INET ? health->source4 : health->source6;
	request->vip = vip->address;
	request->rip = backend->address;
	request->port = vip->check.port;
	request->dscp = vip->dscp;
	request->type = vip->check.type;
	request->timeout_ms = vip->check.timeout_ms;
	request->expect = vip->check.expect;
	snprintf(request->path, sizeof(request->path), "%s", vip->check.path);
	snprintf(request->host, sizeof(request->host), "%s", vip->check.host);
	return true;
}

static void record_result(struct health_backend *backend, enum probe_outcome outcome,
			  uint16_t status, uint64_t latency_usec);

static int on_check_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct health_backend *backend = userdata;
	struct probe_request request;
	enum probe_outcome outcome = PROBE_NO_SOURCE;
	uint64_t interval = (uint64_t)backend->vip->check.interval_ms * 1000;
	uint64_t next = backend->next_check_usec + interval, now = now_usec(CLOCK_MONOTONIC);

	(void)source;
	(void)usec;
	/* The next one is due one interval after this one was, however long this one takes; a
	 * loop held up for longer does not make up for the checks it missed. */
	schedule_check(backend, next > now ? next : now + interval);
	if (backend->probe)
		return 0;
	if (make_request(backend, &request))
		backend->probe =
		    probe_start(backend->health->event, &request, &backend->health->ports,
				check_done, backend, &outcome);
	if (!backend->probe)
		record_result(backend, outcome, 0, 0);
	return 0;
}

static void check_done(void *context, enum probe_outcome outcome, uint16_t status,
		       uint64_t latency_usec)
{
	struct health_backend *backend = context;

	backend->probe = NULL;
	record_result(backend, outcome, status, latency_usec);
}

static void log_change(const struct health_backend *backend, const char *from, const char *to,
		       const char *reason)
{
	char address[ADDRESS_TEXT_MAX];

	log_info("vip %s: backend %s %s -> %s (%s)", backend->vip->name,
		 address_format(&backend->address, address), from, to, reason);
}

/* rise/fall: a backend goes down after FALL failures in a row, up after RISE successes; one
 * presumed up whose first check fails goes down at once, as nothing ever showed it working. */
static void record_result(struct health_backend *backend, enum probe_outcome outcome,
			  uint16_t status, uint64_t latency_usec)
{
	struct health_vip *vip = backend->vip;
	char reason[64];
	bool was_up = backend->up;

	backend->checks++;
	backend->outcome_counts[outcome < PROBE_OUTCOME_COUNT ? outcome : PROBE_LOCAL_ERROR]++;
	backend->last_outcome = outcome;
	backend->last_status = status;
	backend->last_check_realtime_ns = now_usec(CLOCK_REALTIME) * 1000;
	if (outcome == PROBE_OK) {
		backend->successes++;
		backend->failures = 0;
		backend->has_latency = true;
		backend->last_latency_usec = latency_usec;
		if (!backend->up && backend->successes >= vip->check.rise) {
			backend->up = true;
			snprintf(reason, sizeof(reason), "%u check%s ok", backend->successes,
				 backend->successes == 1 ? "" : "s");
			log_change(backend, "down", "up", reason);
		}
	} else {
		backend->failed_checks++;
		backend->failures++;
		backend->successes = 0;
		if (backend->up && (backend->failures >= vip->check.fall || !backend->checked)) {
			backend->up = false;
			log_change(backend, "up", "down",
				   probe_outcome_text(outcome, status, reason, sizeof(reason)));
		}
	}
	backend->checked = true;
	if (backend->up != was_up) {
		backend->state_changes++;
		states_changed(backend->health, decide_tables(vip));
		write_vip_records(vip);
	} else {
		write_record(backend);
	}
}

/* ---- configuration ------------------------------------------------------------------------- */

static void backend_stop_checks(struct health_backend *backend)
{
	probe_cancel(backend->probe);
	backend->probe = NULL;
	backend->timer = sd_event_source_disable_unref(backend->timer);
}

static void backend_free(struct health_backend *backend)
{
	if (!backend)
		return;
	backend_stop_checks(backend);
	free(backend);
}

static void vips_free(struct health_vip *vips, size_t count)
{
	for (size_t i = 0; vips && i < count; i++) {
		for (size_t b = 0; b < vips[i].backend_count; b++)
			backend_free(vips[i].backends[b]);
		free(vips[i].backends);
	}
	free(vips);
}

/* Takes the record of ADDRESS out of OLD (the VIP of the same name before the change). */
static struct health_backend *take_backend(struct health_vip *old,
					   const struct l3dsr_address *address)
{
	for (size_t b = 0; old && b < old->backend_count; b++) {
		struct health_backend *backend = old->backends[b];

		if (backend && address_equal(&backend->address, address)) {
			old->backends[b] = NULL;
			return backend;
		}
	}
	return NULL;
}

static struct health_vip *find_vip(struct health_vip *vips, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(vips[i].name, name))
			return &vips[i];
	return NULL;
}

/* A backend that is checked gets a timer; its first check is spread over the first interval,
 * so that the checks of a VIP do not all leave at once. */
static int backend_start_checks(struct health_backend *backend, size_t position, size_t count)
{
	uint64_t interval = (uint64_t)backend->vip->check.interval_ms * 1000;
	uint64_t first = now_usec(CLOCK_MONOTONIC) + interval * position / (count ? count : 1);
	int result;

	if (backend->timer)
		return 0;
	result = sd_event_add_time(backend->health->event, &backend->timer, CLOCK_MONOTONIC, first,
				   HEALTH_TIMER_ACCURACY_USEC, on_check_timer, backend);
	if (result < 0)
		return result;
	backend->next_check_usec = first;
	return 0;
}

/* With "check = none" a backend counts as up, and nothing of an earlier check remains. */
static void backend_unchecked(struct health_backend *backend)
{
	backend_stop_checks(backend);
	backend->up = true;
	backend->checked = false;
	backend->successes = backend->failures = 0;
	backend->last_outcome = PROBE_NOT_CHECKED;
	backend->last_status = 0;
	backend->has_latency = false;
}

static int configure_vip(struct health *health, struct health_vip *vip,
			 const struct vip_config *config, struct health_vip *old)
{
	vip->family = config->address.family;
	vip->address = address_from_config(&config->address);
	vip->dscp = config->dscp;
	vip->check = config->check;
	vip->fail_open = old ? old->fail_open : false;
	snprintf(vip->name, sizeof(vip->name), "%s", config->name);
	vip->backends = calloc(config->backend_count + 1, sizeof(*vip->backends));
	if (!vip->backends)
		return -ENOMEM;
	for (size_t b = 0; b < config->backend_count; b++) {
		struct l3dsr_address address = address_from_config(&config->backends[b].address);
		struct health_backend *backend = take_backend(old, &address);

		if (!backend) {
			backend = calloc(1, sizeof(*backend));
			if (!backend)
				return -ENOMEM;
			backend->address = address;
			backend->up = backend->in_table = true;
		}
		backend->health = health;
		backend->vip = vip;
		backend->weight = config->backends[b].weight;
		vip->backends[vip->backend_count++] = backend;
		if (config->check.type == CHECK_NONE)
			backend_unchecked(backend);
		else if (backend_start_checks(backend, b, config->backend_count) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A new probe range: the probes in flight hold ports of the old one, which the LB program no
 * longer maps; they start again at once from the new range. */
static int configure_ports(struct health *health, const struct l3dsr_config *config)
{
	int result;

	if (health->ports.busy && health->ports.first == config->probe_port_first &&
	    health->ports.count ==
		(uint32_t)(config->probe_port_last - config->probe_port_first) + 1)
		return 0;
	for (size_t i = 0; i < health->vip_count; i++)
		for (size_t b = 0; b < health->vips[i].backend_count; b++) {
			struct health_backend *backend = health->vips[i].backends[b];

			if (backend->probe) {
				probe_cancel(backend->probe);
				backend->probe = NULL;
				schedule_check(backend, now_usec(CLOCK_MONOTONIC));
			}
		}
	probe_ports_free(&health->ports);
	result = probe_ports_init(&health->ports, config->probe_port_first, config->probe_port_last,
				  health->probes_map);
	if (result)
		log_errno(LOG_PRIORITY_ERROR, result, "health checks: cannot clear the probes map");
	return result;
}

/* Closes the holes take_backend left in the current list. */
static void compact(struct health *health)
{
	for (size_t i = 0; i < health->vip_count; i++) {
		struct health_vip *vip = &health->vips[i];
		size_t kept = 0;

		for (size_t b = 0; b < vip->backend_count; b++)
			if (vip->backends[b])
				vip->backends[kept++] = vip->backends[b];
		vip->backend_count = kept;
	}
}

int health_configure(struct health *health, const struct l3dsr_config *config)
{
	struct health_vip *vips = calloc(config->vip_count + 1, sizeof(*vips));
	size_t count = 0;
	bool changed = false;
	int result = vips ? 0 : -ENOMEM;

	for (size_t i = 0; i < config->vip_count && !result; i++) {
		struct health_vip *old =
		    find_vip(health->vips, health->vip_count, config->vips[i].name);
		bool *before = NULL;

		result = configure_vip(health, &vips[i], &config->vips[i], old);
		count++;
		if (result)
			break;
		/* What the maps hold for the kept backends, to tell whether the decision moved. */
		before = calloc(vips[i].backend_count + 1, sizeof(*before));
		if (!before) {
			result = -ENOMEM;
			break;
		}
		for (size_t b = 0; b < vips[i].backend_count; b++)
			before[b] = vips[i].backends[b]->in_table;
		decide_tables(&vips[i]);
		for (size_t b = 0; b < vips[i].backend_count; b++)
			changed |= before[b] != vips[i].backends[b]->in_table;
		free(before);
	}
	if (result) {
		/* Out of memory: the checks of the previous configuration go on, less the records
		 * that had moved over, which go with the new list. */
		log_errno(LOG_PRIORITY_ERROR, result,
			  "health checks: cannot apply the configuration");
		vips_free(vips, count);
		compact(health);
		return result;
	}
	vips_free(health->vips, health->vip_count);
	health->vips = vips;
	health->vip_count = config->vip_count;
	result = configure_ports(health, config);
	/* At start and at every reload: the sysctls may have changed meanwhile. */
	probe_ports_check_ephemeral(config->probe_port_first, config->probe_port_last);
	refresh_sources(health);
	if (changed)
		states_changed(health, true);
	return result;
}

/* ---- the rest of the interface ------------------------------------------------------------- */

int health_init(struct health *health, sd_event *event, const char *ifname, int probes_map,
		int record_map, health_changed_fn *changed, void *context)
{
	int result;

	memset(health, 0, sizeof(*health));
	health->event = event;
	snprintf(health->ifname, sizeof(health->ifname), "%s", ifname);
	health->probes_map = probes_map;
	health->record_map = record_map;
	health->changed = changed;
	health->changed_context = context;
	result = sd_event_add_defer(event, &health->changed_event, on_changed, health);
	if (result >= 0)
		result = sd_event_source_set_enabled(health->changed_event, SD_EVENT_OFF);
	if (result < 0)
		return log_errno(LOG_PRIORITY_ERROR, result, "health checks: cannot set up");
	return 0;
}

/* The checks' record of BACKEND of VIP; NULL when they do not know it. */
static const struct health_backend *find_checked(const struct health *health,
						 const struct vip_config *vip,
						 const struct backend_config *backend)
{
	struct health_vip *known = find_vip(health->vips, health->vip_count, vip->name);
	struct l3dsr_address address = address_from_config(&backend->address);

	for (size_t b = 0; known && b < known->backend_count; b++)
		if (address_equal(&known->backends[b]->address, &address))
			return known->backends[b];
	return NULL;
}

bool health_in_table(const struct health *health, const struct vip_config *vip,
		     const struct backend_config *backend)
{
	const struct health_backend *checked = find_checked(health, vip, backend);

	return !checked || checked->in_table;
}

bool health_up(const struct health *health, const struct vip_config *vip,
	       const struct backend_config *backend)
{
	const struct health_backend *checked = find_checked(health, vip, backend);

	return !checked || checked->up;
}

void health_refresh_ids(struct health *health, int backends_map,
			const struct instance_maps *instance)
{
	uint32_t capacity = maps_max_entries(backends_map), *in_use = NULL, in_use_count = 0;
	struct backend_info *backends = calloc(capacity + 1, sizeof(*backends));
	struct instance_vip_name *names = calloc(L3DSR_MAX_VIPS, sizeof(*names));

	if (!backends || !names ||
	    maps_read_array(backends_map, capacity, sizeof(*backends), backends) ||
	    maps_read_array(instance->vip_names, L3DSR_MAX_VIPS, sizeof(*names), names) ||
	    !(in_use = malloc(sizeof(*in_use) * (capacity + 1)))) {
		log_warning("health checks: cannot read the backends map; l3dsrctl may show "
			    "stale check results");
		goto out;
	}
	/* The ids in use, listed once: usually a few among tens of thousands. */
	for (uint32_t id = 0; id < capacity; id++)
		if (backends[id].flags & BACKEND_F_IN_USE)
			in_use[in_use_count++] = id;
	for (size_t i = 0; i < health->vip_count; i++) {
		struct health_vip *vip = &health->vips[i];

		vip->index_known = false;
		for (uint32_t index = 0; index < L3DSR_MAX_VIPS && !vip->index_known; index++) {
			names[index].name[sizeof(names[index].name) - 1] = '\0';
			if (!strcmp(names[index].name, vip->name)) {
				vip->index = index;
				vip->index_known = true;
			}
		}
		for (size_t b = 0; b < vip->backend_count; b++) {
			struct health_backend *backend = vip->backends[b];

			backend->id_known = false;
			for (uint32_t u = 0; u < in_use_count && vip->index_known; u++) {
				const struct backend_info *info = &backends[in_use[u]];

				if (info->vip_index == vip->index &&
				    address_equal(&info->address, &backend->address)) {
					backend->id = in_use[u];
					backend->id_known = true;
					break;
				}
			}
			write_record(backend);
		}
	}
out:
	free(backends);
	free(names);
	free(in_use);
}

void health_tick(struct health *health)
{
	refresh_sources(health);
}

void health_summarize(const struct health *health, struct health_summary *summary)
{
	memset(summary, 0, sizeof(*summary));
	for (size_t i = 0; i < health->vip_count; i++) {
		const struct health_vip *vip = &health->vips[i];
		size_t used = strlen(summary->fail_open_names);

		for (size_t b = 0; b < vip->backend_count; b++) {
			summary->backends++;
			summary->backends_up += vip->backends[b]->up;
		}
		if (!vip->fail_open)
			continue;
		summary->fail_open_vips++;
		snprintf(summary->fail_open_names + used, sizeof(summary->fail_open_names) - used,
			 "%s%s", used ? ", " : "", vip->name);
	}
}

void health_free(struct health *health)
{
	vips_free(health->vips, health->vip_count);
	health->vips = NULL;
	health->vip_count = 0;
	probe_ports_free(&health->ports);
	health->changed_event = sd_event_source_disable_unref(health->changed_event);
}
