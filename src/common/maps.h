/* maps.h: small helpers to read and write BPF maps from user space (arrays, per-CPU counters). */
#ifndef L3DSR_MAPS_H
#define L3DSR_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/l3dsr_common.h"

/* Opens the map pinned at DIR/NAME; returns an fd or -errno (not logged: absence is normal). */
int maps_open_pinned(const char *dir, const char *name);

/* The kernel's max_entries of the map behind FD, or 0 when it cannot be read. */
uint32_t maps_max_entries(int fd);

/* Reads entries 0..COUNT-1 of the ARRAY map FD into VALUES (VALUE_SIZE bytes each), in as few
 * system calls as the kernel allows. Returns 0 or -errno. */
int maps_read_array(int fd, uint32_t count, size_t value_size, void *values);

/* Writes VALUES[i] (VALUE_SIZE bytes each) to key KEYS[i] of the ARRAY map FD, i < COUNT, in
 * batches; each element is written on its own, so a reader sees every element either old or new.
 * Returns 0 or -errno. */
int maps_write_array(int fd, const uint32_t *keys, const void *values, size_t value_size,
		     uint32_t count);

/* Sums the per-CPU struct traffic_counter of entries 0..COUNT-1 of the PERCPU_ARRAY map FD into
 * SUMS. Returns 0 or -errno. */
int maps_read_traffic(int fd, uint32_t count, struct traffic_counter *sums);

/* Sets every CPU's struct traffic_counter at KEY of the PERCPU_ARRAY FD to zero: an index that
 * is given to a new VIP or backend starts counting from nothing. Returns 0 or -errno. */
int maps_clear_traffic(int fd, uint32_t key);

/*
 * The LB's traffic per VIP into SUMS (COUNT VIPs): what vip_traffic holds (the backends removed
 * from the VIP, which l3dsrd folds in with maps_fold_traffic) plus backend_traffic of every
 * backend in use in BACKENDS (BACKEND_COUNT entries), each added to its VIP: the program counts
 * only backends, a backend_id serving one VIP. Returns 0 or -errno.
 */
int maps_read_vip_traffic(int vip_traffic, int backend_traffic, int backends,
			  uint32_t backend_count, uint32_t count, struct traffic_counter *sums);

/* Adds, CPU by CPU, entry FROM of the PERCPU_ARRAY traffic map FROM_FD to entry TO of TO_FD,
 * then sets FROM to zero. Returns 0 or -errno. */
int maps_fold_traffic(int from_fd, uint32_t from, int to_fd, uint32_t to);

/* Reads every entry of the HASH map FD into a new array *ENTRIES of *COUNT entries, each KEY_SIZE
 * bytes of key then VALUE_SIZE bytes of value (KEY_SIZE <= 64); free() it. Returns 0 or -errno. */
int maps_read_hash(int fd, size_t key_size, size_t value_size, void **entries, size_t *count);

#endif /* L3DSR_MAPS_H */
