/*
 * targets.bpf.c: the trivial programs the measurements are compared with: XDP_PASS (the wrapper's
 * own cost, the floor of pass-through), a MAC-swapping XDP_TX (the floor of forwarding) and a
 * counting XDP_DROP sink on the generator's side of the veth.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_common.h"
#include "ethernet.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BENCH_COUNT_MAX);
	__type(key, __u32);
	__type(value, struct bench_count);
} bench_counts SEC(".maps");

static __always_inline void count_packet(__u32 key)
{
	struct bench_count *count = bpf_map_lookup_elem(&bench_counts, &key);

	if (count)
		count->packets++;
}

SEC("xdp.frags")
int bench_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

SEC("xdp.frags")
int bench_mac_swap(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	unsigned char mac[ETH_ALEN];

	if (!ethernet_header(ctx, &eth))
		return XDP_DROP;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	count_packet(BENCH_COUNT_MAC_SWAP);
	return XDP_TX;
}

/* Counts only IPv4: the benchmark's frames, not the IPv6 chatter of the LB side's stack. */
SEC("xdp")
int bench_sink(struct xdp_md *ctx)
{
	struct ethhdr *eth;

	if (ethernet_header(ctx, &eth) && eth->h_proto == bpf_htons(ETH_P_IP))
		count_packet(BENCH_COUNT_SINK);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
