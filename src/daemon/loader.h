/*
 * loader.h: opens and loads lb.bpf.o / backend.bpf.o with libbpf, reusing the maps pinned by an
 * earlier run or by the running program, so that a restart or a reload keeps flow table,
 * counters and tables.
 */
#ifndef L3DSR_LOADER_H
#define L3DSR_LOADER_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A map size the configuration decides (e.g. flows = flow-table-size). */
struct loader_map_size {
	const char *name;
	uint32_t max_entries;
};

struct loaded_object {
	struct bpf_object *object;
	struct bpf_program *program; /* the XDP program to attach */
	char *path;
	/* The file as it was loaded: a reload replaces the program only when the file changed. */
	void *contents;
	size_t size;
	/* Maps whose pins were of another layout (e.g. a new flow-table-size): created afresh and
	 * pinned by loader_pin_replaced() only once the new program is attached. */
	struct bpf_map **replaced;
	size_t replaced_count;
	/* The map flags of each map-in-map's inner template, noted at open: libbpf frees the
	 * templates once the outer maps exist, and user-space inner maps must match them. */
	struct loader_inner_flags {
		const struct bpf_map *outer;
		uint32_t flags;
	} * inner_flags;
	size_t inner_flags_count;
};

/* Sends libbpf's warnings (verifier output included) to the log; its debug chatter nowhere. */
void loader_log_libbpf(void);

/*
 * Opens PATH, applies SIZES, reuses every map pinned in PIN_DIR under the map's name whose
 * layout matches, pins the maps that had no pin, and loads the programs. The program to
 * attach is the one named PROGRAM_NAME, else the first XDP program. Returns 0 or -errno
 * (logged); on error *OBJECT is left closed.
 */
int loader_load(const char *path, const char *program_name, const char *pin_dir,
		const struct loader_map_size *sizes, size_t size_count,
		struct loaded_object *object);

/* The fd of the map NAME, or -1 (logged) when the object has none. */
int loader_map_fd(const struct loaded_object *object, const char *name);

/* The map flags inner maps of the map-in-map NAME must have (0 when it is not one). */
uint32_t loader_inner_map_flags(const struct loaded_object *object, const char *name);

/* Pins the maps created in place of pins of another layout, replacing those pins. Called once
 * the program that uses them is attached, so a failed reload leaves the old pins alone. */
int loader_pin_replaced(struct loaded_object *object, const char *pin_dir);

/* 1 when the file at the object's path differs from what was loaded, 0 when not, -errno. */
int loader_file_changed(const struct loaded_object *object);

/* Whether the object's map NAME would be created with a size other than MAX_ENTRIES. */
bool loader_map_size_differs(const struct loaded_object *object, const char *name,
			     uint32_t max_entries);

void loader_close(struct loaded_object *object);

#endif /* L3DSR_LOADER_H */
