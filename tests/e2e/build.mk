# tests/e2e/build.mk: `make demo`, and what the end-to-end network tests and the demo need.
DEPS_TEST += curl tcpdump iputils-ping procps

# The README's first command: builds, then runs l3dsr in namespaces (tests/e2e/demo.sh).
demo: deps
	$(MAKE) build-all $(XDP_PASS_OBJECT)
	tests/e2e/demo.sh

.PHONY: demo
