/* test_config.h: parse helpers shared by the config parser's test files (TAP: tests/lib/tap.h). */
#ifndef L3DSR_TEST_CONFIG_H
#define L3DSR_TEST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "src/config/config.h"
#include "tests/lib/tap.h"

/* What one parse said and returned; free with parse_outcome_free. */
struct parse_outcome {
	int errors;   /* the return value */
	char *output; /* everything written to the ERRORS stream */
	struct l3dsr_config config;
};

void parse_buffer(const char *name, const char *text, size_t length, enum l3dsr_role role,
		  struct parse_outcome *outcome);
void parse_file(const char *path, enum l3dsr_role role, struct parse_outcome *outcome);
void parse_outcome_free(struct parse_outcome *outcome);

/* Checks that OUTCOME's messages are exactly EXPECTED (lines, in order); reports one result. */
bool expect_output(const struct parse_outcome *outcome, const char *expected, const char *what);

/* test_config_limits.c: the cases built in code (sizes, bytes a file cannot show well). */
void test_config_limits(void);
/* test_config_oom.c: each allocation failing in turn (the program wraps malloc and realloc). */
void test_config_out_of_memory(void);

#endif /* L3DSR_TEST_CONFIG_H */
