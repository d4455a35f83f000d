/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_SYS_H
#define RXQ_SYS_H

#include <stddef.h>

/*
 * The kernel boundary of librxq: every ethtool ioctl, netlink request (generic and route) and
 * /proc or /sys write goes through one of these functions, and every /proc or /sys path is taken
 * under a root directory. Tests put a scripted fake behind the functions and a fixture tree under
 * the root; the tools use the real kernel.
 */

struct nlmsghdr;

/** @brief Receives one reply message of a netlink request; 0 to go on or -errno. */
typedef int (*rxq_sys_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/**
 * The replaceable functions. Any member may be NULL: the real kernel is used for it (or, when a
 * root directory is set, nothing: a fixture tree has no kernel behind it, and an ioctl or netlink
 * request then fails with -ENODEV). @p ctx is passed to the given members only.
 */
struct rxq_sys_ops {
	/**
	 * SIOCETHTOOL on @p ifname; @p cmd is a struct ethtool_* starting with its u32 command,
	 * filled in by the kernel. Returns 0 or -errno.
	 */
	int (*ethtool_ioctl)(void *ctx, const char *ifname, void *cmd);
	/**
	 * Sends @p req (a generic netlink message whose nlmsg_type is filled in here from
	 * @p family) and passes each reply message to @p cb. Returns 0 or -errno; -EOPNOTSUPP when
	 * the family or the command does not exist. The kernel's extended ack text, if any, goes to
	 * @p extack.
	 */
	int (*genl)(void *ctx, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
		    void *arg, char *extack, size_t extack_len);
	/** As genl, for an rtnetlink request (nlmsg_type already set by the caller). */
	int (*rtnl)(void *ctx, struct nlmsghdr *req, rxq_sys_msg_fn cb, void *arg, char *extack,
		    size_t extack_len);
	/** Writes @p len bytes to @p path (root prefix already applied). Returns 0 or -errno. */
	int (*write_file)(void *ctx, const char *path, const char *buf, size_t len);
	/**
	 * A device ioctl @p req (SIOCGHWTSTAMP, SIOCSHWTSTAMP) on @p ifname whose struct ifreq
	 * carries @p data in ifr_data, filled in by the kernel. Returns 0 or -errno.
	 */
	int (*dev_ioctl)(void *ctx, const char *ifname, unsigned long req, void *data);
	void *ctx;
};

#endif
