/*
 * lb_sync.c: makes the load balancer's maps say what the configuration says, taking the
 * difference against what the maps hold.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/address.h"
#include "bpf/hash.h"
#include "src/lb/lb_fingerprint.h"
#include "src/lb/lb_sync.h"
#include "src/lb/lb_marks.h"
#include "src/lb/lb_rings.h"
#include "src/common/log.h"
#include "src/lb/maglev.h"
#include "src/common/maps.h"
#include "src/lb/vip_slots.h"

/* What the maps hold before the change. */
struct vip_entry {
	struct vip_key key;
	struct vip_info info;
};

struct address_entry {
	struct l3dsr_address address;
	struct vip_address_info info;
};

/* maps_read_hash lays entries out as key bytes then value bytes, with nothing between. */
_Static_assert(sizeof(struct vip_entry) == sizeof(struct vip_key) + sizeof(struct vip_info),
	       "vip_entry has padding");
_Static_assert(sizeof(struct address_entry) ==
		   sizeof(struct l3dsr_address) + sizeof(struct vip_address_info),
	       "address_entry has padding");

struct current_state {
	struct vip_entry *vips;
	size_t vip_count;
	struct address_entry *addresses;
	size_t address_count;
	struct backend_info *backends; /* every backend_id, in use or not */
	__u32 *weights;		       /* by backend_id, from the instance map */
	uint32_t backend_capacity;
	uint32_t vip_capacity;
};

/* What they will hold. */
struct planned_backend {
	const struct backend_config *config;
	struct l3dsr_address address;
	uint32_t id;
	bool up;
	bool is_new;
};

struct planned_vip {
	const struct vip_config *config;
	struct vip_key keys[2];
	size_t key_count;
	uint32_t index;
	bool is_new;		  /* none of its keys was in the vips map */
	struct vip_info old_info; /* when !is_new */
	struct planned_backend *backends;
};

struct plan {
	struct planned_vip *vips;
	size_t vip_count;
	bool *index_claimed; /* by vip_index */
	bool *id_kept;	     /* by backend_id: in the plan */
};

int lb_maps_find(const struct loaded_object *object, const struct instance_maps *instance,
		 struct lb_maps *maps)
{
	struct {
		const char *name;
		int *fd;
	} wanted[] = {
	    {"vip_address_filter", &maps->vip_address_filter},
	    {"vip_addresses", &maps->vip_addresses},
	    {"vips", &maps->vips},
	    {"vip_slots", &maps->vip_slots},
	    {"vip_infos", &maps->vip_infos},
	    {"maglev_rings", &maps->maglev_rings},
	    {"ring_changes", &maps->ring_changes},
	    {"ring_mark_use", &maps->ring_mark_use},
	    {"backends", &maps->backends},
	    {"settings", &maps->settings},
	    {"vip_traffic", &maps->vip_traffic},
	    {"backend_traffic", &maps->backend_traffic},
	};

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		*wanted[i].fd = loader_map_fd(object, wanted[i].name);
		if (*wanted[i].fd < 0)
			return -ENOENT;
	}
	maps->ring_flags = loader_inner_map_flags(object, "maglev_rings");
	maps->instance = instance;
	return 0;
}

static size_t vip_keys(const struct vip_config *vip, struct vip_key keys[2])
{
	struct vip_key key = {
	    .address = address_from_config(&vip->address),
	    .port = htons(vip->port),
	    .protocol = vip->protocol,
	};

	keys[0] = key;
	if (vip->protocol != 0 || vip->port == 0)
		return 1;
	/* "protocol = any" with a fixed port: one tcp and one udp key (l3dsr_common.h). */
	keys[0].protocol = IPPROTO_TCP;
	keys[1] = key;
	keys[1].protocol = IPPROTO_UDP;
	return 2;
}

static __u32 address_flag(const struct vip_key *key)
{
	if (key->protocol == 0)
		return VIP_ADDRESS_F_ANY_PROTOCOL;
	return key->port ? VIP_ADDRESS_F_PORT : VIP_ADDRESS_F_ANY_PORT;
}

static void vip_describe(const struct vip_config *vip, char *text, size_t size)
{
	struct l3dsr_address address = address_from_config(&vip->address);
	char address_text[ADDRESS_TEXT_MAX], port[8] = "*";

	if (vip->port)
		snprintf(port, sizeof(port), "%u", vip->port);
	address_format(&address, address_text);
	if (vip->dscp)
		snprintf(text, size, "%s %s/%s, dscp %u", address_text,
			 address_protocol_name(vip->protocol), port, vip->dscp);
	else
		snprintf(text, size, "%s %s/%s, dscp none", address_text,
			 address_protocol_name(vip->protocol), port);
}

static void current_free(struct current_state *current)
{
	free(current->vips);
	free(current->addresses);
	free(current->backends);
	free(current->weights);
}

static int current_read(const struct lb_maps *maps, struct current_state *current)
{
	int result;

	memset(current, 0, sizeof(*current));
	current->vip_capacity = maps_max_entries(maps->maglev_rings);
	current->backend_capacity = maps_max_entries(maps->backends);
	if (current->vip_capacity == 0 || current->backend_capacity == 0)
		return -EINVAL;
	result = maps_read_hash(maps->vips, sizeof(struct vip_key), sizeof(struct vip_info),
				(void **)&current->vips, &current->vip_count);
	if (!result)
		result = maps_read_hash(maps->vip_addresses, sizeof(struct l3dsr_address),
					sizeof(struct vip_address_info),
					(void **)&current->addresses, &current->address_count);
	if (result)
		return result;
	current->backends = calloc(current->backend_capacity, sizeof(*current->backends));
	current->weights = calloc(current->backend_capacity, sizeof(*current->weights));
	if (!current->backends || !current->weights)
		return -ENOMEM;
	result = maps_read_array(maps->backends, current->backend_capacity,
				 sizeof(*current->backends), current->backends);
	if (!result)
		result = maps_read_array(maps->instance->backend_weights,
					 current->backend_capacity < L3DSR_MAX_BACKENDS
					     ? current->backend_capacity
					     : L3DSR_MAX_BACKENDS,
					 sizeof(*current->weights), current->weights);
	return result;
}

static const struct vip_entry *current_find_key(const struct current_state *current,
						const struct vip_key *key)
{
	for (size_t i = 0; i < current->vip_count; i++)
		if (!memcmp(&current->vips[i].key, key, sizeof(*key)))
			return &current->vips[i];
	return NULL;
}

static bool current_index_used(const struct current_state *current, uint32_t index)
{
	for (size_t i = 0; i < current->vip_count; i++)
		if (current->vips[i].info.vip_index == index)
			return true;
	return false;
}

static void plan_free(struct plan *plan)
{
	for (size_t i = 0; plan->vips && i < plan->vip_count; i++)
		free(plan->vips[i].backends);
	free(plan->vips);
	free(plan->index_claimed);
	free(plan->id_kept);
}

/* A VIP keeps the vip_index of any of its keys already in the map (its counters and ring with
 * it); a new one takes the lowest free index. */
static int plan_indexes(struct plan *plan, const struct current_state *current)
{
	uint32_t next_free = 0;

	for (size_t i = 0; i < plan->vip_count; i++) {
		struct planned_vip *vip = &plan->vips[i];

		vip->is_new = true;
		for (size_t k = 0; k < vip->key_count && vip->is_new; k++) {
			const struct vip_entry *entry = current_find_key(current, &vip->keys[k]);

			if (entry && !plan->index_claimed[entry->info.vip_index]) {
				vip->index = entry->info.vip_index;
				vip->old_info = entry->info;
				vip->is_new = false;
				plan->index_claimed[vip->index] = true;
			}
		}
	}
	for (size_t i = 0; i < plan->vip_count; i++) {
		struct planned_vip *vip = &plan->vips[i];

		if (!vip->is_new)
			continue;
		while (next_free < current->vip_capacity &&
		       (plan->index_claimed[next_free] || current_index_used(current, next_free)))
			next_free++;
		if (next_free == current->vip_capacity) {
			log_error("too many VIPs: the maps hold %u", current->vip_capacity);
			return -ENOSPC;
		}
		vip->index = next_free;
		plan->index_claimed[next_free] = true;
	}
	return 0;
}

/* A backend keeps its backend_id while it stays with its VIP, so flow-table entries that name
 * it stay valid; a new one takes the lowest id free before this change (an id freed now is not
 * handed out again in the same step). */
static int plan_backend_ids(struct plan *plan, const struct current_state *current,
			    lb_backend_up_fn *is_up, void *context)
{
	uint32_t next_free = 0, *in_use, in_use_count = 0;

	/* The ids in use now, listed once: usually a few among tens of thousands. */
	in_use = malloc(sizeof(*in_use) * current->backend_capacity);
	if (!in_use)
		return -ENOMEM;
	for (uint32_t id = 0; id < current->backend_capacity; id++)
		if (current->backends[id].flags & BACKEND_F_IN_USE)
			in_use[in_use_count++] = id;
	for (size_t i = 0; i < plan->vip_count; i++) {
		struct planned_vip *vip = &plan->vips[i];

		vip->backends = calloc(vip->config->backend_count + 1, sizeof(*vip->backends));
		if (!vip->backends) {
			free(in_use);
			return -ENOMEM;
		}
		for (size_t b = 0; b < vip->config->backend_count; b++) {
			struct planned_backend *backend = &vip->backends[b];

			backend->config = &vip->config->backends[b];
			backend->address = address_from_config(&backend->config->address);
			backend->up = is_up(context, vip->config, backend->config);
			backend->is_new = true;
			for (size_t u = 0; u < in_use_count && backend->is_new; u++) {
				uint32_t id = in_use[u];
				const struct backend_info *info = &current->backends[id];

				if (info->vip_index == vip->index && !plan->id_kept[id] &&
				    address_equal(&info->address, &backend->address)) {
					backend->id = id;
					backend->is_new = false;
					plan->id_kept[id] = true;
				}
			}
		}
	}
	for (size_t i = 0; i < plan->vip_count; i++) {
		for (size_t b = 0; b < plan->vips[i].config->backend_count; b++) {
			struct planned_backend *backend = &plan->vips[i].backends[b];

			if (!backend->is_new)
				continue;
			while (next_free < current->backend_capacity &&
			       (plan->id_kept[next_free] ||
				(current->backends[next_free].flags & BACKEND_F_IN_USE)))
				next_free++;
			if (next_free == current->backend_capacity) {
				log_error("too many backends: the maps hold %u",
					  current->backend_capacity);
				free(in_use);
				return -ENOSPC;
			}
			backend->id = next_free;
			plan->id_kept[next_free] = true;
		}
	}
	free(in_use);
	return 0;
}

static int plan_make(struct plan *plan, const struct l3dsr_config *config,
		     const struct current_state *current, lb_backend_up_fn *is_up, void *context)
{
	int result;

	memset(plan, 0, sizeof(*plan));
	plan->vip_count = config->vip_count;
	plan->vips = calloc(config->vip_count + 1, sizeof(*plan->vips));
	plan->index_claimed = calloc(current->vip_capacity, sizeof(bool));
	plan->id_kept = calloc(current->backend_capacity, sizeof(bool));
	if (!plan->vips || !plan->index_claimed || !plan->id_kept)
		return -ENOMEM;
	for (size_t i = 0; i < config->vip_count; i++) {
		plan->vips[i].config = &config->vips[i];
		plan->vips[i].key_count = vip_keys(&config->vips[i], plan->vips[i].keys);
	}
	result = plan_indexes(plan, current);
	if (!result)
		result = plan_backend_ids(plan, current, is_up, context);
	return result;
}

static int write_backend(const struct lb_maps *maps, uint32_t id, const struct backend_info *info)
{
	return bpf_map_update_elem(maps->backends, &id, info, BPF_ANY) ? -errno : 0;
}

static int write_weight(const struct lb_maps *maps, uint32_t id, __u32 weight)
{
	/* Weights are only for l3dsrctl; an object with more backends than it has room for
	 * still balances, its surplus just shows weight 0. */
	if (id >= L3DSR_MAX_BACKENDS)
		return 0;
	return bpf_map_update_elem(maps->instance->backend_weights, &id, &weight, BPF_ANY) ? -errno
											   : 0;
}

static struct backend_info planned_info(const struct planned_vip *vip,
					const struct planned_backend *backend, bool up)
{
	struct backend_info info = {
	    .address = backend->address,
	    .vip_index = vip->index,
	    .flags = BACKEND_F_IN_USE | (up ? BACKEND_F_UP : 0),
	};
	return info;
}

/*
 * Step 1: everything that makes a backend more available, before any ring names it: new
 * backends (counters zeroed), backends coming up, new weights; new VIPs' counters and names.
 * Backends going down wait for step 4, after the rings have moved their slots.
 */
static int add_backends(const struct lb_maps *maps, const struct plan *plan,
			const struct current_state *current)
{
	char address[ADDRESS_TEXT_MAX];
	int result = 0;

	for (size_t i = 0; i < plan->vip_count && !result; i++) {
		const struct planned_vip *vip = &plan->vips[i];

		if (vip->is_new)
			result = maps_clear_traffic(maps->vip_traffic, vip->index);
		if (!result)
			result =
			    instance_write_vip_name(maps->instance, vip->index, vip->config->name);
		for (size_t b = 0; b < vip->config->backend_count && !result; b++) {
			const struct planned_backend *backend = &vip->backends[b];
			const struct backend_info *old = &current->backends[backend->id];
			bool was_up = !backend->is_new && (old->flags & BACKEND_F_UP);
			struct backend_info info =
			    planned_info(vip, backend, backend->up || was_up);
			__u32 weight = backend->config->weight;

			address_format(&backend->address, address);
			if (backend->is_new) {
				result = maps_clear_traffic(maps->backend_traffic, backend->id);
				if (!vip->is_new)
					log_info("vip %s: backend %s added (weight %u)",
						 vip->config->name, address, weight);
			} else if (current->weights[backend->id] != weight) {
				log_info("vip %s: backend %s weight %u -> %u", vip->config->name,
					 address, current->weights[backend->id], weight);
			}
			if (!result && memcmp(&info, old, sizeof(info)))
				result = write_backend(maps, backend->id, &info);
			if (!result && current->weights[backend->id] != weight)
				result = write_weight(maps, backend->id, weight);
		}
	}
	return result;
}

/* The Maglev table of VIP over the backends that may take new flows, and its fingerprint. */
static int build_table(const struct planned_vip *vip, uint32_t seed, uint32_t *table,
		       uint64_t *fingerprint)
{
	const struct vip_config *config = vip->config;
	struct maglev_backend *candidates = calloc(config->backend_count + 1, sizeof(*candidates));
	size_t count = 0, up_with_weight = 0, with_weight = 0;
	int result;

	if (!candidates)
		return -ENOMEM;
	for (size_t b = 0; b < config->backend_count; b++) {
		with_weight += config->backends[b].weight > 0;
		up_with_weight += config->backends[b].weight > 0 && vip->backends[b].up;
	}
	if (with_weight > 0 && up_with_weight == 0)
		log_warning("vip %s: every backend is down; balancing over all of them anyway "
			    "(fail-open)",
			    config->name);
	for (size_t b = 0; b < config->backend_count; b++) {
		const struct planned_backend *backend = &vip->backends[b];

		/* Fail-open: when none is up, the down ones are better than dropping the VIP. */
		if (up_with_weight > 0 && !backend->up)
			continue;
		memcpy(candidates[count].key, &backend->address, sizeof(candidates[count].key));
		candidates[count].weight = backend->config->weight;
		candidates[count].id = backend->id;
		count++;
	}
	if (with_weight == 0) {
		/* All drained (or none): every slot empty, the VIP's packets go to the kernel. */
		for (uint32_t slot = 0; slot < config->table_size; slot++)
			table[slot] = LB_RING_SLOT_EMPTY;
		result = 0;
	} else {
		result = maglev_build(candidates, count, config->table_size, seed, table);
	}
	if (!result)
		*fingerprint = lb_fingerprint(seed, config->table_size, table, candidates, count);
	free(candidates);
	return result;
}

static int write_vip_keys(const struct lb_maps *maps, const struct planned_vip *vip)
{
	struct vip_info info = {
	    .vip_index = vip->index,
	    .table_size = vip->config->table_size,
	    .dscp = vip->config->dscp,
	};

	for (size_t k = 0; k < vip->key_count; k++)
		if (bpf_map_update_elem(maps->vips, &vip->keys[k], &info, BPF_ANY))
			return -errno;
	/* The copy vip_slots leads to, at the same moment as the keys' (table_size order). */
	return bpf_map_update_elem(maps->vip_infos, &vip->index, &info, BPF_ANY) ? -errno : 0;
}

/*
 * The VIP's flows that the table does not know may go to a changed slot's previous backend for
 * the retention from now on (struct ring_change); the marks stay at least that long.
 */
static int write_ring_change(const struct lb_maps *maps, uint32_t index, uint32_t retention_ms)
{
	struct ring_change change = {.unknown_until_ns =
					 lb_marks_now_ns() + (uint64_t)retention_ms * 1000000};

	return bpf_map_update_elem(maps->ring_changes, &index, &change, BPF_ANY) ? -errno : 0;
}

/*
 * Step 2, per VIP: its ring, then its keys. Same size: the slots that differ are rewritten in
 * place, each marked with the backend its flows may still be on (lb_ring_next_slot). Another
 * size (or no ring yet): a full new ring is swapped in, ring before vip_info when growing,
 * vip_info before ring when shrinking, so table_size never exceeds the ring; its slots are
 * unmarked, since a flow's slot is another one in a ring of another size.
 */
static int update_vip(const struct lb_maps *maps, const struct planned_vip *vip,
		      const struct l3dsr_config *settings, const bool *kept, uint32_t kept_count)
{
	const struct vip_config *config = vip->config;
	uint32_t *table = malloc(sizeof(*table) * config->table_size);
	uint32_t ring_entries = 0;
	uint64_t fingerprint = 0;
	int ring = -1, result;
	char description[128];

	if (!table)
		return log_errno(LOG_PRIORITY_ERROR, ENOMEM,
				 "vip %s: cannot build its Maglev table", config->name);
	result = build_table(vip, settings->hash_seed, table, &fingerprint);
	if (result) {
		free(table);
		return log_errno(LOG_PRIORITY_ERROR, result,
				 "vip %s: cannot build its Maglev table", config->name);
	}
	if (settings->flow_hash == FLOW_HASH_MIX64)
		fingerprint = lb_fingerprint_mix64(fingerprint);
	/* Said for the table about to be written; a failed write is logged below. */
	instance_write_vip_fingerprint(maps->instance, vip->index, fingerprint);
	ring = lb_ring_open(maps->maglev_rings, vip->index, &ring_entries);
	if (ring >= 0 && !vip->is_new && vip->old_info.table_size == config->table_size &&
	    ring_entries == l3dsr_ring_entries(config->table_size)) {
		long changed = lb_ring_rewrite(ring, table, config->table_size, kept, kept_count);

		if (changed < 0) {
			result = (int)changed;
			goto out;
		}
		if (changed > 0) {
			log_info("vip %s: %ld of %u table slots moved", config->name, changed,
				 config->table_size);
			result =
			    write_ring_change(maps, vip->index, settings->flow_change_retention_ms);
		}
		if (!result)
			result = write_vip_keys(maps, vip);
		goto out;
	}
	if (ring >= 0)
		close(ring);
	ring = lb_ring_create(table, config->table_size, maps->ring_flags);
	if (ring < 0) {
		result = ring;
		goto out;
	}
	if (!vip->is_new && config->table_size < vip->old_info.table_size) {
		result = write_vip_keys(maps, vip);
		if (!result)
			result = lb_ring_install(maps->maglev_rings, vip->index, ring);
	} else {
		result = lb_ring_install(maps->maglev_rings, vip->index, ring);
		if (!result)
			result = write_vip_keys(maps, vip);
	}
	if (!result && !vip->is_new && vip->old_info.table_size != config->table_size)
		log_info("vip %s: table size %u -> %u", config->name, vip->old_info.table_size,
			 config->table_size);
out:
	if (!result && vip->is_new) {
		vip_describe(config, description, sizeof(description));
		log_info("vip %s: added (%s, %zu backend%s, table size %u)", config->name,
			 description, config->backend_count, config->backend_count == 1 ? "" : "s",
			 config->table_size);
	} else if (!result && vip->old_info.dscp != config->dscp) {
		log_info("vip %s: dscp %u -> %u", config->name, vip->old_info.dscp, config->dscp);
	}
	if (result)
		log_errno(LOG_PRIORITY_ERROR, result, "vip %s: cannot update its table",
			  config->name);
	if (ring >= 0)
		close(ring);
	free(table);
	return result;
}

static bool plan_has_key(const struct plan *plan, const struct vip_key *key)
{
	for (size_t i = 0; i < plan->vip_count; i++)
		for (size_t k = 0; k < plan->vips[i].key_count; k++)
			if (!memcmp(&plan->vips[i].keys[k], key, sizeof(*key)))
				return true;
	return false;
}

/* The vip_addresses flags the plan needs for ADDRESS. */
static __u32 plan_address_flags(const struct plan *plan, const struct l3dsr_address *address)
{
	__u32 flags = 0;

	for (size_t i = 0; i < plan->vip_count; i++)
		for (size_t k = 0; k < plan->vips[i].key_count; k++)
			if (address_equal(&plan->vips[i].keys[k].address, address))
				flags |= address_flag(&plan->vips[i].keys[k]);
	return flags;
}

static __u32 current_address_flags(const struct current_state *current,
				   const struct l3dsr_address *address)
{
	for (size_t i = 0; i < current->address_count; i++)
		if (address_equal(&current->addresses[i].address, address))
			return current->addresses[i].info.flags;
	return 0;
}

static int write_address(const struct lb_maps *maps, const struct l3dsr_address *address,
			 __u32 flags)
{
	struct vip_address_info info = {.flags = flags};

	return bpf_map_update_elem(maps->vip_addresses, address, &info, BPF_ANY) ? -errno : 0;
}

/*
 * Writes vip_address_filter with the bits of the plan's addresses and, with WITH_CURRENT, of
 * those the maps hold now: the program looks up every address whose bit is set, so the bits
 * must cover vip_addresses at every moment of an update.
 */
static int write_address_filter(const struct lb_maps *maps, const struct plan *plan,
				const struct current_state *current, bool with_current, __u32 slots)
{
	static struct vip_address_filter filter;
	__u32 zero = 0;

	memset(&filter, 0, sizeof(filter));
	filter.ready = 1;
	filter.slots = slots;
	for (size_t i = 0; i < plan->vip_count; i++)
		for (size_t k = 0; k < plan->vips[i].key_count; k++)
			l3dsr_address_filter_set(&filter, &plan->vips[i].keys[k].address);
	for (size_t i = 0; with_current && i < current->address_count; i++)
		l3dsr_address_filter_set(&filter, &current->addresses[i].address);
	return bpf_map_update_elem(maps->vip_address_filter, &zero, &filter, BPF_ANY) ? -errno : 0;
}

/*
 * The plan's exact keys in vip_slots: written into the spare half, which becomes live with the
 * next write of vip_address_filter (*SLOTS). Every VIP they lead to has its ring and vip_infos
 * entry already (step 2); keys on their way out are simply not in it (the program finds them in
 * vips until they go). Nothing is written when the keys did not change.
 */
static int write_vip_slots(const struct lb_maps *maps, const struct plan *plan, __u32 *slots)
{
	static struct vip_slot_half half;
	struct vip_address_filter live;
	size_t placed = 0, exact = 0;
	__u32 zero = 0;
	int result;

	if (bpf_map_lookup_elem(maps->vip_address_filter, &zero, &live))
		return -errno;
	memset(&half, 0, sizeof(half));
	for (size_t i = 0; i < plan->vip_count; i++)
		for (size_t k = 0; k < plan->vips[i].key_count; k++) {
			const struct vip_key *key = &plan->vips[i].keys[k];

			exact += key->port && key->protocol;
			placed += vip_slots_place(&half, key, plan->vips[i].index) >= 0;
		}
	*slots = live.slots;
	result = vip_slots_install(maps->vip_slots, &half, slots);
	if (!result && *slots != live.slots && placed < exact)
		log_info("vip_slots: %zu of %zu VIP keys placed; the others are looked up in vips",
			 placed, exact);
	return result;
}

/*
 * Step 3: the address filters and the keys. While keys are added and removed the filters say
 * "look" for the union of old and new (the bitmap in front of vip_addresses first); then stale
 * keys go; then both filters become exact (vip_addresses first).
 */
static int update_keys_and_addresses(const struct lb_maps *maps, const struct plan *plan,
				     const struct current_state *current)
{
	__u32 slots = VIP_SLOTS_NONE;
	int result = write_vip_slots(maps, plan, &slots);

	if (!result)
		result = write_address_filter(maps, plan, current, true, slots);

	for (size_t i = 0; i < plan->vip_count && !result; i++)
		for (size_t k = 0; k < plan->vips[i].key_count && !result; k++) {
			const struct l3dsr_address *address = &plan->vips[i].keys[k].address;
			__u32 wanted = plan_address_flags(plan, address);
			__u32 now = current_address_flags(current, address);

			if ((now | wanted) != now)
				result = write_address(maps, address, now | wanted);
		}
	for (size_t i = 0; i < current->vip_count && !result; i++)
		if (!plan_has_key(plan, &current->vips[i].key) &&
		    bpf_map_delete_elem(maps->vips, &current->vips[i].key) && errno != ENOENT)
			result = -errno;
	for (size_t i = 0; i < plan->vip_count && !result; i++)
		for (size_t k = 0; k < plan->vips[i].key_count && !result; k++) {
			const struct l3dsr_address *address = &plan->vips[i].keys[k].address;
			__u32 wanted = plan_address_flags(plan, address);

			if ((current_address_flags(current, address) | wanted) != wanted)
				result = write_address(maps, address, wanted);
		}
	for (size_t i = 0; i < current->address_count && !result; i++)
		if (!plan_address_flags(plan, &current->addresses[i].address) &&
		    bpf_map_delete_elem(maps->vip_addresses, &current->addresses[i].address) &&
		    errno != ENOENT)
			result = -errno;
	return result ? result : write_address_filter(maps, plan, current, false, slots);
}

/* Step 4: what is no longer reachable goes: rings of removed VIPs, removed backends, and the UP
 * flag of backends that went down (their slots have moved already). */
static int remove_unused(const struct lb_maps *maps, const struct plan *plan,
			 const struct current_state *current)
{
	char name[CONFIG_NAME_MAX], address[ADDRESS_TEXT_MAX];
	static const struct backend_info unused;
	static const struct vip_info no_vip; /* table_size 0: the program asks vips */
	bool *index_done = calloc(current->vip_capacity, sizeof(bool));
	int result = index_done ? 0 : -ENOMEM;

	for (size_t i = 0; i < current->vip_count && !result; i++) {
		uint32_t index = current->vips[i].info.vip_index;

		if (index >= current->vip_capacity || plan->index_claimed[index] ||
		    index_done[index])
			continue;
		/* Several keys may share the index: only the first removes and logs it. */
		index_done[index] = true;
		instance_read_vip_name(maps->instance, index, name, sizeof(name));
		log_info("vip %s: removed", name[0] ? name : "(unnamed)");
		result = lb_ring_remove(maps->maglev_rings, index);
		if (!result)
			result = bpf_map_update_elem(maps->vip_infos, &index, &no_vip, BPF_ANY)
				     ? -errno
				     : 0;
		if (!result)
			result = instance_write_vip_name(maps->instance, index, "");
	}
	for (size_t i = 0; i < plan->vip_count && !result; i++) {
		const struct planned_vip *vip = &plan->vips[i];

		for (size_t b = 0; b < vip->config->backend_count && !result; b++) {
			const struct planned_backend *backend = &vip->backends[b];
			struct backend_info info = planned_info(vip, backend, backend->up);

			if (memcmp(&info, &current->backends[backend->id], sizeof(info)))
				result = write_backend(maps, backend->id, &info);
		}
	}
	for (uint32_t id = 0; id < current->backend_capacity && !result; id++) {
		const struct backend_info *old = &current->backends[id];

		if (!(old->flags & BACKEND_F_IN_USE) || plan->id_kept[id])
			continue;
		for (size_t i = 0; i < plan->vip_count; i++)
			if (plan->vips[i].index == old->vip_index && !plan->vips[i].is_new)
				log_info("vip %s: backend %s removed", plan->vips[i].config->name,
					 address_format(&old->address, address));
		/* Its traffic stays in its VIP's total, which counts only backends in use. */
		if (old->vip_index < current->vip_capacity)
			result = maps_fold_traffic(maps->backend_traffic, id, maps->vip_traffic,
						   old->vip_index);
		if (!result)
			result = write_backend(maps, id, &unused);
		if (!result)
			result = write_weight(maps, id, 0);
	}
	free(index_done);
	return result;
}

/* Says the effective flow-insert limit when it is new: at a first start, after a reload that
 * changed it, when the flow table was off. Not every time: health changes reapply the maps. */
static void log_flow_inserts(const struct l3dsr_config *config, const struct lb_settings *old,
			     const struct lb_settings *settings, int cpu_count)
{
	if (!config->flow_table_size ||
	    ((old->flags & LB_SETTINGS_F_FLOW_TABLE) &&
	     old->flow_inserts_per_second == settings->flow_inserts_per_second))
		return;
	if (config->flow_inserts_auto)
		log_info(
		    "flow-inserts-per-second auto: %u per CPU (flow-table-size %u / %d possible "
		    "CPUs / %d s)",
		    settings->flow_inserts_per_second, config->flow_table_size, cpu_count,
		    CONFIG_FLOW_INSERTS_AUTO_SECONDS);
	else if (settings->flow_inserts_per_second)
		log_info("flow-inserts-per-second %u per CPU", settings->flow_inserts_per_second);
	else
		log_info("flow-inserts-per-second 0: no limit");
}

static int write_settings(const struct lb_maps *maps, const struct l3dsr_config *config)
{
	int cpu_count = libbpf_num_possible_cpus();
	struct lb_settings old = {0};
	__u32 key = 0;

	if (cpu_count < 0)
		return cpu_count;
	struct lb_settings settings = {
	    .hash_seed = config->hash_seed,
	    .flags = (config->flow_table_size ? LB_SETTINGS_F_FLOW_TABLE : 0) |
		     (config->flow_hash == FLOW_HASH_MIX64 ? LB_SETTINGS_F_HASH_MIX64 : 0),
	    .flow_inserts_per_second = config_flow_inserts_limit(config, (unsigned int)cpu_count),
	    .probe_port_first = config->probe_port_first,
	    .probe_port_count = (__u16)(config->probe_port_last - config->probe_port_first + 1),
	};

	if (bpf_map_lookup_elem(maps->settings, &key, &old))
		memset(&old, 0, sizeof(old));
	if (bpf_map_update_elem(maps->settings, &key, &settings, BPF_ANY))
		return -errno;
	log_flow_inserts(config, &old, &settings, cpu_count);
	/* Said when it changes: the flows on slots that did not change move with it. */
	if ((old.flags ^ settings.flags) & LB_SETTINGS_F_HASH_MIX64)
		log_info("flow-hash %s", instance_flow_hash_name(settings.flags));
	return 0;
}

int lb_maps_vip_index(const struct lb_maps *maps, const struct vip_config *vip, uint32_t *index)
{
	struct vip_key keys[2];
	struct vip_info info;

	vip_keys(vip, keys);
	if (bpf_map_lookup_elem(maps->vips, &keys[0], &info))
		return -errno;
	*index = info.vip_index;
	return 0;
}

int lb_maps_apply(const struct lb_maps *maps, const struct l3dsr_config *config,
		  lb_backend_up_fn *is_up, void *context, struct lb_summary *summary)
{
	struct current_state current;
	struct plan plan;
	int result;

	memset(summary, 0, sizeof(*summary));
	memset(&plan, 0, sizeof(plan));
	result = current_read(maps, &current);
	if (result) {
		log_errno(LOG_PRIORITY_ERROR, result, "cannot read the load balancer's maps");
		goto out;
	}
	/* "too many VIPs" and "too many backends" are said where they are found. */
	result = plan_make(&plan, config, &current, is_up, context);
	if (result == -ENOMEM)
		log_errno(LOG_PRIORITY_ERROR, result, "cannot update the load balancer's maps");
	if (result)
		goto out;
	/* Settings first: the rings below are built with its hash seed. */
	result = write_settings(maps, config);
	if (!result)
		result = add_backends(maps, &plan, &current);
	if (result)
		log_errno(LOG_PRIORITY_ERROR, result, "cannot update the load balancer's maps");
	/* A VIP that fails says so with its name. */
	for (size_t i = 0; i < plan.vip_count && !result; i++)
		result =
		    update_vip(maps, &plan.vips[i], config, plan.id_kept, current.backend_capacity);
	if (!result) {
		result = update_keys_and_addresses(maps, &plan, &current);
		if (!result)
			result = remove_unused(maps, &plan, &current);
		if (result)
			log_errno(LOG_PRIORITY_ERROR, result,
				  "cannot update the load balancer's maps");
	}
	summary->vips = plan.vip_count;
	for (size_t i = 0; i < plan.vip_count; i++)
		for (size_t b = 0; b < plan.vips[i].config->backend_count; b++) {
			summary->backends++;
			summary->backends_up += plan.vips[i].backends[b].up;
		}
out:
	plan_free(&plan);
	current_free(&current);
	return result;
}
