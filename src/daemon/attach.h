/*
 * attach.h: the bpf_link that holds an XDP program on an interface: create it in the mode asked
 * for, pin it, adopt a pinned one after a restart, swap its program atomically, detach it.
 */
#ifndef L3DSR_ATTACH_H
#define L3DSR_ATTACH_H

#include <linux/types.h>

#include "src/config/config.h"

/*
 * Attaches PROG_FD to IFINDEX with a bpf_link in MODE; XDP_MODE_AUTO tries native, then
 * generic with a warning. *EFFECTIVE gets the mode in use. Returns the link fd or -errno
 * (logged, naming what else holds the interface when it is busy).
 */
int attach_program(int prog_fd, int ifindex, const char *ifname, enum xdp_mode mode,
		   enum xdp_mode *effective);

/*
 * Opens the link pinned at PATH. Returns its fd; -ENOENT when nothing is pinned there; -ESTALE
 * when the link no longer holds IFINDEX (its interface went away or was recreated), after
 * removing that pin. Other errors are -errno, logged.
 */
int attach_adopt(const char *path, int ifindex);

/* The mode the XDP program on IFINDEX runs in (from the kernel), native or generic. */
enum xdp_mode attach_mode_in_effect(int ifindex);

/* Replaces the link's program with PROG_FD in one step: no packet sees no program. */
int attach_replace(int link_fd, int prog_fd);

int attach_pin(int link_fd, const char *path);

/* The ids of the link and of the program it runs now (0 when unknown). */
void attach_ids(int link_fd, __u32 *link_id, __u32 *program_id);

/* The ifindex the link holds: 0 once its interface is gone, -1 when it cannot be read. */
int attach_link_ifindex(int link_fd);

/* Takes the program off the interface (the link object lives on, empty). Returns 0 or -errno. */
int attach_detach(int link_fd);

#endif /* L3DSR_ATTACH_H */
