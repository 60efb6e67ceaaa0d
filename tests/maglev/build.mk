# tests/maglev/build.mk: the Maglev builder's unit tests (tests/suites/maglev) and its
# measurement tool (docs/maglev.md); the allocator is wrapped so the tests can make it fail.
MAGLEV_TEST_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

TEST_PROGRAMS += $(BUILD)/tests/maglev/maglev_test $(BUILD)/tests/maglev/maglev_measure
UNIT_TEST_PROGRAMS += $(BUILD)/tests/maglev/maglev_test

$(BUILD)/tests/maglev/maglev_test: $(BUILD)/tests/maglev/maglev_test.o \
		$(BUILD)/tests/maglev/maglev_reference.o $(BUILD)/src/lb/maglev.o \
		$(BUILD)/src/common/prime.o $(BUILD)/src/lb/lb_fingerprint.o
	$(CC) $(CFLAGS) $(LDFLAGS) $(MAGLEV_TEST_WRAP) -o $@ $^ -lcmocka

$(BUILD)/tests/maglev/maglev_measure: $(BUILD)/tests/maglev/maglev_measure.o \
		$(BUILD)/tests/maglev/maglev_reference.o $(BUILD)/src/lb/maglev.o \
		$(BUILD)/src/common/prime.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^
