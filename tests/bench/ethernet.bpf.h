/* ethernet.bpf.h: where a frame's Ethernet header is, for the benchmark's own XDP programs. */
#ifndef L3DSR_BENCH_ETHERNET_BPF_H
#define L3DSR_BENCH_ETHERNET_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

/* Points *ETH at the frame's Ethernet header; false when the frame is shorter than one. */
static __always_inline int ethernet_header(struct xdp_md *ctx, struct ethhdr **eth)
{
	*eth = (void *)(long)ctx->data;
	return (void *)(*eth + 1) <= (void *)(long)ctx->data_end;
}

#endif /* L3DSR_BENCH_ETHERNET_BPF_H */
