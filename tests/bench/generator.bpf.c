/*
 * generator.bpf.c: the live-frames traffic generator. BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * runs it once per frame and sends each frame it returns XDP_TX for out of the interface given as
 * ingress_ifindex. The kernel recycles the pages, so a frame comes back carrying what the program
 * under test wrote into it: rewrite it from the template every time.
 */
#include "frame.bpf.h"

SEC("xdp")
int bench_generator(struct xdp_md *ctx)
{
	if (frame_restore(ctx))
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
