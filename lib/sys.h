/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_SYS_INTERNAL_H
#define RXQ_SYS_INTERNAL_H

/*
 * Private to librxq: the one layer that touches the kernel (see include/rxq/sys.h for the
 * replaceable functions). A struct rxq_sys is a handle: the root directory, the functions, and the
 * sockets of the real kernel, opened on first use and closed by rxq_sys__fini().
 *
 * Nothing here logs: the callers decide what a failure means.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "rxq/sys.h"

struct mnl_socket;

#define RXQ_SYS_EXTACK 256

struct rxq_sys {
	char root[PATH_MAX]; /* "" for the real /proc and /sys */
	bool root_too_long; /* then every path under it is -ENAMETOOLONG */
	struct rxq_sys_ops ops;
	/* the real kernel */
	int ioctl_fd;
	struct mnl_socket *genl_sock, *rtnl_sock;
	unsigned genl_portid, rtnl_portid, seq;
	struct {
		char name[16];
		int id; /* 0: not looked up; <0: -errno */
	} family[4];
	char extack[RXQ_SYS_EXTACK]; /* of the last netlink request */
};

/**
 * @brief Sets up @p sys: @p root NULL and @p ops NULL take the process defaults (the real kernel
 * and "", unless rxq_sys__set_default() changed them). Cannot fail.
 */
void rxq_sys__init(struct rxq_sys *sys, const char *root, const struct rxq_sys_ops *ops);
/** @brief Closes the sockets of the real kernel. */
void rxq_sys__fini(struct rxq_sys *sys);

/**
 * @brief The default root and functions of every handle set up with NULL (the queue count of
 * rxq_steer, the sysfs and ioctl reads of rxq_netdev, the sysctls and requests of rxq_tap). For
 * tests: not thread-safe. NULL restores the real kernel and "".
 */
void rxq_sys__set_default(const struct rxq_sys_ops *ops, const char *root);

/* ---- requests ---- */

int rxq_sys__ethtool(struct rxq_sys *sys, const char *ifname, void *cmd);
int rxq_sys__dev_ioctl(struct rxq_sys *sys, const char *ifname, unsigned long req, void *data);
/**
 * @brief One netlink transaction: sends @p req (NLM_F_REQUEST added, and NLM_F_ACK unless it is a
 * dump), passes every reply message to @p cb (may be NULL) until the ack or NLMSG_DONE.
 * @return 0 or -errno: the kernel's error, or the first error @p cb returned. The kernel's
 * extended ack message is then in rxq_sys__extack().
 */
int rxq_sys__genl(struct rxq_sys *sys, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
		  void *arg);
int rxq_sys__rtnl(struct rxq_sys *sys, struct nlmsghdr *req, rxq_sys_msg_fn cb, void *arg);
/** @brief Opens the rtnetlink socket now (a no-op behind a fake), to fail before doing anything. */
int rxq_sys__rtnl_open(struct rxq_sys *sys);
/** @brief The extended ack message of the last netlink request; "" when there was none. */
const char *rxq_sys__extack(const struct rxq_sys *sys);

/* ---- files under the root ---- */

/** @brief root + @p abs into @p buf. -ENAMETOOLONG when it does not fit. */
int rxq_sys__path(const struct rxq_sys *sys, const char *abs, char *buf, size_t len);
/** @brief Writes @p len bytes to root + @p abs in one write (sysfs and procfs take one). */
int rxq_sys__write(struct rxq_sys *sys, const char *abs, const char *buf, size_t len);
/** @brief Writes the string @p s. */
int rxq_sys__write_str(struct rxq_sys *sys, const char *abs, const char *s);
/**
 * @brief Reads at most @p len - 1 bytes of root + @p abs into @p buf, NUL-terminated.
 * @return the length read, or -errno.
 */
int rxq_sys__read(struct rxq_sys *sys, const char *abs, char *buf, size_t len);
/**
 * @brief Reads the whole of root + @p abs into a malloc'ed NUL-terminated buffer (free() it).
 * @return 0, -EFBIG when the file has @p max bytes or more, -ENOMEM, -errno.
 */
int rxq_sys__read_all(struct rxq_sys *sys, const char *abs, size_t max, char **out, size_t *len);
/** @brief As rxq_sys__read_all() on an open file descriptor (left open). */
int rxq_sys__read_fd(int fd, size_t max, char **out, size_t *len);
bool rxq_sys__exists(struct rxq_sys *sys, const char *abs);

/**
 * @brief Counts the queues of @p ifname: the rx-N and tx-N directories of
 * /sys/class/net/IF/queues under the root. Either pointer may be NULL.
 * @return 0 or -errno (-ENOENT: no such interface, or a kernel without queue directories).
 */
int rxq_sys__queues(struct rxq_sys *sys, const char *ifname, unsigned *rx, unsigned *tx);

/* ---- for the unit tests (RXQ_TESTING) ---- */

/* What one netlink transaction collects while libmnl walks the replies. */
struct rxq_sys_run {
	rxq_sys_msg_fn cb;
	void *arg;
	int cb_err;
	char *extack;
	size_t extack_len;
	int family_id; /* for CTRL_CMD_GETFAMILY replies */
};

/*
 * Runs one read's worth of replies to request @p seq of @p portid through @p run: 1 when the
 * transaction is over (the ack, or NLMSG_DONE), 0 to read on, -errno.
 */
#ifdef RXQ_TESTING
int rxq_sys_nl_replies(const void *buf, size_t len, unsigned seq, unsigned portid,
		       struct rxq_sys_run *run);
#endif

#endif
