/* test_config_oom.c: every allocation of the parser failing in turn gives a clean error, no
 * crash and (under valgrind) no leak. The test program is linked with --wrap=malloc,realloc. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_invariants.h"
#include "test_config.h"

void *__real_malloc(size_t size);
void *__real_realloc(void *pointer, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *pointer, size_t size);

static long allocation_count;
static long failing_allocation; /* 0: none fails */

void *__wrap_malloc(size_t size)
{
	if (++allocation_count == failing_allocation)
		return NULL;
	return __real_malloc(size);
}

void *__wrap_realloc(void *pointer, size_t size)
{
	if (++allocation_count == failing_allocation)
		return NULL;
	return __real_realloc(pointer, size);
}

/* Parses TEXT (or the file PATH when TEXT is NULL) with allocation FAILING failing. */
static void parse_failing(const char *text, const char *path, long failing,
			  struct parse_outcome *outcome)
{
	allocation_count = 0;
	failing_allocation = failing;
	if (text)
		parse_buffer("t.conf", text, strlen(text), ROLE_LB, outcome);
	else
		parse_file(path, ROLE_LB, outcome);
	failing_allocation = 0;
}

/* WHAT: TEXT or PATH parses with no error, and fails cleanly whichever allocation fails. */
static void test_each_allocation_failing(const char *text, const char *path, const char *what)
{
	struct parse_outcome outcome;
	long allocations, clean = 0, first_unclean = 0;
	const char *broken = NULL;

	parse_failing(text, path, 0, &outcome);
	allocations = allocation_count;
	tap_result(outcome.errors == 0 && allocations > 0, "%s: parses, %ld allocations", what,
		   allocations);
	parse_outcome_free(&outcome);
	for (long failing = 1; failing <= allocations; failing++) {
		parse_failing(text, path, failing, &outcome);
		broken = config_invariants_broken(&outcome.config, outcome.errors, outcome.output);
		if (outcome.errors > 0 && !broken &&
		    (strstr(outcome.output, "out of memory") ||
		     strstr(outcome.output, "Cannot allocate memory")))
			clean++;
		else if (!first_unclean)
			first_unclean = failing;
		parse_outcome_free(&outcome);
	}
	if (!tap_result(clean == allocations, "%s: each of the %ld allocations failing is an error",
			what, allocations))
		printf("# first unclean: allocation %ld\n", first_unclean);
}

void test_config_out_of_memory(void)
{
	/* Messages, a duplicate backend and an overlap to sort, an unknown key to list. */
	static const char with_errors[] =
	    "[global]\ncolour = blue\n[vip a]\naddress = 192.0.2.1\ndscp = 1\n"
	    "backend = 198.51.100.1\nbackend = 198.51.100.2\nbackend = 198.51.100.1\n"
	    "[vip b]\naddress = 192.0.2.1\ndscp = 2\nbackend = 198.51.100.3\n";
	struct parse_outcome outcome;
	long allocations, clean = 0;

	test_each_allocation_failing(NULL, "etc/lb.conf", "etc/lb.conf");

	parse_failing(with_errors, NULL, 0, &outcome);
	allocations = allocation_count;
	parse_outcome_free(&outcome);
	for (long failing = 1; failing <= allocations; failing++) {
		parse_failing(with_errors, NULL, failing, &outcome);
		if (outcome.errors > 0 &&
		    !config_invariants_broken(&outcome.config, outcome.errors, outcome.output))
			clean++;
		parse_outcome_free(&outcome);
	}
	tap_result(allocations > 0 && clean == allocations,
		   "a file with errors: each of its %ld allocations failing still fails cleanly",
		   allocations);
}
