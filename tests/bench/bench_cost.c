/*
 * bench_cost.c: per-packet cost (issue 7, parts 1 and 2): l3dsr's programs, the reference and
 * XDP_PASS through bpf_prog_test_run_opts, interleaved, with the LB at several scales.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "bench.h"

/* Prints whether the flow-table key the harness computes is in LB's flow table. */
static void print_flow_key_found(const struct bench_env *env, struct lb_instance *lb,
				 const struct packet_spec *spec, const char *name, bool first)
{
	struct flow_key key;
	uint32_t backend_id;

	packet_flow_key(spec, UINT32_MAX, &key);
	fprintf(env->out, "%s\"%s\": %s", first ? "" : ", ", name,
		bpf_map_lookup_elem(lb->flows_fd, &key, &backend_id) ? "false" : "true");
}

/*
 * The three LBs of the cost and spin modes, loaded side by side: the same VIPs, backends and
 * rings' owners; they differ only in what the case names.
 */
enum cost_lb {
	COST_LB,	 /* every slot unchanged, next_hops filled: the common case */
	COST_LB_FIB,	 /* every slot unchanged, next_hops empty: bpf_fib_lookup every packet */
	COST_LB_CHANGED, /* every slot changed (the flow table decides), next_hops filled */
	COST_LB_MIX64,	 /* as COST_LB, with flow-hash = mix64 */
	COST_LBS,
	COST_NO_LB = COST_LBS,
};
static const unsigned cost_lb_flags[COST_LBS] = {
    [COST_LB] = BENCH_LB_NEXT_HOPS,
    [COST_LB_FIB] = 0,
    [COST_LB_CHANGED] = BENCH_LB_CHANGED | BENCH_LB_NEXT_HOPS,
    [COST_LB_MIX64] = BENCH_LB_NEXT_HOPS | BENCH_LB_MIX64,
};
static const char *const cost_lb_names[COST_LBS] = {"lb", "lb_fib", "lb_changed", "lb_mix64"};

/* What the cost and spin modes load: the cases and the programs they run. */
struct cost_setup {
	struct bpf_object *reference;
	struct lb_instance lbs[COST_LBS];
	struct backend_instance backend;
	struct bench_cases *cases;
	struct bench_specs specs;
};

static void cost_close(struct cost_setup *setup)
{
	for (int i = 0; i < COST_LBS; i++)
		lb_close(&setup->lbs[i]);
	backend_close(&setup->backend);
	bpf_object__close(setup->reference);
	bench_cases_close(setup->cases);
}

/* What to do with a case before measuring it. */
enum cost_prepare {
	PREPARE_NONE = 0,
	PREPARE_ONCE, /* one run: an established flow on a changed slot enters the flow table */
	PREPARE_FILL, /* flow-table-size runs: the table full, every later insert evicting */
};

/* Loads everything and adds the cases; established flows inserted, the flow table full. */
static int cost_open(struct bench_env *env, struct cost_setup *setup)
{
	struct bench_specs *specs = &setup->specs;
	struct bench_cases *cases;
	struct bench_frame frame;
	struct bench_case *item;
	struct run_result result;
	int err = -EINVAL, reference_fd, pass_fd, backend_fd;

	memset(setup, 0, sizeof(*setup));
	cases = setup->cases = bench_cases_open(env);
	if (!cases)
		return err;
	pass_fd = cases->pass_fd;
	reference_fd = bench_reference(env, &setup->reference);
	if (reference_fd < 0)
		goto out;
	for (int i = 0; i < COST_LBS; i++) {
		err = bench_base_lb(env, &setup->lbs[i], 0, cost_lb_flags[i]);
		if (err)
			goto out;
	}
	err = bench_base_backend(env, &setup->backend);
	if (err)
		goto out;
	backend_fd = setup->backend.program_fd;
	bench_specs(env, specs);

	/*
	 * The cases in the order they are measured. Pass-through frames are not modified, so they
	 * run directly (no restore needed); the others run behind the wrapper. The SYN cases vary
	 * their source every run (vary): 2^24 (IPv4) or 2^32 (IPv6) sources before one comes back,
	 * each a new flow. "changed": on lb_changed, whose every slot changed owner; else on a slot
	 * that did not (no per-flow state). "fib": next_hops empty, bpf_fib_lookup every packet.
	 * "mix64": on lb_mix64, flow-hash = mix64 in place of lookup3.
	 */
	const struct {
		const char *name;
		const struct packet_spec *spec;
		int fd; /* the program, or -1: the case's LB's */
		enum cost_lb lb;
		bool wrapped, vary;
		uint32_t verdict;
		uint32_t flow_inserts_per_second;
		enum cost_prepare prepare;
	} rows[] = {
	    {"xdp_pass", &specs->non_vip4, pass_fd, COST_NO_LB, false, false, XDP_PASS, 0, 0},
	    {"lb_non_vip4", &specs->non_vip4, -1, COST_LB, false, false, XDP_PASS, 0, 0},
	    {"lb_non_vip6", &specs->non_vip6, -1, COST_LB, false, false, XDP_PASS, 0, 0},
	    {"reference_tcp4", &specs->tcp4, reference_fd, COST_NO_LB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp4_established", &specs->tcp4, -1, COST_LB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp4_established_fib", &specs->tcp4, -1, COST_LB_FIB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp4_established_changed", &specs->tcp4, -1, COST_LB_CHANGED, true, false, XDP_TX,
	     0, PREPARE_ONCE},
	    {"lb_tcp4_established_mix64", &specs->tcp4, -1, COST_LB_MIX64, true, false, XDP_TX, 0,
	     0},
	    {"reference_tcp6", &specs->tcp6, reference_fd, COST_NO_LB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp6_established", &specs->tcp6, -1, COST_LB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp6_established_fib", &specs->tcp6, -1, COST_LB_FIB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp6_established_mix64", &specs->tcp6, -1, COST_LB_MIX64, true, false, XDP_TX, 0,
	     0},
	    {"lb_udp4_established", &specs->udp4, -1, COST_LB, true, false, XDP_TX, 0, 0},
	    {"lb_tcp4_syn", &specs->syn4, -1, COST_LB, true, true, XDP_TX, 0, 0},
	    {"lb_tcp4_syn_mix64", &specs->syn4, -1, COST_LB_MIX64, true, true, XDP_TX, 0, 0},
	    {"lb_tcp6_syn", &specs->syn6, -1, COST_LB, true, true, XDP_TX, 0, 0},
	    {"lb_tcp4_syn_changed", &specs->syn4, -1, COST_LB_CHANGED, true, true, XDP_TX, 0,
	     PREPARE_FILL},
	    {"lb_tcp6_syn_changed", &specs->syn6, -1, COST_LB_CHANGED, true, true, XDP_TX, 0, 0},
	    {"lb_tcp4_syn_changed_over_limit", &specs->syn4, -1, COST_LB_CHANGED, true, true,
	     XDP_TX, 1, 0},
	    {"backend_tcp4_restore", &specs->restore4, backend_fd, COST_NO_LB, true, false,
	     XDP_PASS, 0, 0},
	    {"backend_tcp6_restore", &specs->restore6, backend_fd, COST_NO_LB, true, false,
	     XDP_PASS, 0, 0},
	};
	struct bench_case *prepare[sizeof(rows) / sizeof(rows[0])] = {0};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lb_instance *lb = rows[i].lb == COST_NO_LB ? NULL : &setup->lbs[rows[i].lb];

		bench_frame(rows[i].spec, &frame);
		if (rows[i].vary)
			bench_vary(&frame, BENCH_VARY_COUNTER, 0);
		item = cases_add(cases, rows[i].name, rows[i].fd >= 0 ? rows[i].fd : lb->program_fd,
				 rows[i].wrapped, &frame, lb, rows[i].verdict);
		if (!item) {
			err = -ENOMEM;
			goto out;
		}
		item->settings.flow_inserts_per_second = rows[i].flow_inserts_per_second;
		if (rows[i].prepare != PREPARE_NONE)
			prepare[i] = item;
	}
	/* The established flow enters lb_changed's table, then SYNs fill that table. */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !err; i++)
		if (prepare[i])
			err = cases_run_once(cases, prepare[i],
					     rows[i].prepare == PREPARE_FILL
						 ? setup->lbs[COST_LB_CHANGED].flow_table_size
						 : 1,
					     &result);
out:
	if (err)
		cost_close(setup);
	return err;
}

int bench_cost(struct bench_env *env)
{
	struct cost_setup setup;
	uint32_t live;
	int err;

	err = cost_open(env, &setup);
	if (err)
		return err;
	err = cases_measure(setup.cases);
	if (err)
		goto out;
	fprintf(env->out, "{\"mode\": \"cost\", \"flow_table_size\": %u, \"flow_key_found\": {",
		setup.lbs[COST_LB].flow_table_size);
	print_flow_key_found(env, &setup.lbs[COST_LB], &setup.specs.tcp4, "tcp4", true);
	print_flow_key_found(env, &setup.lbs[COST_LB], &setup.specs.tcp6, "tcp6", false);
	print_flow_key_found(env, &setup.lbs[COST_LB_CHANGED], &setup.specs.tcp4, "tcp4_changed",
			     false);
	fprintf(env->out, "}, \"next_hops_live\": {");
	for (int i = 0; i < COST_LBS && !err; i++) {
		err = lb_count_next_hops(&setup.lbs[i], &live);
		fprintf(env->out, "%s\"%s\": %u", i ? ", " : "", cost_lb_names[i], live);
	}
	fprintf(env->out, "}, \"measurements\": ");
	cases_print_json(setup.cases, env->out);
	fprintf(env->out, "}\n");
out:
	cost_close(&setup);
	return err;
}

/* Runs one cost case for env->seconds, so that a profiler (perf, bpftool prog profile) sees it. */
int bench_spin(struct bench_env *env)
{
	struct cost_setup setup;
	struct bench_case *item = NULL;
	struct run_result result;
	struct bpf_prog_info info = {0};
	uint32_t length = sizeof(info);
	time_t until;
	int err;

	err = cost_open(env, &setup);
	if (err)
		return err;
	for (size_t i = 0; i < setup.cases->count; i++)
		if (!strcmp(setup.cases->items[i].name, env->spin_case))
			item = &setup.cases->items[i];
	if (!item) {
		pr_warn("no case %s\n", env->spin_case);
		err = -ENOENT;
		goto out;
	}
	bpf_obj_get_info_by_fd(item->program_fd, &info, &length);
	fprintf(env->out, "{\"mode\": \"spin\", \"case\": \"%s\", \"program_id\": %u}\n",
		item->name, info.id);
	fflush(env->out);
	until = time(NULL) + (time_t)env->seconds;
	while (!err && time(NULL) < until)
		err = cases_run_once(setup.cases, item, env->repeat, &result);
out:
	cost_close(&setup);
	return err;
}

/* One LB of the scale measurement. */
struct scale_config {
	char name[32];
	uint32_t vips;
	uint32_t backends; /* per VIP */
	bool changed;	   /* every ring slot marked changed: the flow table decides */
	uint32_t flows;	   /* flows put in the flow table beforehand (0: none) */
	struct lb_instance lb;
	struct lb_memory memory;
	uint64_t flows_present;
	uint32_t next_hops_live;
};

static int scale_fill_flows(struct lb_instance *lb, const struct packet_spec *spec, uint32_t count,
			    uint32_t backends)
{
	enum { CHUNK = 4096 };
	LIBBPF_OPTS(bpf_map_batch_opts, options);
	int cpus = libbpf_num_possible_cpus();
	struct flow_key *keys = malloc(CHUNK * sizeof(*keys));
	uint32_t *values = malloc(CHUNK * sizeof(*values));
	cpu_set_t original, one;
	int err = 0;

	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	/* The LRU lists are per CPU: insert each CPU's share from that CPU. */
	sched_getaffinity(0, sizeof(original), &original);
	for (uint32_t start = 0; start < count && !err; start += CHUNK) {
		uint32_t n = count - start < CHUNK ? count - start : CHUNK;

		CPU_ZERO(&one);
		CPU_SET((start / CHUNK) % cpus, &one);
		sched_setaffinity(0, sizeof(one), &one);
		for (uint32_t i = 0; i < n; i++) {
			packet_flow_key(spec, start + i, &keys[i]);
			values[i] = 1 + (start + i) % backends;
		}
		if (bpf_map_update_batch(lb->flows_fd, keys, values, &n, &options)) {
			err = -errno;
			pr_warn("flows fill: %s\n", strerror(errno));
		}
	}
	sched_setaffinity(0, sizeof(original), &original);
out:
	free(keys);
	free(values);
	return err;
}

static int scale_load(const struct bench_env *env, struct scale_config *config,
		      const struct packet_spec *spec)
{
	struct lb_vip_spec vip = {
	    .family = AF_INET6, .protocol = IPPROTO_TCP, .table_size = L3DSR_DEFAULT_TABLE_SIZE};
	int err;

	err = lb_open(&config->lb, env->lb_path,
		      config->flows > L3DSR_DEFAULT_FLOW_TABLE_SIZE ? config->flows : 0);
	if (err)
		return err;
	/* VIP i: [2001:db8:a::10 + i / 8]:80 + i % 8; DSCP codes while they last, then none. */
	for (uint32_t i = 0; i < config->vips && !err; i++) {
		packet_address(BENCH_VIP6, &vip.address);
		vip.address.s6_addr[15] += i / 8;
		vip.port = BENCH_VIP_PORT + i % 8;
		vip.dscp = i < 63 ? i + 1 : 0;
		vip.backend_count = config->backends;
		vip.changed = config->changed;
		err = lb_add_vip(&config->lb, &vip, i);
	}
	if (!err) {
		int live = lb_fill_next_hops(&config->lb, env->ifindex);

		err = live < 0 ? live : 0;
		config->next_hops_live = live < 0 ? 0 : (uint32_t)live;
	}
	if (!err && config->flows)
		err = scale_fill_flows(&config->lb, spec, config->flows, config->backends);
	err = err ?: lb_count_flows(&config->lb, &config->flows_present);
	err = err ?: lb_memory(&config->lb, &config->memory);
	return err;
}

int bench_scale(struct bench_env *env)
{
	/*
	 * Unchanged rings (what a stable VIP has) from 1 to scale_max_vips VIPs and from 2 to
	 * scale_max_backends backends; then one VIP whose slots all changed, with only the measured
	 * flow remembered, and the same with scale_flows remembered flows.
	 */
	struct scale_config configs[] = {
	    {.name = "vips_1", .vips = 1, .backends = 2},
	    {.name = "vips_100", .vips = 100, .backends = 2},
	    {.name = "vips_max", .vips = env->scale_max_vips, .backends = 2},
	    {.name = "backends_100", .vips = 1, .backends = 100},
	    {.name = "backends_max", .vips = 1, .backends = env->scale_max_backends},
	    {.name = "changed_1", .vips = 1, .backends = 2, .changed = true},
	    {.name = "flows_max",
	     .vips = 1,
	     .backends = 2,
	     .changed = true,
	     .flows = env->scale_flows},
	};
	size_t config_count = sizeof(configs) / sizeof(configs[0]);
	struct bench_cases *cases = bench_cases_open(env);
	struct packet_spec tcp6;
	struct bench_frame frame;
	struct run_result result;
	char name[96];
	int err = -EINVAL;

	if (!cases)
		return err;
	snprintf(configs[2].name, sizeof(configs[2].name), "vips_%u", env->scale_max_vips);
	snprintf(configs[4].name, sizeof(configs[4].name), "backends_%u", env->scale_max_backends);
	snprintf(configs[6].name, sizeof(configs[6].name), "flows_%u", env->scale_flows);
	bench_spec(env, &tcp6, BENCH_VIP6, IPPROTO_TCP, BENCH_VIP_PORT,
		   TCP_FLAG_ACK | TCP_FLAG_PSH);

	for (size_t i = 0; i < config_count; i++) {
		struct scale_config *config = &configs[i];
		struct bench_case *item;

		err = scale_load(env, config, &tcp6);
		if (err)
			goto out;
		/* One flow, again and again (hot); on a changed slot its first run remembers it. */
		bench_frame(&tcp6, &frame);
		snprintf(name, sizeof(name), "%.31s.established", config->name);
		item = cases_add(cases, name, config->lb.program_fd, true, &frame, &config->lb,
				 XDP_TX);
		if (!item) {
			err = -ENOMEM;
			goto out;
		}
		err = cases_run_once(cases, item, 1, &result);
		if (err)
			goto out;
		/*
		 * A different flow every run: on an unchanged ring 65536 flows over its slots; with
		 * remembered flows, each run the next of them (a cold entry every time). Not on
		 * changed_1, where every new flow would be an insert.
		 */
		if (config->changed && !config->flows)
			continue;
		bench_vary(&frame, BENCH_VARY_COUNTER, config->flows ? config->flows : 65536);
		snprintf(name, sizeof(name), "%.31s.cycling", config->name);
		if (!cases_add(cases, name, config->lb.program_fd, true, &frame, &config->lb,
			       XDP_TX)) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = cases_measure(cases);
	if (err)
		goto out;
	fprintf(env->out, "{\"mode\": \"scale\", \"configs\": [");
	for (size_t i = 0; i < config_count; i++) {
		struct scale_config *config = &configs[i];

		fprintf(env->out,
			"%s\n  {\"name\": \"%s\", \"vips\": %u, \"backends_per_vip\": %u, "
			"\"changed\": %s, \"next_hops_live\": %u, "
			"\"flows\": %u, \"flows_present\": %llu, \"flow_table_size\": %u, "
			"\"table_size\": %u, \"memory\": {\"flows\": %llu, \"rings\": %llu, "
			"\"other\": %llu, \"total\": %llu}}",
			i ? "," : "", config->name, config->vips, config->backends,
			config->changed ? "true" : "false", config->next_hops_live, config->flows,
			(unsigned long long)config->flows_present, config->lb.flow_table_size,
			L3DSR_DEFAULT_TABLE_SIZE, (unsigned long long)config->memory.flows,
			(unsigned long long)config->memory.rings,
			(unsigned long long)config->memory.other,
			(unsigned long long)config->memory.total);
	}
	fprintf(env->out, "\n], \"measurements\": ");
	cases_print_json(cases, env->out);
	fprintf(env->out, "}\n");
out:
	for (size_t i = 0; i < config_count; i++)
		lb_close(&configs[i].lb);
	bench_cases_close(cases);
	return err;
}
