/* test_config.c: the config parser against the files of tests/config (good/, bad/,
 * regressions/) and etc/; prints TAP. Run from the top of the tree. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config_invariants.h"
#include "test_config.h"

static void parse_with(const char *name, const char *text, size_t length, enum l3dsr_role role,
		       struct parse_outcome *outcome, bool from_file)
{
	size_t size = 0;
	FILE *errors;

	memset(outcome, 0, sizeof(*outcome));
	errors = open_memstream(&outcome->output, &size);
	if (!errors) {
		perror("open_memstream");
		exit(2);
	}
	if (from_file)
		outcome->errors = config_parse(name, role, &outcome->config, errors);
	else
		outcome->errors =
		    config_parse_buffer(name, text, length, role, &outcome->config, errors);
	fclose(errors);
}

void parse_buffer(const char *name, const char *text, size_t length, enum l3dsr_role role,
		  struct parse_outcome *outcome)
{
	parse_with(name, text, length, role, outcome, false);
}

void parse_file(const char *path, enum l3dsr_role role, struct parse_outcome *outcome)
{
	parse_with(path, NULL, 0, role, outcome, true);
}

void parse_outcome_free(struct parse_outcome *outcome)
{
	config_free(&outcome->config);
	free(outcome->output);
	outcome->output = NULL;
}

bool expect_output(const struct parse_outcome *outcome, const char *expected, const char *what)
{
	bool same = strcmp(outcome->output, expected) == 0;

	if (!tap_result(same, "%s: exactly the expected messages", what)) {
		tap_diagnostic("expected", expected);
		tap_diagnostic("got", outcome->output);
	}
	return same;
}

/* Appends "KEY = VALUE\n" for every field a good file may name in a "# value:" line. */
static void dump_config(const struct l3dsr_config *config, FILE *out)
{
	static const char *const modes[] = {"native", "generic", "auto"};
	static const char *const hashes[] = {"lookup3", "mix64"};
	static const char *const checks[] = {"none", "tcp", "http"};
	char text[INET6_ADDRSTRLEN];

	fprintf(out, "xdp-mode = %s\n", modes[config->xdp_mode]);
	fprintf(out, "hash-seed = %u\n", config->hash_seed);
	fprintf(out, "flow-hash = %s\n", hashes[config->flow_hash]);
	fprintf(out, "flow-table-size = %u\n", config->flow_table_size);
	if (config->flow_inserts_auto)
		fprintf(out, "flow-inserts-per-second = auto\n");
	else
		fprintf(out, "flow-inserts-per-second = %u\n", config->flow_inserts_per_second);
	fprintf(out, "flow-change-retention = %ums\n", config->flow_change_retention_ms);
	fprintf(out, "statistics-file = %s\n", config->statistics_file);
	fprintf(out, "probe-ports = %u-%u\n", config->probe_port_first, config->probe_port_last);
	fprintf(out, "drain = %s\n", config->drain ? "yes" : "no");
	fprintf(out, "stop-delay = %ums\n", config->stop_delay_ms);
	fprintf(out, "vips = %zu\n", config->vip_count);
	for (size_t i = 0; i < config->vip_count; i++) {
		const struct vip_config *vip = &config->vips[i];
		const struct check_config *check = &vip->check;

		fprintf(out, "vip[%zu] = %s\n", i, vip->name);
		inet_ntop(AF_INET6, &vip->address.address, text, sizeof(text));
		fprintf(out, "vip[%s].address = %s\n", vip->name, text);
		fprintf(out, "vip[%s].family = %s\n", vip->name,
			vip->address.family == AF_INET ? "ipv4" : "ipv6");
		fprintf(out, "vip[%s].protocol = %s\n", vip->name,
			vip->protocol == IPPROTO_TCP   ? "tcp"
			: vip->protocol == IPPROTO_UDP ? "udp"
						       : "any");
		if (vip->port)
			fprintf(out, "vip[%s].port = %u\n", vip->name, vip->port);
		else
			fprintf(out, "vip[%s].port = *\n", vip->name);
		if (vip->dscp)
			fprintf(out, "vip[%s].dscp = %u\n", vip->name, vip->dscp);
		else
			fprintf(out, "vip[%s].dscp = none\n", vip->name);
		fprintf(out, "vip[%s].table-size = %u\n", vip->name, vip->table_size);
		fprintf(out, "vip[%s].backends = %zu\n", vip->name, vip->backend_count);
		for (size_t j = 0; j < vip->backend_count; j++) {
			inet_ntop(AF_INET6, &vip->backends[j].address.address, text, sizeof(text));
			fprintf(out, "vip[%s].backend[%zu] = %s weight=%u line=%d\n", vip->name, j,
				text, vip->backends[j].weight, vip->backends[j].line);
		}
		fprintf(out,
			"vip[%s].check = %s port=%u interval=%ums timeout=%ums rise=%u fall=%u",
			vip->name, checks[check->type], check->port, check->interval_ms,
			check->timeout_ms, check->rise, check->fall);
		if (check->type == CHECK_HTTP)
			fprintf(out, " path=%s expect=%u host=%s", check->path, check->expect,
				check->host);
		fputc('\n', out);
	}
}

/* Checks every "# value: KEY = VALUE" line of TEXT against the parsed configuration. */
static bool expect_values(const struct l3dsr_config *config, const char *text, const char *what)
{
	static const char marker[] = "# value: ";
	char *dump = NULL, *mismatches = NULL;
	size_t dump_size = 0, mismatch_size = 0;
	FILE *dump_stream = open_memstream(&dump, &dump_size);
	FILE *mismatch_stream = open_memstream(&mismatches, &mismatch_size);
	int checked = 0;
	bool ok;

	/* Between newlines, so that a whole "KEY = VALUE" line is what is looked for. */
	fputc('\n', dump_stream);
	dump_config(config, dump_stream);
	fclose(dump_stream);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
		char *wanted = NULL;
		int length;

		if (strncmp(line, marker, strlen(marker)) != 0)
			continue;
		line += strlen(marker);
		length = (int)(strchrnul(line, '\n') - line);
		checked++;
		if (asprintf(&wanted, "\n%.*s\n", length, line) < 0)
			exit(2);
		if (!strstr(dump, wanted))
			fprintf(mismatch_stream, "%.*s\n", length, line);
		free(wanted);
	}
	fclose(mismatch_stream);
	ok = checked > 0 && mismatches[0] == '\0';
	if (!tap_result(ok, "%s: the %d expected values", what, checked)) {
		if (checked == 0)
			tap_diagnostic("no \"# value:\" line in", what);
		tap_diagnostic("not found", mismatches);
		tap_diagnostic("parsed", dump);
	}
	free(dump);
	free(mismatches);
	return ok;
}

/* The "# expect: MESSAGE" lines of TEXT, one MESSAGE a line. */
static char *expected_messages(const char *text)
{
	static const char marker[] = "# expect: ";
	char *expected = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&expected, &size);

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
		if (strncmp(line, marker, strlen(marker)) == 0) {
			line += strlen(marker);
			fprintf(stream, "%.*s\n", (int)(strchrnul(line, '\n') - line), line);
		}
	}
	fclose(stream);
	return expected;
}

static char *read_whole_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "r");
	char *text = NULL;
	size_t size = 0;
	FILE *copy;
	int c;

	if (!file)
		return NULL;
	copy = open_memstream(&text, &size);
	while ((c = getc(file)) != EOF)
		putc(c, copy);
	fclose(copy);
	fclose(file);
	*length = size;
	return text;
}

static int conf_file(const struct dirent *entry)
{
	size_t length = strlen(entry->d_name);

	return length > 5 && strcmp(entry->d_name + length - 5, ".conf") == 0;
}

static int regular_file(const struct dirent *entry)
{
	return entry->d_name[0] != '.' && strcmp(entry->d_name, "README") != 0;
}

/* Each good/ or bad/ file: the exact messages, the values, and the invariants. */
static void test_config_file(const char *directory, const char *file, bool good)
{
	enum l3dsr_role role = strncmp(file, "lb-", 3) == 0 ? ROLE_LB : ROLE_BACKEND;
	char path[512], what[512];
	struct parse_outcome outcome;
	char *text, *expected;
	const char *broken;
	size_t length;
	int here;

	snprintf(path, sizeof(path), "%s/%s", directory, file);
	snprintf(what, sizeof(what), "%s/%s", strrchr(directory, '/') + 1, file);
	if (!tap_result(strncmp(file, "lb-", 3) == 0 || strncmp(file, "backend-", 8) == 0,
			"%s: named lb-* or backend-* (its role)", what))
		return;
	text = read_whole_file(path, &length);
	if (!tap_result(text != NULL, "%s: readable", what))
		return;
	expected = expected_messages(text);
	/* Messages start with the file name as given: parse it from its own directory. */
	here = open(".", O_RDONLY | O_DIRECTORY);
	if (here < 0 || chdir(directory) != 0) {
		perror(directory);
		exit(2);
	}
	parse_file(file, role, &outcome);
	if (fchdir(here) != 0) {
		perror("fchdir");
		exit(2);
	}
	close(here);
	expect_output(&outcome, expected, what);
	if (good) {
		tap_result(outcome.errors == 0, "%s: no error (got %d)", what, outcome.errors);
		expect_values(&outcome.config, text, what);
	} else {
		tap_result(outcome.errors > 0, "%s: refused (%d errors)", what, outcome.errors);
	}
	broken = config_invariants_broken(&outcome.config, outcome.errors, outcome.output);
	if (!tap_result(!broken, "%s: invariants hold", what))
		tap_diagnostic("broken", broken);
	parse_outcome_free(&outcome);
	free(expected);
	free(text);
}

static void test_config_directory(const char *directory, bool good)
{
	struct dirent **entries;
	int count = scandir(directory, &entries, conf_file, alphasort);

	if (!tap_result(count > 0, "%s holds configurations", directory))
		return;
	for (int i = 0; i < count; i++) {
		test_config_file(directory, entries[i]->d_name, good);
		free(entries[i]);
	}
	free(entries);
}

/* Inputs the fuzzer once found troublesome: each is parsed in both roles, still sane. */
static void test_config_regressions(const char *directory)
{
	struct dirent **entries;
	int count = scandir(directory, &entries, regular_file, alphasort);

	if (!tap_result(count > 0, "%s holds inputs", directory))
		return;
	for (int i = 0; i < count; i++) {
		static const enum l3dsr_role roles[] = {ROLE_LB, ROLE_BACKEND};
		char path[512];
		size_t length;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", directory, entries[i]->d_name);
		text = read_whole_file(path, &length);
		for (size_t r = 0; text && r < 2; r++) {
			struct parse_outcome outcome;
			const char *broken;

			parse_buffer("fuzz", text, length, roles[r], &outcome);
			broken = config_invariants_broken(&outcome.config, outcome.errors,
							  outcome.output);
			if (!tap_result(!broken, "regressions/%s as %s: parsed, invariants hold",
					entries[i]->d_name, r == 0 ? "lb" : "backend"))
				tap_diagnostic("broken", broken);
			parse_outcome_free(&outcome);
		}
		tap_result(text != NULL, "regressions/%s: readable", entries[i]->d_name);
		free(text);
		free(entries[i]);
	}
	free(entries);
}

/* The shipped examples must parse with no message at all. */
static void test_config_examples(void)
{
	static const struct {
		const char *path;
		enum l3dsr_role role;
	} examples[] = {{"etc/lb.conf", ROLE_LB}, {"etc/backend.conf", ROLE_BACKEND}};

	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		struct parse_outcome outcome;

		parse_file(examples[i].path, examples[i].role, &outcome);
		expect_output(&outcome, "", examples[i].path);
		tap_result(outcome.errors == 0 && outcome.config.vip_count >= 2,
			   "%s: parsed, %zu VIPs", examples[i].path, outcome.config.vip_count);
		parse_outcome_free(&outcome);
	}
}

/*
 * The examples of l3dsr.conf(5) must be valid too: each fenced block of the page that starts
 * with "# lb.conf" or "# backend.conf" is parsed in that role and must give no message.
 */
static void test_config_manual(const char *path)
{
	size_t length, found = 0;
	char *text = read_whole_file(path, &length);
	char *block = text;

	if (!tap_result(text != NULL, "%s: readable", path))
		return;
	while ((block = strstr(block, "\n```\n"))) {
		char *end = strstr(block + 5, "\n```\n");
		enum l3dsr_role role = ROLE_LB;
		struct parse_outcome outcome;
		char what[64];

		if (!end)
			break;
		block += 5;
		if (strncmp(block, "# backend.conf\n", 15) == 0)
			role = ROLE_BACKEND;
		else if (strncmp(block, "# lb.conf\n", 10) != 0) {
			block = end + 5;
			continue;
		}
		found++;
		snprintf(what, sizeof(what), "%s: the %s example", path,
			 role == ROLE_LB ? "lb.conf" : "backend.conf");
		parse_buffer("example", block, (size_t)(end + 1 - block), role, &outcome);
		expect_output(&outcome, "", what);
		tap_result(outcome.errors == 0 && outcome.config.vip_count >= 2, "%s: %zu VIPs",
			   what, outcome.config.vip_count);
		parse_outcome_free(&outcome);
		block = end + 5;
	}
	tap_result(found == 2, "%s: an lb.conf and a backend.conf example (found %zu)", path,
		   found);
	free(text);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_config_directory("tests/config/good", true);
	test_config_directory("tests/config/bad", false);
	test_config_regressions("tests/config/regressions");
	test_config_examples();
	test_config_manual("docs/man/l3dsr.conf.5.scd");
	test_config_limits();
	test_config_out_of_memory();
	return tap_plan() > 0;
}
