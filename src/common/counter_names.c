/* counter_names.c: the names of the counters of both programs (counter_names.h). */
#include "src/common/counter_names.h"

const char *const lb_counter_names[LB_COUNTER_MAX] = {
    [LB_COUNTER_PASS] = "pass",
    [LB_COUNTER_TX] = "tx",
    [LB_COUNTER_REDIRECT] = "redirect",
    [LB_COUNTER_FIB_NO_NEIGH] = "fib_no_neigh",
    [LB_COUNTER_FIB_FAIL] = "fib_fail",
    [LB_COUNTER_TTL_EXPIRED] = "ttl_expired",
    [LB_COUNTER_FRAGMENTS_UNTRACKED] = "fragments_untracked",
    [LB_COUNTER_MALFORMED] = "malformed",
    [LB_COUNTER_UNKNOWN_PORT] = "unknown_port",
    [LB_COUNTER_NO_BACKEND] = "no_backend",
    [LB_COUNTER_ICMP_ERROR] = "icmp_error",
    [LB_COUNTER_FLOW_INSERT_SKIPPED] = "flow_insert_skipped",
    [LB_COUNTER_PROBE_REPLY] = "probe_reply",
    [LB_COUNTER_PROBE_DIRECT] = "probe_direct",
};

const char *const backend_counter_names[BACKEND_COUNTER_MAX] = {
    [BACKEND_COUNTER_PASS] = "pass",
    [BACKEND_COUNTER_RESTORED] = "restored",
    [BACKEND_COUNTER_MALFORMED] = "malformed",
    [BACKEND_COUNTER_ICMP_ERROR] = "icmp_error",
};
