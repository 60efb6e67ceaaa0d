/* l3dsrctl.c: shows the l3dsr instances of this host from their pins: status and counters. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/cli/ctl_print.h"
#include "src/status/ctl_read.h"
#include "src/cli/json.h"
#include "src/common/pins.h"

/* The stats sample: rates are the difference of two reads this far apart. */
#define STATS_SAMPLE_NS 1000000000L

struct options {
	bool json;
	const char *command;
	const char *ifname;
	const char *pin_root;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: l3dsrctl [-j] [--pin-root DIR] status|stats [IFNAME]\n"
		"\n"
		"  status          every instance: role, interface, mode, program, VIPs, backends\n"
		"  stats           every counter, with rates over a one-second sample\n"
		"  IFNAME          only the instance on this interface\n"
		"  -j, --json      JSON output (keys documented in l3dsrctl(8))\n"
		"  --pin-root DIR  where instances are pinned; default %s\n"
		"  -h, --help, -V, --version\n",
		PINS_DEFAULT_ROOT);
}

static int parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"pin-root", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int option;

	memset(options, 0, sizeof(*options));
	options->pin_root = PINS_DEFAULT_ROOT;
	while ((option = getopt_long(argc, argv, "jhV", long_options, NULL)) != -1) {
		switch (option) {
		case 'j':
			options->json = true;
			break;
		case 'p':
			options->pin_root = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("l3dsrctl %s\n", L3DSR_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	options->command = argv[optind++];
	if (strcmp(options->command, "status") && strcmp(options->command, "stats")) {
		fprintf(stderr, "l3dsrctl: unknown command '%s' (expected status or stats)\n",
			options->command);
		return 2;
	}
	if (optind < argc)
		options->ifname = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "l3dsrctl: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* Reads every instance of DIRS into a new array; an unreadable one is reported and skipped. */
static struct ctl_instance *read_all(char **dirs, size_t count, size_t *read_count)
{
	struct ctl_instance *instances = calloc(count + 1, sizeof(*instances));
	char error[PATH_MAX + 128];

	*read_count = 0;
	for (size_t i = 0; instances && i < count; i++) {
		if (ctl_read_instance(dirs[i], &instances[*read_count], error, sizeof(error))) {
			fprintf(stderr, "l3dsrctl: %s\n", error);
			ctl_free_instance(&instances[*read_count]);
			continue;
		}
		(*read_count)++;
	}
	return instances;
}

static void free_all(struct ctl_instance *instances, size_t count)
{
	for (size_t i = 0; instances && i < count; i++)
		ctl_free_instance(&instances[i]);
	free(instances);
}

static double seconds_between(const struct timespec *start, const struct timespec *end)
{
	return (double)(end->tv_sec - start->tv_sec) +
	       (double)(end->tv_nsec - start->tv_nsec) / 1e9;
}

/* The same instance in another read (matched by pin directory). */
static const struct ctl_instance *match(const struct ctl_instance *instances, size_t count,
					const struct ctl_instance *wanted)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(instances[i].pin_dir, wanted->pin_dir))
			return &instances[i];
	return NULL;
}

static int show(const struct options *options, char **dirs, size_t count)
{
	struct ctl_instance *before = NULL, *after;
	size_t before_count = 0, after_count = 0;
	struct timespec start, end,
	    pause = {STATS_SAMPLE_NS / 1000000000L, STATS_SAMPLE_NS % 1000000000L};
	bool stats = !strcmp(options->command, "stats");
	struct json json;

	if (stats) {
		before = read_all(dirs, count, &before_count);
		clock_gettime(CLOCK_MONOTONIC, &start);
		nanosleep(&pause, NULL);
	}
	after = read_all(dirs, count, &after_count);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (!after)
		return 1;
	json_init(&json, stdout);
	if (options->json)
		json_begin_array(&json);
	for (size_t i = 0; i < after_count; i++) {
		const struct ctl_instance *old =
		    stats ? match(before, before_count, &after[i]) : NULL;

		if (!options->json && i > 0)
			putchar('\n');
		if (!stats && options->json)
			ctl_print_status_json(&json, &after[i]);
		else if (!stats)
			ctl_print_status_text(stdout, &after[i]);
		else if (options->json)
			ctl_print_stats_json(&json, old ? old : &after[i], &after[i],
					     old ? seconds_between(&start, &end) : 0);
		else
			ctl_print_stats_text(stdout, old ? old : &after[i], &after[i],
					     old ? seconds_between(&start, &end) : 0);
	}
	if (options->json) {
		json_end_array(&json);
		putchar('\n');
	}
	free_all(before, before_count);
	free_all(after, after_count);
	return after_count == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct options options;
	char **dirs;
	size_t count;
	int result = parse_options(argc, argv, &options);

	if (result)
		return result;
	result = ctl_list_instances(options.pin_root, options.ifname, &dirs, &count);
	if (result) {
		fprintf(stderr, "l3dsrctl: cannot read %s: %s\n", options.pin_root,
			strerror(-result));
		return 1;
	}
	if (count == 0) {
		if (options.ifname)
			fprintf(stderr,
				"l3dsrctl: nothing attached on %s: no l3dsr instance is pinned "
				"at %s/%s\n",
				options.ifname, options.pin_root, options.ifname);
		else
			fprintf(stderr,
				"l3dsrctl: nothing attached: no l3dsr instance is pinned "
				"under %s\n",
				options.pin_root);
		if (options.json)
			printf("[]\n");
		return 1;
	}
	result = show(&options, dirs, count);
	ctl_free_list(dirs, count);
	return result;
}
