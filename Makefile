# Makefile: builds, installs, tests, benchmarks and packages l3dsr. Each directory's build.mk
# declares what it builds; the shared variables and rules live here.

VERSION := 0.1.0

PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BPFDIR ?= $(PREFIX)/lib/l3dsr
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# Where the BIRD and FRR snippets for several LBs go (docs/scale-out.md): examples to copy, not
# configuration read in place, so under the package's documentation as Debian and Fedora do.
EXAMPLEDIR ?= $(PREFIX)/share/doc/l3dsr/examples
# Debian keeps units in /lib, Fedora in /usr/lib: ask systemd where, fall back to Debian's.
UNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

CC ?= cc
CLANG ?= clang
PYTHON ?= /usr/bin/python3
BUILD := build

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARNINGS) -I. -MMD -MP \
	-DL3DSR_VERSION='"$(VERSION)"'
LIBBPF_CFLAGS = $(shell pkg-config --cflags libbpf)
LIBBPF_LIBS = $(shell pkg-config --libs libbpf)
SYSTEMD_CFLAGS = $(shell pkg-config --cflags libsystemd)
SYSTEMD_LIBS = $(shell pkg-config --libs libsystemd)

# The XDP programs use only packet data and the stable uapi (no CO-RE): the kernel's uapi
# headers from linux-libc-dev are all they need, so the objects build the same on any distro.
MULTIARCH_INCLUDE = /usr/include/$(shell $(CC) -dumpmachine)
BPF_CFLAGS = -O2 -g -target bpf -mcpu=v3 -std=gnu11 $(WARNINGS:-Wstrict-prototypes=) \
	-Wno-missing-prototypes -I$(MULTIARCH_INCLUDE) -I.

# Debian packages needed to build and to run every test; build.mk files add to them.
# DEPS_SERVICES_OFF: PACKAGE:UNIT pairs whose service Debian starts on install but the tests run
# on their own (in network namespaces): stopped and disabled again when deps installed them.
DEPS_BUILD := make gcc libc6-dev clang llvm libbpf-dev libsystemd-dev pkg-config linux-libc-dev
DEPS_TEST := python3 python3-scapy libcmocka-dev iproute2 bpftool ethtool clang-format
DEPS_SERVICES_OFF :=
# What make check-unit needs beyond the build: build.mk files add to it (and to DEPS_TEST).
DEPS_UNIT := python3 libcmocka-dev clang-format

PROGRAMS :=
BPF_OBJECTS :=
TEST_PROGRAMS :=
# The programs of the unit tier's suites (those marked "# tier: unit"), also in TEST_PROGRAMS.
UNIT_TEST_PROGRAMS :=
MAN_PAGES :=

all: build-all

include bpf/build.mk
include src/build.mk
include tests/build.mk
include docs/man/build.mk

build-all: $(BPF_OBJECTS) $(PROGRAMS) $(MAN_PAGES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LIBBPF_CFLAGS) -c -o $@ $<

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
			--no-install-recommends $$missing || exit 1; \
		for service in $(DEPS_SERVICES_OFF); do \
			case " $$missing " in *" $${service%%:*} "*) \
				systemctl disable --now "$${service#*:}" 2>/dev/null || true ;; \
			esac; \
		done; \
	fi

# The test command of the README: installs what it needs, builds, runs every suite.
check: deps
	$(MAKE) test-run

test-run: build-all $(TEST_PROGRAMS)
	$(PYTHON) tests/run_suites.py $(SUITES)

# The unit tier of make check, in seconds: the suites marked "# tier: unit" need no root, no
# network namespace and no package installation (config parser, Maglev, probe pieces, log
# helpers, format, call cycles).
# Once built (and the packages there), it runs as any user.
check-unit:
	$(MAKE) deps DEPS_TEST="$(DEPS_UNIT)"
	$(MAKE) unit-run

unit-run: build-all $(UNIT_TEST_PROGRAMS)
	$(PYTHON) tests/run_suites.py --tier unit

# The benchmarks of docs/performance.md (tests/bench/build.mk): installs what they need, builds,
# measures, prints one table and writes build/bench/results.json.
bench: deps
	$(MAKE) bench-run

# The files tests/suites/format checks.
format:
	clang-format -i $$(find bpf src tests -name '*.[ch]')

clean:
	rm -rf $(BUILD) bpf/*.bpf.o $(PROGRAMS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: all build-all deps check test-run check-unit unit-run bench format clean

# ---- Installing and packaging (systemd/, debian/, rpm/, tests/install, tests/packaging) ----
# `make install` lays out exactly docs/design.md section 4 under DESTDIR; `make deb` and
# `make rpm` build the packages from a clean copy of the tracked (and new, not ignored) files,
# so what they test is what a clean clone would build; `make check-install` boots a real
# systemd in a container and installs the .deb there, then the .rpm (tests/install/).
INSTALL ?= install
INSTALL_PROGRAMS := src/l3dsrd src/l3dsrctl
INSTALL_BPF_OBJECTS := bpf/lb.bpf.o bpf/backend.bpf.o
INSTALL_UNITS := systemd/l3dsr-lb@.service systemd/l3dsr-backend@.service
INSTALL_CONFIGS := etc/lb.conf etc/backend.conf
# The names of l3dsrd's routing protocol numbers, read by ip(8) from rt_protos.d.
INSTALL_RT_PROTOS := etc/iproute2/rt_protos.d/l3dsr.conf
INSTALL_EXAMPLES := etc/bird/l3dsr.conf etc/frr/l3dsr.conf
INSTALL_MAN8 := $(BUILD)/man/l3dsrd.8 $(BUILD)/man/l3dsrctl.8
INSTALL_MAN5 := $(BUILD)/man/l3dsr.conf.5

install: $(INSTALL_PROGRAMS) $(INSTALL_BPF_OBJECTS) $(INSTALL_MAN8) $(INSTALL_MAN5)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BPFDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/l3dsr $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d $(DESTDIR)$(EXAMPLEDIR)/bird \
		$(DESTDIR)$(EXAMPLEDIR)/frr
	$(INSTALL) -m 0755 $(INSTALL_PROGRAMS) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 $(INSTALL_BPF_OBJECTS) $(DESTDIR)$(BPFDIR)/
	# The units name the daemon by its installed path: follow PREFIX/SBINDIR.
	for unit in $(INSTALL_UNITS); do \
		sed 's,/usr/sbin/l3dsrd,$(SBINDIR)/l3dsrd,g' $$unit >$(DESTDIR)$(UNITDIR)/$${unit##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${unit##*/} || exit 1; \
	done
	$(INSTALL) -m 0644 $(INSTALL_CONFIGS) $(DESTDIR)$(SYSCONFDIR)/l3dsr/
	$(INSTALL) -m 0644 $(INSTALL_RT_PROTOS) $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/
	for example in $(INSTALL_EXAMPLES); do \
		$(INSTALL) -m 0644 $$example $(DESTDIR)$(EXAMPLEDIR)/$${example#etc/} || exit 1; \
	done
	$(INSTALL) -m 0644 $(INSTALL_MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(INSTALL_MAN5) $(DESTDIR)$(MANDIR)/man5/

# The files a package is built from: tracked and new files of the work tree (deleted ones
# left out), read lazily so that builds outside a git checkout never run git.
PACKAGE_FILES = $(shell git ls-files --cached --others --exclude-standard 2>/dev/null | \
	while read -r f; do [ -f "$$f" ] && printf '%s\n' "$$f"; done)
PACKAGE_NAME := l3dsr-$(VERSION)
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_DIR := $(BUILD)/deb
DEB_FILE = $(DEB_DIR)/l3dsr_$(VERSION)_$(DEB_ARCH).deb
RPM_DIR := $(BUILD)/rpm
RPM_ARCH = $(shell rpm --eval '%{_arch}' 2>/dev/null)
RPM_FILE = $(RPM_DIR)/RPMS/$(RPM_ARCH)/l3dsr-$(VERSION)-1.$(RPM_ARCH).rpm
# Debian's rpm lacks Fedora's systemd-rpm-macros: supply equivalents only when missing.
RPM_MACROS = $(if $(shell rpm --eval '%{?systemd_post:yes}' 2>/dev/null),,\
	--load $(CURDIR)/rpm/macros.systemd)

$(BUILD)/$(PACKAGE_NAME).tar.gz: $(PACKAGE_FILES)
	@test -n "$(PACKAGE_FILES)" || { echo "packages are built from a git checkout" >&2; exit 1; }
	@mkdir -p $(BUILD)
	git ls-files --cached --others --exclude-standard | \
		while read -r f; do [ -f "$$f" ] && printf '%s\n' "$$f"; done | \
		tar --transform 's,^,$(PACKAGE_NAME)/,' -czf $@.tmp -T -
	mv $@.tmp $@

deb: $(DEB_FILE)

# dpkg-buildpackage writes next to the source directory: build in $(DEB_DIR)/$(PACKAGE_NAME)
# so the .deb, .buildinfo and .changes land in $(DEB_DIR).
$(DEB_FILE): $(BUILD)/$(PACKAGE_NAME).tar.gz
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)
	tar -C $(DEB_DIR) -xzf $<
	cd $(DEB_DIR)/$(PACKAGE_NAME) && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_DIR)/$(PACKAGE_NAME)
	@ls $@ >/dev/null

rpm: $(RPM_FILE)

$(RPM_FILE): $(BUILD)/$(PACKAGE_NAME).tar.gz rpm/l3dsr.spec
	rm -rf $(RPM_DIR)
	mkdir -p $(RPM_DIR)/SOURCES
	cp $< $(RPM_DIR)/SOURCES/
	rpmbuild -bb --nodeps --define '_topdir $(CURDIR)/$(RPM_DIR)' $(RPM_MACROS) rpm/l3dsr.spec
	@ls $@ >/dev/null

check-install: deps
	$(PYTHON) tests/run_suites.py tests/suites/install tests/suites/install-rpm

.PHONY: install deb rpm check-install
