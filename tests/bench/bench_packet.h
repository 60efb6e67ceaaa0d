/* bench_packet.h: builds the benchmark's Ethernet frames and the flow-table keys they make. */
#ifndef L3DSR_BENCH_PACKET_H
#define L3DSR_BENCH_PACKET_H

#include <netinet/in.h>
#include <stdint.h>
#include "bench_common.h"
#include "bpf/l3dsr_common.h"

struct packet_spec {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t tcp_flags;
	struct in6_addr source; /* IPv4 v4-mapped */
	struct in6_addr destination;
	uint16_t source_port; /* host order */
	uint16_t destination_port;
	uint8_t dscp;
	uint8_t ttl;
	uint16_t payload_length;
	uint8_t source_mac[6];
	uint8_t destination_mac[6];
};

#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10

/* Writes the frame, with correct checksums, into FRAME (vary = none). Returns 0 or -EINVAL. */
int packet_build(const struct packet_spec *spec, struct bench_frame *frame);

/* The flows key of flow K of SPEC as the wrapper varies it (enum bench_vary). */
void packet_flow_key(const struct packet_spec *spec, uint32_t k, struct flow_key *key);

/* Parses "192.0.2.1" or "2001:db8::1" into ADDRESS (IPv4 v4-mapped); returns the family or -1. */
int packet_address(const char *text, struct in6_addr *address);

#endif /* L3DSR_BENCH_PACKET_H */
