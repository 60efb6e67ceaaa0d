/* egress_takes.h: whether a redirect to an interface can succeed, by the egress_devices map. */
#ifndef L3DSR_EGRESS_TAKES_H
#define L3DSR_EGRESS_TAKES_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"
#include "lb_maps.h"

/*
 * Whether the frame in CTX may be redirected to IFINDEX: the interface takes XDP frames (and,
 * for a frame in several buffers, multi-buffer ones), by egress_devices. The verdict of a
 * redirect is final for the program: a device that cannot transmit the frame drops it later,
 * unseen by the counters, so the frame must not be redirected there in the first place.
 */
static __always_inline int egress_takes(struct xdp_md *ctx, __u32 ifindex)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 any = EGRESS_ANY_DEVICE;
	__u32 *flags;

	flags = bpf_map_lookup_elem(&egress_devices, &ifindex);
	if (!flags)
		flags = bpf_map_lookup_elem(&egress_devices, &any);
	if (!flags || !(*flags & EGRESS_F_XMIT))
		return 0;
	return (*flags & EGRESS_F_XMIT_SG) || bpf_xdp_get_buff_len(ctx) <= (__u64)(data_end - data);
}

#endif /* L3DSR_EGRESS_TAKES_H */
