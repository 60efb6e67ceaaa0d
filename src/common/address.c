/* address.c: the maps' address form (IPv4 v4-mapped in 16 bytes) to and from text and config. */
#include <netinet/in.h>
#include <string.h>

#include "src/common/address.h"

struct l3dsr_address address_from_in6(const struct in6_addr *address)
{
	struct l3dsr_address result;

	memcpy(&result, address, sizeof(result));
	return result;
}

struct l3dsr_address address_from_in(const struct in_addr *address)
{
	struct l3dsr_address result = {{0, 0, htonl(0xffff), address->s_addr}};

	return result;
}

struct l3dsr_address address_from_config(const struct config_address *address)
{
	/* The parser already holds IPv4 v4-mapped, exactly as the maps want it. */
	return address_from_in6(&address->address);
}

bool address_is_v4(const struct l3dsr_address *address)
{
	return address->words[0] == 0 && address->words[1] == 0 &&
	       address->words[2] == htonl(0xffff);
}

bool address_equal(const struct l3dsr_address *a, const struct l3dsr_address *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

const char *address_format(const struct l3dsr_address *address, char *text)
{
	if (address_is_v4(address))
		inet_ntop(AF_INET, &address->words[3], text, ADDRESS_TEXT_MAX);
	else
		inet_ntop(AF_INET6, address, text, ADDRESS_TEXT_MAX);
	return text;
}

const char *address_protocol_name(unsigned protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case 0:
		return "any";
	}
	return "?";
}
