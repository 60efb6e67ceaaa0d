/*
 * reference.bpf.c: the least an L3DSR load balancer must do per packet, to measure l3dsr against:
 * parse, compare with one VIP, rewrite the destination to one backend, DSCP, TTL / hop limit,
 * incremental checksums (RFC 1624), fib lookup, MACs, XDP_TX. No maps, no hashing, no counters.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_common.h"
#include "ethernet.bpf.h"

#define AF_INET		 2
#define AF_INET6	 10
#define IP_FRAGMENT_BITS 0x3fff /* MF + offset */

volatile const struct reference_config reference = {};

/* Folds a 64-bit one's-complement sum into the 16-bit checksum field. */
static __always_inline __u16 checksum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* RFC 1624 eqn. 3 on 32-bit words: HC' = ~(~HC + ~m + m'). */
static __always_inline __u64 checksum_word(__u32 old_word, __u32 new_word)
{
	return (__u64)(__u32)~old_word + new_word;
}

/* Where the L4 checksum lives, or NULL (UDP over IPv4 without checksum). */
static __always_inline __u16 *l4_checksum(void *l4, void *data_end, __u8 protocol)
{
	if (protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return NULL;
		return &tcp->check;
	}
	struct udphdr *udp = l4;
	if ((void *)(udp + 1) > data_end)
		return NULL;
	return &udp->check;
}

static __always_inline int forward(struct xdp_md *ctx, struct ethhdr *eth,
				   struct bpf_fib_lookup *fib)
{
	fib->ifindex = ctx->ingress_ifindex;
	if (bpf_fib_lookup(ctx, fib, sizeof(*fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	if (fib->ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(fib->ifindex, 0);
}

static __always_inline int reference_ipv4(struct xdp_md *ctx, struct ethhdr *eth, void *data_end)
{
	struct iphdr *ip = (void *)(eth + 1);
	struct bpf_fib_lookup fib = {};

	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->daddr != reference.vip4 ||
	    ip->protocol != reference.protocol || (ip->frag_off & bpf_htons(IP_FRAGMENT_BITS)))
		return XDP_PASS;
	void *l4 = ip + 1;
	__u16 *l4_check = l4_checksum(l4, data_end, ip->protocol);
	if (!l4_check || ((struct udphdr *)l4)->dest != reference.port || ip->ttl <= 1)
		return XDP_PASS;

	__u32 old_daddr = ip->daddr, new_daddr = reference.rip4;
	__u16 *tos_word = (__u16 *)ip, *ttl_word = (__u16 *)&ip->ttl;
	__u16 old_tos_word = *tos_word, old_ttl_word = *ttl_word;
	ip->tos = (reference.dscp << 2) | (ip->tos & 3);
	ip->ttl--;
	ip->daddr = new_daddr;
	ip->check =
	    checksum_fold((__u16)~ip->check + checksum_word(old_daddr, new_daddr) +
			  (__u16)~old_tos_word + *tos_word + (__u16)~old_ttl_word + *ttl_word);
	if (ip->protocol == IPPROTO_TCP || *l4_check) {
		__u16 check =
		    checksum_fold((__u16) ~*l4_check + checksum_word(old_daddr, new_daddr));
		if (ip->protocol == IPPROTO_UDP && !check)
			check = 0xffff;
		*l4_check = check;
	}

	fib.family = AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = new_daddr;
	return forward(ctx, eth, &fib);
}

static __always_inline int reference_ipv6(struct xdp_md *ctx, struct ethhdr *eth, void *data_end)
{
	struct ipv6hdr *ip = (void *)(eth + 1);
	struct bpf_fib_lookup fib = {};

	if ((void *)(ip + 1) > data_end || ip->nexthdr != reference.protocol)
		return XDP_PASS;
	if (ip->daddr.in6_u.u6_addr32[0] != reference.vip6[0] ||
	    ip->daddr.in6_u.u6_addr32[1] != reference.vip6[1] ||
	    ip->daddr.in6_u.u6_addr32[2] != reference.vip6[2] ||
	    ip->daddr.in6_u.u6_addr32[3] != reference.vip6[3])
		return XDP_PASS;
	void *l4 = ip + 1;
	__u16 *l4_check = l4_checksum(l4, data_end, ip->nexthdr);
	if (!l4_check || ((struct udphdr *)l4)->dest != reference.port || ip->hop_limit <= 1)
		return XDP_PASS;

	/* Version (4 bits), traffic class (8: DSCP 6 + ECN 2), flow label (20). */
	__u32 *first_word = (__u32 *)ip;
	__u32 head = bpf_ntohl(*first_word);
	__u32 traffic_class = (reference.dscp << 2) | ((head >> 20) & 3);
	head = (head & ~(0xffU << 20)) | (traffic_class << 20);
	*first_word = bpf_htonl(head);
	ip->hop_limit--;

	__u64 sum = (__u16) ~*l4_check;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		sum += checksum_word(ip->daddr.in6_u.u6_addr32[i], reference.rip6[i]);
		ip->daddr.in6_u.u6_addr32[i] = reference.rip6[i];
		fib.ipv6_dst[i] = reference.rip6[i];
		fib.ipv6_src[i] = ip->saddr.in6_u.u6_addr32[i];
	}
	__u16 check = checksum_fold(sum);
	if (ip->nexthdr == IPPROTO_UDP && !check)
		check = 0xffff;
	*l4_check = check;

	fib.family = AF_INET6;
	fib.flowinfo = *first_word & bpf_htonl(0x0fffffff);
	fib.l4_protocol = ip->nexthdr;
	fib.tot_len = bpf_ntohs(ip->payload_len) + sizeof(*ip);
	return forward(ctx, eth, &fib);
}

SEC("xdp.frags")
int bench_reference(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth;

	if (!ethernet_header(ctx, &eth))
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return reference_ipv4(ctx, eth, data_end);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return reference_ipv6(ctx, eth, data_end);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
