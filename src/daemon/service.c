/*
 * service.c: the one XDP instance a daemon runs on its interface: load the object, fill the
 * maps, attach or adopt, reload in place, detach and unpin.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/daemon/attach.h"
#include "src/daemon/forwarding.h"
#include "src/lb/flow_carry.h"
#include "src/common/log.h"
#include "src/common/maps.h"
#include "src/lb/lb_marks.h"
#include "src/status/metrics.h"
#include "src/daemon/notify.h"
#include "src/common/pins.h"
#include "src/daemon/service.h"

/* One log line per line of the parser's report, at the priority its severity deserves. */
static void log_config_line(void *context, bool warning, const char *line)
{
	(void)context;
	log_message(warning ? LOG_PRIORITY_WARNING : LOG_PRIORITY_ERROR, "%s", line);
}

int service_parse_config(const char *path, enum l3dsr_role role, struct l3dsr_config *config)
{
	return config_parse_reported(path, role, config, log_config_line, NULL);
}

/*
 * Whether BACKEND of VIP counts as up: the health checks answer once they run, before that the
 * pinned records of an adopted instance do, and a backend neither knows is up. IN_TABLE: whether
 * it keeps its slots (fail-open included); else the checks' own verdict.
 */
static bool service_backend_state(const struct service *service, const struct vip_config *vip,
				  const struct backend_config *backend, bool in_table)
{
	const struct instance_backend_health *record;

	if (service->checks_started)
		return in_table ? health_in_table(&service->health, vip, backend)
				: health_up(&service->health, vip, backend);
	record = health_memory_find(&service->health_memory, vip, backend);
	return !record ||
	       (record->flags & (in_table ? INSTANCE_HEALTH_F_IN_TABLE : INSTANCE_HEALTH_F_UP));
}

/* What the rings ask: fail-open included. */
static bool service_backend_up(void *context, const struct vip_config *vip,
			       const struct backend_config *backend)
{
	return service_backend_state(context, vip, backend, true);
}

/* lb: what the pinned records say of the backends' health, before the maps are filled. */
static void recall_health(struct service *service)
{
	int backends, result;

	if (service->role != ROLE_LB)
		return;
	backends = loader_map_fd(&service->object, "backends");
	if (backends < 0)
		return;
	result = health_memory_read(&service->health_memory, backends, &service->instance);
	if (result)
		log_errno(LOG_PRIORITY_WARNING, result,
			  "cannot read the pinned health records (every backend is presumed up)");
	else if (service->health_memory.count)
		log_info("health checks: starting from the state the pinned records keep for %zu "
			 "backend%s",
			 service->health_memory.count,
			 service->health_memory.count == 1 ? "" : "s");
}

/* What the announcement asks: the checks' own verdict, fail-open aside (a VIP kept balancing
 * over down backends is not one to attract traffic to). */
static bool service_backend_checked_up(void *context, const struct vip_config *vip,
				       const struct backend_config *backend)
{
	return service_backend_state(context, vip, backend, false);
}

static void write_statistics(struct service *service);

static uint64_t now_ns(clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
}

static int load_object(const struct service *service, const struct l3dsr_config *config,
		       struct loaded_object *object)
{
	struct loader_map_size sizes[] = {{"flows", config->flow_table_size}};
	bool lb = service->role == ROLE_LB;

	return loader_load(service->object_path, lb ? "l3dsr_lb" : "l3dsr_backend",
			   service->pin_dir, sizes, lb ? 1 : 0, object);
}

/* Points the map handles at OBJECT's maps and brings them to CONFIG. */
static int fill_maps(struct service *service, const struct loaded_object *object,
		     const struct l3dsr_config *config)
{
	int result;

	if (service->role == ROLE_LB) {
		result = lb_maps_find(object, &service->instance, &service->lb);
		if (!result)
			result = lb_maps_apply(&service->lb, config, service_backend_up, service,
					       &service->lb_summary);
		return result;
	}
	result = backend_maps_find(object, &service->instance, &service->backend);
	if (!result)
		result = backend_maps_apply(&service->backend, config);
	if (!result)
		result = backend_maps_refresh_addresses(&service->backend, service->ifname,
							&service->local_address_count);
	return result;
}

/* Copies TEXT into a fixed field, cut to fit: these fields are for display only. */
static void copy_text(char *field, size_t size, const char *text)
{
	size_t length = strnlen(text, size - 1);

	memcpy(field, text, length);
	field[length] = '\0';
}

static void write_info(const struct service *service)
{
	struct instance_info info = {
	    .version = INSTANCE_INFO_VERSION,
	    .role = service->role,
	    .xdp_mode = service->mode,
	    .ifindex = service->ifindex,
	    .pid = getpid(),
	    .started_realtime_ns = service->started_realtime_ns,
	};
	char *config_path = realpath(service->config_path, NULL);
	char *object_path = realpath(service->object_path, NULL);
	int result;

	copy_text(info.ifname, sizeof(info.ifname), service->ifname);
	copy_text(info.config_path, sizeof(info.config_path),
		  config_path ? config_path : service->config_path);
	copy_text(info.object_path, sizeof(info.object_path),
		  object_path ? object_path : service->object_path);
	free(config_path);
	free(object_path);
	result = instance_write_info(&service->instance, &info);
	if (result)
		log_errno(LOG_PRIORITY_WARNING, result, "cannot record this instance for l3dsrctl");
}

static __u32 program_id(const struct loaded_object *object)
{
	struct bpf_prog_info info = {0};
	__u32 length = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(object->program), &info, &length))
		return 0;
	return info.id;
}

/* The families the load balancer's VIPs use, for the forwarding check. */
static void vip_families(const struct l3dsr_config *config, bool *ipv4, bool *ipv6)
{
	*ipv4 = *ipv6 = false;
	for (size_t i = 0; i < config->vip_count; i++) {
		*ipv4 |= config->vips[i].address.family == AF_INET;
		*ipv6 |= config->vips[i].address.family == AF_INET6;
	}
}

int service_start(struct service *service)
{
	char link_path[PATH_MAX];
	bool ipv4, ipv6, adopted = false;
	__u32 link_id, old_program = 0;
	int link_fd = -1, result;

	service->link_fd = service->pin_lock_fd = -1;
	service->instance.info = service->instance.vip_names = -1;
	service->instance.backend_weights = service->instance.backend_health = -1;
	service->instance.vip_state = -1;
	memset(&service->object, 0, sizeof(service->object));
	vip_families(&service->config, &ipv4, &ipv6);
	if (service->role == ROLE_LB && !forwarding_check(service->ifname, ipv4, ipv6))
		return -EINVAL;
	result = pins_prepare(service->pin_dir);
	if (result)
		return result;
	service->pin_lock_fd = pins_lock(service->pin_dir);
	if (service->pin_lock_fd < 0)
		return service->pin_lock_fd;
	result = pins_path(link_path, sizeof(link_path), service->pin_dir, PINS_LINK);
	if (result)
		goto out;

	/* A pinned link means an earlier daemon died without stopping: its program still
	 * forwards (fail-static), and we take over its maps and swap the program in place. */
	link_fd = attach_adopt(link_path, service->ifindex);
	if (link_fd < 0 && link_fd != -ENOENT && link_fd != -ESTALE) {
		result = link_fd;
		goto out;
	}
	adopted = link_fd >= 0;
	result = load_object(service, &service->config, &service->object);
	if (!result)
		result = instance_maps_create(service->pin_dir, service->role, &service->instance);
	if (!result)
		recall_health(service);
	if (!result)
		result = fill_maps(service, &service->object, &service->config);
	if (result)
		goto out;
	if (adopted) {
		attach_ids(link_fd, &link_id, &old_program);
		result = attach_replace(link_fd, bpf_program__fd(service->object.program));
		if (result)
			goto out;
		service->mode = attach_mode_in_effect(service->ifindex);
		log_info("adopted the pinned link %u on %s (%s): program id %u replaced by %u",
			 link_id, service->ifname, instance_mode_name(service->mode), old_program,
			 program_id(&service->object));
		if (service->config.xdp_mode != XDP_MODE_AUTO &&
		    service->config.xdp_mode != service->mode)
			log_warning("xdp-mode is %s but the adopted link runs in %s mode; stop and "
				    "start l3dsrd to change it",
				    instance_mode_name(service->config.xdp_mode),
				    instance_mode_name(service->mode));
	} else {
		link_fd = attach_program(bpf_program__fd(service->object.program), service->ifindex,
					 service->ifname, service->config.xdp_mode, &service->mode);
		if (link_fd < 0) {
			result = link_fd;
			goto out;
		}
		result = attach_pin(link_fd, link_path);
		if (result) {
			attach_detach(link_fd);
			goto out;
		}
		log_info("attached to %s in %s mode: program id %u", service->ifname,
			 instance_mode_name(service->mode), program_id(&service->object));
	}
	service->link_fd = link_fd;
	loader_pin_replaced(&service->object, service->pin_dir);
	service->started_realtime_ns = now_ns(CLOCK_REALTIME);
	write_info(service);
	service->last_sample_ns = 0;
	/* Serving from here on: the VIPs become the kernel's own and are announced. An
	 * adopted instance's routes are read back and kept as they are wanted. */
	if (service->role == ROLE_LB)
		announce_open(&service->announce);
	service_tick(service);
	return 0;
out:
	if (link_fd >= 0)
		close(link_fd);
	health_memory_free(&service->health_memory);
	loader_close(&service->object);
	instance_maps_close(&service->instance);
	/* Nothing of ours forwards: leave nothing behind. An adopted instance keeps its pins,
	 * and with them its program on the interface. */
	if (!adopted)
		pins_remove(service->pin_dir);
	close(service->pin_lock_fd);
	service->pin_lock_fd = -1;
	return result;
}

/* lb: the next hops follow the maps and the interface in use now (after a reload, whose maps may
 * be new ones, and after the interface was created again, with a new ifindex). */
static void service_use_next_hops(struct service *service)
{
	if (service->next_hops)
		next_hops_use(service->next_hops, service->lb.backends,
			      loader_map_fd(&service->object, "next_hops"), service->ifindex);
}

/* After a failed reload step: the maps go back to the configuration in force. */
static void roll_back(struct service *service)
{
	struct log_scope scope;

	log_scope_open(&scope,
		       "reload: could not restore the previous configuration in the maps either",
		       NULL);
	log_scope_close(&scope, fill_maps(service, &service->object, &service->config));
}

/* lb: when FRESH has a flows map of its own (a new size), it starts with the old one's flows. */
static void carry_flows(const struct service *service, const struct loaded_object *fresh)
{
	int old_flows, new_flows, result;
	struct flow_carry_result carried;
	struct bpf_map_info old_info = {0}, new_info = {0};
	__u32 length = sizeof(old_info);

	if (service->role != ROLE_LB)
		return;
	old_flows = loader_map_fd(&service->object, "flows");
	new_flows = loader_map_fd(fresh, "flows");
	if (old_flows < 0 || new_flows < 0 || bpf_obj_get_info_by_fd(old_flows, &old_info, &length))
		return;
	length = sizeof(new_info);
	if (bpf_obj_get_info_by_fd(new_flows, &new_info, &length) || old_info.id == new_info.id)
		return;
	if (old_info.key_size != new_info.key_size || old_info.value_size != new_info.value_size) {
		log_warning("the new flow table has another layout; it starts empty");
		return;
	}
	result = flow_carry_over(old_flows, new_flows, &carried);
	if (result)
		log_errno(
		    LOG_PRIORITY_WARNING, result,
		    "flow table: %zu of %zu remembered flows carried over to the new table of %u",
		    carried.copied, carried.found, new_info.max_entries);
	else
		log_info("flow table: %zu of %zu remembered flows carried over to the new table of "
			 "%u",
			 carried.copied, carried.found, new_info.max_entries);
}

/* The new object (or a map of a new size): load it with the maps, fill, swap the program. */
static int replace_program(struct service *service, const struct l3dsr_config *next,
			   const char *reason)
{
	struct loaded_object fresh;
	__u32 link_id, old_program;
	int result = load_object(service, next, &fresh);

	if (result)
		return result;
	attach_ids(service->link_fd, &link_id, &old_program);
	result = fill_maps(service, &fresh, next);
	if (!result) {
		/* Before the swap: the old program's last new flows go through the ring. */
		carry_flows(service, &fresh);
		result = attach_replace(service->link_fd, bpf_program__fd(fresh.program));
	}
	if (result) {
		loader_close(&fresh);
		roll_back(service);
		return result;
	}
	log_info("program id %u replaced by %u on link %u (%s)", old_program, program_id(&fresh),
		 link_id, reason);
	loader_close(&service->object);
	service->object = fresh;
	return 0;
}

/*
 * The configuration a reload would apply, into NEXT. From where it parses, REFUSED is open:
 * whatever fails says why in the one line that says the reload is refused. Returns 0 (the
 * caller closes REFUSED and frees NEXT) or -EINVAL (logged, NEXT freed, REFUSED closed).
 */
static int read_next(const struct service *service, struct l3dsr_config *next,
		     struct log_scope *refused)
{
	bool ipv4, ipv6;
	int errors;

	log_info("reloading %s", service->config_path);
	errors = service_parse_config(service->config_path, service->role, next);
	if (errors) {
		log_error("reload refused: %d error%s in %s; the running configuration stays",
			  errors, errors == 1 ? "" : "s", service->config_path);
		config_free(next);
		return -EINVAL;
	}
	log_scope_open(refused, "reload refused", "the running configuration stays");
	vip_families(next, &ipv4, &ipv6);
	if (service->role == ROLE_LB && !forwarding_check(service->ifname, ipv4, ipv6)) {
		config_free(next);
		return log_scope_close(refused, -EINVAL);
	}
	return 0;
}

int service_check_reload(const struct service *service)
{
	struct l3dsr_config next;
	struct log_scope refused;
	int result = read_next(service, &next, &refused);

	if (!result) {
		log_scope_close(&refused, 0);
		config_free(&next);
	}
	return result;
}

int service_reload(struct service *service)
{
	struct l3dsr_config next;
	const char *reason = NULL;
	struct log_scope refused;
	int result = read_next(service, &next, &refused);

	if (result)
		return result;
	if (next.xdp_mode != XDP_MODE_AUTO && next.xdp_mode != service->mode)
		log_warning("xdp-mode %s takes effect only when l3dsrd is stopped and started; it "
			    "stays %s",
			    instance_mode_name(next.xdp_mode), instance_mode_name(service->mode));

	result = loader_file_changed(&service->object);
	if (result < 0) {
		config_free(&next);
		return log_scope_close(&refused, log_errno(LOG_PRIORITY_ERROR, result,
							   "cannot read %s", service->object_path));
	}
	if (result)
		reason = "the object file changed";
	else if (service->role == ROLE_LB &&
		 loader_map_size_differs(&service->object, "flows", next.flow_table_size))
		reason = "flow-table-size changed";

	if (reason) {
		result = replace_program(service, &next, reason);
	} else {
		result = fill_maps(service, &service->object, &next);
		if (result)
			roll_back(service);
	}
	log_scope_close(&refused, result);
	/* Applied or rolled back, the backends may have changed and the maps may be new ones. */
	service_use_next_hops(service);
	if (result) {
		config_free(&next);
		return result;
	}
	/* Not part of the refusal: the new program runs whether its maps' pins move or not. */
	loader_pin_replaced(&service->object, service->pin_dir);
	config_free(&service->config);
	service->config = next;
	write_info(service);
	log_info("reload applied: %zu VIPs", service->config.vip_count);
	if (service->checks_started) {
		/* The backends that stay keep their state; the new ones are presumed up, as the
		 * maps were just filled. */
		health_configure(&service->health, &service->config);
		health_refresh_ids(&service->health, service->lb.backends, &service->instance);
	}
	service_announce(service);
	write_statistics(service);
	return 0;
}

void service_announce(struct service *service)
{
	/* Gone with its interface, the program forwards nothing: nothing to attract traffic to. */
	enum announce_mode mode =
	    service->stopping || service->interface_gone ? ANNOUNCE_WITHDRAW : ANNOUNCE_SERVE;

	if (service->role != ROLE_LB || service->link_fd < 0)
		return;
	/* A socket that could not be opened at start is tried again at each tick. */
	if (!service->announce.open && announce_open(&service->announce))
		return;
	announce_apply(&service->announce, &service->config, mode, service_backend_checked_up,
		       service);
	for (size_t i = 0; i < service->config.vip_count; i++) {
		const struct vip_config *vip = &service->config.vips[i];
		uint32_t index;

		if (!lb_maps_vip_index(&service->lb, vip, &index))
			instance_write_vip_announced(
			    &service->instance, index,
			    announce_is_announced(&service->announce, &vip->address));
	}
}

void service_withdraw(struct service *service)
{
	service->stopping = true;
	service_announce(service);
}

/*
 * What follows the kernel and the backends ends with this daemon, whether it detaches or leaves
 * the program to the next one: the next hops are set not live (nobody would follow them; the
 * next daemon resolves them again, the program asks the FIB meanwhile), the checks end.
 */
static void end_following(struct service *service)
{
	next_hops_stop(service->next_hops, true);
	service->next_hops = NULL;
	if (service->checks_started) {
		health_free(&service->health);
		service->checks_started = false;
	}
	health_memory_free(&service->health_memory);
}

int service_stop(struct service *service)
{
	int result = 0;

	end_following(service);
	/* The instance is gone: its numbers must not be collected as if it were there. */
	if (service->statistics_file[0] && unlink(service->statistics_file) && errno != ENOENT)
		log_errno(LOG_PRIORITY_WARNING, errno, "cannot remove %s",
			  service->statistics_file);
	service->statistics_file[0] = '\0';

	if (service->link_fd >= 0) {
		result = attach_detach(service->link_fd);
		close(service->link_fd);
		service->link_fd = -1;
	}
	/* Nothing forwards any more: the VIPs stop being this host's own. */
	if (service->announce.open)
		announce_apply(&service->announce, &service->config, ANNOUNCE_RELEASE, NULL, NULL);
	announce_close(&service->announce);
	loader_close(&service->object);
	instance_maps_close(&service->instance);
	if (pins_remove(service->pin_dir) && !result)
		result = -EIO;
	close(service->pin_lock_fd);
	service->pin_lock_fd = -1;
	if (!result)
		log_info("detached from %s; pins in %s removed", service->ifname, service->pin_dir);
	return result;
}

/* The interface is back as IFINDEX: the program goes on it with a new link, pinned in place of
 * the one the kernel emptied; maps, flows and counters are the same. */
static int reattach(struct service *service, int ifindex)
{
	char link_path[PATH_MAX];
	enum xdp_mode mode;
	__u32 link_id, program;
	bool ipv4, ipv6;
	int link_fd, result;

	/* A new device starts with the namespace's default forwarding setting. */
	vip_families(&service->config, &ipv4, &ipv6);
	if (service->role == ROLE_LB)
		forwarding_check(service->ifname, ipv4, ipv6);
	result = pins_path(link_path, sizeof(link_path), service->pin_dir, PINS_LINK);
	if (result)
		return result;
	link_fd = attach_program(bpf_program__fd(service->object.program), ifindex, service->ifname,
				 service->config.xdp_mode, &mode);
	if (link_fd < 0)
		return link_fd;
	/* The old pin names a link without an interface: nothing adopts it any more. */
	if (unlink(link_path) && errno != ENOENT)
		result = log_errno(LOG_PRIORITY_ERROR, errno, "cannot remove the old link pin %s",
				   link_path);
	if (!result)
		result = attach_pin(link_fd, link_path);
	if (result) {
		attach_detach(link_fd);
		close(link_fd);
		return result;
	}
	close(service->link_fd);
	service->link_fd = link_fd;
	service->ifindex = ifindex;
	service->mode = mode;
	write_info(service);
	attach_ids(link_fd, &link_id, &program);
	log_info("interface %s is back (ifindex %d): program id %u attached again in %s mode (link "
		 "%u)",
		 service->ifname, ifindex, program, instance_mode_name(mode), link_id);
	return 0;
}

bool service_check_interface(struct service *service)
{
	bool was_gone = service->interface_gone;
	int ifindex;

	/* Up or down, the link keeps the program while the interface exists. */
	if (service->link_fd < 0 || attach_link_ifindex(service->link_fd) != 0)
		return false;
	if (!service->interface_gone)
		log_warning(
		    "interface %s is gone, and its XDP program with it; l3dsrd attaches the "
		    "program again when an interface of that name is back",
		    service->ifname);
	service->interface_gone = true;
	ifindex = (int)if_nametoindex(service->ifname);
	/* Failed: said by attach; the next event or tick tries again. */
	if (ifindex > 0 && reattach(service, ifindex) == 0) {
		service->interface_gone = false;
		service_use_next_hops(service);
	}
	if (service->interface_gone == was_gone)
		return false;
	/* lb: withdrawn while nothing forwards the VIPs, announced again once the program does. */
	service_announce(service);
	return true;
}

void service_leave(struct service *service)
{
	end_following(service);
	/* The statistics file stays too: its numbers go on, the next daemon rewrites it. */
	if (service->link_fd >= 0) {
		close(service->link_fd);
		service->link_fd = -1;
	}
	/* The VIP routes stay as well: the next daemon owns and announces them as they are. */
	announce_close(&service->announce);
	loader_close(&service->object);
	instance_maps_close(&service->instance);
	close(service->pin_lock_fd);
	service->pin_lock_fd = -1;
	log_info("left the program attached to %s with its pins in %s for the next l3dsrd",
		 service->ifname, service->pin_dir);
}

/*
 * The statistics file (statistics-file), rewritten whole; a path given up on reload goes. The
 * load balancer's waits for the health checks (its file holds their state); a backend's is
 * written from the start.
 */
static void write_statistics(struct service *service)
{
	const char *path = service->config.statistics_file;
	struct metrics_source source = {
	    .role = service->role,
	    .ifname = service->ifname,
	    .health = &service->health,
	    .maps =
		{
		    .counters = loader_map_fd(&service->object, "counters"),
		    .vip_traffic = service->lb.vip_traffic,
		    .backend_traffic = service->lb.backend_traffic,
		    .instance = &service->instance,
		},
	    .pin_dir = service->pin_dir,
	};
	int result;

	if (service->role == ROLE_LB && !service->checks_started)
		return;
	if (service->statistics_file[0] && strcmp(service->statistics_file, path) &&
	    unlink(service->statistics_file) && errno != ENOENT)
		log_errno(LOG_PRIORITY_WARNING, errno, "cannot remove %s",
			  service->statistics_file);
	snprintf(service->statistics_file, sizeof(service->statistics_file), "%s", path);
	if (!path[0])
		return;
	result = metrics_write(path, &source);
	/* Said once until it works again, not every few seconds. */
	if (result && !service->statistics_failed)
		log_errno(LOG_PRIORITY_WARNING, result, "cannot write %s", path);
	service->statistics_failed = result != 0;
}

/* Backends changed state: when some entered or left a table the maps follow (and the records
 * their ids); STATUS= says the new count at once. */
static void service_apply_health(void *context, bool tables)
{
	struct service *service = context;
	char status[256];

	if (tables || service->apply_pending) {
		struct log_scope scope;
		int result;

		log_scope_open(&scope,
			       "health checks: the tables could not follow a backend's state",
			       "trying again at the next tick");
		result = lb_maps_apply(&service->lb, &service->config, service_backend_up, service,
				       &service->lb_summary);
		service->apply_pending = log_scope_close(&scope, result) != 0;
		health_refresh_ids(&service->health, service->lb.backends, &service->instance);
		next_hops_backends_changed(service->next_hops);
	}
	/* A VIP whose last backend went down is withdrawn now, not at the next tick. */
	service_announce(service);
	service_status(service, status, sizeof(status));
	notify_status(status);
}

int service_start_checks(struct service *service, sd_event *event)
{
	int probes, result;

	if (service->role != ROLE_LB)
		return 0;
	probes = loader_map_fd(&service->object, "probes");
	if (probes < 0)
		return -ENOENT;
	result = health_init(&service->health, event, service->ifname, probes,
			     service->instance.backend_health, service_apply_health, service);
	if (result)
		return result;
	service->checks_started = true;
	health_remember(&service->health, &service->health_memory);
	result = health_configure(&service->health, &service->config);
	health_remember(&service->health, NULL);
	health_memory_free(&service->health_memory);
	health_refresh_ids(&service->health, service->lb.backends, &service->instance);
	write_statistics(service);
	return result;
}

void service_start_next_hops(struct service *service, sd_event *event)
{
	if (service->role != ROLE_LB)
		return;
	int result =
	    next_hops_start(&service->next_hops, service->lb.backends,
			    loader_map_fd(&service->object, "next_hops"), service->ifindex, event);

	if (result)
		log_errno(LOG_PRIORITY_WARNING, result,
			  "cannot follow the backends' next hops; every packet asks the kernel's "
			  "FIB");
}

void service_tick(struct service *service)
{
	int vip_traffic =
	    service->role == ROLE_LB ? service->lb.vip_traffic : service->backend.vip_traffic;
	struct traffic_counter *sums = calloc(L3DSR_MAX_VIPS, sizeof(*sums));
	uint64_t packets = 0, now = now_ns(CLOCK_MONOTONIC);

	/* Link events say it at once; this catches what they could not (events lost). */
	service_check_interface(service);
	if (service->role == ROLE_BACKEND)
		backend_maps_refresh_addresses(&service->backend, service->ifname,
					       &service->local_address_count);
	else
		lb_marks_retire(&service->lb, service->config.flow_change_retention_ms,
				lb_marks_now_ns());
	if (service->checks_started) {
		health_tick(&service->health);
		if (service->apply_pending)
			service_apply_health(service, true);
	}
	service_announce(service);
	/* The LB's file holds the checks' view too: written once they run. */
	if (service->checks_started || service->role == ROLE_BACKEND)
		write_statistics(service);
	if (!sums || (service->role == ROLE_LB
			  ? maps_read_vip_traffic(
				vip_traffic, service->lb.backend_traffic, service->lb.backends,
				maps_max_entries(service->lb.backends), L3DSR_MAX_VIPS, sums)
			  : maps_read_traffic(vip_traffic, L3DSR_MAX_VIPS, sums))) {
		free(sums);
		return;
	}
	for (size_t i = 0; i < L3DSR_MAX_VIPS; i++)
		packets += sums[i].packets;
	free(sums);
	if (service->last_sample_ns && now > service->last_sample_ns &&
	    packets >= service->last_packets)
		service->packets_per_second = (double)(packets - service->last_packets) * 1e9 /
					      (double)(now - service->last_sample_ns);
	service->last_packets = packets;
	service->last_sample_ns = now;
}

static void format_rate(double per_second, char *text, size_t size)
{
	if (per_second >= 1e6)
		snprintf(text, size, "%.1f Mpps", per_second / 1e6);
	else if (per_second >= 1e3)
		snprintf(text, size, "%.1f kpps", per_second / 1e3);
	else
		snprintf(text, size, "%.0f pps", per_second);
}

/* "2/3 addresses announced", "drained, 0/3 addresses announced", "stopping, ..." */
static void format_announced(const struct service *service, char *text, size_t size)
{
	const struct announce *announce = &service->announce;

	snprintf(text, size, "%s%zu/%zu VIP address%s announced",
		 service->stopping	 ? "stopping, "
		 : service->config.drain ? "drained, "
					 : "",
		 announce->announced_count, announce->address_count,
		 announce->address_count == 1 ? "" : "es");
}

void service_status(const struct service *service, char *text, size_t size)
{
	char rate[32], announced[96];

	if (service->interface_gone) {
		snprintf(text, size,
			 "%s on %s: interface gone; its program is attached again when it is back",
			 instance_role_name(service->role), service->ifname);
		return;
	}
	format_rate(service->packets_per_second, rate, sizeof(rate));
	format_announced(service, announced, sizeof(announced));
	if (service->role == ROLE_LB && service->checks_started) {
		struct health_summary summary;

		health_summarize(&service->health, &summary);
		snprintf(text, size, "lb on %s (%s): %zu VIP%s, %s, %zu/%zu backends up%s%s, %s",
			 service->ifname, instance_mode_name(service->mode),
			 service->lb_summary.vips, service->lb_summary.vips == 1 ? "" : "s",
			 announced, summary.backends_up, summary.backends,
			 summary.fail_open_vips ? ", fail-open: " : "", summary.fail_open_names,
			 rate);
	} else if (service->role == ROLE_LB)
		snprintf(text, size, "lb on %s (%s): %zu VIP%s, %s, %zu/%zu backends up, %s",
			 service->ifname, instance_mode_name(service->mode),
			 service->lb_summary.vips, service->lb_summary.vips == 1 ? "" : "s",
			 announced, service->lb_summary.backends_up, service->lb_summary.backends,
			 rate);
	else
		snprintf(text, size, "backend on %s (%s): %zu VIP%s, %zu local address%s, %s",
			 service->ifname, instance_mode_name(service->mode),
			 service->config.vip_count, service->config.vip_count == 1 ? "" : "s",
			 service->local_address_count,
			 service->local_address_count == 1 ? "" : "es", rate);
}
