/* icmp_too_big.h: the LB's own "fragmentation needed" / "packet too big" for a client's packet. */
#ifndef L3DSR_ICMP_TOO_BIG_H
#define L3DSR_ICMP_TOO_BIG_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "checksum.h"
#include "parse.h"

/*
 * When the LB's route to the backend cannot carry a client's packet, the error must quote the
 * packet the client sent (destination = the VIP), or the client's stack cannot match it to a
 * socket and its path MTU discovery never learns; the kernel, handed the rewritten packet,
 * would quote that (destination = the backend). So the program answers such a packet itself,
 * in place: the frame becomes the error and goes back out of the interface it came in on.
 */

#define ICMP_FRAG_NEEDED	4 /* destination unreachable, code 4 (RFC 1191) */
#define IPV4_FLAG_DONT_FRAGMENT 0x4000
#define TOO_BIG_TTL		64
/* The IPv4 DS byte of an error: precedence "internetwork control", as Linux sends its own. */
#define TOO_BIG_TOS4   0xc0
#define TOO_BIG_OUTER4 (sizeof(struct iphdr) + ICMP_HEADER_LENGTH)
#define TOO_BIG_OUTER6 (sizeof(struct ipv6hdr) + ICMP_HEADER_LENGTH)
/*
 * How much of the client's packet the error quotes. The quotes have fixed sizes, so that every
 * bounds check and checksum call below is over a constant length. IPv4: what fits in 576 bytes
 * (RFC 1812 4.3.2.3), or, for a packet shorter than that, the longest IP header and 8 bytes,
 * the least RFC 792 asks (the packet was longer than an MTU, which is at least 68). IPv6: what
 * fits in the minimum MTU of 1280 bytes (RFC 4443 2.4 (c)); the packet was longer than that.
 */
#define TOO_BIG_QUOTE4	     (576 - TOO_BIG_OUTER4)
#define TOO_BIG_QUOTE4_SHORT (60 + 8)
#define TOO_BIG_QUOTE6	     (1280 - TOO_BIG_OUTER6)
/* The most bytes bpf_csum_diff sums in one call. */
#define TOO_BIG_CSUM_CHUNK 512

_Static_assert(TOO_BIG_QUOTE4 % 4 == 0 && TOO_BIG_QUOTE4_SHORT % 4 == 0 && TOO_BIG_QUOTE6 % 4 == 0,
	       "bpf_csum_diff sums whole 4-byte words");

/*
 * Whether the client may get the error: not about an ICMP error or a later fragment (RFC 1122
 * 3.2.2, RFC 4443 2.4 (e)), not to a source that is no single host; an IPv4 packet only with
 * DF set: without it the kernel, handed the rewritten packet, fragments it on the way.
 */
static __always_inline int too_big_wanted(const struct packet *pkt, enum transport_kind kind,
					  void *data_end)
{
	if (kind == TRANSPORT_ICMP_ERROR || pkt->fragment == PACKET_LATER_FRAGMENT)
		return 0;
	if (pkt->family == 4) {
		struct iphdr *iph = pkt->l3;
		__u32 source = bpf_ntohl(pkt->source.words[3]);

		if ((void *)(iph + 1) > data_end)
			return 0;
		if (!(iph->frag_off & bpf_htons(IPV4_FLAG_DONT_FRAGMENT)))
			return 0;
		/* 0.0.0.0/8, multicast and broadcast sources. */
		return (source >> 24) != 0 && (source >> 28) != 0xe && source != 0xffffffff;
	}
	if (pkt->source.words[0] == 0 && pkt->source.words[1] == 0 && pkt->source.words[2] == 0 &&
	    pkt->source.words[3] == 0)
		return 0;
	return (bpf_ntohl(pkt->source.words[0]) >> 24) != 0xff;
}

/* Adds the SIZE bytes at START (a constant multiple of 4) to *SUM; -1 beyond data_end. */
static __always_inline int too_big_sum(void *start, void *data_end, __u32 size, __u64 *sum)
{
	__u32 offset = 0;

#pragma unroll
	for (int i = 0; i < 3; i++) {
		__u32 chunk = size - offset;
		__s64 partial;

		if (chunk > TOO_BIG_CSUM_CHUNK)
			chunk = TOO_BIG_CSUM_CHUNK;
		if (!chunk)
			break;
		if (start + offset + chunk > data_end)
			return -1;
		partial = bpf_csum_diff(NULL, 0, start + offset, chunk, 0);
		if (partial < 0)
			return -1;
		*sum += (__u32)partial;
		offset += chunk;
	}
	return offset == size ? 0 : -1;
}

/*
 * Makes room for OUTER bytes of new headers in front of the client's IP packet and cuts the
 * frame to those, the Ethernet header and QUOTE bytes of the packet. Only the first buffer is
 * ever kept: the caller has checked that it holds the Ethernet header and the quote. 0 when
 * done; -1 when the frame is still as it came (a failed grow is undone).
 */
static __always_inline int too_big_resize(struct xdp_md *ctx, __u32 outer, __u32 quote)
{
	__u32 wanted = sizeof(struct ethhdr) + outer + quote;
	__u64 length;

	if (bpf_xdp_adjust_head(ctx, -(int)outer))
		return -1;
	length = bpf_xdp_get_buff_len(ctx);
	if (length > wanted && bpf_xdp_adjust_tail(ctx, (int)wanted - (int)length)) {
		bpf_xdp_adjust_head(ctx, (int)outer);
		return -1;
	}
	return 0;
}

/*
 * The outer header's source is the VIP: the client sent to the VIP, it is the one address on
 * this path that the client and every filter in between already accept packets from (the
 * backends' replies come from it), and it gives nothing away about the LB, whose own address may
 * be private or filtered. The client matches the error by the packet it quotes, not by its
 * source.
 */
static __always_inline int too_big_write4(struct xdp_md *ctx, const struct l3dsr_address *client,
					  const struct l3dsr_address *vip, const __u8 *client_mac,
					  const __u8 *own_mac, __u16 mtu, __u32 quote)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u8 *icmp = (void *)(iph + 1);
	__u64 sum = 0;

	if ((void *)(icmp + ICMP_HEADER_LENGTH) > data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, client_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, own_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = TOO_BIG_TOS4;
	iph->tot_len = bpf_htons(TOO_BIG_OUTER4 + quote);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = TOO_BIG_TTL;
	iph->protocol = IPPROTO_ICMP;
	iph->check = 0;
	iph->saddr = vip->words[3];
	iph->daddr = client->words[3];
	if (too_big_sum(iph, data_end, sizeof(*iph), &sum))
		return -1;
	iph->check = ~csum_fold(sum);

	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	*(__u16 *)&icmp[2] = 0;
	*(__u16 *)&icmp[4] = 0;
	*(__be16 *)&icmp[6] = bpf_htons(mtu);
	sum = 0;
	if (quote == TOO_BIG_QUOTE4) {
		if (too_big_sum(icmp, data_end, ICMP_HEADER_LENGTH + TOO_BIG_QUOTE4, &sum))
			return -1;
	} else if (too_big_sum(icmp, data_end, ICMP_HEADER_LENGTH + TOO_BIG_QUOTE4_SHORT, &sum)) {
		return -1;
	}
	*(__u16 *)&icmp[2] = ~csum_fold(sum);
	return 0;
}

static __always_inline int too_big_write6(struct xdp_md *ctx, const struct l3dsr_address *client,
					  const struct l3dsr_address *vip, const __u8 *client_mac,
					  const __u8 *own_mac, __u16 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	struct icmp6hdr *icmp6 = (void *)(ip6h + 1);
	__u32 length = ICMP_HEADER_LENGTH + TOO_BIG_QUOTE6;
	__u64 sum = 0;

	if ((void *)(icmp6 + 1) > data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, client_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, own_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IPV6);
	/* Version 6, traffic class 0, flow label 0. */
	*(__be32 *)ip6h = bpf_htonl(0x60000000);
	ip6h->payload_len = bpf_htons(length);
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = TOO_BIG_TTL;
	__builtin_memcpy(&ip6h->saddr, vip, sizeof(ip6h->saddr));
	__builtin_memcpy(&ip6h->daddr, client, sizeof(ip6h->daddr));

	icmp6->icmp6_type = ICMPV6_PKT_TOOBIG;
	icmp6->icmp6_code = 0;
	icmp6->icmp6_cksum = 0;
	icmp6->icmp6_mtu = bpf_htonl(mtu);
	/* The pseudo header (RFC 8200 8.1): addresses, upper-layer length, next header. */
	for (int i = 0; i < 4; i++)
		sum += vip->words[i] + (__u64)client->words[i];
	sum += bpf_htonl(length) + (__u64)bpf_htonl(IPPROTO_ICMPV6);
	if (too_big_sum(icmp6, data_end, ICMP_HEADER_LENGTH + TOO_BIG_QUOTE6, &sum))
		return -1;
	icmp6->icmp6_cksum = ~csum_fold(sum);
	return 0;
}

/* icmp_too_big's answer when it did not touch the frame: the caller goes on with the packet. */
#define TOO_BIG_NOT_SENT (-1)

/*
 * Turns the frame of PKT, the client's packet as it arrived (destination = VIP, not rewritten),
 * into the error that tells the client MTU: IPv4 destination unreachable / fragmentation needed
 * with the next-hop MTU (RFC 1191), IPv6 packet too big (RFC 4443 3.2), quoting the packet's
 * first bytes, sent to the MAC it came from: XDP_TX.
 * TOO_BIG_NOT_SENT: the packet is larger than the ingress MTU, or the first buffer is too short
 * for the quote; nothing was done, PKT's pointers still hold. Any other verdict means they do not
 * (the verifier forgets every packet pointer at the first resize): XDP_PASS of the untouched frame
 * when the frame could not be resized (no headroom; drivers give XDP 256 bytes); XDP_DROP for a
 * frame already cut that then fails a bounds check, which the checks before the cut rule out.
 */
static __always_inline int icmp_too_big(struct xdp_md *ctx, const struct packet *pkt, __u16 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 client_mac[ETH_ALEN], own_mac[ETH_ALEN];
	struct l3dsr_address client, vip;
	__u32 quote, outer, ingress_mtu;
	__u8 family = pkt->family;
	int written;

	if (family == 4) {
		if (pkt->ip_length >= TOO_BIG_QUOTE4)
			quote = TOO_BIG_QUOTE4;
		else if (pkt->ip_length >= TOO_BIG_QUOTE4_SHORT)
			quote = TOO_BIG_QUOTE4_SHORT;
		else
			return TOO_BIG_NOT_SENT;
		outer = TOO_BIG_OUTER4;
	} else {
		if (pkt->ip_length < TOO_BIG_QUOTE6)
			return TOO_BIG_NOT_SENT;
		quote = TOO_BIG_QUOTE6;
		outer = TOO_BIG_OUTER6;
	}
	/*
	 * A packet larger than the MTU of the interface it came in on was not sent so by the
	 * client: it is one the kernel merged (GRO, seen by XDP in generic mode), which it cuts
	 * again into packets that fit when it forwards it. Not answered: see the caller.
	 */
	ingress_mtu = pkt->ip_length;
	if (bpf_check_mtu(ctx, 0, &ingress_mtu, 0, 0) != BPF_MTU_CHK_RET_SUCCESS)
		return TOO_BIG_NOT_SENT;
	/* The IP header follows the Ethernet header (parse_packet takes no other frame). */
	if ((void *)(eth + 1) > data_end || (void *)(eth + 1) + quote > data_end)
		return TOO_BIG_NOT_SENT;
	__builtin_memcpy(client_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(own_mac, eth->h_dest, ETH_ALEN);
	client = pkt->source;
	vip = pkt->destination;
	if (too_big_resize(ctx, outer, quote))
		return XDP_PASS;
	if (family == 4)
		written = too_big_write4(ctx, &client, &vip, client_mac, own_mac, mtu, quote);
	else
		written = too_big_write6(ctx, &client, &vip, client_mac, own_mac, mtu);
	return written ? XDP_DROP : XDP_TX;
}

#endif /* L3DSR_ICMP_TOO_BIG_H */
