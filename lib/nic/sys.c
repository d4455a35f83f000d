// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel boundary of rxq_nic: the SIOCETHTOOL ioctl, generic netlink requests (libmnl) and
 * file writes, each one replaceable function (struct rxq_nic_sys), plus reads of /proc and /sys
 * under a root directory. Every request is logged at debug level in one line, so `-v` shows
 * exactly what was asked of the kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/sockios.h>
#include <libmnl/libmnl.h>

#include "nic_internal.h"
#include "rxq/log.h"

/* ---- the real kernel ---- */

static int real_ioctl(void *ctx, const char *ifname, void *cmd)
{
	struct nic_real *r = ctx;
	struct ifreq ifr;

	if (r->ioctl_fd < 0) {
		r->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (r->ioctl_fd < 0)
			return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	nic_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_data = cmd;
	if (ioctl(r->ioctl_fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	return 0;
}

struct genl_run {
	rxq_nic_msg_fn cb;
	void *arg;
	int cb_err;
	char *extack;
	size_t extack_len;
	int family_id; /* for CTRL_CMD_GETFAMILY replies */
};

static int run_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl_run *run = data;
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
	struct genl_run *run = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && run->extack &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		nic_strlcpy(run->extack, mnl_attr_get_str(a), run->extack_len);
	return MNL_CB_OK;
}

static int run_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl_run *run = data;
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

static int real_open_nl(struct nic_real *r)
{
	int one = 1;

	if (r->nl)
		return 0;
	r->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!r->nl)
		return -errno;
	/* Best effort: older kernels lack these and still answer. */
	setsockopt(mnl_socket_get_fd(r->nl), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(r->nl), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(r->nl);
		r->nl = NULL;
		return err;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	return 0;
}

static int real_transact(struct nic_real *r, struct nlmsghdr *req, struct genl_run *run)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_NOOP] = run_noop_cb,
					 [NLMSG_ERROR] = run_error_cb,
					 [NLMSG_DONE] = run_done_cb,
					 [NLMSG_OVERRUN] = run_overrun_cb };
	unsigned i;
	size_t bufsz = MNL_SOCKET_BUFFER_SIZE * 4;
	char *buf;
	int ret;

	for (i = 0; i < NLMSG_MIN_TYPE; i++)
		if (!ctl[i])
			ctl[i] = run_noop_cb;
	buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	req->nlmsg_seq = ++r->seq;
	req->nlmsg_pid = 0;
	if (mnl_socket_sendto(r->nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(r->nl, buf, bufsz);

		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run2(buf, (size_t)n, req->nlmsg_seq, r->portid, run_data_cb, run, ctl,
				  NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			/* A failed callback leaves the rest unread; the socket is closed with
			 * the handle, and every request has its own sequence number. */
			ret = run->cb_err ? run->cb_err : -errno;
			run->cb_err = 0;
			goto out;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			goto out;
		}
	}
out:
	free(buf);
	return ret;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct genl_run *run = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
		run->family_id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, arg);
	return 0;
}

static int real_family(struct nic_real *r, const char *family)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct genl_run run = { 0 };
	unsigned i;
	int err;

	for (i = 0; i < RXQ_ARRAY_SIZE(r->family); i++)
		if (r->family[i].id && !strcmp(r->family[i].name, family))
			return r->family[i].id;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family);
	run.cb = family_cb;
	run.arg = &run;
	err = real_transact(r, nlh, &run);
	/* An unknown family is an old kernel: the callers fall back (ENOENT -> EOPNOTSUPP). */
	if (err == -ENOENT)
		err = -EOPNOTSUPP;
	if (!err && !run.family_id)
		err = -EOPNOTSUPP;
	for (i = 0; i < RXQ_ARRAY_SIZE(r->family); i++)
		if (!r->family[i].id) {
			nic_strlcpy(r->family[i].name, family, sizeof(r->family[i].name));
			r->family[i].id = err ? err : run.family_id;
			break;
		}
	return err ? err : run.family_id;
}

static int real_genl(void *ctx, const char *family, struct nlmsghdr *req, rxq_nic_msg_fn cb,
		     void *arg, char *extack, size_t extack_len)
{
	struct nic_real *r = ctx;
	struct genl_run run = { .cb = cb, .arg = arg, .extack = extack, .extack_len = extack_len };
	int id, err;

	err = real_open_nl(r);
	if (err)
		return err;
	id = real_family(r, family);
	if (id < 0)
		return id;
	req->nlmsg_type = (uint16_t)id;
	req->nlmsg_flags |= NLM_F_REQUEST;
	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;
	err = real_transact(r, req, &run);
	/* genetlink answers an unknown command with EOPNOTSUPP already. */
	return err;
}

static int real_write(void *ctx, const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	(void)ctx;
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

/*
 * A fixture tree under --root has no kernel behind it: never send its interface names to the
 * real one (a fixture's eth0 is not this host's eth0).
 */
static int no_kernel_ioctl(void *ctx, const char *ifname, void *cmd)
{
	(void)ctx;
	(void)ifname;
	(void)cmd;
	return -ENODEV;
}

static int no_kernel_genl(void *ctx, const char *family, struct nlmsghdr *req, rxq_nic_msg_fn cb,
			  void *arg, char *extack, size_t extack_len)
{
	(void)ctx;
	(void)family;
	(void)req;
	(void)cb;
	(void)arg;
	if (extack && extack_len)
		nic_strlcpy(extack, "no kernel behind the root directory", extack_len);
	return -ENODEV;
}

void nic_sys__init(struct rxq_nic *nic, const struct rxq_nic_sys *sys)
{
	memset(&nic->real, 0, sizeof(nic->real));
	nic->real.ioctl_fd = -1;
	if (sys)
		nic->sys = *sys;
	if (!nic->sys.ethtool_ioctl || !nic->sys.genl || !nic->sys.write_file) {
		/* Mixing a fake and the real kernel is not supported: ctx is one pointer. */
		if (!sys || (!sys->ethtool_ioctl && !sys->genl && !sys->write_file))
			nic->sys.ctx = &nic->real;
	}
	if (!nic->sys.ethtool_ioctl)
		nic->sys.ethtool_ioctl = nic->root[0] ? no_kernel_ioctl : real_ioctl;
	if (!nic->sys.genl)
		nic->sys.genl = nic->root[0] ? no_kernel_genl : real_genl;
	if (!nic->sys.write_file)
		nic->sys.write_file = real_write;
}

void nic_sys__fini(struct rxq_nic *nic)
{
	if (nic->real.ioctl_fd >= 0)
		close(nic->real.ioctl_fd);
	if (nic->real.nl)
		mnl_socket_close(nic->real.nl);
	nic->real.ioctl_fd = -1;
	nic->real.nl = NULL;
}

int nic_ioctl(struct rxq_nic *nic, void *cmd)
{
	char desc[512];
	int err;

	nic_describe_ioctl(cmd, desc, sizeof(desc));
	err = nic->sys.ethtool_ioctl(nic->sys.ctx, nic->name, cmd);
	rxq_debug("ioctl SIOCETHTOOL %s %s: %s", nic->name, desc, err ? strerror(-err) : "ok");
	return err;
}

int nic_genl(struct rxq_nic *nic, const char *family, struct nlmsghdr *req, rxq_nic_msg_fn cb,
	     void *arg)
{
	char desc[1024];
	int err;

	nic->extack[0] = '\0';
	nic_describe_genl(family, req, desc, sizeof(desc));
	err = nic->sys.genl(nic->sys.ctx, family, req, cb, arg, nic->extack, sizeof(nic->extack));
	rxq_debug("netlink %s %s: %s%s%s", family, desc, err ? strerror(-err) : "ok",
		  nic->extack[0] ? ": " : "", nic->extack);
	return err;
}

const char *rxq_nic__path(struct rxq_nic *nic, const char *abs)
{
	snprintf(nic->pathbuf, sizeof(nic->pathbuf), "%s%s", nic->root, abs);
	return nic->pathbuf;
}

int nic_write(struct rxq_nic *nic, const char *abs, const char *buf, size_t len)
{
	char path[2 * PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s%s", nic->root, abs);
	err = nic->sys.write_file(nic->sys.ctx, path, buf, len);
	rxq_debug("write %s: %.*s: %s", path, (int)(len && buf[len - 1] == '\n' ? len - 1 : len),
		  buf, err ? strerror(-err) : "ok");
	return err;
}

int nic_read(struct rxq_nic *nic, const char *abs, char *buf, size_t len)
{
	char path[2 * PATH_MAX];
	ssize_t n;
	size_t got = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s%s", nic->root, abs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return err ? err : (int)got;
}

int nic_read_all(struct rxq_nic *nic, const char *abs, char **out, size_t *len)
{
	char path[2 * PATH_MAX];
	size_t cap = 16384, got = 0;
	char *buf = NULL;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s%s", nic->root, abs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (!buf || got + 1 >= cap) {
			char *grown;

			if (buf)
				cap *= 2;
			grown = realloc(buf, cap);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

bool nic_exists(struct rxq_nic *nic, const char *abs)
{
	char path[2 * PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", nic->root, abs);
	return stat(path, &st) == 0;
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

/* ---- names and descriptions of requests ---- */

static const struct {
	uint32_t cmd;
	const char *name;
} ioctl_names[] = {
	{ ETHTOOL_GDRVINFO, "ETHTOOL_GDRVINFO" },
	{ ETHTOOL_GSSET_INFO, "ETHTOOL_GSSET_INFO" },
	{ ETHTOOL_GSTRINGS, "ETHTOOL_GSTRINGS" },
	{ ETHTOOL_GSTATS, "ETHTOOL_GSTATS" },
	{ ETHTOOL_GRXRINGS, "ETHTOOL_GRXRINGS" },
	{ ETHTOOL_GRXFH, "ETHTOOL_GRXFH" },
	{ ETHTOOL_GRXFHINDIR, "ETHTOOL_GRXFHINDIR" },
	{ ETHTOOL_SRXFHINDIR, "ETHTOOL_SRXFHINDIR" },
	{ ETHTOOL_GRSSH, "ETHTOOL_GRSSH" },
	{ ETHTOOL_SRSSH, "ETHTOOL_SRSSH" },
	{ ETHTOOL_GRXCLSRLCNT, "ETHTOOL_GRXCLSRLCNT" },
	{ ETHTOOL_GRXCLSRULE, "ETHTOOL_GRXCLSRULE" },
	{ ETHTOOL_GRXCLSRLALL, "ETHTOOL_GRXCLSRLALL" },
	{ ETHTOOL_SRXCLSRLINS, "ETHTOOL_SRXCLSRLINS" },
	{ ETHTOOL_SRXCLSRLDEL, "ETHTOOL_SRXCLSRLDEL" },
	{ ETHTOOL_GCHANNELS, "ETHTOOL_GCHANNELS" },
	{ ETHTOOL_GFEATURES, "ETHTOOL_GFEATURES" },
	{ ETHTOOL_GCOALESCE, "ETHTOOL_GCOALESCE" },
	{ ETHTOOL_GPAUSEPARAM, "ETHTOOL_GPAUSEPARAM" },
	{ ETHTOOL_GRINGPARAM, "ETHTOOL_GRINGPARAM" },
};

const char *nic_ioctl_name(uint32_t cmd)
{
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(ioctl_names); i++)
		if (ioctl_names[i].cmd == cmd)
			return ioctl_names[i].name;
	return "ETHTOOL_?";
}

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	*used += (size_t)n;
	if (*used >= len) {
		*used = len - 1;
		return -ENOSPC;
	}
	return 0;
}

int nic_describe_ioctl(const void *cmdp, char *buf, size_t len)
{
	uint32_t cmd;
	size_t used = 0;

	memcpy(&cmd, cmdp, sizeof(cmd));
	append(buf, len, &used, "%s", nic_ioctl_name(cmd));
	switch (cmd) {
	case ETHTOOL_GSSET_INFO: {
		const struct ethtool_sset_info *s = cmdp;

		append(buf, len, &used, " mask=0x%llx", (unsigned long long)s->sset_mask);
		break;
	}
	case ETHTOOL_GSTRINGS: {
		const struct ethtool_gstrings *s = cmdp;

		append(buf, len, &used, " set=%u len=%u", s->string_set, s->len);
		break;
	}
	case ETHTOOL_GSTATS: {
		const struct ethtool_stats *s = cmdp;

		append(buf, len, &used, " n=%u", s->n_stats);
		break;
	}
	case ETHTOOL_GRXFHINDIR:
	case ETHTOOL_SRXFHINDIR: {
		const struct ethtool_rxfh_indir *r = cmdp;
		uint32_t i;

		append(buf, len, &used, " size=%u", r->size);
		if (cmd == ETHTOOL_SRXFHINDIR) {
			append(buf, len, &used, " indir=");
			for (i = 0; i < r->size; i++)
				append(buf, len, &used, "%s%u", i ? "," : "", r->ring_index[i]);
		}
		break;
	}
	case ETHTOOL_GRSSH: {
		const struct ethtool_rxfh *r = cmdp;

		append(buf, len, &used, " indir_size=%u key_size=%u", r->indir_size, r->key_size);
		break;
	}
	case ETHTOOL_GRXCLSRULE:
	case ETHTOOL_SRXCLSRLDEL: {
		const struct ethtool_rxnfc *r = cmdp;

		append(buf, len, &used, " loc=%u", r->fs.location);
		break;
	}
	case ETHTOOL_GRXCLSRLALL: {
		const struct ethtool_rxnfc *r = cmdp;

		append(buf, len, &used, " count=%u", r->rule_cnt);
		break;
	}
	case ETHTOOL_SRXCLSRLINS: {
		const struct ethtool_rxnfc *r = cmdp;
		struct rxq_nic_rule rule;
		char text[256];

		memset(&rule, 0, sizeof(rule));
		rule.fs = r->fs;
		rxq_nic_rule__format(&rule, text, sizeof(text));
		append(buf, len, &used, " %s", text);
		break;
	}
	default:
		break;
	}
	return 0;
}

static const char *const ethtool_cmd_names[] = {
	[ETHTOOL_MSG_STRSET_GET] = "STRSET_GET",
	[ETHTOOL_MSG_FEATURES_GET] = "FEATURES_GET",
	[ETHTOOL_MSG_FEATURES_SET] = "FEATURES_SET",
	[ETHTOOL_MSG_RINGS_GET] = "RINGS_GET",
	[ETHTOOL_MSG_RINGS_SET] = "RINGS_SET",
	[ETHTOOL_MSG_CHANNELS_GET] = "CHANNELS_GET",
	[ETHTOOL_MSG_CHANNELS_SET] = "CHANNELS_SET",
	[ETHTOOL_MSG_COALESCE_GET] = "COALESCE_GET",
	[ETHTOOL_MSG_COALESCE_SET] = "COALESCE_SET",
	[ETHTOOL_MSG_PAUSE_GET] = "PAUSE_GET",
	[ETHTOOL_MSG_PAUSE_SET] = "PAUSE_SET",
	[RXQ_ETHTOOL_MSG_RSS_GET] = "RSS_GET",
	[RXQ_ETHTOOL_MSG_RSS_SET] = "RSS_SET",
};

const char *nic_genl_cmd_name(const char *family, uint8_t cmd)
{
	static __thread char buf[48];

	if (!strcmp(family, "ethtool")) {
		if (cmd < RXQ_ARRAY_SIZE(ethtool_cmd_names) && ethtool_cmd_names[cmd])
			snprintf(buf, sizeof(buf), "ETHTOOL_MSG_%s", ethtool_cmd_names[cmd]);
		else
			snprintf(buf, sizeof(buf), "ETHTOOL_MSG_%u", cmd);
	} else if (!strcmp(family, "netdev")) {
		if (cmd == RXQ_NETDEV_CMD_QUEUE_GET)
			snprintf(buf, sizeof(buf), "NETDEV_CMD_QUEUE_GET");
		else if (cmd == RXQ_NETDEV_CMD_NAPI_GET)
			snprintf(buf, sizeof(buf), "NETDEV_CMD_NAPI_GET");
		else
			snprintf(buf, sizeof(buf), "NETDEV_CMD_%u", cmd);
	} else {
		snprintf(buf, sizeof(buf), "%s/%u", family, cmd);
	}
	return buf;
}

struct describe {
	char *buf;
	size_t len, used;
	enum rxq_nic_group group;
	bool knobs;
	const char *family;
	uint8_t cmd;
	bool first_bit;
};

static int describe_header_cb(const struct nlattr *a, void *data)
{
	struct describe *d = data;

	if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_DEV_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		append(d->buf, d->len, &d->used, " dev=%s", mnl_attr_get_str(a));
	else if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_DEV_INDEX &&
		 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		append(d->buf, d->len, &d->used, " ifindex=%u", mnl_attr_get_u32(a));
	else if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_FLAGS &&
		 mnl_attr_validate(a, MNL_TYPE_U32) >= 0 && mnl_attr_get_u32(a))
		append(d->buf, d->len, &d->used, " flags=%u", mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int describe_bit_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t <= ETHTOOL_A_BITSET_BIT_VALUE)
		tb[t] = a;
	return MNL_CB_OK;
}

static int describe_bits_cb(const struct nlattr *a, void *data)
{
	struct describe *d = data;
	const struct nlattr *tb[ETHTOOL_A_BITSET_BIT_VALUE + 1] = { 0 };

	if (mnl_attr_get_type(a) != ETHTOOL_A_BITSET_BITS_BIT)
		return MNL_CB_OK;
	mnl_attr_parse_nested(a, describe_bit_cb, tb);
	if (tb[ETHTOOL_A_BITSET_BIT_NAME] &&
	    mnl_attr_validate(tb[ETHTOOL_A_BITSET_BIT_NAME], MNL_TYPE_NUL_STRING) >= 0)
		append(d->buf, d->len, &d->used, "%s%s:%d", d->first_bit ? "" : ",",
		       mnl_attr_get_str(tb[ETHTOOL_A_BITSET_BIT_NAME]),
		       tb[ETHTOOL_A_BITSET_BIT_VALUE] ? 1 : 0);
	else if (tb[ETHTOOL_A_BITSET_BIT_INDEX])
		append(d->buf, d->len, &d->used, "%s#%u:%d", d->first_bit ? "" : ",",
		       mnl_attr_get_u32(tb[ETHTOOL_A_BITSET_BIT_INDEX]),
		       tb[ETHTOOL_A_BITSET_BIT_VALUE] ? 1 : 0);
	d->first_bit = false;
	return MNL_CB_OK;
}

static int describe_bitset_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BITS)
		mnl_attr_parse_nested(a, describe_bits_cb, data);
	return MNL_CB_OK;
}

static void describe_value(struct describe *d, const char *name, const struct nlattr *a)
{
	uint16_t plen = mnl_attr_get_payload_len(a);

	if (plen == 1)
		append(d->buf, d->len, &d->used, " %s=%u", name, mnl_attr_get_u8(a));
	else if (plen == 2)
		append(d->buf, d->len, &d->used, " %s=%u", name, mnl_attr_get_u16(a));
	else if (plen == 4)
		append(d->buf, d->len, &d->used, " %s=%u", name, mnl_attr_get_u32(a));
	else if (plen == 0)
		append(d->buf, d->len, &d->used, " %s", name);
	else
		append(d->buf, d->len, &d->used, " %s=[%u bytes]", name, plen);
}

static int describe_attr_cb(const struct nlattr *a, void *data)
{
	struct describe *d = data;
	unsigned t = mnl_attr_get_type(a);
	char name[32];

	if (!strcmp(d->family, "netdev")) {
		static const char *const queue[] = { NULL, "id", "ifindex", "type", "napi-id" };
		static const char *const napi[] = { NULL, "ifindex", "id", "irq" };
		const char *n = NULL;

		if (d->cmd == RXQ_NETDEV_CMD_QUEUE_GET && t < RXQ_ARRAY_SIZE(queue))
			n = queue[t];
		if (d->cmd == RXQ_NETDEV_CMD_NAPI_GET && t < RXQ_ARRAY_SIZE(napi))
			n = napi[t];
		snprintf(name, sizeof(name), "%s", n ? n : "attr");
		if (!n)
			snprintf(name, sizeof(name), "a%u", t);
		describe_value(d, name, a);
		return MNL_CB_OK;
	}
	if (t == 1 && (mnl_attr_get_type(a) & NLA_F_NESTED || mnl_attr_get_payload_len(a) >= 4)) {
		/* Every ethtool request has its header as attribute 1. */
		mnl_attr_parse_nested(a, describe_header_cb, d);
		return MNL_CB_OK;
	}
	if (d->cmd == RXQ_ETHTOOL_MSG_RSS_GET || d->cmd == RXQ_ETHTOOL_MSG_RSS_SET) {
		if (t == RXQ_ETHTOOL_A_RSS_INDIR) {
			const uint32_t *v = mnl_attr_get_payload(a);
			unsigned i, n = mnl_attr_get_payload_len(a) / 4;

			append(d->buf, d->len, &d->used, " indir=");
			for (i = 0; i < n; i++) {
				uint32_t x;

				memcpy(&x, &v[i], sizeof(x));
				append(d->buf, d->len, &d->used, "%s%u", i ? "," : "", x);
			}
		} else if (t == RXQ_ETHTOOL_A_RSS_HFUNC) {
			describe_value(d, "hfunc", a);
		} else if (t == RXQ_ETHTOOL_A_RSS_CONTEXT) {
			describe_value(d, "context", a);
		} else {
			snprintf(name, sizeof(name), "a%u", t);
			describe_value(d, name, a);
		}
		return MNL_CB_OK;
	}
	if (d->knobs && d->group == RXQ_NIC_FEATURES) {
		if (t == ETHTOOL_A_FEATURES_WANTED) {
			append(d->buf, d->len, &d->used, " wanted=");
			d->first_bit = true;
			mnl_attr_parse_nested(a, describe_bitset_cb, d);
		}
		return MNL_CB_OK;
	}
	if (d->knobs) {
		const char *n = nic_knob_attr_name(d->group, t);

		if (n) {
			describe_value(d, n, a);
			return MNL_CB_OK;
		}
	}
	snprintf(name, sizeof(name), "a%u", t);
	describe_value(d, name, a);
	return MNL_CB_OK;
}

int nic_describe_genl(const char *family, const struct nlmsghdr *nlh, char *buf,
				 size_t len)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct describe d = { .buf = buf, .len = len, .family = family };
	bool set = false;
	int grp;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return append(buf, len, &d.used, "(short message)");
	d.cmd = g->cmd;
	append(buf, len, &d.used, "%s%s", nic_genl_cmd_name(family, g->cmd),
	       nlh->nlmsg_flags & NLM_F_DUMP ? " dump" : "");
	if (!strcmp(family, "ethtool")) {
		grp = nic_group_of_cmd(g->cmd, &set);
		if (grp >= 0) {
			d.group = (enum rxq_nic_group)grp;
			d.knobs = true;
		}
	}
	mnl_attr_parse(nlh, sizeof(*g), describe_attr_cb, &d);
	return 0;
}
