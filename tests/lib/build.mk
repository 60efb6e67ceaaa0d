# tests/lib/build.mk: what the shared test helpers need built: the pass-through XDP program that
# tests/lib/topology.sh (and the install test) put on the veth peers of the LB.
XDP_PASS_OBJECT := $(BUILD)/tests/lib/xdp_pass.bpf.o
TEST_PROGRAMS += $(XDP_PASS_OBJECT)

$(XDP_PASS_OBJECT): tests/lib/xdp_pass.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<
