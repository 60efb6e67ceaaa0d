/* bench_run.h: runs an XDP program with bpf_prog_test_run_opts, directly or behind the wrapper. */
#ifndef L3DSR_BENCH_RUN_H
#define L3DSR_BENCH_RUN_H

#include <bpf/libbpf.h>
#include <stdint.h>
#include "bench_common.h"

#define RUN_OUTPUT_MAX 256

struct run_result {
	double ns_per_run;  /* this thread's CPU time in the syscall / repeat */
	uint32_t kernel_ns; /* the kernel's own average (whole ns) */
	uint32_t verdict;
	uint32_t output_length;
	uint8_t output[RUN_OUTPUT_MAX];
};

/* The wrapper: restores FRAME into the packet before every run, then tail-calls target[0]. */
struct wrapper {
	struct bpf_object *object;
	int program_fd;
	int frames_fd;
	int target_fd;
};

/* Runs PROGRAM_FD REPEAT times on FRAME's bytes, arriving on IFINDEX (0: loopback). */
int run_program(int program_fd, const struct bench_frame *frame, int ifindex, uint32_t repeat,
		struct run_result *result);

int wrapper_open(struct wrapper *wrapper, const char *object_path);
/* What the next runs restore and call. */
int wrapper_prepare(struct wrapper *wrapper, const struct bench_frame *frame, int target_fd);
void wrapper_close(struct wrapper *wrapper);

/* Opens and loads OBJECT_PATH, returns the fd of its program NAME (or a negative error). */
int program_load(const char *object_path, const char *name, struct bpf_object **object);

#endif /* L3DSR_BENCH_RUN_H */
