/* config_invariants.h: what must hold after any parse, checked by the tests and the fuzzer. */
#ifndef L3DSR_CONFIG_INVARIANTS_H
#define L3DSR_CONFIG_INVARIANTS_H

#include "src/config/config.h"

/*
 * Returns NULL when CONFIG, as left by a parse that returned ERRORS and wrote OUTPUT, is sane:
 * on errors an empty configuration and a count as the last line; on success values within the
 * limits the daemon relies on. Otherwise says what is broken.
 */
const char *config_invariants_broken(const struct l3dsr_config *config, int errors,
				     const char *output);

#endif /* L3DSR_CONFIG_INVARIANTS_H */
