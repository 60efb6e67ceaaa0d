/* ctl_read.c: everything l3dsrctl shows about an instance, read from its pins alone. */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/address.h"
#include "src/common/counter_names.h"
#include "src/status/ctl_read.h"
#include "src/lb/lb_fingerprint.h"
#include "src/lb/lb_rings.h"
#include "src/common/maps.h"
#include "src/common/pins.h"

const char *const *ctl_counter_names(enum l3dsr_role role, size_t *count)
{
	if (role == ROLE_LB) {
		*count = LB_COUNTER_MAX;
		return lb_counter_names;
	}
	*count = BACKEND_COUNTER_MAX;
	return backend_counter_names;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ctl_list_instances(const char *root, const char *ifname, char ***dirs, size_t *count)
{
	DIR *listing = opendir(root);
	struct dirent *entry;
	char path[PATH_MAX];
	char **list = NULL;
	size_t found = 0;

	*dirs = NULL;
	*count = 0;
	if (!listing)
		return errno == ENOENT ? 0 : -errno;
	while ((entry = readdir(listing))) {
		if (entry->d_name[0] == '.' || (ifname && strcmp(entry->d_name, ifname)))
			continue;
		if (pins_path(path, sizeof(path), root, entry->d_name) ||
		    !pins_exist(path, INSTANCE_MAP_INFO))
			continue;
		char **bigger = realloc(list, (found + 1) * sizeof(*list));
		if (!bigger)
			goto out_of_memory;
		list = bigger;
		list[found] = strdup(path);
		if (!list[found])
			goto out_of_memory;
		found++;
	}
	closedir(listing);
	qsort(list, found, sizeof(*list), compare_paths);
	*dirs = list;
	*count = found;
	return 0;
out_of_memory:
	ctl_free_list(list, found);
	closedir(listing);
	return -ENOMEM;
}

void ctl_free_list(char **dirs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(dirs[i]);
	free(dirs);
}

/* Alive and an l3dsrd: a pid may have been reused since the daemon died. */
static bool daemon_alive(pid_t pid)
{
	char path[64], name[32] = "";
	FILE *comm;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	comm = fopen(path, "r");
	if (!comm)
		return false;
	if (!fgets(name, sizeof(name), comm))
		name[0] = '\0';
	fclose(comm);
	return !strncmp(name, "l3dsrd", 6);
}

static void read_link(struct ctl_instance *instance)
{
	struct bpf_link_info info = {0};
	__u32 length = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (pins_path(path, sizeof(path), instance->pin_dir, PINS_LINK))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &length)) {
		instance->link_id = info.id;
		instance->program_id = info.prog_id;
		/* A link whose interface went away reports ifindex 0. */
		instance->attached = info.type == BPF_LINK_TYPE_XDP && info.xdp.ifindex != 0;
	}
	close(fd);
}

static int read_counters(struct ctl_instance *instance)
{
	int fd = maps_open_pinned(instance->pin_dir, "counters");
	int result;

	ctl_counter_names(instance->info.role, &instance->counter_count);
	if (fd < 0)
		return fd;
	result = maps_read_traffic(fd, instance->counter_count, instance->counters);
	close(fd);
	return result;
}

/* Opens DIR/NAME, reads it as per-CPU traffic counters into a new array of its max_entries. */
static int read_traffic_map(const char *dir, const char *name, struct traffic_counter **sums,
			    uint32_t *count)
{
	int fd = maps_open_pinned(dir, name), result;

	*sums = NULL;
	*count = 0;
	if (fd < 0)
		return fd;
	*count = maps_max_entries(fd);
	*sums = calloc(*count + 1, sizeof(**sums));
	result = *sums ? maps_read_traffic(fd, *count, *sums) : -ENOMEM;
	close(fd);
	return result;
}

static struct ctl_vip *vip_at(struct ctl_instance *instance, uint32_t index, bool *added)
{
	struct ctl_vip *bigger;

	*added = false;
	for (size_t i = 0; i < instance->vip_count; i++)
		if (instance->vips[i].index == index)
			return &instance->vips[i];
	bigger = realloc(instance->vips, (instance->vip_count + 1) * sizeof(*bigger));
	if (!bigger)
		return NULL;
	instance->vips = bigger;
	memset(&bigger[instance->vip_count], 0, sizeof(*bigger));
	bigger[instance->vip_count].index = index;
	*added = true;
	return &bigger[instance->vip_count++];
}

static int compare_vips(const void *a, const void *b)
{
	const struct ctl_vip *left = a, *right = b;

	return left->index < right->index ? -1 : left->index > right->index;
}

/* How many slots of VIP's ring each of its backends owns. */
static void count_slots(const char *pin_dir, struct ctl_vip *vip)
{
	int rings = maps_open_pinned(pin_dir, "maglev_rings"), ring;
	uint32_t entries = 0, *slots = NULL;

	if (rings < 0)
		return;
	ring = lb_ring_open(rings, vip->index, &entries);
	close(rings);
	if (ring < 0)
		return;
	if (entries == l3dsr_ring_entries(vip->table_size))
		slots = calloc(vip->table_size + 1, sizeof(*slots));
	if (slots && !lb_ring_read(ring, vip->table_size, slots))
		for (uint32_t slot = 0; slot < vip->table_size; slot++)
			for (size_t b = 0; b < vip->backend_count; b++)
				if (vip->backends[b].id == l3dsr_ring_current(slots[slot])) {
					vip->backends[b].slots++;
					break;
				}
	free(slots);
	close(ring);
}

/* The health record of BACKEND, if the daemon wrote one for this very backend. */
static void read_health(const struct instance_maps *maps, struct ctl_backend *backend)
{
	if (maps->backend_health < 0 ||
	    bpf_map_lookup_elem(maps->backend_health, &backend->id, &backend->health))
		return;
	backend->has_health =
	    !memcmp(&backend->health.address, &backend->address, sizeof(backend->address));
}

/* BACKEND's next hop from next_hops (pinned; absent in an older program: none). */
static void read_next_hop(const struct ctl_instance *instance, int next_hops,
			  struct ctl_backend *backend)
{
	struct next_hop_entry entry;

	if (next_hops < 0 || bpf_map_lookup_elem(next_hops, &backend->id, &entry))
		return;
	if (entry.live == NEXT_HOP_NONE || entry.ingress_ifindex != instance->info.ifindex ||
	    !address_equal(&entry.address, &backend->address))
		return;
	backend->has_next_hop = true;
	backend->next_hop = entry.copies[entry.live == NEXT_HOP_COPY1];
}

static int read_lb_backends(struct ctl_instance *instance, const struct instance_maps *maps)
{
	struct backend_info *backends = NULL;
	struct traffic_counter *traffic = NULL;
	uint32_t count = 0, traffic_count = 0;
	__u32 *weights = NULL;
	int fd = maps_open_pinned(instance->pin_dir, "backends"), result;
	int next_hops;

	if (fd < 0)
		return fd;
	next_hops = maps_open_pinned(instance->pin_dir, "next_hops");
	count = maps_max_entries(fd);
	backends = calloc(count + 1, sizeof(*backends));
	weights = calloc(count + 1, sizeof(*weights));
	result =
	    backends && weights ? maps_read_array(fd, count, sizeof(*backends), backends) : -ENOMEM;
	close(fd);
	if (!result && maps->backend_weights >= 0)
		result = maps_read_array(maps->backend_weights,
					 count < L3DSR_MAX_BACKENDS ? count : L3DSR_MAX_BACKENDS,
					 sizeof(*weights), weights);
	if (!result)
		result = read_traffic_map(instance->pin_dir, "backend_traffic", &traffic,
					  &traffic_count);
	for (uint32_t id = 0; id < count && !result; id++) {
		struct ctl_vip *vip = NULL;
		struct ctl_backend *bigger;

		if (!(backends[id].flags & BACKEND_F_IN_USE))
			continue;
		for (size_t i = 0; i < instance->vip_count && !vip; i++)
			if (instance->vips[i].index == backends[id].vip_index)
				vip = &instance->vips[i];
		if (!vip)
			continue; /* a VIP being removed right now */
		bigger = realloc(vip->backends, (vip->backend_count + 1) * sizeof(*bigger));
		if (!bigger) {
			result = -ENOMEM;
			break;
		}
		vip->backends = bigger;
		bigger[vip->backend_count++] = (struct ctl_backend){
		    .address = backends[id].address,
		    .id = id,
		    .weight = weights[id],
		    .flags = backends[id].flags,
		    .traffic = id < traffic_count ? traffic[id] : (struct traffic_counter){0},
		};
		read_health(maps, &bigger[vip->backend_count - 1]);
		read_next_hop(instance, next_hops, &bigger[vip->backend_count - 1]);
		vip->fail_open |=
		    bigger[vip->backend_count - 1].has_health &&
		    (bigger[vip->backend_count - 1].health.flags & INSTANCE_HEALTH_F_FAIL_OPEN);
	}
	for (size_t i = 0; i < instance->vip_count && !result; i++)
		count_slots(instance->pin_dir, &instance->vips[i]);
	if (next_hops >= 0)
		close(next_hops);
	free(backends);
	free(weights);
	free(traffic);
	return result;
}

static int read_lb_vips(struct ctl_instance *instance, const struct instance_maps *maps)
{
	struct {
		struct vip_key key;
		struct vip_info info;
	} *entries = NULL;
	size_t count = 0;
	int fd = maps_open_pinned(instance->pin_dir, "vips"), result;

	if (fd < 0)
		return fd;
	result = maps_read_hash(fd, sizeof(struct vip_key), sizeof(struct vip_info),
				(void **)&entries, &count);
	close(fd);
	for (size_t i = 0; i < count && !result; i++) {
		bool added;
		struct ctl_vip *vip = vip_at(instance, entries[i].info.vip_index, &added);

		if (!vip) {
			result = -ENOMEM;
			break;
		}
		if (added) {
			struct instance_vip_state state;

			vip->address = entries[i].key.address;
			vip->protocol = entries[i].key.protocol;
			vip->port = ntohs(entries[i].key.port);
			vip->dscp = entries[i].info.dscp;
			vip->table_size = entries[i].info.table_size;
			instance_read_vip_name(maps, vip->index, vip->name, sizeof(vip->name));
			instance_read_vip_state(maps, vip->index, &state);
			vip->announced = state.flags & INSTANCE_VIP_F_ANNOUNCED;
			lb_fingerprint_format(state.fingerprint, vip->fingerprint);
		} else if (vip->protocol != entries[i].key.protocol) {
			/* "protocol = any" with a port: its tcp and udp keys share the index. */
			vip->protocol = 0;
		}
	}
	free(entries);
	return result;
}

static int read_backend_vips(struct ctl_instance *instance, const struct instance_maps *maps)
{
	struct restore_target by_dscp[L3DSR_DSCP_CODES];
	struct {
		struct port_vip_key key;
		struct restore_target target;
	} *ports = NULL;
	size_t port_count = 0;
	int fd = maps_open_pinned(instance->pin_dir, "dscp_vips"), result;
	bool added;

	if (fd < 0)
		return fd;
	result = maps_read_array(fd, L3DSR_DSCP_CODES, sizeof(by_dscp[0]), by_dscp);
	close(fd);
	fd = maps_open_pinned(instance->pin_dir, "port_vips");
	if (!result && fd >= 0)
		result =
		    maps_read_hash(fd, sizeof(struct port_vip_key), sizeof(struct restore_target),
				   (void **)&ports, &port_count);
	if (fd >= 0)
		close(fd);
	for (uint32_t code = 1; code < L3DSR_DSCP_CODES && !result; code++) {
		struct ctl_vip *vip;

		if (!by_dscp[code].family)
			continue;
		vip = vip_at(instance, by_dscp[code].vip_index, &added);
		if (!vip) {
			result = -ENOMEM;
			break;
		}
		vip->address = by_dscp[code].vip;
		vip->dscp = code;
	}
	for (size_t i = 0; i < port_count && !result; i++) {
		struct ctl_vip *vip = vip_at(instance, ports[i].target.vip_index, &added);

		if (!vip) {
			result = -ENOMEM;
			break;
		}
		if (added) {
			vip->address = ports[i].target.vip;
			vip->protocol = ports[i].key.protocol;
			vip->port = ntohs(ports[i].key.port);
		} else if (vip->protocol != ports[i].key.protocol) {
			vip->protocol = 0;
		}
	}
	for (size_t i = 0; i < instance->vip_count; i++)
		instance_read_vip_name(maps, instance->vips[i].index, instance->vips[i].name,
				       sizeof(instance->vips[i].name));
	free(ports);
	return result;
}

static int read_local_addresses(struct ctl_instance *instance)
{
	int fd = maps_open_pinned(instance->pin_dir, "local_addresses");
	char *entries = NULL;
	size_t count = 0, entry_size = sizeof(struct l3dsr_address) + sizeof(__u8);
	int result;

	if (fd < 0)
		return fd;
	result = maps_read_hash(fd, sizeof(struct l3dsr_address), sizeof(__u8), (void **)&entries,
				&count);
	close(fd);
	if (!result && count) {
		instance->local_addresses = calloc(count, sizeof(struct l3dsr_address));
		if (!instance->local_addresses)
			result = -ENOMEM;
		for (size_t i = 0; !result && i < count; i++)
			memcpy(&instance->local_addresses[i], entries + i * entry_size,
			       sizeof(struct l3dsr_address));
		if (!result)
			instance->local_address_count = count;
	}
	free(entries);
	return result;
}

static int read_settings(struct ctl_instance *instance)
{
	int fd = maps_open_pinned(instance->pin_dir, "settings");
	__u32 key = 0;
	int result = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &key, &instance->settings))
		result = -errno;
	close(fd);
	return result;
}

static void attach_vip_traffic(struct ctl_instance *instance)
{
	struct traffic_counter *traffic;
	uint32_t count;

	if (read_traffic_map(instance->pin_dir, "vip_traffic", &traffic, &count) == 0)
		for (size_t i = 0; i < instance->vip_count; i++) {
			struct ctl_vip *vip = &instance->vips[i];

			if (vip->index < count)
				vip->traffic = traffic[vip->index];
			/* The LB program counts backends only: vip_traffic holds the removed ones'.
			 */
			for (size_t b = 0; instance->info.role == ROLE_LB && b < vip->backend_count;
			     b++) {
				vip->traffic.packets += vip->backends[b].traffic.packets;
				vip->traffic.bytes += vip->backends[b].traffic.bytes;
			}
		}
	free(traffic);
}

int ctl_read_instance(const char *pin_dir, struct ctl_instance *instance, char *error,
		      size_t error_size)
{
	struct instance_maps maps;
	int result;

	memset(instance, 0, sizeof(*instance));
	snprintf(instance->pin_dir, sizeof(instance->pin_dir), "%s", pin_dir);
	result = instance_maps_open(pin_dir, &maps);
	if (result) {
		snprintf(error, error_size, "%s holds no l3dsr instance", pin_dir);
		return result;
	}
	result = instance_read_info(&maps, &instance->info);
	if (result) {
		snprintf(error, error_size,
			 "%s: its instance record is unreadable or of another "
			 "l3dsr version",
			 pin_dir);
		goto out;
	}
	instance->info.ifname[sizeof(instance->info.ifname) - 1] = '\0';
	instance->info.config_path[sizeof(instance->info.config_path) - 1] = '\0';
	instance->info.object_path[sizeof(instance->info.object_path) - 1] = '\0';
	instance->daemon_running = daemon_alive((pid_t)instance->info.pid);
	read_link(instance);
	if (instance->info.role == ROLE_LB) {
		result = read_lb_vips(instance, &maps);
		qsort(instance->vips, instance->vip_count, sizeof(*instance->vips), compare_vips);
		if (!result)
			result = read_lb_backends(instance, &maps);
		if (!result)
			result = read_settings(instance);
	} else {
		result = read_backend_vips(instance, &maps);
		qsort(instance->vips, instance->vip_count, sizeof(*instance->vips), compare_vips);
		if (!result)
			result = read_local_addresses(instance);
	}
	if (!result)
		result = read_counters(instance);
	attach_vip_traffic(instance);
	if (result)
		snprintf(error, error_size, "%s: cannot read its maps: %s", pin_dir,
			 strerror(-result));
out:
	instance_maps_close(&maps);
	return result;
}

void ctl_free_instance(struct ctl_instance *instance)
{
	for (size_t i = 0; i < instance->vip_count; i++)
		free(instance->vips[i].backends);
	free(instance->vips);
	free(instance->local_addresses);
	memset(instance, 0, sizeof(*instance));
}
