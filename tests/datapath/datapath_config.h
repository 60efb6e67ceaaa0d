/* datapath_config.h: a load-balancer + backend configuration for the tests, and how it fills the
 * maps.
 */
#ifndef L3DSR_DATAPATH_CONFIG_H
#define L3DSR_DATAPATH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* An address as 16 bytes in network order, for static initialisers (words are stored as bytes). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TEST_WORD(a, b, c, d) ((__be32)((a) | (b) << 8 | (c) << 16 | (uint32_t)(d) << 24))
#else
#define TEST_WORD(a, b, c, d) ((__be32)((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d)))
#endif
#define TEST_ADDRESS(b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15)         \
	{                                                                                          \
		.words = {                                                                         \
			TEST_WORD(b0, b1, b2, b3),                                                 \
			TEST_WORD(b4, b5, b6, b7),                                                 \
			TEST_WORD(b8, b9, b10, b11),                                               \
			TEST_WORD(b12, b13, b14, b15)                                              \
		}                                                                                  \
	}

struct test_backend {
	struct l3dsr_address address; /* v4-mapped for IPv4, as in the maps */
	uint32_t id;		      /* backend_id: index into backends and backend_traffic */
};

/* One [vip] section. Its position in test_config.vips is its vip_index. */
struct test_vip {
	const char *name;
	struct l3dsr_address address;
	int family;	     /* 4 or 6 */
	uint8_t protocol;    /* IPPROTO_TCP, IPPROTO_UDP, or 0: any */
	uint16_t port;	     /* host order; 0: all ports */
	uint8_t dscp;	     /* 1..63; 0: "dscp = none" */
	uint32_t table_size; /* Maglev M, prime */
	size_t backend_count;
	const struct test_backend *backends;
};

struct test_config {
	uint32_t hash_seed;
	int flow_table; /* LB_SETTINGS_F_FLOW_TABLE */
	size_t vip_count;
	const struct test_vip *vips;
	/* The backend host's own addresses (local_addresses of the backend program). */
	size_t local_address_count;
	const struct l3dsr_address *local_addresses;
};

/* The configuration of scenario.py (generated into scenario_config.c). */
extern const struct test_config scenario_config;

/*
 * Fills the load balancer's maps: settings, vip_addresses, vips, backends, one Maglev ring
 * per VIP (an inner ARRAY of table_size slots built by maglev_build) in maglev_rings, and
 * vip_infos and vip_slots (src/lb/vip_slots.c, as the daemon fills them).
 * Returns 0 or a negative errno, with the reason on stderr.
 */
int test_config_fill_lb(const struct harness *harness, const struct test_config *config);
/* The same, with VIP_SLOTS false leaving vip_slots empty: every VIP is found in vips. */
int test_config_fill_lb_with(const struct harness *harness, const struct test_config *config,
			     bool vip_slots);

/* Writes the settings entry: the seed and whether the flow table is used. */
int test_config_set_lb_settings(const struct harness *harness, uint32_t hash_seed, int flow_table);
int test_config_write_lb_settings(const struct harness *harness,
				  const struct lb_settings *settings);

/* VIP's ring as the daemon builds it: maglev_build over its backends, equal weights, SEED. */
int test_config_build_ring(const struct test_vip *vip, uint32_t seed, uint32_t *ring);

/* Puts RING (table_size backend ids) in place as VIP's ring: a new inner map, swapped in. */
int test_config_set_ring(const struct harness *harness, const struct test_vip *vip,
			 uint32_t vip_index, const uint32_t *ring);

/*
 * Fills the backend's maps: local_addresses, dscp_vips (VIPs with a DSCP code) and port_vips
 * (VIPs with "dscp = none", by protocol and port).
 */
int test_config_fill_backend(const struct harness *harness, const struct test_config *config);

/*
 * Opens LB (bpf/lb.bpf.o) and BACKEND (bpf/backend.bpf.o) and fills their maps from CONFIG,
 * vip_slots too when VIP_SLOTS. Returns 0 or a negative errno, with the reason on stderr.
 */
int test_config_open_both(struct harness *lb, struct harness *backend,
			  const struct test_config *config, bool vip_slots);

/* Reads an address in either family into the maps' form; 4 or 6 into *FAMILY. 0 or -EINVAL. */
int test_config_parse_address(const char *text, struct l3dsr_address *address, int *family);

#endif /* L3DSR_DATAPATH_CONFIG_H */
