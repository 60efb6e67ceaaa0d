# tests/bench/build.mk: `make bench` (issue 7): the measuring harness, its own XDP programs
# (wrapper, generator, reference, trivial targets) and the runner that prints the table.
BENCH_DIR := $(BUILD)/bench
BENCH_BPF := $(patsubst tests/bench/%.bpf.c,$(BENCH_DIR)/%.bpf.o,$(wildcard tests/bench/*.bpf.c))
BENCH_SOURCES := $(filter-out %.bpf.c,$(wildcard tests/bench/*.c))
BENCH_OBJECTS := $(patsubst %.c,$(BUILD)/%.o,$(BENCH_SOURCES)) $(BUILD)/tests/lib/tap.o
# The daemon's ring and VIP slot builders: the maps are filled exactly as l3dsrd fills them.
BENCH_MAGLEV := $(addprefix $(BUILD)/src/,lb/maglev.o common/prime.o common/counter_names.o \
	lb/vip_slots.o lb/lb_rings.o common/maps.o common/pins.o common/log.o common/address.o)
# The daemon's next-hop resolver (src/nexthop, src/build.mk's NEXT_HOP_OBJECTS): next_hops is
# filled exactly as l3dsrd fills it.
BENCH_NEXT_HOP := $(NEXT_HOP_OBJECTS)
BENCH_HARNESS := $(BENCH_DIR)/l3dsr-bench

TEST_PROGRAMS += $(BENCH_BPF) $(BENCH_HARNESS)
# iperf3 and wrk for the end-to-end part, nft for the stateless nftables comparison.
DEPS_TEST += iperf3 wrk nftables

$(BENCH_DIR)/%.bpf.o: tests/bench/%.bpf.c $(wildcard tests/bench/*.h) bpf/l3dsr_common.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BENCH_HARNESS): $(BENCH_OBJECTS) $(BENCH_MAGLEV) $(BENCH_NEXT_HOP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(MNL_LIBS)

# Every figure of docs/performance.md: part 1-4 of issue 7, table on stdout, JSON beside it.
bench-run: build-all $(BENCH_BPF) $(BENCH_HARNESS)
	$(PYTHON) tests/bench/run.py --output $(BENCH_DIR)/results.json $(BENCH_ARGS)

.PHONY: bench-run
