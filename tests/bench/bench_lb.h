/* bench_lb.h: loads l3dsr's XDP objects for the benchmark and fills their maps as l3dsrd would. */
#ifndef L3DSR_BENCH_LB_H
#define L3DSR_BENCH_LB_H

#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "bpf/l3dsr_common.h"
#include "src/lb/vip_slots.h"

struct lb_vip_spec {
	struct in6_addr address; /* IPv4 v4-mapped */
	int family;
	uint8_t protocol;
	uint16_t port; /* host order */
	uint8_t dscp;
	uint32_t table_size;
	uint32_t backend_count;
	/*
	 * false: the ring as l3dsrd builds a new VIP's, every slot unchanged (no per-flow state).
	 * true: every slot marked changed, as right after a backend change (the flow table
	 * decides).
	 */
	bool changed;
};

struct lb_instance {
	struct bpf_object *object;
	int program_fd;
	int vip_addresses_fd, vips_fd, rings_fd, backends_fd, flows_fd, settings_fd;
	int counters_fd, vip_traffic_fd, ring_changes_fd;
	int next_hops_fd;    /* -1: an object without the next-hop cache (an older build) */
	uint32_t ring_flags; /* the inner map template's flags, which every ring must repeat */
	int *ring_fds;
	size_t ring_count;
	uint32_t next_backend_id;
	uint32_t flow_table_size;
	struct lb_settings settings;
	struct vip_slot_half *vip_slots; /* the exact VIP keys, as l3dsrd places them */
};

struct backend_instance {
	struct bpf_object *object;
	int program_fd;
	int local_addresses_fd, dscp_vips_fd, counters_fd;
};

/* Memory of the maps as `bpftool map show` reports it (memlock), in bytes. */
struct lb_memory {
	uint64_t flows;
	uint64_t rings; /* every VIP's Maglev ring */
	uint64_t other;
	uint64_t total;
};

/* The address of backend NUMBER of any VIP of FAMILY (198.51.100.11.., 2001:db8:b::11..). */
void lb_backend_address(int family, uint32_t number, struct in6_addr *address);

int lb_open(struct lb_instance *lb, const char *object_path, uint32_t flow_table_size);
int lb_add_vip(struct lb_instance *lb, const struct lb_vip_spec *vip, uint32_t vip_index);
int lb_write_settings(struct lb_instance *lb, const struct lb_settings *settings);
/*
 * Fills next_hops for every backend in use, for packets that come in by INGRESS_IFINDEX, the
 * way l3dsrd does (src/nexthop's next_hops_fill). Returns the number of live entries (0 for an
 * object without next_hops) or -errno.
 */
int lb_fill_next_hops(struct lb_instance *lb, int ingress_ifindex);
/* How many entries of next_hops are live (0 for an object without next_hops). */
int lb_count_next_hops(struct lb_instance *lb, uint32_t *live);
/* How many slots of ring RING (of the VIP added RING-th) are marked changed, of *SIZE. */
int lb_count_changed_slots(struct lb_instance *lb, size_t ring, uint32_t size, uint32_t *changed);
/* Sum over CPUs of counter INDEX of the map FD (struct traffic_counter values). */
int lb_read_counter(int fd, uint32_t index, struct traffic_counter *total);
int lb_count_flows(struct lb_instance *lb, uint64_t *count);
int lb_memory(struct lb_instance *lb, struct lb_memory *memory);
void lb_close(struct lb_instance *lb);

int backend_open(struct backend_instance *backend, const char *object_path);
int backend_add_local(struct backend_instance *backend, const struct in6_addr *address);
int backend_add_dscp_vip(struct backend_instance *backend, uint8_t dscp, const struct in6_addr *vip,
			 int family, uint32_t vip_index);
void backend_close(struct backend_instance *backend);

/* Writes KEY's VALUE into the map FD; on failure says so, naming WHAT, and returns -errno. */
int bench_map_put(int fd, const void *key, const void *value, const char *what);

/* memlock of the map FD as the kernel reports it in /proc/self/fdinfo (what bpftool shows). */
int map_memlock(int fd, uint64_t *bytes);

#endif /* L3DSR_BENCH_LB_H */
