/*
 * flow_test.c: the load balancer's per-flow state. A ring slot that did not change owner decides
 * alone, and no packet on it creates state. On a changed slot a remembered flow keeps its backend
 * while that backend is in use, up and serves the VIP; an unknown flow goes to the slot's previous
 * backend unless it opens a TCP connection (or that backend is gone); with the table off the ring
 * decides. New flows above flow_inserts_per_second are balanced, not remembered. The changes are
 * made by the daemon's own code (src/lb/lb_rings.c, src/lb/lb_marks.c), on two program instances
 * with the same maps' contents, one of which never sees the flows before the change.
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
#include <unistd.h>

#include "bpf/hash.h"
#include "harness.h"
#include "src/lb/lb_marks.h"
#include "src/lb/lb_rings.h"
#include "src/common/maps.h"
#include "src/lb/maglev.h"
#include "packet.h"
#include "datapath_config.h"
#include "src/lb/vip_slots.h"

#define FLOW_BACKENDS		  5 /* the fifth is out of the ring until a test adds it */
#define FLOW_TABLE_SIZE		  251
#define FLOW_RETENTION_MS	  300000
#define FLOW_ADDRESS4(a, b, c, d) TEST_ADDRESS(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d)

static const struct test_backend flow_backends[FLOW_BACKENDS] = {
    {.address = FLOW_ADDRESS4(198, 51, 100, 21), .id = 0},
    {.address = FLOW_ADDRESS4(198, 51, 100, 22), .id = 1},
    {.address = FLOW_ADDRESS4(198, 51, 100, 23), .id = 2},
    {.address = FLOW_ADDRESS4(198, 51, 100, 24), .id = 3},
    {.address = FLOW_ADDRESS4(198, 51, 100, 25), .id = 4},
};
/* The weights of the ring every test starts from: the fifth backend not configured yet. */
static const uint32_t initial_weights[FLOW_BACKENDS] = {1, 1, 1, 1, 0};
static const struct test_backend other_backends[] = {
    {.address = FLOW_ADDRESS4(198, 51, 100, 31), .id = 5},
};
/* vip_index 0 is the VIP under test; vip_index 1 is there to take a backend away from it. */
static const struct test_vip flow_vips[] = {
    {.name = "flows4",
     .address = FLOW_ADDRESS4(192, 0, 2, 80),
     .family = 4,
     .protocol = 0, /* any: TCP and UDP flows */
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

/* lb is the LB under test; lb2 a second LB with the same maps' contents that never sees the
 * flows before a change (another LB they move to). */
static struct harness lb, lb2;
/* Every test opens flows of its own: a fresh client port each time. */
static uint16_t next_port = 20000;

static void flow_make(uint16_t source_port, uint8_t protocol, struct packet_flow *flow)
{
	static const uint8_t payload[] = "hello";

	memset(flow, 0, sizeof(*flow));
	flow->family = 4;
	test_config_parse_address("203.0.113.9", &flow->source, &flow->family);
	flow->destination = flow_vips[0].address;
	flow->protocol = protocol;
	flow->source_port = source_port;
	flow->destination_port = 443;
	flow->ttl = 64;
	flow->payload = payload;
	flow->payload_length = sizeof(payload);
}

#define FLOW_TCP_SYN 0x02

/* Runs one packet of the flow from SOURCE_PORT (TCP_FLAGS for TCP, 0: PSH, ACK) through H. */
static void flow_run(const struct harness *h, uint16_t source_port, uint8_t protocol,
		     uint8_t tcp_flags, struct harness_result *result)
{
	uint8_t frame[256];
	struct packet_flow flow;
	size_t length;

	flow_make(source_port, protocol, &flow);
	flow.tcp_flags = tcp_flags;
	length = packet_build(&flow, frame, sizeof(frame));
	assert_true(length > 0);
	assert_int_equal(harness_run(h, frame, length, result), 0);
}

/* The index of the backend FRAME went to, or -1. */
static int flow_backend_of(const struct harness_result *result)
{
	struct l3dsr_address destination;

	if (packet_destination(result->frame, result->length, &destination) != 4)
		return -1;
	for (int i = 0; i < FLOW_BACKENDS; i++)
		if (!memcmp(&destination, &flow_backends[i].address, sizeof(destination)))
			return i;
	return -1;
}

/* Sends one packet of the flow through H; the index of the backend it went to, or -1. */
static int flow_send_on(const struct harness *h, uint16_t source_port, uint8_t protocol,
			uint8_t tcp_flags, uint32_t *verdict)
{
	struct harness_result result;

	flow_run(h, source_port, protocol, tcp_flags, &result);
	if (verdict)
		*verdict = result.verdict;
	return flow_backend_of(&result);
}

static int flow_send_flags(uint16_t source_port, uint8_t tcp_flags, uint32_t *verdict)
{
	return flow_send_on(&lb, source_port, IPPROTO_TCP, tcp_flags, verdict);
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

	flow_run(&lb, source_port, IPPROTO_TCP, 0, &result);
	*verdict = result.verdict;
	if (packet_destination(result.frame, result.length, &destination) != 4 ||
	    memcmp(&destination, &other_backends[0].address, sizeof(destination)))
		return -1;
	return result.frame[ETH_HLEN + 1] >> 2; /* the IPv4 DS field's DSCP */
}

static void flow_key_of(uint16_t source_port, uint8_t protocol, struct flow_key *key)
{
	struct packet_flow flow;

	flow_make(source_port, protocol, &flow);
	memset(key, 0, sizeof(*key));
	key->source = flow.source;
	key->destination = flow.destination;
	key->source_port = htons(flow.source_port);
	key->destination_port = htons(flow.destination_port);
	key->protocol = protocol;
}

/* Whether H's flow table holds the flow from SOURCE_PORT, and with which backend_id. */
static int flow_remembered_on(const struct harness *h, uint16_t source_port, uint8_t protocol,
			      uint32_t *backend_id)
{
	struct flow_key key;

	flow_key_of(source_port, protocol, &key);
	return bpf_map_lookup_elem(harness_map_fd(h, "flows"), &key, backend_id) == 0;
}

static int flow_remembered(uint16_t source_port, uint32_t *backend_id)
{
	return flow_remembered_on(&lb, source_port, IPPROTO_TCP, backend_id);
}

/* The ring slot of the flow from SOURCE_PORT, as the program computes it. */
static uint32_t flow_slot(uint16_t source_port, uint8_t protocol)
{
	struct flow_key key;

	flow_key_of(source_port, protocol, &key);
	return l3dsr_flow_hash(&key, flow_config.hash_seed) % FLOW_TABLE_SIZE;
}

/* The index in flow_backends of backend_id ID, or -1 (none, or LB_RING_SLOT_EMPTY). */
static int backend_index(uint32_t id)
{
	for (int i = 0; i < FLOW_BACKENDS; i++)
		if (flow_backends[i].id == id)
			return i;
	return -1;
}

/* The VIP's table over flow_backends with WEIGHTS, as the daemon builds it. */
static void ring_build(const uint32_t weights[FLOW_BACKENDS], uint32_t *table)
{
	struct maglev_backend members[FLOW_BACKENDS];
	size_t count = 0;

	for (int i = 0; i < FLOW_BACKENDS; i++) {
		if (!weights[i])
			continue;
		memcpy(members[count].key, &flow_backends[i].address, sizeof(members[count].key));
		members[count].weight = weights[i];
		members[count].id = flow_backends[i].id;
		count++;
	}
	assert_int_equal(
	    maglev_build(members, count, FLOW_TABLE_SIZE, flow_config.hash_seed, table), 0);
}

/* Writes H's ring_changes entry of the VIP: unknown flows go to the previous backend until
 * UNTIL_NS (CLOCK_MONOTONIC). */
static void ring_change_until(const struct harness *h, uint64_t until_ns)
{
	struct ring_change change = {.unknown_until_ns = until_ns};
	uint32_t vip_index = 0;

	assert_int_equal(
	    bpf_map_update_elem(harness_map_fd(h, "ring_changes"), &vip_index, &change, BPF_ANY),
	    0);
}

/*
 * The daemon's change of H's ring to TABLE (src/lb/lb_sync.c, update_vip): the slots rewritten
 * in place with their marks, KEPT[index] saying which backends stay configured, and the change's
 * time in ring_changes.
 */
static void ring_change_kept_on(const struct harness *h, const uint32_t *table,
				const bool kept_index[FLOW_BACKENDS])
{
	bool kept[FLOW_BACKENDS + 1] = {false};
	uint32_t entries = 0;
	int ring;

	for (int i = 0; i < FLOW_BACKENDS; i++)
		kept[flow_backends[i].id] = kept_index[i];
	ring = lb_ring_open(harness_map_fd(h, "maglev_rings"), 0, &entries);
	assert_true(ring >= 0);
	assert_int_equal(entries, l3dsr_ring_entries(FLOW_TABLE_SIZE));
	assert_true(lb_ring_rewrite(ring, table, FLOW_TABLE_SIZE, kept, FLOW_BACKENDS + 1) >= 0);
	close(ring);
	ring_change_until(h, lb_marks_now_ns() + (uint64_t)FLOW_RETENTION_MS * 1000000);
}

static const bool all_kept[FLOW_BACKENDS] = {true, true, true, true, true};

/* Every slot of the VIP's ring to BACKEND_ID (or LB_RING_SLOT_EMPTY), as the daemon changes it:
 * what draining all but one backend leaves. */
static void ring_fill(uint32_t backend_id)
{
	static uint32_t ring[FLOW_TABLE_SIZE];

	for (size_t i = 0; i < FLOW_TABLE_SIZE; i++)
		ring[i] = backend_id;
	ring_change_kept_on(&lb, ring, all_kept);
}

/* The SIZE slot words of H's ring. */
static void ring_read_on(const struct harness *h, uint32_t *slots)
{
	uint32_t entries = 0;
	int ring = lb_ring_open(harness_map_fd(h, "maglev_rings"), 0, &entries);

	assert_true(ring >= 0);
	assert_int_equal(lb_ring_read(ring, FLOW_TABLE_SIZE, slots), 0);
	close(ring);
}

/* How many slots of lb's ring carry a mark (previous != current). */
static size_t ring_marked(void)
{
	static uint32_t slots[FLOW_TABLE_SIZE];
	size_t marked = 0;

	ring_read_on(&lb, slots);
	for (size_t i = 0; i < FLOW_TABLE_SIZE; i++)
		marked += l3dsr_ring_previous(slots[i]) != l3dsr_ring_current(slots[i]);
	return marked;
}

/* The backend index that owned the slot of the flow from PORT in the initial ring. */
static int backend_before(uint16_t port, uint8_t protocol)
{
	static uint32_t table[FLOW_TABLE_SIZE];

	ring_build(initial_weights, table);
	return backend_index(table[flow_slot(port, protocol)]);
}

/* A fresh port whose flow's slot was owned by backend INDEX in the initial ring. */
static uint16_t port_first_on(int index, uint8_t protocol)
{
	while (backend_before(next_port, protocol) != index)
		next_port++;
	return next_port++;
}

/* A fresh port whose flow's slot was owned by a backend other than INDEX in the initial ring. */
static uint16_t port_not_on(int index, uint8_t protocol)
{
	while (backend_before(next_port, protocol) == index)
		next_port++;
	return next_port++;
}

/*
 * Opens the flow from PORT (its backend, the index returned, is not remembered: its slot did not
 * change), then drains that backend: every ring slot to the next backend, *OTHER.
 */
static int flow_open_then_drain(uint16_t port, int *other)
{
	int first = flow_send(port, NULL);

	assert_in_range(first, 0, FLOW_BACKENDS - 2);
	*other = (first + 1) % (FLOW_BACKENDS - 1);
	ring_fill(flow_backends[*other].id);
	return first;
}

static void backend_set_on(const struct harness *h, int index, uint32_t vip_index, uint32_t flags)
{
	struct backend_info backend = {
	    .address = flow_backends[index].address, .vip_index = vip_index, .flags = flags};
	uint32_t id = flow_backends[index].id;

	assert_int_equal(bpf_map_update_elem(harness_map_fd(h, "backends"), &id, &backend, 0), 0);
}

static void backend_set(int index, uint32_t vip_index, uint32_t flags)
{
	backend_set_on(&lb, index, vip_index, flags);
}

static uint64_t counter_packets(enum lb_counter counter)
{
	struct traffic_counter sum;

	assert_int_equal(harness_counter_sum(&lb, "counters", counter, &sum), 0);
	return sum.packets;
}

/* The configuration as loaded on H: ring without marks, backends, settings, no change. */
static int flow_setup_on(const struct harness *h)
{
	static uint32_t ring[FLOW_TABLE_SIZE];
	struct ring_change none = {0};
	uint32_t vip_index = 0;

	ring_build(initial_weights, ring);
	if (test_config_set_lb_settings(h, flow_config.hash_seed, 1) ||
	    test_config_set_ring(h, &flow_vips[0], 0, ring) ||
	    bpf_map_update_elem(harness_map_fd(h, "ring_changes"), &vip_index, &none, BPF_ANY))
		return -1;
	for (int i = 0; i < FLOW_BACKENDS; i++)
		backend_set_on(h, i, 0, initial_weights[i] ? BACKEND_F_IN_USE | BACKEND_F_UP : 0);
	return 0;
}

/* Before each test: both LBs as loaded. */
static int flow_setup(void **state)
{
	(void)state;
	return flow_setup_on(&lb) || flow_setup_on(&lb2) ? -1 : 0;
}

/*
 * On a ring that did not change, no packet creates per-flow state: a SYN, a TCP data packet of
 * an unknown flow, UDP. They are balanced by the ring all the same.
 */
static void test_unchanged_slots_create_no_state(void **state)
{
	static uint32_t table[FLOW_TABLE_SIZE];
	uint32_t backend_id, verdict = XDP_ABORTED;
	uint16_t port;
	int backend;

	(void)state;
	ring_build(initial_weights, table);
	assert_int_equal(ring_marked(), 0);
	for (int i = 0; i < 30; i++) {
		uint8_t protocol = i % 3 == 2 ? IPPROTO_UDP : IPPROTO_TCP;
		uint8_t flags = i % 3 == 0 ? FLOW_TCP_SYN : 0;

		port = next_port++;
		backend = flow_send_on(&lb, port, protocol, flags, &verdict);
		assert_int_equal(verdict, XDP_TX);
		assert_int_equal(backend, backend_index(table[flow_slot(port, protocol)]));
		assert_false(flow_remembered_on(&lb, port, protocol, &backend_id));
	}
}

/* A flow opened before its backend left the ring (drained) stays on it; new connections do
 * not. */
static void test_drained_backend_keeps_its_flows(void **state)
{
	uint16_t port = next_port++, new_port = next_port++;
	int first, other;

	(void)state;
	first = flow_open_then_drain(port, &other);
	assert_int_equal(flow_send(port, NULL), first);
	assert_int_equal(flow_send_flags(new_port, FLOW_TCP_SYN, NULL), other);
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

/*
 * The flow's backend loses FLAGS / moves to VIP_INDEX: the flow goes where the ring says, both
 * the flow the table knows and one it does not know.
 */
static void flow_moves_when_backend(uint32_t vip_index, uint32_t flags)
{
	uint16_t port = next_port++, unknown;
	uint32_t backend_id;
	int first, other;

	first = flow_open_then_drain(port, &other);
	unknown = port_first_on(first, IPPROTO_TCP);
	assert_int_equal(flow_send(port, NULL), first);
	assert_true(flow_remembered(port, &backend_id));
	backend_set(first, vip_index, flags);
	assert_int_equal(flow_send(port, NULL), other);
	assert_int_equal(flow_send(unknown, NULL), other);
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

/*
 * On a changed slot the table remembers the client's 5-tuple as it arrived (destination = VIP)
 * -> backend_id: here the previous backend, which the flow was on before the change.
 */
static void test_flow_key_is_the_arriving_five_tuple(void **state)
{
	uint16_t port = next_port++;
	uint32_t backend_id = UINT32_MAX;
	int first, other;

	(void)state;
	first = flow_open_then_drain(port, &other);
	assert_false(flow_remembered(port, &backend_id));
	assert_int_equal(flow_send(port, NULL), first);
	assert_true(flow_remembered(port, &backend_id));
	assert_int_equal(backend_id, flow_backends[first].id);
}

/* Two changes in a row leave every slot marked: all to backend 0, then all to backend 1. */
static void ring_mark_every_slot(void)
{
	ring_fill(flow_backends[0].id);
	ring_fill(flow_backends[1].id);
	assert_int_equal(ring_marked(), FLOW_TABLE_SIZE);
}

/*
 * With flow_inserts_per_second = 1, of ten new flows sent back to back on one CPU (every slot
 * changed) at most two are remembered (two when a one-second window happens to end between
 * them); all ten are balanced, and each one not remembered is counted. Unlimited (0): all ten
 * are remembered.
 */
static void test_flow_inserts_are_limited_per_second(void **state)
{
	struct lb_settings settings = {.hash_seed = flow_config.hash_seed,
				       .flags = LB_SETTINGS_F_FLOW_TABLE,
				       .flow_inserts_per_second = 1};
	uint64_t skipped;
	uint16_t first_port = next_port;
	size_t remembered = 0, i;
	uint32_t backend_id;

	(void)state;
	ring_mark_every_slot();
	skipped = counter_packets(LB_COUNTER_FLOW_INSERT_SKIPPED);
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
	assert_int_equal(flow_send(port, NULL), first); /* remembered now: its slot changed */
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
	assert_in_range(first, 0, FLOW_BACKENDS - 2);
	assert_false(flow_remembered(port, &backend_id));
	other = (first + 1) % (FLOW_BACKENDS - 1);
	ring_fill(flow_backends[other].id);
	assert_int_equal(flow_send_flags(port, FLOW_TCP_SYN, NULL), other);
	assert_false(flow_remembered(port, &backend_id));
}

/*
 * All backends drained (weight 0): every slot empty. A new connection is dropped, counted
 * (passed, the LB's kernel, which owns the VIP, would answer it with a reset); a flow that was
 * on a backend before keeps it (the slot's mark), as a drain promises.
 */
static void test_empty_ring_drops_new_flows(void **state)
{
	uint64_t no_backend = counter_packets(LB_COUNTER_NO_BACKEND);
	uint16_t port = next_port++;
	uint32_t verdict = XDP_ABORTED;
	int first;

	(void)state;
	first = flow_send(port, NULL);
	assert_in_range(first, 0, FLOW_BACKENDS - 2);
	ring_fill(LB_RING_SLOT_EMPTY);
	assert_int_equal(flow_send_flags(next_port++, FLOW_TCP_SYN, &verdict), -1);
	assert_int_equal(verdict, XDP_DROP);
	assert_int_equal(counter_packets(LB_COUNTER_NO_BACKEND) - no_backend, 1);
	assert_int_equal(flow_send(port, &verdict), first);
	assert_int_equal(verdict, XDP_TX);
}

/* A ring created empty (no backend ever): every flow is dropped, counted. */
static void test_new_empty_ring_drops_every_flow(void **state)
{
	static uint32_t ring[FLOW_TABLE_SIZE];
	uint64_t no_backend = counter_packets(LB_COUNTER_NO_BACKEND);
	uint32_t verdict = XDP_ABORTED;

	(void)state;
	for (size_t i = 0; i < FLOW_TABLE_SIZE; i++)
		ring[i] = LB_RING_SLOT_EMPTY;
	assert_int_equal(test_config_set_ring(&lb, &flow_vips[0], 0, ring), 0);
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

#define FLOW_OLD 64 /* flows opened before a change, half TCP, half UDP */
#define FLOW_NEW 32 /* TCP connections opened after it */

/*
 * A backend change from initial_weights to AFTER (REMOVED: the index of a backend removed from
 * the configuration, ADDED: one added to it, or -1), made on lb and on lb2 alike. The flows
 * opened on lb before it keep their backend on both LBs (lb2 never saw them), unless that
 * backend was removed; new TCP connections follow the new table on both.
 */
static void change_keeps_flows(const uint32_t after[FLOW_BACKENDS], int removed, int added)
{
	static uint32_t table[FLOW_TABLE_SIZE], slots[FLOW_TABLE_SIZE], slots2[FLOW_TABLE_SIZE];
	bool kept[FLOW_BACKENDS];
	uint16_t first_port = next_port;
	int before[FLOW_OLD];
	size_t moved = 0;
	uint32_t id;

	for (int i = 0; i < FLOW_BACKENDS; i++)
		kept[i] = i != removed;
	for (int i = 0; i < FLOW_OLD; i++) {
		uint8_t protocol = i % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		uint16_t port = next_port++;

		before[i] = flow_send_on(&lb, port, protocol,
					 protocol == IPPROTO_TCP ? FLOW_TCP_SYN : 0, NULL);
		assert_in_range(before[i], 0, FLOW_BACKENDS - 1);
		assert_int_equal(flow_send_on(&lb, port, protocol, 0, NULL), before[i]);
		assert_false(flow_remembered_on(&lb, port, protocol, &id));
	}
	if (added >= 0) {
		backend_set_on(&lb, added, 0, BACKEND_F_IN_USE | BACKEND_F_UP);
		backend_set_on(&lb2, added, 0, BACKEND_F_IN_USE | BACKEND_F_UP);
	}
	ring_build(after, table);
	ring_change_kept_on(&lb, table, kept);
	ring_change_kept_on(&lb2, table, kept);
	if (removed >= 0) {
		backend_set_on(&lb, removed, 0, 0);
		backend_set_on(&lb2, removed, 0, 0);
	}
	/* Both LBs computed the same ring, marks included, from the same one. */
	ring_read_on(&lb, slots);
	ring_read_on(&lb2, slots2);
	assert_memory_equal(slots, slots2, sizeof(slots));

	for (int i = 0; i < FLOW_OLD; i++) {
		uint8_t protocol = i % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		uint16_t port = (uint16_t)(first_port + i);
		int now = backend_index(table[flow_slot(port, protocol)]);
		int expected = before[i] == removed ? now : before[i];

		moved += now != before[i];
		assert_int_equal(flow_send_on(&lb2, port, protocol, 0, NULL), expected);
		assert_int_equal(flow_send_on(&lb, port, protocol, 0, NULL), expected);
		assert_int_equal(flow_send_on(&lb2, port, protocol, 0, NULL), expected);
	}
	/* The change moved some of these flows' slots: the test tested the marks. */
	assert_true(moved > 0);
	for (int i = 0; i < FLOW_NEW; i++) {
		uint16_t port = next_port++;
		int now = backend_index(table[flow_slot(port, IPPROTO_TCP)]);

		assert_int_equal(flow_send_on(&lb, port, IPPROTO_TCP, FLOW_TCP_SYN, NULL), now);
		assert_int_equal(flow_send_on(&lb, port, IPPROTO_TCP, 0, NULL), now);
		assert_int_equal(flow_send_on(&lb2, port, IPPROTO_TCP, FLOW_TCP_SYN, NULL), now);
		assert_int_equal(flow_send_on(&lb2, port, IPPROTO_TCP, 0, NULL), now);
	}
}

static void test_change_backend_removed(void **state)
{
	static const uint32_t after[FLOW_BACKENDS] = {1, 0, 1, 1, 0};

	(void)state;
	change_keeps_flows(after, 1, -1);
}

static void test_change_backend_drained(void **state)
{
	static const uint32_t after[FLOW_BACKENDS] = {1, 0, 1, 1, 0};

	(void)state;
	change_keeps_flows(after, -1, -1);
}

static void test_change_backend_added(void **state)
{
	static const uint32_t after[FLOW_BACKENDS] = {1, 1, 1, 1, 1};

	(void)state;
	change_keeps_flows(after, -1, 4);
}

static void test_change_backend_reweighted(void **state)
{
	static const uint32_t after[FLOW_BACKENDS] = {3, 1, 1, 1, 0};

	(void)state;
	change_keeps_flows(after, -1, -1);
}

/*
 * UDP has no connection start: an unknown UDP flow on a changed slot is taken for one that began
 * before the change and goes to the previous backend (remembered), while the change is recent
 * (ring_changes). After that an unknown UDP flow goes to the current backend; a remembered one
 * stays.
 */
static void test_udp_unknown_flow_stays_with_the_previous_backend(void **state)
{
	uint16_t early, late;
	uint32_t backend_id;
	int other = 2, previous;

	(void)state;
	ring_fill(flow_backends[other].id);
	early = port_not_on(other, IPPROTO_UDP);
	previous = flow_send_on(&lb, early, IPPROTO_UDP, 0, NULL);
	assert_true(previous >= 0 && previous != other);
	assert_true(flow_remembered_on(&lb, early, IPPROTO_UDP, &backend_id));
	assert_int_equal(backend_id, flow_backends[previous].id);

	ring_change_until(&lb, 1); /* the change is past the retention */
	late = port_not_on(other, IPPROTO_UDP);
	assert_int_equal(flow_send_on(&lb, late, IPPROTO_UDP, 0, NULL), other);
	assert_int_equal(flow_send_on(&lb, early, IPPROTO_UDP, 0, NULL), previous);
}

/*
 * A slot changed twice before its mark was retired keeps the older owner as its mark, unless
 * it goes back to that owner: then the owner in between becomes the mark.
 */
static void test_second_change_keeps_the_older_mark(void **state)
{
	bool kept[4] = {true, true, true, true};
	uint32_t slot = l3dsr_ring_slot(0, 0);

	(void)state;
	slot = lb_ring_next_slot(slot, 1, kept, 4);
	assert_int_equal(slot, l3dsr_ring_slot(1, 0));
	slot = lb_ring_next_slot(slot, 2, kept, 4);
	assert_int_equal(slot, l3dsr_ring_slot(2, 0));
	slot = lb_ring_next_slot(slot, 0, kept, 4);
	assert_int_equal(slot, l3dsr_ring_slot(0, 2));
	assert_int_equal(lb_ring_next_slot(slot, 0, kept, 4), slot);
	/* A mark naming a backend that left the VIP is not kept. */
	kept[0] = false;
	assert_int_equal(lb_ring_next_slot(l3dsr_ring_slot(1, 0), 3, kept, 4),
			 l3dsr_ring_slot(3, 1));
	kept[1] = false;
	assert_int_equal(lb_ring_next_slot(l3dsr_ring_slot(1, 0), 3, kept, 4),
			 l3dsr_ring_slot(3, 3));
	/* An empty slot has nobody's flows: its new owner's slot is unchanged. */
	assert_int_equal(
	    lb_ring_next_slot(l3dsr_ring_slot(L3DSR_RING_SLOT_EMPTY, L3DSR_RING_SLOT_EMPTY), 2,
			      kept, 4),
	    l3dsr_ring_slot(2, 2));
	assert_int_equal(lb_ring_next_slot(l3dsr_ring_slot(2, 2), LB_RING_SLOT_EMPTY, kept, 4),
			 l3dsr_ring_slot(L3DSR_RING_SLOT_EMPTY, 2));
}

/* The latest ring_mark_use of the VIP over lb's CPUs. */
static uint64_t mark_last_use(void)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t used[cpus], last = 0;
	uint32_t vip_index = 0;

	assert_int_equal(
	    bpf_map_lookup_elem(harness_map_fd(&lb, "ring_mark_use"), &vip_index, used), 0);
	for (int cpu = 0; cpu < cpus; cpu++)
		last = used[cpu] > last ? used[cpu] : last;
	return last;
}

/*
 * The daemon's retirement (src/lb/lb_marks.c), at chosen moments: not while the change is recent,
 * not while a packet needed a mark within the retention, then every slot back to unchanged, and
 * the flow that needed the mark follows the ring again.
 */
static void test_marks_are_retired_after_the_retention(void **state)
{
	const uint32_t retention_ms = 1000;
	const uint64_t retention_ns = retention_ms * 1000000ULL;
	struct lb_maps maps = {
	    .vip_infos = harness_map_fd(&lb, "vip_infos"),
	    .maglev_rings = harness_map_fd(&lb, "maglev_rings"),
	    .ring_changes = harness_map_fd(&lb, "ring_changes"),
	    .ring_mark_use = harness_map_fd(&lb, "ring_mark_use"),
	};
	struct ring_change change;
	uint16_t port = next_port++;
	uint32_t vip_index = 0;
	uint64_t until, used;
	int first, other;

	(void)state;
	first = flow_open_then_drain(port, &other);
	assert_int_equal(flow_send(port, NULL), first);
	used = mark_last_use();
	assert_true(used > 0);
	until = used + retention_ns / 2;
	ring_change_until(&lb, until);
	assert_true(ring_marked() > 0);

	assert_int_equal(lb_marks_retire(&maps, retention_ms, until - 1), 0);
	assert_int_equal(lb_marks_retire(&maps, retention_ms, used + retention_ns - 1), 0);
	assert_true(ring_marked() > 0);
	assert_int_equal(lb_marks_retire(&maps, retention_ms, used + retention_ns), 1);
	assert_int_equal(ring_marked(), 0);
	assert_int_equal(bpf_map_lookup_elem(maps.ring_changes, &vip_index, &change), 0);
	assert_int_equal(change.unknown_until_ns, 0);
	assert_int_equal(flow_send(port, NULL), other);
	/* Nothing left to retire. */
	assert_int_equal(lb_marks_retire(&maps, retention_ms, used + 10 * retention_ns), 0);
}

/* The VIP's traffic as l3dsrd and l3dsrctl derive it (src/common/maps.c). */
static struct traffic_counter vip_traffic_derived(void)
{
	static struct traffic_counter sums[L3DSR_MAX_VIPS];
	int backends = harness_map_fd(&lb, "backends");

	assert_int_equal(maps_read_vip_traffic(harness_map_fd(&lb, "vip_traffic"),
					       harness_map_fd(&lb, "backend_traffic"), backends,
					       maps_max_entries(backends), L3DSR_MAX_VIPS, sums),
			 0);
	return sums[0];
}

/*
 * The program counts a forwarded packet for its backend only; a VIP's traffic is the sum of its
 * backends' and of what vip_traffic holds, into which a removed backend's counters are folded.
 */
static void test_vip_traffic_is_derived_from_its_backends(void **state)
{
	struct traffic_counter before = vip_traffic_derived(), after, own, backend;
	uint32_t vip_index = 0, id;
	int first;

	(void)state;
	assert_int_equal(harness_counter_sum(&lb, "vip_traffic", 0, &own), 0);
	for (int i = 0; i < 8; i++)
		assert_in_range(flow_send(next_port++, NULL), 0, FLOW_BACKENDS - 2);
	first = flow_send(next_port++, NULL);
	after = vip_traffic_derived();
	assert_int_equal(after.packets - before.packets, 9);
	assert_true(after.bytes - before.bytes >= 9 * 60);
	assert_int_equal(harness_counter_sum(&lb, "vip_traffic", 0, &backend), 0);
	assert_int_equal(backend.packets, own.packets); /* not counted per packet */

	/* The daemon removes a backend: its counts move to vip_traffic, the total stays. */
	id = flow_backends[first].id;
	assert_int_equal(maps_fold_traffic(harness_map_fd(&lb, "backend_traffic"), id,
					   harness_map_fd(&lb, "vip_traffic"), vip_index),
			 0);
	backend_set(first, 0, 0);
	assert_int_equal(harness_counter_sum(&lb, "backend_traffic", id, &backend), 0);
	assert_int_equal(backend.packets, 0);
	before = vip_traffic_derived();
	assert_int_equal(before.packets, after.packets);
	assert_int_equal(before.bytes, after.bytes);
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

/*
 * A new hash seed counts from the next packet: the program keeps the hash's first round of IPv4
 * flows per CPU and seed (lb_hash_cache), and must not use the old seed's. The ring stays as it
 * is; the flow is one whose slot under the new seed has another backend than under the old.
 */
static void test_new_hash_seed_counts_from_the_next_packet(void **state)
{
	static uint32_t table[FLOW_TABLE_SIZE];
	const uint32_t other_seed = flow_config.hash_seed ^ 0x5a5a5a5a;
	struct flow_key key;
	uint32_t verdict = XDP_ABORTED;
	int before = -1, after = -1;
	uint16_t port = 0;

	(void)state;
	ring_build(initial_weights, table);
	for (int tries = 0; tries < 100 && before == after; tries++) {
		port = next_port++;
		flow_key_of(port, IPPROTO_TCP, &key);
		before = backend_index(
		    table[l3dsr_flow_hash(&key, flow_config.hash_seed) % FLOW_TABLE_SIZE]);
		after = backend_index(table[l3dsr_flow_hash(&key, other_seed) % FLOW_TABLE_SIZE]);
	}
	assert_int_not_equal(before, after);
	assert_int_equal(flow_send(port, &verdict), before);
	assert_int_equal(verdict, XDP_TX);
	assert_int_equal(test_config_set_lb_settings(&lb, other_seed, 1), 0);
	assert_int_equal(flow_send(port, &verdict), after);
	assert_int_equal(verdict, XDP_TX);
	assert_int_equal(test_config_set_lb_settings(&lb, flow_config.hash_seed, 1), 0);
	assert_int_equal(flow_send(port, &verdict), before);
}

#define FLOW_TEST(name, function) HARNESS_TEST(name, function, flow_setup, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FLOW_TEST("no packet on an unchanged slot creates per-flow state (SYN, data, UDP)",
		      test_unchanged_slots_create_no_state),
	    FLOW_TEST("a drained backend (out of the ring, up) keeps its flows; new connections go "
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
	    FLOW_TEST("on a changed slot the flow table holds the arriving 5-tuple -> backend_id",
		      test_flow_key_is_the_arriving_five_tuple),
	    FLOW_TEST("new flows above flow_inserts_per_second are balanced, not remembered",
		      test_flow_inserts_are_limited_per_second),
	    FLOW_TEST("a SYN follows the ring and replaces the remembered backend",
		      test_syn_follows_the_ring_and_replaces_the_entry),
	    FLOW_TEST("a SYN over the insert limit honours the table, as its data will",
		      test_syn_over_the_insert_limit_honours_the_table),
	    FLOW_TEST("flow table off: a SYN follows the ring and is not remembered",
		      test_syn_with_flow_table_off_follows_the_ring),
	    FLOW_TEST("all backends drained: new connections dropped, old flows kept",
		      test_empty_ring_drops_new_flows),
	    FLOW_TEST("a VIP whose ring was created empty drops flows",
		      test_new_empty_ring_drops_every_flow),
	    FLOW_TEST("a VIP without a ring drops new flows", test_missing_ring_drops_new_flows),
	    FLOW_TEST("backend removed: flows keep their backends on both LBs unless theirs left; "
		      "new connections follow the table",
		      test_change_backend_removed),
	    FLOW_TEST("backend drained: flows keep their backends on both LBs; new connections "
		      "follow the table",
		      test_change_backend_drained),
	    FLOW_TEST(
		"backend added: flows keep their backends on both LBs; new connections follow "
		"the table",
		test_change_backend_added),
	    FLOW_TEST("backend reweighted: flows keep their backends on both LBs; new connections "
		      "follow the table",
		      test_change_backend_reweighted),
	    FLOW_TEST("an unknown UDP flow on a changed slot stays with the previous backend while "
		      "the change is recent",
		      test_udp_unknown_flow_stays_with_the_previous_backend),
	    FLOW_TEST("a slot changed twice keeps its older mark unless it goes back to it",
		      test_second_change_keeps_the_older_mark),
	    FLOW_TEST("marks are retired once the retention has passed and no flow needed them",
		      test_marks_are_retired_after_the_retention),
	    FLOW_TEST("a VIP's traffic is its backends' plus its removed backends'",
		      test_vip_traffic_is_derived_from_its_backends),
	    FLOW_TEST("vip_slots leads a VIP's key before vips; without it vips does",
		      test_vip_slots_lead_before_vips),
	    FLOW_TEST("a new hash seed counts from the next packet (IPv4)",
		      test_new_hash_seed_counts_from_the_next_packet),
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
	    test_config_fill_lb(&lb, &flow_config) ||
	    harness_open(&lb2, harness_object_path("lb.bpf.o")) ||
	    test_config_fill_lb(&lb2, &flow_config)) {
		return harness_load_failed("load the LB object twice and fill its maps");
	}
	failed = cmocka_run_group_tests_name("datapath flow table", tests, NULL, NULL);
	harness_close(&lb2);
	harness_close(&lb);
	return failed ? 1 : 0;
}
