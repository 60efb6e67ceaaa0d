# src/build.mk: the daemon, the CLI and the library code they share.

# The configuration parser (config.h): linked into l3dsrd and into the config tests and fuzzer.
CONFIG_SOURCES := $(addprefix src/,config.c config_keys.c config_check.c config_values.c \
	config_messages.c config_validate.c)
CONFIG_OBJECTS := $(CONFIG_SOURCES:%.c=$(BUILD)/%.o)
