# src/build.mk: the daemon, the CLI and the code they share, one folder per subsystem
# (README.md's layout table says what each folder holds).

# The configuration parser (src/config/config.h): linked into l3dsrd and into the config tests
# and fuzzer. It needs no Maglev builder, only the primality test of table-size.
CONFIG_SOURCES := $(addprefix src/config/,config.c config_keys.c config_check.c config_values.c \
	config_messages.c config_validate.c) src/common/prime.c
CONFIG_OBJECTS := $(CONFIG_SOURCES:%.c=$(BUILD)/%.o)

# What both programs read and write on bpffs: pins, instance record, maps, rings, addresses.
L3DSR_LIB_OBJECTS := $(addprefix $(BUILD)/src/,common/counter_names.o common/instance.o \
	common/maps.o common/pins.o common/address.o common/log.o lb/lb_rings.o \
	lb/lb_fingerprint.o health/probe_outcome.o)

# The daemon and the CLI.
PROGRAMS += src/l3dsrd src/l3dsrctl
DEPS_BUILD += libsystemd-dev

# The health checks and the statistics file (lb role); metrics names counters as l3dsrctl does.
HEALTH_OBJECTS := $(addprefix $(BUILD)/src/,health/health.o health/health_memory.o \
	health/probe.o health/probe_http.o health/probe_ports.o status/metrics.o status/ctl_read.o)
# The VIP routes (src/announce) over the rtnetlink module (src/netlink), with libmnl.
ANNOUNCE_OBJECTS := $(addprefix $(BUILD)/src/,netlink/netlink.o netlink/route.o \
	announce/announce.o)
DEPS_BUILD += libmnl-dev
# The LB's next-hop cache (src/nexthop): next_hops kept from rtnetlink, over src/netlink. The
# benchmark links it too (next_hops_fill).
NEXT_HOP_OBJECTS := $(addprefix $(BUILD)/src/,nexthop/next_hop.o nexthop/next_hop_map.o \
	nexthop/resolve.o netlink/netlink.o)
MNL_CFLAGS = $(shell pkg-config --cflags libmnl)
MNL_LIBS = $(shell pkg-config --libs libmnl)
$(ANNOUNCE_OBJECTS) $(NEXT_HOP_OBJECTS) $(BUILD)/src/egress/egress.o $(BUILD)/src/daemon/service.o \
	$(BUILD)/src/daemon/l3dsrd.o $(BUILD)/src/daemon/interface_watch.o: \
	override CFLAGS += $(MNL_CFLAGS)

# $(sort) keeps one of each object the lists share.
L3DSRD_OBJECTS := $(sort $(addprefix $(BUILD)/src/,daemon/l3dsrd.o daemon/service.o \
	daemon/loader.o daemon/attach.o lb/lb_sync.o lb/maglev.o lb/vip_slots.o lb/flow_carry.o \
	lb/lb_marks.o backend/backend_sync.o daemon/forwarding.o daemon/interface_lock.o \
	daemon/interface_watch.o daemon/notify.o daemon/reexec.o daemon/restart_check.o \
	egress/egress.o) $(HEALTH_OBJECTS) $(ANNOUNCE_OBJECTS) $(NEXT_HOP_OBJECTS) $(CONFIG_OBJECTS) \
	$(L3DSR_LIB_OBJECTS))
L3DSRCTL_OBJECTS := $(addprefix $(BUILD)/src/,cli/l3dsrctl.o status/ctl_read.o cli/ctl_print.o \
	cli/json.o) $(L3DSR_LIB_OBJECTS)

build-all: $(L3DSR_LIB_OBJECTS)

# Where the daemon looks by default: the install layout of docs/design.md section 4.
$(BUILD)/src/daemon/l3dsrd.o: override CFLAGS += -DL3DSR_BPF_DIR='"$(BPFDIR)"' \
	-DL3DSR_CONFIG_DIR='"$(SYSCONFDIR)/l3dsr"' $(SYSTEMD_CFLAGS)

src/l3dsrd: $(L3DSRD_OBJECTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(MNL_LIBS)

src/l3dsrctl: $(L3DSRCTL_OBJECTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBBPF_LIBS)
