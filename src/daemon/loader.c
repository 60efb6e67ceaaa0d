/*
 * loader.c: opens and loads lb.bpf.o / backend.bpf.o with libbpf, reusing the maps pinned by an
 * earlier run or by the running program.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/daemon/loader.h"
#include "src/common/log.h"
#include "src/common/maps.h"
#include "src/common/pins.h"

static int log_libbpf_message(enum libbpf_print_level level, const char *format, va_list arguments)
{
	char text[8192];

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(text, sizeof(text), format, arguments);
	log_lines(LOG_PRIORITY_WARNING, text);
	return 0;
}

void loader_log_libbpf(void)
{
	libbpf_set_print(log_libbpf_message);
}

static int read_file(const char *path, void **contents, size_t *size)
{
	FILE *file = fopen(path, "rb");
	char *buffer = NULL;
	size_t length = 0, capacity = 0;
	int result = 0;

	if (!file)
		return -errno;
	for (;;) {
		if (length == capacity) {
			char *bigger = realloc(buffer, capacity ? capacity * 2 : 65536);

			if (!bigger) {
				result = -ENOMEM;
				break;
			}
			buffer = bigger;
			capacity = capacity ? capacity * 2 : 65536;
		}
		size_t got = fread(buffer + length, 1, capacity - length, file);
		length += got;
		if (got == 0) {
			if (ferror(file))
				result = -EIO;
			break;
		}
	}
	fclose(file);
	if (result) {
		free(buffer);
		return result;
	}
	*contents = buffer;
	*size = length;
	return 0;
}

/*
 * The kernel rounds an LRU_HASH with BPF_F_NO_COMMON_LRU up to a multiple of the CPU count and
 * reports the rounded size; asking for it directly keeps the pinned map reusable next time.
 */
static uint32_t size_as_kernel_reports(const struct bpf_map *map, uint32_t max_entries)
{
	int cpus = libbpf_num_possible_cpus();

	if (max_entries == 0)
		max_entries = 1;
	if (bpf_map__type(map) == BPF_MAP_TYPE_LRU_HASH &&
	    (bpf_map__map_flags(map) & BPF_F_NO_COMMON_LRU) && cpus > 0)
		max_entries = (max_entries + cpus - 1) / cpus * cpus;
	return max_entries;
}

/*
 * Whether the maps held by the map of maps FD have the value size of MAP's inner template: the
 * verifier checks the program against the inner maps of the map it is given, so a pinned one
 * holding rings of an older layout (4-byte slots) cannot be reused.
 */
static bool inner_matches(int fd, const struct bpf_map *map)
{
	const struct bpf_map *inner = bpf_map__inner_map((struct bpf_map *)map);
	__u32 key, next, id;
	void *previous = NULL;

	if (!inner)
		return true;
	while (!bpf_map_get_next_key(fd, previous, &next)) {
		struct bpf_map_info info = {0};
		__u32 length = sizeof(info);
		int inner_fd;
		bool matches;

		key = next;
		previous = &key;
		if (bpf_map_lookup_elem(fd, &key, &id))
			continue;
		inner_fd = bpf_map_get_fd_by_id(id);
		if (inner_fd < 0)
			continue;
		matches = !bpf_obj_get_info_by_fd(inner_fd, &info, &length) &&
			  info.value_size == bpf_map__value_size(inner);
		close(inner_fd);
		return matches;
	}
	return true;
}

/* The test libbpf itself makes before reusing a pin: what the program expects of the map (and,
 * for a map of maps, of the maps it holds). */
static bool pin_matches(int fd, const struct bpf_map *map)
{
	struct bpf_map_info info = {0};
	__u32 length = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &length) && info.type == bpf_map__type(map) &&
	       info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map) &&
	       info.map_flags == bpf_map__map_flags(map) &&
	       info.map_extra == bpf_map__map_extra(map) && inner_matches(fd, map);
}

static int set_pins(struct loaded_object *object, const char *pin_dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map(map, object->object)
	{
		/* .rodata/.bss are the program's own, set at load: never shared across loads. */
		if (bpf_map__is_internal(map))
			continue;
		if (pins_path(path, sizeof(path), pin_dir, bpf_map__name(map)))
			return -ENAMETOOLONG;
		int fd = bpf_obj_get(path);
		if (fd >= 0) {
			bool matches = pin_matches(fd, map);

			close(fd);
			if (!matches) {
				/* No pin path: libbpf creates it afresh; pinned after attach. */
				struct bpf_map **grown =
				    realloc(object->replaced,
					    (object->replaced_count + 1) * sizeof(*grown));
				if (!grown)
					return -ENOMEM;
				object->replaced = grown;
				object->replaced[object->replaced_count++] = map;
				log_info("map %s: the pinned one has another layout or size; a new "
					 "one replaces it",
					 bpf_map__name(map));
				continue;
			}
		}
		int error = bpf_map__set_pin_path(map, path);
		if (error)
			return error;
	}
	return 0;
}

static int note_inner_flags(struct loaded_object *object)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, object->object)
	{
		struct bpf_map *template = bpf_map__inner_map(map);
		struct loader_inner_flags *grown;

		if (!template)
			continue;
		grown =
		    realloc(object->inner_flags, (object->inner_flags_count + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		object->inner_flags = grown;
		grown[object->inner_flags_count].outer = map;
		grown[object->inner_flags_count].flags = bpf_map__map_flags(template);
		object->inner_flags_count++;
	}
	return 0;
}

uint32_t loader_inner_map_flags(const struct loaded_object *object, const char *name)
{
	for (size_t i = 0; i < object->inner_flags_count; i++)
		if (!strcmp(bpf_map__name(object->inner_flags[i].outer), name))
			return object->inner_flags[i].flags;
	return 0;
}

static struct bpf_program *find_program(struct bpf_object *bpf_object, const char *name)
{
	struct bpf_program *program, *first_xdp = NULL;

	bpf_object__for_each_program(program, bpf_object)
	{
		if (bpf_program__type(program) != BPF_PROG_TYPE_XDP)
			continue;
		if (!strcmp(bpf_program__name(program), name))
			return program;
		if (!first_xdp)
			first_xdp = program;
	}
	return first_xdp;
}

int loader_load(const char *path, const char *program_name, const char *pin_dir,
		const struct loader_map_size *sizes, size_t size_count,
		struct loaded_object *object)
{
	char message[256];
	int result;

	memset(object, 0, sizeof(*object));
	object->path = strdup(path);
	if (!object->path)
		return log_errno(LOG_PRIORITY_ERROR, ENOMEM, "cannot load %s", path);
	result = read_file(path, &object->contents, &object->size);
	if (result) {
		log_errno(LOG_PRIORITY_ERROR, result, "cannot read %s", path);
		goto out;
	}
	const char *file_name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	LIBBPF_OPTS(bpf_object_open_opts, options, .object_name = file_name);
	object->object = bpf_object__open_mem(object->contents, object->size, &options);
	result = libbpf_get_error(object->object);
	if (result) {
		object->object = NULL;
		libbpf_strerror(result, message, sizeof(message));
		log_error("cannot open %s: %s", path, message);
		goto out;
	}
	object->program = find_program(object->object, program_name);
	if (!object->program) {
		log_error("%s holds no XDP program", path);
		result = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < size_count; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(object->object, sizes[i].name);

		if (!map)
			continue;
		result = bpf_map__set_max_entries(
		    map, size_as_kernel_reports(map, sizes[i].max_entries));
		if (result) {
			log_errno(LOG_PRIORITY_ERROR, result, "cannot size the map %s of %s",
				  sizes[i].name, path);
			goto out;
		}
	}
	result = note_inner_flags(object);
	if (!result)
		result = set_pins(object, pin_dir);
	if (result) {
		log_errno(LOG_PRIORITY_ERROR, result, "cannot prepare the pins of %s in %s", path,
			  pin_dir);
		goto out;
	}
	result = bpf_object__load(object->object);
	if (result) {
		libbpf_strerror(result, message, sizeof(message));
		log_error("cannot load %s: %s", path, message);
		goto out;
	}
	return 0;
out:
	loader_close(object);
	return result < 0 ? result : -EINVAL;
}

int loader_map_fd(const struct loaded_object *object, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(object->object, name);

	if (!map) {
		log_error("%s has no map '%s'", object->path, name);
		return -1;
	}
	return bpf_map__fd(map);
}

int loader_pin_replaced(struct loaded_object *object, const char *pin_dir)
{
	char path[PATH_MAX];
	int result = 0;

	for (size_t i = 0; i < object->replaced_count; i++) {
		struct bpf_map *map = object->replaced[i];

		if (pins_path(path, sizeof(path), pin_dir, bpf_map__name(map)))
			return log_errno(LOG_PRIORITY_ERROR, ENAMETOOLONG, "cannot pin %s in %s",
					 bpf_map__name(map), pin_dir);
		/* The old map lives on as long as the old program holds it; only its name goes. */
		if (unlink(path) != 0 && errno != ENOENT) {
			result = log_errno(LOG_PRIORITY_ERROR, errno,
					   "cannot remove the old pin %s", path);
			continue;
		}
		if (bpf_obj_pin(bpf_map__fd(map), path))
			result = log_errno(LOG_PRIORITY_ERROR, errno, "cannot pin %s", path);
	}
	object->replaced_count = 0;
	return result;
}

int loader_file_changed(const struct loaded_object *object)
{
	void *contents;
	size_t size;
	int result = read_file(object->path, &contents, &size);

	if (result)
		return result;
	result = size != object->size || memcmp(contents, object->contents, size) != 0;
	free(contents);
	return result;
}

bool loader_map_size_differs(const struct loaded_object *object, const char *name,
			     uint32_t max_entries)
{
	struct bpf_map *map = bpf_object__find_map_by_name(object->object, name);

	return map && bpf_map__max_entries(map) != size_as_kernel_reports(map, max_entries);
}

void loader_close(struct loaded_object *object)
{
	bpf_object__close(object->object);
	free(object->path);
	free(object->contents);
	free(object->replaced);
	free(object->inner_flags);
	memset(object, 0, sizeof(*object));
}
