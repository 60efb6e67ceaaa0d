/* config.h: the parsed form of lb.conf and backend.conf (see l3dsr.conf(5)). */
#ifndef L3DSR_CONFIG_H
#define L3DSR_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum l3dsr_role {
	ROLE_LB,
	ROLE_BACKEND,
};

enum xdp_mode {
	XDP_MODE_NATIVE,
	XDP_MODE_GENERIC,
	XDP_MODE_AUTO, /* native, else generic with a warning */
};

/* flow-hash: the hash that maps a flow to a slot of a VIP's Maglev table (lb). */
enum flow_hash {
	FLOW_HASH_LOOKUP3, /* the default: the hash of every version before flow-hash */
	FLOW_HASH_MIX64,   /* LB_SETTINGS_F_HASH_MIX64 */
};

enum check_type {
	CHECK_NONE,
	CHECK_TCP,  /* connect() */
	CHECK_HTTP, /* GET path, expect a status */
};

/* stop-delay: a few seconds cover BGP's withdrawal and the routers' convergence; more than ten
 * minutes is a mistake rather than a delay. */
#define CONFIG_STOP_DELAY_DEFAULT_MS 3000
#define CONFIG_STOP_DELAY_MAX_MS     600000

/* Longer names and paths are errors in the file, never silently cut. */
#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 256

/* A VIP without a "check" line has type CHECK_NONE (every backend counts as up). */
struct check_config {
	enum check_type type;
	uint32_t interval_ms; /* default 2000 */
	uint32_t timeout_ms;  /* default 1000 but at most interval / 2; < interval */
	uint32_t rise;	      /* default 2 */
	uint32_t fall;	      /* default 3 */
	/* tcp/http: never 0 after a successful parse (the VIP's port when not given) */
	uint16_t port;
	char path[CONFIG_PATH_MAX]; /* http: default "/" */
	char host[CONFIG_PATH_MAX]; /* http: Host header; default the VIP address ("[v6]") */
	uint16_t expect;	    /* http: default 200 */
};

/* One address of either family; IPv4 is held v4-mapped (::ffff:a.b.c.d), as in the maps. */
struct config_address {
	struct in6_addr address;
	int family; /* AF_INET or AF_INET6 */
};

struct backend_config {
	struct config_address address;
	uint32_t weight; /* 0..1000, default 1; 0 = drained */
	int line;	 /* where it was defined, for messages */
};

struct vip_config {
	char name[CONFIG_NAME_MAX]; /* from "[vip NAME]" */
	struct config_address address;
	/* IPPROTO_TCP, IPPROTO_UDP, 0 = any (the default; any with a port: tcp and udp) */
	uint8_t protocol;
	/* host order; 0 = * (all ports, the default; a backend's dscp none VIP has a port) */
	uint16_t port;
	uint8_t dscp;	     /* 1..63; 0 = "dscp = none" */
	uint32_t table_size; /* prime, >= backend_count; default L3DSR_DEFAULT_TABLE_SIZE (lb) */
	struct backend_config *backends; /* lb only */
	size_t backend_count;
	struct check_config check; /* lb only */
	int line;
};

struct l3dsr_config {
	enum l3dsr_role role;
	char path[CONFIG_PATH_MAX]; /* the file it came from */
	/* [global] */
	enum xdp_mode xdp_mode;	  /* default native */
	uint32_t hash_seed;	  /* lb: default 0 */
	enum flow_hash flow_hash; /* lb: default FLOW_HASH_LOOKUP3 */
	uint32_t flow_table_size; /* lb: default L3DSR_DEFAULT_FLOW_TABLE_SIZE; 0: no flow table */
	/* lb: new flows remembered per CPU per second, 0 = unlimited; unused when
	 * flow_inserts_auto (the default), see config_flow_inserts_limit */
	uint32_t flow_inserts_per_second;
	bool flow_inserts_auto; /* lb: flow-inserts-per-second = auto */
	/* lb: how long a changed ring slot keeps its previous backend (docs/datapath.md,
	 * "Per-flow state"); default CONFIG_FLOW_CHANGE_RETENTION_DEFAULT_MS */
	uint32_t flow_change_retention_ms;
	char statistics_file[CONFIG_PATH_MAX]; /* "" = none */
	/* lb: the local ports of the health checks' connections; default 61000-61999 */
	uint16_t probe_port_first;
	uint16_t probe_port_last;
	/* lb: drain = yes: announce no VIP (every route withdrawn) but keep forwarding */
	bool drain;
	/* lb: on SIGTERM, how long to forward after the withdrawal; default 3000 */
	uint32_t stop_delay_ms;
	struct vip_config *vips;
	size_t vip_count;
};

/*
 * Parses PATH for ROLE into *CONFIG (which need not be initialised). Every problem is written to
 * ERRORS as one line "FILE:LINE: what is wrong (what was expected)"; all problems are reported,
 * not only the first, sorted by line. Warnings (e.g. table-size < 100 x backends) are written as
 * "FILE:LINE: warning: ..."; problems of the whole file have no line ("FILE: cannot open: ...",
 * "FILE: warning: no [vip NAME] section ..."). When there were errors a last line says how many:
 * "FILE: 3 errors" or "FILE: 1 error, 2 warnings". ERRORS may be NULL (nothing is written).
 * Returns the number of errors; on errors *CONFIG is left empty but for its role (config_free is
 * still safe); with only warnings it is filled.
 */
int config_parse(const char *path, enum l3dsr_role role, struct l3dsr_config *config, FILE *errors);

/* The same, from a buffer; NAME is used in messages in place of the file name (for fuzzing). */
int config_parse_buffer(const char *name, const char *text, size_t length, enum l3dsr_role role,
			struct l3dsr_config *config, FILE *errors);

/*
 * Receives one line of config_parse's report, without its newline, and whether it is a warning
 * (an error or the count of errors otherwise): a caller that logs the lines gives each its
 * priority from this, not from the text.
 */
typedef void config_report_fn(void *context, bool warning, const char *line);

/*
 * config_parse, with each line handed to REPORT (with CONTEXT) instead of written to a stream,
 * and without the last line that counts the errors: the caller says what they mean, with the
 * count it is returned, in a line of its own.
 */
int config_parse_reported(const char *path, enum l3dsr_role role, struct l3dsr_config *config,
			  config_report_fn *report, void *context);

void config_free(struct l3dsr_config *config);

/* flow-inserts-per-second = auto: a flood of new flows needs at least this long to turn the
 * whole flow table over. */
#define CONFIG_FLOW_INSERTS_AUTO_SECONDS 10
/* flow-change-retention when lb.conf does not say: five minutes. */
#define CONFIG_FLOW_CHANGE_RETENTION_DEFAULT_MS (5U * 60 * 1000)

/*
 * The flow-table inserts each CPU may make per second (0: no limit) with CPU_COUNT possible
 * CPUs: what goes into the settings map. A number is itself; auto is a CPU's own share of the
 * table (the LRU is BPF_F_NO_COMMON_LRU: flow-table-size / CPUs entries each) over
 * CONFIG_FLOW_INSERTS_AUTO_SECONDS, at least 1. 0 when the flow table is off.
 */
uint32_t config_flow_inserts_limit(const struct l3dsr_config *config, unsigned int cpu_count);

#endif /* L3DSR_CONFIG_H */
