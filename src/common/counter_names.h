/* counter_names.h: the names the counters of both programs are shown and exported under. */
#ifndef L3DSR_COUNTER_NAMES_H
#define L3DSR_COUNTER_NAMES_H

#include <stdbool.h>

#include "bpf/l3dsr_common.h"

/*
 * Indexed by enum lb_counter / enum backend_counter, made from LB_COUNTERS / BACKEND_COUNTERS
 * (bpf/l3dsr_common.h); the names are stable: JSON keys and metrics use them.
 */
extern const char *const lb_counter_names[LB_COUNTER_MAX];
extern const char *const backend_counter_names[BACKEND_COUNTER_MAX];

/* Whether the counter is a verdict (what the program did with the packet), not an event. */
extern const bool lb_counter_verdicts[LB_COUNTER_MAX];

#endif /* L3DSR_COUNTER_NAMES_H */
