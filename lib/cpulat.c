// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rxq/cpulat.h"
#include "rxq/log.h"

#define CPULAT_DEV "/dev/cpu_dma_latency"

struct rxq_cpulat {
	int fd;
};

int rxq_cpulat__hold(struct rxq_cpulat **out, const char *path, int32_t usec,
		     int32_t *effective_usec)
{
	struct rxq_cpulat *c;
	int32_t value = usec, effective;
	ssize_t n;
	int ret;

	if (!path)
		path = CPULAT_DEV;
	if (usec < 0 || usec > RXQ_CPULAT_MAX_USEC) {
		rxq_err("CPU latency %d us is out of range (0 to %d)", usec, RXQ_CPULAT_MAX_USEC);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		ret = -errno;
		if (ret == -EACCES || ret == -EPERM)
			rxq_err("cannot hold the CPU latency: %s: %s (needs root or write access to "
				"%s)",
				path, strerror(-ret), path);
		else if (ret == -ENOENT)
			rxq_err("cannot hold the CPU latency: %s does not exist (a kernel without "
				"PM QoS; run without the option)",
				path);
		else
			rxq_err("cannot hold the CPU latency: %s: %s", path, strerror(-ret));
		goto err_free;
	}
	/*
	 * Four bytes are taken as a binary s32; anything else would be parsed as hex text. The
	 * device does not move the file position on write, so the value is read back at offset 0
	 * (a plain file standing in for it in tests holds what was just written there).
	 */
	n = pwrite(c->fd, &value, sizeof(value), 0);
	if (n != (ssize_t)sizeof(value)) {
		ret = n < 0 ? -errno : -EIO;
		rxq_err("cannot hold the CPU latency: writing %d to %s: %s", usec, path,
			strerror(-ret));
		goto err_close;
	}
	n = pread(c->fd, &effective, sizeof(effective), 0);
	if (n != (ssize_t)sizeof(effective)) {
		ret = n < 0 ? -errno : -EIO;
		rxq_err("cannot read the effective CPU latency back from %s: %s", path,
			strerror(-ret));
		goto err_close;
	}
	if (effective > usec)
		rxq_warn("asked for a CPU latency of %d us, but %s reports %d us", usec, path,
			 effective);
	if (effective_usec)
		*effective_usec = effective;
	*out = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return ret;
}

void rxq_cpulat__release(struct rxq_cpulat *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}
