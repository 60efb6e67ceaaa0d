/* checksum.h: incremental Internet checksum updates (RFC 1624) for the fields l3dsr rewrites. */
#ifndef L3DSR_CHECKSUM_H
#define L3DSR_CHECKSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "l3dsr_common.h"

/*
 * A change is collected as a 64-bit sum of "~old + new" terms (RFC 1624, eqn. 3) and applied once
 * per checksum field. The one's complement sum does not depend on byte order (RFC 1071 2(B)), so
 * words are added as the CPU loads them and the result is stored the same way.
 */

static __always_inline __u16 csum_fold(__u64 sum)
{
	/* 2^16 = 1 (mod 0xffff): adding the four 16-bit lanes keeps the value mod 0xffff. */
	sum = (sum & 0xffff) + ((sum >> 16) & 0xffff) + ((sum >> 32) & 0xffff) + (sum >> 48);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u64 csum_change16(__u64 change, __u16 old_word, __u16 new_word)
{
	return change + (__u16)~old_word + new_word;
}

static __always_inline __u64 csum_change32(__u64 change, __u32 old_word, __u32 new_word)
{
	return change + (__u32)~old_word + new_word;
}

static __always_inline __u64 csum_change_address(__u64 change, const struct l3dsr_address *old,
						 const struct l3dsr_address *new)
{
	change = csum_change32(change, old->words[0], new->words[0]);
	change = csum_change32(change, old->words[1], new->words[1]);
	change = csum_change32(change, old->words[2], new->words[2]);
	return csum_change32(change, old->words[3], new->words[3]);
}

/* HC' = ~(~HC + ~m + m'): never produces the -0 that eqn. 2 of RFC 1624 can. */
static __always_inline __u16 csum_apply(__u16 checksum, __u64 change)
{
	return (__u16)~csum_fold((__u16)~checksum + change);
}

/*
 * UDP: a checksum of 0 means "none" (IPv4; IPv6 tunnels, RFC 6935) and stays 0; a computed 0 is
 * sent as 0xffff (RFC 768), which the receiver reads as the same value.
 */
static __always_inline __u16 csum_apply_udp(__u16 checksum, __u64 change)
{
	__u16 updated;

	if (checksum == 0)
		return 0;
	updated = csum_apply(checksum, change);
	return updated ? updated : 0xffff;
}

#endif /* L3DSR_CHECKSUM_H */
