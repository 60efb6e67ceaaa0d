/* pins.h: an instance's pin directory on a bpf filesystem: create it (mounting bpffs), lock,
 * remove. */
#ifndef L3DSR_PINS_H
#define L3DSR_PINS_H

#include <stdbool.h>
#include <stddef.h>

/* Where pins live by default: PINS_DEFAULT_ROOT/<ifname>/. */
#define PINS_BPFFS_MOUNT  "/sys/fs/bpf"
#define PINS_DEFAULT_ROOT PINS_BPFFS_MOUNT "/l3dsr"

/* The pin of the bpf_link that holds the program on the interface. */
#define PINS_LINK "link"

/*
 * Creates DIR and its missing parents. They must be on a bpf filesystem; when the nearest
 * existing parent is /sys/fs/bpf and nothing is mounted there, mounts one first.
 * Returns 0 or -errno (logged).
 */
int pins_prepare(const char *dir);

/* Takes an exclusive flock on DIR so two daemons never share one pin directory. Returns the fd
 * holding the lock, or -errno (logged; -EWOULDBLOCK when another process holds it). */
int pins_lock(const char *dir);

/* Writes DIR/NAME into PATH (of SIZE bytes); returns -ENAMETOOLONG when it does not fit. */
int pins_path(char *path, size_t size, const char *dir, const char *name);

/* Whether DIR/NAME exists. */
bool pins_exist(const char *dir, const char *name);

/* Removes every pin in DIR, then DIR, then its parent when that is PINS_DEFAULT_ROOT and empty.
 * Returns 0 or -errno of the first failure (logged). */
int pins_remove(const char *dir);

#endif /* L3DSR_PINS_H */
