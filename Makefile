# Makefile: builds, installs, tests, benchmarks and packages l3dsr. Each directory's build.mk
# declares what it builds; the shared variables and rules live here.

VERSION := 0.1.0

PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BPFDIR ?= $(PREFIX)/lib/l3dsr
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# Debian keeps units in /lib, Fedora in /usr/lib: ask systemd where, fall back to Debian's.
UNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

CC ?= cc
CLANG ?= clang
PYTHON ?= /usr/bin/python3
BUILD := build

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARNINGS) -Ibpf -Isrc -MMD -MP \
	-DL3DSR_VERSION='"$(VERSION)"'
LIBBPF_CFLAGS = $(shell pkg-config --cflags libbpf)
LIBBPF_LIBS = $(shell pkg-config --libs libbpf)
SYSTEMD_CFLAGS = $(shell pkg-config --cflags libsystemd)
SYSTEMD_LIBS = $(shell pkg-config --libs libsystemd)

# The XDP programs use only packet data and the stable uapi (no CO-RE): the kernel's uapi
# headers from linux-libc-dev are all they need, so the objects build the same on any distro.
MULTIARCH_INCLUDE = /usr/include/$(shell $(CC) -dumpmachine)
BPF_CFLAGS = -O2 -g -target bpf -mcpu=v3 -std=gnu11 $(WARNINGS:-Wstrict-prototypes=) \
	-Wno-missing-prototypes -I$(MULTIARCH_INCLUDE) -Ibpf

# Debian packages needed to build and to run every test; build.mk files add to them.
DEPS_BUILD := make gcc libc6-dev clang llvm libbpf-dev libsystemd-dev pkg-config linux-libc-dev
DEPS_TEST := python3 python3-scapy libcmocka-dev iproute2 bpftool ethtool

PROGRAMS :=
BPF_OBJECTS :=
TEST_PROGRAMS :=
CLEAN_FILES :=
MAN_PAGES :=

all: build-all

include bpf/build.mk
include src/build.mk
include tests/build.mk
include docs/man/build.mk

build-all: $(BPF_OBJECTS) $(PROGRAMS) $(MAN_PAGES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBBPF_CFLAGS) -c -o $@ $<

bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

# Installs what the build and the tests need, only when something is missing (no network
# access when everything is present).
deps:
	@missing=$$(for p in $(DEPS_BUILD) $(DEPS_TEST); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $$missing; \
	fi

# The test command of the README: installs what it needs, builds, runs every suite.
check: deps
	$(MAKE) test-run

test-run: build-all $(TEST_PROGRAMS)
	$(PYTHON) tests/run_suites.py $(SUITES)

# The benchmarks of docs/performance.md (tests/bench/build.mk): installs what they need, builds,
# measures, prints one table and writes build/bench/results.json.
bench: deps
	$(MAKE) bench-run

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h src/*.c src/*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf $(BUILD) bpf/*.bpf.o $(PROGRAMS) $(CLEAN_FILES)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: all build-all deps check test-run bench format clean
