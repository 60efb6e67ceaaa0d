/* counter_names.c: the names of the counters of both programs (counter_names.h). */
#include "src/common/counter_names.h"

#define LB_COUNTER_NAME(id, name, ...) [LB_COUNTER_##id] = name,
const char *const lb_counter_names[LB_COUNTER_MAX] = {LB_COUNTERS(LB_COUNTER_NAME)};

#define LB_COUNTER_VERDICT(id, name, verdict, ...) [LB_COUNTER_##id] = verdict,
const bool lb_counter_verdicts[LB_COUNTER_MAX] = {LB_COUNTERS(LB_COUNTER_VERDICT)};

#define BACKEND_COUNTER_NAME(id, name, ...) [BACKEND_COUNTER_##id] = name,
const char *const backend_counter_names[BACKEND_COUNTER_MAX] = {
    BACKEND_COUNTERS(BACKEND_COUNTER_NAME)};
