/* bench_setup.c: the frames and the loaded programs that several benchmark modes share. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "bench.h"

void bench_spec(const struct bench_env *env, struct packet_spec *spec, const char *destination,
		uint8_t protocol, uint16_t port, uint8_t tcp_flags)
{
	memset(spec, 0, sizeof(*spec));
	spec->family = packet_address(destination, &spec->destination);
	packet_address(spec->family == AF_INET ? BENCH_CLIENT4 : BENCH_CLIENT6, &spec->source);
	spec->protocol = protocol;
	spec->tcp_flags = tcp_flags;
	spec->source_port = BENCH_CLIENT_PORT;
	spec->destination_port = port;
	spec->ttl = 64;
	/* 64-byte IPv4 frames; SYNs carry no payload. */
	spec->payload_length = tcp_flags == TCP_FLAG_SYN ? 0 : (spec->family == AF_INET ? 10 : 6);
	if (protocol == IPPROTO_UDP)
		spec->payload_length = spec->family == AF_INET ? 22 : 18;
	memcpy(spec->source_mac, env->generator_mac, 6);
	memcpy(spec->destination_mac, env->lb_mac, 6);
}

void bench_frame(const struct packet_spec *spec, struct bench_frame *frame)
{
	packet_build(spec, frame);
}

void bench_vary(struct bench_frame *frame, uint32_t vary, uint32_t flow_count)
{
	frame->vary = vary;
	frame->flow_count = flow_count;
}

void bench_path(const struct bench_env *env, char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", env->bench_dir, name);
}

int bench_base_lb(const struct bench_env *env, struct lb_instance *lb, uint32_t flow_table_size,
		  unsigned flags)
{
	struct lb_vip_spec vips[3] = {
	    {.family = AF_INET,
	     .protocol = IPPROTO_TCP,
	     .port = BENCH_VIP_PORT,
	     .dscp = BENCH_DSCP4},
	    {.family = AF_INET6,
	     .protocol = IPPROTO_TCP,
	     .port = BENCH_VIP_PORT,
	     .dscp = BENCH_DSCP6},
	    {.family = AF_INET,
	     .protocol = IPPROTO_UDP,
	     .port = BENCH_UDP_PORT,
	     .dscp = BENCH_DSCP_UDP},
	};
	int err;

	packet_address(BENCH_VIP4, &vips[0].address);
	packet_address(BENCH_VIP6, &vips[1].address);
	packet_address(BENCH_VIP4, &vips[2].address);
	err = lb_open(lb, env->lb_path, flow_table_size);
	if (err)
		return err;
	if (flags & BENCH_LB_MIX64) {
		struct lb_settings settings = lb->settings;

		settings.flags |= LB_SETTINGS_F_HASH_MIX64;
		err = lb_write_settings(lb, &settings);
		if (err)
			goto fail;
	}
	for (uint32_t i = 0; i < 3; i++) {
		vips[i].table_size = L3DSR_DEFAULT_TABLE_SIZE;
		vips[i].backend_count = 2;
		vips[i].changed = flags & BENCH_LB_CHANGED;
		err = lb_add_vip(lb, &vips[i], i);
		if (err)
			goto fail;
	}
	if (flags & BENCH_LB_NEXT_HOPS) {
		int live = lb_fill_next_hops(lb, env->ifindex);

		err = live < 0 ? live : 0;
		if (err)
			goto fail;
	}
	return 0;
fail:
	lb_close(lb);
	return err;
}

int bench_base_backend(const struct bench_env *env, struct backend_instance *backend)
{
	struct in6_addr vip4, vip6, rip;
	int err;

	err = backend_open(backend, env->backend_path);
	if (err)
		return err;
	packet_address(BENCH_VIP4, &vip4);
	packet_address(BENCH_VIP6, &vip6);
	lb_backend_address(AF_INET, 0, &rip);
	err = backend_add_local(backend, &rip);
	lb_backend_address(AF_INET6, 0, &rip);
	err = err ?: backend_add_local(backend, &rip);
	err = err ?: backend_add_dscp_vip(backend, BENCH_DSCP4, &vip4, AF_INET, 0);
	err = err ?: backend_add_dscp_vip(backend, BENCH_DSCP6, &vip6, AF_INET6, 1);
	if (err)
		backend_close(backend);
	return err;
}

int bench_reference(const struct bench_env *env, struct bpf_object **object)
{
	struct reference_config config = {
	    .port = htons(BENCH_VIP_PORT), .protocol = IPPROTO_TCP, .dscp = BENCH_DSCP4};
	struct in6_addr address;
	struct bpf_program *program;
	struct bpf_map *rodata = NULL, *map;
	char path[600];
	int err;

	bench_path(env, path, sizeof(path), "reference.bpf.o");
	packet_address(BENCH_VIP4, &address);
	memcpy(&config.vip4, &address.s6_addr[12], 4);
	lb_backend_address(AF_INET, 0, &address);
	memcpy(&config.rip4, &address.s6_addr[12], 4);
	packet_address(BENCH_VIP6, &address);
	memcpy(config.vip6, &address, 16);
	lb_backend_address(AF_INET6, 0, &address);
	memcpy(config.rip6, &address, 16);

	*object = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(*object);
	if (err) {
		*object = NULL;
		pr_warn("%s: cannot open\n", path);
		return err;
	}
	bpf_object__for_each_map(map, *object) if (strstr(bpf_map__name(map), ".rodata")) rodata =
	    map;
	if (!rodata || bpf_map__value_size(rodata) != sizeof(config)) {
		pr_warn("%s: .rodata is not one struct reference_config\n", path);
		err = -EINVAL;
		goto fail;
	}
	err = bpf_map__set_initial_value(rodata, &config, sizeof(config));
	err = err ?: bpf_object__load(*object);
	if (err) {
		pr_warn("%s: load failed: %s\n", path, strerror(-err));
		goto fail;
	}
	program = bpf_object__find_program_by_name(*object, "bench_reference");
	return bpf_program__fd(program);
fail:
	bpf_object__close(*object);
	*object = NULL;
	return err;
}

void bench_specs(const struct bench_env *env, struct bench_specs *specs)
{
	const uint8_t data = TCP_FLAG_ACK | TCP_FLAG_PSH;

	bench_spec(env, &specs->tcp4, BENCH_VIP4, IPPROTO_TCP, BENCH_VIP_PORT, data);
	bench_spec(env, &specs->tcp6, BENCH_VIP6, IPPROTO_TCP, BENCH_VIP_PORT, data);
	bench_spec(env, &specs->syn4, BENCH_VIP4, IPPROTO_TCP, BENCH_VIP_PORT, TCP_FLAG_SYN);
	bench_spec(env, &specs->syn6, BENCH_VIP6, IPPROTO_TCP, BENCH_VIP_PORT, TCP_FLAG_SYN);
	bench_spec(env, &specs->udp4, BENCH_VIP4, IPPROTO_UDP, BENCH_UDP_PORT, 0);
	bench_spec(env, &specs->non_vip4, BENCH_NON_VIP4, IPPROTO_TCP, BENCH_VIP_PORT, data);
	bench_spec(env, &specs->non_vip6, BENCH_NON_VIP6, IPPROTO_TCP, BENCH_VIP_PORT, data);
	/* As the LB sends them: to backend 0, the VIP's DSCP code, one hop less. */
	specs->restore4 = specs->tcp4;
	specs->restore6 = specs->tcp6;
	lb_backend_address(AF_INET, 0, &specs->restore4.destination);
	lb_backend_address(AF_INET6, 0, &specs->restore6.destination);
	specs->restore4.dscp = BENCH_DSCP4;
	specs->restore6.dscp = BENCH_DSCP6;
	specs->restore4.ttl = specs->restore6.ttl = 63;
}

struct bench_cases *bench_cases_open(const struct bench_env *env)
{
	struct bench_cases *cases = calloc(1, sizeof(*cases));
	char path[600];

	if (!cases)
		return NULL;
	bench_path(env, path, sizeof(path), "wrapper.bpf.o");
	if (wrapper_open(&cases->wrapper_storage, path)) {
		free(cases);
		return NULL;
	}
	bench_path(env, path, sizeof(path), "targets.bpf.o");
	cases->pass_fd = program_load(path, "bench_pass", &cases->targets);
	if (cases->pass_fd < 0) {
		bench_cases_close(cases);
		return NULL;
	}
	cases->wrapper = &cases->wrapper_storage;
	cases->ifindex = env->ifindex;
	cases->repeat = env->repeat;
	cases->rounds = env->rounds;
	return cases;
}

void bench_cases_close(struct bench_cases *cases)
{
	if (!cases)
		return;
	wrapper_close(&cases->wrapper_storage);
	bpf_object__close(cases->targets);
	free(cases);
}
