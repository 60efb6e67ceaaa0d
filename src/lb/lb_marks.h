/*
 * lb_marks.h: retires the marks of a VIP's changed ring slots (every slot back to "unchanged")
 * once the retention has passed and no flow has needed them for as long.
 */
#ifndef L3DSR_LB_MARKS_H
#define L3DSR_LB_MARKS_H

#include <stdint.h>

#include "src/lb/lb_sync.h"

/* CLOCK_MONOTONIC in nanoseconds: the clock of struct ring_change and ring_mark_use. */
uint64_t lb_marks_now_ns(void);

/*
 * For every VIP whose ring has marks: once NOW_NS is past its ring_change.unknown_until_ns and
 * RETENTION_MS past the last time a packet needed a mark (ring_mark_use, every CPU), sets its
 * slots back to unchanged and its ring_change to 0. Logs one line per VIP. Returns how many
 * VIPs were retired, or -errno (logged).
 */
int lb_marks_retire(const struct lb_maps *maps, uint32_t retention_ms, uint64_t now_ns);

#endif /* L3DSR_LB_MARKS_H */
