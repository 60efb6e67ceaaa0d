/* bench_run.c: runs an XDP program with bpf_prog_test_run_opts, directly or behind the wrapper. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "bench_lb.h"
#include "bench_run.h"

#define pr_warn(...) fprintf(stderr, "l3dsr-bench: " __VA_ARGS__)

static double thread_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

int run_program(int program_fd, const struct bench_frame *frame, int ifindex, uint32_t repeat,
		struct run_result *result)
{
	struct xdp_md context = {.data_end = frame->length, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = frame->words,
		    .data_size_in = frame->length, .data_out = result->output,
		    .data_size_out = sizeof(result->output), .ctx_in = &context,
		    .ctx_size_in = sizeof(context), .repeat = repeat);
	double started;

	started = thread_seconds();
	if (bpf_prog_test_run_opts(program_fd, &options)) {
		pr_warn("test run: %s\n", strerror(errno));
		return -errno;
	}
	result->ns_per_run = (thread_seconds() - started) * 1e9 / repeat;
	result->kernel_ns = options.duration;
	result->verdict = options.retval;
	result->output_length = options.data_size_out;
	return 0;
}

int program_load(const char *object_path, const char *name, struct bpf_object **object)
{
	struct bpf_program *program;
	int err;

	*object = bpf_object__open_file(object_path, NULL);
	err = libbpf_get_error(*object);
	if (err) {
		*object = NULL;
		pr_warn("%s: cannot open: %s\n", object_path, strerror(-err));
		return err;
	}
	err = bpf_object__load(*object);
	if (err) {
		pr_warn("%s: load failed: %s\n", object_path, strerror(-err));
		goto fail;
	}
	program = bpf_object__find_program_by_name(*object, name);
	if (!program) {
		pr_warn("%s: no program %s\n", object_path, name);
		err = -ENOENT;
		goto fail;
	}
	return bpf_program__fd(program);
fail:
	bpf_object__close(*object);
	*object = NULL;
	return err;
}

int wrapper_open(struct wrapper *wrapper, const char *object_path)
{
	memset(wrapper, 0, sizeof(*wrapper));
	wrapper->program_fd = program_load(object_path, "bench_wrapper", &wrapper->object);
	if (wrapper->program_fd < 0)
		return wrapper->program_fd;
	wrapper->frames_fd = bpf_map__fd(bpf_object__find_map_by_name(wrapper->object, "frames"));
	wrapper->target_fd = bpf_map__fd(bpf_object__find_map_by_name(wrapper->object, "target"));
	return 0;
}

int wrapper_prepare(struct wrapper *wrapper, const struct bench_frame *frame, int target_fd)
{
	uint32_t key = 0;

	return bench_map_put(wrapper->frames_fd, &key, frame, "wrapper frames")
		   ?: bench_map_put(wrapper->target_fd, &key, &target_fd, "wrapper target");
}

void wrapper_close(struct wrapper *wrapper)
{
	bpf_object__close(wrapper->object);
	memset(wrapper, 0, sizeof(*wrapper));
}
