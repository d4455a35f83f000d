// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The main thread's event loop: report periods, a deadline, signals, workers that are done. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "rxq/log.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "internal.h"

struct rxq_ticker {
	int timer_fd;
	int deadline_fd;
	int signal_fd;
	int done_fd;
	int signo;
	sigset_t old_mask;
};

enum { TICK_SIGNAL, TICK_DONE, TICK_DEADLINE, TICK_TIMER, TICK_NFDS };

int rxq_ticker__open(struct rxq_ticker **out, uint64_t interval_ns)
{
	struct itimerspec its = { 0 };
	struct rxq_ticker *t;
	sigset_t set;
	int err;

	*out = NULL;
	if (!interval_ns)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/*
	 * A shell starts background jobs with SIGINT ignored, and POSIX lets an ignored signal be
	 * discarded even while blocked, before a signalfd could read it: restore the default
	 * action (the signals are blocked below, so it never runs).
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	err = pthread_sigmask(SIG_BLOCK, &set, &t->old_mask);
	if (err) {
		rxq_err("cannot block SIGINT/SIGTERM/SIGHUP: %s", strerror(err));
		err = -err;
		goto free_ticker;
	}

	t->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (t->signal_fd < 0) {
		err = -errno;
		rxq_err("signalfd: %s", strerror(-err));
		goto restore_mask;
	}

	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->timer_fd < 0) {
		err = -errno;
		rxq_err("timerfd_create: %s", strerror(-err));
		goto close_signal;
	}
	its.it_interval.tv_sec = interval_ns / 1000000000ull;
	its.it_interval.tv_nsec = interval_ns % 1000000000ull;
	its.it_value = its.it_interval;
	if (timerfd_settime(t->timer_fd, 0, &its, NULL)) {
		err = -errno;
		rxq_err("timerfd_settime: %s", strerror(-err));
		goto close_timer;
	}

	/* Semaphore mode: each rxq_ticker__done() yields exactly one RXQ_TICK_DONE. */
	t->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
	if (t->done_fd < 0) {
		err = -errno;
		rxq_err("eventfd: %s", strerror(-err));
		goto close_timer;
	}

	/* Disarmed until rxq_ticker__set_deadline(). */
	t->deadline_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->deadline_fd < 0) {
		err = -errno;
		rxq_err("timerfd_create: %s", strerror(-err));
		goto close_done;
	}

	*out = t;
	return 0;

close_done:
	close(t->done_fd);
close_timer:
	close(t->timer_fd);
close_signal:
	close(t->signal_fd);
restore_mask:
	pthread_sigmask(SIG_SETMASK, &t->old_mask, NULL);
free_ticker:
	free(t);
	return err;
}

/* 1 when an event was consumed, 0 when the fd had nothing after all, -errno on failure. */
static int ticker_read_signal(struct rxq_ticker *t)
{
	struct signalfd_siginfo si;
	ssize_t n = read(t->signal_fd, &si, sizeof(si));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n != sizeof(si))
		return -EIO;
	t->signo = (int)si.ssi_signo;
	return 1;
}

static int ticker_read_counter(int fd)
{
	uint64_t value;
	ssize_t n = read(fd, &value, sizeof(value));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n != sizeof(value))
		return -EIO;
	return 1;
}

int rxq_ticker__wait(struct rxq_ticker *t)
{
	struct pollfd pfd[TICK_NFDS] = {
		[TICK_SIGNAL] = { .fd = t->signal_fd, .events = POLLIN },
		[TICK_DONE] = { .fd = t->done_fd, .events = POLLIN },
		[TICK_DEADLINE] = { .fd = t->deadline_fd, .events = POLLIN },
		[TICK_TIMER] = { .fd = t->timer_fd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		ret = poll(pfd, TICK_NFDS, -1);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Signals first: a stop must not wait behind a backlog of ticks. */
		if (pfd[TICK_SIGNAL].revents) {
			ret = ticker_read_signal(t);
			if (ret < 0)
				return ret;
			if (ret)
				return t->signo == SIGHUP ? RXQ_TICK_RELOAD : RXQ_TICK_STOP;
		}
		if (pfd[TICK_DONE].revents) {
			ret = ticker_read_counter(t->done_fd);
			if (ret < 0)
				return ret;
			if (ret)
				return RXQ_TICK_DONE;
		}
		/* Before the period: a tick due at the same moment would only delay the end. */
		if (pfd[TICK_DEADLINE].revents) {
			ret = ticker_read_counter(t->deadline_fd);
			if (ret < 0)
				return ret;
			if (ret)
				return RXQ_TICK_DEADLINE;
		}
		if (pfd[TICK_TIMER].revents) {
			/* The value read counts expirations; missed periods count once. */
			ret = ticker_read_counter(t->timer_fd);
			if (ret < 0)
				return ret;
			if (ret)
				return RXQ_TICK_TIMER;
		}
	}
}

int rxq_ticker__set_deadline(struct rxq_ticker *t, uint64_t at_ns)
{
	struct itimerspec its = { 0 };

	/* An absolute time already past expires at once; 0 (it_value zero) disarms. */
	its.it_value.tv_sec = (time_t)(at_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(at_ns % 1000000000ull);
	if (timerfd_settime(t->deadline_fd, TFD_TIMER_ABSTIME, &its, NULL))
		return -errno;
	return 0;
}

void rxq_ticker__done(struct rxq_ticker *t)
{
	uint64_t one = 1;

	/*
	 * Only fails if the counter would overflow 2^64-2, and then a DONE is pending anyway;
	 * retry on EINTR only.
	 */
	while (write(t->done_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

int rxq_ticker__signo(const struct rxq_ticker *t)
{
	return t->signo;
}

void rxq_ticker__close(struct rxq_ticker *t)
{
	if (!t)
		return;
	close(t->deadline_fd);
	close(t->done_fd);
	close(t->timer_fd);
	close(t->signal_fd);
	pthread_sigmask(SIG_SETMASK, &t->old_mask, NULL);
	free(t);
}
