/* json.c: a minimal streaming JSON writer for l3dsrctl -j (one line, like ip -j). */
#include <math.h>

#include "src/cli/json.h"

void json_init(struct json *json, FILE *out)
{
	json->out = out;
	json->depth = 0;
	json->has_items[0] = false;
	json->after_key = false;
}

/* Every value and key goes through here: it writes the comma that separates it from the
 * previous item of its container. */
static void separate(struct json *json)
{
	if (json->after_key) {
		json->after_key = false;
		return;
	}
	if (json->has_items[json->depth])
		fputc(',', json->out);
	json->has_items[json->depth] = true;
}

static void open_container(struct json *json, char bracket)
{
	separate(json);
	fputc(bracket, json->out);
	if (json->depth + 1 < JSON_MAX_DEPTH)
		json->depth++;
	json->has_items[json->depth] = false;
}

static void close_container(struct json *json, char bracket)
{
	fputc(bracket, json->out);
	if (json->depth > 0)
		json->depth--;
}

void json_begin_object(struct json *json)
{
	open_container(json, '{');
}

void json_end_object(struct json *json)
{
	close_container(json, '}');
}

void json_begin_array(struct json *json)
{
	open_container(json, '[');
}

void json_end_array(struct json *json)
{
	close_container(json, ']');
}

static void write_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

void json_key(struct json *json, const char *key)
{
	separate(json);
	write_string(json->out, key);
	fputc(':', json->out);
	json->after_key = true;
}

void json_string(struct json *json, const char *text)
{
	separate(json);
	write_string(json->out, text);
}

void json_uint(struct json *json, uint64_t value)
{
	separate(json);
	fprintf(json->out, "%llu", (unsigned long long)value);
}

void json_double(struct json *json, double value)
{
	separate(json);
	/* JSON has no NaN or infinity. */
	if (isfinite(value))
		fprintf(json->out, "%.3f", value);
	else
		fputs("null", json->out);
}

void json_bool(struct json *json, bool value)
{
	separate(json);
	fputs(value ? "true" : "false", json->out);
}

void json_null(struct json *json)
{
	separate(json);
	fputs("null", json->out);
}

void json_field_string(struct json *json, const char *key, const char *text)
{
	json_key(json, key);
	json_string(json, text);
}

void json_field_uint(struct json *json, const char *key, uint64_t value)
{
	json_key(json, key);
	json_uint(json, value);
}

void json_field_double(struct json *json, const char *key, double value)
{
	json_key(json, key);
	json_double(json, value);
}

void json_field_bool(struct json *json, const char *key, bool value)
{
	json_key(json, key);
	json_bool(json, value);
}
