# src/build.mk: the daemon, the CLI and the library code they share.

# The configuration parser (config.h): linked into l3dsrd and into the config tests and fuzzer.
# It asks maglev.c whether a table-size is prime (the link's $^ drops the second maglev.o).
CONFIG_SOURCES := $(addprefix src/,config.c config_keys.c config_check.c config_values.c \
	config_messages.c config_validate.c maglev.c)
CONFIG_OBJECTS := $(CONFIG_SOURCES:%.c=$(BUILD)/%.o)

# Library objects: everything l3dsrd (and the unit tests) link besides their own main.
L3DSR_LIB_OBJECTS += $(BUILD)/src/maglev.o

build-all: $(L3DSR_LIB_OBJECTS)

# What both programs read and write on bpffs: pins, instance record, maps, rings, addresses.
L3DSR_LIB_OBJECTS += $(addprefix $(BUILD)/src/,counter_names.o instance.o maps.o lb_rings.o pins.o address.o \
	log.o probe_outcome.o)

# The daemon and the CLI.
PROGRAMS += src/l3dsrd src/l3dsrctl
DEPS_BUILD += libsystemd-dev

# The health checks and the statistics file (lb role); metrics names counters as l3dsrctl does.
HEALTH_OBJECTS := $(addprefix $(BUILD)/src/,health.o probe.o probe_http.o probe_ports.o \
	metrics.o ctl_read.o)
L3DSRD_OBJECTS := $(addprefix $(BUILD)/src/,l3dsrd.o service.o loader.o attach.o lb_maps.o \
	vip_slots.o backend_maps.o forwarding.o interface_lock.o notify.o) $(HEALTH_OBJECTS) \
	$(CONFIG_OBJECTS) $(L3DSR_LIB_OBJECTS)
L3DSRCTL_OBJECTS := $(addprefix $(BUILD)/src/,l3dsrctl.o ctl_read.o ctl_print.o json.o) \
	$(L3DSR_LIB_OBJECTS)

# Where the daemon looks by default: the install layout of DESIGN.md section 4.
$(BUILD)/src/l3dsrd.o: override CFLAGS += -DL3DSR_BPF_DIR='"$(BPFDIR)"' \
	-DL3DSR_CONFIG_DIR='"$(SYSCONFDIR)/l3dsr"' $(SYSTEMD_CFLAGS)

src/l3dsrd: $(L3DSRD_OBJECTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBBPF_LIBS) $(SYSTEMD_LIBS)

src/l3dsrctl: $(L3DSRCTL_OBJECTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBBPF_LIBS)

# Library objects: everything l3dsrd (and the unit tests) link besides their own main.
L3DSR_LIB_OBJECTS += $(BUILD)/src/maglev.o

build-all: $(L3DSR_LIB_OBJECTS)
