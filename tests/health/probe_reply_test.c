/*
 * probe_reply_test.c: the load balancer's side of the health checks, through the real program. A
 * reply to a probe port from the probe's VIP:port gets the RIP as source (every checksum
 * right) and is passed; one from the RIP:port itself is dropped; everything else is untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <netinet/in.h>

#include "tests/datapath/harness.h"
#include "tests/datapath/packet.h"

#define PROBE_FIRST_PORT 61000
#define PROBE_PORT_COUNT 100
#define PROBE_CHECK_PORT 80
#define PROBE_PORT_V4	 61005 /* in use by an IPv4 probe */
#define PROBE_PORT_V6	 61006 /* in use by an IPv6 probe */
#define PROBE_PORT_FREE	 61007 /* an unused entry that names the IPv4 probe's addresses */
#define PROBE_PORT_LAST	 61099 /* the last port of the range, in use by an IPv4 probe */
#define PROBE_PORT_AFTER 61100 /* one past the range: its entry must never be looked at */

static struct harness lb;

struct probe_addresses {
	const char *vip, *rip, *other;
};
static const struct probe_addresses v4 = {"192.0.2.10", "198.51.100.11", "203.0.113.7"};
static const struct probe_addresses v6 = {"2001:db8:f::10", "2001:db8:2::11", "2001:db8:c::7"};

static struct l3dsr_address address_of(const char *text)
{
	struct l3dsr_address address;
	struct in_addr ipv4;

	memset(&address, 0, sizeof(address));
	if (inet_pton(AF_INET, text, &ipv4) == 1) {
		address.words[2] = htonl(0xffff);
		address.words[3] = ipv4.s_addr;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, address.words), 1);
	}
	return address;
}

static void probe_set(uint16_t port, const struct probe_addresses *addresses, uint8_t family)
{
	struct probe_target target = {
	    .vip = address_of(addresses->vip),
	    .rip = address_of(addresses->rip),
	    .port = htons(PROBE_CHECK_PORT),
	    .family = family,
	};
	uint32_t index = port - PROBE_FIRST_PORT;

	assert_int_equal(bpf_map_update_elem(harness_map_fd(&lb, "probes"), &index, &target, 0), 0);
}

static void settings_set(uint16_t first, uint16_t count)
{
	struct lb_settings settings = {.probe_port_first = first, .probe_port_count = count};
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(harness_map_fd(&lb, "settings"), &zero, &settings, 0),
			 0);
}

/* The SYN-ACK-like segment a backend's service sends to the LB's probe port. */
static size_t reply_build(int family, const char *source, uint16_t source_port,
			  uint16_t destination_port, uint8_t protocol, uint8_t *frame,
			  size_t capacity)
{
	static const uint8_t payload[] = "HTTP/1.0 200 OK\r\n";
	struct packet_flow flow = {
	    .family = family,
	    .source_mac = {0x02, 0, 0, 0, 0, 0x01},
	    .destination_mac = {0x02, 0, 0, 0, 0, 0x02},
	    .source = address_of(source),
	    .destination = address_of(family == 4 ? "203.0.113.10" : "2001:db8:1::10"),
	    .protocol = protocol,
	    .source_port = source_port,
	    .destination_port = destination_port,
	    .ds = 0x02, /* ECT(0): the reply's DS byte is the backend's business, left as is */
	    .ttl = 61,
	    .identification = 0x1234,
	    .flow_label = 0x54321,
	    .sequence = 0x01020304,
	    .payload = payload,
	    .payload_length = sizeof(payload) - 1,
	};
	size_t length = packet_build(&flow, frame, capacity);

	assert_true(length > 0);
	return length;
}

static uint64_t counter_packets(enum lb_counter counter)
{
	struct traffic_counter sum;

	assert_int_equal(harness_counter_sum(&lb, "counters", counter, &sum), 0);
	return sum.packets;
}

/* Runs FRAME; asserts VERDICT, that COUNTER moved by one, and that the frame is EXPECTED. */
static void run_expect(const uint8_t *frame, size_t length, uint32_t verdict,
		       enum lb_counter counter, const uint8_t *expected, size_t expected_length)
{
	uint64_t before = counter_packets(counter);
	struct harness_result result;

	assert_int_equal(harness_run(&lb, frame, length, &result), 0);
	if (result.verdict != verdict)
		fail_msg("verdict %s, expected %s", harness_verdict_name(result.verdict),
			 harness_verdict_name(verdict));
	assert_int_equal(counter_packets(counter) - before, 1);
	if (verdict == XDP_DROP)
		return;
	assert_int_equal(result.length, expected_length);
	assert_memory_equal(result.frame, expected, expected_length);
}

/* A frame that must come back as it went in, passed and counted as "pass". */
static void expect_untouched(const uint8_t *frame, size_t length)
{
	run_expect(frame, length, XDP_PASS, LB_COUNTER_PASS, frame, length);
}

static int probe_setup(void **state)
{
	(void)state;
	settings_set(PROBE_FIRST_PORT, PROBE_PORT_COUNT);
	probe_set(PROBE_PORT_V4, &v4, 4);
	probe_set(PROBE_PORT_V6, &v6, 6);
	probe_set(PROBE_PORT_FREE, &v4, 0);
	probe_set(PROBE_PORT_LAST, &v4, 4);
	probe_set(PROBE_PORT_AFTER, &v4, 4);
	return 0;
}

/* The probe whose reply a test sends: family, addresses, the probe's local port (the cmocka
 * test's initial state). */
struct probe_case {
	int family;
	const struct probe_addresses *addresses;
	uint16_t port;
};

static const struct probe_case probe_v4 = {4, &v4, PROBE_PORT_V4};
static const struct probe_case probe_v6 = {6, &v6, PROBE_PORT_V6};
static const struct probe_case probe_last = {4, &v4, PROBE_PORT_LAST};

/* From VIP:port: the source becomes the RIP; the result is byte for byte the frame the RIP
 * would have sent (built independently, checksums computed from scratch). */
static void test_reply_from_vip_is_given_the_rip(void **state)
{
	const struct probe_case *probe = *state;
	uint8_t frame[256], expected[256];
	size_t length, expected_length;

	length = reply_build(probe->family, probe->addresses->vip, PROBE_CHECK_PORT, probe->port,
			     IPPROTO_TCP, frame, sizeof(frame));
	expected_length = reply_build(probe->family, probe->addresses->rip, PROBE_CHECK_PORT,
				      probe->port, IPPROTO_TCP, expected, sizeof(expected));
	run_expect(frame, length, XDP_PASS, LB_COUNTER_PROBE_REPLY, expected, expected_length);
	if (probe->family == 4)
		assert_int_equal(packet_ipv4_header_checksum(expected, expected_length),
				 PACKET_CHECKSUM_VALID);
	assert_int_equal(packet_transport_checksum(expected, expected_length),
			 PACKET_CHECKSUM_VALID);
}

static void test_reply_from_rip_is_dropped(void **state)
{
	const struct probe_case *probe = *state;
	uint8_t frame[256];
	size_t length = reply_build(probe->family, probe->addresses->rip, PROBE_CHECK_PORT,
				    probe->port, IPPROTO_TCP, frame, sizeof(frame));

	run_expect(frame, length, XDP_DROP, LB_COUNTER_PROBE_DIRECT, NULL, 0);
}

/* Each row is one way of not being the probe's reply; all are passed untouched. */
static void test_others_untouched(void **state)
{
	static const struct {
		int family;
		const char *source;
		uint16_t source_port, destination_port;
		uint8_t protocol;
	} rows[] = {
	    {4, "192.0.2.10", 81, PROBE_PORT_V4, IPPROTO_TCP},	      /* VIP, another port */
	    {4, "198.51.100.11", 81, PROBE_PORT_V4, IPPROTO_TCP},     /* RIP, another port */
	    {4, "203.0.113.7", 80, PROBE_PORT_V4, IPPROTO_TCP},	      /* another address */
	    {4, "192.0.2.10", 80, PROBE_PORT_V4, IPPROTO_UDP},	      /* UDP */
	    {4, "192.0.2.10", 80, PROBE_PORT_V6, IPPROTO_TCP},	      /* the v6 probe's port */
	    {6, "2001:db8:f::10", 80, PROBE_PORT_V4, IPPROTO_TCP},    /* the v4 probe's port */
	    {4, "192.0.2.10", 80, PROBE_PORT_FREE, IPPROTO_TCP},      /* an unused entry */
	    {4, "192.0.2.10", 80, PROBE_PORT_AFTER, IPPROTO_TCP},     /* past the range */
	    {4, "192.0.2.10", 80, PROBE_FIRST_PORT - 1, IPPROTO_TCP}, /* before the range */
	    {4, "198.51.100.11", 80, PROBE_FIRST_PORT - 1, IPPROTO_TCP},
	    {6, "2001:db8:2::11", 80, PROBE_PORT_AFTER, IPPROTO_TCP},
	};
	uint8_t frame[256];
	size_t length;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("# row %zu: IPv%d %s %u -> port %u, protocol %u\n", i, rows[i].family,
			      rows[i].source, rows[i].source_port, rows[i].destination_port,
			      rows[i].protocol);
		length =
		    reply_build(rows[i].family, rows[i].source, rows[i].source_port,
				rows[i].destination_port, rows[i].protocol, frame, sizeof(frame));
		expect_untouched(frame, length);
	}
}

/* No probe range configured (count 0): nothing is a probe reply, whatever the entries say. */
static void test_no_range_configured(void **state)
{
	uint8_t frame[256];
	size_t length;

	(void)state;
	settings_set(0, 0);
	length = reply_build(4, v4.vip, PROBE_CHECK_PORT, PROBE_PORT_V4, IPPROTO_TCP, frame,
			     sizeof(frame));
	expect_untouched(frame, length);
	length = reply_build(4, v4.rip, PROBE_CHECK_PORT, PROBE_PORT_V4, IPPROTO_TCP, frame,
			     sizeof(frame));
	expect_untouched(frame, length);
}

/* IPv4 header fields changed by hand; the header checksum made right again. */
static void ipv4_header_edit(uint8_t *frame, size_t offset, uint16_t value)
{
	uint8_t *ip = frame + PACKET_ETHERNET_LENGTH;

	ip[offset] = (uint8_t)(value >> 8);
	ip[offset + 1] = (uint8_t)value;
	ip[10] = ip[11] = 0;
	value = packet_checksum(packet_sum(ip, 20, 0));
	ip[10] = (uint8_t)(value >> 8);
	ip[11] = (uint8_t)value;
}

/* A first fragment, and a datagram too short for its TCP header: never rewritten. */
static void test_fragment_and_short_header_untouched(void **state)
{
	uint8_t frame[256];
	size_t length;

	(void)state;
	length = reply_build(4, v4.vip, PROBE_CHECK_PORT, PROBE_PORT_V4, IPPROTO_TCP, frame,
			     sizeof(frame));
	ipv4_header_edit(frame, 6, 0x2000); /* more fragments, offset 0 */
	expect_untouched(frame, length);

	length = reply_build(4, v4.vip, PROBE_CHECK_PORT, PROBE_PORT_V4, IPPROTO_TCP, frame,
			     sizeof(frame));
	ipv4_header_edit(frame, 2, 20 + 12); /* total length: 12 bytes of TCP header only */
	expect_untouched(frame, length);
}

#define PROBE_TEST(name, function, probe) HARNESS_TEST(name, function, probe_setup, probe)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PROBE_TEST("IPv4 reply from the probe's VIP:port: source set to the RIP, passed",
		       test_reply_from_vip_is_given_the_rip, &probe_v4),
	    PROBE_TEST("IPv6 reply from the probe's VIP:port: source set to the RIP, passed",
		       test_reply_from_vip_is_given_the_rip, &probe_v6),
	    PROBE_TEST("the last port of the range is a probe port too",
		       test_reply_from_vip_is_given_the_rip, &probe_last),
	    PROBE_TEST("IPv4 reply from the RIP:port itself: dropped and counted",
		       test_reply_from_rip_is_dropped, &probe_v4),
	    PROBE_TEST("IPv6 reply from the RIP:port itself: dropped and counted",
		       test_reply_from_rip_is_dropped, &probe_v6),
	    PROBE_TEST("other ports, addresses, protocols, families, unused entries, ports "
		       "outside the range: untouched",
		       test_others_untouched, NULL),
	    PROBE_TEST("no probe range configured: untouched", test_no_range_configured, NULL),
	    PROBE_TEST("a fragment, a datagram shorter than its TCP header: untouched",
		       test_fragment_and_short_header_untouched, NULL),
	};
	const char *path = harness_object_path("lb.bpf.o");
	int result;

	if (harness_open(&lb, path))
		return harness_load_failed(path);
	result = cmocka_run_group_tests_name("health probe replies", tests, NULL, NULL);
	harness_close(&lb);
	return result;
}
