/*
 * reexec.h: the daemon's own binary: whether the file it was started from has been replaced (a
 * package upgrade), and executing the new one in its place, in the same process, so that the
 * service keeps its PID and the new image adopts the pinned datapath.
 */
#ifndef L3DSR_REEXEC_H
#define L3DSR_REEXEC_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* The option the daemon adds to its command line when it executes itself again. */
#define REEXEC_OPTION "--re-executed"

struct reexec {
	char path[PATH_MAX]; /* the file this process was started from */
	dev_t device;	     /* of the image running now */
	ino_t inode;
	char **argv; /* as given to main */
	int argc;
};

/* Notes the running binary (from /proc/self/exe) and the command line. Returns 0 or -errno. */
int reexec_init(struct reexec *self, int argc, char **argv);

/* 1 when the file at SELF->path is no longer the image running (replaced or rewritten), 0 when
 * it is, -errno when it cannot be looked at (e.g. removed). */
int reexec_binary_replaced(const struct reexec *self);

/* Executes SELF->path with the same arguments and REEXEC_OPTION. Returns only on failure:
 * -errno. File descriptors are all close-on-exec; blocked and pending signals carry over. */
int reexec_now(const struct reexec *self);

#endif /* L3DSR_REEXEC_H */
