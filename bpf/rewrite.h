/* rewrite.h: sets a packet's destination, DS field and TTL, and fixes every checksum they touch. */
#ifndef L3DSR_REWRITE_H
#define L3DSR_REWRITE_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>

#include "checksum.h"
#include "l3dsr_common.h"
#include "parse.h"

/* The DS byte with DSCP replaced and the two ECN bits (RFC 3168) kept. */
static __always_inline __u8 ds_with_dscp(__u8 ds, __u8 dscp)
{
	return (__u8)(dscp << 2) | (ds & 0x3);
}

/*
 * Where the transport checksum that covers the destination address lives: TCP and UDP (pseudo
 * header, both families) and ICMPv6 (pseudo header); ICMPv4 and other protocols have none here.
 * A later fragment carries no transport header: the first fragment's update covers the datagram.
 * Returns -1 when the header is not in the packet, which parse_transport has already excluded.
 */
static __always_inline int packet_transport_checksum(const struct packet *pkt, void *data_end,
						     __u16 **checksum, int *is_udp)
{
	void *l4 = pkt->l4;

	*checksum = NULL;
	*is_udp = 0;
	if (pkt->fragment == PACKET_LATER_FRAGMENT)
		return 0;
	if (pkt->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		*checksum = (__u16 *)&tcp->check;
	} else if (pkt->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		*checksum = (__u16 *)&udp->check;
		*is_udp = 1;
	} else if (pkt->family == 6 && pkt->protocol == IPPROTO_ICMPV6) {
		struct icmp6hdr *icmp6 = l4;

		if ((void *)(icmp6 + 1) > data_end)
			return -1;
		*checksum = (__u16 *)&icmp6->icmp6_cksum;
	}
	return 0;
}

/*
 * Sets the destination address to DESTINATION (same family as the packet) and the DS byte to DS,
 * and decrements the TTL / hop limit when asked; the IPv4 header checksum and the transport
 * checksum follow incrementally. Everything is bounds-checked before the first write, so the
 * packet is either fully rewritten (0) or untouched (-1).
 */
static __always_inline int packet_rewrite(const struct packet *pkt, void *data_end,
					  const struct l3dsr_address *destination, __u8 ds,
					  int decrement_ttl)
{
	__u64 transport_change;
	__u16 *transport_checksum;
	int is_udp;

	if (packet_transport_checksum(pkt, data_end, &transport_checksum, &is_udp) < 0)
		return -1;

	if (pkt->family == 4) {
		struct iphdr *iph = pkt->l3;
		__u16 *words = pkt->l3;
		__u64 header_change;
		__u16 old_word;
		union {
			__u16 value;
			__u8 bytes[2]; /* in the order of the header */
		} word;

		if ((void *)(iph + 1) > data_end)
			return -1;
		/*
		 * Word 0 holds version, IHL and TOS; word 4 holds TTL and protocol. Each new word
		 * is made in a register and stored whole: a byte stored and its word loaded back at
		 * once cannot be forwarded from the store buffer, and the load waits for the store
		 * to reach the cache (measured in docs/performance.md).
		 */
		word.value = words[0];
		old_word = word.value;
		word.bytes[1] = ds;
		words[0] = word.value;
		header_change = csum_change16(0, old_word, word.value);
		transport_change = csum_change32(0, iph->daddr, destination->words[3]);
		header_change += transport_change;
		iph->daddr = destination->words[3];
		if (decrement_ttl) {
			word.value = words[4];
			old_word = word.value;
			word.bytes[0]--;
			words[4] = word.value;
			header_change = csum_change16(header_change, old_word, word.value);
		}
		iph->check = csum_apply(iph->check, header_change);
	} else {
		struct ipv6hdr *ip6h = pkt->l3;
		__u8 *bytes = pkt->l3;

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		/* The traffic class straddles bytes 0 and 1, between version and flow label. */
		bytes[0] = (bytes[0] & 0xf0) | (ds >> 4);
		bytes[1] = (bytes[1] & 0x0f) | (__u8)(ds << 4);
		transport_change =
		    csum_change_address(0, (struct l3dsr_address *)&ip6h->daddr, destination);
		__builtin_memcpy(&ip6h->daddr, destination, sizeof(*destination));
		if (decrement_ttl)
			ip6h->hop_limit--;
	}

	if (transport_checksum) {
		if (is_udp)
			*transport_checksum = csum_apply_udp(*transport_checksum, transport_change);
		else
			*transport_checksum = csum_apply(*transport_checksum, transport_change);
	}
	return 0;
}

/*
 * Sets the source address of a packet that is not a later fragment to SOURCE (same family);
 * the IPv4 header checksum and the transport checksum follow. All or nothing, as above.
 */
static __always_inline int packet_rewrite_source(const struct packet *pkt, void *data_end,
						 const struct l3dsr_address *source)
{
	__u16 *transport_checksum;
	__u64 change;
	int is_udp;

	if (packet_transport_checksum(pkt, data_end, &transport_checksum, &is_udp) < 0)
		return -1;
	if (pkt->family == 4) {
		struct iphdr *iph = pkt->l3;

		if ((void *)(iph + 1) > data_end)
			return -1;
		change = csum_change32(0, iph->saddr, source->words[3]);
		iph->saddr = source->words[3];
		iph->check = csum_apply(iph->check, change);
	} else {
		struct ipv6hdr *ip6h = pkt->l3;

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		change = csum_change_address(0, (struct l3dsr_address *)&ip6h->saddr, source);
		__builtin_memcpy(&ip6h->saddr, source, sizeof(*source));
	}
	if (transport_checksum) {
		if (is_udp)
			*transport_checksum = csum_apply_udp(*transport_checksum, change);
		else
			*transport_checksum = csum_apply(*transport_checksum, change);
	}
	return 0;
}

#endif /* L3DSR_REWRITE_H */
