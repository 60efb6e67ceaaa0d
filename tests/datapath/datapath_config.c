/* datapath_config.c: fills the XDP programs' maps from a test configuration, as the daemon would.
 */
#include "datapath_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/hash.h"
#include "src/lb/lb_rings.h"
#include "src/lb/maglev.h"
#include "src/lb/vip_slots.h"

int test_config_parse_address(const char *text, struct l3dsr_address *address, int *family)
{
	struct in_addr v4;

	memset(address, 0, sizeof(*address));
	if (inet_pton(AF_INET, text, &v4) == 1) {
		address->words[2] = htonl(0xffff);
		address->words[3] = v4.s_addr;
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, address->words) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static int test_config_update(const struct harness *harness, const char *map, const void *key,
			      const void *value)
{
	int fd = harness_map_fd(harness, map);

	if (fd < 0)
		return -ENOENT;
	if (bpf_map_update_elem(fd, key, value, BPF_ANY)) {
		int err = -errno;

		fprintf(stderr, "%s: update: %s\n", map, strerror(errno));
		return err;
	}
	return 0;
}

int test_config_write_lb_settings(const struct harness *harness, const struct lb_settings *settings)
{
	__u32 zero = 0;

	return test_config_update(harness, "settings", &zero, settings);
}

int test_config_set_lb_settings(const struct harness *harness, uint32_t hash_seed, int flow_table)
{
	struct lb_settings settings = {
	    .hash_seed = hash_seed,
	    .flags = flow_table ? LB_SETTINGS_F_FLOW_TABLE : 0,
	};

	return test_config_write_lb_settings(harness, &settings);
}

int test_config_build_ring(const struct test_vip *vip, uint32_t seed, uint32_t *ring)
{
	struct maglev_backend *backends;
	size_t i;
	int err;

	/* A VIP may have no backend: its ring is all LB_RING_SLOT_EMPTY. */
	backends = calloc(vip->backend_count ? vip->backend_count : 1, sizeof(*backends));
	if (!backends)
		return -ENOMEM;
	for (i = 0; i < vip->backend_count; i++) {
		memcpy(backends[i].key, vip->backends[i].address.words, sizeof(backends[i].key));
		backends[i].weight = 1;
		backends[i].id = vip->backends[i].id;
	}
	err = maglev_build(backends, vip->backend_count, vip->table_size, seed, ring);
	if (err)
		fprintf(stderr, "vip %s: maglev_build: %s\n", vip->name, strerror(-err));
	free(backends);
	return err;
}

int test_config_set_ring(const struct harness *harness, const struct test_vip *vip,
			 uint32_t vip_index, const uint32_t *ring)
{
	int ring_fd, err;

	/* As the daemon creates it: every slot unchanged. */
	ring_fd = lb_ring_create(ring, vip->table_size, BPF_F_INNER_MAP);
	if (ring_fd < 0) {
		fprintf(stderr, "vip %s: ring of %u slots: %s\n", vip->name, vip->table_size,
			strerror(-ring_fd));
		return ring_fd;
	}
	/* Swapped in whole, as the daemon does when a ring changes size. */
	err = test_config_update(harness, "maglev_rings", &vip_index, &ring_fd);
	close(ring_fd);
	return err;
}

/* VIP's ring as the daemon builds it (maglev_build over its backends, equal weights). */
static int test_config_add_ring(const struct harness *harness, const struct test_vip *vip,
				uint32_t vip_index, uint32_t seed)
{
	uint32_t *ring = calloc(vip->table_size, sizeof(*ring));
	int err;

	if (!ring)
		return -ENOMEM;
	err = test_config_build_ring(vip, seed, ring);
	if (!err)
		err = test_config_set_ring(harness, vip, vip_index, ring);
	free(ring);
	return err;
}

/* The vips keys of VIP: "protocol = any" with a fixed port becomes one tcp and one udp key. */
static size_t test_config_vip_keys(const struct test_vip *vip, struct vip_key keys[2])
{
	size_t count = 0;

	memset(keys, 0, 2 * sizeof(*keys));
	keys[0].address = vip->address;
	keys[0].port = htons(vip->port);
	keys[0].protocol = vip->protocol;
	count = 1;
	if (vip->protocol == 0 && vip->port != 0) {
		keys[1] = keys[0];
		keys[0].protocol = IPPROTO_TCP;
		keys[1].protocol = IPPROTO_UDP;
		count = 2;
	}
	return count;
}

static uint32_t test_config_address_flag(const struct vip_key *key)
{
	if (key->protocol == 0)
		return VIP_ADDRESS_F_ANY_PROTOCOL;
	return key->port ? VIP_ADDRESS_F_PORT : VIP_ADDRESS_F_ANY_PORT;
}

static int test_config_add_vip(const struct harness *harness, const struct test_vip *vip,
			       uint32_t vip_index, uint32_t seed)
{
	struct vip_info info = {
	    .vip_index = vip_index, .table_size = vip->table_size, .dscp = vip->dscp};
	int addresses_fd = harness_map_fd(harness, "vip_addresses");
	struct vip_address_info address_info;
	struct vip_key keys[2];
	size_t key_count, i;
	int err;

	if (addresses_fd < 0)
		return -ENOENT;
	for (i = 0; i < vip->backend_count; i++) {
		struct backend_info backend = {
		    .address = vip->backends[i].address,
		    .vip_index = vip_index,
		    .flags = BACKEND_F_IN_USE | BACKEND_F_UP,
		};

		err = test_config_update(harness, "backends", &vip->backends[i].id, &backend);
		if (err)
			return err;
	}
	/* The ring first, then the keys that lead to it: no packet ever finds a VIP without one. */
	err = test_config_add_ring(harness, vip, vip_index, seed);
	if (err)
		return err;
	key_count = test_config_vip_keys(vip, keys);
	for (i = 0; i < key_count; i++) {
		err = test_config_update(harness, "vips", &keys[i], &info);
		if (err)
			return err;
		if (bpf_map_lookup_elem(addresses_fd, &vip->address, &address_info))
			address_info.flags = 0;
		address_info.flags |= test_config_address_flag(&keys[i]);
		err = test_config_update(harness, "vip_addresses", &vip->address, &address_info);
		if (err)
			return err;
	}
	return 0;
}

/*
 * vip_infos and vip_slots as the daemon writes them: every VIP's info by its index, the exact
 * keys placed in the spare half, then the filter naming that half live.
 */
static int test_config_fill_vip_slots(const struct harness *harness,
				      const struct test_config *config,
				      struct vip_address_filter *filter)
{
	static struct vip_slot_half half;
	int slots_fd = harness_map_fd(harness, "vip_slots");
	struct vip_key keys[2];
	__u32 zero = 0;
	int err = 0;

	if (slots_fd < 0)
		return -ENOENT;
	memset(&half, 0, sizeof(half));
	for (uint32_t i = 0; !err && i < config->vip_count; i++) {
		const struct test_vip *vip = &config->vips[i];
		struct vip_info info = {
		    .vip_index = i, .table_size = vip->table_size, .dscp = vip->dscp};
		size_t key_count = test_config_vip_keys(vip, keys);

		err = test_config_update(harness, "vip_infos", &i, &info);
		for (size_t k = 0; k < key_count; k++)
			vip_slots_place(&half, &keys[k], i);
	}
	if (!err)
		err = vip_slots_install(slots_fd, &half, &filter->slots);
	return err ? err : test_config_update(harness, "vip_address_filter", &zero, filter);
}

/*
 * egress_devices as l3dsrd writes it for the second link, L3DSR_DP_OTHER, were it a device that
 * takes XDP frames but not multi-buffer ones (topology.py's XDP_TRANSMIT says the same); the
 * third, "nox", stays out, as a device without XDP transmit does.
 */
static int test_config_fill_egress(const struct harness *harness)
{
	const char *other = getenv("L3DSR_DP_OTHER");
	__u32 ifindex = other ? if_nametoindex(other) : 0, flags = EGRESS_F_XMIT;

	if (!ifindex) {
		fprintf(stderr, "L3DSR_DP_OTHER names no interface here: run through netns.sh\n");
		return -ENODEV;
	}
	return test_config_update(harness, "egress_devices", &ifindex, &flags);
}

int test_config_fill_lb(const struct harness *harness, const struct test_config *config)
{
	return test_config_fill_lb_with(harness, config, true);
}

int test_config_fill_lb_with(const struct harness *harness, const struct test_config *config,
			     bool vip_slots)
{
	static struct vip_address_filter filter;
	__u32 zero = 0;
	size_t i;
	int err;

	/* The filter's bits first, as the daemon sets them: every VIP address is looked up. */
	memset(&filter, 0, sizeof(filter));
	filter.ready = 1;
	for (i = 0; i < config->vip_count; i++)
		l3dsr_address_filter_set(&filter, &config->vips[i].address);
	err = test_config_update(harness, "vip_address_filter", &zero, &filter);
	if (!err)
		err = test_config_set_lb_settings(harness, config->hash_seed, config->flow_table);
	for (i = 0; !err && i < config->vip_count; i++)
		err =
		    test_config_add_vip(harness, &config->vips[i], (uint32_t)i, config->hash_seed);
	if (!err && vip_slots)
		err = test_config_fill_vip_slots(harness, config, &filter);
	if (!err)
		err = test_config_fill_egress(harness);
	return err;
}

static int test_config_add_restore(const struct harness *harness, const struct test_vip *vip,
				   uint32_t vip_index)
{
	struct restore_target target = {
	    .vip = vip->address, .vip_index = vip_index, .family = (__u8)vip->family};
	struct port_vip_key key = {
	    .port = htons(vip->port), .protocol = vip->protocol, .family = (__u8)vip->family};
	__u32 code = vip->dscp;
	int err;

	if (vip->dscp)
		return test_config_update(harness, "dscp_vips", &code, &target);
	if (vip->protocol) /* "dscp = none": restored by (protocol, port) */
		return test_config_update(harness, "port_vips", &key, &target);
	key.protocol = IPPROTO_TCP;
	err = test_config_update(harness, "port_vips", &key, &target);
	key.protocol = IPPROTO_UDP;
	return err ? err : test_config_update(harness, "port_vips", &key, &target);
}

int test_config_fill_backend(const struct harness *harness, const struct test_config *config)
{
	__u8 present = 1;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < config->local_address_count; i++)
		err = test_config_update(harness, "local_addresses", &config->local_addresses[i],
					 &present);
	for (i = 0; !err && i < config->vip_count; i++)
		err = test_config_add_restore(harness, &config->vips[i], (uint32_t)i);
	return err;
}

int test_config_open_both(struct harness *lb, struct harness *backend,
			  const struct test_config *config, bool vip_slots)
{
	int err = harness_open(lb, harness_object_path("lb.bpf.o"));

	if (!err)
		err = test_config_fill_lb_with(lb, config, vip_slots);
	if (!err)
		err = harness_open(backend, harness_object_path("backend.bpf.o"));
	if (!err)
		err = test_config_fill_backend(backend, config);
	return err;
}
