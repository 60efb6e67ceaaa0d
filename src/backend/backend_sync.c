/*
 * backend_sync.c: makes the backend program's maps say what backend.conf says and which real
 * addresses this interface has.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/address.h"
#include "src/backend/backend_sync.h"
#include "src/common/log.h"
#include "src/common/maps.h"

struct port_entry {
	struct port_vip_key key;
	struct restore_target target;
};
_Static_assert(sizeof(struct port_entry) ==
		   sizeof(struct port_vip_key) + sizeof(struct restore_target),
	       "port_entry has padding");

/* maps_read_hash packs local_addresses entries as 16 address bytes then the one value byte. */
#define LOCAL_ENTRY_SIZE (sizeof(struct l3dsr_address) + sizeof(__u8))

static struct l3dsr_address local_entry_address(const char *entries, size_t i)
{
	struct l3dsr_address address;

	memcpy(&address, entries + i * LOCAL_ENTRY_SIZE, sizeof(address));
	return address;
}

int backend_maps_find(const struct loaded_object *object, const struct instance_maps *instance,
		      struct backend_maps *maps)
{
	maps->local_addresses = loader_map_fd(object, "local_addresses");
	maps->dscp_vips = loader_map_fd(object, "dscp_vips");
	maps->port_vips = loader_map_fd(object, "port_vips");
	maps->vip_traffic = loader_map_fd(object, "vip_traffic");
	maps->instance = instance;
	if (maps->local_addresses < 0 || maps->dscp_vips < 0 || maps->port_vips < 0 ||
	    maps->vip_traffic < 0)
		return -ENOENT;
	return 0;
}

/* A VIP with "dscp = none" is found by (protocol, port); "protocol = any" means both. */
static size_t port_keys(const struct vip_config *vip, struct port_vip_key keys[2])
{
	struct port_vip_key key = {
	    .port = htons(vip->port),
	    .protocol = vip->protocol,
	    .family = vip->address.family == AF_INET ? 4 : 6,
	};

	keys[0] = key;
	if (vip->protocol != 0)
		return 1;
	keys[0].protocol = IPPROTO_TCP;
	keys[1] = key;
	keys[1].protocol = IPPROTO_UDP;
	return 2;
}

static struct restore_target target_of(const struct vip_config *vip, __u32 index)
{
	struct restore_target target = {
	    .vip = address_from_config(&vip->address),
	    .vip_index = index,
	    .family = vip->address.family == AF_INET ? 4 : 6,
	};
	return target;
}

/* The vip_index the maps already give this VIP, or -1. */
static long existing_index(const struct vip_config *vip, const struct restore_target *by_dscp,
			   const struct port_entry *ports, size_t port_count)
{
	struct l3dsr_address address = address_from_config(&vip->address);
	struct port_vip_key keys[2];

	if (vip->dscp) {
		const struct restore_target *target = &by_dscp[vip->dscp];

		return target->family && address_equal(&target->vip, &address)
			   ? (long)target->vip_index
			   : -1;
	}
	for (size_t k = 0, n = port_keys(vip, keys); k < n; k++)
		for (size_t i = 0; i < port_count; i++)
			if (!memcmp(&ports[i].key, &keys[k], sizeof(keys[k])) &&
			    address_equal(&ports[i].target.vip, &address))
				return (long)ports[i].target.vip_index;
	return -1;
}

static bool index_in_use(__u32 index, const struct restore_target *by_dscp,
			 const struct port_entry *ports, size_t port_count)
{
	for (size_t code = 0; code < L3DSR_DSCP_CODES; code++)
		if (by_dscp[code].family && by_dscp[code].vip_index == index)
			return true;
	for (size_t i = 0; i < port_count; i++)
		if (ports[i].target.vip_index == index)
			return true;
	return false;
}

static int write_targets(const struct backend_maps *maps, const struct vip_config *vip,
			 const struct restore_target *target)
{
	struct port_vip_key keys[2];

	if (vip->dscp) {
		__u32 code = vip->dscp;

		return bpf_map_update_elem(maps->dscp_vips, &code, target, BPF_ANY) ? -errno : 0;
	}
	for (size_t k = 0, n = port_keys(vip, keys); k < n; k++)
		if (bpf_map_update_elem(maps->port_vips, &keys[k], target, BPF_ANY))
			return -errno;
	return 0;
}

static bool config_wants_dscp(const struct l3dsr_config *config, __u32 code,
			      const struct restore_target *target)
{
	for (size_t i = 0; i < config->vip_count; i++) {
		struct l3dsr_address address = address_from_config(&config->vips[i].address);

		if (config->vips[i].dscp == code && address_equal(&address, &target->vip))
			return true;
	}
	return false;
}

static bool config_wants_port(const struct l3dsr_config *config, const struct port_entry *entry)
{
	struct port_vip_key keys[2];

	for (size_t i = 0; i < config->vip_count; i++) {
		const struct vip_config *vip = &config->vips[i];
		struct l3dsr_address address = address_from_config(&vip->address);

		if (vip->dscp || !address_equal(&address, &entry->target.vip))
			continue;
		for (size_t k = 0, n = port_keys(vip, keys); k < n; k++)
			if (!memcmp(&keys[k], &entry->key, sizeof(keys[k])))
				return true;
	}
	return false;
}

static bool is_claimed(const bool *claimed, __u32 index)
{
	return index < L3DSR_MAX_VIPS && claimed[index];
}

static void log_removed(const struct backend_maps *maps, __u32 index, bool *logged)
{
	char name[CONFIG_NAME_MAX];

	if (index >= L3DSR_MAX_VIPS || logged[index])
		return;
	logged[index] = true;
	instance_read_vip_name(maps->instance, index, name, sizeof(name));
	log_info("vip %s: removed", name[0] ? name : "(unnamed)");
}

int backend_maps_apply(const struct backend_maps *maps, const struct l3dsr_config *config)
{
	struct restore_target by_dscp[L3DSR_DSCP_CODES];
	static const struct restore_target unused;
	struct port_entry *ports = NULL;
	__u32 *indexes = calloc(config->vip_count + 1, sizeof(*indexes));
	bool *claimed = calloc(L3DSR_MAX_VIPS, sizeof(bool));
	bool *removed = calloc(L3DSR_MAX_VIPS, sizeof(bool));
	size_t port_count = 0;
	__u32 next_free = 0;
	int result = -ENOMEM;

	if (!indexes || !claimed || !removed)
		goto out;
	result = maps_read_array(maps->dscp_vips, L3DSR_DSCP_CODES, sizeof(by_dscp[0]), by_dscp);
	if (!result)
		result =
		    maps_read_hash(maps->port_vips, sizeof(struct port_vip_key),
				   sizeof(struct restore_target), (void **)&ports, &port_count);
	if (result)
		goto out;

	/* A VIP still in the maps keeps its index; a new one takes the lowest free index. */
	for (size_t i = 0; i < config->vip_count; i++) {
		long index = existing_index(&config->vips[i], by_dscp, ports, port_count);

		indexes[i] =
		    index >= 0 && index < L3DSR_MAX_VIPS && !claimed[index] ? index : UINT32_MAX;
		if (indexes[i] != UINT32_MAX)
			claimed[indexes[i]] = true;
	}
	for (size_t i = 0; i < config->vip_count && !result; i++) {
		const struct vip_config *vip = &config->vips[i];
		bool is_new = indexes[i] == UINT32_MAX;

		if (is_new) {
			while (next_free < L3DSR_MAX_VIPS &&
			       (claimed[next_free] ||
				index_in_use(next_free, by_dscp, ports, port_count)))
				next_free++;
			if (next_free == L3DSR_MAX_VIPS) {
				log_error("too many VIPs: at most %d", L3DSR_MAX_VIPS);
				result = -ENOSPC;
				goto said;
			}
			indexes[i] = next_free;
			claimed[next_free] = true;
			result = maps_clear_traffic(maps->vip_traffic, indexes[i]);
		}
		struct restore_target target = target_of(vip, indexes[i]);
		if (!result)
			result = instance_write_vip_name(maps->instance, indexes[i], vip->name);
		if (!result)
			result = write_targets(maps, vip, &target);
		if (!result && is_new) {
			char address[ADDRESS_TEXT_MAX];

			address_format(&target.vip, address);
			if (vip->dscp)
				log_info("vip %s: added (%s, dscp %u)", vip->name, address,
					 vip->dscp);
			else
				log_info("vip %s: added (%s, %s port %u)", vip->name, address,
					 address_protocol_name(vip->protocol), vip->port);
		}
	}

	/* Then what the configuration no longer names. */
	for (__u32 code = 1; code < L3DSR_DSCP_CODES && !result; code++) {
		if (!by_dscp[code].family || config_wants_dscp(config, code, &by_dscp[code]))
			continue;
		if (bpf_map_update_elem(maps->dscp_vips, &code, &unused, BPF_ANY))
			result = -errno;
		else if (!is_claimed(claimed, by_dscp[code].vip_index))
			log_removed(maps, by_dscp[code].vip_index, removed);
	}
	for (size_t i = 0; i < port_count && !result; i++) {
		if (config_wants_port(config, &ports[i]))
			continue;
		if (bpf_map_delete_elem(maps->port_vips, &ports[i].key) && errno != ENOENT)
			result = -errno;
		else if (!is_claimed(claimed, ports[i].target.vip_index))
			log_removed(maps, ports[i].target.vip_index, removed);
	}
	for (__u32 index = 0; index < L3DSR_MAX_VIPS && !result; index++)
		if (removed[index])
			result = instance_write_vip_name(maps->instance, index, "");
out:
	if (result)
		log_errno(LOG_PRIORITY_ERROR, result, "cannot update the backend's maps");
said:
	free(ports);
	free(indexes);
	free(claimed);
	free(removed);
	return result;
}

static bool list_has(const struct l3dsr_address *list, size_t count,
		     const struct l3dsr_address *address)
{
	for (size_t i = 0; i < count; i++)
		if (address_equal(&list[i], address))
			return true;
	return false;
}

int backend_maps_refresh_addresses(const struct backend_maps *maps, const char *ifname,
				   size_t *count)
{
	struct l3dsr_address *wanted = NULL;
	char *current = NULL;
	size_t wanted_count = 0, current_count = 0;
	char text[ADDRESS_TEXT_MAX];
	struct ifaddrs *addresses, *entry;
	__u8 unused = 0;
	int result;

	if (getifaddrs(&addresses) != 0)
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot list the addresses of %s",
				 ifname);
	for (entry = addresses; entry; entry = entry->ifa_next)
		wanted_count++;
	wanted = calloc(wanted_count + 1, sizeof(*wanted));
	result = wanted ? 0 : -ENOMEM;
	wanted_count = 0;
	for (entry = addresses; entry && !result; entry = entry->ifa_next) {
		if (!entry->ifa_addr || strcmp(entry->ifa_name, ifname))
			continue;
		if (entry->ifa_addr->sa_family == AF_INET)
			wanted[wanted_count++] =
			    address_from_in(&((struct sockaddr_in *)entry->ifa_addr)->sin_addr);
		else if (entry->ifa_addr->sa_family == AF_INET6)
			wanted[wanted_count++] =
			    address_from_in6(&((struct sockaddr_in6 *)entry->ifa_addr)->sin6_addr);
	}
	freeifaddrs(addresses);
	if (!result)
		result = maps_read_hash(maps->local_addresses, sizeof(struct l3dsr_address),
					sizeof(__u8), (void **)&current, &current_count);
	for (size_t i = 0; i < wanted_count && !result; i++) {
		bool known = false;

		for (size_t c = 0; c < current_count && !known; c++) {
			struct l3dsr_address address = local_entry_address(current, c);

			known = address_equal(&address, &wanted[i]);
		}
		if (known)
			continue;
		if (bpf_map_update_elem(maps->local_addresses, &wanted[i], &unused, BPF_ANY))
			result = -errno;
		else
			log_info("local address %s added", address_format(&wanted[i], text));
	}
	for (size_t c = 0; c < current_count && !result; c++) {
		struct l3dsr_address address = local_entry_address(current, c);

		if (list_has(wanted, wanted_count, &address))
			continue;
		if (bpf_map_delete_elem(maps->local_addresses, &address) && errno != ENOENT)
			result = -errno;
		else
			log_info("local address %s removed", address_format(&address, text));
	}
	if (result)
		log_errno(LOG_PRIORITY_ERROR, result, "cannot update the local addresses of %s",
			  ifname);
	*count = wanted_count;
	free(wanted);
	free(current);
	return result;
}
