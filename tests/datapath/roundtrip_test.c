/*
 * roundtrip_test.c: the round-trip property. Over many random 5-tuples to random VIPs (both
 * families, tcp and udp, DSCP-marked and "dscp = none"), the load balancer's output fed into the
 * backend program gives back the original packet, except the DS field, the TTL / hop limit, the
 * IPv4 header checksum that covers them, and the MACs. L3DSR_RANDOM_SEED repeats a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <netinet/in.h>

#include "harness.h"
#include "packet.h"
#include "prng.h"
#include "report.h"
#include "datapath_config.h"

#define ROUNDTRIP_FLOWS_PER_KIND 5000
#define ROUNDTRIP_DSCP_VIPS	 24 /* per family: 48 of the 63 codes */
#define ROUNDTRIP_PLAIN_VIPS	 2  /* per family, "dscp = none" */
#define ROUNDTRIP_VIPS		 (2 * (ROUNDTRIP_DSCP_VIPS + ROUNDTRIP_PLAIN_VIPS))
#define ROUNDTRIP_MAX_BACKENDS	 4
#define ROUNDTRIP_EXAMPLES	 3

/* Backend hosts with permanent neighbour entries on the ingress link (topology.ip). */
static const uint8_t roundtrip_hosts[] = {11, 12, 13, 14, 15, 16, 17, 18, 21, 22,
					  23, 24, 31, 32, 33, 34, 35, 36, 37, 38};

static struct test_vip vips[ROUNDTRIP_VIPS];
static struct test_backend backends[ROUNDTRIP_VIPS][ROUNDTRIP_MAX_BACKENDS];
static struct l3dsr_address local_addresses[2 * sizeof(roundtrip_hosts)];
static char vip_names[ROUNDTRIP_VIPS][16];
static int dscp_used[L3DSR_DSCP_CODES];
static struct test_config config;
static uint64_t run_seed;

static void address_of(struct l3dsr_address *address, const char *text)
{
	int family;

	if (test_config_parse_address(text, address, &family))
		abort();
}

static uint8_t roundtrip_free_code(void)
{
	uint8_t code;

	do
		code = (uint8_t)(1 + prng_below(L3DSR_DSCP_CODES - 1));
	while (dscp_used[code]);
	dscp_used[code] = 1;
	return code;
}

/* A random VIP: its address, protocol, port, DSCP code (or none) and 1..4 backends. */
static void roundtrip_make_vip(size_t index, int family, int plain)
{
	struct test_vip *vip = &vips[index];
	char text[64];
	uint32_t backend_count = 1 + prng_below(ROUNDTRIP_MAX_BACKENDS);
	uint32_t first_host = prng_below(sizeof(roundtrip_hosts));
	size_t i;

	snprintf(vip_names[index], sizeof(vip_names[index]), "vip%zu", index);
	vip->name = vip_names[index];
	vip->family = family;
	snprintf(text, sizeof(text), family == 4 ? "192.0.2.%zu" : "2001:db8:f::1:%zx",
		 100 + index);
	address_of(&vip->address, text);
	if (plain) {
		/* "dscp = none": (protocol, port) must be unique on the backend, per family. */
		vip->protocol = index % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		vip->port = (uint16_t)(9000 + index);
		vip->dscp = 0;
	} else {
		static const uint8_t protocols[] = {IPPROTO_TCP, IPPROTO_UDP, 0};

		vip->protocol = PRNG_PICK(protocols);
		vip->port = prng_below(2) ? 0 : (uint16_t)(1 + prng_below(65535));
		vip->dscp = roundtrip_free_code();
	}
	vip->table_size = 251;
	vip->backend_count = backend_count;
	vip->backends = backends[index];
	for (i = 0; i < backend_count; i++) {
		/* Distinct hosts: a VIP lists a backend once. */
		uint8_t host = roundtrip_hosts[(first_host + i) % sizeof(roundtrip_hosts)];

		snprintf(text, sizeof(text), family == 4 ? "198.51.100.%u" : "2001:db8:b::%u",
			 host);
		address_of(&backends[index][i].address, text);
		backends[index][i].id = (uint32_t)(index * ROUNDTRIP_MAX_BACKENDS + i);
	}
}

static void roundtrip_make_config(void)
{
	size_t index = 0, i;
	char text[64];

	for (int family = 4; family <= 6; family += 2) {
		for (i = 0; i < ROUNDTRIP_DSCP_VIPS; i++)
			roundtrip_make_vip(index++, family, 0);
		for (i = 0; i < ROUNDTRIP_PLAIN_VIPS; i++)
			roundtrip_make_vip(index++, family, 1);
	}
	for (i = 0; i < sizeof(roundtrip_hosts); i++) {
		snprintf(text, sizeof(text), "198.51.100.%u", roundtrip_hosts[i]);
		address_of(&local_addresses[2 * i], text);
		snprintf(text, sizeof(text), "2001:db8:b::%u", roundtrip_hosts[i]);
		address_of(&local_addresses[2 * i + 1], text);
	}
	config = (struct test_config){
	    .hash_seed = (uint32_t)prng_next(),
	    .flow_table = 1,
	    .vip_count = ROUNDTRIP_VIPS,
	    .vips = vips,
	    .local_address_count = sizeof(local_addresses) / sizeof(local_addresses[0]),
	    .local_addresses = local_addresses,
	};
}

/* A random flow from a documentation-range client to VIP, as a client would send it. */
static void roundtrip_make_flow(const struct test_vip *vip, uint8_t protocol,
				struct packet_flow *flow, uint8_t *payload)
{
	static const uint8_t router_mac[6] = {2, 0, 0, 0, 0x0a, 0xfe};
	static const uint8_t lb_mac[6] = {2, 0, 0, 0, 0x0a, 0x01};
	char text[64];
	size_t i;

	memset(flow, 0, sizeof(*flow));
	memcpy(flow->source_mac, router_mac, 6);
	memcpy(flow->destination_mac, lb_mac, 6);
	flow->family = vip->family;
	if (vip->family == 4)
		snprintf(text, sizeof(text), "203.0.113.%u", 1 + prng_below(254));
	else
		snprintf(text, sizeof(text), "2001:db8:c:%x:%x:%x::%x", prng_below(65536),
			 prng_below(65536), prng_below(65536), 1 + prng_below(65535));
	address_of(&flow->source, text);
	flow->destination = vip->address;
	flow->protocol = protocol;
	flow->source_port = (uint16_t)(1 + prng_below(65535));
	flow->destination_port = vip->port ? vip->port : (uint16_t)(1 + prng_below(65535));
	/* A "dscp = none" VIP is found by port only when the DS code names no VIP. */
	do
		flow->ds = (uint8_t)prng_next();
	while (!vip->dscp && dscp_used[flow->ds >> 2]);
	flow->ttl = (uint8_t)(2 + prng_below(254));
	flow->identification = (uint16_t)prng_next();
	flow->flow_label = prng_below(1 << 20);
	flow->sequence = (uint32_t)prng_next();
	flow->udp_without_checksum = protocol == IPPROTO_UDP && prng_below(10) == 0;
	flow->payload_length = prng_below(4) ? prng_below(64) : prng_below(1200);
	for (i = 0; i < flow->payload_length; i++)
		payload[i] = (uint8_t)prng_next();
	flow->payload = payload;
}

/* Failures --------------------------------------------------------------------------------- */

/* A failing flow: its packet at each step, for the report. */
struct example {
	size_t flow;
	const struct test_vip *vip;
	const char *problem;
	size_t length;
	uint8_t original[HARNESS_FRAME_MAX];
	struct harness_result lb;
	struct harness_result backend;
};

struct property {
	char what[112];
	size_t failures;
	size_t example_count;
	struct example examples[ROUNDTRIP_EXAMPLES];
};

/* Per family and protocol: what the LB made of the flows, and what the round trip gave back. */
struct kind {
	int family;
	uint8_t protocol;
	size_t flows;
	struct property lb;
	struct property roundtrip;
};

static struct kind kinds[4];

static void property_fail(struct property *property, size_t flow, const struct test_vip *vip,
			  const char *problem, const uint8_t *original, size_t length,
			  const struct harness_result *lb, const struct harness_result *backend)
{
	struct example *example;

	if (property->failures++ >= ROUNDTRIP_EXAMPLES)
		return;
	example = &property->examples[property->example_count++];
	example->flow = flow;
	example->vip = vip;
	example->problem = problem;
	example->length = length;
	memcpy(example->original, original, length);
	example->lb = *lb;
	example->backend = *backend;
}

/* What the LB must have done: XDP_TX, a backend of the VIP, the DS mark, TTL - 1. */
static const char *lb_output_check(const struct test_vip *vip, const uint8_t *original,
				   size_t length, const struct harness_result *result)
{
	size_t ttl_offset = vip->family == 4 ? 22 : 21;
	uint8_t original_ds, ds, expected_ds;
	struct l3dsr_address destination;
	size_t i;

	if (result->verdict != XDP_TX)
		return "the verdict is not XDP_TX";
	if (result->length != length)
		return "the length changed";
	if (packet_destination(result->frame, result->length, &destination) != vip->family)
		return "the output is not of the VIP's family";
	for (i = 0; i < vip->backend_count; i++)
		if (!memcmp(&vip->backends[i].address, &destination, sizeof(destination)))
			break;
	if (i == vip->backend_count)
		return "the destination is not a backend of the VIP";
	if (vip->family == 4) {
		original_ds = original[15];
		ds = result->frame[15];
	} else {
		original_ds = (uint8_t)((original[14] & 0xf) << 4 | original[15] >> 4);
		ds = (uint8_t)((result->frame[14] & 0xf) << 4 | result->frame[15] >> 4);
	}
	expected_ds = vip->dscp ? (uint8_t)(vip->dscp << 2 | (original_ds & 3)) : original_ds;
	if (ds != expected_ds)
		return "the DS field is not the VIP's DSCP code with the ECN bits kept";
	if (result->frame[ttl_offset] != original[ttl_offset] - 1)
		return "the TTL / hop limit is not one less";
	return NULL;
}

/*
 * The bits of byte OFFSET the round trip must keep: all but the MACs, the DS field, the TTL /
 * hop limit and the IPv4 header checksum (in IPv6 the DS field straddles bytes 14 and 15).
 */
static uint8_t roundtrip_kept_bits(int family, size_t offset)
{
	if (offset < 12)
		return 0;
	if (family == 4)
		return offset == 15 || offset == 22 || offset == 24 || offset == 25 ? 0 : 0xff;
	if (offset == 14)
		return 0xf0;
	if (offset == 15)
		return 0x0f;
	return offset == 21 ? 0 : 0xff;
}

static const char *roundtrip_check(int family, const uint8_t *original, size_t length,
				   const struct harness_result *result, size_t *offset)
{
	if (result->verdict != XDP_PASS)
		return "the backend's verdict is not XDP_PASS";
	if (result->length != length)
		return "the length changed";
	for (*offset = 0; *offset < length; (*offset)++) {
		uint8_t kept = roundtrip_kept_bits(family, *offset);

		if ((original[*offset] & kept) != (result->frame[*offset] & kept))
			break;
	}
	if (*offset < length)
		return "the packet differs from the original outside DS, TTL, IPv4 checksum, MACs";
	if (family == 4 &&
	    packet_ipv4_header_checksum(result->frame, length) != PACKET_CHECKSUM_VALID)
		return "the IPv4 header checksum is wrong";
	return NULL;
}

static void roundtrip_one(const struct harness *lb, const struct harness *backend,
			  struct kind *kind)
{
	static uint8_t payload[HARNESS_FRAME_MAX], original[HARNESS_FRAME_MAX];
	static struct harness_result lb_result, backend_result;
	const struct test_vip *vip;
	struct packet_flow flow;
	const char *problem;
	size_t length, offset = 0;

	do
		vip = &vips[prng_below(ROUNDTRIP_VIPS)];
	while (vip->family != kind->family || (vip->protocol && vip->protocol != kind->protocol));
	roundtrip_make_flow(vip, kind->protocol, &flow, payload);
	length = packet_build(&flow, original, sizeof(original));
	kind->flows++;
	memset(&lb_result, 0, sizeof(lb_result));
	memset(&backend_result, 0, sizeof(backend_result));

	if (harness_run(lb, original, length, &lb_result))
		problem = "bpf_prog_test_run_opts failed";
	else
		problem = lb_output_check(vip, original, length, &lb_result);
	if (problem) {
		property_fail(&kind->lb, kind->flows, vip, problem, original, length, &lb_result,
			      &backend_result);
		return;
	}
	if (harness_run(backend, lb_result.frame, lb_result.length, &backend_result))
		problem = "bpf_prog_test_run_opts failed";
	else
		problem = roundtrip_check(vip->family, original, length, &backend_result, &offset);
	if (problem)
		property_fail(&kind->roundtrip, kind->flows, vip, problem, original, length,
			      &lb_result, &backend_result);
}

static void example_print(const struct example *example, int roundtrip)
{
	const struct harness_result *output = roundtrip ? &example->backend : &example->lb;

	printf("# flow %zu of seed 0x%016llx to %s (%s, port %u, dscp %u): %s; verdict %s\n",
	       example->flow, (unsigned long long)run_seed, example->vip->name,
	       example->vip->protocol == IPPROTO_TCP   ? "tcp"
	       : example->vip->protocol == IPPROTO_UDP ? "udp"
						       : "any",
	       example->vip->port, example->vip->dscp, example->problem,
	       harness_verdict_name(output->verdict));
	if (roundtrip)
		report_hex("the LB's output", example->lb.frame, example->lb.length);
	printf("# \"expected\" is the original packet, \"actual\" the %s's output\n",
	       roundtrip ? "backend" : "LB");
	report_frames(example->original, example->length, output->frame, output->length);
}

static void property_test(void **state)
{
	const struct property *property = *state;
	const struct kind *kind = NULL;

	for (size_t i = 0; i < 4; i++)
		if (property == &kinds[i].lb || property == &kinds[i].roundtrip)
			kind = &kinds[i];
	for (size_t i = 0; i < property->example_count; i++)
		example_print(&property->examples[i], property == &kind->roundtrip);
	if (property->failures)
		fail_msg("%zu of %zu flows", property->failures, kind->flows);
}

int main(void)
{
	struct CMUnitTest tests[2 * 4];
	struct harness lb, backend;
	size_t i;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	run_seed = prng_seed_from_environment("L3DSR_RANDOM_SEED");
	printf("# seed 0x%016llx (L3DSR_RANDOM_SEED=0x%016llx repeats this run)\n",
	       (unsigned long long)run_seed, (unsigned long long)run_seed);
	roundtrip_make_config();
	if (test_config_open_both(&lb, &backend, &config, true))
		return harness_load_failed("load both XDP objects and fill their maps");
	for (i = 0; i < 4; i++) {
		struct kind *kind = &kinds[i];

		kind->family = i < 2 ? 4 : 6;
		kind->protocol = i % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		snprintf(kind->lb.what, sizeof(kind->lb.what),
			 "v%d %s: the LB sends each flow to a backend of its VIP (XDP_TX, DS "
			 "marked, TTL - 1)",
			 kind->family, i % 2 ? "udp" : "tcp");
		snprintf(kind->roundtrip.what, sizeof(kind->roundtrip.what),
			 "v%d %s: LB then backend gives back the original but DS, TTL, MACs",
			 kind->family, i % 2 ? "udp" : "tcp");
		for (size_t n = 0; n < ROUNDTRIP_FLOWS_PER_KIND; n++)
			roundtrip_one(&lb, &backend, kind);
		tests[2 * i] = (struct CMUnitTest){
		    .name = kind->lb.what, .test_func = property_test, .initial_state = &kind->lb};
		tests[2 * i + 1] = (struct CMUnitTest){.name = kind->roundtrip.what,
						       .test_func = property_test,
						       .initial_state = &kind->roundtrip};
	}
	failed = _cmocka_run_group_tests("datapath round trip", tests, 8, NULL, NULL);
	harness_close(&lb);
	harness_close(&backend);
	return failed ? 1 : 0;
}
