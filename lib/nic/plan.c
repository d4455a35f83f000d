// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Plans: the steps of a change, each with the value it replaces. Applying is a transaction: a
 * failing step reverts the ones before it, in reverse order. What a plan replaced is appended to
 * the interface's journal (STATE_DIR/IF.journal, root only), one line per step, which undo reads
 * back and applies in reverse.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <linux/ethtool.h>

#include "nic_internal.h"
#include "rxq/log.h"

#define JOURNAL_MAGIC "rxq-nic journal 1"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int rxq_nic_plan__new(struct rxq_nic_plan **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void rxq_nic_plan__free(struct rxq_nic_plan *plan)
{
	unsigned i;

	if (!plan)
		return;
	for (i = 0; i < plan->n; i++) {
		free(plan->steps[i].indir);
		free(plan->steps[i].old_indir);
	}
	free(plan->steps);
	free(plan);
}

unsigned rxq_nic_plan__len(const struct rxq_nic_plan *plan)
{
	return plan->n;
}

const struct rxq_nic_step *rxq_nic_plan__step(const struct rxq_nic_plan *plan, unsigned i)
{
	return i < plan->n ? &plan->steps[i] : NULL;
}

/* A new zeroed step at the end of the plan. */
struct rxq_nic_step *nic_plan_add(struct rxq_nic_plan *plan, enum rxq_nic_step_kind kind)
{
	struct rxq_nic_step *s;

	if (plan->n == plan->cap) {
		unsigned cap = plan->cap ? plan->cap * 2 : 8;
		struct rxq_nic_step *grown = realloc(plan->steps, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		plan->steps = grown;
		plan->cap = cap;
	}
	s = &plan->steps[plan->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->result = 1;
	return s;
}

/* Drops the last step (a builder that found nothing to change). */
void nic_plan_drop_last(struct rxq_nic_plan *plan)
{
	struct rxq_nic_step *s;

	if (!plan->n)
		return;
	s = &plan->steps[--plan->n];
	free(s->indir);
	free(s->old_indir);
}

/* ---- describing ---- */

static void strip_nl(char *dst, size_t len, const char *src)
{
	size_t n;

	nic_strlcpy(dst, src, len);
	n = strlen(dst);
	while (n && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

static void format_indir(char *buf, size_t len, const uint32_t *indir, unsigned n)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%u", i ? " " : "", indir[i]);

		if (w < 0 || (size_t)w >= len - used) {
			if (len > 4)
				memcpy(buf + len - 4, "...", 4);
			return;
		}
		used += (size_t)w;
	}
}

static void format_knobs(char *buf, size_t len, const struct rxq_nic_step *s, bool old)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < s->nknobs; i++) {
		uint32_t v = old ? s->old_knobs[i] : s->knobs[i].value;
		int w;

		if (s->group == RXQ_NIC_FEATURES || s->group == RXQ_NIC_PAUSE ||
		    !strncmp(s->knobs[i].name, "adaptive-", 9))
			w = snprintf(buf + used, len - used, "%s%s %s", used ? " " : "",
				     s->knobs[i].name, v ? "on" : "off");
		else
			w = snprintf(buf + used, len - used, "%s%s %u", used ? " " : "",
				     s->knobs[i].name, v);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

static const char *set_cmd_name(enum rxq_nic_group g)
{
	switch (g) {
	case RXQ_NIC_CHANNELS:
		return "ETHTOOL_MSG_CHANNELS_SET";
	case RXQ_NIC_COALESCE:
		return "ETHTOOL_MSG_COALESCE_SET";
	case RXQ_NIC_PAUSE:
		return "ETHTOOL_MSG_PAUSE_SET";
	case RXQ_NIC_RINGS:
		return "ETHTOOL_MSG_RINGS_SET";
	case RXQ_NIC_FEATURES:
		return "ETHTOOL_MSG_FEATURES_SET";
	default:
		return "?";
	}
}

void rxq_nic_step__describe(struct rxq_nic *nic, const struct rxq_nic_step *s,
			    struct rxq_nic_step_text *t)
{
	memset(t, 0, sizeof(*t));
	switch (s->kind) {
	case RXQ_NIC_STEP_FILE:
		snprintf(t->op, sizeof(t->op), "write");
		nic_fmt(t->where, sizeof(t->where), "%s%s", nic->sys.root, s->path);
		strip_nl(t->value, sizeof(t->value), s->value);
		strip_nl(t->old, sizeof(t->old), s->old);
		break;
	case RXQ_NIC_STEP_KNOBS:
		snprintf(t->op, sizeof(t->op), "%s", set_cmd_name(s->group));
		snprintf(t->where, sizeof(t->where), "dev %s", nic->name);
		format_knobs(t->value, sizeof(t->value), s, false);
		format_knobs(t->old, sizeof(t->old), s, true);
		break;
	case RXQ_NIC_STEP_INDIR:
		snprintf(t->op, sizeof(t->op), "%s",
			 nic->rss_set_netlink < 0 ? "ETHTOOL_SRXFHINDIR" :
			 nic->rss_set_netlink > 0 ? "ETHTOOL_MSG_RSS_SET" :
						    "ETHTOOL_MSG_RSS_SET|ETHTOOL_SRXFHINDIR");
		snprintf(t->where, sizeof(t->where), "dev %s", nic->name);
		if (s->indir)
			format_indir(t->value, sizeof(t->value), s->indir, s->indir_size);
		else
			snprintf(t->value, sizeof(t->value), "the driver's default");
		format_indir(t->old, sizeof(t->old), s->old_indir,
			     s->old_indir ? s->indir_size : 0);
		break;
	case RXQ_NIC_STEP_RULE_ADD:
		snprintf(t->op, sizeof(t->op), "ETHTOOL_SRXCLSRLINS");
		snprintf(t->where, sizeof(t->where), "dev %s", nic->name);
		rxq_nic_rule__format(&s->rule, t->value, sizeof(t->value));
		break;
	case RXQ_NIC_STEP_RULE_DEL:
		snprintf(t->op, sizeof(t->op), "ETHTOOL_SRXCLSRLDEL");
		snprintf(t->where, sizeof(t->where), "dev %s", nic->name);
		snprintf(t->value, sizeof(t->value), "loc %u", s->rule.fs.location);
		rxq_nic_rule__format(&s->rule, t->old, sizeof(t->old));
		break;
	case RXQ_NIC_STEP_HASH: {
		const char *type = rxq_nic_flow_type__name(s->flow_type);
		char fields[48];

		snprintf(t->op, sizeof(t->op), "ETHTOOL_SRXFH");
		snprintf(t->where, sizeof(t->where), "dev %s", nic->name);
		rxq_nic_hash_fields__format(s->hash, fields, sizeof(fields));
		snprintf(t->value, sizeof(t->value), "%s %s", type ? type : "?", fields);
		rxq_nic_hash_fields__format(s->old_hash, fields, sizeof(fields));
		snprintf(t->old, sizeof(t->old), "%s %s", type ? type : "?", fields);
		break;
	}
	case RXQ_NIC_STEP_TSTAMP: {
		const char *tx = rxq_nic_tstamp_tx__name(s->ts_tx);
		const char *rx = rxq_nic_tstamp_rx__name(s->ts_rx);
		const char *otx = rxq_nic_tstamp_tx__name(s->old_ts_tx);
		const char *orx = rxq_nic_tstamp_rx__name(s->old_ts_rx);

		snprintf(t->op, sizeof(t->op), "SIOCSHWTSTAMP");
		snprintf(t->where, sizeof(t->where), "dev %s", nic->name);
		snprintf(t->value, sizeof(t->value), "tx %s rx %s", tx ? tx : "?", rx ? rx : "?");
		snprintf(t->old, sizeof(t->old), "tx %s rx %s", otx ? otx : "?", orx ? orx : "?");
		break;
	}
	}
}

/* ---- doing and undoing one step ---- */

static int step_do(struct rxq_nic *nic, struct rxq_nic_step *s, bool forward)
{
	uint32_t values[RXQ_NIC_STEP_KNOBS_MAX];
	unsigned i;

	switch (s->kind) {
	case RXQ_NIC_STEP_FILE: {
		const char *v = forward ? s->value : s->old;

		return nic_write(nic, s->path, v, strlen(v));
	}
	case RXQ_NIC_STEP_KNOBS:
		for (i = 0; i < s->nknobs; i++)
			values[i] = forward ? s->knobs[i].value : s->old_knobs[i];
		return nic_set_knobs(nic, s->group, s->knobs, values, s->nknobs);
	case RXQ_NIC_STEP_INDIR:
		if (!forward && !s->old_indir)
			return -EINVAL;
		/* No table: back to the driver's default (a table of size 0 says so). */
		if (forward && !s->indir)
			return nic_set_indir(nic, NULL, 0);
		return nic_set_indir(nic, forward ? s->indir : s->old_indir, s->indir_size);
	case RXQ_NIC_STEP_RULE_ADD:
		if (forward)
			return nic_rule_insert(nic, &s->rule.fs);
		return nic_rule_delete(nic, s->rule.fs.location);
	case RXQ_NIC_STEP_RULE_DEL:
		if (forward)
			return nic_rule_delete(nic, s->rule.fs.location);
		return nic_rule_insert(nic, &s->rule.fs);
	case RXQ_NIC_STEP_HASH:
		return nic_set_hash_fields(nic, s->flow_type, forward ? s->hash : s->old_hash);
	case RXQ_NIC_STEP_TSTAMP: {
		uint32_t asked = forward ? s->ts_rx : s->old_ts_rx, rx = asked;
		int err = nic_set_tstamp(nic, forward ? s->ts_tx : s->old_ts_tx, &rx);

		/* A driver may stamp more than asked: the step says what it chose. */
		if (!err && forward && rx != asked) {
			const char *name = rxq_nic_tstamp_rx__name(rx);

			rxq_info("%s: the driver stamps rx %s for rx %s", nic->name,
				 name ? name : "?", rxq_nic_tstamp_rx__name(asked));
			s->ts_rx = rx;
		}
		return err;
	}
	}
	return -EINVAL;
}

static bool refusal(int err)
{
	return err == -EIO || err == -EPERM || err == -EINVAL || err == -EACCES;
}

/* ---- journal records ---- */

static void hex_put(FILE *f, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
	if (!len)
		fputc('-', f);
}

/* The record that puts back what step s replaced. */
static void journal_record(FILE *f, const struct rxq_nic_step *s)
{
	unsigned i;

	switch (s->kind) {
	case RXQ_NIC_STEP_FILE:
		fprintf(f, "file %s ", s->path);
		hex_put(f, s->old, strlen(s->old));
		fputc('\n', f);
		break;
	case RXQ_NIC_STEP_KNOBS:
		fprintf(f, "knobs %s", rxq_nic_group__name(s->group));
		for (i = 0; i < s->nknobs; i++)
			fprintf(f, " %s=%u", s->knobs[i].name, s->old_knobs[i]);
		fputc('\n', f);
		break;
	case RXQ_NIC_STEP_INDIR:
		fprintf(f, "indir %u", s->indir_size);
		for (i = 0; i < s->indir_size; i++)
			fprintf(f, " %u", s->old_indir[i]);
		fputc('\n', f);
		break;
	case RXQ_NIC_STEP_RULE_ADD:
		fprintf(f, "rule-del %u\n", s->rule.fs.location);
		break;
	case RXQ_NIC_STEP_RULE_DEL:
		fprintf(f, "rule-add ");
		hex_put(f, &s->rule.fs, sizeof(s->rule.fs));
		fputc('\n', f);
		break;
	case RXQ_NIC_STEP_TSTAMP:
		fprintf(f, "tstamp %s %s\n", rxq_nic_tstamp_tx__name(s->old_ts_tx),
			rxq_nic_tstamp_rx__name(s->old_ts_rx));
		break;
	case RXQ_NIC_STEP_HASH:
		/* The name for people reading it, the number for the exact bits. */
		fprintf(f, "hash %s %llu\n", rxq_nic_flow_type__name(s->flow_type),
			(unsigned long long)s->old_hash);
		break;
	}
}

static int ensure_state_dir(struct rxq_nic *nic)
{
	struct stat st;

	if (mkdir(nic->state_dir, 0700) < 0 && errno != EEXIST) {
		int err = -errno;

		rxq_err("cannot create %s to save the current settings: %s%s", nic->state_dir,
			strerror(-err),
			err == -EACCES || err == -EPERM ? " (changing a NIC needs root)" : "");
		return err == -EACCES ? -EPERM : err;
	}
	if (stat(nic->state_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rxq_err("%s is not a directory", nic->state_dir);
		return -ENOTDIR;
	}
	if (!strcmp(nic->journal_dir, nic->state_dir))
		return 0;
	if (mkdir(nic->journal_dir, 0700) < 0 && errno != EEXIST) {
		int err = -errno;

		rxq_err("cannot create %s to save the current settings: %s", nic->journal_dir,
			strerror(-err));
		return err == -EACCES ? -EPERM : err;
	}
	if (stat(nic->journal_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rxq_err("%s is not a directory", nic->journal_dir);
		return -ENOTDIR;
	}
	return 0;
}

/* Writes prev + the records of the done steps to the journal, atomically. */
static int journal_write(struct rxq_nic *nic, const char *prev, const struct rxq_nic_plan *plan)
{
	char tmp[sizeof(nic->journal) + 8];
	unsigned i;
	FILE *f;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", nic->journal);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		rxq_err("cannot write %s: %s%s", tmp, strerror(-err),
			err == -EACCES ? " (changing a NIC needs root)" : "");
		return err == -EACCES ? -EPERM : err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (prev)
		fputs(prev, f);
	else
		fprintf(f, "%s\ninterface %s %d\n", JOURNAL_MAGIC, nic->name, nic->ifindex);
	for (i = 0; i < plan->n; i++)
		if (plan->steps[i].result == 0)
			journal_record(f, &plan->steps[i]);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, nic->journal) < 0)
		err = -errno;
	if (err) {
		rxq_err("cannot write %s: %s", nic->journal, strerror(-err));
		unlink(tmp);
	}
	return err;
}

/* Checks before changing anything that the journal can be written at all. */
static int journal_probe(struct rxq_nic *nic, char **prev)
{
	char tmp[sizeof(nic->journal) + 8];
	size_t len;
	int fd, err;

	*prev = NULL;
	err = ensure_state_dir(nic);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.tmp", nic->journal);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		rxq_err("cannot write %s: %s%s", tmp, strerror(-err),
			err == -EACCES ? " (changing a NIC needs root)" : "");
		return err == -EACCES ? -EPERM : err;
	}
	close(fd);
	unlink(tmp);
	{
		/* The journal path is absolute, outside the root: read it directly. */
		FILE *f = fopen(nic->journal, "re");

		if (!f)
			return errno == ENOENT ? 0 : -errno;
		if (fseek(f, 0, SEEK_END) == 0) {
			long sz = ftell(f);

			if (sz >= 0 && fseek(f, 0, SEEK_SET) == 0) {
				*prev = malloc((size_t)sz + 1);
				if (*prev) {
					len = fread(*prev, 1, (size_t)sz, f);
					(*prev)[len] = '\0';
				}
			}
		}
		fclose(f);
		if (!*prev)
			return -ENOMEM;
	}
	return 0;
}

static void log_step_failure(struct rxq_nic *nic, const struct rxq_nic_step *s, unsigned i,
			     unsigned n, int err, const char *what)
{
	struct rxq_nic_step_text *t = malloc(sizeof(*t));

	if (!t)
		return;
	rxq_nic_step__describe(nic, s, t);
	rxq_err("step %u of %u failed%s: %s %s %s: %s%s%s%s", i + 1, n, what, t->op, t->where,
		t->value, nic_errname(err), nic_extack(nic)[0] ? " (" : "", nic_extack(nic),
		nic_extack(nic)[0] ? ")" : "");
	free(t);
}

static void rollback(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned upto)
{
	unsigned i = upto;

	while (i-- > 0) {
		struct rxq_nic_step *s = &plan->steps[i];
		int err;

		if (s->result != 0)
			continue;
		err = step_do(nic, s, false);
		if (err)
			log_step_failure(nic, s, i, plan->n, err, " while rolling back");
		else
			s->result = 2;
	}
}

/* Puts the journal back as it was before this plan (prev), or removes it if there was none. */
static void journal_restore(struct rxq_nic *nic, const char *prev, struct rxq_nic_plan *plan)
{
	if (prev) {
		journal_write(nic, prev, plan); /* every step is rolled back: prev alone */
		return;
	}
	if (unlink(nic->journal) < 0 && errno != ENOENT)
		rxq_err("cannot remove %s: %s", nic->journal, strerror(errno));
}

/*
 * One change or undo of an interface at a time: a lock file next to the journal, held (flock)
 * from reading the journal to writing it, so two runs never lose each other's records.
 */
static int lock_interface(struct rxq_nic *nic, int *fd)
{
	char path[sizeof(nic->journal) + 8];
	size_t n = strlen(nic->journal);

	/* IF.journal -> IF.lock */
	snprintf(path, sizeof(path), "%.*s.lock", (int)(n > 8 ? n - 8 : n), nic->journal);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		int err = -errno;

		rxq_err("cannot open %s: %s", path, strerror(-err));
		return err == -EACCES ? -EPERM : err;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			int err = -errno;

			rxq_err("cannot lock %s: %s", path, strerror(-err));
			close(*fd);
			return err;
		}
		rxq_info("%s: another rxq-nic is changing it; waiting", nic->name);
		if (flock(*fd, LOCK_EX) < 0) {
			int err = -errno;

			rxq_err("cannot lock %s: %s", path, strerror(-err));
			close(*fd);
			return err;
		}
	}
	return 0;
}

/*
 * The journal holds the undo record of a step before the step runs (written and fsynced), so a
 * kill at any point, even SIGKILL, leaves every change made with its record. SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT are held while the plan runs; one that came meanwhile rolls the plan back
 * (and the journal with it) and is then delivered.
 */
int rxq_nic__apply(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned flags)
{
	bool journal = flags & RXQ_NIC_APPLY_JOURNAL, any = false;
	sigset_t stop, old, pending;
	char *prev = NULL;
	int err = 0, lock = -1;
	unsigned i;

	for (i = 0; i < plan->n; i++)
		plan->steps[i].result = 1;
	if (!plan->n && !(flags & RXQ_NIC_APPLY_UNDO))
		return 0;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGQUIT);
	if (journal || (flags & RXQ_NIC_APPLY_UNDO)) {
		err = ensure_state_dir(nic);
		if (!err)
			err = lock_interface(nic, &lock);
		if (err)
			return err;
	}
	if (journal) {
		err = journal_probe(nic, &prev);
		if (err)
			goto unlock;
	}
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	for (i = 0; i < plan->n; i++) {
		struct rxq_nic_step *s = &plan->steps[i];

		if (journal) {
			/* The record first: this step counts as done for the journal. */
			s->result = 0;
			err = journal_write(nic, prev, plan);
			s->result = 1;
			if (err) {
				rollback(nic, plan, i);
				journal_restore(nic, prev, plan);
				goto out;
			}
		}
		err = step_do(nic, s, true);
		if (err && s->best_effort && refusal(err)) {
			struct rxq_nic_step_text t;

			rxq_nic_step__describe(nic, s, &t);
			rxq_warn("%s refused %s (%s); left as it is", t.where, t.value,
				 nic_errname(err));
			s->result = err;
			err = 0;
			continue;
		}
		if (err) {
			s->result = err;
			log_step_failure(nic, s, i, plan->n, err, "");
			rollback(nic, plan, i);
			if (i)
				rxq_err("rolled back the %u step%s before it; nothing was changed",
					i, i == 1 ? "" : "s");
			if (journal)
				journal_restore(nic, prev, plan);
			goto out;
		}
		s->result = 0;
		any = true;
	}
	if (sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
	     sigismember(&pending, SIGHUP) || sigismember(&pending, SIGQUIT))) {
		rxq_err("%s: interrupted: rolling back the %u step%s done", nic->name, plan->n,
			plan->n == 1 ? "" : "s");
		rollback(nic, plan, plan->n);
		if (journal)
			journal_restore(nic, prev, plan);
		err = -EINTR;
		goto out;
	}
	if (journal) {
		/* The final journal leaves out the steps a driver refused. */
		err = any ? journal_write(nic, prev, plan) : 0;
		if (!any)
			journal_restore(nic, prev, plan);
		if (err) {
			rollback(nic, plan, plan->n);
			journal_restore(nic, prev, plan);
			goto out;
		}
	}
	if (flags & RXQ_NIC_APPLY_UNDO) {
		if (unlink(nic->journal) < 0 && errno != ENOENT) {
			err = -errno;
			rxq_err("restored, but cannot remove %s: %s", nic->journal, strerror(-err));
		}
	}
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
unlock:
	if (lock >= 0)
		close(lock);
	free(prev);
	return err;
}

/* The text of @p text without its last @p k lines. */
static void drop_last_lines(char *text, unsigned k)
{
	size_t n = strlen(text);

	while (k-- > 0 && n > 0) {
		n--; /* the newline that ends the last line */
		while (n > 0 && text[n - 1] != '\n')
			n--;
	}
	text[n] = '\0';
}

int rxq_nic__revert(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned flags)
{
	unsigned i, done = 0, kept = 0, lines = 0;
	char *prev = NULL;
	int err = 0, lock = -1;
	const char *p;

	for (i = 0; i < plan->n; i++)
		done += plan->steps[i].result == 0;
	if (!done)
		return 0;
	if (flags & RXQ_NIC_APPLY_JOURNAL) {
		err = lock_interface(nic, &lock);
		if (!err)
			err = journal_probe(nic, &prev);
		if (err)
			goto out;
	}
	rollback(nic, plan, plan->n);
	for (i = 0; i < plan->n; i++)
		kept += plan->steps[i].result == 0;
	if (kept) {
		rxq_err("%s: %u step%s could not be reverted", nic->name, kept,
			kept == 1 ? "" : "s");
		err = -EIO;
	}
	if (!(flags & RXQ_NIC_APPLY_JOURNAL) || !prev)
		goto out;
	/* The plan's records are the journal's last lines: the rest is what was there before. */
	drop_last_lines(prev, done);
	for (p = prev; *p; p++)
		lines += *p == '\n';
	if (lines <= 2 && !kept) {
		if (unlink(nic->journal) < 0 && errno != ENOENT)
			rxq_err("cannot remove %s: %s", nic->journal, strerror(errno));
	} else {
		int werr = journal_write(nic, prev, plan);

		if (!err)
			err = werr;
	}
out:
	if (lock >= 0)
		close(lock);
	free(prev);
	return err;
}

/* ---- reading the journal back ---- */

static int hex_get(const char *s, void *out, size_t max, size_t *len)
{
	size_t slen = strlen(s), i;
	uint8_t *p = out;

	if (!strcmp(s, "-")) {
		*len = 0;
		return 0;
	}
	if (!slen || slen % 2 || slen / 2 > max)
		return -EINVAL;
	for (i = 0; i < slen / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = slen / 2;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool path_ok(const char *p)
{
	if (strncmp(p, "/proc/", 6) && strncmp(p, "/sys/", 5))
		return false;
	if (strstr(p, "/../") || strstr(p, "/./") || strstr(p, "//"))
		return false;
	return strlen(p) < sizeof(((struct rxq_nic_step *)0)->path);
}

#define jerr(err, line, ...) rxq_parse_error__set(err, line, 0, __VA_ARGS__)

static int parse_record(struct rxq_nic_plan *plan, char *line, unsigned lineno,
			struct rxq_parse_error *err)
{
	char *save = NULL, *kind = strtok_r(line, " ", &save), *tok;
	struct rxq_nic_step *s;
	size_t len;

	if (!kind)
		return 0;
	if (!strcmp(kind, "file")) {
		char *path = strtok_r(NULL, " ", &save), *hex = strtok_r(NULL, " ", &save);

		if (!path || !hex || strtok_r(NULL, " ", &save))
			return jerr(err, lineno, "file: expected PATH HEX");
		if (!path_ok(path))
			return jerr(err, lineno, "file: '%.64s' is not a /proc or /sys path", path);
		s = nic_plan_add(plan, RXQ_NIC_STEP_FILE);
		if (!s)
			return -ENOMEM;
		nic_strlcpy(s->path, path, sizeof(s->path));
		if (hex_get(hex, s->value, sizeof(s->value) - 1, &len) ||
		    memchr(s->value, '\0', len))
			return jerr(err, lineno, "file: bad value");
		s->value[len] = '\0';
		return 0;
	}
	if (!strcmp(kind, "knobs")) {
		char *group = strtok_r(NULL, " ", &save);
		unsigned g;

		if (!group)
			return jerr(err, lineno, "knobs: expected a group");
		for (g = 0; g < RXQ_NIC_GROUP_COUNT; g++)
			if (!strcmp(group, rxq_nic_group__name((enum rxq_nic_group)g)))
				break;
		if (g == RXQ_NIC_GROUP_COUNT)
			return jerr(err, lineno, "knobs: unknown group '%.32s'", group);
		s = nic_plan_add(plan, RXQ_NIC_STEP_KNOBS);
		if (!s)
			return -ENOMEM;
		s->group = (enum rxq_nic_group)g;
		while ((tok = strtok_r(NULL, " ", &save))) {
			char *eq = strchr(tok, '=');

			if (!eq || eq == tok || (size_t)(eq - tok) >= RXQ_NIC_KNOB_NAME ||
			    s->nknobs == RXQ_NIC_STEP_KNOBS_MAX)
				return jerr(err, lineno, "knobs: bad setting '%.40s'", tok);
			*eq = '\0';
			if (parse_u32(eq + 1, &s->knobs[s->nknobs].value))
				return jerr(err, lineno, "knobs: bad value for '%.40s'", tok);
			nic_strlcpy(s->knobs[s->nknobs].name, tok, RXQ_NIC_KNOB_NAME);
			s->nknobs++;
		}
		if (!s->nknobs)
			return jerr(err, lineno, "knobs: no settings");
		return 0;
	}
	if (!strcmp(kind, "indir")) {
		uint32_t n, i;

		if (parse_u32(strtok_r(NULL, " ", &save), &n) || !n || n > RXQ_NIC_INDIR_MAX)
			return jerr(err, lineno, "indir: bad size");
		s = nic_plan_add(plan, RXQ_NIC_STEP_INDIR);
		if (!s)
			return -ENOMEM;
		s->indir = calloc(n, sizeof(uint32_t));
		if (!s->indir)
			return -ENOMEM;
		s->indir_size = n;
		for (i = 0; i < n; i++)
			if (parse_u32(strtok_r(NULL, " ", &save), &s->indir[i]))
				return jerr(err, lineno, "indir: expected %u queue numbers", n);
		if (strtok_r(NULL, " ", &save))
			return jerr(err, lineno, "indir: more than %u queue numbers", n);
		return 0;
	}
	if (!strcmp(kind, "rule-del")) {
		uint32_t loc;

		if (parse_u32(strtok_r(NULL, " ", &save), &loc) || strtok_r(NULL, " ", &save))
			return jerr(err, lineno, "rule-del: expected a location");
		s = nic_plan_add(plan, RXQ_NIC_STEP_RULE_DEL);
		if (!s)
			return -ENOMEM;
		s->rule.fs.location = loc;
		return 0;
	}
	if (!strcmp(kind, "rule-add")) {
		char *hex = strtok_r(NULL, " ", &save);

		if (!hex || strtok_r(NULL, " ", &save))
			return jerr(err, lineno, "rule-add: expected the rule");
		s = nic_plan_add(plan, RXQ_NIC_STEP_RULE_ADD);
		if (!s)
			return -ENOMEM;
		if (hex_get(hex, &s->rule.fs, sizeof(s->rule.fs), &len) ||
		    len != sizeof(s->rule.fs))
			return jerr(err, lineno, "rule-add: bad rule");
		return 0;
	}
	if (!strcmp(kind, "tstamp")) {
		char *tx = strtok_r(NULL, " ", &save), *rx = strtok_r(NULL, " ", &save);
		uint32_t txv, rxv;

		if (!tx || !rx || strtok_r(NULL, " ", &save))
			return jerr(err, lineno, "tstamp: expected TX RX");
		if (rxq_nic_tstamp_tx__parse(tx, &txv) || rxq_nic_tstamp_rx__parse(rx, &rxv) ||
		    !strcmp(rx, "ptp"))
			return jerr(err, lineno, "tstamp: bad mode '%.32s %.32s'", tx, rx);
		s = nic_plan_add(plan, RXQ_NIC_STEP_TSTAMP);
		if (!s)
			return -ENOMEM;
		s->ts_tx = txv;
		s->ts_rx = rxv;
		return 0;
	}
	if (!strcmp(kind, "hash")) {
		char *type = strtok_r(NULL, " ", &save), *val = strtok_r(NULL, " ", &save);
		unsigned long long v;
		uint32_t ft;
		char *end;

		if (!type || !val || strtok_r(NULL, " ", &save))
			return jerr(err, lineno, "hash: expected FLOW-TYPE FIELDS");
		if (rxq_nic_flow_type__parse(type, &ft))
			return jerr(err, lineno, "hash: unknown flow type '%.32s'", type);
		errno = 0;
		v = strtoull(val, &end, 10);
		if (!isdigit((unsigned char)val[0]) || errno || *end)
			return jerr(err, lineno, "hash: bad fields '%.32s'", val);
		s = nic_plan_add(plan, RXQ_NIC_STEP_HASH);
		if (!s)
			return -ENOMEM;
		s->flow_type = ft;
		s->hash = (uint64_t)v;
		return 0;
	}
	return jerr(err, lineno, "unknown record '%.32s'", kind);
}

int rxq_nic_journal__parse(struct rxq_nic_plan *plan, const char *text, size_t len, char *ifname,
			   size_t ifname_len, int *ifindex, struct rxq_parse_error *err)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	int ret = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((nl ? nl : end) - p);
		char *line;

		lineno++;
		if (memchr(p, '\0', ll))
			return jerr(err, lineno, "NUL byte");
		line = malloc(ll + 1);
		if (!line)
			return -ENOMEM;
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl ? nl + 1 : end;
		if (lineno == 1) {
			if (strcmp(line, JOURNAL_MAGIC))
				ret = jerr(err, 1, "not an rxq-nic journal");
		} else if (lineno == 2) {
			char name[IFNAMSIZ + 1];
			int idx, used = 0;

			if (sscanf(line, "interface %16s %d%n", name, &idx, &used) != 2 ||
			    (size_t)used != ll || strlen(name) >= IFNAMSIZ ||
			    strlen(name) >= ifname_len)
				ret = jerr(err, 2, "expected 'interface NAME IFINDEX'");
			else {
				nic_strlcpy(ifname, name, ifname_len);
				*ifindex = idx;
			}
		} else {
			ret = parse_record(plan, line, lineno, err);
		}
		free(line);
		if (ret)
			return ret;
	}
	if (lineno < 2)
		return jerr(err, lineno + 1, "truncated journal");
	return 0;
}
