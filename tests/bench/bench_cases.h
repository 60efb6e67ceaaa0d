/* bench_cases.h: the measured cases, run in interleaved rounds, and their JSON record. */
#ifndef L3DSR_BENCH_CASES_H
#define L3DSR_BENCH_CASES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bench_lb.h"
#include "bench_run.h"

#define CASES_MAX  64
#define ROUNDS_MAX 101

struct bench_case {
	char name[96];
	int program_fd;
	bool wrapped;		  /* behind the wrapper (restored every run) or run directly */
	struct bench_frame frame; /* the frame, and how the wrapper varies it */
	struct lb_instance *lb;	  /* its settings are written before each run; its counters read */
	struct lb_settings settings;
	uint32_t expect_verdict;
	int calibration; /* the wrapper + XDP_PASS twin measured next to it, or -1 */
	/* results */
	double ns[ROUNDS_MAX];
	uint32_t kernel_ns[ROUNDS_MAX];
	uint32_t verdict[ROUNDS_MAX];
	uint64_t lb_counters[LB_COUNTER_MAX]; /* packets, summed over the rounds */
};

struct bench_cases {
	struct bench_case items[CASES_MAX];
	size_t count;
	struct wrapper *wrapper;
	int pass_fd; /* the XDP_PASS program the calibration twins call */
	struct wrapper wrapper_storage;
	struct bpf_object *targets;
	int ifindex;
	uint32_t repeat;
	uint32_t rounds;
};

/*
 * Adds a case (and, when wrapped, its calibration twin "NAME.wrapper": the same frame and
 * variation, calling XDP_PASS). LB may be NULL. Returns the case or NULL when full.
 */
struct bench_case *cases_add(struct bench_cases *cases, const char *name, int program_fd,
			     bool wrapped, const struct bench_frame *frame, struct lb_instance *lb,
			     uint32_t expect_verdict);

/* One untimed run of CASE (repeat REPEAT), e.g. to insert a flow or to fill the flow table. */
int cases_run_once(struct bench_cases *cases, struct bench_case *item, uint32_t repeat,
		   struct run_result *result);

/* ROUNDS rounds; in each, every case once (its twin just before it), the order rotated. */
int cases_measure(struct bench_cases *cases);

void cases_print_json(const struct bench_cases *cases, FILE *out);

#endif /* L3DSR_BENCH_CASES_H */
