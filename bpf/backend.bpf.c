/* backend.bpf.c: placeholder until the datapath lands. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int l3dsr_backend(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
