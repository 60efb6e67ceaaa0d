/* backend_maps.h: the maps of the backend program, as laid out in l3dsr_common.h. */
#ifndef L3DSR_BACKEND_MAPS_H
#define L3DSR_BACKEND_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"
#include "counters.h"

/* The daemon fills local_addresses, dscp_vips and port_vips; the program only counts. */

/* This host's real addresses (RIPs) that VIP traffic arrives on. */
#define BACKEND_MAX_LOCAL_ADDRESSES 1024

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BACKEND_MAX_LOCAL_ADDRESSES);
	__type(key, struct l3dsr_address);
	__type(value, __u8);
} local_addresses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L3DSR_DSCP_CODES);
	__type(key, __u32);
	__type(value, struct restore_target);
} dscp_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, L3DSR_MAX_VIPS);
	__type(key, struct port_vip_key);
	__type(value, struct restore_target);
} port_vips SEC(".maps");

TRAFFIC_COUNTER_MAP(BACKEND_COUNTER_MAX) counters SEC(".maps");

TRAFFIC_COUNTER_MAP(L3DSR_MAX_VIPS) vip_traffic SEC(".maps");

#endif /* L3DSR_BACKEND_MAPS_H */
