/* lb_maps.h: the maps of the load-balancer program, as laid out in l3dsr_common.h. */
#ifndef L3DSR_LB_MAPS_H
#define L3DSR_LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"
#include "counters.h"

/*
 * Every map is filled by user space (l3dsrd; probes by its health checks); the program only
 * reads them, except flows, fragments, flow_budget, ring_mark_use and the counters. The sizes are
 * the defaults the daemon may change with bpf_map__set_max_entries before loading.
 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, L3DSR_MAX_VIPS);
	__type(key, struct l3dsr_address);
	__type(value, struct vip_address_info);
} vip_addresses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vip_address_filter);
} vip_address_filter SEC(".maps");

/* Two keys per VIP at most: "protocol = any" with a fixed port is one tcp and one udp key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * L3DSR_MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_info);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * L3DSR_VIP_SLOTS);
	__type(key, __u32);
	__type(value, struct vip_slot);
} vip_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L3DSR_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct vip_info);
} vip_infos SEC(".maps");

/*
 * The template of every VIP's ring; BPF_F_INNER_MAP lets the real rings differ in size. Its value
 * is struct ring_entry written as the array it holds: the BTF of a struct reached only through
 * this template would be a bare forward declaration, of no known size.
 */
struct maglev_ring {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, (L3DSR_DEFAULT_TABLE_SIZE + L3DSR_RING_SLOTS_PER_ENTRY - 1) /
				L3DSR_RING_SLOTS_PER_ENTRY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32[L3DSR_RING_SLOTS_PER_ENTRY]);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, L3DSR_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct maglev_ring);
} maglev_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L3DSR_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct ring_change);
} ring_changes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, L3DSR_MAX_VIPS);
	__type(key, __u32);
	__type(value, __u64);
} ring_mark_use SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L3DSR_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_info);
} backends SEC(".maps");

/* Written by l3dsrd only (src/nexthop), read by every CPU: see l3dsr_common.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L3DSR_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct next_hop_entry);
} next_hops SEC(".maps");

/* Per-CPU LRU lists: inserts and evictions on one CPU never take another CPU's lock. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, L3DSR_DEFAULT_FLOW_TABLE_SIZE);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct flow_key);
	__type(value, __u32);
} flows SEC(".maps");

/* Written by the first fragment on any CPU, read by the later ones: one common LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, L3DSR_FRAGMENT_TABLE_SIZE);
	__type(key, struct fragment_key);
	__type(value, struct fragment_ports);
} fragments SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_settings);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_budget);
} flow_budget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L3DSR_MAX_PROBE_PORTS);
	__type(key, __u32);
	__type(value, struct probe_target);
} probes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, L3DSR_MAX_EGRESS_DEVICES);
	__type(key, __u32);
	__type(value, __u32);
} egress_devices SEC(".maps");

TRAFFIC_COUNTER_MAP(LB_COUNTER_MAX) counters SEC(".maps");

TRAFFIC_COUNTER_MAP(L3DSR_MAX_VIPS) vip_traffic SEC(".maps");

TRAFFIC_COUNTER_MAP(L3DSR_MAX_BACKENDS) backend_traffic SEC(".maps");

#endif /* L3DSR_LB_MAPS_H */
