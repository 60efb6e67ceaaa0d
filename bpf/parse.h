/* parse.h: bounds-checked parsing of Ethernet, IPv4, IPv6 and transport headers (both programs). */
#ifndef L3DSR_PARSE_H
#define L3DSR_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "l3dsr_common.h"

/*
 * Every read is preceded by its own bounds check against data_end in the same helper, even when
 * an earlier helper checked the same bytes: older verifiers (RHEL 9's 5.14) forget which branch
 * a value kept on the stack came from, and a repeated compare costs next to nothing.
 *
 * Both programs are multi-buffer aware (SEC("xdp.frags")): on an interface whose MTU is above a
 * page a frame may continue in further buffers, which no packet pointer reaches. data_end is the
 * end of the first (linear) buffer, so every header check above is against that buffer only: a
 * frame whose headers do not all lie in it is passed untouched, like a truncated one. Only the
 * datagram's length is compared with the whole frame (packet_in_frame).
 */

/* Hop-by-hop, destination options and fragment headers skipped before giving up. */
#define PARSE_IPV6_MAX_EXTENSION_HEADERS 4

#define IPV4_FLAG_MORE_FRAGMENTS 0x2000
#define IPV4_FRAGMENT_OFFSET	 0x1fff
#define IPV6_FRAGMENT_OFFSET	 0xfff8
#define IPV6_FLAG_MORE_FRAGMENTS 0x0001

/* The uapi headers have no IPv6 fragment header (RFC 8200 4.5). */
struct ipv6_fragment_header {
	__u8 nexthdr;
	__u8 reserved;
	__be16 offset_and_flags;
	__be32 identification;
};

/* ICMPv4 types (RFC 792); linux/icmp.h would pull in libc's socket headers. */
#define ICMP_DEST_UNREACH  3
#define ICMP_ECHO	   8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

/* What the ICMP and ICMPv6 headers before the quoted packet take: type, code, checksum, 4 more. */
#define ICMP_HEADER_LENGTH 8

enum parse_result {
	PARSE_OK,
	PARSE_DECLINE,	 /* well-formed, but nothing l3dsr handles: pass it untouched */
	PARSE_MALFORMED, /* claims to be IP, but truncated or inconsistent: pass it untouched */
};

enum packet_fragment {
	PACKET_WHOLE,	       /* not a fragment (an IPv6 atomic fragment counts as whole) */
	PACKET_FIRST_FRAGMENT, /* offset 0, more to come: carries the transport header */
	PACKET_LATER_FRAGMENT, /* offset > 0: no transport header */
};

struct packet {
	void *l3;     /* the IPv4 or IPv6 header */
	void *l4;     /* the first byte after the IP headers (checked only by parse_transport) */
	void *ip_end; /* where the IP datagram ends; Ethernet padding may follow */
	__u32 fragment_id; /* IPv4: the 16-bit identification; IPv6: the fragment header's */
	__u32 ip_length;   /* the whole datagram, header included, host order */
	__u8 family;	   /* 4 or 6 */
	__u8 protocol;	   /* the transport protocol (after IPv6 extension headers) */
	__u8 fragment;	   /* enum packet_fragment */
	__u8 ds;	   /* the DS byte: DSCP << 2 | ECN */
	__u8 ttl;	   /* TTL or hop limit */
	__u8 pad[3];
	struct l3dsr_address source;	  /* only after packet_load_source() */
	struct l3dsr_address destination; /* v4-mapped for IPv4 */
};

static __always_inline void address_from_ipv4(struct l3dsr_address *address, __be32 ipv4)
{
	address->words[0] = 0;
	address->words[1] = 0;
	address->words[2] = bpf_htonl(0xffff);
	address->words[3] = ipv4;
}

static __always_inline int address_is_v4_mapped(const struct l3dsr_address *address)
{
	return address->words[0] == 0 && address->words[1] == 0 &&
	       address->words[2] == bpf_htonl(0xffff);
}

static __always_inline int address_equal(const struct l3dsr_address *a,
					 const struct l3dsr_address *b)
{
	return a->words[0] == b->words[0] && a->words[1] == b->words[1] &&
	       a->words[2] == b->words[2] && a->words[3] == b->words[3];
}

/*
 * Whether the LENGTH bytes from L3 are all in the frame: in its first buffer (no call), else in
 * the whole multi-buffer frame, whose length only bpf_xdp_get_buff_len knows.
 */
static __always_inline int packet_in_frame(struct xdp_md *ctx, void *l3, __u32 length)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (l3 + length <= data_end)
		return 1;
	return (__u64)(l3 - data) + length <= bpf_xdp_get_buff_len(ctx);
}

static __always_inline enum parse_result parse_ipv4(struct xdp_md *ctx, struct packet *pkt,
						    void *l3, void *data_end)
{
	struct iphdr *iph = l3;
	__u32 header_length, ip_length;
	__u16 fragment;

	if ((void *)(iph + 1) > data_end)
		return PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_MALFORMED;
	header_length = iph->ihl * 4;
	ip_length = bpf_ntohs(iph->tot_len);
	if (l3 + header_length > data_end || ip_length < header_length ||
	    !packet_in_frame(ctx, l3, ip_length))
		return PARSE_MALFORMED;

	fragment = bpf_ntohs(iph->frag_off);
	if (fragment & IPV4_FRAGMENT_OFFSET)
		pkt->fragment = PACKET_LATER_FRAGMENT;
	else if (fragment & IPV4_FLAG_MORE_FRAGMENTS)
		pkt->fragment = PACKET_FIRST_FRAGMENT;
	else
		pkt->fragment = PACKET_WHOLE;
	pkt->fragment_id = bpf_ntohs(iph->id);
	pkt->l3 = l3;
	pkt->l4 = l3 + header_length;
	pkt->ip_end = l3 + ip_length;
	pkt->ip_length = ip_length;
	pkt->family = 4;
	pkt->protocol = iph->protocol;
	pkt->ds = iph->tos;
	pkt->ttl = iph->ttl;
	address_from_ipv4(&pkt->destination, iph->daddr);
	return PARSE_OK;
}

/*
 * Skips hop-by-hop, destination options and fragment headers, up to a bound. A routing header
 * (the destination field is not the final one), AH and ESP (l3dsr cannot rewrite under them)
 * are declined, as are chains longer than the bound.
 */
static __always_inline enum parse_result parse_ipv6_extension_headers(struct packet *pkt,
								      void *data_end)
{
	void *cursor = pkt->l4;
	__u8 next = pkt->protocol;
	int i;

#pragma unroll
	for (i = 0; i < PARSE_IPV6_MAX_EXTENSION_HEADERS; i++) {
		if (next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS) {
			struct ipv6_opt_hdr *options = cursor;
			__u32 length;

			if ((void *)(options + 1) > data_end)
				return PARSE_MALFORMED;
			length = (options->hdrlen + 1) * 8;
			if (cursor + length > data_end || cursor + length > pkt->ip_end)
				return PARSE_MALFORMED;
			next = options->nexthdr;
			cursor += length;
		} else if (next == IPPROTO_FRAGMENT) {
			struct ipv6_fragment_header *fragment = cursor;
			__u16 offset_and_flags;

			if ((void *)(fragment + 1) > data_end ||
			    (void *)(fragment + 1) > pkt->ip_end)
				return PARSE_MALFORMED;
			offset_and_flags = bpf_ntohs(fragment->offset_and_flags);
			pkt->fragment_id = bpf_ntohl(fragment->identification);
			next = fragment->nexthdr;
			cursor += sizeof(*fragment);
			if (offset_and_flags & IPV6_FRAGMENT_OFFSET) {
				/* What follows is payload, not headers. */
				pkt->fragment = PACKET_LATER_FRAGMENT;
				break;
			}
			if (offset_and_flags & IPV6_FLAG_MORE_FRAGMENTS)
				pkt->fragment = PACKET_FIRST_FRAGMENT;
		} else if (next == IPPROTO_ROUTING || next == IPPROTO_AH || next == IPPROTO_ESP) {
			return PARSE_DECLINE;
		} else {
			break;
		}
	}
	if (pkt->fragment != PACKET_LATER_FRAGMENT &&
	    (next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS || next == IPPROTO_FRAGMENT ||
	     next == IPPROTO_ROUTING || next == IPPROTO_AH || next == IPPROTO_ESP))
		return PARSE_DECLINE;
	pkt->protocol = next;
	pkt->l4 = cursor;
	return PARSE_OK;
}

static __always_inline enum parse_result parse_ipv6(struct xdp_md *ctx, struct packet *pkt,
						    void *l3, void *data_end)
{
	struct ipv6hdr *ip6h = l3;
	__u32 ip_length;

	if ((void *)(ip6h + 1) > data_end)
		return PARSE_MALFORMED;
	if (ip6h->version != 6)
		return PARSE_MALFORMED;
	ip_length = bpf_ntohs(ip6h->payload_len) + sizeof(*ip6h);
	if (!packet_in_frame(ctx, l3, ip_length))
		return PARSE_MALFORMED;
	__builtin_memcpy(&pkt->destination, &ip6h->daddr, sizeof(pkt->destination));
	/* ::ffff:a.b.c.d in an IPv6 header is not the IPv4 VIP a.b.c.d that the key also means. */
	if (address_is_v4_mapped(&pkt->destination))
		return PARSE_DECLINE;

	pkt->l3 = l3;
	pkt->l4 = ip6h + 1;
	pkt->ip_end = l3 + ip_length;
	pkt->ip_length = ip_length;
	pkt->family = 6;
	pkt->protocol = ip6h->nexthdr;
	pkt->ds = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
	pkt->ttl = ip6h->hop_limit;
	pkt->fragment = PACKET_WHOLE;
	pkt->fragment_id = 0;
	/* The common case, TCP or UDP right after the fixed header: no extension header to walk. */
	if (pkt->protocol == IPPROTO_TCP || pkt->protocol == IPPROTO_UDP)
		return PARSE_OK;
	return parse_ipv6_extension_headers(pkt, data_end);
}

/*
 * Ethernet, then IPv4 or IPv6. A VLAN-tagged frame is declined: l3dsr runs on the interface
 * that carries the untagged traffic (see docs/datapath.md).
 */
static __always_inline enum parse_result parse_packet(struct xdp_md *ctx, struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return PARSE_DECLINE;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(ctx, pkt, eth + 1, data_end);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(ctx, pkt, eth + 1, data_end);
	return PARSE_DECLINE;
}

/*
 * The source address, read only for packets that passed the VIP (or local address) filter; with
 * COPY (a flow key's, or NULL) also there, written from the header like pkt->source. Copied from
 * pkt->source instead, right after the stores above, the copy's 8-byte loads would wait for the
 * IPv4 address's 4-byte stores to reach the cache: the store buffer forwards no load that spans
 * two stores (measured in docs/performance.md).
 */
static __always_inline enum parse_result packet_load_source(struct packet *pkt, void *data_end,
							    struct l3dsr_address *copy)
{
	if (pkt->family == 4) {
		struct iphdr *iph = pkt->l3;

		if ((void *)(iph + 1) > data_end)
			return PARSE_MALFORMED;
		address_from_ipv4(&pkt->source, iph->saddr);
		if (copy)
			address_from_ipv4(copy, iph->saddr);
	} else {
		struct ipv6hdr *ip6h = pkt->l3;

		if ((void *)(ip6h + 1) > data_end)
			return PARSE_MALFORMED;
		__builtin_memcpy(&pkt->source, &ip6h->saddr, sizeof(pkt->source));
		if (copy)
			__builtin_memcpy(copy, &ip6h->saddr, sizeof(*copy));
	}
	return PARSE_OK;
}

static __always_inline int protocol_has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP;
}

/* The protocol of ICMP messages in this family: ICMP in IPv4, ICMPv6 in IPv6. */
static __always_inline int packet_is_icmp(const struct packet *pkt)
{
	return (pkt->family == 4 && pkt->protocol == IPPROTO_ICMP) ||
	       (pkt->family == 6 && pkt->protocol == IPPROTO_ICMPV6);
}

/* The errors that quote the packet they are about: unreachable, too big, time, parameter. */
static __always_inline int icmp_type_is_error(__u8 family, __u8 type)
{
	if (family == 4)
		return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
		       type == ICMP_PARAMETERPROB;
	return type == ICMPV6_DEST_UNREACH || type == ICMPV6_PKT_TOOBIG ||
	       type == ICMPV6_TIME_EXCEED || type == ICMPV6_PARAMPROB;
}

static __always_inline int icmp_type_is_echo_request(__u8 family, __u8 type)
{
	return family == 4 ? type == ICMP_ECHO : type == ICMPV6_ECHO_REQUEST;
}

/*
 * The packet an ICMP error quotes is a reply a VIP sent (source = VIP). FLOW gets the client flow
 * that reply belongs to, the quote reversed: source = the quote's destination (the client),
 * destination = the quote's source (the VIP), ports swapped, so it hashes like the client's own
 * packets. Declined when the quote has no ports to go by (a later fragment, IPv6 extension
 * headers).
 */
static __always_inline enum parse_result parse_icmp_quote(const struct packet *pkt, void *data_end,
							  struct flow_key *flow)
{
	void *quote = pkt->l4 + ICMP_HEADER_LENGTH;
	__be16 *ports;

	if (pkt->family == 4) {
		struct iphdr *iph = quote;

		if ((void *)(iph + 1) > data_end || (void *)(iph + 1) > pkt->ip_end)
			return PARSE_MALFORMED;
		if (iph->version != 4 || iph->ihl < 5)
			return PARSE_MALFORMED;
		if (bpf_ntohs(iph->frag_off) & IPV4_FRAGMENT_OFFSET)
			return PARSE_DECLINE;
		address_from_ipv4(&flow->destination, iph->saddr);
		address_from_ipv4(&flow->source, iph->daddr);
		flow->protocol = iph->protocol;
		ports = quote + iph->ihl * 4;
	} else {
		struct ipv6hdr *ip6h = quote;

		if ((void *)(ip6h + 1) > data_end || (void *)(ip6h + 1) > pkt->ip_end)
			return PARSE_MALFORMED;
		if (ip6h->version != 6)
			return PARSE_MALFORMED;
		switch (ip6h->nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_FRAGMENT:
		case IPPROTO_ESP:
		case IPPROTO_AH:
		case IPPROTO_DSTOPTS:
			return PARSE_DECLINE;
		}
		__builtin_memcpy(&flow->destination, &ip6h->saddr, sizeof(flow->destination));
		__builtin_memcpy(&flow->source, &ip6h->daddr, sizeof(flow->source));
		flow->protocol = ip6h->nexthdr;
		ports = (void *)(ip6h + 1);
	}
	if (protocol_has_ports(flow->protocol)) {
		/* ICMP quotes at least 8 bytes of the transport header: ports come first. */
		if ((void *)(ports + 2) > data_end || (void *)(ports + 2) > pkt->ip_end)
			return PARSE_MALFORMED;
		flow->destination_port = ports[0];
		flow->source_port = ports[1];
	}
	return PARSE_OK;
}

enum transport_kind {
	TRANSPORT_PORTS,      /* the packet's own ports (0 for protocols without) */
	TRANSPORT_ICMP_ERROR, /* an ICMP error: the tuple of the client flow it is about */
};

/*
 * The transport header of a packet that carries one (not a later fragment). TCP and UDP give
 * their ports; an ICMP echo request and protocols without ports give 0; an ICMP error fills all
 * of FLOW from its quote (parse_icmp_quote); other ICMP messages (neighbour discovery, echo
 * replies, ...) are declined. On TRANSPORT_PORTS only FLOW's ports are written.
 */
static __always_inline enum parse_result parse_transport(const struct packet *pkt, void *data_end,
							 struct flow_key *flow,
							 enum transport_kind *kind)
{
	void *l4 = pkt->l4;

	*kind = TRANSPORT_PORTS;
	flow->source_port = 0;
	flow->destination_port = 0;
	if (pkt->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end || (void *)(tcp + 1) > pkt->ip_end)
			return PARSE_MALFORMED;
		flow->source_port = tcp->source;
		flow->destination_port = tcp->dest;
	} else if (pkt->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end || (void *)(udp + 1) > pkt->ip_end)
			return PARSE_MALFORMED;
		flow->source_port = udp->source;
		flow->destination_port = udp->dest;
	} else if (packet_is_icmp(pkt)) {
		__u8 *icmp = l4;

		if ((void *)(icmp + ICMP_HEADER_LENGTH) > data_end ||
		    (void *)(icmp + ICMP_HEADER_LENGTH) > pkt->ip_end)
			return PARSE_MALFORMED;
		if (icmp_type_is_error(pkt->family, icmp[0])) {
			*kind = TRANSPORT_ICMP_ERROR;
			return parse_icmp_quote(pkt, data_end, flow);
		}
		if (!icmp_type_is_echo_request(pkt->family, icmp[0]))
			return PARSE_DECLINE;
	}
	return PARSE_OK;
}

/* A TCP SYN without ACK: the first packet of a connection (or its retransmission). */
static __always_inline int packet_is_tcp_syn(const struct packet *pkt, void *data_end)
{
	struct tcphdr *tcp = pkt->l4;

	if (pkt->protocol != IPPROTO_TCP || pkt->fragment == PACKET_LATER_FRAGMENT)
		return 0;
	if ((void *)(tcp + 1) > data_end)
		return 0;
	return tcp->syn && !tcp->ack;
}

#endif /* L3DSR_PARSE_H */
