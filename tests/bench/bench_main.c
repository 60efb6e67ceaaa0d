/*
 * bench_main.c: l3dsr-bench, the measuring half of `make bench` (tests/bench/run.py makes the
 * namespace it runs in and turns its JSON into the table). One mode per run:
 *   cost   per-packet cost of lb, backend, the reference and XDP_PASS (test_run, interleaved)
 *   scale  lb's cost and map memory with many VIPs, backends, flows
 *   rate   forwarding rate on a veth, live frames from an in-kernel generator
 *   flood  SYNs from random sources against the flow table, with and without an insert limit
 *   check  the harness checks itself (TAP), for make check
 *   spin   runs one cost case for --seconds (--case NAME), for a profiler to watch
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: l3dsr-bench MODE --interface IF [options]\n"
	    "MODE: cost | scale | rate | flood | check | spin\n"
	    "  --interface IF          the LB's interface (fib lookups, XDP attach)\n"
	    "  --generator-interface IF  its veth peer (rate, check)\n"
	    "  --lb FILE --backend FILE  l3dsr's objects (bpf/lb.bpf.o, bpf/backend.bpf.o)\n"
	    "  --bench-dir DIR         the benchmark's own objects (build/bench)\n"
	    "  --cpu N                 pin to CPU N (default: stay where started)\n"
	    "  --repeat N --rounds N   test_run repeat and interleaved rounds\n"
	    "  --frames N              rate: frames per generator run\n"
	    "  --seconds S             flood: duration of each run; spin: how long\n"
	    "  --case NAME             spin: which cost case to run\n"
	    "  --flood-limit N         flood: the insert limit compared with none (default: auto)\n"
	    "  --flood-established N\n"
	    "  --scale-vips N --scale-backends N --scale-flows N (a power of two)\n"
	    "  --nft                   rate: the netns has the nftables rewrite (adds that row)\n");
}

/* libbpf's warnings (a verifier log, a failed map creation) but not its chatter. */
static int print_warnings(enum libbpf_print_level level, const char *format, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, format, args) : 0;
}

static int interface_mac(const char *name, uint8_t mac[6])
{
	struct ifreq request = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &request))
		err = -errno;
	else
		memcpy(mac, request.ifr_hwaddr.sa_data, 6);
	if (fd >= 0)
		close(fd);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"interface", required_argument, NULL, 'i'},
	    {"generator-interface", required_argument, NULL, 'g'},
	    {"lb", required_argument, NULL, 'l'},
	    {"backend", required_argument, NULL, 'b'},
	    {"bench-dir", required_argument, NULL, 'd'},
	    {"cpu", required_argument, NULL, 'c'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"rounds", required_argument, NULL, 'R'},
	    {"frames", required_argument, NULL, 'f'},
	    {"seconds", required_argument, NULL, 's'},
	    {"flood-limit", required_argument, NULL, 'L'},
	    {"flood-established", required_argument, NULL, 'E'},
	    {"scale-vips", required_argument, NULL, 'V'},
	    {"scale-backends", required_argument, NULL, 'B'},
	    {"scale-flows", required_argument, NULL, 'F'},
	    {"nft", no_argument, NULL, 'n'},
	    {"case", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct bench_env env = {
	    .lb_path = "bpf/lb.bpf.o",
	    .backend_path = "bpf/backend.bpf.o",
	    .bench_dir = "build/bench",
	    .repeat = 1000000,
	    .rounds = 11,
	    .frames = 5000000,
	    .seconds = 3,
	    .flood_limit = 0, /* the daemon's default (auto) */
	    .flood_established = 4096,
	    .scale_max_vips = 1000,
	    .scale_max_backends = 1000,
	    .scale_flows = 1 << 20,
	    .out = stdout,
	};
	/* The options that set a count, by their short option. */
	const struct {
		int option;
		uint32_t *count;
	} counts[] = {{'r', &env.repeat},
		      {'R', &env.rounds},
		      {'f', &env.frames},
		      {'L', &env.flood_limit},
		      {'E', &env.flood_established},
		      {'V', &env.scale_max_vips},
		      {'B', &env.scale_max_backends},
		      {'F', &env.scale_flows}};
	const char *interface = NULL, *generator = NULL, *mode;
	int option, cpu = -1, err;
	size_t i;

	while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (option) {
		case 'i':
			interface = optarg;
			break;
		case 'g':
			generator = optarg;
			break;
		case 'l':
			snprintf(env.lb_path, sizeof(env.lb_path), "%s", optarg);
			break;
		case 'b':
			snprintf(env.backend_path, sizeof(env.backend_path), "%s", optarg);
			break;
		case 'd':
			snprintf(env.bench_dir, sizeof(env.bench_dir), "%s", optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			env.seconds = strtod(optarg, NULL);
			break;
		case 'n':
			env.nft = "nft";
			break;
		case 'C':
			env.spin_case = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
				if (counts[i].option == option)
					break;
			if (i == sizeof(counts) / sizeof(counts[0])) {
				usage(stderr);
				return 2;
			}
			*counts[i].count = strtoul(optarg, NULL, 0);
		}
	}
	if (optind != argc - 1 || !interface) {
		usage(stderr);
		return 2;
	}
	mode = argv[optind];
	if (!env.repeat || !env.rounds || env.rounds > ROUNDS_MAX || !env.frames ||
	    !env.scale_flows || (env.scale_flows & (env.scale_flows - 1)) ||
	    !env.flood_established || (env.flood_established & (env.flood_established - 1)) ||
	    env.scale_max_vips > L3DSR_MAX_VIPS || env.scale_max_backends < 2) {
		pr_warn("bad counts: rounds 1..%d, flows and established flows powers of two, "
			"at most %d VIPs, at least 2 backends\n",
			ROUNDS_MAX, L3DSR_MAX_VIPS);
		return 2;
	}
	env.ifindex = if_nametoindex(interface);
	if (!env.ifindex || interface_mac(interface, env.lb_mac)) {
		pr_warn("%s: no such interface\n", interface);
		return 1;
	}
	if (generator) {
		env.generator_ifindex = if_nametoindex(generator);
		if (!env.generator_ifindex || interface_mac(generator, env.generator_mac)) {
			pr_warn("%s: no such interface\n", generator);
			return 1;
		}
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			pr_warn("cpu %d: %s\n", cpu, strerror(errno));
			return 1;
		}
	}
	libbpf_set_print(print_warnings);
	if (!strcmp(mode, "cost"))
		err = bench_cost(&env);
	else if (!strcmp(mode, "scale"))
		err = bench_scale(&env);
	else if (!strcmp(mode, "rate") && env.generator_ifindex)
		err = bench_rate(&env);
	else if (!strcmp(mode, "flood"))
		err = bench_flood(&env);
	else if (!strcmp(mode, "spin") && env.spin_case)
		err = bench_spin(&env);
	else if (!strcmp(mode, "check"))
		err = bench_check(&env);
	else {
		usage(stderr);
		return 2;
	}
	if (err)
		pr_warn("%s failed: %s\n", mode, strerror(err < 0 ? -err : err));
	return err ? 1 : 0;
}
