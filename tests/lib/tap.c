/* tap.c: the TAP output of the C tests that print results themselves (tests/lib/tap.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"

static int tap_count;
static int tap_failures;

bool tap_result(bool ok, const char *format, ...)
{
	va_list arguments;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_count);
	va_start(arguments, format);
	vprintf(format, arguments);
	va_end(arguments);
	putchar('\n');
	/* The results interleave with what the programs under test print. */
	fflush(stdout);
	if (!ok)
		tap_failures++;
	return ok;
}

void tap_diagnostic(const char *label, const char *text)
{
	const char *line = text;

	printf("# %s:\n", label);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		int length = end ? (int)(end - line) : (int)strlen(line);

		printf("#   %.*s\n", length, line);
		line = end ? end + 1 : NULL;
	}
}

int tap_plan(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failures;
}
