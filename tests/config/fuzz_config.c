/* fuzz_config.c: libFuzzer target: any bytes through config_parse_buffer, as lb.conf and as
 * backend.conf, with the messages written out (their formatting is exercised too) and the
 * invariants of config_invariants.h checked: a broken one aborts, like a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/config/config.h"
#include "config_invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config_role(const uint8_t *data, size_t size, enum l3dsr_role role)
{
	struct l3dsr_config config;
	size_t output_size = 0;
	char *output = NULL;
	FILE *errors = open_memstream(&output, &output_size);
	const char *broken;
	int error_count;

	if (!errors)
		abort();
	error_count =
	    config_parse_buffer("fuzz.conf", (const char *)data, size, role, &config, errors);
	fclose(errors);
	broken = config_invariants_broken(&config, error_count, output);
	if (broken) {
		fprintf(stderr, "invariant broken (%s): %s\n", role == ROLE_LB ? "lb" : "backend",
			broken);
		abort();
	}
	config_free(&config);
	free(output);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_config_role(data, size, ROLE_LB);
	fuzz_config_role(data, size, ROLE_BACKEND);
	return 0;
}
