/* wrapper.bpf.c: restores the frame before every test run, then tail-calls the program measured. */
#include "frame.bpf.h"

/* target: slot 0 holds the program under test (or an XDP_PASS program, to measure this one). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

/* xdp.frags like the two l3dsr programs: a program array only takes programs that agree on it. */
SEC("xdp.frags")
int bench_wrapper(struct xdp_md *ctx)
{
	if (frame_restore(ctx))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
