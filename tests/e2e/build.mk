# tests/e2e/build.mk: `make demo`, and what the end-to-end network tests and the demo need.
DEPS_TEST += curl tcpdump iputils-ping procps

# The pass-through XDP program tests/lib/topology.sh puts on the LB's veth peers.
E2E_XDP_PASS := $(BUILD)/tests/lib/xdp_pass.bpf.o
TEST_PROGRAMS += $(E2E_XDP_PASS)

$(E2E_XDP_PASS): tests/lib/xdp_pass.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

# The README's first command: builds, then runs l3dsr in namespaces (tests/e2e/demo.sh).
demo: deps
	$(MAKE) build-all $(E2E_XDP_PASS)
	tests/e2e/demo.sh

.PHONY: demo
