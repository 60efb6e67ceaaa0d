/* test_config_limits.c: config parser cases built in code: the size limits (lines, file, VIPs,
 * backends, messages), bytes a text file cannot show well (NUL, CR, BOM, control characters),
 * unreadable files, and calls the daemon relies on (NULL error stream, config_free twice, the
 * flow-insert limit it writes into the settings map). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_invariants.h"
#include "src/config/config_parser.h"
#include "bpf/l3dsr_common.h"
#include "test_config.h"

/* A VIP that makes a buffer a complete lb.conf, so that no "no VIP" warning joins in. */
static const char vip_web[] = "[vip web]\naddress = 192.0.2.10\ndscp = 10\n"
			      "backend = 198.51.100.11\n";

/* Parses TEXT (NUL-terminated unless LENGTH is given) as lb.conf "t.conf" and compares. */
static void expect_lb_buffer(const char *text, size_t length, const char *expected,
			     const char *what)
{
	struct parse_outcome outcome;

	parse_buffer("t.conf", text, length ? length : strlen(text), ROLE_LB, &outcome);
	expect_output(&outcome, expected, what);
	parse_outcome_free(&outcome);
}

static char *text_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *text_printf(const char *format, ...)
{
	va_list arguments;
	char *text;

	va_start(arguments, format);
	if (vasprintf(&text, format, arguments) < 0)
		exit(2);
	va_end(arguments);
	return text;
}

static void test_bytes(void)
{
	static const char with_nul[] = "[global]\nxdp-mode = nat\0ive\n[vip web]\n"
				       "address = 192.0.2.10\ndscp = 10\nbackend = 198.51.100.11\n";
	static const char crlf_bom[] = "\xef\xbb\xbf[global]\r\nhash-seed = 7\r\n[vip web]\r\n"
				       "address = 192.0.2.10\r\ndscp = 10\r\n"
				       "backend = 198.51.100.11 weight=3";
	struct parse_outcome outcome;
	char *text;

	expect_lb_buffer(with_nul, sizeof(with_nul) - 1,
			 "t.conf:2: NUL byte in line (expected text)\nt.conf: 1 error\n",
			 "a NUL byte");

	/* Windows line ends, a byte order mark and no newline after the last line. */
	parse_buffer("t.conf", crlf_bom, strlen(crlf_bom), ROLE_LB, &outcome);
	tap_result(
	    outcome.errors == 0 && outcome.config.hash_seed == 7 && outcome.config.vip_count == 1 &&
		outcome.config.vips[0].backends[0].weight == 3,
	    "CRLF, byte order mark, last line without newline: parsed (%d errors)", outcome.errors);
	parse_outcome_free(&outcome);

	text = text_printf("[global]\nstatistics-file = /var/x\001y\nk\033ey = 1\n%s", vip_web);
	expect_lb_buffer(
	    text, 0,
	    "t.conf:2: statistics-file \"/var/x\\x01y\" holds a control character "
	    "(expected an absolute file name)\n"
	    "t.conf:3: unknown key \"k\\x1bey\" in [global] (expected one of: "
	    "xdp-mode, hash-seed, flow-hash, flow-table-size, flow-inserts-per-second, "
	    "flow-change-retention, statistics-file, probe-ports, drain, stop-delay)\n"
	    "t.conf: 2 errors\n",
	    "control characters are refused and escaped in messages");
	free(text);
}

static void test_line_length(void)
{
	char *fits, *too_long;

	/* CONFIG_LINE_MAX characters fit; the CR of a CRLF end is not counted. */
	fits = text_printf("# %0*d\r\n%s", CONFIG_LINE_MAX - 2, 0, vip_web);
	expect_lb_buffer(fits, 0, "", "a line of exactly 1024 characters");
	too_long = text_printf("%s# %0*d\n", vip_web, CONFIG_LINE_MAX - 1, 0);
	expect_lb_buffer(too_long, 0,
			 "t.conf:5: line is 1025 characters long (expected at most 1024)\n"
			 "t.conf: 1 error\n",
			 "a line of 1025 characters");
	free(fits);
	free(too_long);
}

static void test_path_length(void)
{
	char *text, *expected;

	text =
	    text_printf("[global]\nstatistics-file = /%0*d\n%s", CONFIG_PATH_MAX - 2, 0, vip_web);
	expect_lb_buffer(text, 0, "", "a statistics-file of 255 characters");
	free(text);
	text =
	    text_printf("[global]\nstatistics-file = /%0*d\n%s", CONFIG_PATH_MAX - 1, 0, vip_web);
	expect_lb_buffer(text, 0,
			 "t.conf:2: statistics-file is 256 characters long (expected at most "
			 "255)\nt.conf: 1 error\n",
			 "a statistics-file of 256 characters");
	free(text);

	text = text_printf("%0*d", CONFIG_PATH_MAX, 0);
	expected = text_printf("%s: file name is 256 characters long (expected at most 255)\n"
			       "%s: 1 error\n",
			       text, text);
	{
		struct parse_outcome outcome;

		parse_buffer(text, vip_web, strlen(vip_web), ROLE_LB, &outcome);
		expect_output(&outcome, expected, "a file name of 256 characters");
		parse_outcome_free(&outcome);
	}
	free(text);
	free(expected);
}

/* COUNT VIPs of one backend each, IPv6 so that there are addresses enough; dscp none. */
static char *many_vips(size_t count)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	for (size_t i = 0; i < count; i++)
		fprintf(out,
			"[vip v%zu]\naddress = 2001:db8::1:%zx\ndscp = none\n"
			"backend = 2001:db8::2:1\n",
			i, i);
	fclose(out);
	return text;
}

static void test_vip_count(void)
{
	char *text = many_vips(L3DSR_MAX_VIPS);
	struct parse_outcome outcome;

	parse_buffer("t.conf", text, strlen(text), ROLE_LB, &outcome);
	tap_result(outcome.errors == 0 && outcome.config.vip_count == L3DSR_MAX_VIPS,
		   "%u VIPs are accepted (%d errors, %zu VIPs)", L3DSR_MAX_VIPS, outcome.errors,
		   outcome.config.vip_count);
	parse_outcome_free(&outcome);
	free(text);

	/* Said once, at the first VIP too many (4 lines a VIP). */
	text = many_vips(L3DSR_MAX_VIPS + 2);
	expect_lb_buffer(text, 0,
			 "t.conf:4097: too many VIPs (expected at most 1024)\nt.conf: 1 error\n",
			 "1026 VIPs: one error at the 1025th");
	free(text);
}

/* VIPS VIPs of PER_VIP backends each, then EXTRA more backends in one last VIP. */
static char *many_backends(size_t vips, size_t per_vip, size_t extra)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	for (size_t i = 0; i <= vips; i++) {
		size_t count = i < vips ? per_vip : extra;

		if (count == 0)
			continue;
		fprintf(out, "[vip v%zu]\naddress = 2001:db8::1:%zx\ndscp = none\n", i, i);
		for (size_t j = 0; j < count; j++)
			fprintf(out, "backend = 2001:db8:2::%zx\n", j + 1);
	}
	fclose(out);
	return text;
}

static void test_backend_count(void)
{
	/* 127 VIPs of 512 and one of 511: L3DSR_MAX_BACKENDS, one below a ring slot's empty id. */
	char *text = many_backends(127, 512, 511);
	struct parse_outcome outcome;

	parse_buffer("t.conf", text, strlen(text), ROLE_LB, &outcome);
	tap_result(outcome.errors == 0 && outcome.config.vip_count == 128 &&
		       outcome.config.vips[127].backend_count == 511,
		   "%u backends in all are accepted (%d errors)", L3DSR_MAX_BACKENDS,
		   outcome.errors);
	parse_outcome_free(&outcome);
	free(text);

	/* The warning names the default when table-size was not given. */
	text = many_backends(1, 656, 0);
	expect_lb_buffer(text, 0,
			 "t.conf:1: warning: table-size 65537 (the default) is less than 100 x 656 "
			 "backends of VIP \"v0\" (expected at least 65600 for an even spread)\n",
			 "656 backends with the default table-size: a warning");
	free(text);

	/* 128 VIPs of 3 + 512 lines but the last of 3 + 511, whose last backend is the 65536th:
	 * line 128 x 515. */
	text = many_backends(128, 512, 0);
	expect_lb_buffer(text, 0,
			 "t.conf:65920: too many backends (expected at most 65535 in all)\n"
			 "t.conf: 1 error\n",
			 "the 65536th backend is refused, once");
	free(text);
}

static char *temporary_directory(void)
{
	char *directory = strdup("/tmp/l3dsr-config-test.XXXXXX");

	if (!directory || !mkdtemp(directory)) {
		perror("mkdtemp");
		exit(2);
	}
	return directory;
}

static void test_file_size(void)
{
	char *directory = temporary_directory();
	char *path = text_printf("%s/big.conf", directory);
	char *expected = text_printf("%s: too large (expected at most %d bytes)\n%s: 1 error\n",
				     path, CONFIG_FILE_MAX, path);
	struct parse_outcome outcome;
	FILE *file = fopen(path, "w");
	size_t written = fwrite(vip_web, 1, strlen(vip_web), file);

	/* Exactly the limit: comment lines of at most CONFIG_LINE_MAX characters. */
	while (written < CONFIG_FILE_MAX) {
		size_t line = CONFIG_FILE_MAX - written;

		if (line > CONFIG_LINE_MAX + 1)
			line = CONFIG_LINE_MAX + 1;
		fprintf(file, "#%0*d\n", (int)line - 2, 0);
		written += line;
	}
	fclose(file);
	parse_file(path, ROLE_LB, &outcome);
	tap_result(outcome.errors == 0 && strcmp(outcome.output, "") == 0 &&
		       outcome.config.vip_count == 1,
		   "a file of exactly %d bytes is read whole (%d errors)", CONFIG_FILE_MAX,
		   outcome.errors);
	parse_outcome_free(&outcome);

	file = fopen(path, "a");
	fputc('\n', file);
	fclose(file);
	parse_file(path, ROLE_LB, &outcome);
	expect_output(&outcome, expected, "a file of one byte more");
	parse_outcome_free(&outcome);

	unlink(path);
	rmdir(directory);
	free(expected);
	free(path);
	free(directory);
}

static void test_unreadable(void)
{
	struct parse_outcome outcome;

	parse_file("tests/config/no-such.conf", ROLE_LB, &outcome);
	expect_output(&outcome,
		      "tests/config/no-such.conf: cannot open: No such file or directory\n"
		      "tests/config/no-such.conf: 1 error\n",
		      "a missing file");
	parse_outcome_free(&outcome);

	parse_file("tests/config", ROLE_BACKEND, &outcome);
	expect_output(&outcome,
		      "tests/config: cannot read: Is a directory\ntests/config: 1 error\n",
		      "a directory");
	tap_result(outcome.config.role == ROLE_BACKEND && outcome.config.vip_count == 0,
		   "an unreadable file leaves an empty configuration of its role");
	parse_outcome_free(&outcome);
}

static void test_message_limit(void)
{
	const size_t lines = CONFIG_MESSAGES_MAX + 5;
	char *text = NULL, *expected = NULL;
	size_t text_size = 0, expected_size = 0;
	FILE *text_out = open_memstream(&text, &text_size);
	FILE *expected_out = open_memstream(&expected, &expected_size);

	fprintf(text_out, "[global]\n");
	for (size_t line = 2; line < lines + 2; line++) {
		fprintf(text_out, "x\n");
		if (line < CONFIG_MESSAGES_MAX + 2)
			fprintf(expected_out,
				"t.conf:%zu: missing '=' in \"x\" (expected KEY = VALUE)\n", line);
	}
	fprintf(text_out, "%s", vip_web);
	fprintf(expected_out, "t.conf: 5 more messages not shown\nt.conf: %zu errors\n", lines);
	fclose(text_out);
	fclose(expected_out);
	expect_lb_buffer(text, 0, expected, "10005 errors: 10000 shown, the rest counted");
	free(text);
	free(expected);
}

static void test_api(void)
{
	struct l3dsr_config config;
	int errors;

	errors = config_parse_buffer("t.conf", "port = 1\n", 9, ROLE_LB, &config, NULL);
	tap_result(errors == 1 && config.vip_count == 0,
		   "no error stream: errors are counted, nothing written (%d errors)", errors);
	config_free(&config);
	config_free(&config);
	tap_result(config.vips == NULL && config.vip_count == 0,
		   "config_free twice leaves an empty configuration (valgrind: no double free)");

	errors = config_parse_buffer("t.conf", vip_web, strlen(vip_web), ROLE_LB, &config, NULL);
	tap_result(errors == 0 && config.vip_count == 1 && config.role == ROLE_LB &&
		       strcmp(config.path, "t.conf") == 0 &&
		       config.flow_table_size == L3DSR_DEFAULT_FLOW_TABLE_SIZE &&
		       config.flow_hash == FLOW_HASH_LOOKUP3,
		   "the configuration keeps its file name, role and defaults");
	config_free(&config);
}

/* What l3dsrd writes into the settings map for flow-inserts-per-second, parsed from VALUE
 * (NULL: the key left out) with FLOW_TABLE_SIZE, on CPU_COUNT possible CPUs. */
static void expect_flow_inserts(const char *value, uint32_t flow_table_size, unsigned int cpu_count,
				uint32_t expected)
{
	char *text =
	    value ? text_printf("[global]\nflow-table-size = %u\n"
				"flow-inserts-per-second = %s\n%s",
				flow_table_size, value, vip_web)
		  : text_printf("[global]\nflow-table-size = %u\n%s", flow_table_size, vip_web);
	struct l3dsr_config config;
	int errors = config_parse_buffer("t.conf", text, strlen(text), ROLE_LB, &config, NULL);
	uint32_t limit = errors ? 0 : config_flow_inserts_limit(&config, cpu_count);

	tap_result(errors == 0 && limit == expected,
		   "flow-inserts-per-second %s, flow-table-size %u, %u CPUs: %u a second per CPU "
		   "(got %u, %d errors)",
		   value ? value : "left out", flow_table_size, cpu_count, expected, limit, errors);
	config_free(&config);
	free(text);
}

static void test_flow_inserts(void)
{
	/* auto, the default: a CPU's share of the table over 10 s. */
	expect_flow_inserts(NULL, 1048576, 2, 52428);
	expect_flow_inserts("auto", 1048576, 2, 52428);
	expect_flow_inserts("auto", 1048576, 1, 104857);
	expect_flow_inserts("auto", 1048576, 3, 34952);
	expect_flow_inserts("auto", 134217728, 64, 209715);
	/* A table smaller than 10 entries a CPU still takes new flows: at least 1. */
	expect_flow_inserts("auto", 100, 64, 1);
	expect_flow_inserts("auto", 1, 1, 1);
	/* The flow table off: nothing to protect, and the value is not read. */
	expect_flow_inserts("auto", 0, 2, 0);
	/* A number is itself, whatever the CPUs; 0 is no limit. */
	expect_flow_inserts("0", 1048576, 2, 0);
	expect_flow_inserts("1000", 1048576, 2, 1000);
	expect_flow_inserts("4294967295", 1048576, 64, 4294967295U);
}

/* The invariants the regressions and the fuzzer rely on do see a broken outcome. */
static void test_invariants(void)
{
	struct l3dsr_config empty = {.role = ROLE_LB},
			    not_empty = {.role = ROLE_LB, .vip_count = 1};

	tap_result(config_invariants_broken(&empty, 1, "t.conf: 1 error\n") == NULL &&
		       config_invariants_broken(&not_empty, 1, "t.conf: 1 error\n") != NULL &&
		       config_invariants_broken(&empty, 2, "t.conf: 1 error\n") != NULL &&
		       config_invariants_broken(&empty, 0, "t.conf: 1 error\n") != NULL,
		   "the invariant check tells a sane outcome from broken ones");
}

void test_config_limits(void)
{
	test_bytes();
	test_line_length();
	test_path_length();
	test_vip_count();
	test_backend_count();
	test_file_size();
	test_unreadable();
	test_message_limit();
	test_api();
	test_flow_inserts();
	test_invariants();
}
