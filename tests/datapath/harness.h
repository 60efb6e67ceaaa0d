/* harness.h: loads an l3dsr XDP object with libbpf and runs frames through it. */
#ifndef L3DSR_TEST_HARNESS_H
#define L3DSR_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/l3dsr_common.h"

/* Largest frame the tests send or receive: a 9000-byte MTU frame (several buffers) and more. */
#define HARNESS_FRAME_MAX 10240

/* The flow table's size in the tests: small, so that loading is quick. */
#define HARNESS_FLOW_TABLE_SIZE 4096

struct bpf_object;

struct harness {
	struct bpf_object *object;
	int program_fd;
	int ingress_ifindex; /* what ctx_in says the frames arrived on */
};

/*
 * Opens and loads the object at PATH (its one XDP program, maps at their compiled sizes except
 * the flow table) and resolves the interface named by the environment variable
 * L3DSR_DP_INGRESS (set by netns.sh) as the ingress interface. Returns 0 or a negative errno,
 * with the reason on stderr.
 */
int harness_open(struct harness *harness, const char *path);
void harness_close(struct harness *harness);

/* The object path: $L3DSR_ROOT/bpf/NAME, or bpf/NAME relative to the current directory. */
const char *harness_object_path(const char *name);

/* The fd of map NAME; -1 with a message when the object has no such map. */
int harness_map_fd(const struct harness *harness, const char *name);

struct harness_result {
	uint32_t verdict;
	size_t length;
	uint8_t frame[HARNESS_FRAME_MAX];
};

/* Runs FRAME once through the program (bpf_prog_test_run_opts). Returns 0 or a negative errno. */
int harness_run(const struct harness *harness, const uint8_t *frame, size_t length,
		struct harness_result *result);

/* Entry INDEX of the per-CPU traffic_counter map NAME, summed over the possible CPUs. */
int harness_counter_sum(const struct harness *harness, const char *name, uint32_t index,
			struct traffic_counter *sum);

/* "XDP_TX" etc. for messages. */
const char *harness_verdict_name(uint32_t verdict);

/* A cmocka test whose TAP line reads NAME, with SETUP run before it and STATE as its state. */
#define HARNESS_TEST(name, function, setup, state)                                                 \
	{                                                                                          \
		(name), (function), (setup), NULL, (void *)(state)                                 \
	}

/* When the objects cannot be loaded the tests cannot run: one failed TAP result saying WHAT,
 * the plan; returns 1, the exit status. */
int harness_load_failed(const char *what);

#endif /* L3DSR_TEST_HARNESS_H */
