/* probe_outcome.h: what a health check found, as a number (kept in the pins) and as words. */
#ifndef L3DSR_PROBE_OUTCOME_H
#define L3DSR_PROBE_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

/* The values are stored in the backend_health map that l3dsrctl reads: append, never renumber. */
enum probe_outcome {
	PROBE_NOT_CHECKED,     /* no check has ended yet */
	PROBE_OK,	       /* connected (tcp), or the expected status (http) */
	PROBE_CONNECT_REFUSED, /* the backend's service answered the connect with a reset */
	PROBE_CONNECT_TIMEOUT, /* no answer to the connect within the timeout */
	PROBE_UNREACHABLE,     /* an ICMP error: no route, host or network unreachable */
	PROBE_CONNECT_ERROR,   /* the connect failed otherwise */
	PROBE_READ_TIMEOUT,    /* connected, but no complete status line within the timeout */
	PROBE_RESET,	       /* connected, then reset */
	PROBE_CLOSED,	       /* connected, then closed before a status line */
	PROBE_BAD_RESPONSE,    /* an answer that is not an HTTP status line */
	PROBE_BAD_STATUS,      /* an HTTP status other than expect= */
	PROBE_NO_PORT,	       /* every port of probe-ports is busy */
	PROBE_NO_SOURCE,       /* the interface has no address of the backend's family */
	PROBE_LOCAL_ERROR,     /* this host could not make the connection (socket, bind, map) */
	PROBE_OUTCOME_COUNT,
};

/* A name fit for a metric label: "ok", "connect_refused", ... */
const char *probe_outcome_name(enum probe_outcome outcome);

/* The words of log lines and l3dsrctl: "connect timeout", "bad status 503" (STATUS is the HTTP
 * status, used by PROBE_BAD_STATUS only). Returns TEXT. */
const char *probe_outcome_text(enum probe_outcome outcome, uint16_t status, char *text,
			       size_t size);

#endif /* L3DSR_PROBE_OUTCOME_H */
