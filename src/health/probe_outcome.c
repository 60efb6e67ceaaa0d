/* probe_outcome.c: what a health check found, as a number (kept in the pins) and as words. */
#include <stdio.h>

#include "src/health/probe_outcome.h"

static const struct {
	const char *name;
	const char *text;
} outcomes[PROBE_OUTCOME_COUNT] = {
    [PROBE_NOT_CHECKED] = {"not_checked", "not checked yet"},
    [PROBE_OK] = {"ok", "ok"},
    [PROBE_CONNECT_REFUSED] = {"connect_refused", "connect refused"},
    [PROBE_CONNECT_TIMEOUT] = {"connect_timeout", "connect timeout"},
    [PROBE_UNREACHABLE] = {"unreachable", "unreachable"},
    [PROBE_CONNECT_ERROR] = {"connect_error", "connect error"},
    [PROBE_READ_TIMEOUT] = {"read_timeout", "read timeout"},
    [PROBE_RESET] = {"reset", "reset"},
    [PROBE_CLOSED] = {"closed", "closed before the status line"},
    [PROBE_BAD_RESPONSE] = {"bad_response", "bad response"},
    [PROBE_BAD_STATUS] = {"bad_status", "bad status"},
    [PROBE_NO_PORT] = {"no_port", "no free probe port"},
    [PROBE_NO_SOURCE] = {"no_source", "no source address on the interface"},
    [PROBE_LOCAL_ERROR] = {"local_error", "local error"},
};

const char *probe_outcome_name(enum probe_outcome outcome)
{
	return (unsigned)outcome < PROBE_OUTCOME_COUNT ? outcomes[outcome].name : "unknown";
}

const char *probe_outcome_text(enum probe_outcome outcome, uint16_t status, char *text, size_t size)
{
	if (outcome == PROBE_BAD_STATUS)
		snprintf(text, size, "bad status %u", status);
	else
		snprintf(text, size, "%s",
			 (unsigned)outcome < PROBE_OUTCOME_COUNT ? outcomes[outcome].text
								 : "unknown");
	return text;
}
