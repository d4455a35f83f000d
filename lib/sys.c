// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel boundary of librxq: the SIOCETHTOOL ioctl, netlink transactions (libmnl) and file
 * writes, each one replaceable function (struct rxq_sys_ops), and reads of /proc and /sys under a
 * root directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <libmnl/libmnl.h>

#include "internal.h"
#include "sys.h"

/*
 * The kernel fills one read of a dump with up to 32 KiB (more than MNL_SOCKET_BUFFER_SIZE on
 * 4 KiB pages); a smaller buffer would truncate it.
 */
#define SYS_NL_BUFFER 32768

static struct rxq_sys_ops default_ops;
static char default_root[PATH_MAX];

static void copy_str(char *dst, const char *src, size_t len)
{
	size_t n = 0;

	while (n + 1 < len && src[n])
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- the real kernel ---- */

static int real_ioctl_req(struct rxq_sys *sys, const char *ifname, unsigned long req, void *data)
{
	struct ifreq ifr;

	if (sys->ioctl_fd < 0) {
		sys->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sys->ioctl_fd < 0)
			return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	copy_str(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_data = data;
	if (ioctl(sys->ioctl_fd, req, &ifr) < 0)
		return -errno;
	return 0;
}

static int real_ioctl(struct rxq_sys *sys, const char *ifname, void *cmd)
{
	return real_ioctl_req(sys, ifname, SIOCETHTOOL, cmd);
}

static int run_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rxq_sys_run *run = data;
	int err;

	if (!run->cb)
		return MNL_CB_OK;
	err = run->cb(nlh, run->arg);
	if (err < 0) {
		run->cb_err = err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int extack_attr_cb(const struct nlattr *a, void *data)
{
	struct rxq_sys_run *run = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && run->extack &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		copy_str(run->extack, mnl_attr_get_str(a), run->extack_len);
	return MNL_CB_OK;
}

static int run_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rxq_sys_run *run = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	/* With NETLINK_CAP_ACK the request is not echoed; the TLVs follow the header. */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && mnl_nlmsg_size(off) <= nlh->nlmsg_len)
		mnl_attr_parse(nlh, (unsigned)off, extack_attr_cb, run);
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* libmnl calls no default for control types when an array is given: handle them all. */
static int run_done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	/* A dump that failed part-way says so in NLMSG_DONE's payload. */
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
		int err;

		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int run_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int run_overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

/*
 * One read's worth of replies to request @seq: 1 when the transaction is over (the ack, or
 * NLMSG_DONE), 0 to read on, -errno. Exposed to the tests, which feed it made-up replies.
 */
RXQ_STATIC int rxq_sys_nl_replies(const void *buf, size_t len, unsigned seq, unsigned portid,
				  struct rxq_sys_run *run)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE];
	unsigned i;
	int ret;

	for (i = 0; i < NLMSG_MIN_TYPE; i++)
		ctl[i] = run_noop_cb;
	ctl[NLMSG_ERROR] = run_error_cb;
	ctl[NLMSG_DONE] = run_done_cb;
	ctl[NLMSG_OVERRUN] = run_overrun_cb;
	errno = 0;
	ret = mnl_cb_run2(buf, len, seq, portid, run_data_cb, run, ctl, NLMSG_MIN_TYPE);
	if (ret == MNL_CB_ERROR) {
		ret = run->cb_err ? run->cb_err : (errno ? -errno : -EPROTO);
		run->cb_err = 0;
		return ret;
	}
	return ret == MNL_CB_STOP ? 1 : 0;
}

static int real_open(int proto, struct mnl_socket **sock, unsigned *portid)
{
	struct mnl_socket *nl;
	int one = 1, err;

	if (*sock)
		return 0;
	nl = mnl_socket_open2(proto, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	/* Best effort: older kernels lack these and still answer. */
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	*portid = mnl_socket_get_portid(nl);
	*sock = nl;
	return 0;
}

static int real_transact(struct rxq_sys *sys, struct mnl_socket *nl, unsigned portid,
			 struct nlmsghdr *req, struct rxq_sys_run *run)
{
	char *buf;
	int ret;

	buf = malloc(SYS_NL_BUFFER);
	if (!buf)
		return -ENOMEM;
	req->nlmsg_flags |= NLM_F_REQUEST;
	/* NLM_F_DUMP is two bits, one of them NLM_F_EXCL of a NEW request: test both. */
	if ((req->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		req->nlmsg_flags |= NLM_F_ACK;
	req->nlmsg_seq = ++sys->seq;
	req->nlmsg_pid = 0;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	/*
	 * A failure leaves the rest of the replies unread; they are told apart from the next
	 * request's by the sequence number, and go with the socket.
	 */
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, SYS_NL_BUFFER);

		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = rxq_sys_nl_replies(buf, (size_t)n, req->nlmsg_seq, portid, run);
	} while (!ret);
	if (ret > 0)
		ret = 0;
out:
	free(buf);
	return ret;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct rxq_sys_run *run = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
		run->family_id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, arg);
	return 0;
}

static int real_family(struct rxq_sys *sys, const char *family)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct rxq_sys_run run = { 0 };
	unsigned i;
	int err;

	for (i = 0; i < RXQ_ARRAY_SIZE(sys->family); i++)
		if (sys->family[i].id && !strcmp(sys->family[i].name, family))
			return sys->family[i].id;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family);
	run.cb = family_cb;
	run.arg = &run;
	err = real_transact(sys, sys->genl_sock, sys->genl_portid, nlh, &run);
	/* An unknown family is an old kernel: the callers fall back (ENOENT -> EOPNOTSUPP). */
	if (err == -ENOENT)
		err = -EOPNOTSUPP;
	if (!err && !run.family_id)
		err = -EOPNOTSUPP;
	for (i = 0; i < RXQ_ARRAY_SIZE(sys->family); i++)
		if (!sys->family[i].id) {
			copy_str(sys->family[i].name, family, sizeof(sys->family[i].name));
			sys->family[i].id = err ? err : run.family_id;
			break;
		}
	return err ? err : run.family_id;
}

static int real_genl(struct rxq_sys *sys, const char *family, struct nlmsghdr *req,
		     rxq_sys_msg_fn cb, void *arg)
{
	struct rxq_sys_run run = {
		.cb = cb, .arg = arg, .extack = sys->extack, .extack_len = sizeof(sys->extack)
	};
	int id, err;

	err = real_open(NETLINK_GENERIC, &sys->genl_sock, &sys->genl_portid);
	if (err)
		return err;
	id = real_family(sys, family);
	if (id < 0)
		return id;
	req->nlmsg_type = (uint16_t)id;
	/* genetlink answers an unknown command with EOPNOTSUPP already. */
	return real_transact(sys, sys->genl_sock, sys->genl_portid, req, &run);
}

static int real_rtnl(struct rxq_sys *sys, struct nlmsghdr *req, rxq_sys_msg_fn cb, void *arg)
{
	struct rxq_sys_run run = {
		.cb = cb, .arg = arg, .extack = sys->extack, .extack_len = sizeof(sys->extack)
	};
	int err;

	err = real_open(NETLINK_ROUTE, &sys->rtnl_sock, &sys->rtnl_portid);
	if (err)
		return err;
	return real_transact(sys, sys->rtnl_sock, sys->rtnl_portid, req, &run);
}

static int real_write(const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One write: sysfs and procfs take the value in a single call. */
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* ---- the handle ---- */

void rxq_sys__set_default(const struct rxq_sys_ops *ops, const char *root)
{
	memset(&default_ops, 0, sizeof(default_ops));
	if (ops)
		default_ops = *ops;
	copy_str(default_root, root ? root : "", sizeof(default_root));
}

void rxq_sys__init(struct rxq_sys *sys, const char *root, const struct rxq_sys_ops *ops)
{
	memset(sys, 0, sizeof(*sys));
	sys->ioctl_fd = -1;
	if (!root)
		root = default_root;
	/* A cut-off root would name another directory: every path under it fails instead. */
	sys->root_too_long = strlen(root) >= sizeof(sys->root);
	copy_str(sys->root, root, sizeof(sys->root));
	sys->ops = ops ? *ops : default_ops;
}

void rxq_sys__fini(struct rxq_sys *sys)
{
	if (sys->ioctl_fd >= 0)
		close(sys->ioctl_fd);
	if (sys->genl_sock)
		mnl_socket_close(sys->genl_sock);
	if (sys->rtnl_sock)
		mnl_socket_close(sys->rtnl_sock);
	sys->ioctl_fd = -1;
	sys->genl_sock = sys->rtnl_sock = NULL;
}

/*
 * A fixture tree under a root has no kernel behind it: never send its interface names to the
 * real one (a fixture's eth0 is not this host's eth0).
 */
static bool no_kernel(const struct rxq_sys *sys)
{
	return sys->root[0] != '\0';
}

int rxq_sys__ethtool(struct rxq_sys *sys, const char *ifname, void *cmd)
{
	if (sys->ops.ethtool_ioctl)
		return sys->ops.ethtool_ioctl(sys->ops.ctx, ifname, cmd);
	if (no_kernel(sys))
		return -ENODEV;
	return real_ioctl(sys, ifname, cmd);
}

int rxq_sys__dev_ioctl(struct rxq_sys *sys, const char *ifname, unsigned long req, void *data)
{
	if (sys->ops.dev_ioctl)
		return sys->ops.dev_ioctl(sys->ops.ctx, ifname, req, data);
	if (no_kernel(sys))
		return -ENODEV;
	return real_ioctl_req(sys, ifname, req, data);
}

int rxq_sys__genl(struct rxq_sys *sys, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
		  void *arg)
{
	sys->extack[0] = '\0';
	if (sys->ops.genl)
		return sys->ops.genl(sys->ops.ctx, family, req, cb, arg, sys->extack,
				     sizeof(sys->extack));
	if (no_kernel(sys)) {
		copy_str(sys->extack, "no kernel behind the root directory", sizeof(sys->extack));
		return -ENODEV;
	}
	return real_genl(sys, family, req, cb, arg);
}

int rxq_sys__rtnl(struct rxq_sys *sys, struct nlmsghdr *req, rxq_sys_msg_fn cb, void *arg)
{
	sys->extack[0] = '\0';
	if (sys->ops.rtnl)
		return sys->ops.rtnl(sys->ops.ctx, req, cb, arg, sys->extack, sizeof(sys->extack));
	if (no_kernel(sys)) {
		copy_str(sys->extack, "no kernel behind the root directory", sizeof(sys->extack));
		return -ENODEV;
	}
	return real_rtnl(sys, req, cb, arg);
}

int rxq_sys__rtnl_open(struct rxq_sys *sys)
{
	if (sys->ops.rtnl || no_kernel(sys))
		return 0;
	return real_open(NETLINK_ROUTE, &sys->rtnl_sock, &sys->rtnl_portid);
}

const char *rxq_sys__extack(const struct rxq_sys *sys)
{
	return sys->extack;
}

/* ---- files ---- */

int rxq_sys__path(const struct rxq_sys *sys, const char *abs, char *buf, size_t len)
{
	int n;

	if (sys->root_too_long)
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s%s", sys->root, abs);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rxq_sys__write(struct rxq_sys *sys, const char *abs, const char *buf, size_t len)
{
	char path[2 * PATH_MAX];
	int err;

	err = rxq_sys__path(sys, abs, path, sizeof(path));
	if (err)
		return err;
	if (sys->ops.write_file)
		return sys->ops.write_file(sys->ops.ctx, path, buf, len);
	return real_write(path, buf, len);
}

int rxq_sys__write_str(struct rxq_sys *sys, const char *abs, const char *s)
{
	return rxq_sys__write(sys, abs, s, strlen(s));
}

/* Reads into buf until it holds len bytes or the file ends: the count, or -errno. */
static ssize_t read_upto(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int rxq_sys__read(struct rxq_sys *sys, const char *abs, char *buf, size_t len)
{
	char path[2 * PATH_MAX];
	ssize_t got;
	int fd, err;

	if (!len)
		return -EINVAL;
	err = rxq_sys__path(sys, abs, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read_upto(fd, buf, len - 1);
	close(fd);
	buf[got < 0 ? 0 : got] = '\0';
	return (int)got;
}

int rxq_sys__read_fd(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 0, got = 0;
	char *buf = NULL;
	int err = 0;

	for (;;) {
		ssize_t n;

		/* Room for the NUL, and for one byte more than max to see a file too large. */
		if (got + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *grown;

			if (got >= max) {
				err = -EFBIG;
				break;
			}
			if (max < SIZE_MAX && ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap)
				ncap = cap + 1;
			grown = realloc(buf, ncap);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
			cap = ncap;
		}
		n = read_upto(fd, buf + got, cap - 1 - got);
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	if (err) {
		free(buf);
		return err;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int rxq_sys__read_all(struct rxq_sys *sys, const char *abs, size_t max, char **out, size_t *len)
{
	char path[2 * PATH_MAX];
	int fd, err;

	err = rxq_sys__path(sys, abs, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = rxq_sys__read_fd(fd, max, out, len);
	close(fd);
	return err;
}

bool rxq_sys__exists(struct rxq_sys *sys, const char *abs)
{
	char path[2 * PATH_MAX];
	struct stat st;

	if (rxq_sys__path(sys, abs, path, sizeof(path)))
		return false;
	return stat(path, &st) == 0;
}

int rxq_sys__queues(struct rxq_sys *sys, const char *ifname, unsigned *rx, unsigned *tx)
{
	char abs[IF_NAMESIZE + 32], path[2 * PATH_MAX];
	unsigned nrx = 0, ntx = 0;
	struct dirent *de;
	DIR *d;
	int err;

	if (snprintf(abs, sizeof(abs), "/sys/class/net/%s/queues", ifname) >= (int)sizeof(abs))
		return -ENAMETOOLONG;
	err = rxq_sys__path(sys, abs, path, sizeof(path));
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "rx-", 3))
			nrx++;
		else if (!strncmp(de->d_name, "tx-", 3))
			ntx++;
	}
	closedir(d);
	if (rx)
		*rx = nrx;
	if (tx)
		*tx = ntx;
	return 0;
}
