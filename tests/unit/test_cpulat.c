// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The PM QoS request behind a plain file: what is written (a binary s32), what is read back as the
 * effective value, and the errors a person gets told about. The real device is global to the
 * machine and is exercised by tests/net/udplat-server.sh only.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rxq/cpulat.h"
#include "rxq/log.h"

struct capture {
	unsigned calls;
	enum rxq_log_level level;
	char msg[1024];
};

static void capture_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	struct capture *c = ctx;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

struct fixture {
	char dir[64];
	char path[96];
	struct capture log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rxq-cpulat.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/cpu_dma_latency", f->dir);
	rxq_log__set(capture_log, &f->log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rxq_log__set(NULL, NULL);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A file holding @p v as the device would report it. */
static void put_file(const struct fixture *f, int32_t v)
{
	int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, &v, sizeof(v)), sizeof(v));
	close(fd);
}

static int32_t file_value(const struct fixture *f, off_t *size)
{
	struct stat st;
	int32_t v = -1;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*size = st.st_size;
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	close(fd);
	return v;
}

static void test_hold_writes_binary_s32_and_reads_back(void **state)
{
	struct fixture *f = *state;
	struct rxq_cpulat *c = NULL;
	int32_t eff = -1;
	off_t size;

	put_file(f, RXQ_CPULAT_MAX_USEC);
	assert_int_equal(rxq_cpulat__hold(&c, f->path, 0, &eff), 0);
	assert_non_null(c);
	assert_int_equal(eff, 0);
	/* Four bytes in host order, not text: "0\n" would be parsed by the kernel as hex. */
	assert_int_equal(file_value(f, &size), 0);
	assert_int_equal(size, 4);
	rxq_cpulat__release(c);

	assert_int_equal(rxq_cpulat__hold(&c, f->path, 123456, &eff), 0);
	assert_int_equal(eff, 123456);
	assert_int_equal(file_value(f, &size), 123456);
	rxq_cpulat__release(c);

	assert_int_equal(rxq_cpulat__hold(&c, f->path, RXQ_CPULAT_MAX_USEC, NULL), 0);
	assert_int_equal(file_value(f, &size), RXQ_CPULAT_MAX_USEC);
	rxq_cpulat__release(c);
	assert_int_equal(f->log.calls, 0);
}

static void test_fd_stays_open_until_release(void **state)
{
	struct fixture *f = *state;
	struct rxq_cpulat *c = NULL;
	char link[64], target[128];
	unsigned open_before = 0, open_during = 0, open_after = 0;
	int fd;
	ssize_t n;

	put_file(f, 0);
	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (size_t)n == strlen(f->path) && !memcmp(target, f->path, (size_t)n))
			open_before++;
	}
	assert_int_equal(rxq_cpulat__hold(&c, f->path, 5, NULL), 0);
	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (size_t)n == strlen(f->path) && !memcmp(target, f->path, (size_t)n))
			open_during++;
	}
	rxq_cpulat__release(c);
	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (size_t)n == strlen(f->path) && !memcmp(target, f->path, (size_t)n))
			open_after++;
	}
	assert_int_equal(open_before, 0);
	assert_int_equal(open_during, 1);
	assert_int_equal(open_after, 0);
	rxq_cpulat__release(NULL);
}

static void test_out_of_range_is_einval_and_touches_nothing(void **state)
{
	struct fixture *f = *state;
	struct rxq_cpulat *c = NULL;
	int32_t eff = 77;
	off_t size;

	put_file(f, 42);
	assert_int_equal(rxq_cpulat__hold(&c, f->path, -1, &eff), -EINVAL);
	assert_int_equal(rxq_cpulat__hold(&c, f->path, RXQ_CPULAT_MAX_USEC + 1, &eff), -EINVAL);
	assert_int_equal(rxq_cpulat__hold(&c, f->path, INT32_MIN, &eff), -EINVAL);
	assert_null(c);
	assert_int_equal(eff, 77);
	assert_int_equal(file_value(f, &size), 42);
	assert_int_equal(f->log.calls, 3);
	assert_int_equal(f->log.level, RXQ_LOG_ERROR);
	assert_non_null(strstr(f->log.msg, "out of range (0 to 2000000000)"));
}

static void test_missing_device_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct rxq_cpulat *c = NULL;

	assert_int_equal(rxq_cpulat__hold(&c, f->path, 0, NULL), -ENOENT);
	assert_null(c);
	assert_int_equal(f->log.calls, 1);
	assert_non_null(strstr(f->log.msg, "does not exist"));
	assert_non_null(strstr(f->log.msg, f->path));
}

/*
 * Root may write any plain file; sysfs still refuses a read-only attribute to it, which gives the
 * same error an unprivileged user gets from the real device.
 */
static void test_no_write_access_is_eacces(void **state)
{
	struct fixture *f = *state;
	struct rxq_cpulat *c = NULL;
	const char *path = f->path;

	put_file(f, 0);
	if (geteuid() == 0)
		path = "/sys/kernel/notes";
	else
		assert_int_equal(chmod(f->path, 0400), 0);
	if (access(path, F_OK)) {
		skip();
		return;
	}
	assert_int_equal(rxq_cpulat__hold(&c, path, 0, NULL), -EACCES);
	assert_null(c);
	assert_int_equal(f->log.calls, 1);
	assert_non_null(strstr(f->log.msg, "needs root or write access to"));
}

/* A device that does not answer with four bytes is an error, not a made-up value. */
static void test_short_read_back_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct rxq_cpulat *c = NULL;
	int32_t eff = 77;

	assert_int_equal(rxq_cpulat__hold(&c, "/dev/null", 0, &eff), -EIO);
	assert_null(c);
	assert_int_equal(eff, 77);
	assert_non_null(strstr(f->log.msg, "cannot read the effective CPU latency back"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_writes_binary_s32_and_reads_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fd_stays_open_until_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range_is_einval_and_touches_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_device_is_enoent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_write_access_is_eacces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_read_back_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
