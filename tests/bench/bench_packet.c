/* bench_packet.c: builds the benchmark's Ethernet frames and the flow-table keys they make. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include "bench_packet.h"

static uint32_t checksum_add(uint32_t sum, const void *data, size_t length)
{
	const uint8_t *bytes = data;

	for (size_t i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
	if (length & 1)
		sum += (uint32_t)bytes[length - 1] << 8;
	return sum;
}

static uint16_t checksum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int packet_address(const char *text, struct in6_addr *address)
{
	struct in_addr v4;

	if (inet_pton(AF_INET6, text, address) == 1)
		return AF_INET6;
	if (inet_pton(AF_INET, text, &v4) != 1)
		return -1;
	memset(address, 0, sizeof(*address));
	address->s6_addr[10] = 0xff;
	address->s6_addr[11] = 0xff;
	memcpy(&address->s6_addr[12], &v4, 4);
	return AF_INET;
}

int packet_build(const struct packet_spec *spec, struct bench_frame *frame)
{
	uint8_t *bytes = (uint8_t *)frame->words;
	size_t ip_length = spec->family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	size_t l4_length =
	    spec->protocol == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr);
	size_t length = ETH_HLEN + ip_length + l4_length + spec->payload_length;
	uint8_t *l4 = bytes + ETH_HLEN + ip_length;
	uint32_t pseudo = 0;

	if (length > BENCH_FRAME_MAX)
		return -EINVAL;
	memset(frame, 0, sizeof(*frame));
	frame->length = length;
	frame->vary = BENCH_VARY_NONE;

	struct ethhdr *eth = (struct ethhdr *)bytes;
	memcpy(eth->h_dest, spec->destination_mac, ETH_ALEN);
	memcpy(eth->h_source, spec->source_mac, ETH_ALEN);

	uint16_t l4_total = l4_length + spec->payload_length;
	if (spec->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);
		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = spec->dscp << 2;
		ip->tot_len = htons(ip_length + l4_total);
		ip->id = htons(1);
		ip->ttl = spec->ttl;
		ip->protocol = spec->protocol;
		memcpy(&ip->saddr, &spec->source.s6_addr[12], 4);
		memcpy(&ip->daddr, &spec->destination.s6_addr[12], 4);
		ip->check = checksum_finish(checksum_add(0, ip, sizeof(*ip)));
		pseudo = checksum_add(pseudo, &ip->saddr, 8);
		frame->source_low_offset = ETH_HLEN + offsetof(struct iphdr, saddr) + 3;
		frame->source_low_bytes = 1;
	} else {
		struct ipv6hdr *ip = (struct ipv6hdr *)(eth + 1);
		eth->h_proto = htons(ETH_P_IPV6);
		*(uint32_t *)ip = htonl(6U << 28 | (uint32_t)(spec->dscp << 2) << 20);
		ip->payload_len = htons(l4_total);
		ip->nexthdr = spec->protocol;
		ip->hop_limit = spec->ttl;
		ip->saddr = spec->source;
		ip->daddr = spec->destination;
		pseudo = checksum_add(pseudo, &ip->saddr, 32);
		frame->source_low_offset = ETH_HLEN + offsetof(struct ipv6hdr, saddr) + 14;
		frame->source_low_bytes = 2;
	}
	pseudo += spec->protocol + l4_total;
	frame->source_port_offset = l4 - bytes;

	for (size_t i = 0; i < spec->payload_length; i++)
		l4[l4_length + i] = (uint8_t)(0x41 + i % 26);
	if (spec->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (struct tcphdr *)l4;
		tcp->source = htons(spec->source_port);
		tcp->dest = htons(spec->destination_port);
		tcp->seq = htonl(1000);
		tcp->ack_seq = htonl(spec->tcp_flags & TCP_FLAG_ACK ? 2000 : 0);
		tcp->doff = 5;
		l4[13] = spec->tcp_flags;
		tcp->window = htons(65535);
		tcp->check = checksum_finish(checksum_add(pseudo, l4, l4_total));
	} else {
		struct udphdr *udp = (struct udphdr *)l4;
		udp->source = htons(spec->source_port);
		udp->dest = htons(spec->destination_port);
		udp->len = htons(l4_total);
		udp->check = checksum_finish(checksum_add(pseudo, l4, l4_total));
		if (!udp->check)
			udp->check = 0xffff;
	}
	return 0;
}

void packet_flow_key(const struct packet_spec *spec, uint32_t k, struct flow_key *key)
{
	memset(key, 0, sizeof(*key));
	memcpy(&key->source, &spec->source, 16);
	memcpy(&key->destination, &spec->destination, 16);
	key->source_port = htons(spec->source_port);
	key->destination_port = htons(spec->destination_port);
	key->protocol = spec->protocol;
	if (k == UINT32_MAX) /* the template itself, not varied */
		return;
	uint8_t *source = (uint8_t *)&key->source;
	key->source_port = htons(k & 0xffff);
	if (spec->family == AF_INET) {
		source[15] = (k >> 16) & 0xff;
	} else {
		source[14] = (k >> 24) & 0xff;
		source[15] = (k >> 16) & 0xff;
	}
}
