/*
 * next_hop.h: keeps the LB program's next_hops map (bpf/l3dsr_common.h): for every backend in
 * use, the next hop bpf_fib_lookup would answer for a packet to its address coming in by the
 * daemon's interface (egress interface, MACs, MTU), resolved through rtnetlink and followed on
 * the kernel's route, neighbour, link, address, rule, nexthop and netconf events. Where the
 * answer could depend on more than the destination (multipath, policy rules, source-specific or
 * TOS routes, ...) or cannot be given (no valid neighbour, no unicast route), the entry is left
 * not live and the program asks bpf_fib_lookup itself.
 */
#ifndef L3DSR_NEXT_HOP_H
#define L3DSR_NEXT_HOP_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct next_hops; /* defined in next_hop.c */

/*
 * Resolves every backend in BACKENDS_FD (the backends map) once and writes NEXT_HOPS_FD, for
 * packets that come in by INGRESS_IFINDEX, without following anything afterwards (what the
 * benchmark and the tests' one-shot fills use). Returns the number of live entries, or -errno.
 */
int next_hops_fill(int backends_fd, int next_hops_fd, int ingress_ifindex);

/*
 * Allocates the follower, fills the map as next_hops_fill does and follows the kernel's events
 * in EVENT's loop from then on. Each change of a backend address's next hop is logged once
 * (see next_hop.c). Returns 0, or -errno when it cannot follow (not logged; *HOPS is NULL then).
 * A first fill that fails is logged and tried again at the next event.
 */
int next_hops_start(struct next_hops **hops, int backends_fd, int next_hops_fd, int ingress_ifindex,
		    sd_event *event);

/* After a reload (the maps may be new ones) or an interface re-created (a new ifindex): takes
 * the descriptors (duplicated) and resolves everything again. Returns 0 or -errno. */
int next_hops_use(struct next_hops *hops, int backends_fd, int next_hops_fd, int ingress_ifindex);

/* The backends may have changed (lb_maps_apply): resolves every backend in use again. */
void next_hops_backends_changed(struct next_hops *hops);

/*
 * Stops following. CLEAR: every entry is set not live first (a daemon that leaves the program
 * for a successor, or detaches, must not leave next hops nobody follows any more).
 */
void next_hops_stop(struct next_hops *hops, bool clear);

#endif /* L3DSR_NEXT_HOP_H */
