/* bench_lb.c: loads l3dsr's XDP objects for the benchmark and fills their maps as l3dsrd would. */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench_lb.h"
#include "bpf/hash.h"
#include "src/lb/lb_rings.h"
#include "src/lb/maglev.h"
#include "src/nexthop/next_hop.h"

#define pr_warn(...) fprintf(stderr, "l3dsr-bench: " __VA_ARGS__)

void lb_backend_address(int family, uint32_t number, struct in6_addr *address)
{
	memset(address, 0, sizeof(*address));
	if (family == AF_INET) {
		address->s6_addr[10] = 0xff;
		address->s6_addr[11] = 0xff;
		address->s6_addr[12] = 198;
		address->s6_addr[13] = 51;
		address->s6_addr[14] = 100;
		address->s6_addr[15] = (uint8_t)(11 + number);
	} else {
		static const uint8_t prefix[] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0b};
		memcpy(address->s6_addr, prefix, sizeof(prefix));
		address->s6_addr[14] = (uint8_t)((0x11 + number) >> 8);
		address->s6_addr[15] = (uint8_t)(0x11 + number);
	}
}

int bench_map_put(int fd, const void *key, const void *value, const char *what)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY)) {
		pr_warn("%s: %s\n", what, strerror(errno));
		return -errno;
	}
	return 0;
}

static int find_map_fd(struct bpf_object *object, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(object, name);

	if (!map) {
		pr_warn("map %s not found in the object\n", name);
		return -ENOENT;
	}
	return bpf_map__fd(map);
}

/*
 * Sets ADDRESS's bit in the object's vip_address_filter before the address goes into
 * vip_addresses, as l3dsrd does, and names the first half of vip_slots live once slots_add has
 * placed a key there. An object without the filter (an older build, measured with run.py --lb)
 * looks every address up: nothing to do.
 */
static int filter_add(const struct lb_instance *lb, const struct l3dsr_address *address)
{
	struct bpf_map *map = bpf_object__find_map_by_name(lb->object, "vip_address_filter");
	static struct vip_address_filter filter;
	__u32 zero = 0;

	if (!map)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &zero, &filter))
		return -errno;
	filter.ready = 1;
	filter.slots = lb->vip_slots ? VIP_SLOTS_FIRST : VIP_SLOTS_NONE;
	l3dsr_address_filter_set(&filter, address);
	return bench_map_put(bpf_map__fd(map), &zero, &filter, "vip_address_filter");
}

/*
 * Puts the VIP's exact KEY into the first half of vip_slots and its INFO into vip_infos, as
 * l3dsrd's table holds them; filter_add then names that half live. The slot alone is written
 * (nothing runs during the setup, no need for the spare half). An object without vip_slots (an
 * older build, measured with run.py --lb) finds every VIP in vips: nothing to do.
 */
static int slots_add(struct lb_instance *lb, const struct vip_key *key, const struct vip_info *info)
{
	struct bpf_map *slots = bpf_object__find_map_by_name(lb->object, "vip_slots");
	struct bpf_map *infos = bpf_object__find_map_by_name(lb->object, "vip_infos");
	__u32 entry;
	int placed;

	if (!slots || !infos)
		return 0;
	if (!lb->vip_slots && !(lb->vip_slots = calloc(1, sizeof(*lb->vip_slots))))
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(infos), &info->vip_index, info, BPF_ANY))
		return -errno;
	placed = vip_slots_place(lb->vip_slots, key, info->vip_index);
	if (placed < 0)
		return 0;
	entry = (__u32)placed;
	return bpf_map_update_elem(bpf_map__fd(slots), &entry, &lb->vip_slots->slots[entry],
				   BPF_ANY)
		   ? -errno
		   : 0;
}

static struct bpf_program *first_xdp_program(struct bpf_object *object)
{
	struct bpf_program *program;

	bpf_object__for_each_program(program, object) if (bpf_program__type(program) ==
							  BPF_PROG_TYPE_XDP) return program;
	return NULL;
}

int lb_write_settings(struct lb_instance *lb, const struct lb_settings *settings)
{
	uint32_t key = 0;
	int err = bench_map_put(lb->settings_fd, &key, settings, "settings");

	if (!err)
		lb->settings = *settings;
	return err;
}

/* Opens the object at PATH into *OBJECT; NULL and a message when it cannot. */
static int object_open(struct bpf_object **object, const char *path)
{
	int err;

	*object = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(*object);
	if (err) {
		*object = NULL;
		pr_warn("%s: cannot open: %s\n", path, strerror(-err));
	}
	return err;
}

/* A map of an object and where its fd goes. */
struct map_fd {
	const char *name;
	int *fd;
};

/* Loads OBJECT (from PATH, for the messages): its XDP program's fd into *PROGRAM_FD, the fds of
 * the COUNT MAPS into theirs; -ENOENT when one of them is missing. */
static int object_load(struct bpf_object *object, const char *path, int *program_fd,
		       const struct map_fd *maps, size_t count)
{
	int err = bpf_object__load(object);

	if (err) {
		pr_warn("%s: load failed: %s\n", path, strerror(-err));
		return err;
	}
	*program_fd = bpf_program__fd(first_xdp_program(object));
	if (*program_fd < 0)
		err = -ENOENT;
	for (size_t i = 0; i < count; i++) {
		*maps[i].fd = find_map_fd(object, maps[i].name);
		if (*maps[i].fd < 0)
			err = -ENOENT;
	}
	return err;
}

int lb_open(struct lb_instance *lb, const char *object_path, uint32_t flow_table_size)
{
	const struct map_fd maps[] = {{"vip_addresses", &lb->vip_addresses_fd},
				      {"vips", &lb->vips_fd},
				      {"maglev_rings", &lb->rings_fd},
				      {"backends", &lb->backends_fd},
				      {"flows", &lb->flows_fd},
				      {"settings", &lb->settings_fd},
				      {"counters", &lb->counters_fd},
				      {"vip_traffic", &lb->vip_traffic_fd},
				      {"ring_changes", &lb->ring_changes_fd}};
	struct bpf_map *flows, *rings, *inner;
	int err;

	memset(lb, 0, sizeof(*lb));
	lb->next_backend_id = 1;
	err = object_open(&lb->object, object_path);
	if (err)
		return err;
	flows = bpf_object__find_map_by_name(lb->object, "flows");
	rings = bpf_object__find_map_by_name(lb->object, "maglev_rings");
	inner = rings ? bpf_map__inner_map(rings) : NULL;
	if (!flows || !inner) {
		pr_warn("%s: no flows map or no maglev_rings inner map\n", object_path);
		err = -ENOENT;
		goto out;
	}
	if (flow_table_size) {
		err = bpf_map__set_max_entries(flows, flow_table_size);
		if (err)
			goto out;
	}
	lb->flow_table_size = flow_table_size ? flow_table_size : bpf_map__max_entries(flows);
	lb->ring_flags = bpf_map__map_flags(inner);
	err = object_load(lb->object, object_path, &lb->program_fd, maps,
			  sizeof(maps) / sizeof(maps[0]));
	if (err)
		goto out;
	struct bpf_map *next_hops = bpf_object__find_map_by_name(lb->object, "next_hops");
	lb->next_hops_fd = next_hops ? bpf_map__fd(next_hops) : -1;
	struct lb_settings settings = {
	    .hash_seed = 0,
	    .flags = LB_SETTINGS_F_FLOW_TABLE,
	    .flow_inserts_per_second = 0,
	};
	err = lb_write_settings(lb, &settings);
out:
	if (err)
		lb_close(lb);
	return err;
}

/*
 * Every slot of RING (TABLE, SIZE slots, at least two backends) marked changed, as l3dsrd marks
 * the slots a change moves (src/lb/lb_rings.c, lb_ring_rewrite): all to backend X and back, then
 * all to Y and back (the rewrite keeps the older mark), and unknown flows sent to the previous
 * backend for good. The LB right after a backend change, where the flow table decides
 * (docs/datapath.md, "Per-flow state"). bench-smoke checks every slot ends up marked.
 */
static int ring_mark_changed(struct lb_instance *lb, int ring, const uint32_t *table, uint32_t size,
			     uint32_t vip_index)
{
	struct ring_change change = {.unknown_until_ns = UINT64_MAX};
	uint32_t *all = malloc(size * sizeof(*all)), x = table[0], y = table[0];
	bool *kept = calloc(lb->next_backend_id, sizeof(*kept));
	int err = all && kept ? 0 : -ENOMEM;

	for (uint32_t id = 0; id < lb->next_backend_id && kept; id++)
		kept[id] = true;
	for (uint32_t slot = 0; slot < size && y == x; slot++)
		y = table[slot];
	for (int pass = 0; !err && pass < 2; pass++) {
		for (uint32_t slot = 0; slot < size; slot++)
			all[slot] = pass ? y : x;
		if (lb_ring_rewrite(ring, all, size, kept, lb->next_backend_id) < 0 ||
		    lb_ring_rewrite(ring, table, size, kept, lb->next_backend_id) < 0)
			err = -EIO;
	}
	if (!err && bpf_map_update_elem(lb->ring_changes_fd, &vip_index, &change, BPF_ANY))
		err = -errno;
	free(all);
	free(kept);
	return err;
}

int lb_add_vip(struct lb_instance *lb, const struct lb_vip_spec *vip, uint32_t vip_index)
{
	struct maglev_backend *members = NULL;
	uint32_t *table = NULL;
	struct vip_address_info address_info = {0};
	struct vip_key key = {0};
	struct vip_info info = {0};
	int err = -ENOMEM, ring_fd = -1;

	members = calloc(vip->backend_count, sizeof(*members));
	table = malloc(vip->table_size * sizeof(*table));
	if (!members || !table)
		goto out;
	for (uint32_t i = 0; i < vip->backend_count; i++) {
		struct in6_addr address;
		struct backend_info backend = {0};
		uint32_t id = lb->next_backend_id++;

		lb_backend_address(vip->family, i, &address);
		memcpy(members[i].key, &address, 16);
		members[i].weight = 1;
		members[i].id = id;
		memcpy(&backend.address, &address, 16);
		backend.vip_index = vip_index;
		backend.flags = BACKEND_F_IN_USE | BACKEND_F_UP;
		if (bpf_map_update_elem(lb->backends_fd, &id, &backend, BPF_ANY)) {
			err = -errno;
			pr_warn("backend %u: %s\n", id, strerror(errno));
			goto out;
		}
	}
	err = maglev_build(members, vip->backend_count, vip->table_size, lb->settings.hash_seed,
			   table);
	if (err) {
		pr_warn("maglev_build: %s\n", strerror(-err));
		goto out;
	}
	ring_fd = lb_ring_create(table, vip->table_size, lb->ring_flags);
	if (ring_fd < 0) {
		err = ring_fd;
		pr_warn("ring of %u slots: %s\n", vip->table_size, strerror(-err));
		goto out;
	}
	if (vip->changed && vip->backend_count > 1) {
		err = ring_mark_changed(lb, ring_fd, table, vip->table_size, vip_index);
		if (err) {
			pr_warn("marking the ring's slots: %s\n", strerror(-err));
			goto out;
		}
	}
	if (bpf_map_update_elem(lb->rings_fd, &vip_index, &ring_fd, BPF_ANY)) {
		err = -errno;
		pr_warn("maglev_rings[%u]: %s\n", vip_index, strerror(errno));
		goto out;
	}
	memcpy(&key.address, &vip->address, 16);
	key.port = htons(vip->port);
	key.protocol = vip->protocol;
	info.vip_index = vip_index;
	info.table_size = vip->table_size;
	info.dscp = vip->dscp;
	err = bench_map_put(lb->vips_fd, &key, &info, "vips");
	err = err ?: slots_add(lb, &key, &info);
	if (!err)
		err = filter_add(lb, &key.address);
	if (err)
		goto out;
	bpf_map_lookup_elem(lb->vip_addresses_fd, &key.address, &address_info);
	address_info.flags |= vip->port ? VIP_ADDRESS_F_PORT : VIP_ADDRESS_F_ANY_PORT;
	if (!vip->protocol)
		address_info.flags = VIP_ADDRESS_F_ANY_PROTOCOL;
	err = bench_map_put(lb->vip_addresses_fd, &key.address, &address_info, "vip_addresses");
	if (err)
		goto out;
	int *grown = realloc(lb->ring_fds, (lb->ring_count + 1) * sizeof(*grown));
	if (!grown) {
		err = -ENOMEM;
		goto out;
	}
	lb->ring_fds = grown;
	lb->ring_fds[lb->ring_count++] = ring_fd;
	ring_fd = -1;
	err = 0;
out:
	if (ring_fd >= 0)
		close(ring_fd);
	free(members);
	free(table);
	return err;
}

int lb_fill_next_hops(struct lb_instance *lb, int ingress_ifindex)
{
	int live;

	if (lb->next_hops_fd < 0)
		return 0;
	live = next_hops_fill(lb->backends_fd, lb->next_hops_fd, ingress_ifindex);
	if (live < 0)
		pr_warn("next_hops_fill: %s\n", strerror(-live));
	return live;
}

int lb_count_next_hops(struct lb_instance *lb, uint32_t *live)
{
	struct next_hop_entry entry;

	*live = 0;
	for (uint32_t id = 0; lb->next_hops_fd >= 0 && id < lb->next_backend_id; id++) {
		if (bpf_map_lookup_elem(lb->next_hops_fd, &id, &entry))
			return -errno;
		*live += entry.live != NEXT_HOP_NONE;
	}
	return 0;
}

int lb_count_changed_slots(struct lb_instance *lb, size_t ring, uint32_t size, uint32_t *changed)
{
	uint32_t *slots = ring < lb->ring_count ? malloc(size * sizeof(*slots)) : NULL;
	int err = slots ? lb_ring_read(lb->ring_fds[ring], size, slots) : -EINVAL;

	*changed = 0;
	for (uint32_t slot = 0; !err && slot < size; slot++)
		*changed += l3dsr_ring_previous(slots[slot]) != l3dsr_ring_current(slots[slot]);
	free(slots);
	return err;
}

int lb_read_counter(int fd, uint32_t index, struct traffic_counter *total)
{
	int cpus = libbpf_num_possible_cpus();
	struct traffic_counter values[cpus];

	memset(total, 0, sizeof(*total));
	if (bpf_map_lookup_elem(fd, &index, values))
		return -errno;
	for (int cpu = 0; cpu < cpus; cpu++) {
		total->packets += values[cpu].packets;
		total->bytes += values[cpu].bytes;
	}
	return 0;
}

int lb_count_flows(struct lb_instance *lb, uint64_t *count)
{
	enum { CHUNK = 8192 };
	LIBBPF_OPTS(bpf_map_batch_opts, options);
	struct flow_key *keys = malloc(CHUNK * sizeof(*keys));
	uint32_t *values = malloc(CHUNK * sizeof(*values));
	struct flow_key batch;
	void *in = NULL;
	int err = 0;

	*count = 0;
	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		uint32_t n = CHUNK;
		int rc = bpf_map_lookup_batch(lb->flows_fd, in, &batch, keys, values, &n, &options);

		*count += n;
		if (rc) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		in = &batch;
	}
out:
	free(keys);
	free(values);
	return err;
}

int map_memlock(int fd, uint64_t *bytes)
{
	char path[64], line[256];
	FILE *file;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	file = fopen(path, "r");
	if (!file)
		return -errno;
	while (fgets(line, sizeof(line), file))
		if (sscanf(line, "memlock: %" SCNu64, bytes) == 1) {
			err = 0;
			break;
		}
	fclose(file);
	return err;
}

int lb_memory(struct lb_instance *lb, struct lb_memory *memory)
{
	struct bpf_map *map;
	uint64_t bytes;
	int err;

	memset(memory, 0, sizeof(*memory));
	bpf_object__for_each_map(map, lb->object)
	{
		if (bpf_map__fd(map) < 0)
			continue;
		err = map_memlock(bpf_map__fd(map), &bytes);
		if (err)
			return err;
		if (!strcmp(bpf_map__name(map), "flows"))
			memory->flows += bytes;
		else
			memory->other += bytes;
	}
	for (size_t i = 0; i < lb->ring_count; i++) {
		err = map_memlock(lb->ring_fds[i], &bytes);
		if (err)
			return err;
		memory->rings += bytes;
	}
	memory->total = memory->flows + memory->rings + memory->other;
	return 0;
}

void lb_close(struct lb_instance *lb)
{
	for (size_t i = 0; i < lb->ring_count; i++)
		close(lb->ring_fds[i]);
	free(lb->ring_fds);
	free(lb->vip_slots);
	bpf_object__close(lb->object);
	memset(lb, 0, sizeof(*lb));
}

int backend_open(struct backend_instance *backend, const char *object_path)
{
	const struct map_fd maps[] = {{"local_addresses", &backend->local_addresses_fd},
				      {"dscp_vips", &backend->dscp_vips_fd},
				      {"counters", &backend->counters_fd}};
	int err;

	memset(backend, 0, sizeof(*backend));
	err = object_open(&backend->object, object_path);
	if (err)
		return err;
	err = object_load(backend->object, object_path, &backend->program_fd, maps,
			  sizeof(maps) / sizeof(maps[0]));
	if (err)
		backend_close(backend);
	return err;
}

int backend_add_local(struct backend_instance *backend, const struct in6_addr *address)
{
	uint8_t unused = 1;

	return bench_map_put(backend->local_addresses_fd, address, &unused, "local_addresses");
}

int backend_add_dscp_vip(struct backend_instance *backend, uint8_t dscp, const struct in6_addr *vip,
			 int family, uint32_t vip_index)
{
	struct restore_target target = {0};
	uint32_t key = dscp;

	memcpy(&target.vip, vip, 16);
	target.vip_index = vip_index;
	target.family = family == AF_INET ? 4 : 6;
	return bench_map_put(backend->dscp_vips_fd, &key, &target, "dscp_vips");
}

void backend_close(struct backend_instance *backend)
{
	bpf_object__close(backend->object);
	memset(backend, 0, sizeof(*backend));
}
