/* config_check.c: reads a VIP's health check, "check = none | tcp [OPTION=VALUE ...] |
 * http [OPTION=VALUE ...]". */
#include <stdio.h>
#include <string.h>

#include "src/config/config_parser.h"

#define CHECK_DEFAULT_INTERVAL_MS 2000
#define CHECK_DEFAULT_TIMEOUT_MS  1000
/* The bounds of the options, which the checks and their messages both use. */
#define CHECK_INTERVAL_MIN_MS 100U
#define CHECK_TIMEOUT_MIN_MS  10U
#define CHECK_DURATION_MAX_MS (3600U * 1000)
#define CHECK_COUNT_MIN	      1U /* rise and fall */
#define CHECK_COUNT_MAX	      100U
#define CHECK_HTTP_STATUS_MIN 100U
#define CHECK_HTTP_STATUS_MAX 599U

enum check_option {
	OPTION_PORT,
	OPTION_INTERVAL,
	OPTION_TIMEOUT,
	OPTION_RISE,
	OPTION_FALL,
	OPTION_PATH,
	OPTION_EXPECT,
	OPTION_HOST,
	OPTION_COUNT,
};

static const struct {
	const char *name;
	bool http_only;
} check_options[OPTION_COUNT] = {
    [OPTION_PORT] = {"port", false},	   [OPTION_INTERVAL] = {"interval", false},
    [OPTION_TIMEOUT] = {"timeout", false}, [OPTION_RISE] = {"rise", false},
    [OPTION_FALL] = {"fall", false},	   [OPTION_PATH] = {"path", true},
    [OPTION_EXPECT] = {"expect", true},	   [OPTION_HOST] = {"host", true},
};

void config_check_defaults(struct check_config *check)
{
	memset(check, 0, sizeof(*check));
	check->type = CHECK_NONE;
	check->interval_ms = CHECK_DEFAULT_INTERVAL_MS;
	check->timeout_ms = CHECK_DEFAULT_TIMEOUT_MS;
	check->rise = 2;
	check->fall = 3;
	strcpy(check->path, "/");
	check->expect = 200;
}

/* Printable ASCII without space, from ALLOWED when given; at most size - 1 characters. */
static bool config_check_text_ok(const char *text, const char *allowed, size_t size)
{
	size_t length = strlen(text);

	if (length == 0 || length >= size)
		return false;
	for (const char *c = text; *c; c++) {
		if (*c <= ' ' || *c >= 0x7f)
			return false;
		if (allowed && !strchr(allowed, *c))
			return false;
	}
	return true;
}

/* "a duration from 100ms to 3600s, e.g. 2s": the bounds of interval or timeout, and its
 * default as the example. */
/*
 * The text option WHAT into FIELD (SIZE bytes): VALUE when SHAPE_OK holds and its characters
 * pass config_check_text_ok (ALLOWED); else "bad check WHAT" with what was EXPECTED.
 */
static bool config_check_text(struct config_parser *parser, const char *what, const char *value,
			      bool shape_ok, const char *allowed, char *field, size_t size,
			      const char *expected)
{
	if (!shape_ok || !config_check_text_ok(value, allowed, size)) {
		config_error(parser, parser->line,
			     "bad check %s \"%s\" (expected %s, at most %zu characters)", what,
			     value, expected, size - 1);
		return false;
	}
	strcpy(field, value);
	return true;
}

static void config_check_duration_expected(uint32_t min_ms, uint32_t example_ms, char *text,
					   size_t size)
{
	char min[16], max[16], example[16];

	config_duration_text(min_ms, min, sizeof(min));
	config_duration_text(CHECK_DURATION_MAX_MS, max, sizeof(max));
	config_duration_text(example_ms, example, sizeof(example));
	snprintf(text, size, "a duration from %s to %s, e.g. %s", min, max, example);
}

static bool config_check_option(struct config_parser *parser, enum check_option option,
				const char *value, struct check_config *check)
{
	static const char host_characters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789-_.:[]";
	char expected[CONFIG_EXPECTED_MAX];
	uint16_t port;

	switch (option) {
	case OPTION_PORT:
		if (!config_value_port(parser, "check port", value, false, &port))
			return false;
		check->port = port;
		return true;
	case OPTION_INTERVAL:
		config_check_duration_expected(CHECK_INTERVAL_MIN_MS, CHECK_DEFAULT_INTERVAL_MS,
					       expected, sizeof(expected));
		return config_value_duration(parser, "check interval", value, CHECK_INTERVAL_MIN_MS,
					     CHECK_DURATION_MAX_MS, expected, &check->interval_ms);
	case OPTION_TIMEOUT:
		config_check_duration_expected(CHECK_TIMEOUT_MIN_MS, CHECK_DEFAULT_TIMEOUT_MS,
					       expected, sizeof(expected));
		return config_value_duration(parser, "check timeout", value, CHECK_TIMEOUT_MIN_MS,
					     CHECK_DURATION_MAX_MS, expected, &check->timeout_ms);
	case OPTION_RISE:
	case OPTION_FALL:
		snprintf(expected, sizeof(expected), "%u..%u", CHECK_COUNT_MIN, CHECK_COUNT_MAX);
		return config_value_number(parser,
					   option == OPTION_RISE ? "check rise" : "check fall",
					   value, CHECK_COUNT_MIN, CHECK_COUNT_MAX, expected,
					   option == OPTION_RISE ? &check->rise : &check->fall);
	case OPTION_EXPECT: {
		uint32_t status;

		snprintf(expected, sizeof(expected), "an HTTP status %u..%u", CHECK_HTTP_STATUS_MIN,
			 CHECK_HTTP_STATUS_MAX);
		if (!config_value_number(parser, "check expect", value, CHECK_HTTP_STATUS_MIN,
					 CHECK_HTTP_STATUS_MAX, expected, &status))
			return false;
		check->expect = (uint16_t)status;
		return true;
	}
	case OPTION_PATH:
		return config_check_text(parser, "path", value, value[0] == '/', NULL, check->path,
					 sizeof(check->path), "a path such as /healthz");
	case OPTION_HOST:
		return config_check_text(parser, "host", value, true, host_characters, check->host,
					 sizeof(check->host), "a host name or address");
	case OPTION_COUNT:
		break;
	}
	return false;
}

static int config_check_option_find(const char *name)
{
	for (int option = 0; option < OPTION_COUNT; option++)
		if (strcmp(check_options[option].name, name) == 0)
			return option;
	return -1;
}

static void config_check_unknown_option(struct config_parser *parser, const char *name,
					enum check_type type)
{
	const char *names[OPTION_COUNT];
	size_t count = 0;
	const char *suggestion;

	for (int option = 0; option < OPTION_COUNT; option++)
		if (type == CHECK_HTTP || !check_options[option].http_only)
			names[count++] = check_options[option].name;
	suggestion = config_suggest(name, names, count);
	if (suggestion)
		config_error(parser, parser->line,
			     "unknown check option \"%s\" (did you mean \"%s\"?)", name,
			     suggestion);
	else if (type == CHECK_HTTP)
		config_error(parser, parser->line,
			     "unknown check option \"%s\" (expected port, interval, timeout, rise, "
			     "fall, path, expect or host)",
			     name);
	else
		config_error(parser, parser->line,
			     "unknown check option \"%s\" (expected port, interval, timeout, rise "
			     "or fall)",
			     name);
}

bool config_check_parse(struct config_parser *parser, char *value, struct check_config *check)
{
	bool seen[OPTION_COUNT] = {false}, accepted[OPTION_COUNT] = {false};
	struct check_config parsed;
	char *cursor = value, *token;
	const char *type = config_next_token(&cursor);
	bool valid = true;

	config_check_defaults(&parsed);
	if (strcmp(type, "none") == 0) {
		token = config_next_token(&cursor);
		if (token) {
			config_error(parser, parser->line,
				     "check none takes no options (found \"%s\")", token);
			return false;
		}
		*check = parsed;
		return true;
	}
	if (strcmp(type, "tcp") == 0)
		parsed.type = CHECK_TCP;
	else if (strcmp(type, "http") == 0)
		parsed.type = CHECK_HTTP;
	else {
		config_error(parser, parser->line,
			     "bad check type \"%s\" (expected none, tcp or http)", type);
		return false;
	}
	while ((token = config_next_token(&cursor))) {
		char *equals = strchr(token, '=');
		int option;

		if (!equals || equals == token) {
			config_error(
			    parser, parser->line,
			    "bad check option \"%s\" (expected NAME=VALUE, e.g. port=8080)", token);
			valid = false;
			continue;
		}
		*equals = '\0';
		option = config_check_option_find(token);
		if (option < 0) {
			config_check_unknown_option(parser, token, parsed.type);
			valid = false;
		} else if (check_options[option].http_only && parsed.type != CHECK_HTTP) {
			config_error(parser, parser->line,
				     "check option \"%s\" is only for http checks (expected port, "
				     "interval, timeout, rise or fall)",
				     token);
			valid = false;
		} else if (seen[option]) {
			config_error(parser, parser->line, "duplicate check option \"%s\"", token);
			valid = false;
		} else {
			seen[option] = true;
			accepted[option] = config_check_option(parser, option, equals + 1, &parsed);
			valid &= accepted[option];
		}
	}
	if (!seen[OPTION_TIMEOUT]) {
		/* The default second, but never so long that checks would overlap. */
		if (parsed.timeout_ms > parsed.interval_ms / 2)
			parsed.timeout_ms = parsed.interval_ms / 2;
	} else if (accepted[OPTION_TIMEOUT] && accepted[OPTION_INTERVAL] == seen[OPTION_INTERVAL] &&
		   parsed.timeout_ms >= parsed.interval_ms) {
		config_error(parser, parser->line,
			     "check timeout %ums is not shorter than the interval %ums (expected "
			     "timeout < interval)",
			     parsed.timeout_ms, parsed.interval_ms);
		valid = false;
	}
	if (!valid)
		return false;
	*check = parsed;
	return true;
}
