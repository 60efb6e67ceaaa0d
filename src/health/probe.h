/*
 * probe.h: one health check of one backend over the DSR path: a non-blocking TCP connection from
 * a probe port to RIP:port carrying the VIP's DSCP code, and for http a GET whose status is
 * compared; driven by the daemon's sd-event loop, it never blocks.
 */
#ifndef L3DSR_PROBE_H
#define L3DSR_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "src/config/config.h"
#include "bpf/l3dsr_common.h"
#include "src/health/probe_http.h"
#include "src/health/probe_outcome.h"
#include "src/health/probe_ports.h"

/* What to check; copied by probe_start, so a reload may change the configuration meanwhile. */
struct probe_request {
	int family;		     /* AF_INET or AF_INET6 */
	struct l3dsr_address source; /* the LB interface's address: where replies come back to */
	struct l3dsr_address vip;    /* the reply's source, before the LB program restores RIP */
	struct l3dsr_address rip;
	uint16_t port; /* host order */
	uint8_t dscp;  /* 0: no marking (dscp = none: the backend maps the port) */
	enum check_type type;
	uint32_t timeout_ms;
	uint16_t expect;
	char path[CONFIG_PATH_MAX];
	char host[CONFIG_PATH_MAX];
};

struct probe;

/* Called once when the probe ends (never from within probe_start or probe_cancel).
 * LATENCY_USEC: from the start to the connection (tcp) or the status line (http). */
typedef void probe_done_fn(void *context, enum probe_outcome outcome, uint16_t status,
			   uint64_t latency_usec);

/*
 * Starts checking REQUEST. Returns a probe in flight (its end comes through DONE), or NULL with
 * *OUTCOME set when it failed at once (no free port, no route, local error).
 */
struct probe *probe_start(sd_event *event, const struct probe_request *request,
			  struct probe_ports *ports, probe_done_fn *done, void *context,
			  enum probe_outcome *outcome);

/* Ends a probe without an outcome (its backend left the configuration, the daemon stops). */
void probe_cancel(struct probe *probe);

#endif /* L3DSR_PROBE_H */
