/*
 * attach.c: the bpf_link that holds an XDP program on an interface: create it in the mode asked
 * for, pin it, adopt a pinned one after a restart, swap its program atomically, detach it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "src/daemon/attach.h"
#include "src/common/instance.h"
#include "src/common/log.h"

static int link_create(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, options, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &options);

	return fd < 0 ? -errno : fd;
}

/* When the interface is busy, say with what: an operator's first question. */
static void log_busy(int ifindex, const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	if (bpf_xdp_query(ifindex, 0, &query) == 0 && query.prog_id)
		log_error("interface %s already runs XDP program id %u attached by something else "
			  "(see 'ip -d link show %s'); detach it first",
			  ifname, query.prog_id, ifname);
	else
		log_error("interface %s already has an XDP program attached", ifname);
}

int attach_program(int prog_fd, int ifindex, const char *ifname, enum xdp_mode mode,
		   enum xdp_mode *effective)
{
	int fd;

	if (mode == XDP_MODE_GENERIC) {
		fd = link_create(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
		*effective = XDP_MODE_GENERIC;
	} else {
		fd = link_create(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		*effective = XDP_MODE_NATIVE;
		if (fd < 0 && mode == XDP_MODE_AUTO && fd != -EBUSY && fd != -EEXIST) {
			log_warning(
			    "interface %s: native XDP failed (%s); using generic XDP, which "
			    "is much slower",
			    ifname, strerror(-fd));
			fd = link_create(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
			*effective = XDP_MODE_GENERIC;
		}
	}
	if (fd == -EBUSY || fd == -EEXIST)
		log_busy(ifindex, ifname);
	else if (fd < 0)
		log_errno(LOG_PRIORITY_ERROR, fd, "cannot attach to %s in %s mode", ifname,
			  instance_mode_name(*effective));
	return fd;
}

int attach_adopt(const char *path, int ifindex)
{
	struct bpf_link_info info = {0};
	__u32 length = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot open the pinned link %s", path);
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &length)) {
		int error = errno;

		close(fd);
		return log_errno(LOG_PRIORITY_ERROR, error, "cannot read the pinned link %s", path);
	}
	if (info.type != BPF_LINK_TYPE_XDP || (int)info.xdp.ifindex != ifindex) {
		/* Its interface is gone (ifindex 0) or was recreated: nothing left to adopt. */
		log_warning("the pinned link %s no longer holds this interface; attaching afresh",
			    path);
		close(fd);
		unlink(path);
		return -ESTALE;
	}
	return fd;
}

enum xdp_mode attach_mode_in_effect(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	if (bpf_xdp_query(ifindex, 0, &query) == 0 && query.attach_mode == XDP_ATTACHED_SKB)
		return XDP_MODE_GENERIC;
	return XDP_MODE_NATIVE;
}

int attach_replace(int link_fd, int prog_fd)
{
	if (bpf_link_update(link_fd, prog_fd, NULL))
		return log_errno(LOG_PRIORITY_ERROR, errno,
				 "cannot replace the program of the XDP link");
	return 0;
}

int attach_pin(int link_fd, const char *path)
{
	if (bpf_obj_pin(link_fd, path))
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot pin the XDP link at %s", path);
	return 0;
}

void attach_ids(int link_fd, __u32 *link_id, __u32 *program_id)
{
	struct bpf_link_info info = {0};
	__u32 length = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &length))
		info.id = info.prog_id = 0;
	*link_id = info.id;
	*program_id = info.prog_id;
}

int attach_link_ifindex(int link_fd)
{
	struct bpf_link_info info = {0};
	__u32 length = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &length))
		return -1;
	return (int)info.xdp.ifindex;
}

int attach_detach(int link_fd)
{
	if (bpf_link_detach(link_fd))
		return log_errno(LOG_PRIORITY_ERROR, errno, "cannot detach the XDP link");
	return 0;
}
