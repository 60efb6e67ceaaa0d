/* interface_lock.h: at most one l3dsrd per interface, whatever pin directories they are given. */
#ifndef L3DSR_INTERFACE_LOCK_H
#define L3DSR_INTERFACE_LOCK_H

/*
 * Binds the abstract unix socket "@l3dsrd/IFNAME" of this network namespace (the namespace that
 * makes interface names unique). The kernel releases it when the process dies however it dies,
 * so a crashed daemon never blocks its successor. Returns the listening fd to keep open, or
 * -EADDRINUSE when another l3dsrd holds it (logged, with that daemon's pid), or -errno.
 */
int interface_lock(const char *ifname);

/* Accepts and closes whatever connected to the lock socket FD (another instance asking who
 * holds it), so the queue never fills. */
void interface_lock_drain(int fd);

#endif /* L3DSR_INTERFACE_LOCK_H */
