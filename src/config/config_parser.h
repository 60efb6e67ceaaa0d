/* config_parser.h: what the pieces of the configuration parser share (internal to config*.c). */
#ifndef L3DSR_CONFIG_PARSER_H
#define L3DSR_CONFIG_PARSER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/config/config.h"
#include "bpf/l3dsr_common.h"

/* Longer lines are an error rather than being cut, so nothing is ever silently truncated. */
#define CONFIG_LINE_MAX 1024
/* A file of nothing but errors still gets a bounded report; the rest are counted. */
#define CONFIG_MESSAGES_MAX 10000
/* A larger file is refused instead of read: no sane configuration comes near it. */
#define CONFIG_FILE_MAX (16 * 1024 * 1024)
/* probe-ports: above the kernel's default ephemeral ports (32768-60999), so that no other
 * connection of the host is given one of them. */
#define CONFIG_PROBE_PORT_FIRST 61000
#define CONFIG_PROBE_PORT_LAST	61999
#define CONFIG_PROBE_PORT_MIN	1024
/* The ranges of values that several checks share: the checks and the messages that state the
 * ranges both take them from here, so changing one changes the other. */
#define CONFIG_PORT_MIN 1U
#define CONFIG_PORT_MAX 65535U
#define CONFIG_DSCP_MIN 1U /* 0 is "dscp = none": the packets are not marked */
#define CONFIG_DSCP_MAX (L3DSR_DSCP_CODES - 1U)
/* Room for the "(expected ...)" part of a message, formatted from the ranges above. */
#define CONFIG_EXPECTED_MAX 128

enum config_section {
	SECTION_NONE,	 /* before the first section header */
	SECTION_GLOBAL,	 /* [global] */
	SECTION_VIP,	 /* [vip NAME] */
	SECTION_SKIPPED, /* after a bad section header: its keys cannot be judged */
};

enum config_key_id {
	KEY_XDP_MODE,
	KEY_HASH_SEED,
	KEY_FLOW_HASH,
	KEY_FLOW_TABLE_SIZE,
	KEY_FLOW_INSERTS_PER_SECOND,
	KEY_FLOW_CHANGE_RETENTION,
	KEY_STATISTICS_FILE,
	KEY_PROBE_PORTS,
	KEY_DRAIN,
	KEY_STOP_DELAY,
	KEY_ADDRESS,
	KEY_PROTOCOL,
	KEY_PORT,
	KEY_DSCP,
	KEY_TABLE_SIZE,
	KEY_BACKEND,
	KEY_CHECK,
	KEY_COUNT,
};

/* Where each key of a section was first given (0: never) and whether its value was rejected. */
struct config_key_state {
	int line[KEY_COUNT];
	bool invalid[KEY_COUNT];
};

/* What the parser knows about a VIP beyond struct vip_config (parallel to config->vips). */
struct config_vip_state {
	struct config_key_state keys;
	size_t backend_capacity;
	bool duplicate_name; /* left out of the cross-VIP checks: its name is already an error */
};

struct config_message {
	int line;     /* 0: about the whole file */
	size_t order; /* keeps messages of one line in the order they were found */
	char *text;
	bool warning;
};

struct config_messages {
	struct config_message *items;
	size_t count;
	size_t capacity;
	int errors;
	int warnings;
	size_t unshown; /* past CONFIG_MESSAGES_MAX, or lost to a failed allocation */
};

struct config_parser {
	const char *name; /* the file name used in messages */
	enum l3dsr_role role;
	struct l3dsr_config *config;
	struct config_messages messages;
	int line; /* the line being parsed */
	enum config_section section;
	int global_line; /* where [global] was, 0: not yet */
	struct config_key_state global_keys;
	struct config_vip_state *vip_states;
	size_t vip_capacity;
	size_t backend_total; /* over all VIPs, against L3DSR_MAX_BACKENDS */
	bool vips_refused;    /* "too many VIPs" was said */
	bool out_of_memory;
};

/* The files a key may be given in (struct config_key.files): one bit per role. */
#define IN_LB_CONF	(1U << ROLE_LB)
#define IN_BACKEND_CONF (1U << ROLE_BACKEND)

/* One key of a section: where it is valid, how its value is read. */
struct config_key {
	const char *name;
	enum config_key_id id;
	enum config_section section;
	unsigned int files; /* IN_LB_CONF, IN_BACKEND_CONF or both */
	bool repeatable;    /* may be given more than once in a section (backend) */
	/* The bounds of its numbers (none: 0), which APPLY checks and EXPECTED states. */
	uint32_t min;
	uint32_t max;
	uint32_t count_max; /* the most numbers a value may hold (probe-ports: ports) */
	bool duration;	    /* MIN and MAX are milliseconds, written as durations ("2s") */
	/* The "(expected ...)" part of a message about its value: a printf format whose %s
	 * conversions, if any, take MIN, MAX and COUNT_MAX as text, in that order (see
	 * config_key_expected). */
	const char *expected;
	/* Reads VALUE (trimmed, not empty, writable); EXPECTED is the key's, formatted. Returns
	 * false after reporting an error. */
	bool (*apply)(struct config_parser *parser, const struct config_key *key, char *value,
		      const char *expected);
};

/* The VIP whose section is being read: the last one added. Inline, so that the key callbacks
 * (config_keys.c) read the parser's state without calling back into the reader (config.c). */
static inline struct vip_config *config_current_vip(struct config_parser *parser)
{
	return &parser->config->vips[parser->config->vip_count - 1];
}

/* config_keys.c: the key table, which config.c uses; its callbacks never call config.c. */
const struct config_key *config_key_find(const char *name);
/* Writes KEY's "(expected ...)" text, its bounds filled in, into TEXT of SIZE. */
void config_key_expected(const struct config_key *key, char *text, size_t size);
/* Whether KEY may be given in the file of ROLE (lb.conf or backend.conf). */
bool config_key_in_file(const struct config_key *key, enum l3dsr_role role);
/* The names of the keys valid in SECTION for ROLE, for suggestions; returns how many. */
size_t config_key_names(enum config_section section, enum l3dsr_role role, const char **names,
			size_t size);

/* config_check.c: "check = ..." into CHECK; returns false after reporting errors. */
bool config_check_parse(struct config_parser *parser, char *value, struct check_config *check);
void config_check_defaults(struct check_config *check);

/* config_values.c: each returns false after reporting "bad KEY ..." or "... out of range". */
bool config_value_number(struct config_parser *parser, const char *what, const char *text,
			 uint32_t min, uint32_t max, const char *expected, uint32_t *value);
bool config_value_duration(struct config_parser *parser, const char *what, const char *text,
			   uint32_t min_ms, uint32_t max_ms, const char *expected,
			   uint32_t *value_ms);
/* MS as a duration is written: "100ms", or "2s" for whole seconds; TEXT of SIZE >= 16. */
void config_duration_text(uint32_t ms, char *text, size_t size);
bool config_value_address(struct config_parser *parser, const char *what, const char *text,
			  struct config_address *address);
bool config_value_port(struct config_parser *parser, const char *what, const char *text,
		       bool wildcard, uint16_t *port);
bool config_value_is_name(const char *text);
/* Writes ADDRESS as text (IPv4 dotted, IPv6 RFC 5952) into TEXT of SIZE >= INET6_ADDRSTRLEN. */
void config_address_text(const struct config_address *address, char *text, size_t size);
bool config_address_equal(const struct config_address *a, const struct config_address *b);
/* The candidate within a small edit distance of WORD, or NULL. */
const char *config_suggest(const char *word, const char *const *candidates, size_t count);
/* Splits off the next whitespace-separated token of *CURSOR (NUL-terminating it), or NULL. */
char *config_next_token(char **cursor);

/* config_messages.c */
void config_error(struct config_parser *parser, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
void config_warning(struct config_parser *parser, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Where the messages go: each line to REPORT(CONTEXT, ...); a NULL REPORT: nowhere. */
struct config_output {
	config_report_fn *report;
	void *context;
	bool count; /* end with "FILE: N errors" (a caller that logs says it in its own line) */
};
void config_messages_print(struct config_messages *messages, const char *name,
			   const struct config_output *output);
void config_messages_free(struct config_messages *messages);

/* config_validate.c: the checks that need the whole file (missing keys, conflicts). */
void config_validate(struct config_parser *parser);

#endif /* L3DSR_CONFIG_PARSER_H */
