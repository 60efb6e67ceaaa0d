/* packet.c: the tests' own reading and building of frames, independent of the XDP programs. */
#include "packet.h"

#include <netinet/in.h>
#include <string.h>

#define ETHERTYPE_IPV4	    0x0800
#define ETHERTYPE_IPV6	    0x86dd
#define IPV4_MORE_FRAGMENTS 0x2000
#define IPV4_OFFSET_MASK    0x1fff
#define IPV4_DONT_FRAGMENT  0x4000

static uint16_t packet_read16(const uint8_t *at)
{
	return (uint16_t)(at[0] << 8 | at[1]);
}

static void packet_write16(uint8_t *at, uint16_t value)
{
	at[0] = (uint8_t)(value >> 8);
	at[1] = (uint8_t)value;
}

uint32_t packet_sum(const uint8_t *data, size_t length, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < length; i += 2)
		sum += packet_read16(data + i);
	if (length & 1)
		sum += (uint32_t)data[length - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t packet_checksum(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int packet_destination(const uint8_t *frame, size_t length, struct l3dsr_address *destination)
{
	uint16_t ethertype;

	memset(destination, 0, sizeof(*destination));
	if (length < PACKET_ETHERNET_LENGTH)
		return 0;
	ethertype = packet_read16(frame + 12);
	if (ethertype == ETHERTYPE_IPV4 && length >= 34) {
		destination->words[2] = htonl(0xffff);
		memcpy(&destination->words[3], frame + 30, 4);
		return 4;
	}
	if (ethertype == ETHERTYPE_IPV6 && length >= 54) {
		memcpy(destination->words, frame + 38, 16);
		return 6;
	}
	return 0;
}

/* Where a simple packet's transport header and its length are; 0 if the frame is not one. */
struct packet_layout {
	int family;
	size_t network; /* offset of the IP header */
	size_t transport;
	size_t transport_length;
	uint8_t protocol;
};

static int packet_layout(const uint8_t *frame, size_t length, struct packet_layout *layout)
{
	const uint8_t *ip = frame + PACKET_ETHERNET_LENGTH;
	size_t header_length, total_length;

	layout->network = PACKET_ETHERNET_LENGTH;
	if (length < PACKET_ETHERNET_LENGTH + 20)
		return 0;
	if (packet_read16(frame + 12) == ETHERTYPE_IPV4) {
		header_length = (size_t)(ip[0] & 0xf) * 4;
		total_length = packet_read16(ip + 2);
		if (ip[0] >> 4 != 4 || header_length < 20 || total_length < header_length ||
		    PACKET_ETHERNET_LENGTH + total_length > length)
			return 0;
		if (packet_read16(ip + 6) & (IPV4_MORE_FRAGMENTS | IPV4_OFFSET_MASK))
			return 0;
		layout->family = 4;
		layout->transport = PACKET_ETHERNET_LENGTH + header_length;
		layout->transport_length = total_length - header_length;
		layout->protocol = ip[9];
		return 1;
	}
	if (packet_read16(frame + 12) == ETHERTYPE_IPV6 && length >= PACKET_ETHERNET_LENGTH + 40) {
		total_length = 40 + (size_t)packet_read16(ip + 4);
		if (ip[0] >> 4 != 6 || PACKET_ETHERNET_LENGTH + total_length > length)
			return 0;
		layout->family = 6;
		layout->transport = PACKET_ETHERNET_LENGTH + 40;
		layout->transport_length = total_length - 40;
		layout->protocol = ip[6];
		return 1;
	}
	return 0;
}

enum packet_checksum_state packet_ipv4_header_checksum(const uint8_t *frame, size_t length)
{
	size_t header_length;

	if (length < PACKET_ETHERNET_LENGTH + 20 || packet_read16(frame + 12) != ETHERTYPE_IPV4)
		return PACKET_CHECKSUM_UNKNOWN;
	header_length = (size_t)(frame[PACKET_ETHERNET_LENGTH] & 0xf) * 4;
	if (header_length < 20 || PACKET_ETHERNET_LENGTH + header_length > length)
		return PACKET_CHECKSUM_UNKNOWN;
	return packet_checksum(packet_sum(frame + PACKET_ETHERNET_LENGTH, header_length, 0)) == 0
		   ? PACKET_CHECKSUM_VALID
		   : PACKET_CHECKSUM_INVALID;
}

/* The sum of the pseudo-header (RFC 793, RFC 8200 8.1) of a transport segment. */
static uint32_t packet_pseudo_sum(const uint8_t *frame, const struct packet_layout *layout)
{
	const uint8_t *ip = frame + layout->network;
	uint32_t sum;

	if (layout->family == 4)
		sum = packet_sum(ip + 12, 8, 0);
	else
		sum = packet_sum(ip + 8, 32, 0);
	sum += layout->protocol;
	sum += (uint32_t)layout->transport_length & 0xffff;
	sum += (uint32_t)(layout->transport_length >> 16);
	return sum;
}

enum packet_checksum_state packet_transport_checksum(const uint8_t *frame, size_t length)
{
	struct packet_layout layout;
	const uint8_t *segment;
	uint32_t sum = 0;

	if (!packet_layout(frame, length, &layout))
		return PACKET_CHECKSUM_UNKNOWN;
	segment = frame + layout.transport;
	switch (layout.protocol) {
	case IPPROTO_TCP:
		if (layout.transport_length < 20)
			return PACKET_CHECKSUM_UNKNOWN;
		sum = packet_pseudo_sum(frame, &layout);
		break;
	case IPPROTO_UDP:
		if (layout.transport_length < 8 ||
		    packet_read16(segment + 4) != layout.transport_length)
			return PACKET_CHECKSUM_UNKNOWN;
		if (layout.family == 4 && packet_read16(segment + 6) == 0)
			return PACKET_CHECKSUM_UDP_ZERO;
		sum = packet_pseudo_sum(frame, &layout);
		break;
	case IPPROTO_ICMP:
		if (layout.family != 4 || layout.transport_length < 8)
			return PACKET_CHECKSUM_UNKNOWN;
		break;
	case IPPROTO_ICMPV6:
		if (layout.family != 6 || layout.transport_length < 8)
			return PACKET_CHECKSUM_UNKNOWN;
		sum = packet_pseudo_sum(frame, &layout);
		break;
	default:
		return PACKET_CHECKSUM_UNKNOWN;
	}
	sum = packet_sum(segment, layout.transport_length, sum);
	return packet_checksum(sum) == 0 ? PACKET_CHECKSUM_VALID : PACKET_CHECKSUM_INVALID;
}

static size_t packet_build_ip(const struct packet_flow *flow, uint8_t *ip, size_t transport_length)
{
	if (flow->family == 4) {
		ip[0] = 0x45;
		ip[1] = flow->ds;
		packet_write16(ip + 2, (uint16_t)(20 + transport_length));
		packet_write16(ip + 4, flow->identification);
		packet_write16(ip + 6, IPV4_DONT_FRAGMENT);
		ip[8] = flow->ttl;
		ip[9] = flow->protocol;
		memcpy(ip + 12, &flow->source.words[3], 4);
		memcpy(ip + 16, &flow->destination.words[3], 4);
		packet_write16(ip + 10, packet_checksum(packet_sum(ip, 20, 0)));
		return 20;
	}
	ip[0] = (uint8_t)(0x60 | flow->ds >> 4);
	ip[1] = (uint8_t)((flow->ds & 0xf) << 4 | (flow->flow_label >> 16 & 0xf));
	packet_write16(ip + 2, (uint16_t)flow->flow_label);
	packet_write16(ip + 4, (uint16_t)transport_length);
	ip[6] = flow->protocol;
	ip[7] = flow->ttl;
	memcpy(ip + 8, flow->source.words, 16);
	memcpy(ip + 24, flow->destination.words, 16);
	return 40;
}

size_t packet_build(const struct packet_flow *flow, uint8_t *frame, size_t capacity)
{
	size_t header = flow->protocol == IPPROTO_TCP ? 20 : 8;
	size_t transport_length = header + flow->payload_length;
	size_t network_length = (flow->family == 4 ? 20 : 40) + transport_length;
	struct packet_layout layout;
	uint8_t *segment;
	uint16_t checksum;

	if (PACKET_ETHERNET_LENGTH + network_length > capacity)
		return 0;
	memset(frame, 0, PACKET_ETHERNET_LENGTH + network_length);
	memcpy(frame, flow->destination_mac, 6);
	memcpy(frame + 6, flow->source_mac, 6);
	packet_write16(frame + 12, flow->family == 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	segment = frame + PACKET_ETHERNET_LENGTH +
		  packet_build_ip(flow, frame + PACKET_ETHERNET_LENGTH, transport_length);

	packet_write16(segment, flow->source_port);
	packet_write16(segment + 2, flow->destination_port);
	if (flow->protocol == IPPROTO_TCP) {
		segment[4] = (uint8_t)(flow->sequence >> 24);
		segment[5] = (uint8_t)(flow->sequence >> 16);
		segment[6] = (uint8_t)(flow->sequence >> 8);
		segment[7] = (uint8_t)flow->sequence;
		segment[12] = 5 << 4;
		segment[13] = flow->tcp_flags ? flow->tcp_flags : 0x18; /* PSH, ACK */
		packet_write16(segment + 14, 64240);
	} else {
		packet_write16(segment + 4, (uint16_t)transport_length);
	}
	memcpy(segment + header, flow->payload, flow->payload_length);

	layout = (struct packet_layout){.family = flow->family,
					.network = PACKET_ETHERNET_LENGTH,
					.transport_length = transport_length,
					.protocol = flow->protocol};
	checksum = packet_checksum(
	    packet_sum(segment, transport_length, packet_pseudo_sum(frame, &layout)));
	/* RFC 768: a computed 0 is sent as all ones; 0 means "no checksum". */
	if (flow->protocol == IPPROTO_UDP && checksum == 0)
		checksum = 0xffff;
	if (flow->protocol == IPPROTO_UDP && flow->family == 4 && flow->udp_without_checksum)
		checksum = 0;
	packet_write16(segment + (flow->protocol == IPPROTO_TCP ? 16 : 6), checksum);
	return PACKET_ETHERNET_LENGTH + network_length;
}
