/* xdp_pass.bpf.c: passes every frame; attached to the LB's switch port so that it has NAPI. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/*
 * A veth takes in frames its peer sends with XDP_TX only when it has NAPI. GRO alone (what
 * tests/lib/topology.sh sets on f-lb) did not deliver them reliably on this kernel: after the
 * first frames, XDP_TX'ed requests never reached f-lb. A native XDP program on f-lb does.
 */
SEC("xdp")
int xdp_pass(struct xdp_md *context __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
