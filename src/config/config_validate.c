/* config_validate.c: the checks that need a whole section or the whole file: missing keys,
 * backends against their VIP, DSCP codes and (address, protocol, port) unique among VIPs. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "src/config/config_parser.h"
#include "bpf/l3dsr_common.h"

/* Fewer slots per backend than this and Maglev's shares of the table stray from the weights. */
#define CONFIG_EVEN_SLOTS_PER_BACKEND 100U

/* A key that was given and accepted. */
static bool config_key_valid(const struct config_key_state *keys, enum config_key_id id)
{
	return keys->line[id] && !keys->invalid[id];
}

/* A key that was accepted or left at its default (not given). */
static bool config_key_usable(const struct config_key_state *keys, enum config_key_id id)
{
	return !keys->invalid[id];
}

static const char *config_family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static int config_backend_compare(const void *left, const void *right)
{
	const struct backend_config *a = *(const struct backend_config *const *)left;
	const struct backend_config *b = *(const struct backend_config *const *)right;
	int order = memcmp(&a->address.address, &b->address.address, sizeof(a->address.address));

	if (order)
		return order;
	return (a->line > b->line) - (a->line < b->line);
}

/* Sorting finds the duplicates of even 65536 backends at once, where pairs would not. */
static void config_validate_duplicate_backends(struct config_parser *parser,
					       const struct vip_config *vip)
{
	const struct backend_config **sorted;
	char text[INET6_ADDRSTRLEN];

	if (vip->backend_count < 2)
		return;
	sorted = malloc(vip->backend_count * sizeof(*sorted));
	if (!sorted) {
		parser->out_of_memory = true;
		return;
	}
	for (size_t i = 0; i < vip->backend_count; i++)
		sorted[i] = &vip->backends[i];
	qsort(sorted, vip->backend_count, sizeof(*sorted), config_backend_compare);
	for (size_t i = 1, first = 0; i < vip->backend_count; i++) {
		if (!config_address_equal(&sorted[i]->address, &sorted[first]->address)) {
			first = i;
			continue;
		}
		config_address_text(&sorted[i]->address, text, sizeof(text));
		config_error(parser, sorted[i]->line, "duplicate backend %s (first at line %d)",
			     text, sorted[first]->line);
	}
	free(sorted);
}

static void config_validate_backends(struct config_parser *parser, const struct vip_config *vip,
				     const struct config_key_state *keys)
{
	char text[INET6_ADDRSTRLEN];

	if (!keys->line[KEY_BACKEND]) {
		config_error(parser, vip->line,
			     "VIP \"%s\" has no backend (expected at least one backend = ADDRESS)",
			     vip->name);
		return;
	}
	if (config_key_valid(keys, KEY_ADDRESS)) {
		for (size_t i = 0; i < vip->backend_count; i++) {
			const struct backend_config *backend = &vip->backends[i];

			config_address_text(&backend->address, text, sizeof(text));
			if (backend->address.family != vip->address.family)
				config_error(
				    parser, backend->line,
				    "backend %s is %s but VIP \"%s\" is %s (expected an %s "
				    "backend)",
				    text, config_family_name(backend->address.family), vip->name,
				    config_family_name(vip->address.family),
				    config_family_name(vip->address.family));
			else if (config_address_equal(&backend->address, &vip->address))
				config_error(parser, backend->line,
					     "backend %s is the VIP's own address (expected the "
					     "backend's real address)",
					     text);
		}
	}
	config_validate_duplicate_backends(parser, vip);
}

static void config_validate_table_size(struct config_parser *parser, const struct vip_config *vip,
				       const struct config_key_state *keys)
{
	int line = keys->line[KEY_TABLE_SIZE] ? keys->line[KEY_TABLE_SIZE] : vip->line;
	const char *how = keys->line[KEY_TABLE_SIZE] ? "" : " (the default)";
	uint64_t even = CONFIG_EVEN_SLOTS_PER_BACKEND * (uint64_t)vip->backend_count;

	if (!config_key_usable(keys, KEY_TABLE_SIZE) || vip->backend_count == 0)
		return;
	if (vip->table_size < vip->backend_count)
		config_error(parser, line,
			     "table-size %u%s is smaller than the %zu backends of VIP \"%s\" "
			     "(expected at least %zu)",
			     vip->table_size, how, vip->backend_count, vip->name,
			     vip->backend_count);
	else if (vip->table_size < even)
		config_warning(parser, line,
			       "table-size %u%s is less than %u x %zu backends of VIP \"%s\" "
			       "(expected at least %llu for an even spread)",
			       vip->table_size, how, CONFIG_EVEN_SLOTS_PER_BACKEND,
			       vip->backend_count, vip->name, (unsigned long long)even);
}

/* Completes the check with what it takes from its VIP: the port, the http Host header. */
static void config_validate_check(struct config_parser *parser, struct vip_config *vip,
				  const struct config_key_state *keys)
{
	struct check_config *check = &vip->check;
	char text[INET6_ADDRSTRLEN];

	if (!config_key_valid(keys, KEY_CHECK) || check->type == CHECK_NONE)
		return;
	if (check->port == 0 && config_key_usable(keys, KEY_PORT)) {
		if (vip->port == 0)
			config_error(parser, keys->line[KEY_CHECK],
				     "check needs a port: VIP \"%s\" has port * (expected check = "
				     "%s port=N ...)",
				     vip->name, check->type == CHECK_HTTP ? "http" : "tcp");
		else
			check->port = vip->port;
	}
	/* With dscp = none a backend knows the VIP only by (protocol, port): a probe to another
	 * port, or a TCP probe for a UDP VIP, would reach no VIP and always fail. */
	if (config_key_valid(keys, KEY_DSCP) && vip->dscp == 0 && parser->role == ROLE_LB) {
		if (vip->port && check->port && check->port != vip->port &&
		    config_key_usable(keys, KEY_PORT))
			config_error(parser, keys->line[KEY_CHECK],
				     "check port=%u on VIP \"%s\" with dscp = none, whose backends "
				     "know it only by port %u (expected the VIP's port)",
				     check->port, vip->name, vip->port);
		if (vip->protocol == IPPROTO_UDP && config_key_usable(keys, KEY_PROTOCOL))
			config_error(
			    parser, keys->line[KEY_CHECK],
			    "a check on VIP \"%s\" (udp, dscp = none) would be TCP, which its "
			    "backends do not map to the VIP (expected check = none or a dscp "
			    "code)",
			    vip->name);
	}
	if (check->type == CHECK_HTTP && !check->host[0] && config_key_valid(keys, KEY_ADDRESS)) {
		config_address_text(&vip->address, text, sizeof(text));
		if (vip->address.family == AF_INET6)
			snprintf(check->host, sizeof(check->host), "[%s]", text);
		else
			snprintf(check->host, sizeof(check->host), "%s", text);
	}
}

/* On a backend, "dscp = none" VIPs are told apart by (protocol, port) instead. */
static void config_validate_backend_role_vip(struct config_parser *parser,
					     const struct vip_config *vip,
					     const struct config_key_state *keys)
{
	if (!config_key_valid(keys, KEY_DSCP))
		return;
	if (vip->dscp != 0) {
		if (keys->line[KEY_PROTOCOL])
			config_warning(parser, keys->line[KEY_PROTOCOL],
				       "protocol is ignored when dscp is a code (it is used only "
				       "with dscp = none)");
		if (keys->line[KEY_PORT])
			config_warning(parser, keys->line[KEY_PORT],
				       "port is ignored when dscp is a code (it is used only with "
				       "dscp = none)");
		return;
	}
	if (!keys->line[KEY_PROTOCOL])
		config_error(parser, vip->line,
			     "VIP \"%s\" has dscp = none but no protocol (expected protocol = tcp, "
			     "udp or any)",
			     vip->name);
	if (!keys->line[KEY_PORT])
		config_error(parser, vip->line,
			     "VIP \"%s\" has dscp = none but no port (expected port = %u..%u)",
			     vip->name, CONFIG_PORT_MIN, CONFIG_PORT_MAX);
	else if (config_key_valid(keys, KEY_PORT) && vip->port == 0)
		config_error(parser, keys->line[KEY_PORT],
			     "port * cannot be used with dscp = none (expected a fixed port "
			     "%u..%u)",
			     CONFIG_PORT_MIN, CONFIG_PORT_MAX);
}

static void config_validate_vip(struct config_parser *parser, size_t index)
{
	struct vip_config *vip = &parser->config->vips[index];
	const struct config_key_state *keys = &parser->vip_states[index].keys;

	if (!keys->line[KEY_ADDRESS])
		config_error(parser, vip->line,
			     "VIP \"%s\" has no address (expected address = IPv4 or IPv6 address)",
			     vip->name);
	if (!keys->line[KEY_DSCP])
		config_error(parser, vip->line,
			     "VIP \"%s\" has no dscp (expected dscp = %u..%u or none)", vip->name,
			     CONFIG_DSCP_MIN, CONFIG_DSCP_MAX);
	if (parser->role == ROLE_BACKEND) {
		config_validate_backend_role_vip(parser, vip, keys);
		return;
	}
	config_validate_backends(parser, vip, keys);
	config_validate_table_size(parser, vip, keys);
	config_validate_check(parser, vip, keys);
}

/* The backend's dscp_vips map is indexed by the code alone, whatever the family. */
static void config_validate_dscp(struct config_parser *parser)
{
	size_t first_vip[L3DSR_DSCP_CODES];
	bool used[L3DSR_DSCP_CODES] = {false};

	for (size_t i = 0; i < parser->config->vip_count; i++) {
		const struct vip_config *vip = &parser->config->vips[i];
		const struct config_vip_state *state = &parser->vip_states[i];
		const struct vip_config *first;

		if (state->duplicate_name || !config_key_valid(&state->keys, KEY_DSCP) ||
		    vip->dscp == 0)
			continue;
		if (!used[vip->dscp]) {
			used[vip->dscp] = true;
			first_vip[vip->dscp] = i;
			continue;
		}
		first = &parser->config->vips[first_vip[vip->dscp]];
		config_error(parser, state->keys.line[KEY_DSCP],
			     "dscp %u of VIP \"%s\" is already used by VIP \"%s\" (line %d) "
			     "(expected a code unique among VIPs)",
			     vip->dscp, vip->name, first->name,
			     parser->vip_states[first_vip[vip->dscp]].keys.line[KEY_DSCP]);
	}
}

/*
 * One packet class a VIP takes: on the load balancer a key of the vips map, on a backend a
 * key of port_vips (the address left zero: it is whichever local address the packet has).
 */
struct config_traffic_key {
	struct in6_addr address;
	int family;
	uint16_t port;
	uint8_t protocol;
	size_t vip;
};

static int config_traffic_key_compare(const void *left, const void *right)
{
	const struct config_traffic_key *a = left, *b = right;
	int order = memcmp(&a->address, &b->address, sizeof(a->address));

	if (order)
		return order;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	return (a->vip > b->vip) - (a->vip < b->vip);
}

static bool config_traffic_key_same(const struct config_traffic_key *a,
				    const struct config_traffic_key *b)
{
	return memcmp(&a->address, &b->address, sizeof(a->address)) == 0 &&
	       a->family == b->family && a->port == b->port && a->protocol == b->protocol;
}

/* Whether VIP takes part, and with which address: see struct config_traffic_key. */
static bool config_traffic_vip(struct config_parser *parser, size_t index)
{
	const struct vip_config *vip = &parser->config->vips[index];
	const struct config_vip_state *state = &parser->vip_states[index];
	const struct config_key_state *keys = &state->keys;

	if (state->duplicate_name || !config_key_valid(keys, KEY_ADDRESS) ||
	    !config_key_usable(keys, KEY_PROTOCOL) || !config_key_usable(keys, KEY_PORT))
		return false;
	if (parser->role == ROLE_LB)
		return true;
	return config_key_valid(keys, KEY_DSCP) && vip->dscp == 0 &&
	       config_key_valid(keys, KEY_PROTOCOL) && config_key_valid(keys, KEY_PORT) &&
	       vip->port != 0;
}

/* "protocol = any" with a fixed port is one tcp and one udp key (see l3dsr_common.h). */
static size_t config_traffic_keys_of(const struct config_parser *parser, size_t index,
				     struct config_traffic_key *keys)
{
	const struct vip_config *vip = &parser->config->vips[index];
	struct config_traffic_key key = {
	    .family = vip->address.family,
	    .port = vip->port,
	    .protocol = vip->protocol,
	    .vip = index,
	};

	if (parser->role == ROLE_LB)
		key.address = vip->address.address;
	if (vip->protocol != 0 || vip->port == 0) {
		keys[0] = key;
		return 1;
	}
	keys[0] = key;
	keys[0].protocol = IPPROTO_TCP;
	keys[1] = key;
	keys[1].protocol = IPPROTO_UDP;
	return 2;
}

static void config_traffic_describe(const struct config_parser *parser,
				    const struct config_traffic_key *key, char *text, size_t size)
{
	const struct config_address address = {.address = key->address, .family = key->family};
	const char *protocol = key->protocol == IPPROTO_TCP ? "tcp" : "udp";
	char address_text[INET6_ADDRSTRLEN];

	if (parser->role == ROLE_BACKEND) {
		snprintf(text, size, "%s %s port %u with dscp = none",
			 config_family_name(key->family), protocol, key->port);
		return;
	}
	config_address_text(&address, address_text, sizeof(address_text));
	if (key->protocol == 0)
		snprintf(text, size, "every protocol and port of %s", address_text);
	else if (key->port == 0)
		snprintf(text, size, "every %s port of %s", protocol, address_text);
	else
		snprintf(text, size, "%s port %u of %s", protocol, key->port, address_text);
}

/*
 * VIPs of one address may nest ("port = *" beside "port = 80": the datapath takes the most
 * specific), but no two may take the same packets.
 */
static void config_validate_overlaps(struct config_parser *parser)
{
	size_t vip_count = parser->config->vip_count, count = 0;
	struct config_traffic_key *keys = malloc((2 * vip_count + 1) * sizeof(*keys));
	size_t *reported = malloc((vip_count + 1) * sizeof(*reported));
	const char *expected = parser->role == ROLE_LB
				   ? "a unique address, protocol and port"
				   : "a protocol and port unique among the dscp = none VIPs";

	if (!keys || !reported) {
		parser->out_of_memory = true;
		goto out;
	}
	for (size_t i = 0; i < vip_count; i++) {
		reported[i] = SIZE_MAX;
		if (config_traffic_vip(parser, i))
			count += config_traffic_keys_of(parser, i, keys + count);
	}
	qsort(keys, count, sizeof(*keys), config_traffic_key_compare);
	for (size_t i = 1, first = 0; i < count; i++) {
		const struct vip_config *vip, *earlier;
		char what[128];

		if (!config_traffic_key_same(&keys[i], &keys[first])) {
			first = i;
			continue;
		}
		/* "any" against "any" meets twice (tcp and udp): one message is enough. */
		if (reported[keys[i].vip] == keys[first].vip)
			continue;
		reported[keys[i].vip] = keys[first].vip;
		vip = &parser->config->vips[keys[i].vip];
		earlier = &parser->config->vips[keys[first].vip];
		config_traffic_describe(parser, &keys[i], what, sizeof(what));
		config_error(parser, vip->line,
			     "VIP \"%s\" overlaps VIP \"%s\" (line %d): both take %s (expected %s)",
			     vip->name, earlier->name, earlier->line, what, expected);
	}
out:
	free(keys);
	free(reported);
}

void config_validate(struct config_parser *parser)
{
	for (size_t i = 0; i < parser->config->vip_count && !parser->out_of_memory; i++)
		config_validate_vip(parser, i);
	config_validate_dscp(parser);
	config_validate_overlaps(parser);
	if (parser->config->vip_count == 0 && !parser->vips_refused)
		config_warning(parser, 0, "no [vip NAME] section (nothing to %s)",
			       parser->role == ROLE_LB ? "balance" : "restore");
}
