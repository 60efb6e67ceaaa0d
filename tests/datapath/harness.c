/* harness.c: loads an l3dsr XDP object with libbpf and runs frames through it. */
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tests/lib/tap.h"

/* libbpf's debug chatter would bury the TAP output; its warnings and errors are kept. */
static int harness_libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, format, args);
}

const char *harness_object_path(const char *name)
{
	static char path[PATH_MAX];
	const char *root = getenv("L3DSR_ROOT");

	snprintf(path, sizeof(path), "%s/bpf/%s", root ? root : ".", name);
	return path;
}

int harness_open(struct harness *harness, const char *path)
{
	const char *ingress = getenv("L3DSR_DP_INGRESS");
	struct bpf_program *program;
	struct bpf_map *flows;
	char message[256];
	int err;

	memset(harness, 0, sizeof(*harness));
	harness->program_fd = -1;
	libbpf_set_print(harness_libbpf_print);

	if (!ingress) {
		fprintf(stderr, "L3DSR_DP_INGRESS is not set: run the test through netns.sh\n");
		return -EINVAL;
	}
	harness->ingress_ifindex = (int)if_nametoindex(ingress);
	if (!harness->ingress_ifindex) {
		err = -errno;
		fprintf(stderr, "%s: no such interface in this namespace\n", ingress);
		return err;
	}

	harness->object = bpf_object__open_file(path, NULL);
	if (!harness->object) {
		err = -errno;
		libbpf_strerror(err, message, sizeof(message));
		fprintf(stderr, "%s: cannot open: %s\n", path, message);
		return err;
	}
	/* The daemon sizes the flow table from flow-table-size; the tests need only a few flows. */
	flows = bpf_object__find_map_by_name(harness->object, "flows");
	if (flows)
		bpf_map__set_max_entries(flows, HARNESS_FLOW_TABLE_SIZE);

	err = bpf_object__load(harness->object);
	if (err) {
		libbpf_strerror(err, message, sizeof(message));
		fprintf(stderr, "%s: cannot load: %s\n", path, message);
		goto out;
	}
	program = bpf_object__next_program(harness->object, NULL);
	if (!program) {
		fprintf(stderr, "%s: holds no program\n", path);
		err = -ENOENT;
		goto out;
	}
	harness->program_fd = bpf_program__fd(program);
	return 0;
out:
	harness_close(harness);
	return err;
}

void harness_close(struct harness *harness)
{
	bpf_object__close(harness->object);
	harness->object = NULL;
	harness->program_fd = -1;
}

int harness_map_fd(const struct harness *harness, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(harness->object, name);

	if (fd < 0)
		fprintf(stderr, "the object has no map \"%s\"\n", name);
	return fd;
}

int harness_run(const struct harness *harness, const uint8_t *frame, size_t length,
		struct harness_result *result)
{
	struct xdp_md context = {
	    .data = 0,
	    .data_end = (__u32)length,
	    .ingress_ifindex = (__u32)harness->ingress_ifindex,
	    .rx_queue_index = 0,
	};
	LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = frame, .data_size_in = (__u32)length,
		    .data_out = result->frame, .data_size_out = sizeof(result->frame),
		    .ctx_in = &context, .ctx_size_in = sizeof(context), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(harness->program_fd, &options);
	if (err) {
		err = -errno;
		fprintf(stderr, "bpf_prog_test_run_opts: %s\n", strerror(errno));
		return err;
	}
	result->verdict = options.retval;
	result->length = options.data_size_out;
	return 0;
}

int harness_counter_sum(const struct harness *harness, const char *name, uint32_t index,
			struct traffic_counter *sum)
{
	int cpus = libbpf_num_possible_cpus();
	struct traffic_counter *per_cpu;
	int fd, cpu, err = 0;

	memset(sum, 0, sizeof(*sum));
	fd = harness_map_fd(harness, name);
	if (fd < 0)
		return -ENOENT;
	if (cpus < 0)
		return cpus;
	per_cpu = calloc((size_t)cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &index, per_cpu)) {
		err = -errno;
		fprintf(stderr, "%s[%u]: %s\n", name, index, strerror(errno));
		goto out;
	}
	for (cpu = 0; cpu < cpus; cpu++) {
		sum->packets += per_cpu[cpu].packets;
		sum->bytes += per_cpu[cpu].bytes;
	}
out:
	free(per_cpu);
	return err;
}

const char *harness_verdict_name(uint32_t verdict)
{
#define VERDICT_NAME(verdict) [verdict] = #verdict
	static const char *const names[] = {VERDICT_NAME(XDP_ABORTED), VERDICT_NAME(XDP_DROP),
					    VERDICT_NAME(XDP_PASS), VERDICT_NAME(XDP_TX),
					    VERDICT_NAME(XDP_REDIRECT)};
#undef VERDICT_NAME

	return verdict < sizeof(names) / sizeof(names[0]) ? names[verdict] : "(not an XDP verdict)";
}

int harness_load_failed(const char *what)
{
	tap_result(false, "%s", what);
	tap_plan();
	return 1;
}
