/*
 * instance.c: what l3dsrctl needs that the datapath maps do not hold, in small user-space maps
 * pinned beside the others.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "src/common/instance.h"
#include "src/common/log.h"
#include "src/common/maps.h"
#include "src/common/pins.h"

struct instance_map_layout {
	const char *name;
	__u32 value_size;
	__u32 max_entries;
};

static const struct instance_map_layout layouts[] = {
    {INSTANCE_MAP_INFO, sizeof(struct instance_info), 1},
    {INSTANCE_MAP_VIP_NAMES, sizeof(struct instance_vip_name), L3DSR_MAX_VIPS},
    {INSTANCE_MAP_BACKEND_WEIGHTS, sizeof(__u32), L3DSR_MAX_BACKENDS},
    {INSTANCE_MAP_BACKEND_HEALTH, sizeof(struct instance_backend_health), L3DSR_MAX_BACKENDS},
    {INSTANCE_MAP_VIP_STATE, sizeof(struct instance_vip_state), L3DSR_MAX_VIPS},
};

static bool has_layout(int fd, const struct instance_map_layout *layout)
{
	struct bpf_map_info info = {0};
	__u32 length = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &length) && info.type == BPF_MAP_TYPE_ARRAY &&
	       info.key_size == sizeof(__u32) && info.value_size == layout->value_size &&
	       info.max_entries == layout->max_entries;
}

static int create_one(const char *pin_dir, const struct instance_map_layout *layout)
{
	char path[PATH_MAX];
	int fd = maps_open_pinned(pin_dir, layout->name);

	if (fd >= 0 && has_layout(fd, layout))
		return fd;
	if (fd >= 0)
		close(fd);
	if (pins_path(path, sizeof(path), pin_dir, layout->name))
		return log_errno(LOG_PRIORITY_ERROR, ENAMETOOLONG, "cannot pin %s in %s",
				 layout->name, pin_dir);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, layout->name, sizeof(__u32), layout->value_size,
			    layout->max_entries, NULL);
	if (fd < 0)
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot create map %s", layout->name);
	/* A pin of an older layout is replaced; readers that hold it open keep the old map. */
	unlink(path);
	if (bpf_obj_pin(fd, path)) {
		int error = errno;

		close(fd);
		return log_errno(LOG_PRIORITY_ERROR, error, "cannot pin %s", path);
	}
	return fd;
}

int instance_maps_create(const char *pin_dir, enum l3dsr_role role, struct instance_maps *maps)
{
	int *fds[] = {&maps->info, &maps->vip_names, &maps->backend_weights, &maps->backend_health,
		      &maps->vip_state};
	size_t count = role == ROLE_LB ? 5 : 2;

	maps->info = maps->vip_names = maps->backend_weights = maps->backend_health = -1;
	maps->vip_state = -1;
	for (size_t i = 0; i < count; i++) {
		int fd = create_one(pin_dir, &layouts[i]);

		if (fd < 0) {
			instance_maps_close(maps);
			return fd;
		}
		*fds[i] = fd;
	}
	return 0;
}

int instance_maps_open(const char *pin_dir, struct instance_maps *maps)
{
	int *fds[] = {&maps->info, &maps->vip_names, &maps->backend_weights, &maps->backend_health,
		      &maps->vip_state};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		int fd = maps_open_pinned(pin_dir, layouts[i].name);

		if (fd >= 0 && !has_layout(fd, &layouts[i])) {
			close(fd);
			fd = -1;
		}
		*fds[i] = fd < 0 ? -1 : fd;
	}
	if (maps->info < 0) {
		instance_maps_close(maps);
		return -ENOENT;
	}
	return 0;
}

void instance_maps_close(struct instance_maps *maps)
{
	int *fds[] = {&maps->info, &maps->vip_names, &maps->backend_weights, &maps->backend_health,
		      &maps->vip_state};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int instance_write_info(const struct instance_maps *maps, const struct instance_info *info)
{
	__u32 key = 0;

	return bpf_map_update_elem(maps->info, &key, info, BPF_ANY) ? -errno : 0;
}

int instance_read_info(const struct instance_maps *maps, struct instance_info *info)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(maps->info, &key, info))
		return -errno;
	return info->version == INSTANCE_INFO_VERSION ? 0 : -EPROTO;
}

int instance_write_vip_name(const struct instance_maps *maps, __u32 index, const char *name)
{
	struct instance_vip_name value = {{0}};

	snprintf(value.name, sizeof(value.name), "%s", name);
	return bpf_map_update_elem(maps->vip_names, &index, &value, BPF_ANY) ? -errno : 0;
}

void instance_read_vip_name(const struct instance_maps *maps, __u32 index, char *name, size_t size)
{
	struct instance_vip_name value = {{0}};

	if (maps->vip_names < 0 || bpf_map_lookup_elem(maps->vip_names, &index, &value))
		value.name[0] = '\0';
	value.name[sizeof(value.name) - 1] = '\0';
	snprintf(name, size, "%s", value.name);
}

int instance_read_vip_state(const struct instance_maps *maps, __u32 index,
			    struct instance_vip_state *state)
{
	memset(state, 0, sizeof(*state));
	if (maps->vip_state < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(maps->vip_state, &index, state) ? -errno : 0;
}

/* Read, change one part, write back: the daemon is the one writer. */
static int write_vip_state(const struct instance_maps *maps, __u32 index, const __u64 *fingerprint,
			   const bool *announced)
{
	struct instance_vip_state state;
	int result = instance_read_vip_state(maps, index, &state);

	if (result)
		return result;
	if (fingerprint)
		state.fingerprint = *fingerprint;
	if (announced)
		state.flags = *announced ? state.flags | INSTANCE_VIP_F_ANNOUNCED
					 : state.flags & ~INSTANCE_VIP_F_ANNOUNCED;
	return bpf_map_update_elem(maps->vip_state, &index, &state, BPF_ANY) ? -errno : 0;
}

int instance_write_vip_fingerprint(const struct instance_maps *maps, __u32 index, __u64 fingerprint)
{
	return write_vip_state(maps, index, &fingerprint, NULL);
}

int instance_write_vip_announced(const struct instance_maps *maps, __u32 index, bool announced)
{
	return write_vip_state(maps, index, NULL, &announced);
}

const char *instance_role_name(enum l3dsr_role role)
{
	return role == ROLE_LB ? "lb" : "backend";
}

const char *instance_mode_name(enum xdp_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_GENERIC:
		return "generic";
	case XDP_MODE_AUTO:
		break;
	}
	return "auto";
}

const char *instance_flow_hash_name(__u32 settings_flags)
{
	return settings_flags & LB_SETTINGS_F_HASH_MIX64 ? "mix64" : "lookup3";
}
