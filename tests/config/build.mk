# tests/config/build.mk: the configuration parser's tests (suite tests/suites/config) and its
# fuzzer (make fuzz).
CONFIG_TEST := $(BUILD)/tests/config/test_config
TEST_PROGRAMS += $(CONFIG_TEST)
# The suite runs the tests under valgrind: a leak or a bad access fails it.
DEPS_TEST += valgrind
DEPS_UNIT += valgrind

# malloc and realloc are wrapped so that test_config_oom.c can make each one fail in turn.
CONFIG_TEST_LDFLAGS := -Wl,--wrap=malloc -Wl,--wrap=realloc

$(CONFIG_TEST): $(BUILD)/tests/config/test_config.o $(BUILD)/tests/config/test_config_limits.o \
		$(BUILD)/tests/config/test_config_oom.o $(BUILD)/tests/config/config_invariants.o \
		$(BUILD)/tests/lib/tap.o $(CONFIG_OBJECTS)
	$(CC) $(CFLAGS) $(CONFIG_TEST_LDFLAGS) -o $@ $^

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc's): they see
# what valgrind does not (stack overflows, undefined behaviour), so the regressions the fuzzer
# found under its sanitizers fail make check too.
CONFIG_TEST_SANITIZED := $(BUILD)/tests/config/test_config_sanitized
TEST_PROGRAMS += $(CONFIG_TEST_SANITIZED)
UNIT_TEST_PROGRAMS += $(CONFIG_TEST) $(CONFIG_TEST_SANITIZED)
CONFIG_TEST_SOURCES := tests/config/test_config.c tests/config/test_config_limits.c \
	tests/config/test_config_oom.c tests/config/config_invariants.c tests/lib/tap.c
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(CONFIG_TEST_SANITIZED): $(CONFIG_TEST_SOURCES) $(CONFIG_SOURCES) \
		$(wildcard src/*/*.h tests/config/*.h tests/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(SANITIZE_FLAGS) $(CONFIG_TEST_LDFLAGS) -o $@ \
		$(CONFIG_TEST_SOURCES) $(CONFIG_SOURCES)

# libFuzzer over config_parse_buffer, both roles. The corpus in build/fuzz/corpus grows from
# run to run; every crash found is kept in tests/config/regressions/, which make check replays.
FUZZ_SECONDS ?= 60
DEPS_FUZZ := clang libclang-rt-14-dev
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CONFIG := $(FUZZ_DIR)/fuzz_config
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE $(WARNINGS) -I. -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

FUZZ_SOURCES := tests/config/fuzz_config.c tests/config/config_invariants.c $(CONFIG_SOURCES)

$(FUZZ_CONFIG): $(FUZZ_SOURCES) $(wildcard src/config/*.h src/common/prime.h tests/config/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SOURCES)

fuzz:
	$(MAKE) deps DEPS_BUILD="$(DEPS_FUZZ)" DEPS_TEST=
	$(MAKE) $(FUZZ_CONFIG)
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	for seed in tests/config/good/* tests/config/bad/* tests/config/regressions/* etc/*.conf; do \
		[ -f "$$seed" ] && cp "$$seed" "$(FUZZ_DIR)/corpus/seed-$$(echo $$seed | tr / -)"; \
	done; true
	$(FUZZ_CONFIG) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
		-dict=tests/config/fuzz_config.dict -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
		$(FUZZ_DIR)/corpus || { echo "fuzz: crash input in $(FUZZ_DIR)/artifacts/:" \
		"fix it and keep the input in tests/config/regressions/"; exit 1; }

.PHONY: fuzz
