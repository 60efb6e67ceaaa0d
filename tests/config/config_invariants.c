/* config_invariants.c: what must hold after any parse (see config_invariants.h). */
#include <stdio.h>
#include <string.h>

#include "config_invariants.h"
#include "bpf/l3dsr_common.h"

static const char *config_invariants_vip(const struct l3dsr_config *config,
					 const struct vip_config *vip)
{
	if (vip->dscp >= L3DSR_DSCP_CODES || vip->name[0] == '\0')
		return "a VIP has no name or a DSCP code past 63";
	if (vip->address.family != AF_INET && vip->address.family != AF_INET6)
		return "a VIP has no address family";
	if (config->role == ROLE_BACKEND)
		return vip->dscp == 0 && vip->port == 0 ? "a dscp none VIP has port *" : NULL;
	if (vip->backend_count == 0 || vip->table_size < vip->backend_count ||
	    vip->table_size > L3DSR_MAX_TABLE_SIZE)
		return "a VIP has no backend or a table-size out of range";
	if (vip->check.type != CHECK_NONE &&
	    (vip->check.port == 0 || vip->check.timeout_ms >= vip->check.interval_ms))
		return "a check has no port or a timeout not below its interval";
	for (size_t i = 0; i < vip->backend_count; i++)
		if (vip->backends[i].address.family != vip->address.family ||
		    vip->backends[i].weight > 1000)
			return "a backend is of the other family or weighs over 1000";
	return NULL;
}

const char *config_invariants_broken(const struct l3dsr_config *config, int errors,
				     const char *output)
{
	char count_line[64];
	size_t backends = 0;
	const char *last_line;

	if (errors < 0)
		return "a negative error count";
	if (errors > 0) {
		if (config->vip_count != 0 || config->vips != NULL)
			return "a configuration with errors is not empty";
		/* The last line: "NAME: N error(s)[, M warning(s)]". */
		snprintf(count_line, sizeof(count_line), ": %d error%s", errors,
			 errors == 1 ? "" : "s");
		last_line = strrchr(output, '\n');
		while (last_line && last_line > output && last_line[-1] != '\n')
			last_line--;
		if (!last_line || !strstr(last_line, count_line))
			return "the last line is not the error count";
		return NULL;
	}
	if (strstr(output, " error"))
		return "a successful parse wrote an error count";
	if (config->vip_count > L3DSR_MAX_VIPS)
		return "more VIPs than L3DSR_MAX_VIPS";
	if (config->stop_delay_ms > CONFIG_STOP_DELAY_MAX_MS)
		return "a stop-delay over its maximum";
	for (size_t i = 0; i < config->vip_count; i++) {
		const char *broken = config_invariants_vip(config, &config->vips[i]);

		if (broken)
			return broken;
		backends += config->vips[i].backend_count;
	}
	return backends <= L3DSR_MAX_BACKENDS ? NULL : "more backends than L3DSR_MAX_BACKENDS";
}
