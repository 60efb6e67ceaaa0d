# tests/health/build.mk: the health checks' tests: the LB program's probe replies at packet level
# (tests/suites/health-probe-reply) and the end-to-end suites tests/suites/health-*.
HEALTH_BUILD := $(BUILD)/tests/health
HEALTH_PROBE_TEST := $(HEALTH_BUILD)/probe_reply_test
TEST_PROGRAMS += $(HEALTH_PROBE_TEST)
DEPS_TEST += libcmocka-dev python3-prometheus-client

# The datapath tests' harness (load, run a frame, read counters) and frame builder.
$(HEALTH_PROBE_TEST): $(HEALTH_BUILD)/probe_reply_test.o $(BUILD)/tests/datapath/harness.o \
		$(BUILD)/tests/datapath/packet.o $(BUILD)/tests/lib/tap.o
	$(CC) $(CFLAGS) -o $@ $^ $(LIBBPF_LIBS) -lcmocka

# The probe's pieces without a network: HTTP request and status line, outcomes (suite
# health-probe-unit, unit tier), the port pool (health-probe-ports: its map needs CAP_BPF).
HEALTH_UNIT_TEST := $(HEALTH_BUILD)/probe_unit_test
TEST_PROGRAMS += $(HEALTH_UNIT_TEST)
UNIT_TEST_PROGRAMS += $(HEALTH_UNIT_TEST)
$(HEALTH_UNIT_TEST): $(HEALTH_BUILD)/probe_unit_test.o $(addprefix $(BUILD)/src/,health/probe_http.o \
		health/probe_outcome.o health/probe_ports.o common/log.o)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBBPF_LIBS) -lcmocka
