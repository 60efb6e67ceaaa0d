/* forwarding.c: the load balancer needs IP forwarding on its interface for every family it serves.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "src/daemon/forwarding.h"
#include "src/common/log.h"

/* Reads /proc/sys/net/FAMILY/conf/IFNAME/forwarding; -1 when it cannot be read. */
static int read_forwarding(const char *family, const char *ifname)
{
	char path[PATH_MAX];
	FILE *file;
	int value = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/forwarding", family, ifname);
	file = fopen(path, "r");
	if (!file)
		return -1;
	if (fscanf(file, "%d", &value) != 1)
		value = -1;
	fclose(file);
	return value;
}

static bool check_family(const char *family, const char *ifname, const char *global_sysctl)
{
	char sysctl_ifname[32];
	int value = read_forwarding(family, ifname);

	if (value > 0)
		return true;
	/* sysctl(8) writes a '.' inside a name (eth0.100, a VLAN) as '/'. */
	snprintf(sysctl_ifname, sizeof(sysctl_ifname), "%s", ifname);
	for (char *dot = strchr(sysctl_ifname, '.'); dot; dot = strchr(dot, '.'))
		*dot = '/';
	if (value < 0)
		log_error("cannot read /proc/sys/net/%s/conf/%s/forwarding", family, ifname);
	else
		log_error("%s forwarding is off on %s, which this load balancer needs: set "
			  "net.%s.conf.%s.forwarding=1 (or %s=1 for every interface)",
			  strcmp(family, "ipv4") ? "IPv6" : "IPv4", ifname, family, sysctl_ifname,
			  global_sysctl);
	return false;
}

bool forwarding_check(const char *ifname, bool ipv4, bool ipv6)
{
	bool ok = true;

	if (ipv4)
		ok &= check_family("ipv4", ifname, "net.ipv4.ip_forward");
	if (ipv6)
		ok &= check_family("ipv6", ifname, "net.ipv6.conf.all.forwarding");
	return ok;
}
