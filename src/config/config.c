/* config.c: reads lb.conf and backend.conf line by line into struct l3dsr_config (config.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/config/config_parser.h"
#include "bpf/l3dsr_common.h"

/* The keys given so far in the section being read. */
static struct config_key_state *config_current_keys(struct config_parser *parser)
{
	if (parser->section == SECTION_GLOBAL)
		return &parser->global_keys;
	return &parser->vip_states[parser->config->vip_count - 1].keys;
}

static char *config_trim(char *text)
{
	size_t length;

	while (*text == ' ' || *text == '\t')
		text++;
	length = strlen(text);
	while (length > 0 &&
	       (text[length - 1] == ' ' || text[length - 1] == '\t' || text[length - 1] == '\r'))
		text[--length] = '\0';
	return text;
}

static bool config_vip_add(struct config_parser *parser, const char *name, bool duplicate_name)
{
	struct l3dsr_config *config = parser->config;
	struct vip_config *vip;

	if (config->vip_count == parser->vip_capacity) {
		size_t capacity = parser->vip_capacity ? 2 * parser->vip_capacity : 8;
		struct vip_config *vips = realloc(config->vips, capacity * sizeof(*vips));
		struct config_vip_state *states;

		if (!vips)
			goto out_of_memory;
		config->vips = vips;
		states = realloc(parser->vip_states, capacity * sizeof(*states));
		if (!states)
			goto out_of_memory;
		parser->vip_states = states;
		parser->vip_capacity = capacity;
	}
	vip = &config->vips[config->vip_count];
	memset(vip, 0, sizeof(*vip));
	strcpy(vip->name, name); /* checked by config_value_is_name: shorter than the field */
	vip->table_size = L3DSR_DEFAULT_TABLE_SIZE;
	config_check_defaults(&vip->check);
	vip->line = parser->line;
	memset(&parser->vip_states[config->vip_count], 0, sizeof(parser->vip_states[0]));
	parser->vip_states[config->vip_count].duplicate_name = duplicate_name;
	config->vip_count++;
	return true;
out_of_memory:
	parser->out_of_memory = true;
	return false;
}

static void config_parse_vip_header(struct config_parser *parser, char *name)
{
	struct l3dsr_config *config = parser->config;
	int first_line = 0;

	if (!*name) {
		config_error(parser, parser->line, "missing VIP name (expected [vip NAME])");
		return;
	}
	if (!config_value_is_name(name)) {
		config_error(parser, parser->line,
			     "bad VIP name \"%s\" (expected 1 to %d letters, digits, '-', '_' or "
			     "'.')",
			     name, CONFIG_NAME_MAX - 1);
		return;
	}
	if (config->vip_count == L3DSR_MAX_VIPS) {
		/* Said once; the VIPs past the limit are not kept, so memory stays bounded. */
		if (!parser->vips_refused)
			config_error(parser, parser->line, "too many VIPs (expected at most %u)",
				     L3DSR_MAX_VIPS);
		parser->vips_refused = true;
		return;
	}
	for (size_t i = 0; i < config->vip_count; i++)
		if (strcmp(config->vips[i].name, name) == 0 && !first_line)
			first_line = config->vips[i].line;
	if (first_line)
		config_error(parser, parser->line, "duplicate VIP name \"%s\" (first at line %d)",
			     name, first_line);
	/* A duplicate is kept so that its keys are still checked, but no cross-VIP check. */
	if (config_vip_add(parser, name, first_line != 0))
		parser->section = SECTION_VIP;
}

static void config_parse_section(struct config_parser *parser, char *line)
{
	size_t length = strlen(line);
	size_t word_length;
	char *inside, *rest;

	parser->section = SECTION_SKIPPED;
	if (line[length - 1] != ']') {
		config_error(parser, parser->line,
			     "missing ']' at the end of the section header (expected [global] or "
			     "[vip NAME])");
		return;
	}
	line[length - 1] = '\0';
	inside = config_trim(line + 1);
	word_length = strcspn(inside, " \t");
	rest = config_trim(inside + word_length);
	if (word_length == 0) {
		config_error(parser, parser->line,
			     "empty section header (expected [global] or [vip NAME])");
	} else if (word_length == 6 && strncmp(inside, "global", 6) == 0) {
		if (*rest) {
			config_error(parser, parser->line,
				     "unexpected \"%s\" after [global] (expected [global])", rest);
		} else if (parser->global_line) {
			config_error(parser, parser->line,
				     "duplicate section [global] (first at line %d)",
				     parser->global_line);
		} else {
			parser->global_line = parser->line;
			parser->section = SECTION_GLOBAL;
		}
	} else if (word_length == 3 && strncmp(inside, "vip", 3) == 0) {
		config_parse_vip_header(parser, rest);
	} else {
		config_error(parser, parser->line,
			     "unknown section \"[%s]\" (expected [global] or [vip NAME])", inside);
	}
}

static void config_unknown_key(struct config_parser *parser, const char *key)
{
	const char *names[KEY_COUNT];
	size_t count = config_key_names(parser->section, parser->role, names, KEY_COUNT);
	const char *suggestion = config_suggest(key, names, count);
	char where[CONFIG_NAME_MAX + 8] = "[global]";
	char *expected = NULL;
	size_t length = 0;

	if (parser->section == SECTION_VIP)
		snprintf(where, sizeof(where), "[vip %s]", config_current_vip(parser)->name);
	if (suggestion) {
		config_error(parser, parser->line,
			     "unknown key \"%s\" in %s (did you mean \"%s\"?)", key, where,
			     suggestion);
		return;
	}
	for (size_t i = 0; i < count; i++)
		length += strlen(names[i]) + 2;
	expected = malloc(length + 1);
	if (!expected) {
		parser->out_of_memory = true;
		return;
	}
	expected[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			strcat(expected, ", ");
		strcat(expected, names[i]);
	}
	config_error(parser, parser->line, "unknown key \"%s\" in %s (expected one of: %s)", key,
		     where, expected);
	free(expected);
}

/* Whether KEY may be given here; reports why not. */
static bool config_key_allowed(struct config_parser *parser, const struct config_key *key)
{
	/* The role first: in backend.conf a key of lb.conf is wrong in any section. */
	if (!config_key_in_file(key, parser->role)) {
		config_error(parser, parser->line,
			     "key \"%s\" is only for lb.conf (not valid in backend.conf)",
			     key->name);
		return false;
	}
	if (key->section == parser->section)
		return true;
	if (key->section == SECTION_GLOBAL)
		config_error(parser, parser->line,
			     "key \"%s\" is not valid in [vip %s] (expected it in [global])",
			     key->name, config_current_vip(parser)->name);
	else
		config_error(parser, parser->line,
			     "key \"%s\" is not valid in [global] (expected it in a [vip NAME] "
			     "section)",
			     key->name);
	return false;
}

static void config_parse_assignment(struct config_parser *parser, char *line)
{
	char *equals = strchr(line, '=');
	char *name, *value, expected[CONFIG_EXPECTED_MAX];
	const struct config_key *key;
	struct config_key_state *keys;

	if (parser->section == SECTION_SKIPPED)
		return;
	if (!equals) {
		config_error(parser, parser->line, "missing '=' in \"%s\" (expected KEY = VALUE)",
			     line);
		return;
	}
	*equals = '\0';
	name = config_trim(line);
	value = config_trim(equals + 1);
	if (!*name) {
		config_error(parser, parser->line, "missing key before '=' (expected KEY = VALUE)");
		return;
	}
	if (parser->section == SECTION_NONE) {
		config_error(parser, parser->line,
			     "key \"%s\" outside a section (expected [global] or [vip NAME] before "
			     "it)",
			     name);
		return;
	}
	key = config_key_find(name);
	if (!key) {
		config_unknown_key(parser, name);
		return;
	}
	if (!config_key_allowed(parser, key))
		return;
	keys = config_current_keys(parser);
	if (keys->line[key->id] && !key->repeatable) {
		config_error(parser, parser->line, "duplicate key \"%s\" (first at line %d)",
			     key->name, keys->line[key->id]);
		return;
	}
	if (!keys->line[key->id])
		keys->line[key->id] = parser->line;
	config_key_expected(key, expected, sizeof(expected));
	if (!*value) {
		config_error(parser, parser->line, "missing value for %s (expected %s)", key->name,
			     expected);
		keys->invalid[key->id] = true;
		return;
	}
	if (!key->apply(parser, key, value, expected))
		keys->invalid[key->id] = true;
}

static void config_parse_line(struct config_parser *parser, char *line)
{
	char *comment = strchr(line, '#');

	if (comment)
		*comment = '\0';
	line = config_trim(line);
	if (!*line)
		return;
	if (*line == '[')
		config_parse_section(parser, line);
	else
		config_parse_assignment(parser, line);
}

static void config_parse_lines(struct config_parser *parser, const char *text, size_t length)
{
	static const char byte_order_mark[] = "\xef\xbb\xbf";
	char line[CONFIG_LINE_MAX + 1];
	size_t start = 0;

	/* Some editors start UTF-8 files with a byte order mark; it is not part of a key. */
	if (length >= 3 && memcmp(text, byte_order_mark, 3) == 0)
		start = 3;
	while (start < length && !parser->out_of_memory) {
		const char *newline = memchr(text + start, '\n', length - start);
		size_t end = newline ? (size_t)(newline - text) : length;
		size_t line_length = end - start;

		parser->line++;
		/* A CRLF line end is a line end, not a character of the line. */
		if (line_length > 0 && text[end - 1] == '\r')
			line_length--;
		if (line_length > CONFIG_LINE_MAX) {
			config_error(parser, parser->line,
				     "line is %zu characters long (expected at most %d)",
				     line_length, CONFIG_LINE_MAX);
		} else if (memchr(text + start, '\0', line_length)) {
			config_error(parser, parser->line, "NUL byte in line (expected text)");
		} else {
			memcpy(line, text + start, line_length);
			line[line_length] = '\0';
			config_parse_line(parser, line);
		}
		start = end + 1;
	}
}

static void config_defaults(struct l3dsr_config *config, enum l3dsr_role role)
{
	memset(config, 0, sizeof(*config));
	config->role = role;
	config->xdp_mode = XDP_MODE_NATIVE;
	config->hash_seed = 0;
	/* lookup3 as before flow-hash existed: an upgrade moves no flow. */
	config->flow_hash = FLOW_HASH_LOOKUP3;
	config->flow_table_size = L3DSR_DEFAULT_FLOW_TABLE_SIZE;
	config->flow_inserts_per_second = 0;
	/* Without a limit a SYN flood from random sources evicts the established flows. */
	config->flow_inserts_auto = true;
	config->flow_change_retention_ms = CONFIG_FLOW_CHANGE_RETENTION_DEFAULT_MS;
	config->probe_port_first = CONFIG_PROBE_PORT_FIRST;
	config->probe_port_last = CONFIG_PROBE_PORT_LAST;
	/* Long enough for routers to learn the withdrawal before the program goes. */
	config->stop_delay_ms = CONFIG_STOP_DELAY_DEFAULT_MS;
}

/* Prints the messages and returns the error count; NAME is what the messages start with. */
static int config_report(struct config_parser *parser, const struct config_output *errors)
{
	int error_count = parser->messages.errors;

	config_messages_print(&parser->messages, parser->name, errors);
	config_messages_free(&parser->messages);
	return error_count;
}

static int config_parse_text(const char *name, const char *text, size_t length,
			     enum l3dsr_role role, struct l3dsr_config *config,
			     const struct config_output *errors)
{
	struct config_parser parser = {
	    .name = name,
	    .role = role,
	    .config = config,
	    .section = SECTION_NONE,
	};
	size_t name_length = strlen(name);
	int error_count;

	config_defaults(config, role);
	if (name_length >= sizeof(config->path))
		config_error(&parser, 0, "file name is %zu characters long (expected at most %zu)",
			     name_length, sizeof(config->path) - 1);
	else
		memcpy(config->path, name, name_length + 1);
	if (length > CONFIG_FILE_MAX) {
		config_error(&parser, 0, "too large (expected at most %d bytes)", CONFIG_FILE_MAX);
	} else {
		config_parse_lines(&parser, text, length);
		if (!parser.out_of_memory)
			config_validate(&parser);
	}
	if (parser.out_of_memory)
		config_error(&parser, 0, "out of memory");
	error_count = config_report(&parser, errors);
	free(parser.vip_states);
	if (error_count > 0) {
		config_free(config);
		config->role = role;
	}
	return error_count;
}

static int config_parse_file(const char *path, enum l3dsr_role role, struct l3dsr_config *config,
			     const struct config_output *errors)
{
	struct config_parser parser = {.name = path};
	size_t length = 0, capacity = 0;
	int read_errno = 0;
	char *text = NULL;
	FILE *file;
	int error_count;

	config_defaults(config, role);
	file = fopen(path, "re");
	if (!file) {
		config_error(&parser, 0, "cannot open: %s", strerror(errno));
		return config_report(&parser, errors);
	}
	/* Read one byte past the limit so that a file of exactly the limit is not refused. */
	while (length <= CONFIG_FILE_MAX) {
		size_t got;

		if (length == capacity) {
			size_t grown = capacity ? 2 * capacity : 65536;
			char *bigger = realloc(text, grown);

			if (!bigger) {
				config_error(&parser, 0, "cannot read: %s", strerror(ENOMEM));
				goto out;
			}
			text = bigger;
			capacity = grown;
		}
		got = fread(text + length, 1, capacity - length, file);
		length += got;
		if (got == 0) {
			read_errno = ferror(file) ? (errno ? errno : EIO) : 0;
			break;
		}
	}
	if (read_errno)
		config_error(&parser, 0, "cannot read: %s", strerror(read_errno));
out:
	fclose(file);
	if (parser.messages.errors > 0) {
		free(text);
		return config_report(&parser, errors);
	}
	error_count = config_parse_text(path, text ? text : "", length, role, config, errors);
	free(text);
	return error_count;
}

/* The lines of the report to a stream, as config_parse promises. */
static void config_report_to_stream(void *stream, bool warning, const char *line)
{
	(void)warning; /* the text says "warning:" */
	fprintf(stream, "%s\n", line);
}

int config_parse(const char *path, enum l3dsr_role role, struct l3dsr_config *config, FILE *errors)
{
	struct config_output output = {errors ? config_report_to_stream : NULL, errors, true};

	return config_parse_file(path, role, config, &output);
}

int config_parse_buffer(const char *name, const char *text, size_t length, enum l3dsr_role role,
			struct l3dsr_config *config, FILE *errors)
{
	struct config_output output = {errors ? config_report_to_stream : NULL, errors, true};

	return config_parse_text(name, text, length, role, config, &output);
}

int config_parse_reported(const char *path, enum l3dsr_role role, struct l3dsr_config *config,
			  config_report_fn *report, void *context)
{
	struct config_output output = {report, context, false};

	return config_parse_file(path, role, config, &output);
}

void config_free(struct l3dsr_config *config)
{
	for (size_t i = 0; i < config->vip_count; i++)
		free(config->vips[i].backends);
	free(config->vips);
	memset(config, 0, sizeof(*config));
}

uint32_t config_flow_inserts_limit(const struct l3dsr_config *config, unsigned int cpu_count)
{
	uint32_t limit;

	if (config->flow_table_size == 0)
		return 0;
	if (!config->flow_inserts_auto)
		return config->flow_inserts_per_second;
	limit = config->flow_table_size / (cpu_count ? cpu_count : 1) /
		CONFIG_FLOW_INSERTS_AUTO_SECONDS;
	return limit ? limit : 1;
}
