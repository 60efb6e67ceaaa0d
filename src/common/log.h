/* log.h: the daemon's log lines on stderr, with the <N> priority prefixes journald understands. */
#ifndef L3DSR_LOG_H
#define L3DSR_LOG_H

/* syslog(3) priorities: what journald reads from a "<N>" line prefix. */
enum log_priority {
	LOG_PRIORITY_ERROR = 3,
	LOG_PRIORITY_WARNING = 4,
	LOG_PRIORITY_INFO = 6,
};

/* Writes one line per line of the formatted text, each with the "<N>" prefix. */
void log_message(enum log_priority priority, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...)	 log_message(LOG_PRIORITY_ERROR, __VA_ARGS__)
#define log_warning(...) log_message(LOG_PRIORITY_WARNING, __VA_ARGS__)
#define log_info(...)	 log_message(LOG_PRIORITY_INFO, __VA_ARGS__)

/*
 * Logs the formatted text, ": " and the text of ERROR (a -errno, or an errno) at PRIORITY, and
 * returns -|ERROR|, so that the code that finds a failure says it and passes it up in one step:
 *	return log_errno(LOG_PRIORITY_ERROR, -errno, "cannot pin %s", path);
 * Its callers pass the -errno on and do not log it again.
 */
int log_errno(enum log_priority priority, int error, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs every line of TEXT (e.g. a libbpf message of several lines) at PRIORITY. */
void log_lines(enum log_priority priority, const char *text);

/*
 * Where a failure is handled, what it means. While a scope is open each error line reads
 * "WHAT: LINE; CONSEQUENCE" (either part may be NULL): the code that found the failure says what
 * failed, the code that handles it what follows ("reload refused: vip web4: cannot build its
 * Maglev table: Invalid argument; the running configuration stays"), in one line, not one line
 * each. Scopes nest (on the caller's stack); the innermost applies.
 */
struct log_scope {
	const char *what;
	const char *consequence;
	unsigned int errors; /* error lines written in it */
	struct log_scope *outer;
};

void log_scope_open(struct log_scope *scope, const char *what, const char *consequence);

/*
 * Closes SCOPE, the innermost. When RESULT is a failure (< 0) that no error line in the scope
 * explained, writes the line the handler owes: "WHAT: <strerror>; CONSEQUENCE". Returns RESULT.
 */
int log_scope_close(struct log_scope *scope, int result);

#endif /* L3DSR_LOG_H */
