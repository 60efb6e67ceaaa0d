/* l3dsrd.c: the l3dsr daemon: command line, start-up, and the event loop (signals, timers). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "src/daemon/interface_lock.h"
#include "src/daemon/interface_watch.h"
#include "src/daemon/loader.h"
#include "src/common/log.h"
#include "src/daemon/notify.h"
#include "src/common/pins.h"
#include "src/daemon/reexec.h"
#include "src/daemon/restart_check.h"
#include "src/daemon/service.h"
#include "src/egress/egress.h"

/* Install locations; the Makefile passes its BPFDIR and SYSCONFDIR. */
#ifndef L3DSR_BPF_DIR
#define L3DSR_BPF_DIR "/usr/lib/l3dsr"
#endif
#ifndef L3DSR_CONFIG_DIR
#define L3DSR_CONFIG_DIR "/etc/l3dsr"
#endif

/* How long to wait for the interface at start: no udev .device dependency needed. */
#define INTERFACE_WAIT_SECONDS 30
/* How often STATUS= (and the backend's local addresses) are refreshed. */
#define STATUS_INTERVAL_USEC (5 * 1000000ULL)

struct options {
	enum l3dsr_role role;
	bool role_given;
	bool check;
	bool re_executed; /* REEXEC_OPTION: this image replaced an older one in this process */
	const char *ifname;
	const char *config_path;
	const char *bpf_dir;
	const char *pin_dir;
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: l3dsrd --role lb|backend --interface IFNAME [--config FILE] [--bpf-dir DIR]\n"
	    "              [--pin-dir DIR]\n"
	    "       l3dsrd --check --role lb|backend [--config FILE]\n"
	    "\n"
	    "  --role lb|backend   run the load balancer or the backend program\n"
	    "  --interface IFNAME  the interface to attach to (waited for up to %d s)\n"
	    "  --config FILE       default %s/ROLE.conf\n"
	    "  --bpf-dir DIR       where lb.bpf.o and backend.bpf.o are; default %s\n"
	    "  --pin-dir DIR       where link and maps are pinned; default %s/IFNAME\n"
	    "  --check             validate the configuration, print 'configuration OK' or the\n"
	    "                      errors, exit 0 or 1\n"
	    "  --help, --version\n"
	    "\n"
	    "Signals: SIGHUP reloads (configuration and object file in place; a replaced l3dsrd\n"
	    "binary is executed in place of the running one); SIGTERM withdraws the VIP routes,\n"
	    "forwards for stop-delay, then detaches and removes the pins, unless systemd is\n"
	    "restarting the unit (then everything stays for the next l3dsrd). See l3dsrd(8).\n",
	    INTERFACE_WAIT_SECONDS, L3DSR_CONFIG_DIR, L3DSR_BPF_DIR, PINS_DEFAULT_ROOT);
}

static int parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
	    {"role", required_argument, NULL, 'r'},
	    {"interface", required_argument, NULL, 'i'},
	    {"config", required_argument, NULL, 'c'},
	    {"bpf-dir", required_argument, NULL, 'b'},
	    {"pin-dir", required_argument, NULL, 'p'},
	    {"check", no_argument, NULL, 'C'},
	    {REEXEC_OPTION + 2, no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int option;

	memset(options, 0, sizeof(*options));
	options->bpf_dir = L3DSR_BPF_DIR;
	while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (option) {
		case 'r':
			if (!strcmp(optarg, "lb"))
				options->role = ROLE_LB;
			else if (!strcmp(optarg, "backend"))
				options->role = ROLE_BACKEND;
			else {
				fprintf(stderr, "l3dsrd: --role %s: expected lb or backend\n",
					optarg);
				return 2;
			}
			options->role_given = true;
			break;
		case 'i':
			options->ifname = optarg;
			break;
		case 'c':
			options->config_path = optarg;
			break;
		case 'b':
			options->bpf_dir = optarg;
			break;
		case 'p':
			options->pin_dir = optarg;
			break;
		case 'C':
			options->check = true;
			break;
		case 'R':
			options->re_executed = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("l3dsrd %s\n", L3DSR_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "l3dsrd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!options->role_given) {
		fprintf(stderr, "l3dsrd: --role lb|backend is required\n");
		return 2;
	}
	if (!options->check && !options->ifname) {
		fprintf(stderr, "l3dsrd: --interface IFNAME is required\n");
		return 2;
	}
	if (options->ifname && (strlen(options->ifname) >= IF_NAMESIZE ||
				strchr(options->ifname, '/') || !options->ifname[0])) {
		fprintf(stderr, "l3dsrd: --interface %s: not an interface name\n", options->ifname);
		return 2;
	}
	return 0;
}

/* --check: the parser's own lines on stderr, the verdict on stdout. */
static int check_configuration(const char *path, enum l3dsr_role role)
{
	struct l3dsr_config config;
	int errors = config_parse(path, role, &config, stderr);

	config_free(&config);
	if (errors)
		return 1;
	printf("configuration OK\n");
	return 0;
}

/*
 * Polls for IFNAME every 100 ms for up to INTERFACE_WAIT_SECONDS. The stop signals (blocked for
 * sd-event) are taken with sigtimedwait meanwhile, so "systemctl stop" is not kept waiting.
 * Returns the ifindex, -ENODEV on timeout, -EINTR when asked to stop.
 */
static int wait_for_interface(const char *ifname, const sigset_t *signals)
{
	struct timespec pause = {0, 100 * 1000 * 1000};
	int ifindex = if_nametoindex(ifname);

	if (ifindex > 0)
		return ifindex;
	log_info("waiting up to %d s for interface %s to appear", INTERFACE_WAIT_SECONDS, ifname);
	for (int tries = INTERFACE_WAIT_SECONDS * 10; tries > 0; tries--) {
		int signal_number = sigtimedwait(signals, NULL, &pause);

		if (signal_number == SIGTERM || signal_number == SIGINT) {
			log_info("%s before interface %s appeared: stopping",
				 signal_number == SIGTERM ? "SIGTERM" : "SIGINT", ifname);
			return -EINTR;
		}
		ifindex = if_nametoindex(ifname);
		if (ifindex > 0) {
			log_info("interface %s appeared", ifname);
			return ifindex;
		}
	}
	log_error("interface %s did not appear within %d s", ifname, INTERFACE_WAIT_SECONDS);
	return -ENODEV;
}

struct daemon_loop {
	struct service service;
	struct egress egress; /* lb: which interfaces redirected frames may leave by */
	struct reexec reexec; /* the binary running, to tell when an upgrade replaced it */
	struct interface_watch interface_watch;
	bool reexec_known;
	int exit_status;
	sd_event_source *stop_timer; /* the stop-delay is running */
};

static void report_status(const struct service *service, bool ready)
{
	char status[256];

	service_status(service, status, sizeof(status));
	if (ready)
		notify_ready(status);
	else
		notify_status(status);
}

/*
 * An upgrade replaced the l3dsrd binary: the reload executes the new one in this process (same
 * PID, so the same unit's MainPID), which adopts the pins as after a crash, without a detach.
 * Returns only when there is nothing to execute (then the reload happens in place) or when the
 * configuration would be refused anyway (then *REFUSED is set: the running image stays).
 */
static void reexec_if_replaced(struct daemon_loop *loop, bool *refused)
{
	int result;

	*refused = false;
	if (!loop->reexec_known || reexec_binary_replaced(&loop->reexec) <= 0)
		return;
	/* The new image would refuse to start on it and leave the unit failed: refuse here. */
	if (service_check_reload(&loop->service)) {
		*refused = true;
		return;
	}
	log_info("%s was replaced: executing it in this process (pid %d); the program stays "
		 "attached and the new binary adopts it",
		 loop->reexec.path, (int)getpid());
	fflush(NULL);
	result = reexec_now(&loop->reexec);
	log_errno(LOG_PRIORITY_ERROR, result,
		  "cannot execute %s (reloading with the running binary)", loop->reexec.path);
}

static int on_reload(sd_event_source *source, const struct signalfd_siginfo *signal, void *userdata)
{
	struct daemon_loop *loop = userdata;
	bool refused;

	(void)source;
	(void)signal;
	if (loop->stop_timer) {
		log_info("SIGHUP while stopping: ignored");
		return 0;
	}
	notify_reloading();
	reexec_if_replaced(loop, &refused);
	if (!refused) {
		service_reload(&loop->service);
		if (loop->service.role == ROLE_LB)
			egress_use_map(&loop->egress,
				       loader_map_fd(&loop->service.object, "egress_devices"));
	}
	/* READY=1 closes the reload whether it was applied or refused: either way the daemon
	 * serves a consistent configuration again. */
	report_status(&loop->service, true);
	return 0;
}

/* The end of a stop: detach, release the VIPs, remove the pins, leave the loop. */
static int finish_stop(struct daemon_loop *loop, sd_event *event)
{
	egress_stop(&loop->egress);
	loop->exit_status = service_stop(&loop->service) ? 1 : 0;
	return sd_event_exit(event, loop->exit_status);
}

static int on_stop_delay(sd_event_source *source, uint64_t usec, void *userdata)
{
	(void)usec;
	log_info("stop-delay over: detaching");
	return finish_stop(userdata, sd_event_source_get_event(source));
}

/*
 * SIGTERM / SIGINT: the routes are withdrawn first, then the program keeps forwarding for
 * stop-delay (health checks included), so that connections the routers still send here while
 * they converge are not broken; then it detaches. A second signal cuts the delay short.
 */
static int on_stop(sd_event_source *source, const struct signalfd_siginfo *signal, void *userdata)
{
	struct daemon_loop *loop = userdata;
	struct service *service = &loop->service;
	sd_event *event = sd_event_source_get_event(source);
	const char *name = signal->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
	uint64_t delay_usec = (uint64_t)service->config.stop_delay_ms * 1000, now;
	char status[160];
	int result;

	if (loop->stop_timer) {
		log_info("%s during the stop-delay: detaching now", name);
		return finish_stop(loop, event);
	}
	/* systemctl restart: the next daemon adopts the datapath (and the VIP routes), which
	 * forwards meanwhile: nothing is withdrawn, nothing waits for stop-delay. */
	if (signal->ssi_signo == SIGTERM && stop_is_restart()) {
		log_info("SIGTERM for a restart: the program, its maps and pins stay for the next "
			 "l3dsrd");
		notify_stopping("restarting: the datapath stays for the next l3dsrd");
		egress_stop(&loop->egress);
		service_leave(service);
		loop->exit_status = 0;
		return sd_event_exit(event, 0);
	}
	log_info("%s: stopping", name);
	/* Without its interface the program forwards nothing: no reason to wait. */
	if (service->role != ROLE_LB || delay_usec == 0 || service->interface_gone) {
		if (service->role == ROLE_LB)
			service_withdraw(service);
		notify_stopping("stopping");
		return finish_stop(loop, event);
	}
	service_withdraw(service);
	snprintf(status, sizeof(status),
		 "stopping: every VIP withdrawn, forwarding for %u.%03u s before detaching",
		 service->config.stop_delay_ms / 1000, service->config.stop_delay_ms % 1000);
	log_info("%s", status + strlen("stopping: "));
	notify_stopping(status);
	result = sd_event_now(event, CLOCK_MONOTONIC, &now);
	if (result >= 0)
		result = sd_event_add_time(event, &loop->stop_timer, CLOCK_MONOTONIC,
					   now + delay_usec, 0, on_stop_delay, loop);
	if (result < 0) {
		log_error("cannot wait for the stop-delay: %s; detaching now", strerror(-result));
		return finish_stop(loop, event);
	}
	return 0;
}

static int on_status_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct daemon_loop *loop = userdata;

	service_tick(&loop->service);
	/* While stopping, STATUS= keeps saying so. */
	if (!loop->stop_timer)
		report_status(&loop->service, false);
	sd_event_source_set_time(source, usec + STATUS_INTERVAL_USEC);
	return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

static int on_lock_socket(sd_event_source *source, int fd, uint32_t events, void *userdata)
{
	(void)source;
	(void)events;
	(void)userdata;
	interface_lock_drain(fd);
	return 0;
}

/* A link event for the interface: the program follows it, STATUS= says so at once. */
static void on_interface_changed(void *context)
{
	struct daemon_loop *loop = context;

	if (service_check_interface(&loop->service))
		report_status(&loop->service, false);
}

/*
 * The event loop: signals, the status timer, the lock socket, the watchdog, the interface's link
 * events, and the health checks' non-blocking sockets and timers, which tell the service when a
 * backend changes state; nothing here ever blocks.
 */
static int run_loop(struct daemon_loop *loop, int lock_fd)
{
	struct log_scope scope;
	sd_event *event = NULL;
	uint64_t now;
	int result;

	/* The health checks say what failed in the line that says the loop is not set up. */
	log_scope_open(&scope, "cannot set up the event loop", NULL);
	result = sd_event_default(&event);
	if (result >= 0)
		result = sd_event_add_signal(event, NULL, SIGHUP, on_reload, loop);
	if (result >= 0)
		result = sd_event_add_signal(event, NULL, SIGTERM, on_stop, loop);
	if (result >= 0)
		result = sd_event_add_signal(event, NULL, SIGINT, on_stop, loop);
	if (result >= 0)
		result = sd_event_add_io(event, NULL, lock_fd, EPOLLIN, on_lock_socket, loop);
	if (result >= 0)
		result = sd_event_now(event, CLOCK_MONOTONIC, &now);
	if (result >= 0)
		result = sd_event_add_time(event, NULL, CLOCK_MONOTONIC, now + STATUS_INTERVAL_USEC,
					   0, on_status_timer, loop);
	/* WATCHDOG=1 at half of WATCHDOG_USEC when systemd asks for it; nothing otherwise. */
	if (result >= 0)
		result = sd_event_set_watchdog(event, true);
	/* lb: the health checks' sockets and timers join this loop. */
	if (result >= 0)
		result = service_start_checks(&loop->service, event);
	if (log_scope_close(&scope, result < 0 ? result : 0) < 0) {
		sd_event_unref(event);
		return -result;
	}
	/* Without it the program redirects to no interface, the kernel forwards instead: slower,
	 * never lost, so a failure here is logged and the daemon serves on. */
	if (loop->service.role == ROLE_LB) {
		log_scope_open(&scope, NULL, "the kernel forwards what the program would redirect");
		log_scope_close(&scope,
				egress_start(&loop->egress,
					     loader_map_fd(&loop->service.object, "egress_devices"),
					     event));
		service_start_next_hops(&loop->service, event);
	}
	/* Without link events the status timer still notices, only later. */
	result = interface_watch_start(&loop->interface_watch, event, loop->service.ifname,
				       on_interface_changed, loop);
	if (result < 0)
		log_errno(LOG_PRIORITY_WARNING, result,
			  "cannot follow interface %s by netlink (it is looked at every %llu s)",
			  loop->service.ifname, STATUS_INTERVAL_USEC / 1000000ULL);
	result = sd_event_loop(event);
	interface_watch_stop(&loop->interface_watch);
	sd_event_source_unref(loop->stop_timer);
	loop->stop_timer = NULL;
	sd_event_unref(event);
	return result < 0 ? 1 : result;
}

int main(int argc, char **argv)
{
	char config_path[PATH_MAX];
	struct options options;
	struct daemon_loop loop = {0};
	struct service *service = &loop.service;
	struct log_scope start;
	const char *role_name;
	sigset_t signals;
	int lock_fd, result;

	result = parse_options(argc, argv, &options);
	if (result)
		return result;
	role_name = options.role == ROLE_LB ? "lb" : "backend";
	if (!options.config_path) {
		snprintf(config_path, sizeof(config_path), "%s/%s.conf", L3DSR_CONFIG_DIR,
			 role_name);
		options.config_path = config_path;
	}
	if (options.check)
		return check_configuration(options.config_path, options.role);

	/* Blocked before anything else, so sd-event receives them through a signalfd. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigprocmask(SIG_BLOCK, &signals, NULL);

	loader_log_libbpf();
	service->role = options.role;
	service->ifname = options.ifname;
	service->config_path = options.config_path;
	snprintf(service->object_path, sizeof(service->object_path), "%s/%s.bpf.o", options.bpf_dir,
		 role_name);
	if (options.pin_dir && options.pin_dir[0] != '/') {
		/* Absolute, so that the pins can be found again whatever the working directory. */
		char *cwd = getcwd(NULL, 0);
		int length =
		    cwd ? snprintf(service->pin_dir, sizeof(service->pin_dir), "%s/", cwd) : -1;

		free(cwd);
		if (length < 0 ||
		    (size_t)length + strlen(options.pin_dir) >= sizeof(service->pin_dir)) {
			fprintf(stderr, "l3dsrd: --pin-dir %s: cannot make it absolute\n",
				options.pin_dir);
			return 1;
		}
		strcat(service->pin_dir, options.pin_dir);
	} else if (options.pin_dir) {
		snprintf(service->pin_dir, sizeof(service->pin_dir), "%s", options.pin_dir);
	} else {
		snprintf(service->pin_dir, sizeof(service->pin_dir), "%s/%s", PINS_DEFAULT_ROOT,
			 options.ifname);
	}
	log_info("l3dsrd %s: %s on %s, configuration %s, program %s, pins %s", L3DSR_VERSION,
		 role_name, options.ifname, options.config_path, service->object_path,
		 service->pin_dir);
	result = reexec_init(&loop.reexec, argc, argv);
	loop.reexec_known = result == 0;
	if (result)
		log_errno(LOG_PRIORITY_WARNING, result,
			  "cannot tell which binary runs (a reload after an upgrade keeps running "
			  "this one)");
	if (options.re_executed)
		log_info("executed in place of the previous l3dsrd (pid %d stays): adopting its "
			 "datapath",
			 (int)getpid());

	result = service_parse_config(options.config_path, options.role, &service->config);
	if (result) {
		log_error("not starting: %d error%s in %s", result, result == 1 ? "" : "s",
			  options.config_path);
		return 1;
	}
	lock_fd = interface_lock(options.ifname);
	if (lock_fd < 0) {
		config_free(&service->config);
		return 1;
	}
	service->ifindex = wait_for_interface(options.ifname, &signals);
	/* Each step of the start says what failed; here only a failure none of them said. */
	log_scope_open(&start, NULL, NULL);
	result = service->ifindex < 0 ? 0 : service_start(service);
	log_scope_close(&start, 0);
	if (result && start.errors == 0)
		log_errno(LOG_PRIORITY_ERROR, result, "not starting");
	if (service->ifindex < 0 || result) {
		config_free(&service->config);
		close(lock_fd);
		/* Stopped while waiting: nothing was started, nothing failed. */
		return service->ifindex == -EINTR ? 0 : 1;
	}
	report_status(service, true);
	result = run_loop(&loop, lock_fd);
	if (service->link_fd >= 0) {
		/* The loop failed without a stop: leave the program attached (fail-static). */
		log_error("event loop ended without a stop; the program stays attached");
		result = 1;
	}
	config_free(&service->config);
	close(lock_fd);
	return result;
}
