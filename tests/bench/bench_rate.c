/*
 * bench_rate.c: forwarding rate on a veth (issue 7, part 3) and the SYN flood against the flow
 * table. The rate: an in-kernel generator (BPF_PROG_RUN, BPF_F_TEST_XDP_LIVE_FRAMES) sends frames
 * out of the generator's veth; the program under test, attached (native XDP) to the peer, sends
 * them back with XDP_TX; a counting XDP_DROP sink on the generator's veth receives them. All of it
 * runs in the softirq of the one CPU the harness is pinned to.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "bench.h"

static double wall_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

static uint64_t bench_count_read(int fd, uint32_t index)
{
	int cpus = libbpf_num_possible_cpus();
	struct bench_count values[cpus];
	uint64_t total = 0;

	if (bpf_map_lookup_elem(fd, &index, values))
		return 0;
	for (int cpu = 0; cpu < cpus; cpu++)
		total += values[cpu].packets;
	return total;
}

/* Sends FRAMES copies of FRAME (rewritten each time by the generator) out of IFINDEX. */
static int generate(int generator_fd, const struct bench_frame *frame, int ifindex, uint32_t frames,
		    double *seconds)
{
	struct xdp_md context = {.data_end = frame->length, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = frame->words,
		    .data_size_in = frame->length, .ctx_in = &context,
		    .ctx_size_in = sizeof(context), .repeat = frames,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	double started = wall_seconds();

	if (bpf_prog_test_run_opts(generator_fd, &options)) {
		pr_warn("live frames: %s\n", strerror(errno));
		return -errno;
	}
	*seconds = wall_seconds() - started;
	return 0;
}

static int attach(int ifindex, int program_fd)
{
	int err = bpf_xdp_attach(ifindex, program_fd, XDP_FLAGS_DRV_MODE, NULL);

	if (err)
		pr_warn("attach to ifindex %d: %s\n", ifindex, strerror(-err));
	return err;
}

/*
 * lb: every slot unchanged and next_hops filled, as a stable VIP runs under l3dsrd; lb_fib: the
 * same with next_hops empty (bpf_fib_lookup every packet). The nftables row comes last: only
 * when the netns has its ruleset.
 */
enum rate_target { RATE_MAC_SWAP, RATE_REFERENCE, RATE_LB, RATE_LB_FIB, RATE_NFT, RATE_TARGETS };
static const char *const rate_names[RATE_TARGETS] = {"xdp_tx_mac_swap", "reference", "lb", "lb_fib",
						     "nftables_stateless"};

int bench_rate(struct bench_env *env)
{
	struct bpf_object *generator = NULL, *targets = NULL, *reference = NULL;
	struct lb_instance lb = {0}, lb_fib = {0};
	struct packet_spec tcp4;
	struct bench_frame frame;
	double mpps[RATE_TARGETS][ROUNDS_MAX], generated[RATE_TARGETS][ROUNDS_MAX];
	uint64_t processed[RATE_TARGETS] = {0}, received[RATE_TARGETS] = {0};
	uint64_t fib_lookups[RATE_TARGETS] = {0}; /* the LBs': packets that asked the FIB */
	int fds[RATE_TARGETS], generator_fd, sink_fd, counts_fd, err;
	uint32_t key = 0, target_count = env->nft ? RATE_TARGETS : RATE_NFT;
	char path[600];

	if (env->rounds > ROUNDS_MAX)
		return -EINVAL;
	bench_path(env, path, sizeof(path), "generator.bpf.o");
	generator_fd = program_load(path, "bench_generator", &generator);
	bench_path(env, path, sizeof(path), "targets.bpf.o");
	sink_fd = program_load(path, "bench_sink", &targets);
	fds[RATE_REFERENCE] = bench_reference(env, &reference);
	err = bench_base_lb(env, &lb, 0, BENCH_LB_NEXT_HOPS);
	err = err ?: bench_base_lb(env, &lb_fib, 0, 0);
	if (generator_fd < 0 || sink_fd < 0 || fds[RATE_REFERENCE] < 0 || err) {
		err = err ?: -EINVAL;
		goto out;
	}
	fds[RATE_MAC_SWAP] =
	    bpf_program__fd(bpf_object__find_program_by_name(targets, "bench_mac_swap"));
	fds[RATE_NFT] = bpf_program__fd(bpf_object__find_program_by_name(targets, "bench_pass"));
	fds[RATE_LB] = lb.program_fd;
	fds[RATE_LB_FIB] = lb_fib.program_fd;
	counts_fd = bpf_map__fd(bpf_object__find_map_by_name(targets, "bench_counts"));

	bench_spec(env, &tcp4, BENCH_VIP4, IPPROTO_TCP, BENCH_VIP_PORT,
		   TCP_FLAG_ACK | TCP_FLAG_PSH);
	bench_frame(&tcp4, &frame);
	bench_path(env, path, sizeof(path), "generator.bpf.o");
	if (bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(generator, "frames")),
				&key, &frame, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	err = attach(env->generator_ifindex, sink_fd);
	if (err)
		goto out;
	for (uint32_t round = 0; round < env->rounds; round++) {
		for (uint32_t t = 0; t < target_count; t++) {
			uint32_t target = (t + round) % target_count;
			struct lb_instance *measured = target == RATE_LB_FIB ? &lb_fib : &lb;
			struct traffic_counter tx_before, tx_after, fib_before, fib_after;
			uint64_t sink_before, swap_before;
			double seconds = 0;

			err = attach(env->ifindex, fds[target]);
			if (err)
				goto detach;
			sink_before = bench_count_read(counts_fd, BENCH_COUNT_SINK);
			swap_before = bench_count_read(counts_fd, BENCH_COUNT_MAC_SWAP);
			lb_read_counter(measured->counters_fd, LB_COUNTER_TX, &tx_before);
			lb_read_counter(measured->counters_fd, LB_COUNTER_FIB_LOOKUP, &fib_before);
			err = generate(generator_fd, &frame, env->generator_ifindex, env->frames,
				       &seconds);
			if (err)
				goto detach;
			uint64_t sunk = bench_count_read(counts_fd, BENCH_COUNT_SINK) - sink_before;
			lb_read_counter(measured->counters_fd, LB_COUNTER_TX, &tx_after);
			lb_read_counter(measured->counters_fd, LB_COUNTER_FIB_LOOKUP, &fib_after);
			mpps[target][round] = sunk / seconds / 1e6;
			generated[target][round] = env->frames / seconds / 1e6;
			received[target] += sunk;
			if (target == RATE_MAC_SWAP)
				processed[target] +=
				    bench_count_read(counts_fd, BENCH_COUNT_MAC_SWAP) - swap_before;
			if (target == RATE_LB || target == RATE_LB_FIB) {
				processed[target] += tx_after.packets - tx_before.packets;
				fib_lookups[target] += fib_after.packets - fib_before.packets;
			}
		}
	}
	fprintf(env->out,
		"{\"mode\": \"rate\", \"frames\": %u, \"rounds\": %u, \"frame_length\": %u,"
		" \"targets\": [",
		env->frames, env->rounds, frame.length);
	for (uint32_t t = 0; t < target_count; t++) {
		fprintf(env->out, "%s\n  {\"name\": \"%s\", \"received\": %llu, \"processed\": ",
			t ? "," : "", rate_names[t], (unsigned long long)received[t]);
		if (t == RATE_MAC_SWAP || t == RATE_LB || t == RATE_LB_FIB)
			fprintf(env->out, "%llu", (unsigned long long)processed[t]);
		else
			fprintf(env->out, "null");
		if (t == RATE_LB || t == RATE_LB_FIB)
			fprintf(env->out, ", \"fib_lookups\": %llu",
				(unsigned long long)fib_lookups[t]);
		fprintf(env->out, ", \"mpps\": [");
		for (uint32_t r = 0; r < env->rounds; r++)
			fprintf(env->out, "%s%.4f", r ? ", " : "", mpps[t][r]);
		fprintf(env->out, "], \"generated_mpps\": [");
		for (uint32_t r = 0; r < env->rounds; r++)
			fprintf(env->out, "%s%.4f", r ? ", " : "", generated[t][r]);
		fprintf(env->out, "]}");
	}
	fprintf(env->out, "\n]}\n");
detach:
	bpf_xdp_detach(env->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(env->generator_ifindex, XDP_FLAGS_DRV_MODE, NULL);
out:
	lb_close(&lb);
	lb_close(&lb_fib);
	bpf_object__close(generator);
	bpf_object__close(targets);
	bpf_object__close(reference);
	return err;
}

/* How many of the established flows 0..COUNT-1 of SPEC are still in the flow table. */
static uint32_t flows_present(struct lb_instance *lb, const struct packet_spec *spec,
			      uint32_t count)
{
	uint32_t present = 0, backend_id;
	struct flow_key key;

	for (uint32_t k = 0; k < count; k++) {
		packet_flow_key(spec, k, &key);
		if (!bpf_map_lookup_elem(lb->flows_fd, &key, &backend_id))
			present++;
	}
	return present;
}

/* One run of the flood: its insert limit, whether the established flows keep sending, and
 * whether the ring's slots are changed (right after a backend change) or not (a stable VIP). */
struct flood_spec {
	uint32_t limit;
	bool active;
	bool changed;
};

/*
 * ESTABLISHED flows arrive, then SYNs from random sources are sent for SECONDS; when ACTIVE,
 * every established flow sends one packet after each chunk of the flood, else they stay idle
 * (long-lived quiet connections). Reports how many established flows are still in the table,
 * and what the flood cost per SYN. After each chunk the reference (one flow, behind the same
 * wrapper) and the two wrapper twins run as many times, so the SYN's cost net of the wrapper
 * can be set against the reference's, measured in the same seconds.
 */
static int flood_run(struct bench_env *env, struct bench_cases *cases, int reference_fd,
		     const struct flood_spec *run, uint32_t established, bool first)
{
	enum { FLOOD_CHUNK = 65536 };
	struct lb_instance lb = {0};
	struct packet_spec ack, syn, tcp4;
	struct bench_frame frame;
	struct bench_case *alive, *flood, *reference;
	struct run_result result;
	struct traffic_counter skipped_before, skipped_after;
	uint64_t syns = 0, flows_after = 0;
	double flood_cpu_ns = 0, started, flood_wrapper_ns = 0, reference_ns = 0,
	       reference_wrapper_ns = 0;
	uint32_t chunks = 0;
	bool verdicts_ok = true; /* every chunk of every case ended as expected (XDP_TX) */
	int err;

	cases->count = 0;
	/* Filled as l3dsrd fills it; changed: every slot, the flow table decides. */
	err =
	    bench_base_lb(env, &lb, 0, (run->changed ? BENCH_LB_CHANGED : 0) | BENCH_LB_NEXT_HOPS);
	if (err)
		return err;
	bench_spec(env, &ack, BENCH_VIP4, IPPROTO_TCP, BENCH_VIP_PORT, TCP_FLAG_ACK);
	bench_spec(env, &syn, BENCH_VIP4, IPPROTO_TCP, BENCH_VIP_PORT, TCP_FLAG_SYN);
	bench_spec(env, &tcp4, BENCH_VIP4, IPPROTO_TCP, BENCH_VIP_PORT,
		   TCP_FLAG_ACK | TCP_FLAG_PSH);
	bench_frame(&ack, &frame);
	bench_vary(&frame, BENCH_VARY_COUNTER, established);
	alive = cases_add(cases, "alive", lb.program_fd, true, &frame, &lb, XDP_TX);
	bench_frame(&syn, &frame);
	bench_vary(&frame, BENCH_VARY_RANDOM, 0);
	flood = cases_add(cases, "flood", lb.program_fd, true, &frame, &lb, XDP_TX);
	bench_frame(&tcp4, &frame);
	reference = cases_add(cases, "reference", reference_fd, true, &frame, NULL, XDP_TX);
	if (!alive || !flood || !reference) {
		err = -ENOMEM;
		goto out;
	}
	/* The established flows arrive before the flood, under no limit. */
	err = cases_run_once(cases, alive, established, &result);
	if (err)
		goto out;
	uint32_t before = flows_present(&lb, &ack, established);
	alive->settings.flow_inserts_per_second = run->limit;
	flood->settings.flow_inserts_per_second = run->limit;
	lb_read_counter(lb.counters_fd, LB_COUNTER_FLOW_INSERT_SKIPPED, &skipped_before);
	started = wall_seconds();
	while (wall_seconds() - started < env->seconds) {
		err = cases_run_once(cases, flood, FLOOD_CHUNK, &result);
		if (err)
			goto out;
		flood_cpu_ns += result.ns_per_run * FLOOD_CHUNK;
		verdicts_ok = verdicts_ok && result.verdict == XDP_TX;
		syns += FLOOD_CHUNK;
		chunks++;
		if (run->active && (err = cases_run_once(cases, alive, established, &result)))
			goto out;
		/* Not flood time: the comparison, in the same seconds. */
		const struct {
			struct bench_case *item;
			double *ns;
		} beside[] = {{&cases->items[flood->calibration], &flood_wrapper_ns},
			      {reference, &reference_ns},
			      {&cases->items[reference->calibration], &reference_wrapper_ns}};
		for (size_t b = 0; b < sizeof(beside) / sizeof(beside[0]); b++) {
			err = cases_run_once(cases, beside[b].item, FLOOD_CHUNK, &result);
			if (err)
				goto out;
			*beside[b].ns += result.ns_per_run * FLOOD_CHUNK;
			verdicts_ok =
			    verdicts_ok && result.verdict == beside[b].item->expect_verdict;
		}
	}
	double elapsed = wall_seconds() - started;
	lb_read_counter(lb.counters_fd, LB_COUNTER_FLOW_INSERT_SKIPPED, &skipped_after);
	uint32_t after = flows_present(&lb, &ack, established);
	err = lb_count_flows(&lb, &flows_after);
	if (err)
		goto out;
	fprintf(env->out,
		"%s\n  {\"flow_inserts_per_second\": %u, \"flow_table_size\": %u, "
		"\"changed\": %s, \"established\": %u, \"established_present_before\": %u, "
		"\"established_present_after\": %u, \"syns\": %llu, \"seconds\": %.3f, "
		"\"syn_ns\": %.2f, \"wrapper_ns\": %.2f, \"reference_ns\": %.2f, "
		"\"reference_wrapper_ns\": %.2f, \"inserts_skipped\": %llu, "
		"\"flows_in_table_after\": %llu, \"established_active\": %s, \"chunks\": %u, "
		"\"verdicts_ok\": %s}",
		first ? "" : ",", run->limit, lb.flow_table_size, run->changed ? "true" : "false",
		established, before, after, (unsigned long long)syns, elapsed, flood_cpu_ns / syns,
		flood_wrapper_ns / syns, reference_ns / syns, reference_wrapper_ns / syns,
		(unsigned long long)(skipped_after.packets - skipped_before.packets),
		(unsigned long long)flows_after, run->active ? "true" : "false", chunks,
		verdicts_ok ? "true" : "false");
out:
	lb_close(&lb);
	return err;
}

int bench_flood(struct bench_env *env)
{
	struct bench_cases *cases = bench_cases_open(env);
	/* No limit, then the daemon's default, "auto": flow-table-size / possible CPUs / 10. */
	uint32_t auto_limit = L3DSR_DEFAULT_FLOW_TABLE_SIZE / libbpf_num_possible_cpus() / 10;
	uint32_t limit = env->flood_limit ? env->flood_limit : auto_limit;
	/*
	 * Right after a backend change: established flows that keep sending during the flood,
	 * then ones that are idle, each with no limit and with the default one. Then a stable VIP
	 * (no slot changed) at the defaults, where a flood creates no state.
	 */
	const struct flood_spec runs[] = {
	    {0, true, true},	  {limit, true, true},	{0, false, true},
	    {limit, false, true}, {limit, true, false},
	};
	struct bpf_object *reference = NULL;
	int reference_fd, err = 0;

	if (!cases)
		return -EINVAL;
	reference_fd = bench_reference(env, &reference);
	if (reference_fd < 0) {
		bench_cases_close(cases);
		return reference_fd;
	}
	cases->rounds = 1;
	fprintf(env->out, "{\"mode\": \"flood\", \"runs\": [");
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]) && !err; i++)
		err = flood_run(env, cases, reference_fd, &runs[i], env->flood_established, i == 0);
	fprintf(env->out, "\n]}\n");
	bpf_object__close(reference);
	bench_cases_close(cases);
	return err;
}
