# bpf/build.mk: the two XDP programs, built by the bpf/%.bpf.o rule of the Makefile from the
# kernel's uapi headers only (no vmlinux.h, no CO-RE: they read nothing but packets and maps).
BPF_OBJECTS += bpf/lb.bpf.o bpf/backend.bpf.o

# hash.h is plain C as well, for tests and benchmarks that predict a flow's slot: compile it as
# user-space C with the project's warnings whenever the programs are built, so it stays that way.
BPF_HASH_CHECK := $(BUILD)/bpf/hash_h.o
$(BPF_HASH_CHECK): bpf/hash.h bpf/l3dsr_common.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -x c -c -o $@ $<
bpf/lb.bpf.o bpf/backend.bpf.o: $(BPF_HASH_CHECK)
