/* fuzz_config.c: libFuzzer target: any bytes through config_parse_buffer, as lb.conf and as
 * backend.conf, messages printed (so their formatting is exercised too). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct l3dsr_config config;

	if (!sink)
		sink = fopen("/dev/null", "w");
	config_parse_buffer("fuzz.conf", (const char *)data, size, ROLE_LB, &config, sink);
	config_free(&config);
	config_parse_buffer("fuzz.conf", (const char *)data, size, ROLE_BACKEND, &config, sink);
	config_free(&config);
	return 0;
}
