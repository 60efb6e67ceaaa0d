# tests/daemon/build.mk: what the daemon suites (tests/suites/daemon-*) need.
DEPS_TEST += curl bpftool iproute2 util-linux python3 llvm
