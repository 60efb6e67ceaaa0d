# src/build.mk: the daemon, the CLI and the library code they share.

# Library objects: everything l3dsrd (and the unit tests) link besides their own main.
L3DSR_LIB_OBJECTS += $(BUILD)/src/maglev.o

build-all: $(L3DSR_LIB_OBJECTS)
