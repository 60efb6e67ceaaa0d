/* bench_cases.c: the measured cases, run in interleaved rounds, and their JSON record. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "bench_cases.h"
#include "src/common/counter_names.h"

static struct bench_case *case_new(struct bench_cases *cases, const char *name, int program_fd,
				   bool wrapped, const struct bench_frame *frame,
				   uint32_t expect_verdict)
{
	struct bench_case *item;

	if (cases->count == CASES_MAX)
		return NULL;
	item = &cases->items[cases->count++];
	memset(item, 0, sizeof(*item));
	snprintf(item->name, sizeof(item->name), "%s", name);
	item->program_fd = program_fd;
	item->wrapped = wrapped;
	item->frame = *frame;
	item->expect_verdict = expect_verdict;
	item->calibration = -1;
	return item;
}

struct bench_case *cases_add(struct bench_cases *cases, const char *name, int program_fd,
			     bool wrapped, const struct bench_frame *frame, struct lb_instance *lb,
			     uint32_t expect_verdict)
{
	struct bench_case *item;
	int twin = -1;

	if (wrapped) {
		char twin_name[sizeof(cases->items[0].name)];

		snprintf(twin_name, sizeof(twin_name), "%s.wrapper", name);
		if (!case_new(cases, twin_name, cases->pass_fd, true, frame, XDP_PASS))
			return NULL;
		twin = cases->count - 1;
	}
	item = case_new(cases, name, program_fd, wrapped, frame, expect_verdict);
	if (!item)
		return NULL;
	item->calibration = twin;
	item->lb = lb;
	if (lb)
		item->settings = lb->settings;
	return item;
}

static int counters_read(struct lb_instance *lb, uint64_t *packets)
{
	struct traffic_counter total;

	for (uint32_t i = 0; i < LB_COUNTER_MAX; i++) {
		int err = lb_read_counter(lb->counters_fd, i, &total);
		if (err)
			return err;
		packets[i] = total.packets;
	}
	return 0;
}

int cases_run_once(struct bench_cases *cases, struct bench_case *item, uint32_t repeat,
		   struct run_result *result)
{
	int err;

	if (item->lb) {
		err = lb_write_settings(item->lb, &item->settings);
		if (err)
			return err;
	}
	if (!item->wrapped)
		return run_program(item->program_fd, &item->frame, cases->ifindex, repeat, result);
	err = wrapper_prepare(cases->wrapper, &item->frame, item->program_fd);
	if (err)
		return err;
	return run_program(cases->wrapper->program_fd, &item->frame, cases->ifindex, repeat,
			   result);
}

static int case_measure(struct bench_cases *cases, struct bench_case *item, uint32_t round)
{
	uint64_t before[LB_COUNTER_MAX], after[LB_COUNTER_MAX];
	struct run_result result;
	int err;

	if (item->lb && (err = counters_read(item->lb, before)))
		return err;
	err = cases_run_once(cases, item, cases->repeat, &result);
	if (err)
		return err;
	if (item->lb && (err = counters_read(item->lb, after)))
		return err;
	item->ns[round] = result.ns_per_run;
	item->kernel_ns[round] = result.kernel_ns;
	item->verdict[round] = result.verdict;
	if (item->lb)
		for (int i = 0; i < LB_COUNTER_MAX; i++)
			item->lb_counters[i] += after[i] - before[i];
	return 0;
}

int cases_measure(struct bench_cases *cases)
{
	size_t measured[CASES_MAX], units = 0;
	int err;

	if (cases->rounds > ROUNDS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < cases->count; i++)
		if (!strstr(cases->items[i].name, ".wrapper"))
			measured[units++] = i;
	for (uint32_t round = 0; round < cases->rounds; round++) {
		for (size_t u = 0; u < units; u++) {
			struct bench_case *item = &cases->items[measured[(u + round) % units]];

			if (item->calibration >= 0) {
				err = case_measure(cases, &cases->items[item->calibration], round);
				if (err)
					return err;
			}
			err = case_measure(cases, item, round);
			if (err)
				return err;
		}
	}
	return 0;
}

void cases_print_json(const struct bench_cases *cases, FILE *out)
{
	fprintf(out, "{\"repeat\": %u, \"rounds\": %u, \"cases\": [", cases->repeat, cases->rounds);
	for (size_t i = 0; i < cases->count; i++) {
		const struct bench_case *item = &cases->items[i];

		fprintf(out,
			"%s\n  {\"name\": \"%s\", \"wrapped\": %s, \"calibration\": ", i ? "," : "",
			item->name, item->wrapped ? "true" : "false");
		if (item->calibration >= 0)
			fprintf(out, "\"%s\"", cases->items[item->calibration].name);
		else
			fprintf(out, "null");
		fprintf(out, ", \"frame_length\": %u, \"vary\": %u, \"expect_verdict\": %u",
			item->frame.length, item->frame.vary, item->expect_verdict);
		fprintf(out, ", \"ns\": [");
		for (uint32_t r = 0; r < cases->rounds; r++)
			fprintf(out, "%s%.3f", r ? ", " : "", item->ns[r]);
		fprintf(out, "], \"kernel_ns\": [");
		for (uint32_t r = 0; r < cases->rounds; r++)
			fprintf(out, "%s%u", r ? ", " : "", item->kernel_ns[r]);
		fprintf(out, "], \"verdicts\": [");
		for (uint32_t r = 0; r < cases->rounds; r++)
			fprintf(out, "%s%u", r ? ", " : "", item->verdict[r]);
		fprintf(out, "]");
		if (item->lb) {
			fprintf(out, ", \"lb_counters\": {");
			for (int c = 0; c < LB_COUNTER_MAX; c++)
				fprintf(out, "%s\"%s\": %llu", c ? ", " : "", lb_counter_names[c],
					(unsigned long long)item->lb_counters[c]);
			fprintf(out, "}");
		}
		fprintf(out, "}");
	}
	fprintf(out, "\n]}");
}
