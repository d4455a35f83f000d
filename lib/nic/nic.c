// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Opening an interface: existence, driver, queues and the host's CPUs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/ethtool.h>

#include "nic_internal.h"
#include "rxq/log.h"

/* 0 when the kernel has no queue directories to count. */
static unsigned count_queues(struct rxq_nic *nic, bool rx)
{
	unsigned nrx = 0, ntx = 0;

	if (rxq_sys__queues(&nic->sys, nic->name, &nrx, &ntx))
		return 0;
	return rx ? nrx : ntx;
}

static void read_cpus(struct rxq_nic *nic)
{
	char buf[4096];
	cpu_set_t possible;
	int c;

	CPU_ZERO(&nic->online);
	if (nic_read(nic, "/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0 ||
	    rxq_cpulist__parse(buf, &nic->online) || !CPU_COUNT(&nic->online))
		CPU_SET(0, &nic->online);
	nic->possible_bits = 0;
	if (nic_read(nic, "/sys/devices/system/cpu/possible", buf, sizeof(buf)) >= 0 &&
	    !rxq_cpulist__parse(buf, &possible)) {
		for (c = RXQ_CPUS_MAX - 1; c >= 0; c--)
			if (CPU_ISSET(c, &possible)) {
				nic->possible_bits = (unsigned)c + 1;
				break;
			}
	}
	if (!nic->possible_bits) {
		for (c = RXQ_CPUS_MAX - 1; c >= 0; c--)
			if (CPU_ISSET(c, &nic->online)) {
				nic->possible_bits = (unsigned)c + 1;
				break;
			}
	}
}

static void read_driver(struct rxq_nic *nic)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	char path[PATH_MAX + 64], link[PATH_MAX];
	ssize_t n;

	snprintf(nic->driver, sizeof(nic->driver), "unknown");
	if (!nic_ioctl(nic, &info) && info.driver[0]) {
		info.driver[sizeof(info.driver) - 1] = '\0';
		info.bus_info[sizeof(info.bus_info) - 1] = '\0';
		nic_strlcpy(nic->driver, info.driver, sizeof(nic->driver));
		nic_strlcpy(nic->bus, info.bus_info, sizeof(nic->bus));
		return;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver", nic->name);
	n = readlink(rxq_nic__path(nic, path), link, sizeof(link) - 1);
	if (n > 0) {
		const char *slash;

		link[n] = '\0';
		slash = strrchr(link, '/');
		nic_strlcpy(nic->driver, slash ? slash + 1 : link, sizeof(nic->driver));
	}
}

int rxq_nic__open(struct rxq_nic **out, const char *ifname, const struct rxq_nic_opts *opts)
{
	struct rxq_nic_opts o;
	const char *root, *state;
	struct rxq_nic *nic;
	char path[PATH_MAX + 64], buf[64];
	struct stat st;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_nic_opts))
		return -EINVAL;
	root = o.root ? o.root : "";
	state = o.state_dir ? o.state_dir : "/run/rxq";
	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/') ||
	    !strcmp(ifname, ".") || !strcmp(ifname, "..")) {
		rxq_err("'%s' is not an interface name", ifname ? ifname : "");
		return -EINVAL;
	}
	if (strlen(root) >= PATH_MAX || strlen(state) >= PATH_MAX)
		return -ENAMETOOLONG;
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	nic_strlcpy(nic->name, ifname, sizeof(nic->name));
	nic_strlcpy(nic->state_dir, state, sizeof(nic->state_dir));
	/*
	 * Two network namespaces may each have an eth0: the journal is kept per namespace, named
	 * by its inode (what `ip netns identify` and lsns compare), and the journal says the
	 * ifindex. The process's own namespace, not the root directory's: that is the one it
	 * changes.
	 */
	if (stat("/proc/self/ns/net", &st) == 0)
		snprintf(nic->journal_dir, sizeof(nic->journal_dir), "%s/net-%llu", nic->state_dir,
			 (unsigned long long)st.st_ino);
	else
		nic_strlcpy(nic->journal_dir, nic->state_dir, sizeof(nic->journal_dir));
	snprintf(nic->journal, sizeof(nic->journal), "%s/%s.journal", nic->journal_dir, nic->name);
	snprintf(nic->journal_old, sizeof(nic->journal_old), "%s/%s.journal", nic->state_dir,
		 nic->name);
	rxq_sys__init(&nic->sys, root, o.sys);

	snprintf(path, sizeof(path), "/sys/class/net/%s", ifname);
	if (!nic_exists(nic, path)) {
		rxq_err("no interface '%s' here (ip link lists the interfaces of this network "
			"namespace)",
			ifname);
		rxq_nic__close(nic);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", ifname);
	if (nic_read(nic, path, buf, sizeof(buf)) > 0)
		nic->ifindex = atoi(buf);
	nic->nrx = count_queues(nic, true);
	nic->ntx = count_queues(nic, false);
	if (nic->nrx > RXQ_NIC_QUEUES_MAX)
		nic->nrx = RXQ_NIC_QUEUES_MAX;
	if (nic->ntx > RXQ_NIC_QUEUES_MAX)
		nic->ntx = RXQ_NIC_QUEUES_MAX;
	read_cpus(nic);
	read_driver(nic);
	*out = nic;
	return 0;
}

void rxq_nic__refresh(struct rxq_nic *nic)
{
	nic->nrx = count_queues(nic, true);
	nic->ntx = count_queues(nic, false);
	if (nic->nrx > RXQ_NIC_QUEUES_MAX)
		nic->nrx = RXQ_NIC_QUEUES_MAX;
	if (nic->ntx > RXQ_NIC_QUEUES_MAX)
		nic->ntx = RXQ_NIC_QUEUES_MAX;
	read_cpus(nic);
}

void rxq_nic__close(struct rxq_nic *nic)
{
	if (!nic)
		return;
	rxq_sys__fini(&nic->sys);
	free(nic);
}

const char *rxq_nic__name(const struct rxq_nic *nic)
{
	return nic->name;
}

int rxq_nic__ifindex(const struct rxq_nic *nic)
{
	return nic->ifindex;
}

const char *rxq_nic__driver(const struct rxq_nic *nic)
{
	return nic->driver;
}

const char *rxq_nic__bus(const struct rxq_nic *nic)
{
	return nic->bus;
}

unsigned rxq_nic__rx_queues(const struct rxq_nic *nic)
{
	return nic->nrx;
}

unsigned rxq_nic__tx_queues(const struct rxq_nic *nic)
{
	return nic->ntx;
}

const cpu_set_t *rxq_nic__online_cpus(const struct rxq_nic *nic)
{
	return &nic->online;
}

const char *rxq_nic__journal_path(struct rxq_nic *nic)
{
	return nic->journal;
}
