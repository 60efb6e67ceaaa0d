/*
 * flow_test.c: the load balancer's flow table. A remembered flow keeps its backend while that
 * backend is in use, up and serves the VIP, whatever the ring says; otherwise, or with the table
 * off, the ring decides. New flows above flow_inserts_per_second are balanced, not remembered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sched.h>
#include <time.h>

#include "harness.h"
#include "src/lb/maglev.h"
#include "packet.h"
#include "datapath_config.h"
#include "src/lb/vip_slots.h"

#define FLOW_BACKENDS		  4
#define FLOW_TABLE_SIZE		  251
#define FLOW_ADDRESS4(a, b, c, d) TEST_ADDRESS(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d)

static const struct test_backend flow_backends[FLOW_BACKENDS] = {
    {.address = FLOW_ADDRESS4(198, 51, 100, 21), .id = 0},
    {.address = FLOW_ADDRESS4(198, 51, 100, 22), .id = 1},
    {.address = FLOW_ADDRESS4(198, 51, 100, 23), .id = 2},
    {.address = FLOW_ADDRESS4(198, 51, 100, 24), .id = 3},
};
static const struct test_backend other_backends[] = {
    {.address = FLOW_ADDRESS4(198, 51, 100, 31), .id = 4},
};
/* vip_index 0 is the VIP under test; vip_index 1 is there to take a backend away from it. */
static const struct test_vip flow_vips[] = {
    {.name = "flows4",
     .address = FLOW_ADDRESS4(192, 0, 2, 80),
     .family = 4,
     .protocol = IPPROTO_TCP,
     .dscp = 50,
     .table_size = FLOW_TABLE_SIZE,
     .backend_count = FLOW_BACKENDS,
     .backends = flow_backends},
    {.name = "other4",
     .address = FLOW_ADDRESS4(192, 0, 2, 81),
     .family = 4,
     .protocol = IPPROTO_TCP,
     .dscp = 51,
     .table_size = FLOW_TABLE_SIZE,
     .backend_count = 1,
     .backends = other_backends},
};
static const struct test_config flow_config = {
    .hash_seed = 0x2468ace0,
    .flow_table = 1,
    .vip_count = 2,
    .vips = flow_vips,
};

static struct harness lb;
/* Every test opens flows of its own: a fresh client port each time. */
static uint16_t next_port = 20000;

static void flow_make(uint16_t source_port, struct packet_flow *flow)
{
	static const uint8_t payload[] = "hello";

	memset(flow, 0, sizeof(*flow));
	flow->family = 4;
	test_config_parse_address("203.0.113.9", &flow->source, &flow->family);
	flow->destination = flow_vips[0].address;
	flow->protocol = IPPROTO_TCP;
	flow->source_port = source_port;
	flow->destination_port = 443;
	flow->ttl = 64;
	flow->payload = payload;
	flow->payload_length = sizeof(payload);
}

#define FLOW_TCP_SYN 0x02

/* Runs one packet of the flow from SOURCE_PORT with TCP_FLAGS (0: PSH, ACK) through the LB. */
static void flow_run(uint16_t source_port, uint8_t tcp_flags, struct harness_result *result)
{
	uint8_t frame[256];
	struct packet_flow flow;
	size_t length;

	flow_make(source_port, &flow);
	flow.tcp_flags = tcp_flags;
	length = packet_build(&flow, frame, sizeof(frame));
	assert_true(length > 0);
	assert_int_equal(harness_run(&lb, frame, length, result), 0);
}

/*
 * Sends one packet of the flow from SOURCE_PORT with TCP_FLAGS (0: PSH, ACK); the index of the
 * backend it went to, or -1.
 */
static int flow_send_flags(uint16_t source_port, uint8_t tcp_flags, uint32_t *verdict)
{
	struct harness_result result;
	struct l3dsr_address destination;
	int i;

	flow_run(source_port, tcp_flags, &result);
	if (verdict)
		*verdict = result.verdict;
	if (packet_destination(result.frame, result.length, &destination) != 4)
		return -1;
	for (i = 0; i < FLOW_BACKENDS; i++)
		if (!memcmp(&destination, &flow_backends[i].address, sizeof(destination)))
			return i;
	return -1;
}

static int flow_send(uint16_t source_port, uint32_t *verdict)
{
	return flow_send_flags(source_port, 0, verdict);
}

/*
 * Sends one data packet of the flow from SOURCE_PORT; the DSCP it left with when it went to
 * other4's backend, else -1.
 */
static int flow_send_other(uint16_t source_port, uint32_t *verdict)
{
	struct harness_result result;
	struct l3dsr_address destination;

	flow_run(source_port, 0, &result);
	*verdict = result.verdict;
	if (packet_destination(result.frame, result.length, &destination) != 4 ||
	    memcmp(&destination, &other_backends[0].address, sizeof(destination)))
		return -1;
	return result.frame[ETH_HLEN + 1] >> 2; /* the IPv4 DS field's DSCP */
}

/* Whether the flow table holds the flow from SOURCE_PORT, and with which backend_id. */
static int flow_remembered(uint16_t source_port, uint32_t *backend_id)
{
	struct packet_flow flow;
	struct flow_key key;

	flow_make(source_port, &flow);
	memset(&key, 0, sizeof(key));
	key.source = flow.source;
	key.destination = flow.destination;
	key.source_port = htons(flow.source_port);
	key.destination_port = htons(flow.destination_port);
	key.protocol = IPPROTO_TCP;
	return bpf_map_lookup_elem(harness_map_fd(&lb, "flows"), &key, backend_id) == 0;
}

/* Every slot of the VIP's ring to backend INDEX (or LB_RING_SLOT_EMPTY): what a drain leaves. */
static void ring_fill(uint32_t backend_id)
{
	static uint32_t ring[FLOW_TABLE_SIZE];

	for (size_t i = 0; i < FLOW_TABLE_SIZE; i++)
		ring[i] = backend_id;
	assert_int_equal(test_config_set_ring(&lb, &flow_vips[0], 0, ring), 0);
}

/*
 * Opens the flow from PORT (its backend, the index returned, is remembered), then drains that
 * backend: every ring slot to the next backend, *OTHER.
 */
static int flow_open_then_drain(uint16_t port, int *other)
{
	int first = flow_send(port, NULL);

	assert_in_range(first, 0, FLOW_BACKENDS - 1);
	*other = (first + 1) % FLOW_BACKENDS;
	ring_fill(flow_backends[*other].id);
	return first;
}

static void backend_set(int index, uint32_t vip_index, uint32_t flags)
{
	struct backend_info backend = {
	    .address = flow_backends[index].address, .vip_index = vip_index, .flags = flags};
	uint32_t id = flow_backends[index].id;

	assert_int_equal(bpf_map_update_elem(harness_map_fd(&lb, "backends"), &id, &backend, 0), 0);
}

static uint64_t counter_packets(enum lb_counter counter)
{
	struct traffic_counter sum;

	assert_int_equal(harness_counter_sum(&lb, "counters", counter, &sum), 0);
	return sum.packets;
}

/* Before each test: the configuration as loaded (ring, backends, settings). */
static int flow_setup(void **state)
{
	static uint32_t ring[FLOW_TABLE_SIZE];
	int i;

	(void)state;
	if (test_config_set_lb_settings(&lb, flow_config.hash_seed, 1) ||
	    test_config_build_ring(&flow_vips[0], flow_config.hash_seed, ring) ||
	    test_config_set_ring(&lb, &flow_vips[0], 0, ring))
		return -1;
	for (i = 0; i < FLOW_BACKENDS; i++)
		backend_set(i, 0, BACKEND_F_IN_USE | BACKEND_F_UP);
	return 0;
}

/* A flow opened before its backend left the ring (drained) stays on it; new flows do not. */
static void test_drained_backend_keeps_its_flows(void **state)
{
	uint16_t port = next_port++, new_port = next_port++;
	int first, other;

	(void)state;
	first = flow_open_then_drain(port, &other);
	assert_int_equal(flow_send(port, NULL), first);
	assert_int_equal(flow_send(new_port, NULL), other);
}

static void test_flow_table_off_follows_the_ring(void **state)
{
	uint16_t port = next_port++;
	int other;

	(void)state;
	assert_int_equal(test_config_set_lb_settings(&lb, flow_config.hash_seed, 0), 0);
	flow_open_then_drain(port, &other);
	assert_int_equal(flow_send(port, NULL), other);
}

/* The flow's backend loses FLAGS / moves to VIP_INDEX: the flow goes where the ring says. */
static void flow_moves_when_backend(uint32_t vip_index, uint32_t flags)
{
	uint16_t port = next_port++;
	int first, other;

	first = flow_open_then_drain(port, &other);
	backend_set(first, vip_index, flags);
	assert_int_equal(flow_send(port, NULL), other);
}

static void test_flow_of_a_down_backend_is_balanced_again(void **state)
{
	(void)state;
	flow_moves_when_backend(0, BACKEND_F_IN_USE);
}

static void test_flow_of_a_removed_backend_is_balanced_again(void **state)
{
	(void)state;
	flow_moves_when_backend(0, 0);
}

static void test_flow_of_a_backend_of_another_vip_is_balanced_again(void **state)
{
	(void)state;
	flow_moves_when_backend(1, BACKEND_F_IN_USE | BACKEND_F_UP);
}

/* The table holds the client's 5-tuple as it arrived (destination = VIP) -> backend_id. */
static void test_flow_key_is_the_arriving_five_tuple(void **state)
{
	uint16_t port = next_port++;
	uint32_t backend_id = UINT32_MAX;
	int first;

	(void)state;
	assert_false(flow_remembered(port, &backend_id));
	first = flow_send(port, NULL);
	assert_in_range(first, 0, FLOW_BACKENDS - 1);
	assert_true(flow_remembered(port, &backend_id));
	assert_int_equal(backend_id, flow_backends[first].id);
}

/*
 * With flow_inserts_per_second = 1, of ten new flows sent back to back on one CPU at most two
 * are remembered (two when a one-second window happens to end between them); all ten are
 * balanced, and each one not remembered is counted. Unlimited (0): all ten are remembered.
 */
static void test_flow_inserts_are_limited_per_second(void **state)
{
	struct lb_settings settings = {.hash_seed = flow_config.hash_seed,
				       .flags = LB_SETTINGS_F_FLOW_TABLE,
				       .flow_inserts_per_second = 1};
	uint64_t skipped = counter_packets(LB_COUNTER_FLOW_INSERT_SKIPPED);
	uint16_t first_port = next_port;
	size_t remembered = 0, i;
	uint32_t backend_id;

	(void)state;
	assert_int_equal(test_config_write_lb_settings(&lb, &settings), 0);
	for (i = 0; i < 10; i++)
		assert_in_range(flow_send(next_port++, NULL), 0, FLOW_BACKENDS - 1);
	for (i = 0; i < 10; i++)
		remembered += (size_t)flow_remembered((uint16_t)(first_port + i), &backend_id);
	assert_in_range(remembered, 1, 2);
	assert_int_equal(counter_packets(LB_COUNTER_FLOW_INSERT_SKIPPED) - skipped,
			 10 - remembered);

	settings.flow_inserts_per_second = 0;
	assert_int_equal(test_config_write_lb_settings(&lb, &settings), 0);
	first_port = next_port;
	for (i = 0; i < 10; i++)
		assert_in_range(flow_send(next_port++, NULL), 0, FLOW_BACKENDS - 1);
	for (i = 0; i < 10; i++)
		assert_true(flow_remembered((uint16_t)(first_port + i), &backend_id));
}

/*
 * A SYN opens a new connection: it follows the ring even when the table remembers the same
 * 5-tuple on a backend that is still valid (here drained), and the table then says so, so the
 * connection's later packets follow the SYN.
 */
static void test_syn_follows_the_ring_and_replaces_the_entry(void **state)
{
	uint16_t port = next_port++;
	uint32_t backend_id = UINT32_MAX;
	int first, other;

	(void)state;
	first = flow_open_then_drain(port, &other);
	assert_int_equal(flow_send(port, NULL), first);
	assert_int_equal(flow_send_flags(port, FLOW_TCP_SYN, NULL), other);
	assert_true(flow_remembered(port, &backend_id));
	assert_int_equal(backend_id, flow_backends[other].id);
	assert_int_equal(flow_send(port, NULL), other);
}

/* The insert window on every CPU: opened now (the program reads the coarse clock), INSERTS made. */
static void flow_budget_fill(uint64_t inserts)
{
	int cpus = libbpf_num_possible_cpus();
	struct flow_budget budgets[cpus];
	struct timespec now;
	uint32_t zero = 0;
	int i;

	assert_true(cpus > 0);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC_COARSE, &now), 0);
	for (i = 0; i < cpus; i++) {
		budgets[i].window_start_ns =
		    (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
		budgets[i].inserts = inserts;
	}
	assert_int_equal(bpf_map_update_elem(harness_map_fd(&lb, "flow_budget"), &zero, budgets, 0),
			 0);
}

/*
 * A SYN over the insert limit cannot replace the table's entry, so it honours it, as its
 * connection's later packets will: the SYN, the table and the data agree. (Should the window
 * have ended between filling it and the SYN, the SYN is inserted: the three agree on the ring's
 * backend instead.)
 */
static void test_syn_over_the_insert_limit_honours_the_table(void **state)
{
	struct lb_settings settings = {.hash_seed = flow_config.hash_seed,
				       .flags = LB_SETTINGS_F_FLOW_TABLE,
				       .flow_inserts_per_second = 1};
	uint32_t backend_id = UINT32_MAX;
	uint16_t port = next_port++;
	int first, other, syn;

	(void)state;
	first = flow_open_then_drain(port, &other);
	assert_int_equal(test_config_write_lb_settings(&lb, &settings), 0);
	flow_budget_fill(1000);
	syn = flow_send_flags(port, FLOW_TCP_SYN, NULL);
	assert_true(syn == first || syn == other);
	assert_true(flow_remembered(port, &backend_id));
	assert_int_equal(backend_id, flow_backends[syn].id);
	assert_int_equal(flow_send(port, NULL), syn);
}

/* With the table off a SYN follows the ring, as every packet does, and nothing is remembered. */
static void test_syn_with_flow_table_off_follows_the_ring(void **state)
{
	uint16_t port = next_port++;
	uint32_t backend_id;
	int first, other;

	(void)state;
	assert_int_equal(test_config_set_lb_settings(&lb, flow_config.hash_seed, 0), 0);
	first = flow_send_flags(port, FLOW_TCP_SYN, NULL);
	assert_in_range(first, 0, FLOW_BACKENDS - 1);
	assert_false(flow_remembered(port, &backend_id));
	other = (first + 1) % FLOW_BACKENDS;
	ring_fill(flow_backends[other].id);
	assert_int_equal(flow_send_flags(port, FLOW_TCP_SYN, NULL), other);
}

/*
 * All backends drained (weight 0): every slot empty, a new flow is dropped, counted: passed, the
 * LB's kernel, which owns the VIP, would answer it with a reset.
 */
static void test_empty_ring_drops_new_flows(void **state)
{
	uint64_t no_backend = counter_packets(LB_COUNTER_NO_BACKEND);
	uint32_t verdict = XDP_ABORTED;

	(void)state;
	ring_fill(LB_RING_SLOT_EMPTY);
	assert_int_equal(flow_send(next_port++, &verdict), -1);
	assert_int_equal(verdict, XDP_DROP);
	assert_int_equal(counter_packets(LB_COUNTER_NO_BACKEND) - no_backend, 1);
}

/* No ring at all (the daemon has not plugged one in yet): dropped, counted, as above. */
static void test_missing_ring_drops_new_flows(void **state)
{
	uint64_t no_backend = counter_packets(LB_COUNTER_NO_BACKEND);
	uint32_t verdict = XDP_ABORTED, vip_index = 0;

	(void)state;
	assert_int_equal(bpf_map_delete_elem(harness_map_fd(&lb, "maglev_rings"), &vip_index), 0);
	assert_int_equal(flow_send(next_port++, &verdict), -1);
	assert_int_equal(verdict, XDP_DROP);
	assert_int_equal(counter_packets(LB_COUNTER_NO_BACKEND) - no_backend, 1);
}

/* Makes HALF the live vip_slots table (as the daemon does), or none with HALF NULL. */
static void vip_slots_set(const struct vip_slot_half *half)
{
	static struct vip_address_filter filter;
	int filter_fd = harness_map_fd(&lb, "vip_address_filter");
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(filter_fd, &zero, &filter), 0);
	if (half)
		assert_int_equal(
		    vip_slots_install(harness_map_fd(&lb, "vip_slots"), half, &filter.slots), 0);
	else
		filter.slots = VIP_SLOTS_NONE;
	assert_int_equal(bpf_map_update_elem(filter_fd, &zero, &filter, BPF_ANY), 0);
}

/*
 * The program takes a VIP from vip_slots when the key is there, from vips when it is not: a
 * slot that leads flows4's address, port 443 to other4's vip_index sends the packet to other4's
 * backend, marked with other4's DSCP; with the slots gone it is flows4's again.
 */
static void test_vip_slots_lead_before_vips(void **state)
{
	static struct vip_slot_half half;
	struct vip_key key = {
	    .address = flow_vips[0].address, .port = htons(443), .protocol = IPPROTO_TCP};
	uint16_t port = next_port++;
	uint32_t verdict = XDP_ABORTED;

	(void)state;
	memset(&half, 0, sizeof(half));
	assert_true(vip_slots_place(&half, &key, 1) >= 0);
	vip_slots_set(&half);
	assert_int_equal(flow_send_other(port, &verdict), 51);
	assert_int_equal(verdict, XDP_TX);
	vip_slots_set(NULL);
	assert_int_equal(flow_send_other(port, &verdict), -1);
	assert_true(flow_send(port, &verdict) >= 0);
	assert_int_equal(verdict, XDP_TX);
}

#define FLOW_TEST(name, function) HARNESS_TEST(name, function, flow_setup, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FLOW_TEST("a drained backend (out of the ring, up) keeps its flows; new ones go "
		      "elsewhere",
		      test_drained_backend_keeps_its_flows),
	    FLOW_TEST("flow table off: a flow follows the ring",
		      test_flow_table_off_follows_the_ring),
	    FLOW_TEST("a flow whose backend is down is balanced again through the ring",
		      test_flow_of_a_down_backend_is_balanced_again),
	    FLOW_TEST("a flow whose backend was removed is balanced again through the ring",
		      test_flow_of_a_removed_backend_is_balanced_again),
	    FLOW_TEST("a flow whose backend now serves another VIP is balanced again",
		      test_flow_of_a_backend_of_another_vip_is_balanced_again),
	    FLOW_TEST("the flow table holds the arriving 5-tuple -> backend_id",
		      test_flow_key_is_the_arriving_five_tuple),
	    FLOW_TEST("new flows above flow_inserts_per_second are balanced, not remembered",
		      test_flow_inserts_are_limited_per_second),
	    FLOW_TEST("a SYN follows the ring and replaces the remembered backend",
		      test_syn_follows_the_ring_and_replaces_the_entry),
	    FLOW_TEST("a SYN over the insert limit honours the table, as its data will",
		      test_syn_over_the_insert_limit_honours_the_table),
	    FLOW_TEST("flow table off: a SYN follows the ring and is not remembered",
		      test_syn_with_flow_table_off_follows_the_ring),
	    FLOW_TEST("a VIP whose ring slots are all empty drops new flows",
		      test_empty_ring_drops_new_flows),
	    FLOW_TEST("a VIP without a ring drops new flows", test_missing_ring_drops_new_flows),
	    FLOW_TEST("vip_slots leads a VIP's key before vips; without it vips does",
		      test_vip_slots_lead_before_vips),
	};
	cpu_set_t one_cpu;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The insert budget is per CPU: every packet of this test must meet the same one. */
	CPU_ZERO(&one_cpu);
	CPU_SET(0, &one_cpu);
	if (sched_setaffinity(0, sizeof(one_cpu), &one_cpu)) {
		perror("sched_setaffinity");
		return 1;
	}
	if (harness_open(&lb, harness_object_path("lb.bpf.o")) ||
	    test_config_fill_lb(&lb, &flow_config)) {
		return harness_load_failed("load the LB object and fill its maps");
	}
	failed = cmocka_run_group_tests_name("datapath flow table", tests, NULL, NULL);
	harness_close(&lb);
	return failed ? 1 : 0;
}
