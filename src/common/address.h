/* address.h: the maps' address form (IPv4 v4-mapped in 16 bytes) to and from text and config. */
#ifndef L3DSR_ADDRESS_H
#define L3DSR_ADDRESS_H

#include <arpa/inet.h>
#include <stdbool.h>

#include "src/config/config.h"
#include "bpf/l3dsr_common.h"

/* Large enough for any IPv6 text form and for "a.b.c.d". */
#define ADDRESS_TEXT_MAX INET6_ADDRSTRLEN

struct l3dsr_address address_from_config(const struct config_address *address);

/* From a socket address of either family (as getifaddrs gives). */
struct l3dsr_address address_from_in6(const struct in6_addr *address);
struct l3dsr_address address_from_in(const struct in_addr *address);

bool address_is_v4(const struct l3dsr_address *address);
bool address_equal(const struct l3dsr_address *a, const struct l3dsr_address *b);

/* "192.0.2.10" for a v4-mapped address, "2001:db8::10" otherwise; returns TEXT. */
const char *address_format(const struct l3dsr_address *address, char *text);

/* "tcp", "udp" or "any" for IPPROTO_TCP, IPPROTO_UDP, 0. */
const char *address_protocol_name(unsigned protocol);

#endif /* L3DSR_ADDRESS_H */
