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

/* Logs every line of TEXT (e.g. the configuration errors a parser wrote) at PRIORITY. */
void log_lines(enum log_priority priority, const char *text);

#endif /* L3DSR_LOG_H */
