/* config_keys.c: the keys of lb.conf and backend.conf, where each is valid and how its value
 * is read into struct l3dsr_config. */
#include <stdlib.h>
#include <string.h>

#include "src/config/config_parser.h"
#include "bpf/l3dsr_common.h"
#include "src/common/grow.h"
#include "src/common/prime.h"

/* Upper bound of flow-table-size: the LRU map's memory (about 100 bytes an entry) stays
 * within what a load balancer can spare, and the kernel accepts the size. */
#define CONFIG_FLOW_TABLE_MAX (128U * 1024 * 1024)
#define CONFIG_WEIGHT_MAX     1000
/* How long a changed ring slot keeps its previous backend for the flows that need it: at least
 * a second (the marks are checked every few seconds), at most a day. */
#define CONFIG_FLOW_CHANGE_RETENTION_MIN_MS 1000U
#define CONFIG_FLOW_CHANGE_RETENTION_MAX_MS (24U * 3600 * 1000)

/* VALUE as one of the COUNT WORDS (indexed by their enum) into *INDEX; the message of any other
 * value lists them, from the key's EXPECTED. */
static bool config_value_word(struct config_parser *parser, const struct config_key *key,
			      const char *value, const char *expected, const char *const *words,
			      size_t count, unsigned int *index)
{
	for (size_t i = 0; i < count; i++) {
		if (words[i] && strcmp(value, words[i]) == 0) {
			*index = (unsigned int)i;
			return true;
		}
	}
	config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", key->name, value,
		     expected);
	return false;
}

static bool config_apply_xdp_mode(struct config_parser *parser, const struct config_key *key,
				  char *value, const char *expected)
{
	static const char *const modes[] = {
	    [XDP_MODE_NATIVE] = "native",
	    [XDP_MODE_GENERIC] = "generic",
	    [XDP_MODE_AUTO] = "auto",
	};
	unsigned int mode;

	if (!config_value_word(parser, key, value, expected, modes,
			       sizeof(modes) / sizeof(modes[0]), &mode))
		return false;
	parser->config->xdp_mode = (enum xdp_mode)mode;
	return true;
}

static bool config_apply_hash_seed(struct config_parser *parser, const struct config_key *key,
				   char *value, const char *expected)
{
	return config_value_number(parser, key->name, value, key->min, key->max, expected,
				   &parser->config->hash_seed);
}

static bool config_apply_flow_hash(struct config_parser *parser, const struct config_key *key,
				   char *value, const char *expected)
{
	static const char *const hashes[] = {
	    [FLOW_HASH_LOOKUP3] = "lookup3",
	    [FLOW_HASH_MIX64] = "mix64",
	};
	unsigned int hash;

	if (!config_value_word(parser, key, value, expected, hashes,
			       sizeof(hashes) / sizeof(hashes[0]), &hash))
		return false;
	parser->config->flow_hash = (enum flow_hash)hash;
	return true;
}

static bool config_apply_flow_table_size(struct config_parser *parser, const struct config_key *key,
					 char *value, const char *expected)
{
	return config_value_number(parser, key->name, value, key->min, key->max, expected,
				   &parser->config->flow_table_size);
}

static bool config_apply_flow_inserts(struct config_parser *parser, const struct config_key *key,
				      char *value, const char *expected)
{
	parser->config->flow_inserts_auto = strcmp(value, "auto") == 0;
	if (parser->config->flow_inserts_auto)
		return true;
	return config_value_number(parser, key->name, value, key->min, key->max, expected,
				   &parser->config->flow_inserts_per_second);
}

static bool config_apply_flow_change_retention(struct config_parser *parser,
					       const struct config_key *key, char *value,
					       const char *expected)
{
	return config_value_duration(parser, key->name, value, key->min, key->max, expected,
				     &parser->config->flow_change_retention_ms);
}

static bool config_apply_statistics_file(struct config_parser *parser, const struct config_key *key,
					 char *value, const char *expected)
{
	char *file = parser->config->statistics_file;
	size_t length = strlen(value);

	if (value[0] != '/') {
		config_error(parser, parser->line,
			     "%s \"%s\" is not an absolute path (expected %s)", key->name, value,
			     expected);
		return false;
	}
	if (length >= sizeof(parser->config->statistics_file)) {
		config_error(parser, parser->line,
			     "%s is %zu characters long (expected at most %zu)", key->name, length,
			     sizeof(parser->config->statistics_file) - 1);
		return false;
	}
	for (const char *c = value; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			config_error(parser, parser->line,
				     "%s \"%s\" holds a control character (expected %s)", key->name,
				     value, expected);
			return false;
		}
	}
	memcpy(file, value, length + 1);
	return true;
}

/* "FIRST-LAST": unprivileged ports, at most as many as the probes map holds. */
static bool config_apply_probe_ports(struct config_parser *parser, const struct config_key *key,
				     char *value, const char *expected)
{
	char *dash = strchr(value, '-');
	uint32_t first, last;

	if (!dash || dash == value || !dash[1]) {
		config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", key->name, value,
			     expected);
		return false;
	}
	*dash = '\0';
	if (!config_value_number(parser, "first probe port", value, key->min, key->max, expected,
				 &first) ||
	    !config_value_number(parser, "last probe port", dash + 1, key->min, key->max, expected,
				 &last))
		return false;
	if (first > last) {
		config_error(parser, parser->line,
			     "%s %u-%u: the first port is above the last (expected %s)", key->name,
			     first, last, expected);
		return false;
	}
	if (last - first + 1 > key->count_max) {
		config_error(parser, parser->line, "%s %u-%u holds %u ports (expected at most %u)",
			     key->name, first, last, last - first + 1, key->count_max);
		return false;
	}
	parser->config->probe_port_first = (uint16_t)first;
	parser->config->probe_port_last = (uint16_t)last;
	return true;
}

static bool config_apply_drain(struct config_parser *parser, const struct config_key *key,
			       char *value, const char *expected)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
		parser->config->drain = value[0] == 'y';
		return true;
	}
	config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", key->name, value,
		     expected);
	return false;
}

/* A duration; a bare 0 needs no unit. */
static bool config_apply_stop_delay(struct config_parser *parser, const struct config_key *key,
				    char *value, const char *expected)
{
	if (strcmp(value, "0") == 0) {
		parser->config->stop_delay_ms = 0;
		return true;
	}
	return config_value_duration(parser, key->name, value, key->min, key->max, expected,
				     &parser->config->stop_delay_ms);
}

static bool config_apply_address(struct config_parser *parser, const struct config_key *key,
				 char *value, const char *expected)
{
	(void)expected; /* config_value_address says the same */
	return config_value_address(parser, key->name, value, &config_current_vip(parser)->address);
}

static bool config_apply_protocol(struct config_parser *parser, const struct config_key *key,
				  char *value, const char *expected)
{
	struct vip_config *vip = config_current_vip(parser);

	if (strcmp(value, "tcp") == 0)
		vip->protocol = IPPROTO_TCP;
	else if (strcmp(value, "udp") == 0)
		vip->protocol = IPPROTO_UDP;
	else if (strcmp(value, "any") == 0)
		vip->protocol = 0;
	else {
		config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", key->name, value,
			     expected);
		return false;
	}
	return true;
}

static bool config_apply_port(struct config_parser *parser, const struct config_key *key,
			      char *value, const char *expected)
{
	(void)expected; /* config_value_port says the same */
	return config_value_port(parser, key->name, value, true, &config_current_vip(parser)->port);
}

static bool config_apply_dscp(struct config_parser *parser, const struct config_key *key,
			      char *value, const char *expected)
{
	uint32_t dscp;

	if (strcmp(value, "none") == 0) {
		config_current_vip(parser)->dscp = 0;
		return true;
	}
	if (!config_value_number(parser, key->name, value, key->min, key->max, expected, &dscp))
		return false;
	config_current_vip(parser)->dscp = (uint8_t)dscp;
	return true;
}

static bool config_apply_table_size(struct config_parser *parser, const struct config_key *key,
				    char *value, const char *expected)
{
	uint32_t size;

	if (!config_value_number(parser, key->name, value, key->min, key->max, expected, &size))
		return false;
	if (!prime_test(size)) {
		config_error(parser, parser->line, "%s %u is not prime (expected a prime, e.g. %u)",
			     key->name, size, prime_next(size));
		return false;
	}
	config_current_vip(parser)->table_size = size;
	return true;
}

static bool config_backend_add(struct config_parser *parser, const struct backend_config *backend)
{
	struct vip_config *vip = config_current_vip(parser);
	struct config_vip_state *state = &parser->vip_states[parser->config->vip_count - 1];

	if (vip->backend_count == state->backend_capacity) {
		struct backend_config *backends =
		    grow_array(vip->backends, &state->backend_capacity, sizeof(*backends), 4);

		if (!backends) {
			parser->out_of_memory = true;
			return false;
		}
		vip->backends = backends;
	}
	vip->backends[vip->backend_count++] = *backend;
	return true;
}

static bool config_apply_backend(struct config_parser *parser, const struct config_key *key,
				 char *value, const char *expected)
{
	struct backend_config backend = {.weight = 1, .line = parser->line};
	char *cursor = value, *token, weight_expected[CONFIG_EXPECTED_MAX];
	bool weight_seen = false, valid;

	snprintf(weight_expected, sizeof(weight_expected), "%u..%u", key->min, key->max);
	valid = config_value_address(parser, "backend address", config_next_token(&cursor),
				     &backend.address);
	while ((token = config_next_token(&cursor))) {
		if (strncmp(token, "weight=", 7) != 0) {
			config_error(parser, parser->line,
				     "unknown backend option \"%s\" (expected %s)", token,
				     expected);
			valid = false;
		} else if (weight_seen) {
			config_error(parser, parser->line, "duplicate backend option \"weight\"");
			valid = false;
		} else {
			weight_seen = true;
			valid &= config_value_number(parser, "weight", token + 7, key->min,
						     key->max, weight_expected, &backend.weight);
		}
	}
	if (!valid)
		return false;
	parser->backend_total++;
	if (parser->backend_total == L3DSR_MAX_BACKENDS + 1)
		config_error(parser, parser->line, "too many backends (expected at most %u in all)",
			     L3DSR_MAX_BACKENDS);
	if (parser->backend_total > L3DSR_MAX_BACKENDS)
		return false;
	return config_backend_add(parser, &backend);
}

static bool config_apply_check(struct config_parser *parser, const struct config_key *key,
			       char *value, const char *expected)
{
	(void)key;
	(void)expected;
	return config_check_parse(parser, value, &config_current_vip(parser)->check);
}

static const struct config_key config_keys[] = {
    {
	.name = "xdp-mode",
	.id = KEY_XDP_MODE,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF | IN_BACKEND_CONF,
	.expected = "native, generic or auto",
	.apply = config_apply_xdp_mode,
    },
    {
	.name = "hash-seed",
	.id = KEY_HASH_SEED,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.max = UINT32_MAX,
	.expected = "%s..%s",
	.apply = config_apply_hash_seed,
    },
    {
	.name = "flow-hash",
	.id = KEY_FLOW_HASH,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.expected = "lookup3 or mix64",
	.apply = config_apply_flow_hash,
    },
    {
	.name = "flow-table-size",
	.id = KEY_FLOW_TABLE_SIZE,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.max = CONFIG_FLOW_TABLE_MAX,
	.expected = "%s..%s, 0 disables the flow table",
	.apply = config_apply_flow_table_size,
    },
    {
	.name = "flow-inserts-per-second",
	.id = KEY_FLOW_INSERTS_PER_SECOND,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.max = UINT32_MAX,
	.expected = "auto or %s..%s, 0 = unlimited",
	.apply = config_apply_flow_inserts,
    },
    {
	.name = "flow-change-retention",
	.id = KEY_FLOW_CHANGE_RETENTION,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.min = CONFIG_FLOW_CHANGE_RETENTION_MIN_MS,
	.max = CONFIG_FLOW_CHANGE_RETENTION_MAX_MS,
	.duration = true,
	.expected = "a duration %s..%s, e.g. 5m",
	.apply = config_apply_flow_change_retention,
    },
    {
	.name = "statistics-file",
	.id = KEY_STATISTICS_FILE,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF | IN_BACKEND_CONF,
	.expected = "an absolute file name",
	.apply = config_apply_statistics_file,
    },
    {
	.name = "probe-ports",
	.id = KEY_PROBE_PORTS,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.min = CONFIG_PROBE_PORT_MIN,
	.max = CONFIG_PORT_MAX,
	.count_max = L3DSR_MAX_PROBE_PORTS,
	.expected = "FIRST-LAST, ports %s..%s, at most %s",
	.apply = config_apply_probe_ports,
    },
    {
	.name = "drain",
	.id = KEY_DRAIN,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.expected = "yes or no",
	.apply = config_apply_drain,
    },
    {
	.name = "stop-delay",
	.id = KEY_STOP_DELAY,
	.section = SECTION_GLOBAL,
	.files = IN_LB_CONF,
	.max = CONFIG_STOP_DELAY_MAX_MS,
	.duration = true,
	.expected = "0 or a duration %s..%s, e.g. 3s or 500ms",
	.apply = config_apply_stop_delay,
    },
    {
	.name = "address",
	.id = KEY_ADDRESS,
	.section = SECTION_VIP,
	.files = IN_LB_CONF | IN_BACKEND_CONF,
	.expected = "a unicast IPv4 or IPv6 address",
	.apply = config_apply_address,
    },
    {
	.name = "protocol",
	.id = KEY_PROTOCOL,
	.section = SECTION_VIP,
	.files = IN_LB_CONF | IN_BACKEND_CONF,
	.expected = "tcp, udp or any",
	.apply = config_apply_protocol,
    },
    {
	.name = "port",
	.id = KEY_PORT,
	.section = SECTION_VIP,
	.files = IN_LB_CONF | IN_BACKEND_CONF,
	.min = CONFIG_PORT_MIN,
	.max = CONFIG_PORT_MAX,
	.expected = "%s..%s or *",
	.apply = config_apply_port,
    },
    {
	.name = "dscp",
	.id = KEY_DSCP,
	.section = SECTION_VIP,
	.files = IN_LB_CONF | IN_BACKEND_CONF,
	.min = CONFIG_DSCP_MIN,
	.max = CONFIG_DSCP_MAX,
	.expected = "%s..%s or none",
	.apply = config_apply_dscp,
    },
    {
	.name = "table-size",
	.id = KEY_TABLE_SIZE,
	.section = SECTION_VIP,
	.files = IN_LB_CONF,
	.min = 2, /* the smallest prime */
	.max = L3DSR_MAX_TABLE_SIZE,
	.expected = "a prime from %s to %s",
	.apply = config_apply_table_size,
    },
    {
	.name = "backend",
	.id = KEY_BACKEND,
	.section = SECTION_VIP,
	.files = IN_LB_CONF,
	.repeatable = true,
	.max = CONFIG_WEIGHT_MAX, /* of weight= */
	.expected = "ADDRESS [weight=%s..%s]",
	.apply = config_apply_backend,
    },
    {
	.name = "check",
	.id = KEY_CHECK,
	.section = SECTION_VIP,
	.files = IN_LB_CONF,
	.expected = "none, tcp [OPTIONS] or http [OPTIONS]",
	.apply = config_apply_check,
    },
};
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) == KEY_COUNT,
	       "one entry in config_keys per enum config_key_id");

/* A bound of KEY as its messages write it: a number, or a duration ("100ms", "2s"). */
static void config_key_bound_text(const struct config_key *key, uint32_t bound, char *text,
				  size_t size)
{
	if (key->duration)
		config_duration_text(bound, text, size);
	else
		snprintf(text, size, "%u", bound);
}

/* The formats are the table's, each written for its key's bounds; their only conversions are
 * %s, and every argument is text, so a format cannot read an argument as the wrong type. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void config_key_expected(const struct config_key *key, char *text, size_t size)
{
	char min[16], max[16], count_max[16];

	config_key_bound_text(key, key->min, min, sizeof(min));
	config_key_bound_text(key, key->max, max, sizeof(max));
	snprintf(count_max, sizeof(count_max), "%u", key->count_max);
	snprintf(text, size, key->expected, min, max, count_max);
}
#pragma GCC diagnostic pop

bool config_key_in_file(const struct config_key *key, enum l3dsr_role role)
{
	return key->files & (1U << role);
}

const struct config_key *config_key_find(const char *name)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

size_t config_key_names(enum config_section section, enum l3dsr_role role, const char **names,
			size_t size)
{
	size_t count = 0;

	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]) && count < size; i++) {
		const struct config_key *key = &config_keys[i];

		if (key->section == section && config_key_in_file(key, role))
			names[count++] = key->name;
	}
	return count;
}
