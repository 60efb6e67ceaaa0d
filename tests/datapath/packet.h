/* packet.h: the tests' own reading and building of frames, independent of the XDP programs. */
#ifndef L3DSR_TEST_PACKET_H
#define L3DSR_TEST_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/l3dsr_common.h"

#define PACKET_ETHERNET_LENGTH 14

/* The RFC 1071 one's complement sum of DATA added to SUM (not folded, not inverted). */
uint32_t packet_sum(const uint8_t *data, size_t length, uint32_t sum);

/* SUM folded to 16 bits and inverted: the checksum field that makes the sum 0xffff. */
uint16_t packet_checksum(uint32_t sum);

/*
 * The destination by the simplest rule, as the random test's oracle: ethertype at offset 12,
 * IPv4 destination at 30, IPv6 destination at 38. Returns 4 or 6 with *DESTINATION set (IPv4
 * v4-mapped), or 0 for a frame that is neither or too short to hold the address.
 */
int packet_destination(const uint8_t *frame, size_t length, struct l3dsr_address *destination);

enum packet_checksum_state {
	PACKET_CHECKSUM_UNKNOWN, /* not a simple unfragmented TCP/UDP/ICMP packet that fits */
	PACKET_CHECKSUM_VALID,
	PACKET_CHECKSUM_INVALID,
	PACKET_CHECKSUM_UDP_ZERO, /* IPv4 UDP without checksum */
};

/* The state of the IPv4 header checksum (UNKNOWN: not IPv4, or the header does not fit). */
enum packet_checksum_state packet_ipv4_header_checksum(const uint8_t *frame, size_t length);

/* The state of the TCP, UDP, ICMP or ICMPv6 checksum, pseudo-header included where it counts. */
enum packet_checksum_state packet_transport_checksum(const uint8_t *frame, size_t length);

/* What packet_build makes: Ethernet, IPv4 or IPv6 without options, TCP or UDP, a payload. */
struct packet_flow {
	int family; /* 4 or 6 */
	uint8_t source_mac[6], destination_mac[6];
	struct l3dsr_address source, destination; /* IPv4 v4-mapped */
	uint8_t protocol;			  /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t source_port, destination_port;	  /* host order */
	uint8_t ds;				  /* DSCP and ECN */
	uint8_t ttl;				  /* or hop limit */
	uint16_t identification;		  /* IPv4 */
	uint32_t flow_label;			  /* IPv6 */
	uint32_t sequence;			  /* TCP */
	uint8_t tcp_flags;			  /* TCP; 0: PSH, ACK */
	int udp_without_checksum;		  /* IPv4 UDP: checksum field 0 */
	size_t payload_length;
	const uint8_t *payload;
};

/* Writes the frame of FLOW with every checksum computed; returns its length, 0 if it won't fit. */
size_t packet_build(const struct packet_flow *flow, uint8_t *frame, size_t capacity);

#endif /* L3DSR_TEST_PACKET_H */
