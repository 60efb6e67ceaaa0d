/* forwarding.h: the load balancer needs IP forwarding on its interface for every family it serves.
 */
#ifndef L3DSR_FORWARDING_H
#define L3DSR_FORWARDING_H

#include <stdbool.h>

/*
 * Checks net.ipv4.conf.IFNAME.forwarding (when IPV4) and net.ipv6.conf.IFNAME.forwarding (when
 * IPV6): bpf_fib_lookup refuses to route for an interface without forwarding, and the kernel
 * forwards the packets XDP passes to it while a neighbour is resolved. Logs the exact sysctl to
 * set for each one that is off. Returns true when all needed are on.
 */
bool forwarding_check(const char *ifname, bool ipv4, bool ipv6);

#endif /* L3DSR_FORWARDING_H */
