/*
 * reexec.c: the daemon's own binary: whether the file it was started from has been replaced, and
 * executing the new one in the same process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/daemon/reexec.h"

#define DELETED_SUFFIX " (deleted)"

int reexec_init(struct reexec *self, int argc, char **argv)
{
	struct stat running;
	ssize_t length;

	memset(self, 0, sizeof(*self));
	self->argc = argc;
	self->argv = argv;
	length = readlink("/proc/self/exe", self->path, sizeof(self->path) - 1);
	if (length < 0)
		return -errno;
	self->path[length] = '\0';
	/* Replaced between the exec and here: the path is still where the binary is installed. */
	if ((size_t)length > strlen(DELETED_SUFFIX) &&
	    !strcmp(self->path + length - strlen(DELETED_SUFFIX), DELETED_SUFFIX))
		self->path[length - strlen(DELETED_SUFFIX)] = '\0';
	if (stat("/proc/self/exe", &running))
		return -errno;
	self->device = running.st_dev;
	self->inode = running.st_ino;
	return 0;
}

int reexec_binary_replaced(const struct reexec *self)
{
	struct stat on_disk;

	if (!self->path[0])
		return -ENOENT;
	if (stat(self->path, &on_disk))
		return -errno;
	/* A package manager writes a new file and renames it over the old one: a new inode. */
	return on_disk.st_dev != self->device || on_disk.st_ino != self->inode;
}

int reexec_now(const struct reexec *self)
{
	char **argv = calloc((size_t)self->argc + 2, sizeof(*argv));
	int count = 0;

	if (!argv)
		return -ENOMEM;
	for (int i = 0; i < self->argc; i++)
		if (strcmp(self->argv[i], REEXEC_OPTION))
			argv[count++] = self->argv[i];
	argv[count++] = (char *)REEXEC_OPTION;
	argv[count] = NULL;
	execv(self->path, argv);
	free(argv);
	return -errno;
}
