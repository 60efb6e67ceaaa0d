# tests/e2e/build.mk: what the end-to-end network tests and `make demo` need on the machine.
DEPS_TEST += curl tcpdump iputils-ping procps
