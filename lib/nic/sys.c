// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The transport of rxq_nic: every ioctl, generic netlink request and file write goes to the
 * kernel boundary (lib/sys.c) from here, logged at debug level in one line, so `-v` shows exactly
 * what was asked of the kernel. Reads of /proc and /sys are taken under the root directory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>

#include "nic_internal.h"
#include "rxq/log.h"

/* /proc/interrupts of a large host is several MiB; no limit but memory. */
#define NIC_READ_ALL_MAX SIZE_MAX

int nic_ioctl(struct rxq_nic *nic, void *cmd)
{
	char desc[512];
	int err;

	nic_describe_ioctl(cmd, desc, sizeof(desc));
	err = rxq_sys__ethtool(&nic->sys, nic->name, cmd);
	rxq_debug("ioctl SIOCETHTOOL %s %s: %s", nic->name, desc, err ? strerror(-err) : "ok");
	return err;
}

int nic_hwtstamp(struct rxq_nic *nic, bool set, void *cfg)
{
	char desc[128];
	int err;

	nic_describe_hwtstamp(set, cfg, desc, sizeof(desc));
	err = rxq_sys__dev_ioctl(&nic->sys, nic->name, set ? SIOCSHWTSTAMP : SIOCGHWTSTAMP, cfg);
	rxq_debug("ioctl %s %s: %s", desc, nic->name, err ? strerror(-err) : "ok");
	return err;
}

int nic_genl(struct rxq_nic *nic, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
	     void *arg)
{
	const char *extack;
	char desc[1024];
	int err;

	nic_describe_genl(family, req, desc, sizeof(desc));
	err = rxq_sys__genl(&nic->sys, family, req, cb, arg);
	extack = rxq_sys__extack(&nic->sys);
	rxq_debug("netlink %s %s: %s%s%s", family, desc, err ? strerror(-err) : "ok",
		  extack[0] ? ": " : "", extack);
	return err;
}

const char *nic_extack(const struct rxq_nic *nic)
{
	return rxq_sys__extack(&nic->sys);
}

const char *rxq_nic__path(struct rxq_nic *nic, const char *abs)
{
	snprintf(nic->pathbuf, sizeof(nic->pathbuf), "%s%s", nic->sys.root, abs);
	return nic->pathbuf;
}

int nic_write(struct rxq_nic *nic, const char *abs, const char *buf, size_t len)
{
	char path[2 * PATH_MAX];
	int err;

	err = rxq_sys__write(&nic->sys, abs, buf, len);
	rxq_sys__path(&nic->sys, abs, path, sizeof(path));
	rxq_debug("write %s: %.*s: %s", path, (int)(len && buf[len - 1] == '\n' ? len - 1 : len),
		  buf, err ? strerror(-err) : "ok");
	return err;
}

int nic_read(struct rxq_nic *nic, const char *abs, char *buf, size_t len)
{
	return rxq_sys__read(&nic->sys, abs, buf, len);
}

int nic_read_all(struct rxq_nic *nic, const char *abs, char **out, size_t *len)
{
	return rxq_sys__read_all(&nic->sys, abs, NIC_READ_ALL_MAX, out, len);
}

bool nic_exists(struct rxq_nic *nic, const char *abs)
{
	return rxq_sys__exists(&nic->sys, abs);
}

int nic_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}
