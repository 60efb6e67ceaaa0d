/* pins.c: an instance's pin directory on a bpf filesystem: create it (mounting bpffs), lock,
 * remove. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/pins.h"

int pins_path(char *path, size_t size, const char *dir, const char *name)
{
	int length = snprintf(path, size, "%s/%s", dir, name);

	return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}

bool pins_exist(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return pins_path(path, sizeof(path), dir, name) == 0 && access(path, F_OK) == 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs filesystem;

	return statfs(path, &filesystem) == 0 && filesystem.f_type == BPF_FS_MAGIC;
}

/* systemd mounts bpffs at /sys/fs/bpf, but a plain netns or container may not have it. */
static int mount_bpffs_if_missing(const char *existing_parent)
{
	if (is_bpffs(existing_parent) || strcmp(existing_parent, PINS_BPFFS_MOUNT) != 0)
		return 0;
	if (mount("bpf", PINS_BPFFS_MOUNT, "bpf", 0, "mode=0700") != 0)
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot mount a bpf filesystem on %s",
				 PINS_BPFFS_MOUNT);
	log_info("mounted a bpf filesystem on %s", PINS_BPFFS_MOUNT);
	return 0;
}

int pins_prepare(const char *dir)
{
	char path[PATH_MAX];
	size_t length = strlen(dir);
	char *slash;

	if (length == 0 || length >= sizeof(path)) {
		log_error("pin directory '%s': bad path", dir);
		return -EINVAL;
	}
	memcpy(path, dir, length + 1);
	while (length > 1 && path[length - 1] == '/')
		path[--length] = '\0';

	/* Find the nearest existing ancestor: that is where the filesystem is decided. */
	char existing[PATH_MAX];
	memcpy(existing, path, length + 1);
	while (access(existing, F_OK) != 0) {
		slash = strrchr(existing, '/');
		if (!slash || slash == existing) {
			strcpy(existing, "/");
			break;
		}
		*slash = '\0';
	}
	int result = mount_bpffs_if_missing(existing);
	if (result)
		return result;
	if (!is_bpffs(existing)) {
		log_error("pin directory %s: %s is not on a bpf filesystem (mount one with "
			  "'mount -t bpf bpf DIR')",
			  dir, existing);
		return -ENOTSUP;
	}

	/* mkdir -p, one component at a time below the existing ancestor. */
	for (char *cursor = path + strlen(existing) + 1; cursor <= path + length; cursor++) {
		if (*cursor != '/' && *cursor != '\0')
			continue;
		char saved = *cursor;
		*cursor = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return log_errno(LOG_PRIORITY_ERROR, errno,
					 "cannot create pin directory %s", path);
		*cursor = saved;
	}
	return 0;
}

int pins_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot open pin directory %s", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int error = errno;

		close(fd);
		if (error != EWOULDBLOCK)
			return log_errno(LOG_PRIORITY_ERROR, error, "cannot lock pin directory %s",
					 dir);
		log_error("pin directory %s is in use by another l3dsrd", dir);
		return -error;
	}
	return fd;
}

int pins_remove(const char *dir)
{
	DIR *listing = opendir(dir);
	struct dirent *entry;
	char path[PATH_MAX];
	int result = 0;

	if (!listing) {
		if (errno == ENOENT)
			return 0;
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot read pin directory %s", dir);
	}
	while ((entry = readdir(listing))) {
		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		int error = pins_path(path, sizeof(path), dir, entry->d_name);

		if (!error && unlink(path) != 0)
			error = -errno;
		if (error) {
			log_errno(LOG_PRIORITY_ERROR, error, "cannot remove pin %s/%s", dir,
				  entry->d_name);
			if (!result)
				result = error;
		}
	}
	closedir(listing);
	if (rmdir(dir) != 0 && !result)
		result =
		    log_errno(LOG_PRIORITY_ERROR, errno, "cannot remove pin directory %s", dir);
	/* The shared default parent goes too, but only when no other instance lives in it. */
	size_t root_length = strlen(PINS_DEFAULT_ROOT);
	if (!strncmp(dir, PINS_DEFAULT_ROOT "/", root_length + 1) &&
	    !strchr(dir + root_length + 1, '/'))
		rmdir(PINS_DEFAULT_ROOT);
	return result;
}
