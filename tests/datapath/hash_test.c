/*
 * hash_test.c: the flow-hash choice through the real program. With LB_SETTINGS_F_HASH_MIX64 in
 * settings every packet goes to the backend at l3dsr_flow_hash_mix64 % table_size of the ring the
 * test built; without it, at l3dsr_flow_hash (lookup3) % table_size. IPv4 and IPv6, TCP (SYN and
 * data) and UDP, to the scenario's four-backend VIPs multi4 and multi6 (protocol any), whose
 * slots do not change: the ring alone decides. Among the flows sent, some must have different
 * backends under the two hashes, so a program that ignored the flag fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <netinet/in.h>

#include "bpf/hash.h"
#include "datapath_config.h"
#include "harness.h"
#include "packet.h"

#define HASH_FLOWS   64 /* per family, protocol and hash */
#define HASH_MAX_M   65537
#define FLOW_TCP_SYN 0x02

static struct harness lb;

/* The scenario's VIP named NAME. */
static const struct test_vip *scenario_vip(const char *name)
{
	for (size_t i = 0; i < scenario_config.vip_count; i++)
		if (!strcmp(scenario_config.vips[i].name, name))
			return &scenario_config.vips[i];
	fail_msg("no VIP %s in the scenario", name);
	return NULL;
}

/* The flow from SOURCE_PORT of a client of VIP's family to VIP's port 443 (odd ports: SYNs). */
static void hash_flow(const struct test_vip *vip, uint8_t protocol, uint16_t source_port,
		      struct packet_flow *flow)
{
	static const uint8_t payload[] = "hash";
	int family = 0;

	memset(flow, 0, sizeof(*flow));
	assert_int_equal(
	    test_config_parse_address(vip->family == 4 ? "203.0.113.9" : "2001:db8:c::9",
				      &flow->source, &family),
	    0);
	flow->family = vip->family;
	flow->destination = vip->address;
	flow->protocol = protocol;
	flow->source_port = source_port;
	flow->destination_port = 443;
	flow->ttl = 64;
	flow->tcp_flags = protocol == IPPROTO_TCP && source_port % 2 ? FLOW_TCP_SYN : 0;
	flow->payload = payload;
	flow->payload_length = sizeof(payload);
}

/* The index in VIP's backends of the one at FLOW's slot of RING under the hash the flag names. */
static int expected_backend(const struct test_vip *vip, const uint32_t *ring,
			    const struct packet_flow *flow, int mix64)
{
	struct flow_key key = {
	    .source = flow->source,
	    .destination = flow->destination,
	    .source_port = htons(flow->source_port),
	    .destination_port = htons(flow->destination_port),
	    .protocol = flow->protocol,
	};
	uint32_t hash = mix64 ? l3dsr_flow_hash_mix64(&key, scenario_config.hash_seed)
			      : l3dsr_flow_hash(&key, scenario_config.hash_seed);
	uint32_t id = ring[hash % vip->table_size];

	for (size_t i = 0; i < vip->backend_count; i++)
		if (vip->backends[i].id == id)
			return (int)i;
	return -1;
}

/* The index in VIP's backends of the one the program sent FLOW's packet to, or -1. */
static int sent_backend(const struct test_vip *vip, const struct packet_flow *flow)
{
	struct harness_result result;
	struct l3dsr_address destination;
	uint8_t frame[256];
	size_t length = packet_build(flow, frame, sizeof(frame));

	assert_true(length > 0);
	assert_int_equal(harness_run(&lb, frame, length, &result), 0);
	assert_int_equal(result.verdict, XDP_TX);
	if (packet_destination(result.frame, result.length, &destination) != vip->family)
		return -1;
	for (size_t i = 0; i < vip->backend_count; i++)
		if (!memcmp(&destination, &vip->backends[i].address, sizeof(destination)))
			return (int)i;
	return -1;
}

/*
 * HASH_FLOWS flows of PROTOCOL to the VIP NAME with the settings' hash MIX64 (1) or lookup3 (0):
 * each reaches the backend that hash predicts; some would have reached another one under the
 * other hash.
 */
static void check_hash(const char *name, uint8_t protocol, int mix64)
{
	static uint32_t ring[HASH_MAX_M];
	const struct test_vip *vip = scenario_vip(name);
	struct lb_settings settings = {
	    .hash_seed = scenario_config.hash_seed,
	    .flags = mix64 ? LB_SETTINGS_F_HASH_MIX64 : 0,
	};
	int told_apart = 0;

	assert_true(vip->table_size <= HASH_MAX_M && vip->backend_count > 1);
	assert_int_equal(test_config_build_ring(vip, scenario_config.hash_seed, ring), 0);
	assert_int_equal(test_config_write_lb_settings(&lb, &settings), 0);
	for (uint16_t port = 30000; port < 30000 + HASH_FLOWS; port++) {
		struct packet_flow flow;
		int expected, other;

		hash_flow(vip, protocol, port, &flow);
		expected = expected_backend(vip, ring, &flow, mix64);
		other = expected_backend(vip, ring, &flow, !mix64);
		assert_true(expected >= 0);
		if (sent_backend(vip, &flow) != expected)
			fail_msg("%s %s port %u: not at the %s slot's backend %d", name,
				 protocol == IPPROTO_TCP ? "TCP" : "UDP", port,
				 mix64 ? "mix64" : "lookup3", expected);
		told_apart += expected != other;
	}
	assert_true(told_apart > 0);
}

static void test_mix64_ipv4(void **state)
{
	(void)state;
	check_hash("multi4", IPPROTO_TCP, 1);
	check_hash("multi4", IPPROTO_UDP, 1);
}

static void test_mix64_ipv6(void **state)
{
	(void)state;
	check_hash("multi6", IPPROTO_TCP, 1);
	check_hash("multi6", IPPROTO_UDP, 1);
}

static void test_lookup3_ipv4(void **state)
{
	(void)state;
	check_hash("multi4", IPPROTO_TCP, 0);
	check_hash("multi4", IPPROTO_UDP, 0);
}

static void test_lookup3_ipv6(void **state)
{
	(void)state;
	check_hash("multi6", IPPROTO_TCP, 0);
	check_hash("multi6", IPPROTO_UDP, 0);
}

/* Switched back and forth: the per-CPU kept round of lookup3 must not leak into mix64 or back. */
static void test_switching_hashes(void **state)
{
	(void)state;
	check_hash("multi4", IPPROTO_TCP, 0);
	check_hash("multi4", IPPROTO_TCP, 1);
	check_hash("multi4", IPPROTO_TCP, 0);
}

#define HASH_TEST(name, function) HARNESS_TEST(name, function, NULL, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    HASH_TEST("flow-hash mix64: IPv4 TCP and UDP go to the mix64 slot's backend",
		      test_mix64_ipv4),
	    HASH_TEST("flow-hash mix64: IPv6 TCP and UDP go to the mix64 slot's backend",
		      test_mix64_ipv6),
	    HASH_TEST("flow-hash lookup3 (flag clear): IPv4 TCP and UDP at the lookup3 slot",
		      test_lookup3_ipv4),
	    HASH_TEST("flow-hash lookup3 (flag clear): IPv6 TCP and UDP at the lookup3 slot",
		      test_lookup3_ipv6),
	    HASH_TEST("switching the hash back and forth takes effect on the next packet",
		      test_switching_hashes),
	};
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (harness_open(&lb, harness_object_path("lb.bpf.o")) ||
	    test_config_fill_lb(&lb, &scenario_config))
		return harness_load_failed("load the LB object and fill its maps");
	failed = cmocka_run_group_tests_name("datapath flow hash", tests, NULL, NULL);
	harness_close(&lb);
	return failed ? 1 : 0;
}
