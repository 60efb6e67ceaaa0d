/* bench.h: what the benchmark's modes share: where things are, the addresses, the frames. */
#ifndef L3DSR_BENCH_H
#define L3DSR_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include "bench_cases.h"
#include "bench_packet.h"

#define pr_warn(...) fprintf(stderr, "l3dsr-bench: " __VA_ARGS__)

/*
 * The addresses (documentation ranges only). The netns that run.py makes routes the backends
 * (198.51.100.0/24, 2001:db8:b::/48) through the LB interface to a permanent neighbour.
 */
#define BENCH_CLIENT4	  "203.0.113.100"
#define BENCH_CLIENT6	  "2001:db8:c::100"
#define BENCH_VIP4	  "192.0.2.10"
#define BENCH_VIP6	  "2001:db8:a::10"
#define BENCH_NON_VIP4	  "198.51.100.200"
#define BENCH_NON_VIP6	  "2001:db8:b::200"
#define BENCH_VIP_PORT	  80
#define BENCH_UDP_PORT	  53
#define BENCH_CLIENT_PORT 40000
#define BENCH_DSCP4	  1
#define BENCH_DSCP6	  2
#define BENCH_DSCP_UDP	  3

struct bench_env {
	char lb_path[512];
	char backend_path[512];
	char bench_dir[512]; /* the benchmark's own objects */
	int ifindex;	     /* the LB's interface */
	int generator_ifindex;
	uint8_t lb_mac[6];
	uint8_t generator_mac[6];
	uint32_t repeat;
	uint32_t rounds;
	uint32_t frames; /* rate: frames per generator run */
	double seconds;	 /* flood: how long */
	uint32_t scale_max_vips, scale_max_backends, scale_flows;
	uint32_t flood_limit;	    /* flood: flow_inserts_per_second of the limited run */
	uint32_t flood_established; /* flood: live flows that must survive it */
	const char *spin_case;	    /* spin: the cost case to run */
	const char *nft; /* rate: the nft binary for the kernel-stack comparison, or NULL */
	FILE *out;
};

/* A frame from CLIENT (v4 or v6 as DESTINATION) to DESTINATION:PORT. */
void bench_spec(const struct bench_env *env, struct packet_spec *spec, const char *destination,
		uint8_t protocol, uint16_t port, uint8_t tcp_flags);
void bench_frame(const struct packet_spec *spec, struct bench_frame *frame);
/* Same frame, the wrapper making flow (run & (FLOW_COUNT - 1)) of each run (0: all 2^32). */
void bench_vary(struct bench_frame *frame, uint32_t vary, uint32_t flow_count);
void bench_path(const struct bench_env *env, char *path, size_t size, const char *name);

/* The frames of the cost and check modes. */
struct bench_specs {
	struct packet_spec tcp4, tcp6, syn4, syn6, udp4, non_vip4, non_vip6;
	struct packet_spec restore4, restore6; /* what the backend receives */
};
void bench_specs(const struct bench_env *env, struct bench_specs *specs);

/* Allocates the cases with the wrapper and XDP_PASS loaded; NULL on error. */
struct bench_cases *bench_cases_open(const struct bench_env *env);
void bench_cases_close(struct bench_cases *cases);

/* How the base LB is set up (bench_base_lb's FLAGS). */
enum bench_lb_flags {
	BENCH_LB_CHANGED = 1 << 0,   /* every ring slot marked changed (right after a change) */
	BENCH_LB_NEXT_HOPS = 1 << 1, /* next_hops filled as l3dsrd fills it (else empty: the FIB) */
	BENCH_LB_MIX64 = 1 << 2,     /* flow-hash = mix64 (LB_SETTINGS_F_HASH_MIX64) */
};

/*
 * Loads the base LB of the cost, rate, flood and check modes: the three VIPs (TCP v4, TCP v6,
 * UDP v4), two backends each, set up as FLAGS say. A flow_table_size of 0: the default.
 */
int bench_base_lb(const struct bench_env *env, struct lb_instance *lb, uint32_t flow_table_size,
		  unsigned flags);
int bench_base_backend(const struct bench_env *env, struct backend_instance *backend);
int bench_reference(const struct bench_env *env, struct bpf_object **object);

int bench_cost(struct bench_env *env);
int bench_scale(struct bench_env *env);
int bench_rate(struct bench_env *env);
int bench_flood(struct bench_env *env);
int bench_check(struct bench_env *env);
int bench_spin(struct bench_env *env);

#endif /* L3DSR_BENCH_H */
