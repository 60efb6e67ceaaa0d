/* bench_common.h: what the benchmark's own XDP programs share with the harness (frame templates).
 */
#ifndef L3DSR_BENCH_COMMON_H
#define L3DSR_BENCH_COMMON_H

#include <linux/types.h>

/* Largest frame a template holds; the copy is unrolled up to this many bytes. */
#define BENCH_FRAME_MAX 128

/*
 * How the wrapper and the generator change the restored frame before each run, so that a run can
 * be a new flow (flow-table insert) or one of many established flows (cache misses).
 */
enum bench_vary {
	BENCH_VARY_NONE,    /* every run sees the template byte for byte */
	BENCH_VARY_COUNTER, /* flow k = run number & (flow_count - 1) */
	BENCH_VARY_RANDOM,  /* flow k = bpf_get_prandom_u32(): a flood from random sources */
};

/*
 * frames: ARRAY, 1 entry, key 0. Flow k writes k & 0xffff into the 16-bit source port at
 * source_port_offset and the next bits of k into the last source_low_bytes bytes of the source
 * address (ending at source_low_offset + source_low_bytes): one byte for IPv4, so that sources
 * stay inside their documentation /24, two for IPv6. The L4 checksum is left as it is: the
 * programs under test do not verify it (they update it incrementally), and fixing it would only
 * add to the wrapper's own cost.
 */
struct bench_frame {
	__u32 length;	  /* bytes of words[] that make the frame, 8..BENCH_FRAME_MAX */
	__u32 vary;	  /* enum bench_vary */
	__u32 flow_count; /* BENCH_VARY_COUNTER: a power of two; 0 = all 2^32 */
	__u16 source_port_offset;
	__u16 source_low_offset;
	__u32 source_low_bytes; /* 1 or 2 */
	__u32 pad;
	__u64 words[BENCH_FRAME_MAX / 8];
};

/* bench_counts: PERCPU_ARRAY of struct bench_count, indexed by enum bench_counter. */
enum bench_counter {
	BENCH_COUNT_MAC_SWAP, /* frames bench_mac_swap sent back */
	BENCH_COUNT_SINK,     /* frames bench_sink received */
	BENCH_COUNT_MAX,
};

struct bench_count {
	__u64 packets;
};

/*
 * The reference program's one VIP and its one backend (its .rodata, set before load). Addresses
 * and port in network byte order; v4 addresses in the first word of the arrays.
 */
struct reference_config {
	__be32 vip4;
	__be32 rip4;
	__be32 vip6[4];
	__be32 rip6[4];
	__be16 port;
	__u8 protocol;
	__u8 dscp;
};

#endif /* L3DSR_BENCH_COMMON_H */
