/* log.c: the daemon's log lines on stderr, with the <N> priority prefixes journald understands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"

/* The innermost open scope; the daemon logs from one thread. */
static struct log_scope *log_current_scope;

void log_lines(enum log_priority priority, const char *text)
{
	struct log_scope *scope = priority == LOG_PRIORITY_ERROR ? log_current_scope : NULL;

	while (*text) {
		size_t length = strcspn(text, "\n");

		/* One fprintf per line: a line is never split by another writer. */
		if (length > 0) {
			fprintf(stderr, "<%d>%s%s%.*s%s%s\n", priority,
				scope && scope->what ? scope->what : "",
				scope && scope->what ? ": " : "", (int)length, text,
				scope && scope->consequence ? "; " : "",
				scope && scope->consequence ? scope->consequence : "");
			if (scope)
				scope->errors++;
		}
		text += length;
		if (*text == '\n')
			text++;
	}
}

static void log_format(enum log_priority priority, const char *suffix, const char *format,
		       va_list arguments)
{
	char line[2048];
	int length = vsnprintf(line, sizeof(line), format, arguments);

	if (suffix && length >= 0 && (size_t)length < sizeof(line))
		snprintf(line + length, sizeof(line) - (size_t)length, ": %s", suffix);
	log_lines(priority, line);
}

void log_message(enum log_priority priority, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	log_format(priority, NULL, format, arguments);
	va_end(arguments);
}

int log_errno(enum log_priority priority, int error, const char *format, ...)
{
	va_list arguments;

	error = abs(error);
	va_start(arguments, format);
	log_format(priority, strerror(error), format, arguments);
	va_end(arguments);
	return -error;
}

void log_scope_open(struct log_scope *scope, const char *what, const char *consequence)
{
	*scope = (struct log_scope){
	    .what = what,
	    .consequence = consequence,
	    .outer = log_current_scope,
	};
	log_current_scope = scope;
}

int log_scope_close(struct log_scope *scope, int result)
{
	log_current_scope = scope->outer;
	if (result < 0 && scope->errors == 0)
		log_error("%s%s%s%s%s", scope->what ? scope->what : "", scope->what ? ": " : "",
			  strerror(-result), scope->consequence ? "; " : "",
			  scope->consequence ? scope->consequence : "");
	return result;
}
