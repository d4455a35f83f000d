// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Which IRQ serves which RX queue. The kernel says it directly through the netdev netlink family
 * (queue -> NAPI -> IRQ, Linux 6.8+, for drivers that register it). Otherwise the device's MSI
 * vectors (msi_irqs, on virtio one level up: the PCI function owns them) narrow /proc/interrupts
 * to this device, and the names give the queue number; mlx5-style names carry no interface name
 * at all, so this is the only way for them. Last, /proc/interrupts names that carry the interface
 * name, matched as a whole word: eth1 must never match eth10.
 *
 * Also the readers of what hangs off a queue and its IRQ: the queue's RPS/XPS/RFS settings, the
 * IRQ's affinity, /proc/interrupts and /proc/net/softnet_stat.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "nic_internal.h"
#include "rxq/log.h"

const char *rxq_nic_irq_source__name(enum rxq_nic_irq_source s)
{
	switch (s) {
	case RXQ_NIC_IRQ_NETLINK:
		return "netlink";
	case RXQ_NIC_IRQ_MSI:
		return "msi_irqs";
	case RXQ_NIC_IRQ_NAMES:
		return "proc-interrupts";
	default:
		return "none";
	}
}

bool nic_irq_name_matches(const char *name, const char *ifname)
{
	size_t il = strlen(ifname);
	const char *p = name;

	if (!il)
		return false;
	while ((p = strstr(p, ifname))) {
		bool start_ok = p == name || p[-1] == '-';
		char after = p[il];

		if (start_ok && (after == '\0' || after == '-'))
			return true;
		p++;
	}
	return false;
}

static bool contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return true;
	return false;
}

/*
 * Whether a word of an IRQ name (the name split at '-', '_' and '.') is @p word, or @p word
 * followed by digits ("tx0"). Words, not substrings: an interface named "rxq0" or "uplink1" must
 * not make "rxq0-tx-1" a receive vector or "uplink1-rx-0" a link-state one.
 */
static bool has_word(const char *base, const char *word)
{
	size_t wl = strlen(word);
	const char *p = base;

	while (*p) {
		size_t n = strcspn(p, "-_.");

		if (n >= wl && !strncasecmp(p, word, wl)) {
			size_t k = wl;

			while (k < n && isdigit((unsigned char)p[k]))
				k++;
			if (k == n)
				return true;
		}
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/* The queue number a vector's name carries, and whether the vector serves transmit only. */
static int classify(const char *name, bool *tx_only)
{
	char base[RXQ_NIC_IRQ_NAME];
	const char *at = strchr(name, '@'), *p;
	size_t len = at ? (size_t)(at - name) : strlen(name);
	long q;

	*tx_only = false;
	if (len >= sizeof(base))
		len = sizeof(base) - 1;
	memcpy(base, name, len);
	base[len] = '\0';
	if (has_word(base, "async") || has_word(base, "config") || has_word(base, "ctrl") ||
	    has_word(base, "misc") || has_word(base, "link"))
		return -1;
	/* Transmit-only vectors: "eth1-tx-0", "virtio2-output.0". "TxRx" serves both. */
	*tx_only = (has_word(base, "tx") || has_word(base, "output")) &&
		   !(has_word(base, "rx") || has_word(base, "txrx") || has_word(base, "rxtx") ||
		     has_word(base, "input") || has_word(base, "combined"));
	p = base + len;
	while (p > base && isdigit((unsigned char)p[-1]))
		p--;
	if (p == base + len || p == base)
		return -1;
	/* The number must follow a separator or "comp" (mlx5_comp3). */
	if (!(p[-1] == '-' || p[-1] == '.' || p[-1] == '_' ||
	      (p - base >= 4 && !strncmp(p - 4, "comp", 4))))
		return -1;
	if (p - base >= 4 && !strncmp(p - 4, "comp", 4)) {
		/* mlx5_comp3 */
	} else if (!(*tx_only || contains_ci(base, "rx") || contains_ci(base, "input") ||
		     contains_ci(base, "fp-") || p[-1] == '-')) {
		return -1;
	}
	q = strtol(p, NULL, 10);
	if (q < 0 || q >= RXQ_NIC_QUEUES_MAX)
		return -1;
	return (int)q;
}

int nic_irq_queue_of_name(const char *name)
{
	bool tx_only;
	int q = classify(name, &tx_only);

	return tx_only ? -1 : q;
}

int nic_irq_tx_queue_of_name(const char *name)
{
	bool tx_only;
	int q = classify(name, &tx_only);

	return tx_only ? q : -1;
}

int nic_irq_affinity(struct rxq_nic *nic, int irq, char *buf, size_t len)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	n = nic_read(nic, path, buf, len);
	if (n < 0)
		return n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* ---- netdev netlink ---- */

struct napi_map {
	unsigned n;
	struct {
		uint32_t id;
		int irq;
	} e[RXQ_NIC_QUEUES_MAX * 2];
};

struct queue_scan {
	struct napi_map *napis;
	struct rxq_nic_queue_irq *irqs;
	unsigned nrx;
	unsigned found;
	int ifindex;
};

static int attr_table_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t <= 8)
		tb[t] = a;
	return MNL_CB_OK;
}

static int napi_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct napi_map *m = arg;
	const struct nlattr *tb[9] = { 0 };

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_table_cb, tb);
	if (!tb[RXQ_NETDEV_A_NAPI_ID] || !tb[RXQ_NETDEV_A_NAPI_IRQ] ||
	    mnl_attr_validate(tb[RXQ_NETDEV_A_NAPI_ID], MNL_TYPE_U32) < 0 ||
	    mnl_attr_validate(tb[RXQ_NETDEV_A_NAPI_IRQ], MNL_TYPE_U32) < 0)
		return 0;
	if (m->n < RXQ_ARRAY_SIZE(m->e)) {
		m->e[m->n].id = mnl_attr_get_u32(tb[RXQ_NETDEV_A_NAPI_ID]);
		m->e[m->n].irq = (int)mnl_attr_get_u32(tb[RXQ_NETDEV_A_NAPI_IRQ]);
		m->n++;
	}
	return 0;
}

static int queue_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct queue_scan *qs = arg;
	const struct nlattr *tb[9] = { 0 };
	uint32_t id, napi, type;
	unsigned i;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_table_cb, tb);
	if (!tb[RXQ_NETDEV_A_QUEUE_ID] || !tb[RXQ_NETDEV_A_QUEUE_TYPE] ||
	    !tb[RXQ_NETDEV_A_QUEUE_NAPI_ID] ||
	    mnl_attr_validate(tb[RXQ_NETDEV_A_QUEUE_ID], MNL_TYPE_U32) < 0 ||
	    mnl_attr_validate(tb[RXQ_NETDEV_A_QUEUE_TYPE], MNL_TYPE_U32) < 0 ||
	    mnl_attr_validate(tb[RXQ_NETDEV_A_QUEUE_NAPI_ID], MNL_TYPE_U32) < 0)
		return 0;
	type = mnl_attr_get_u32(tb[RXQ_NETDEV_A_QUEUE_TYPE]);
	id = mnl_attr_get_u32(tb[RXQ_NETDEV_A_QUEUE_ID]);
	napi = mnl_attr_get_u32(tb[RXQ_NETDEV_A_QUEUE_NAPI_ID]);
	if (id >= qs->nrx)
		return 0;
	for (i = 0; i < qs->napis->n; i++) {
		if (qs->napis->e[i].id != napi)
			continue;
		if (type == RXQ_NETDEV_QUEUE_TYPE_RX && qs->irqs[id].irq < 0) {
			qs->irqs[id].irq = qs->napis->e[i].irq;
			qs->found++;
		} else if (type == RXQ_NETDEV_QUEUE_TYPE_TX && qs->irqs[id].tx_irq < 0) {
			qs->irqs[id].tx_irq = qs->napis->e[i].irq;
		}
	}
	return 0;
}

static struct nlmsghdr *netdev_dump(char *buf, uint8_t cmd, uint16_t ifindex_attr, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	mnl_attr_put_u32(nlh, ifindex_attr, (uint32_t)ifindex);
	return nlh;
}

static int irqs_from_netlink(struct rxq_nic *nic, struct rxq_nic_queue_irq *irqs)
{
	struct napi_map *napis;
	struct queue_scan qs = { .irqs = irqs, .nrx = nic->nrx, .ifindex = nic->ifindex };
	char buf[256];
	int err;

	napis = calloc(1, sizeof(*napis));
	if (!napis)
		return -ENOMEM;
	err = nic_genl(nic, "netdev",
		       netdev_dump(buf, RXQ_NETDEV_CMD_NAPI_GET, RXQ_NETDEV_A_NAPI_IFINDEX,
				   nic->ifindex),
		       napi_cb, napis);
	if (!err && napis->n) {
		qs.napis = napis;
		err = nic_genl(nic, "netdev",
			       netdev_dump(buf, RXQ_NETDEV_CMD_QUEUE_GET,
					   RXQ_NETDEV_A_QUEUE_IFINDEX, nic->ifindex),
			       queue_cb, &qs);
	}
	free(napis);
	if (err)
		return err;
	return (int)qs.found;
}

/* ---- msi_irqs and names ---- */

static int msi_list(struct rxq_nic *nic, const char *rel, unsigned *out, unsigned max)
{
	char path[PATH_MAX + 128];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", nic->name, rel);
	d = opendir(rxq_nic__path(nic, path));
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		char *end;
		unsigned long v = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && !*end)
			out[n++] = (unsigned)v;
	}
	closedir(d);
	return (int)n;
}

static void set_from_line(struct rxq_nic_queue_irq *q, const struct rxq_irq_line *l)
{
	q->irq = (int)l->irq;
	nic_strlcpy(q->name, l->name, sizeof(q->name));
}

/* A transmit-only vector ("eth0-tx-1") of queue pair q, if the name says so. */
static void set_tx_from_line(struct rxq_nic *nic, struct rxq_nic_queue_irq *irqs,
			     const struct rxq_irq_line *l)
{
	int q = nic_irq_tx_queue_of_name(l->name);

	if (q < 0 || (unsigned)q >= nic->nrx || irqs[q].tx_irq >= 0)
		return;
	irqs[q].tx_irq = (int)l->irq;
	nic_strlcpy(irqs[q].tx_name, l->name, sizeof(irqs[q].tx_name));
}

static unsigned irqs_from_msi(struct rxq_nic *nic, const struct rxq_interrupts *in,
			      struct rxq_nic_queue_irq *irqs)
{
	unsigned *msi, found = 0, i;
	int n;

	msi = calloc(4096, sizeof(*msi));
	if (!msi)
		return 0;
	n = msi_list(nic, "device/msi_irqs", msi, 4096);
	if (n <= 0)
		n = msi_list(nic, "device/../msi_irqs", msi, 4096);
	for (i = 0; n > 0 && i < (unsigned)n; i++) {
		const struct rxq_irq_line *l = rxq_interrupts__find(in, msi[i]);
		int q;

		if (!l)
			continue;
		set_tx_from_line(nic, irqs, l);
		q = nic_irq_queue_of_name(l->name);
		if (q < 0 || (unsigned)q >= nic->nrx || irqs[q].irq >= 0)
			continue;
		set_from_line(&irqs[q], l);
		found++;
	}
	free(msi);
	return found;
}

static unsigned irqs_from_names(struct rxq_nic *nic, const struct rxq_interrupts *in,
				struct rxq_nic_queue_irq *irqs)
{
	const struct rxq_irq_line *whole = NULL;
	unsigned found = 0, i;

	for (i = 0; i < in->nlines; i++) {
		const struct rxq_irq_line *l = &in->lines[i];
		int q;

		if (!nic_irq_name_matches(l->name, nic->name))
			continue;
		if (!strcmp(l->name, nic->name)) {
			whole = l;
			continue;
		}
		set_tx_from_line(nic, irqs, l);
		q = nic_irq_queue_of_name(l->name);
		if (q < 0 || (unsigned)q >= nic->nrx || irqs[q].irq >= 0)
			continue;
		set_from_line(&irqs[q], l);
		found++;
	}
	/* One IRQ named after the interface serves a single-queue NIC. */
	if (!found && whole && nic->nrx == 1) {
		set_from_line(&irqs[0], whole);
		found = 1;
	}
	return found;
}

int rxq_nic__queue_irqs(struct rxq_nic *nic, struct rxq_nic_queue_irq *irqs,
			enum rxq_nic_irq_source *src)
{
	struct rxq_interrupts in;
	unsigned i;
	int found, err;

	*src = RXQ_NIC_IRQ_NONE;
	for (i = 0; i < nic->nrx; i++) {
		irqs[i].irq = -1;
		irqs[i].name[0] = '\0';
		irqs[i].tx_irq = -1;
		irqs[i].tx_name[0] = '\0';
	}
	if (!nic->nrx)
		return 0;
	err = rxq_nic__interrupts(nic, &in);
	if (err) {
		rxq_err("cannot read %s: %s", rxq_nic__path(nic, "/proc/interrupts"),
			strerror(-err));
		return err;
	}
	found = irqs_from_netlink(nic, irqs);
	if (found > 0) {
		*src = RXQ_NIC_IRQ_NETLINK;
		for (i = 0; i < nic->nrx; i++) {
			const struct rxq_irq_line *l;

			if (irqs[i].irq >= 0 &&
			    (l = rxq_interrupts__find(&in, (unsigned)irqs[i].irq)))
				nic_strlcpy(irqs[i].name, l->name, sizeof(irqs[i].name));
			/* A TX queue on its RX queue's NAPI has no vector of its own. */
			if (irqs[i].tx_irq == irqs[i].irq)
				irqs[i].tx_irq = -1;
			if (irqs[i].tx_irq >= 0 &&
			    (l = rxq_interrupts__find(&in, (unsigned)irqs[i].tx_irq)))
				nic_strlcpy(irqs[i].tx_name, l->name, sizeof(irqs[i].tx_name));
		}
		goto out;
	}
	for (i = 0; i < nic->nrx; i++)
		irqs[i].irq = irqs[i].tx_irq = -1;
	if (irqs_from_msi(nic, &in, irqs)) {
		*src = RXQ_NIC_IRQ_MSI;
		goto out;
	}
	if (irqs_from_names(nic, &in, irqs))
		*src = RXQ_NIC_IRQ_NAMES;
out:
	rxq_interrupts__free(&in);
	return 0;
}

int nic_read_irqs(struct rxq_nic *nic, struct rxq_nic_queue_irq *irqs, unsigned *nfound)
{
	enum rxq_nic_irq_source src;
	unsigned i;
	int err;

	err = rxq_nic__queue_irqs(nic, irqs, &src);
	if (err)
		return err;
	*nfound = 0;
	for (i = 0; i < nic->nrx; i++)
		if (irqs[i].irq >= 0)
			(*nfound)++;
	return 0;
}

bool nic_affinity_is(struct rxq_nic *nic, int irq, const cpu_set_t *want, cpu_set_t *cur)
{
	char buf[RXQ_NIC_VALUE_MAX];

	CPU_ZERO(cur);
	if (nic_irq_affinity(nic, irq, buf, sizeof(buf)) || rxq_cpulist__parse(buf, cur))
		return false;
	return want && CPU_EQUAL(cur, want);
}

/* ---- queue settings, /proc/interrupts and softnet_stat ---- */

static void read_trimmed(struct rxq_nic *nic, const char *abs, char *buf, size_t len)
{
	int n = nic_read(nic, abs, buf, len);

	if (n < 0) {
		buf[0] = '\0';
		return;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

int rxq_nic__queue_info(struct rxq_nic *nic, unsigned q, int irq, struct rxq_nic_queue_info *out)
{
	char path[PATH_MAX], buf[64];

	memset(out, 0, sizeof(*out));
	out->rps_flow_cnt = -1;
	if (irq >= 0)
		nic_irq_affinity(nic, irq, out->affinity, sizeof(out->affinity));
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u/rps_cpus", nic->name, q);
	read_trimmed(nic, path, out->rps_cpus, sizeof(out->rps_cpus));
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/xps_cpus", nic->name, q);
	read_trimmed(nic, path, out->xps_cpus, sizeof(out->xps_cpus));
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u/rps_flow_cnt", nic->name, q);
	if (nic_read(nic, path, buf, sizeof(buf)) > 0)
		out->rps_flow_cnt = strtoll(buf, NULL, 10);
	return 0;
}

int rxq_nic__rps_sock_flow_entries(struct rxq_nic *nic, uint32_t *out)
{
	char buf[64];
	int n = nic_read(nic, "/proc/sys/net/core/rps_sock_flow_entries", buf, sizeof(buf));

	if (n < 0)
		return n;
	*out = (uint32_t)strtoul(buf, NULL, 10);
	return 0;
}

int rxq_nic__interrupts(struct rxq_nic *nic, struct rxq_interrupts *out)
{
	char *text;
	size_t len;
	int err;

	err = nic_read_all(nic, "/proc/interrupts", &text, &len);
	if (err)
		return err;
	err = rxq_interrupts__parse(out, text, len);
	free(text);
	return err;
}

int rxq_nic__softnet(struct rxq_nic *nic, struct rxq_softnet *out)
{
	char *text;
	size_t len;
	int err;

	err = nic_read_all(nic, "/proc/net/softnet_stat", &text, &len);
	if (err)
		return err;
	err = rxq_softnet__parse(out, text, len, &nic->online);
	free(text);
	return err;
}
