/* log.c: the daemon's log lines on stderr, with the <N> priority prefixes journald understands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "src/common/log.h"

void log_lines(enum log_priority priority, const char *text)
{
	while (*text) {
		size_t length = strcspn(text, "\n");

		/* One fprintf per line: a line is never split by another writer. */
		if (length > 0)
			fprintf(stderr, "<%d>%.*s\n", priority, (int)length, text);
		text += length;
		if (*text == '\n')
			text++;
	}
}

void log_message(enum log_priority priority, const char *format, ...)
{
	char line[2048];
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(line, sizeof(line), format, arguments);
	va_end(arguments);
	log_lines(priority, line);
}
