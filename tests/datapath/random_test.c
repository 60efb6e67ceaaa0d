/*
 * random_test.c: the random-packet property test. Mutated frames (seeds.py's valid frames with
 * bytes flipped, lengths cut or grown, fields set to edge values) go through both XDP programs,
 * and properties that must hold for every frame are checked with the test's own simple oracle.
 * L3DSR_RANDOM_SEED (a number) repeats a run; L3DSR_RANDOM_FRAMES sets the count (100000).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>
#include <netinet/in.h>

#include "harness.h"
#include "packet.h"
#include "prng.h"
#include "random_seeds.h"
#include "report.h"
#include "datapath_config.h"

#define RANDOM_DEFAULT_FRAMES 100000
#define RANDOM_EXAMPLES	      3 /* failing frames shown per property */
/* Below this share of rewritten frames the properties would hold for a program doing nothing. */
#define RANDOM_MINIMUM_REWRITTEN_PERCENT 1

/* Mutations ---------------------------------------------------------------------------------- */

struct frame {
	uint8_t bytes[HARNESS_FRAME_MAX];
	size_t length;
	uint32_t mutations; /* 0: a valid seed frame as it is */
};

static uint16_t frame_ethertype(const struct frame *frame)
{
	return (uint16_t)(frame->bytes[12] << 8 | frame->bytes[13]);
}

static int frame_family(const struct frame *frame)
{
	if (frame_ethertype(frame) == 0x0800)
		return 4;
	return frame_ethertype(frame) == 0x86dd ? 6 : 0;
}

static void frame_set(struct frame *frame, size_t offset, const void *value, size_t length)
{
	if (offset + length <= frame->length)
		memcpy(frame->bytes + offset, value, length);
}

static void frame_set16(struct frame *frame, size_t offset, uint16_t value)
{
	uint8_t bytes[2] = {(uint8_t)(value >> 8), (uint8_t)value};

	frame_set(frame, offset, bytes, 2);
}

/* Where the transport header would start, by the IP header as it is now. */
static size_t frame_transport(const struct frame *frame)
{
	if (frame_family(frame) == 4 && frame->length > 14)
		return 14 + (size_t)(frame->bytes[14] & 0xf) * 4;
	return 14 + 40;
}

/* A destination the programs care about: a VIP, a backend, a local address, or random. */
static void frame_set_destination(struct frame *frame)
{
	const struct test_vip *vip = &scenario_config.vips[prng_below(scenario_config.vip_count)];
	struct l3dsr_address address;
	int family = frame_family(frame);

	switch (prng_below(4)) {
	case 0:
		address = vip->address;
		break;
	case 1:
		/* A VIP without backends has none to aim at: its own address then. */
		address = vip->backend_count
			      ? vip->backends[prng_below((uint32_t)vip->backend_count)].address
			      : vip->address;
		break;
	case 2:
		address =
		    scenario_config
			.local_addresses[prng_below((uint32_t)scenario_config.local_address_count)];
		break;
	default:
		for (size_t i = 0; i < 4; i++)
			address.words[i] = (uint32_t)prng_next();
	}
	/* An address of the other family is written too: its low bytes, or its v4-mapped form. */
	if (family == 4)
		frame_set(frame, 30, &address.words[3], 4);
	else if (family == 6)
		frame_set(frame, 38, address.words, 16);
}

static void frame_mutate(struct frame *frame)
{
	static const uint8_t ttls[] = {0, 1, 2, 255};
	static const uint16_t lengths[] = {0, 1, 19, 20, 21, 39, 40, 41, 0xffff};
	static const uint16_t fragments[] = {0, 0x2000, 0x4000, 0x1fff, 0x2001, 0x0001, 0x3fff};
	static const uint8_t protocols[] = {0, 1, 6, 17, 43, 44, 58, 59, 60, 255};
	static const uint16_t ports[] = {0, 65535, 80, 53, 443, 8080, 5353, 4500};
	static const uint16_t ethertypes[] = {0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806, 0xffff};
	static const uint8_t icmp_types[] = {0, 1, 2, 3, 4, 8, 11, 12, 128, 129, 135, 255};
	size_t transport = frame_transport(frame);
	/* What the length field would say for the frame as it is: IPv4 total, IPv6 payload. */
	size_t fitting_length = frame->length - 14 - (frame_family(frame) == 6 ? 40 : 0);
	uint8_t byte;

	switch (prng_below(14)) {
	case 0: /* a few bits flipped anywhere */
		for (uint32_t n = 1 + prng_below(3); n; n--)
			frame->bytes[prng_below((uint32_t)frame->length)] ^=
			    (uint8_t)(1u << prng_below(8));
		break;
	case 1: /* a header byte (outer or quoted) set to anything */
		frame->bytes[prng_below((uint32_t)(frame->length < 128 ? frame->length : 128))] =
		    (uint8_t)prng_next();
		break;
	case 2: /* cut short, never below an Ethernet header (bpf_prog_test_run's minimum) */
		if (frame->length > 14)
			frame->length = 14 + prng_below((uint32_t)(frame->length - 14));
		break;
	case 3: /* trailing bytes: padding or garbage */
		for (uint32_t n = 1 + prng_below(64); n && frame->length < HARNESS_FRAME_MAX; n--)
			frame->bytes[frame->length++] = (uint8_t)prng_next();
		break;
	case 4:
		byte = PRNG_PICK(ttls);
		frame_set(frame, frame_family(frame) == 6 ? 21 : 22, &byte, 1);
		break;
	case 5: /* IHL 0..15, or a wrong version */
		if (frame->length > 14)
			frame->bytes[14] =
			    prng_below(2)
				? (uint8_t)((frame->bytes[14] & 0xf0) | prng_below(16))
				: (uint8_t)((prng_below(16) << 4) | (frame->bytes[14] & 0xf));
		break;
	case 6: /* total length / payload length: edge values and off by one */
		frame_set16(frame, frame_family(frame) == 6 ? 18 : 16,
			    prng_below(2) ? PRNG_PICK(lengths)
					  : (uint16_t)(fitting_length + prng_below(3) - 1));
		break;
	case 7: /* fragment offset and flags (IPv6: the fragment header's) */
		frame_set16(frame, frame_family(frame) == 6 ? 56 : 20, PRNG_PICK(fragments));
		break;
	case 8: /* protocol / next header */
		byte = PRNG_PICK(protocols);
		frame_set(frame, frame_family(frame) == 6 ? 20 : 23, &byte, 1);
		break;
	case 9: /* DS field: a configured code, or anything */
		byte =
		    prng_below(2)
			? (uint8_t)(scenario_config
					    .vips[prng_below((uint32_t)scenario_config.vip_count)]
					    .dscp
					<< 2 |
				    prng_below(4))
			: (uint8_t)prng_next();
		if (frame_family(frame) == 4) {
			frame_set(frame, 15, &byte, 1);
		} else if (frame_family(frame) == 6 && frame->length >= 16) {
			frame->bytes[14] = (uint8_t)((frame->bytes[14] & 0xf0) | byte >> 4);
			frame->bytes[15] = (uint8_t)((frame->bytes[15] & 0x0f) | (byte & 0xf) << 4);
		}
		break;
	case 10:
		frame_set_destination(frame);
		break;
	case 11: /* a port: edge values and the VIPs' ports */
		frame_set16(frame, transport + 2 * prng_below(2), PRNG_PICK(ports));
		break;
	case 12:
		frame_set16(frame, 12, PRNG_PICK(ethertypes));
		break;
	default: /* ICMP type and code, at the transport header */
		byte = PRNG_PICK(icmp_types);
		frame_set(frame, transport, &byte, 1);
		byte = (uint8_t)prng_below(6);
		frame_set(frame, transport + 1, &byte, 1);
		break;
	}
}

static void frame_make(struct frame *frame)
{
	const struct random_seed *seed = &random_seeds[prng_below((uint32_t)random_seed_count)];
	uint32_t i;

	memcpy(frame->bytes, seed->bytes, seed->length);
	frame->length = seed->length;
	/* One frame in ten stays valid; the others get one to four mutations. */
	frame->mutations = prng_below(10) == 0 ? 0 : 1 + prng_below(4);
	for (i = 0; i < frame->mutations; i++)
		frame_mutate(frame);
}

/* Properties --------------------------------------------------------------------------------- */

struct example {
	size_t number;
	uint32_t verdict;
	struct frame input;
	struct frame output;
};

struct property {
	const char *what;
	size_t failures;
	size_t example_count;
	struct example examples[RANDOM_EXAMPLES];
};

enum property_id {
	PROPERTY_RAN,
	PROPERTY_LB_VERDICT,
	PROPERTY_BACKEND_VERDICT,
	PROPERTY_LENGTH,
	PROPERTY_LB_NOT_VIP_UNTOUCHED,
	PROPERTY_BACKEND_NOT_LOCAL_UNTOUCHED,
	PROPERTY_LB_REWRITE_TO_BACKEND,
	PROPERTY_LB_TTL,
	PROPERTY_BACKEND_RESTORE_TO_VIP,
	PROPERTY_IPV4_HEADER_CHECKSUM,
	PROPERTY_TRANSPORT_CHECKSUM,
	PROPERTY_LB_REACHED,
	PROPERTY_BACKEND_REACHED,
	PROPERTY_COUNT,
};

static struct property properties[PROPERTY_COUNT] = {
    [PROPERTY_RAN] = {.what = "every frame ran through both programs"},
    [PROPERTY_LB_VERDICT] = {.what = "every LB verdict is XDP_PASS, XDP_TX, XDP_REDIRECT, or "
				     "XDP_DROP of an untouched frame"},
    [PROPERTY_BACKEND_VERDICT] = {.what = "every backend verdict is XDP_PASS"},
    [PROPERTY_LENGTH] = {.what = "no program changed a frame's length"},
    [PROPERTY_LB_NOT_VIP_UNTOUCHED] = {.what = "LB: a frame not addressed to a VIP address "
					       "comes out byte-identical with XDP_PASS"},
    [PROPERTY_BACKEND_NOT_LOCAL_UNTOUCHED] = {.what = "backend: a frame not addressed to a "
						      "local address comes out byte-identical"},
    [PROPERTY_LB_REWRITE_TO_BACKEND] = {.what = "LB: a frame sent on or changed goes to a "
						"backend of a VIP at its destination"},
    [PROPERTY_LB_TTL] = {.what = "LB: TTL <= 1 is never sent on nor rewritten; sent on with "
				 "TTL - 1; passed rewritten with the TTL kept"},
    [PROPERTY_BACKEND_RESTORE_TO_VIP] = {.what = "backend: a changed frame goes to a VIP of "
						 "its family"},
    [PROPERTY_IPV4_HEADER_CHECKSUM] = {.what = "a valid IPv4 header checksum stays valid"},
    [PROPERTY_TRANSPORT_CHECKSUM] = {.what = "a valid TCP/UDP/ICMP checksum stays valid, a "
					     "UDP checksum 0 stays 0"},
    [PROPERTY_LB_REACHED] = {.what = "LB: at least 1% of the frames were rewritten"},
    [PROPERTY_BACKEND_REACHED] = {.what = "backend: at least 1% of the frames were restored"},
};

static uint64_t run_seed;
static size_t frame_count, lb_rewritten, backend_restored, lb_verdicts[XDP_REDIRECT + 2];
/* Of those, the ones that were mutated: the programs rewrote something not quite valid. */
static size_t lb_rewritten_mutated, backend_restored_mutated;

static void property_fail(enum property_id id, size_t number, const struct frame *input,
			  const struct harness_result *output)
{
	struct property *property = &properties[id];
	struct example *example;

	if (property->failures++ >= RANDOM_EXAMPLES)
		return;
	example = &property->examples[property->example_count++];
	example->number = number;
	example->input = *input;
	example->verdict = output ? output->verdict : 0;
	example->output.length = output ? output->length : 0;
	if (output)
		memcpy(example->output.bytes, output->frame, output->length);
}

static int address_in_vips(int family, const struct l3dsr_address *address)
{
	for (size_t i = 0; i < scenario_config.vip_count; i++)
		if (scenario_config.vips[i].family == family &&
		    !memcmp(&scenario_config.vips[i].address, address, sizeof(*address)))
			return 1;
	return 0;
}

static int address_is_local(int family, const struct l3dsr_address *address)
{
	for (size_t i = 0; i < scenario_config.local_address_count; i++) {
		const struct l3dsr_address *local = &scenario_config.local_addresses[i];
		int local_family =
		    local->words[0] == 0 && local->words[1] == 0 && local->words[2] == htonl(0xffff)
			? 4
			: 6;

		if (local_family == family && !memcmp(local, address, sizeof(*address)))
			return 1;
	}
	return 0;
}

/* Whether BACKEND is a backend of a VIP of FAMILY at address VIP_ADDRESS. */
static int address_is_backend_of(int family, const struct l3dsr_address *vip_address,
				 const struct l3dsr_address *backend)
{
	for (size_t i = 0; i < scenario_config.vip_count; i++) {
		const struct test_vip *vip = &scenario_config.vips[i];

		if (vip->family != family ||
		    memcmp(&vip->address, vip_address, sizeof(*vip_address)))
			continue;
		for (size_t j = 0; j < vip->backend_count; j++)
			if (!memcmp(&vip->backends[j].address, backend, sizeof(*backend)))
				return 1;
	}
	return 0;
}

static int frame_unchanged(const struct frame *input, const struct harness_result *output)
{
	return input->length == output->length &&
	       !memcmp(input->bytes, output->frame, output->length);
}

/* A rewrite keeps every checksum that was right before right after. */
static void checksums_check(size_t number, const struct frame *input,
			    const struct harness_result *output)
{
	enum packet_checksum_state before, after;

	before = packet_ipv4_header_checksum(input->bytes, input->length);
	after = packet_ipv4_header_checksum(output->frame, output->length);
	if (before == PACKET_CHECKSUM_VALID && after != PACKET_CHECKSUM_VALID)
		property_fail(PROPERTY_IPV4_HEADER_CHECKSUM, number, input, output);
	before = packet_transport_checksum(input->bytes, input->length);
	after = packet_transport_checksum(output->frame, output->length);
	if ((before == PACKET_CHECKSUM_VALID || before == PACKET_CHECKSUM_UDP_ZERO) &&
	    after != before)
		property_fail(PROPERTY_TRANSPORT_CHECKSUM, number, input, output);
}

/* For a frame the LB changed or sent on: the TTL rule, docs/design.md section 1.1 steps 5 and 8. */
static int lb_ttl_right(int family, const struct frame *input, const struct harness_result *output)
{
	size_t offset = family == 4 ? 22 : 21;
	uint8_t ttl = input->bytes[offset];

	if (ttl <= 1)
		return 0;
	if (output->verdict == XDP_TX || output->verdict == XDP_REDIRECT)
		return output->frame[offset] == ttl - 1;
	return output->frame[offset] == ttl;
}

static void lb_check(size_t number, const struct frame *input, const struct harness_result *output)
{
	struct l3dsr_address destination, new_destination;
	int family = packet_destination(input->bytes, input->length, &destination);
	int new_family;

	if (output->verdict <= XDP_REDIRECT)
		lb_verdicts[output->verdict]++;
	else
		lb_verdicts[XDP_REDIRECT + 1]++;
	if ((output->verdict != XDP_PASS && output->verdict != XDP_TX &&
	     output->verdict != XDP_REDIRECT && output->verdict != XDP_DROP) ||
	    (output->verdict == XDP_DROP && !frame_unchanged(input, output)))
		property_fail(PROPERTY_LB_VERDICT, number, input, output);
	if (output->length != input->length)
		property_fail(PROPERTY_LENGTH, number, input, output);
	if (!family || !address_in_vips(family, &destination)) {
		if (output->verdict != XDP_PASS || !frame_unchanged(input, output))
			property_fail(PROPERTY_LB_NOT_VIP_UNTOUCHED, number, input, output);
		return;
	}
	/* Passed as it came (not balanced: the LB's kernel answers it), or dropped (balanced,
	 * but not to be sent on: the kernel, which owns the VIP, must not see it). */
	if ((output->verdict == XDP_PASS || output->verdict == XDP_DROP) &&
	    frame_unchanged(input, output))
		return;
	lb_rewritten++;
	lb_rewritten_mutated += input->mutations != 0;
	if (!lb_ttl_right(family, input, output))
		property_fail(PROPERTY_LB_TTL, number, input, output);
	new_family = packet_destination(output->frame, output->length, &new_destination);
	if (new_family != family || !address_is_backend_of(family, &destination, &new_destination))
		property_fail(PROPERTY_LB_REWRITE_TO_BACKEND, number, input, output);
	checksums_check(number, input, output);
}

static void backend_check(size_t number, const struct frame *input,
			  const struct harness_result *output)
{
	struct l3dsr_address destination, new_destination;
	int family = packet_destination(input->bytes, input->length, &destination);

	if (output->verdict != XDP_PASS)
		property_fail(PROPERTY_BACKEND_VERDICT, number, input, output);
	if (output->length != input->length)
		property_fail(PROPERTY_LENGTH, number, input, output);
	if (!family || !address_is_local(family, &destination)) {
		if (!frame_unchanged(input, output))
			property_fail(PROPERTY_BACKEND_NOT_LOCAL_UNTOUCHED, number, input, output);
		return;
	}
	if (frame_unchanged(input, output))
		return;
	backend_restored++;
	backend_restored_mutated += input->mutations != 0;
	if (packet_destination(output->frame, output->length, &new_destination) != family ||
	    !address_in_vips(family, &new_destination))
		property_fail(PROPERTY_BACKEND_RESTORE_TO_VIP, number, input, output);
	checksums_check(number, input, output);
}

static int random_run(const struct harness *lb, const struct harness *backend)
{
	static struct harness_result output;
	struct frame input;

	for (size_t number = 0; number < frame_count; number++) {
		frame_make(&input);
		if (harness_run(lb, input.bytes, input.length, &output)) {
			property_fail(PROPERTY_RAN, number, &input, NULL);
			continue;
		}
		lb_check(number, &input, &output);
		if (harness_run(backend, input.bytes, input.length, &output)) {
			property_fail(PROPERTY_RAN, number, &input, NULL);
			continue;
		}
		backend_check(number, &input, &output);
	}
	if (lb_rewritten * 100 < frame_count * RANDOM_MINIMUM_REWRITTEN_PERCENT)
		properties[PROPERTY_LB_REACHED].failures = 1;
	if (backend_restored * 100 < frame_count * RANDOM_MINIMUM_REWRITTEN_PERCENT)
		properties[PROPERTY_BACKEND_REACHED].failures = 1;
	return 0;
}

static void example_print(const struct example *example)
{
	printf("# frame %zu of seed 0x%016llx (L3DSR_RANDOM_SEED=0x%016llx repeats it): "
	       "verdict %s\n",
	       example->number, (unsigned long long)run_seed, (unsigned long long)run_seed,
	       harness_verdict_name(example->verdict));
	if (!example->output.length) {
		report_hex("input", example->input.bytes, example->input.length);
		return;
	}
	printf("# \"expected\" is the input frame, \"actual\" what the program made of it\n");
	report_frames(example->input.bytes, example->input.length, example->output.bytes,
		      example->output.length);
}

static void property_test(void **state)
{
	const struct property *property = *state;

	if (!property->failures)
		return;
	for (size_t i = 0; i < property->example_count; i++)
		example_print(&property->examples[i]);
	if (property == &properties[PROPERTY_LB_REACHED] ||
	    property == &properties[PROPERTY_BACKEND_REACHED])
		fail_msg("LB rewrote %zu, backend restored %zu of %zu frames", lb_rewritten,
			 backend_restored, frame_count);
	fail_msg("%zu of %zu frames break it", property->failures, frame_count);
}

int main(void)
{
	struct CMUnitTest tests[PROPERTY_COUNT];
	struct harness lb, backend;
	const char *frames = getenv("L3DSR_RANDOM_FRAMES");
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	run_seed = prng_seed_from_environment("L3DSR_RANDOM_SEED");
	frame_count = frames && *frames ? strtoul(frames, NULL, 0) : RANDOM_DEFAULT_FRAMES;
	printf("# seed 0x%016llx (L3DSR_RANDOM_SEED=0x%016llx repeats this run), %zu frames, "
	       "%zu valid seed frames\n",
	       (unsigned long long)run_seed, (unsigned long long)run_seed, frame_count,
	       random_seed_count);

	if (test_config_open_both(&lb, &backend, &scenario_config, true))
		return harness_load_failed("load both XDP objects and fill their maps");
	random_run(&lb, &backend);
	printf(
	    "# LB verdicts: %zu XDP_PASS, %zu XDP_TX, %zu XDP_REDIRECT, %zu XDP_DROP, %zu other; "
	    "%zu frames rewritten by the LB (%zu of them mutated), %zu restored by the backend "
	    "(%zu mutated)\n",
	    lb_verdicts[XDP_PASS], lb_verdicts[XDP_TX], lb_verdicts[XDP_REDIRECT],
	    lb_verdicts[XDP_DROP], lb_verdicts[XDP_ABORTED] + lb_verdicts[XDP_REDIRECT + 1],
	    lb_rewritten, lb_rewritten_mutated, backend_restored, backend_restored_mutated);

	for (size_t i = 0; i < PROPERTY_COUNT; i++)
		tests[i] = (struct CMUnitTest){.name = properties[i].what,
					       .test_func = property_test,
					       .initial_state = &properties[i]};
	failed =
	    _cmocka_run_group_tests("datapath random frames", tests, PROPERTY_COUNT, NULL, NULL);
	harness_close(&lb);
	harness_close(&backend);
	return failed ? 1 : 0;
}
