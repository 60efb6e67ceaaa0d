/* fixture_test.c: runs every row of the fixture table (fixtures.py) through its XDP program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "fixture.h"
#include "harness.h"
#include "report.h"
#include "datapath_config.h"
#include "src/common/maps.h"

static struct harness lb_harness, backend_harness;

/* The output index (the backend) each flow's first row landed on. */
struct flow_choice {
	const char *flow;
	size_t output;
	const char *backend;
};
static struct flow_choice flow_choices[256];
static size_t flow_choice_count;

static struct flow_choice *flow_choice_find(const char *flow)
{
	size_t i;

	for (i = 0; i < flow_choice_count; i++)
		if (strcmp(flow_choices[i].flow, flow) == 0)
			return &flow_choices[i];
	return NULL;
}

static int output_matches(const struct fixture_output *output, const struct harness_result *result)
{
	return output->length == result->length &&
	       memcmp(output->bytes, result->frame, result->length) == 0;
}

/* The expected frame nearest to what came out, to show the difference against. */
static size_t output_nearest(const struct fixture *row, const struct harness_result *result)
{
	size_t i, best = 0, best_count = SIZE_MAX;

	for (i = 0; i < row->output_count; i++) {
		size_t count = report_difference_count(
		    row->outputs[i].bytes, row->outputs[i].length, result->frame, result->length);

		if (count < best_count) {
			best = i;
			best_count = count;
		}
	}
	return best;
}

/* Before the first complaint about a row: which row, and the scapy expression of its input. */
static const struct fixture *row_described;

static void row_describe(const struct fixture *row)
{
	if (row_described == row)
		return;
	row_described = row;
	printf("# row: %s\n# input: %s\n", row->what, row->scapy);
}

/*
 * The LB program counts a VIP's traffic only through its backends: an LB row's "vip_traffic" is
 * the VIP's total as l3dsrd and l3dsrctl derive it (maps_read_vip_traffic).
 */
static void lb_vip_traffic(const struct harness *harness, uint32_t index,
			   struct traffic_counter *value)
{
	static struct traffic_counter sums[L3DSR_MAX_VIPS];
	int backends = harness_map_fd(harness, "backends");

	assert_true(index < L3DSR_MAX_VIPS);
	assert_int_equal(maps_read_vip_traffic(harness_map_fd(harness, "vip_traffic"),
					       harness_map_fd(harness, "backend_traffic"), backends,
					       maps_max_entries(backends), L3DSR_MAX_VIPS, sums),
			 0);
	*value = sums[index];
}

static void counters_read(const struct harness *harness, const struct fixture *row,
			  struct traffic_counter *values)
{
	size_t i;

	for (i = 0; i < row->counter_count; i++) {
		if (row->program == FIXTURE_LB && !strcmp(row->counters[i].map, "vip_traffic")) {
			lb_vip_traffic(harness, row->counters[i].index, &values[i]);
			continue;
		}
		assert_int_equal(harness_counter_sum(harness, row->counters[i].map,
						     row->counters[i].index, &values[i]),
				 0);
	}
}

/* Whether every counter of the row moved by what it says; prints those that did not. */
static int counters_check(const struct fixture *row, const struct traffic_counter *before,
			  const struct traffic_counter *after)
{
	int good = 1;
	size_t i;

	for (i = 0; i < row->counter_count; i++) {
		const struct fixture_counter *counter = &row->counters[i];
		uint64_t packets = after[i].packets - before[i].packets;
		uint64_t bytes = after[i].bytes - before[i].bytes;

		if (packets == counter->packets && bytes == counter->bytes)
			continue;
		row_describe(row);
		printf("# %s[%s] moved by %llu packets, %llu bytes; expected %llu packets, "
		       "%llu bytes\n",
		       counter->map, counter->what, (unsigned long long)packets,
		       (unsigned long long)bytes, (unsigned long long)counter->packets,
		       (unsigned long long)counter->bytes);
		good = 0;
	}
	return good;
}

/* Checks which expected frame came out, against the flow's earlier choice if it has one. */
static int output_check(const struct fixture *row, const struct harness_result *result)
{
	struct flow_choice *choice = row->flow ? flow_choice_find(row->flow) : NULL;
	size_t i, nearest;

	for (i = 0; i < row->output_count; i++) {
		if (!output_matches(&row->outputs[i], result))
			continue;
		if (choice && choice->output != i) {
			row_describe(row);
			printf("# went to backend %s, but the flow's first packet went to %s\n",
			       row->outputs[i].backend, choice->backend);
			return 0;
		}
		if (row->flow && !choice) {
			assert_true(flow_choice_count <
				    sizeof(flow_choices) / sizeof(flow_choices[0]));
			flow_choices[flow_choice_count++] = (struct flow_choice){
			    .flow = row->flow, .output = i, .backend = row->outputs[i].backend};
		}
		return 1;
	}
	nearest = choice ? choice->output : output_nearest(row, result);
	row_describe(row);
	printf("# the output is none of the %zu expected frame(s); nearest: %s\n",
	       row->output_count, row->outputs[nearest].description);
	report_frames(row->outputs[nearest].bytes, row->outputs[nearest].length, result->frame,
		      result->length);
	return 0;
}

/* A link of topology.ip by its name there: {ingress} and {other} are this run's (netns.sh). */
static unsigned int link_ifindex(const char *link)
{
	const char *name = link;
	unsigned int ifindex;

	if (!strcmp(link, "{ingress}"))
		name = getenv("L3DSR_DP_INGRESS");
	else if (!strcmp(link, "{other}"))
		name = getenv("L3DSR_DP_OTHER");
	ifindex = name ? if_nametoindex(name) : 0;
	if (!ifindex)
		fail_msg("link %s (%s): no such interface in this namespace", link,
			 name ? name : "unset");
	return ifindex;
}

/* Writes the row's next_hops entry as l3dsrd would; a zeroed entry (live = NEXT_HOP_NONE) when
 * CLEAR. */
static void next_hop_write(const struct fixture_next_hop *fixture, bool clear)
{
	struct next_hop_entry entry;
	int fd = harness_map_fd(&lb_harness, "next_hops");

	memset(&entry, 0, sizeof(entry));
	if (!clear) {
		entry.address = fixture->address;
		entry.ingress_ifindex = link_ifindex(fixture->ingress);
		entry.live = fixture->live;
		for (size_t i = 0; i < 2; i++) {
			entry.copies[i].ifindex = link_ifindex(fixture->copies[i].interface);
			entry.copies[i].mtu = fixture->copies[i].mtu;
			memcpy(entry.copies[i].dmac, fixture->copies[i].dmac, 6);
			memcpy(entry.copies[i].smac, fixture->copies[i].smac, 6);
		}
	}
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &fixture->backend_id, &entry, BPF_ANY), 0);
}

/* After every row, also a failed one: the next rows find no entry but their own. */
static int row_teardown(void **state)
{
	const struct fixture *row = *state;

	if (row->next_hop)
		next_hop_write(row->next_hop, true);
	return 0;
}

static void row_run(const struct fixture *row)
{
	const struct harness *harness = row->program == FIXTURE_LB ? &lb_harness : &backend_harness;
	struct traffic_counter before[8], after[8];
	struct harness_result result;
	int verdict_good, output_good, counters_good;

	assert_true(row->counter_count <= sizeof(before) / sizeof(before[0]));
	if (row->program == FIXTURE_LB)
		assert_int_equal(test_config_set_lb_settings(harness, scenario_config.hash_seed,
							     row->flow_table),
				 0);
	if (row->next_hop)
		next_hop_write(row->next_hop, false);
	counters_read(harness, row, before);
	assert_int_equal(harness_run(harness, row->input, row->input_length, &result), 0);
	counters_read(harness, row, after);

	verdict_good = result.verdict == row->verdict;
	if (!verdict_good) {
		row_describe(row);
		printf("# verdict %s, expected %s\n", harness_verdict_name(result.verdict),
		       harness_verdict_name(row->verdict));
	}
	output_good = output_check(row, &result);
	counters_good = counters_check(row, before, after);
	if (!verdict_good || !output_good || !counters_good)
		fail_msg("%s", row->what);
}

/* The flows whose names start with the row's prefix went to enough distinct backends. */
static void row_spread(const struct fixture *row)
{
	const char *backends[64];
	size_t i, j, flows = 0, distinct = 0;

	for (i = 0; i < flow_choice_count; i++) {
		if (strncmp(flow_choices[i].flow, row->flow, strlen(row->flow)) != 0)
			continue;
		flows++;
		for (j = 0; j < distinct; j++)
			if (strcmp(backends[j], flow_choices[i].backend) == 0)
				break;
		if (j == distinct && distinct < sizeof(backends) / sizeof(backends[0]))
			backends[distinct++] = flow_choices[i].backend;
	}
	printf("# %zu flows named \"%s...\" reached %zu distinct backend(s)\n", flows, row->flow,
	       distinct);
	if (distinct < row->minimum_backends) {
		printf("# expected at least %zu\n", row->minimum_backends);
		fail_msg("%s", row->what);
	}
}

static void row_test(void **state)
{
	const struct fixture *row = *state;

	if (row->program == FIXTURE_SPREAD)
		row_spread(row);
	else
		row_run(row);
}

/*
 * Every row twice, on fresh maps: with vip_slots filled as the daemon fills it (VIPs found
 * without a hash lookup), then with it empty, so the vips path that backs it is proven too.
 */
int main(void)
{
	static const struct {
		const char *group;
		bool vip_slots;
	} passes[] = {
	    {"datapath fixtures", true},
	    {"datapath fixtures, vip_slots empty (vips only)", false},
	};
	struct CMUnitTest *tests;
	size_t i;
	int failed = 0;

	/* The diagnostics (stdout) and cmocka's own lines must come out in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tests = calloc(fixture_row_count, sizeof(*tests));
	if (!tests)
		return 1;
	for (i = 0; i < fixture_row_count; i++) {
		tests[i].name = fixture_rows[i].what;
		tests[i].test_func = row_test;
		tests[i].teardown_func = row_teardown;
		tests[i].initial_state = (void *)&fixture_rows[i];
	}
	for (size_t pass = 0; pass < sizeof(passes) / sizeof(passes[0]); pass++) {
		if (test_config_open_both(&lb_harness, &backend_harness, &scenario_config,
					  passes[pass].vip_slots)) {
			failed = harness_load_failed("load both XDP objects and fill their maps");
			break;
		}
		failed |= _cmocka_run_group_tests(passes[pass].group, tests, fixture_row_count,
						  NULL, NULL);
		harness_close(&lb_harness);
		harness_close(&backend_harness);
	}
	free(tests);
	return failed ? 1 : 0;
}
