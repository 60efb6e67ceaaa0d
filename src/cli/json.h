/* json.h: a minimal streaming JSON writer for l3dsrctl -j (one line, like ip -j). */
#ifndef L3DSR_JSON_H
#define L3DSR_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* whether the container at each depth needs a comma */
	bool after_key;			/* a value follows "key": no comma before it */
};

void json_init(struct json *json, FILE *out);
void json_begin_object(struct json *json);
void json_end_object(struct json *json);
void json_begin_array(struct json *json);
void json_end_array(struct json *json);
void json_key(struct json *json, const char *key);
void json_string(struct json *json, const char *text);
void json_uint(struct json *json, uint64_t value);
void json_double(struct json *json, double value);
void json_bool(struct json *json, bool value);
void json_null(struct json *json);

/* "key": value, the common case. */
void json_field_string(struct json *json, const char *key, const char *text);
void json_field_uint(struct json *json, const char *key, uint64_t value);
void json_field_double(struct json *json, const char *key, double value);
void json_field_bool(struct json *json, const char *key, bool value);

#endif /* L3DSR_JSON_H */
