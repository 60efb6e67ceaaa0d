# tests/common/build.mk: the shared helpers' tests that need no root (tests/suites/common-log).
COMMON_LOG_TEST := $(BUILD)/tests/common/log_test
TEST_PROGRAMS += $(COMMON_LOG_TEST)
UNIT_TEST_PROGRAMS += $(COMMON_LOG_TEST)
DEPS_TEST += libcmocka-dev

$(COMMON_LOG_TEST): $(BUILD)/tests/common/log_test.o $(BUILD)/src/common/log.o
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka
