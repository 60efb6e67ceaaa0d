# tests/hash/build.mk: properties of the flow hashes of bpf/hash.h (tests/suites/flow-hash).
TEST_PROGRAMS += $(BUILD)/tests/hash/flow_hash_test
UNIT_TEST_PROGRAMS += $(BUILD)/tests/hash/flow_hash_test

$(BUILD)/tests/hash/flow_hash_test: $(BUILD)/tests/hash/flow_hash_test.o \
		$(BUILD)/tests/datapath/prng.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lm
