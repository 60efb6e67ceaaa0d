/*
 * flow_carry.h: a flow table of a new size starts with the flows the old one remembers, so that
 * changing flow-table-size on reload does not send established flows through the Maglev table
 * again (where a backend change since they began would move them).
 */
#ifndef L3DSR_FLOW_CARRY_H
#define L3DSR_FLOW_CARRY_H

#include <stddef.h>

struct flow_carry_result {
	size_t found;  /* flows the old table held */
	size_t copied; /* written into the new one */
};

/*
 * Copies the entries of the flows map OLD_FLOWS into the empty flows map NEW_FLOWS (both LRU_HASH
 * of struct flow_key -> __u32), as many as fit. The new map's LRU lists are per CPU, each with
 * max_entries / possible CPUs entries, and an update fills the list of the CPU it runs on: the
 * copies are spread over the CPUs this thread may run on, at most one list's worth each, so that
 * no copy evicts another (where the thread may not move, e.g. under the units' system call filter,
 * only the share of the CPU it is on is filled). Returns 0 or -errno (RESULT says how far it got).
 */
int flow_carry_over(int old_flows, int new_flows, struct flow_carry_result *result);

#endif /* L3DSR_FLOW_CARRY_H */
