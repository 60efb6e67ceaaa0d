# tests/daemon/build.mk: what the daemon suites (tests/suites/daemon-*) need.
DEPS_TEST += curl bpftool iproute2 procps util-linux python3

TEST_PROGRAMS += tests/daemon/xdp_pass.bpf.o

tests/daemon/xdp_pass.bpf.o: tests/daemon/xdp_pass.bpf.c
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

CLEAN_FILES += tests/daemon/xdp_pass.bpf.o
