/* ctl_print.h: l3dsrctl's output, as text for people and as JSON (keys in l3dsrctl(8)). */
#ifndef L3DSR_CTL_PRINT_H
#define L3DSR_CTL_PRINT_H

#include <stdio.h>

#include "src/status/ctl_read.h"
#include "src/cli/json.h"

void ctl_print_status_text(FILE *out, const struct ctl_instance *instance);
void ctl_print_status_json(struct json *json, const struct ctl_instance *instance);

/* Counters of AFTER with their rates since BEFORE, SECONDS earlier. */
void ctl_print_stats_text(FILE *out, const struct ctl_instance *before,
			  const struct ctl_instance *after, double seconds);
void ctl_print_stats_json(struct json *json, const struct ctl_instance *before,
			  const struct ctl_instance *after, double seconds);

#endif /* L3DSR_CTL_PRINT_H */
