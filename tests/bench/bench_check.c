/*
 * bench_check.c: the harness checks itself (make check's bench-smoke suite, TAP): the wrapper
 * and the generator really hand the program under test a fresh frame on every run, the flow keys
 * and memory figures it computes are the kernel's. Asserts nothing about time.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "bench.h"
#include "bpf/hash.h"
#include "src/lb/lb_rings.h"
#include "tests/lib/tap.h"

static uint64_t counter(int fd, uint32_t index)
{
	struct traffic_counter total;

	return lb_read_counter(fd, index, &total) ? UINT64_MAX : total.packets;
}

/*
 * The program's verdict and output on a fresh frame, then behind the wrapper REPEAT times: the
 * last run's verdict and bytes must be the fresh frame's, and COUNTER_FD[INDEX] (the program's
 * own count of what it did) must have grown by REPEAT: every run saw the frame as it was.
 */
static void check_restore(struct bench_cases *cases, const char *name, int program_fd,
			  const struct bench_frame *frame, uint32_t expect, int counter_fd,
			  uint32_t index)
{
	struct bench_case *item = cases_add(cases, name, program_fd, true, frame, NULL, expect);
	struct run_result fresh, wrapped;
	uint64_t before, after;

	if (!item || run_program(program_fd, frame, cases->ifindex, 1, &fresh) ||
	    run_program(program_fd, frame, cases->ifindex, 1, &fresh)) {
		tap_result(false, "%s: runs", name);
		return;
	}
	before = counter_fd >= 0 ? counter(counter_fd, index) : 0;
	if (cases_run_once(cases, item, cases->repeat, &wrapped)) {
		tap_result(false, "%s: runs behind the wrapper", name);
		return;
	}
	after = counter_fd >= 0 ? counter(counter_fd, index) : 0;
	bool counted = counter_fd < 0 || after - before == cases->repeat;
	bool same = fresh.output_length == wrapped.output_length &&
		    !memcmp(fresh.output, wrapped.output, fresh.output_length);
	bool changed = fresh.output_length != frame->length ||
		       memcmp(fresh.output, frame->words, frame->length);
	tap_result(
	    fresh.verdict == expect && wrapped.verdict == expect && same && counted &&
		(changed || expect == XDP_PASS),
	    "%s: behind the wrapper, run %u gives a fresh frame's verdict (%u, %u; want %u) and "
	    "bytes (%s, %s the input), its counter counts %" PRIu64 "%s",
	    name, cases->repeat, wrapped.verdict, fresh.verdict, expect, same ? "same" : "differ",
	    changed ? "rewritten from" : "equal to", after - before,
	    counter_fd < 0 ? " (it has none)" : " runs");
}

/* fdinfo's memlock of FD equals `bpftool -j map show id ID`'s bytes_memlock. */
static void check_memlock(int fd)
{
	struct bpf_map_info info = {0};
	uint32_t length = sizeof(info);
	uint64_t fdinfo = 0, bpftool = 0;
	char command[64], output[4096] = "";
	FILE *pipe;

	bpf_obj_get_info_by_fd(fd, &info, &length);
	map_memlock(fd, &fdinfo);
	snprintf(command, sizeof(command), "bpftool -j map show id %u", info.id);
	pipe = popen(command, "r");
	if (pipe) {
		size_t n = fread(output, 1, sizeof(output) - 1, pipe);
		output[n] = 0;
		pclose(pipe);
	}
	char *field = strstr(output, "\"bytes_memlock\":");
	if (field)
		bpftool = strtoull(field + strlen("\"bytes_memlock\":"), NULL, 10);
	tap_result(fdinfo && fdinfo == bpftool,
		   "memory figures are bpftool's: flows map memlock %" PRIu64 " = bpftool %" PRIu64,
		   fdinfo, bpftool);
}

/* Flows in LB's table; UINT64_MAX when they cannot be counted. */
static uint64_t flows(struct lb_instance *lb)
{
	uint64_t count;

	return lb_count_flows(lb, &count) ? UINT64_MAX : count;
}

/* Runs FRAME behind the wrapper REPEAT times on LB; the flows it inserted and how many of its
 * packets asked bpf_fib_lookup, into *INSERTED and *FIB. False when it did not forward. */
static bool run_counted(struct bench_cases *cases, const char *name, struct lb_instance *lb,
			const struct bench_frame *frame, uint32_t limit, uint64_t *inserted,
			uint64_t *fib, uint64_t *skipped)
{
	struct bench_case *item = cases_add(cases, name, lb->program_fd, true, frame, lb, XDP_TX);
	uint64_t flows_before = flows(lb),
		 fib_before = counter(lb->counters_fd, LB_COUNTER_FIB_LOOKUP);
	uint64_t tx_before = counter(lb->counters_fd, LB_COUNTER_TX);
	uint64_t skipped_before = counter(lb->counters_fd, LB_COUNTER_FLOW_INSERT_SKIPPED);
	struct run_result result;

	if (!item)
		return false;
	item->settings.flow_inserts_per_second = limit;
	bool ran = !cases_run_once(cases, item, cases->repeat, &result);
	*inserted = flows(lb) - flows_before;
	*fib = counter(lb->counters_fd, LB_COUNTER_FIB_LOOKUP) - fib_before;
	*skipped = counter(lb->counters_fd, LB_COUNTER_FLOW_INSERT_SKIPPED) - skipped_before;
	bool forwarded = counter(lb->counters_fd, LB_COUNTER_TX) - tx_before == cases->repeat;
	item->settings.flow_inserts_per_second = 0;
	lb_write_settings(lb, &item->settings);
	return ran && result.verdict == XDP_TX && forwarded;
}

/* Each of LB's three rings has EXPECT of its M slots marked changed (0 or all). */
static void check_slots(struct lb_instance *lb, const char *name, bool all)
{
	uint32_t changed, total = 0, want = 0;
	bool ok = lb->ring_count == 3;

	for (size_t ring = 0; ring < lb->ring_count; ring++) {
		ok = ok && !lb_count_changed_slots(lb, ring, L3DSR_DEFAULT_TABLE_SIZE, &changed);
		total += changed;
		want += all ? L3DSR_DEFAULT_TABLE_SIZE : 0;
	}
	tap_result(ok && total == want, "%s: %u of the rings' %u slots marked changed (want %u)",
		   name, total, 3 * L3DSR_DEFAULT_TABLE_SIZE, want);
}

/*
 * The cost part's cases are what they are named: on an unchanged slot no packet reads or writes
 * per-flow state (a SYN inserts nothing); on a changed slot a SYN inserts its flow and an
 * established flow is found in the table; with next_hops filled no packet asks the FIB, with it
 * empty every packet does.
 */
static void check_cases(struct bench_cases *cases, struct lb_instance *lb,
			struct lb_instance *lb_fib, struct lb_instance *lb_changed,
			const struct bench_specs *specs)
{
	const uint32_t n = cases->repeat;
	struct bench_frame frame;
	struct flow_key key;
	uint64_t inserted, fib, skipped;
	uint32_t backend_id = 0, live;
	bool ran;

	check_slots(lb, "lb", false);
	check_slots(lb_changed, "lb_changed", true);
	lb_count_next_hops(lb, &live);
	tap_result(live == 6,
		   "lb: next_hops_fill made %u live entries (want 6, two backends for each "
		   "of three VIPs)",
		   live);
	lb_count_next_hops(lb_fib, &live);
	tap_result(live == 0, "lb_fib: next_hops empty (%u live)", live);
	/* The cache answers what the FIB answers: the same frame out, byte for byte. */
	for (int v6 = 0; v6 < 2; v6++) {
		struct run_result cached, looked_up;

		bench_frame(v6 ? &specs->tcp6 : &specs->tcp4, &frame);
		ran = !run_program(lb->program_fd, &frame, cases->ifindex, 1, &cached) &&
		      !run_program(lb_fib->program_fd, &frame, cases->ifindex, 1, &looked_up);
		tap_result(
		    ran && cached.verdict == XDP_TX && looked_up.verdict == XDP_TX &&
			cached.output_length == looked_up.output_length &&
			!memcmp(cached.output, looked_up.output, cached.output_length),
		    "tcp%d: lb with next_hops filled sends the very frame lb_fib sends after "
		    "its fib lookup (verdicts %u, %u)",
		    v6 ? 6 : 4, cached.verdict, looked_up.verdict);
	}

	const struct {
		const char *name;
		const struct packet_spec *spec;
		struct lb_instance *lb;
		uint64_t fib; /* expected fib lookups over n runs */
	} established[] = {
	    {"lb tcp4 established (unchanged slot, next-hop cache)", &specs->tcp4, lb, 0},
	    {"lb tcp6 established (unchanged slot, next-hop cache)", &specs->tcp6, lb, 0},
	    {"lb tcp4 established (unchanged slot, FIB fallback)", &specs->tcp4, lb_fib, n},
	    {"lb tcp6 established (unchanged slot, FIB fallback)", &specs->tcp6, lb_fib, n},
	    {"lb udp4 established (unchanged slot, next-hop cache)", &specs->udp4, lb, 0},
	};
	for (size_t i = 0; i < sizeof(established) / sizeof(established[0]); i++) {
		bench_frame(established[i].spec, &frame);
		ran = run_counted(cases, established[i].name, established[i].lb, &frame, 0,
				  &inserted, &fib, &skipped);
		tap_result(ran && inserted == 0 && fib == established[i].fib,
			   "%s: %u runs forwarded, inserted %" PRIu64 " flows (want 0), asked the "
			   "FIB %" PRIu64 " times (want %" PRIu64 ")",
			   established[i].name, n, inserted, fib, established[i].fib);
	}
	packet_flow_key(&specs->tcp4, UINT32_MAX, &key);
	tap_result(bpf_map_lookup_elem(lb->flows_fd, &key, &backend_id) && errno == ENOENT,
		   "lb: the established flow on an unchanged slot is not in the flow table");

	/* A changed slot: the first packet of the established flow enters the table. */
	bench_frame(&specs->tcp4, &frame);
	ran = run_counted(cases, "changed established", lb_changed, &frame, 0, &inserted, &fib,
			  &skipped);
	bool found = !bpf_map_lookup_elem(lb_changed->flows_fd, &key, &backend_id);
	tap_result(ran && inserted == 1 && found && backend_id >= 1 && backend_id <= 2 && fib == 0,
		   "lb_changed tcp4 established: %u runs inserted %" PRIu64
		   " flow under the key the "
		   "harness computes (backend %u), asked the FIB %" PRIu64 " times",
		   n, inserted, backend_id, fib);

	/* SYNs of new flows (the wrapper varies the source every run). */
	bench_frame(&specs->syn4, &frame);
	bench_vary(&frame, BENCH_VARY_COUNTER, 0);
	ran = run_counted(cases, "syn unchanged", lb, &frame, 0, &inserted, &fib, &skipped);
	tap_result(ran && inserted == 0 && fib == 0,
		   "lb tcp4 SYN, new flows on unchanged slots: %u runs inserted %" PRIu64
		   " flows (want 0)",
		   n, inserted);
	ran = run_counted(cases, "syn changed", lb_changed, &frame, 0, &inserted, &fib, &skipped);
	tap_result(ran && inserted == n && skipped == 0,
		   "lb_changed tcp4 SYN, new flows on changed slots: %u runs inserted %" PRIu64
		   " flows",
		   n, inserted);
	/* Over flow_inserts_per_second the new flows are balanced but not inserted. */
	ran = run_counted(cases, "syn changed over limit", lb_changed, &frame, 1, &inserted, &fib,
			  &skipped);
	tap_result(ran && inserted <= 1 && skipped + 1 >= n,
		   "lb_changed tcp4 SYN over flow_inserts_per_second = 1: %" PRIu64
		   " of %u skipped, %" PRIu64 " inserted",
		   skipped, n, inserted);
}

/*
 * The backend id at FLOW's slot of the ring SLOTS (the default table size) under the hash MIX64
 * names (lookup3 else).
 */
static uint32_t ring_backend(const uint32_t *slots, uint32_t seed, const struct flow_key *flow,
			     bool mix64)
{
	uint32_t hash = mix64 ? l3dsr_flow_hash_mix64(flow, seed) : l3dsr_flow_hash(flow, seed);

	return l3dsr_ring_current(slots[hash % L3DSR_DEFAULT_TABLE_SIZE]);
}

/*
 * lb_mix64 really hashes with mix64: 64 flows of each family (source ports from the spec's on),
 * each forwarded to the address of the backend at its mix64 slot, and some of them to another
 * backend than lookup3's slot holds (so an instance that ignored the flag would fail). The ring
 * of each family's VIP (the v4 one added first) is read once.
 */
static void check_mix64(struct bench_cases *cases, struct lb_instance *lb_mix64,
			const struct bench_specs *specs)
{
	static uint32_t slots[L3DSR_DEFAULT_TABLE_SIZE];
	uint32_t seed = lb_mix64->settings.hash_seed;

	for (int v6 = 0; v6 < 2; v6++) {
		struct packet_spec spec = v6 ? specs->tcp6 : specs->tcp4;
		uint32_t matched = 0, differ = 0, flows = 64;
		uint16_t first_port = spec.source_port;
		bool readable =
		    (size_t)v6 < lb_mix64->ring_count &&
		    !lb_ring_read(lb_mix64->ring_fds[v6], L3DSR_DEFAULT_TABLE_SIZE, slots);

		for (uint32_t i = 0; readable && i < flows; i++) {
			struct backend_info backend;
			struct run_result result;
			struct bench_frame frame;
			struct flow_key key;
			uint32_t id;
			size_t at = v6 ? 14 + 24 : 14 + 16;

			spec.source_port = (uint16_t)(first_port + i);
			packet_flow_key(&spec, UINT32_MAX, &key);
			id = ring_backend(slots, seed, &key, true);
			differ += id != ring_backend(slots, seed, &key, false);
			bench_frame(&spec, &frame);
			if (bpf_map_lookup_elem(lb_mix64->backends_fd, &id, &backend) ||
			    run_program(lb_mix64->program_fd, &frame, cases->ifindex, 1, &result) ||
			    result.verdict != XDP_TX || result.output_length < at + 16)
				continue;
			matched += v6 ? !memcmp(result.output + at, &backend.address, 16)
				      : !memcmp(result.output + at, &backend.address.words[3], 4);
		}
		tap_result(matched == flows && differ > 0,
			   "lb_mix64 tcp%d: %u of %u flows forwarded to their mix64 slot's backend "
			   "(%u of them at another backend under lookup3)",
			   v6 ? 6 : 4, matched, flows, differ);
	}
}

/* The live generator rewrites every frame: lb forwards all of them and passes none. */
static void check_generator(struct bench_env *env, struct lb_instance *lb,
			    const struct packet_spec *tcp4)
{
	struct bpf_object *generator = NULL, *targets = NULL;
	struct bench_frame frame;
	uint32_t key = 0, frames = 4096;
	int generator_fd, sink_fd;

	char path[600];
	bench_path(env, path, sizeof(path), "generator.bpf.o");
	generator_fd = program_load(path, "bench_generator", &generator);
	bench_path(env, path, sizeof(path), "targets.bpf.o");
	sink_fd = program_load(path, "bench_sink", &targets);
	bench_frame(tcp4, &frame);
	if (generator_fd < 0 || sink_fd < 0 ||
	    bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(generator, "frames")),
				&key, &frame, BPF_ANY) ||
	    bpf_xdp_attach(env->generator_ifindex, sink_fd, XDP_FLAGS_DRV_MODE, NULL) ||
	    bpf_xdp_attach(env->ifindex, lb->program_fd, XDP_FLAGS_DRV_MODE, NULL)) {
		tap_result(false, "live generator: set up");
		goto out;
	}
	uint64_t tx = counter(lb->counters_fd, LB_COUNTER_TX);
	uint64_t pass = counter(lb->counters_fd, LB_COUNTER_PASS);
	struct xdp_md context = {.data_end = frame.length,
				 .ingress_ifindex = env->generator_ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = frame.words,
		    .data_size_in = frame.length, .ctx_in = &context,
		    .ctx_size_in = sizeof(context), .repeat = frames,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	int rc = bpf_prog_test_run_opts(generator_fd, &options);
	tx = counter(lb->counters_fd, LB_COUNTER_TX) - tx;
	pass = counter(lb->counters_fd, LB_COUNTER_PASS) - pass;
	tap_result(!rc && tx > frames / 2 && tx <= frames && pass == 0,
		   "live generator rewrites every recycled frame: lb forwarded %" PRIu64
		   " of %u, passed "
		   "%" PRIu64 " (a frame carrying lb's own output would be passed)",
		   tx, frames, pass);
out:
	bpf_xdp_detach(env->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(env->generator_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_object__close(generator);
	bpf_object__close(targets);
}

int bench_check(struct bench_env *env)
{
	struct bpf_object *reference = NULL;
	struct lb_instance lb = {0}, lb_fib = {0}, lb_changed = {0}, lb_mix64 = {0};
	struct backend_instance backend = {0};
	struct bench_cases *cases = bench_cases_open(env);
	struct bench_specs specs;
	struct bench_frame frame;
	struct run_result result;
	int reference_fd, err;

	reference_fd = bench_reference(env, &reference);
	err = bench_base_lb(env, &lb, 0, BENCH_LB_NEXT_HOPS);
	err = err ?: bench_base_lb(env, &lb_fib, 0, 0);
	err = err ?: bench_base_lb(env, &lb_changed, 0, BENCH_LB_CHANGED | BENCH_LB_NEXT_HOPS);
	err = err ?: bench_base_lb(env, &lb_mix64, 0, BENCH_LB_NEXT_HOPS | BENCH_LB_MIX64);
	err = err ?: bench_base_backend(env, &backend);
	tap_result(!err && cases && reference_fd >= 0,
		   "the programs load: wrapper, XDP_PASS, reference, lb (four instances), backend");
	if (err || !cases || reference_fd < 0)
		goto out;
	cases->rounds = 1;
	bench_specs(env, &specs);

	/* The wrapper with XDP_PASS leaves exactly the template. */
	bench_frame(&specs.tcp4, &frame);
	struct bench_case *pass =
	    cases_add(cases, "pass", cases->pass_fd, true, &frame, NULL, XDP_PASS);
	err = cases_run_once(cases, pass, cases->repeat, &result);
	tap_result(!err && result.verdict == XDP_PASS && result.output_length == frame.length &&
		       !memcmp(result.output, frame.words, frame.length),
		   "wrapper + XDP_PASS: %u runs leave the template byte for byte", cases->repeat);

	check_restore(cases, "reference tcp4", reference_fd, &frame, XDP_TX, -1, 0);
	check_restore(cases, "lb tcp4 established", lb.program_fd, &frame, XDP_TX, lb.counters_fd,
		      LB_COUNTER_TX);
	bench_frame(&specs.tcp6, &frame);
	check_restore(cases, "reference tcp6", reference_fd, &frame, XDP_TX, -1, 0);
	check_restore(cases, "lb tcp6 established", lb.program_fd, &frame, XDP_TX, lb.counters_fd,
		      LB_COUNTER_TX);
	bench_frame(&specs.udp4, &frame);
	check_restore(cases, "lb udp4", lb.program_fd, &frame, XDP_TX, lb.counters_fd,
		      LB_COUNTER_TX);
	bench_frame(&specs.restore4, &frame);
	check_restore(cases, "backend tcp4 restore", backend.program_fd, &frame, XDP_PASS,
		      backend.counters_fd, BACKEND_COUNTER_RESTORED);
	bench_frame(&specs.restore6, &frame);
	check_restore(cases, "backend tcp6 restore", backend.program_fd, &frame, XDP_PASS,
		      backend.counters_fd, BACKEND_COUNTER_RESTORED);

	/* The pitfall is real: without the wrapper lb sees its own output from run 2 on. */
	bench_frame(&specs.tcp4, &frame);
	uint64_t tx = counter(lb.counters_fd, LB_COUNTER_TX);
	err = run_program(lb.program_fd, &frame, env->ifindex, cases->repeat, &result);
	tx = counter(lb.counters_fd, LB_COUNTER_TX) - tx;
	tap_result(!err && cases->repeat > 1 && tx < cases->repeat,
		   "without the wrapper, repeat %u re-runs lb on its own output: %" PRIu64
		   " forwarded (so the check above can fail)",
		   cases->repeat, tx);

	check_cases(cases, &lb, &lb_fib, &lb_changed, &specs);
	check_mix64(cases, &lb_mix64, &specs);
	check_memlock(lb.flows_fd);
	if (env->generator_ifindex)
		check_generator(env, &lb, &specs.tcp4);
	err = 0;
out:
	tap_plan();
	lb_close(&lb);
	lb_close(&lb_fib);
	lb_close(&lb_changed);
	lb_close(&lb_mix64);
	backend_close(&backend);
	bpf_object__close(reference);
	bench_cases_close(cases);
	return err;
}
