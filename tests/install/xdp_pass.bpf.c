/* xdp_pass.bpf.c: passes every frame. Attached to the router's end of the load balancer's link,
 * it gives that veth the NAPI context without which frames the LB sends with XDP_TX are lost. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
