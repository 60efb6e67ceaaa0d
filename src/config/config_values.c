/* config_values.c: reads the value types of the configuration (numbers, durations, addresses,
 * ports, names) and reports a bad one as "bad WHAT ..." or "WHAT ... out of range". */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "src/config/config_parser.h"

static bool config_is_space(char c)
{
	return c == ' ' || c == '\t';
}

char *config_next_token(char **cursor)
{
	char *start = *cursor, *end;

	while (config_is_space(*start))
		start++;
	if (!*start) {
		*cursor = start;
		return NULL;
	}
	end = start;
	while (*end && !config_is_space(*end))
		end++;
	if (*end)
		*end++ = '\0';
	*cursor = end;
	return start;
}

/*
 * Reads the leading decimal digits of TEXT into *VALUE, saturating at UINT64_MAX so that an
 * overflowing number is reported as out of range rather than wrapping to a small one.
 * Returns the number of digits read.
 */
static size_t config_read_digits(const char *text, uint64_t *value)
{
	size_t count = 0;

	*value = 0;
	for (; text[count] >= '0' && text[count] <= '9'; count++) {
		unsigned digit = (unsigned)(text[count] - '0');

		if (*value > (UINT64_MAX - digit) / 10)
			*value = UINT64_MAX;
		else
			*value = *value * 10 + digit;
	}
	return count;
}

bool config_value_number(struct config_parser *parser, const char *what, const char *text,
			 uint32_t min, uint32_t max, const char *expected, uint32_t *value)
{
	uint64_t number;
	size_t digits = config_read_digits(text, &number);

	if (digits == 0 || text[digits] != '\0') {
		config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", what, text,
			     expected);
		return false;
	}
	if (number < min || number > max) {
		config_error(parser, parser->line, "%s %s out of range (expected %s)", what, text,
			     expected);
		return false;
	}
	*value = (uint32_t)number;
	return true;
}

void config_duration_text(uint32_t ms, char *text, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(text, size, "%us", ms / 1000);
	else
		snprintf(text, size, "%ums", ms);
}

bool config_value_duration(struct config_parser *parser, const char *what, const char *text,
			   uint32_t min_ms, uint32_t max_ms, const char *expected,
			   uint32_t *value_ms)
{
	uint64_t number;
	size_t digits = config_read_digits(text, &number);
	const char *unit = text + digits;

	if (digits == 0 ||
	    (strcmp(unit, "ms") != 0 && strcmp(unit, "s") != 0 && strcmp(unit, "m") != 0)) {
		config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", what, text,
			     expected);
		return false;
	}
	if (strcmp(unit, "s") == 0)
		number = number > UINT64_MAX / 1000 ? UINT64_MAX : number * 1000;
	else if (strcmp(unit, "m") == 0)
		number = number > UINT64_MAX / 60000 ? UINT64_MAX : number * 60000;
	if (number < min_ms || number > max_ms) {
		config_error(parser, parser->line, "%s %s out of range (expected %s)", what, text,
			     expected);
		return false;
	}
	*value_ms = (uint32_t)number;
	return true;
}

/* Why ADDRESS cannot be a VIP or a backend, or NULL when it can. */
static const char *config_address_unusable(const struct config_address *address)
{
	const struct in6_addr *a = &address->address;

	if (address->family == AF_INET) {
		uint32_t ipv4 = ntohl(a->s6_addr32[3]);

		if (ipv4 == 0)
			return "is unspecified";
		if ((ipv4 >> 24) == 127)
			return "is a loopback address";
		if ((ipv4 >> 28) == 0xe)
			return "is multicast";
		if (ipv4 == 0xffffffff)
			return "is the broadcast address";
		return NULL;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "is unspecified";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "is a loopback address";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "is multicast";
	if (IN6_IS_ADDR_V4MAPPED(a))
		return "is IPv4-mapped (write the IPv4 address instead)";
	return NULL;
}

bool config_value_address(struct config_parser *parser, const char *what, const char *text,
			  struct config_address *address)
{
	const char *expected = "a unicast IPv4 or IPv6 address";
	struct in_addr ipv4;
	const char *reason;

	memset(address, 0, sizeof(*address));
	if (inet_pton(AF_INET, text, &ipv4) == 1) {
		address->family = AF_INET;
		address->address.s6_addr16[5] = 0xffff;
		address->address.s6_addr32[3] = ipv4.s_addr;
	} else if (inet_pton(AF_INET6, text, &address->address) == 1) {
		address->family = AF_INET6;
	} else {
		config_error(parser, parser->line, "bad %s \"%s\" (expected %s)", what, text,
			     expected);
		return false;
	}
	reason = config_address_unusable(address);
	if (reason) {
		config_error(parser, parser->line, "%s %s %s (expected %s)", what, text, reason,
			     expected);
		return false;
	}
	return true;
}

void config_address_text(const struct config_address *address, char *text, size_t size)
{
	if (address->family == AF_INET)
		inet_ntop(AF_INET, &address->address.s6_addr32[3], text, size);
	else
		inet_ntop(AF_INET6, &address->address, text, size);
}

bool config_address_equal(const struct config_address *a, const struct config_address *b)
{
	return a->family == b->family && memcmp(&a->address, &b->address, sizeof(a->address)) == 0;
}

bool config_value_port(struct config_parser *parser, const char *what, const char *text,
		       bool wildcard, uint16_t *port)
{
	char expected[CONFIG_EXPECTED_MAX];
	uint32_t number;

	if (wildcard && strcmp(text, "*") == 0) {
		*port = 0;
		return true;
	}
	snprintf(expected, sizeof(expected), "%u..%u%s", CONFIG_PORT_MIN, CONFIG_PORT_MAX,
		 wildcard ? " or *" : "");
	if (!config_value_number(parser, what, text, CONFIG_PORT_MIN, CONFIG_PORT_MAX, expected,
				 &number))
		return false;
	*port = (uint16_t)number;
	return true;
}

bool config_value_is_name(const char *text)
{
	size_t length = strlen(text);

	if (length == 0 || length >= CONFIG_NAME_MAX)
		return false;
	return strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
	       length;
}

/* Levenshtein distance, for candidates shorter than 32 characters (the key names). */
static size_t config_edit_distance(const char *word, size_t word_length, const char *candidate)
{
	size_t candidate_length = strlen(candidate);
	size_t row[32];

	if (candidate_length >= sizeof(row) / sizeof(row[0]))
		return SIZE_MAX;
	for (size_t j = 0; j <= candidate_length; j++)
		row[j] = j;
	for (size_t i = 1; i <= word_length; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= candidate_length; j++) {
			size_t above = row[j];
			size_t best = diagonal + (word[i - 1] != candidate[j - 1]);

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[candidate_length];
}

const char *config_suggest(const char *word, const char *const *candidates, size_t count)
{
	size_t word_length = strlen(word);
	size_t best_distance = SIZE_MAX;
	const char *best = NULL;

	/* Too long to be a typo of a key: comparing would only cost time. */
	if (word_length > 64)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		size_t distance = config_edit_distance(word, word_length, candidates[i]);

		if (distance < best_distance) {
			best_distance = distance;
			best = candidates[i];
		}
	}
	/* At most two edits, and fewer than half the word: "pr" is no typo of "port". */
	if (best_distance > 2 || best_distance > word_length / 2)
		return NULL;
	return best;
}
