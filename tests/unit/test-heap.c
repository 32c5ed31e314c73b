// SPDX-License-Identifier: GPL-2.0
/* Unit tests of daemon/heap.c against a fake helper: what reaches the module. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/dma-heap.h>

#include "macro.h"
#include "heap.h"
#include "helper.h"
#include "ledger.h"
#include "log.h"

extern struct dmaheap_helper_alloc fake_helper_last;
extern int fake_helper_calls;
extern const char *fake_helper_comm;
extern uint64_t fake_helper_start;
extern struct dmaheap_helper_event fake_helper_events[8];
extern int fake_helper_events_error;
extern size_t fake_helper_n_events;
extern uid_t fake_userns_key;
extern int fake_userns_error;
extern int fake_userns_calls;
extern int fake_filemax_reached;
extern int fake_filemax_exempt;
extern int fake_filemax_exempt_calls;
extern int fake_calloc_fails;
extern int fake_helper_defer;
extern uint64_t fake_helper_fill_id;
extern pid_t fake_helper_fill_tid;
extern int fake_helper_fill_calls;
extern int fake_helper_fill_error;
extern int fake_helper_fill_refusal;

static struct node test_heap = {
	.cfg = { .name = "system" },
	.node_name = "system",
	.helper_fd = 7,
	.helper_kind = DMAHEAP_HELPER_KIND_SYSTEM,
	.page_size = 4096,
	.node = (246 << 8) | 3,		/* makedev(246, 3) */
};
static const struct caller test_caller = { .tid = 1234, .uid = 1000 };
static struct heap_fill test_fill;

static int setup(void **state)
{
	heap_config_init(&test_heap.cfg, "system");
	ledger_free(test_heap.ledger);
	test_heap.ledger = ledger_new();
	test_heap.charge = false;
	fake_helper_calls = 0;
	fake_helper_n_events = 0;
	fake_helper_events_error = 0;
	fake_helper_start = 4200000000;
	fake_userns_key = (uid_t)-1;
	fake_userns_error = 0;
	fake_userns_calls = 0;
	fake_filemax_reached = 0;
	fake_filemax_exempt = 0;
	fake_filemax_exempt_calls = 0;
	memset(&fake_helper_last, 0, sizeof(fake_helper_last));
	test_heap.node_name = "system";
	fake_helper_comm = "client";
	fake_calloc_fails = 0;
	fake_helper_defer = 0;
	fake_helper_fill_calls = 0;
	fake_helper_fill_error = 0;
	heap_log_window_reset();
	return 0;
}

/* What the code under test writes to stderr, from capture_start() on. */
static FILE *captured;
static int saved_stderr = -1;
static char capture_text[16384];

static void capture_start(void)
{
	captured = tmpfile();
	assert_non_null(captured);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(captured), STDERR_FILENO);
}

/* Stop: what was written (also echoed to stderr). */
static const char *capture_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	rewind(captured);
	n = fread(capture_text, 1, sizeof(capture_text) - 1, captured);
	capture_text[n] = '\0';
	fclose(captured);
	captured = NULL;
	fputs(capture_text, stderr);
	return capture_text;
}

/* How many lines of @text hold @what. */
static int lines_with(const char *text, const char *what)
{
	const char *p = text, *nl;
	int n = 0;

	for (; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		if (memmem(p, nl - p, what, strlen(what)))
			n++;
		if (!*nl)
			break;
	}
	return n;
}

static int teardown(void **state)
{
	if (saved_stderr >= 0) {	/* a test failed while capturing */
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (captured)
		fclose(captured);
	captured = NULL;
	return 0;
}

static struct heap_ioctl io_for(const struct dma_heap_allocation_data *d,
				unsigned int cmd)
{
	struct heap_ioctl io = {
		.cmd = cmd, .user_addr = 0x7ffd0000, .in = d,
		.in_size = _IOC_SIZE(cmd), .out_size = _IOC_SIZE(cmd),
	};
	return io;
}

static void test_helper_gets_the_request(void **state)
{
	struct dma_heap_allocation_data d = {
		.len = 5000, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_calls, 1);
	assert_int_equal(fake_helper_last.len, 8192);
	assert_int_equal(fake_helper_last.user_addr, 0x7ffd0000);
	assert_int_equal(fake_helper_last.kind, DMAHEAP_HELPER_KIND_SYSTEM);
	assert_int_equal(fake_helper_last.fd_flags, O_RDWR | O_CLOEXEC);
	assert_int_equal(fake_helper_last.tid, 1234);
	assert_int_equal(fake_helper_last.cmd, DMA_HEAP_IOCTL_ALLOC);
	/* Two pages: nothing made ahead serves it, nothing to defer. */
	assert_int_equal(fake_helper_last.flags, 0);
	assert_int_equal(fake_helper_last.node_major, 246);
	assert_int_equal(fake_helper_last.node_minor, 3);
	assert_int_equal(fake_helper_last.id, 0);
	assert_int_equal(fake_helper_last.region, 0);
	assert_true(rq.fd_reachable);
}

static void test_region_heap(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct node h = test_heap;
	struct dh_alloc_request rq;

	h.helper_kind = DMAHEAP_HELPER_KIND_REGION;
	h.region_id = 3;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&h, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_last.kind, DMAHEAP_HELPER_KIND_REGION);
	assert_int_equal(fake_helper_last.region, 3);
	assert_int_equal(fake_helper_last.len, 1 << 20);
}

static void test_larger_than_the_heap(void **state)
{
	struct dma_heap_allocation_data d = { .len = (4 << 20) + 1 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct node h = test_heap;
	struct dh_alloc_request rq;

	h.helper_kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
	h.max_len = 4 << 20;
	assert_int_equal(heap_alloc(&h, &test_caller, &io, &rq, &test_fill), -ENOMEM);
	assert_int_equal(fake_helper_calls, 0);

	d.len = 4 << 20;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&h, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_calls, 1);
	assert_int_equal(fake_helper_last.len, 4 << 20);
}

static void test_compat_flag(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	io.compat = true;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, DMAHEAP_HELPER_ALLOC_COMPAT |
						 DMAHEAP_HELPER_ALLOC_DEFER);
}

static void test_helper_errors_reach_caller(void **state)
{
	static const int errs[] = { -ENOMEM, -EINTR, -ESRCH, -EMFILE };
	struct dma_heap_allocation_data d = { .len = 4096 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		will_return(helper_alloc, errs[i]);
		assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
				 errs[i]);
	}
}

static void test_invalid_never_reaches_helper(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .heap_flags = 1 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), -EINVAL);
	d.heap_flags = 0;
	io = io_for(&d, _IOWR('H', 1, struct dma_heap_allocation_data));
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), -EINVAL);
	assert_int_equal(fake_helper_calls, 0);
}

/* A write-only command cannot return the fd: nothing is allocated. */
static void test_unreachable_fd_allocates_nothing(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	struct heap_ioctl io = io_for(&d, _IOW('H', 0,
					       struct dma_heap_allocation_data));
	struct dh_alloc_request rq;

	io.out_size = 0;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_false(rq.fd_reachable);
	assert_int_equal(fake_helper_calls, 0);
}

/* A client looping on a bad request gets 20 log lines per 5 s, not more. */
static void test_failure_logs_rate_limited(void **state)
{
	struct dma_heap_allocation_data d = { .len = 0 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	int i;

	capture_start();
	for (i = 0; i < 50; i++)
		assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
				 -EINVAL);
	assert_int_equal(lines_with(capture_end(),
				    "invalid allocation request"), 20);
}

/*
 * A read() or write() on the node: EINVAL with a line naming it, counted
 * in the caller's budget of lines as a refused ioctl.
 */
static void test_read_write_logged(void **state)
{
	const char *log;
	int i;

	capture_start();
	assert_int_equal(heap_read_write(&test_heap, &test_caller, 4096,
					 "read() refused: a heap node has none"),
			 -EINVAL);
	log = capture_end();
	assert_int_equal(lines_with(log, "read() refused: a heap node has none, size 4096"), 1);
	assert_int_equal(lines_with(log, "errno=EINVAL"), 1);

	capture_start();
	for (i = 0; i < 30; i++)
		assert_int_equal(heap_read_write(&test_heap, &test_caller, 1,
						 "write() refused"),
				 -EINVAL);
	assert_int_equal(lines_with(capture_end(), "write() refused"), 19);
}

/* @n invalid requests from @uid; the lines logged for them, all in *@log. */
static int flood_log(uid_t uid, int n, const char **log)
{
	struct dma_heap_allocation_data d = { .len = 0 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct caller c = test_caller;
	struct dh_alloc_request rq;
	char needle[32];
	int i;

	c.uid = uid;
	capture_start();
	for (i = 0; i < n; i++)
		assert_int_equal(heap_alloc(&test_heap, &c, &io, &rq, &test_fill), -EINVAL);
	snprintf(needle, sizeof(needle), "uid %u", (unsigned int)uid);
	*log = capture_end();
	return lines_with(*log, needle);
}

static int flood(uid_t uid, int n)
{
	const char *log;

	return flood_log(uid, n, &log);
}

/*
 * The budget is each user's: one flooding the log cannot hide another's
 * denials and limits (a reviewer: one budget for all hid them).
 */
static void test_failure_logs_per_user(void **state)
{
	struct dma_heap_allocation_data d = { .len = 2 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct caller c = test_caller;
	struct dh_alloc_request rq;

	assert_int_equal(flood(1000, 50), 20);
	c.uid = 1001;
	test_heap.cfg.limits[LIMIT_BYTES] = 1 << 20;
	capture_start();
	assert_int_equal(heap_alloc(&test_heap, &c, &io, &rq, &test_fill), -ENOMEM);
	assert_int_equal(lines_with(capture_end(), "over the heap's MaxBytes="),
			 1);
	/* Still none for the first. */
	assert_int_equal(flood(1000, 1), 0);
}

/* Many users at once: 100 lines in all per 5 s, not 20 each. */
static void test_failure_logs_bounded_over_users(void **state)
{
	int lines = 0;
	uid_t uid;

	for (uid = 2000; uid < 2010; uid++)
		lines += flood(uid, 20);
	assert_int_equal(lines, 100);
}

/*
 * What was not logged is said at the next failure of anyone once its
 * window is over, with the user and when.
 */
static void test_failure_log_summary(void **state)
{
	const char *log;

	assert_int_equal(flood(1000, 30), 20);
	heap_log_window_expire();
	assert_int_equal(flood_log(1001, 1, &log), 1);
	assert_int_equal(lines_with(log, "10 allocation failures of uid 1000 not logged"),
			 1);
	/* Said once. */
	heap_log_window_expire();
	assert_int_equal(flood(1002, 1), 1);
	assert_int_equal(flood(1000, 1), 1);
}

/* Every buffer is in the ledger from the helper's answer to its release. */
static void test_ledger_follows_buffers(void **state)
{
	struct dma_heap_allocation_data d = { .len = 8192 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct ledger_buffer *snap;
	struct dh_alloc_request rq;
	uint64_t bytes, buffers, cookie;

	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	cookie = fake_helper_last.cookie;
	assert_int_not_equal(cookie, 0);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(bytes, 8192);
	assert_int_equal(buffers, 1);
	assert_int_equal(ledger_snapshot(test_heap.ledger, &snap), 1);
	assert_int_equal(snap[0].pid, 1200);
	assert_int_equal(snap[0].uid, 1000);
	assert_int_equal(snap[0].id, 42);
	assert_string_equal(snap[0].comm, "client");
	free(snap);

	/* A failed allocation leaves nothing behind. */
	will_return(helper_alloc, -ENOMEM);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 1);

	/* The helper's release event, read at the next drain. */
	fake_helper_events[0] = (struct dmaheap_helper_event){
		.cookie = cookie, .id = 42, .len = 8192,
		.type = DMAHEAP_HELPER_EVENT_RELEASED,
	};
	fake_helper_n_events = 1;
	heap_drain_releases(test_heap.helper_fd, test_heap.ledger);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(bytes, 0);
	assert_int_equal(buffers, 0);
}

/*
 * A buffer the helper deferred is made after the reply, once, for the
 * id and thread of its ALLOC; one it did not defer is not asked for.
 */
static void test_deferred_buffer_filled_after_reply(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	will_return_count(helper_alloc, 0, 2);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_false(test_fill.pending);
	heap_replied(&test_heap, &test_caller, &test_fill);
	assert_int_equal(fake_helper_fill_calls, 0);

	fake_helper_defer = 1;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_true(test_fill.pending);
	assert_int_equal(fake_helper_fill_calls, 0);
	heap_replied(&test_heap, &test_caller, &test_fill);
	assert_int_equal(fake_helper_fill_calls, 1);
	assert_int_equal(fake_helper_fill_id, 42);
	assert_int_equal(fake_helper_fill_tid, 1234);
}

/*
 * Only what the helper defers is asked to be: one page, read-write, of the
 * system kind (its dmahp_ready_fits()).
 */
static void test_defer_asked_for_one_page_read_write(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct node h = test_heap;
	struct dh_alloc_request rq;

	will_return_count(helper_alloc, 0, 5);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, DMAHEAP_HELPER_ALLOC_DEFER);
	d.fd_flags = O_RDWR | O_CLOEXEC;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, DMAHEAP_HELPER_ALLOC_DEFER);
	d.fd_flags = O_RDONLY;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, 0);
	d.fd_flags = O_RDWR;
	d.len = 8192;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, 0);
	d.len = 4096;
	h.helper_kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
	assert_int_equal(heap_alloc(&h, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, 0);
}

static void release_last(void);

static void usage_is(uint64_t want_buffers, uint64_t want_bytes)
{
	uint64_t bytes, buffers;

	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, want_buffers);
	assert_int_equal(bytes, want_bytes);
}

/* The ledger keeps no entry of the last ALLOC, counted or not. */
static void last_gone(void)
{
	enum heap_limit hit;

	/* an uncounted entry left behind would be counted now: 0 */
	assert_int_equal(ledger_count(test_heap.ledger, &test_heap.cfg,
				      fake_helper_last.cookie, 1000, &hit),
			 -ESRCH);
}

/* One deferred 4 KiB allocation by @c, replied to: FILL's refusal. */
static int deferred(const struct caller *c)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	int calls = fake_helper_fill_calls;

	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, c, &io, &rq, &test_fill), 0);
	assert_true(test_fill.pending);
	heap_replied(&test_heap, c, &test_fill);
	assert_int_equal(fake_helper_fill_calls, calls + 1);
	assert_int_equal(fake_helper_fill_id, 42);
	return fake_helper_fill_refusal;
}

/*
 * A deferred buffer's policy is checked after the reply: not counted
 * before it, counted and committed after, FILLed with no refusal.
 */
static void test_deferred_policy_after_reply(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct ledger_buffer *snap;
	struct dh_alloc_request rq;

	fake_helper_defer = 1;
	fake_filemax_reached = 1;	/* past file-max: checked after */
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_true(test_fill.pending);
	assert_int_equal(fake_helper_calls, 1);
	assert_int_equal(fake_filemax_exempt_calls, 0);
	usage_is(0, 0);
	fake_filemax_exempt = 1;
	heap_replied(&test_heap, &test_caller, &test_fill);
	assert_int_equal(fake_filemax_exempt_calls, 1);
	assert_int_equal(fake_helper_fill_calls, 1);
	assert_int_equal(fake_helper_fill_refusal, 0);
	usage_is(1, 4096);
	assert_int_equal(ledger_snapshot(test_heap.ledger, &snap), 1);
	assert_int_equal(snap[0].pid, 1200);
	assert_int_equal(snap[0].id, 42);
	assert_int_equal(snap[0].cookie, fake_helper_last.cookie);
	free(snap);
}

/*
 * Each refusal of the policy reaches a deferred buffer's caller through
 * FILL, with the errno a buffer made at once gets, and its log line; the
 * ledger keeps nothing of it (a refused commit: until its release).
 */
static void test_deferred_refusals(void **state)
{
	struct caller sub = { .tid = 1235, .uid = 200000 };
	const char *log;

	fake_helper_defer = 1;
	capture_start();
	/* fs.file-max */
	fake_filemax_reached = 1;
	assert_int_equal(deferred(&test_caller), -ENFILE);
	usage_is(0, 0);
	last_gone();
	fake_filemax_exempt = -ESRCH;
	assert_int_equal(deferred(&test_caller), -ESRCH);
	last_gone();
	fake_filemax_reached = 0;

	/* MaxBytes=, MaxBytesPerUser=, counted after the reply */
	test_heap.cfg.limits[LIMIT_BYTES_PER_USER] = 4096;
	fake_userns_key = 1000;
	assert_int_equal(deferred(&test_caller), 0);
	usage_is(1, 4096);
	assert_int_equal(deferred(&test_caller), -ENOMEM);
	usage_is(1, 4096);
	last_gone();
	/* the user behind a namespace, not read: its errno */
	fake_userns_error = -EACCES;
	assert_int_equal(deferred(&sub), -EACCES);
	last_gone();
	fake_userns_error = 0;
	test_heap.cfg.limits[LIMIT_BYTES_PER_USER] = DH_NO_LIMIT;
	test_heap.cfg.limits[LIMIT_BYTES] = 4096;
	assert_int_equal(deferred(&sub), -ENOMEM);
	last_gone();
	test_heap.cfg.limits[LIMIT_BYTES] = DH_NO_LIMIT;
	usage_is(1, 4096);

	/* MaxBytesPerProcess=: refused at the commit, counted until released */
	test_heap.cfg.limits[LIMIT_BYTES_PER_PROCESS] = 4096;
	assert_int_equal(deferred(&test_caller), -ENOMEM);
	usage_is(2, 8192);
	release_last();
	usage_is(1, 4096);
	last_gone();
	log = capture_end();
	assert_int_equal(lines_with(log, "over fs.file-max"), 1);
	assert_int_equal(lines_with(log, "the caller is gone"), 1);
	assert_int_equal(lines_with(log, "over the heap's MaxBytesPerUser=4096"), 1);
	assert_int_equal(lines_with(log, "without CAP_SYS_PTRACE"), 1);
	assert_int_equal(lines_with(log, "over the heap's MaxBytes=4096"), 1);
	assert_int_equal(lines_with(log, "over the heap's MaxBytesPerProcess=4096"), 1);
	/* logged once each: not again as a failed FILL */
	assert_int_equal(lines_with(log, "heap \"system\""), 6);
	assert_int_equal(fake_helper_fill_calls, 7);

	/* A helper that does not take the refusal: said, as it leaves the caller waiting. */
	fake_helper_fill_error = EINVAL;
	capture_start();
	assert_int_equal(deferred(&sub), -ENOMEM);
	log = capture_end();
	assert_int_equal(lines_with(log, "the helper did not take the refusal"), 1);
	assert_int_equal(lines_with(log, "errno=EINVAL"), 1);
}

/*
 * The caller killed between the helper's ALLOC and the daemon's policy:
 * its delivery ends, and its release event may be read first (another
 * worker's drain). The ledger keeps nothing of it.
 */
static void test_deferred_released_before_policy(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	enum heap_limit hit;
	const char *log;

	fake_helper_defer = 1;
	fake_helper_fill_error = ESRCH;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	release_last();
	capture_start();
	heap_replied(&test_heap, &test_caller, &test_fill);
	log = capture_end();
	assert_int_equal(lines_with(log, "the caller's ioctl ended before its buffer was made"), 1);
	assert_int_equal(fake_helper_fill_refusal, -ESRCH);
	usage_is(0, 0);
	assert_int_equal(ledger_count(test_heap.ledger, &test_heap.cfg,
				      test_fill.cookie, 1000, &hit), -ESRCH);

	/* An error reply after all: the ledger forgets it at once. */
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	heap_reply_failed(&test_heap, &test_fill);
	assert_false(test_fill.pending);
	assert_int_equal(ledger_count(test_heap.ledger, &test_heap.cfg,
				      fake_helper_last.cookie, 1000, &hit),
			 -ESRCH);
	usage_is(0, 0);
}

/*
 * Deferrable, yet made at once (a helper that did not defer it): its
 * policy is checked before the reply all the same, the refusal its errno.
 */
static void test_deferrable_not_deferred(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	test_heap.cfg.limits[LIMIT_BYTES] = 4096;
	will_return_count(helper_alloc, 0, 2);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), 0);
	assert_false(test_fill.pending);
	usage_is(1, 4096);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
				    &test_fill), -ENOMEM);
	assert_false(test_fill.pending);
	usage_is(1, 4096);
	release_last();	/* the refused one's, dropped by the error reply */
	usage_is(1, 4096);
	last_gone();
	assert_int_equal(fake_helper_fill_calls, 0);
}

/*
 * A failed FILL is logged with its errno, which the caller's ioctl gets
 * from the helper; a caller that left first is said to have.
 */
static void test_failed_fill_logged(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	static const int fill_errors[] = { 0, ENOMEM, ESRCH };
	struct dh_alloc_request rq;
	const char *log;
	size_t i;

	fake_helper_defer = 1;
	will_return_count(helper_alloc, 0, ARRAY_SIZE(fill_errors));
	capture_start();
	for (i = 0; i < ARRAY_SIZE(fill_errors); i++) {
		fake_helper_fill_error = fill_errors[i];
		assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq,
					    &test_fill), 0);
		heap_replied(&test_heap, &test_caller, &test_fill);
	}
	log = capture_end();
	assert_int_equal(fake_helper_fill_calls, 3);
	assert_int_equal(lines_with(log, "allocation failed"), 1);
	assert_int_equal(lines_with(log, "Cannot allocate memory"), 1);
	assert_int_equal(lines_with(log, "the caller's ioctl ended before its buffer was made"), 1);
	assert_int_equal(lines_with(log, "(client)"), 2);
}

/*
 * The helper's release events cannot be read: said once, not on every
 * drain (every 64th reply), and the drain returns.
 */
static void test_release_events_error_logged_once(void **state)
{
	int i;

	fake_helper_events_error = EIO;
	capture_start();
	for (i = 0; i < 3; i++)
		heap_drain_releases(test_heap.helper_fd, test_heap.ledger);
	assert_int_equal(lines_with(capture_end(),
				    "cannot read the helper's release events"), 1);
}

/*
 * The helper's drop of the buffer it last allocated, which the daemon
 * refused: its release event, read at a drain.
 */
static void release_last(void)
{
	fake_helper_events[0] = (struct dmaheap_helper_event){
		.cookie = fake_helper_last.cookie, .len = fake_helper_last.len,
		.type = DMAHEAP_HELPER_EVENT_RELEASED,
	};
	fake_helper_n_events = 1;
	heap_drain_releases(test_heap.helper_fd, test_heap.ledger);
}

/*
 * Without limits, the releases are read after the replies, every 64th, not
 * before a reservation the caller waits for.
 */
static void test_releases_read_after_replies(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	uint64_t bytes, buffers, first;
	int i;

	will_return_count(helper_alloc, 0, 65);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	first = fake_helper_last.cookie;
	fake_helper_events[0] = (struct dmaheap_helper_event){
		.cookie = first, .len = 4096,
		.type = DMAHEAP_HELPER_EVENT_RELEASED,
	};
	fake_helper_n_events = 1;
	for (i = 0; i < 64; i++)
		assert_int_equal(heap_alloc(&test_heap, &test_caller, &io,
					    &rq, &test_fill), 0);
	assert_int_equal(fake_helper_n_events, 1);

	for (i = 0; i < 64 && fake_helper_n_events; i++)
		heap_replied(&test_heap, &test_caller, &test_fill);
	assert_int_equal(fake_helper_n_events, 0);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 64);

	/* The next read, 64 replies after that one. */
	fake_helper_events[0].cookie = fake_helper_last.cookie;
	fake_helper_n_events = 1;
	for (i = 0; i < 63; i++)
		heap_replied(&test_heap, &test_caller, &test_fill);
	assert_int_equal(fake_helper_n_events, 1);
	heap_replied(&test_heap, &test_caller, &test_fill);
	assert_int_equal(fake_helper_n_events, 0);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 63);
}

/* A limit counts what is live: a release read just before makes room. */
static void test_release_read_before_reserving(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	test_heap.cfg.limits[LIMIT_BYTES] = 1 << 20;
	will_return_count(helper_alloc, 0, 2);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	fake_helper_events[0] = (struct dmaheap_helper_event){
		.cookie = fake_helper_last.cookie,
		.type = DMAHEAP_HELPER_EVENT_RELEASED,
	};
	fake_helper_n_events = 1;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_calls, 2);
}

static void test_limits_stop_before_the_helper(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct caller other = test_caller;
	struct dh_alloc_request rq;

	test_heap.cfg.limits[LIMIT_BYTES_PER_USER] = 2 << 20;
	will_return_count(helper_alloc, 0, 2);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	assert_int_equal(fake_helper_calls, 2);

	/* Another user still fits, until the whole heap is full. */
	test_heap.cfg.limits[LIMIT_BYTES] = 3 << 20;
	other.uid = 1001;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &other, &io, &rq, &test_fill), 0);
	assert_int_equal(heap_alloc(&test_heap, &other, &io, &rq, &test_fill), -ENOMEM);
	assert_int_equal(fake_helper_calls, 3);

	test_heap.cfg.limits[LIMIT_BUFFER_SIZE] = 4096;
	d.len = 8192;
	assert_int_equal(heap_alloc(&test_heap, &other, &io, &rq, &test_fill), -ENOMEM);
	assert_int_equal(fake_helper_calls, 3);
}

/*
 * MaxBytesPerUser= counts the user behind the caller's namespaces: two
 * subordinate uids of one user share its budget, and the ledger shows the
 * key. Other heaps never look it up.
 */
static void test_user_limit_keyed_by_namespace_owner(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct caller sub0 = { .tid = 1234, .uid = 200000 };
	struct caller sub1 = { .tid = 1235, .uid = 200001 };
	struct ledger_buffer *snap;
	struct dh_alloc_request rq;

	/* without the limit: no lookup, the caller's uid */
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &sub0, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_userns_calls, 0);
	assert_int_equal(ledger_snapshot(test_heap.ledger, &snap), 1);
	assert_int_equal(snap[0].uid, 200000);
	free(snap);
	ledger_release(test_heap.ledger, fake_helper_last.cookie);

	test_heap.cfg.limits[LIMIT_BYTES_PER_USER] = 1 << 20;
	fake_userns_key = 1000;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &sub0, &io, &rq, &test_fill), 0);
	assert_int_equal(heap_alloc(&test_heap, &sub1, &io, &rq, &test_fill), -ENOMEM);
	assert_int_equal(fake_helper_calls, 2);
	assert_int_equal(fake_userns_calls, 2);
	assert_int_equal(ledger_snapshot(test_heap.ledger, &snap), 1);
	assert_int_equal(snap[0].uid, 1000);
	free(snap);

	/* the caller's thread gone before the lookup: failed, no buffer */
	fake_userns_error = -ESRCH;
	assert_int_equal(heap_alloc(&test_heap, &sub1, &io, &rq, &test_fill), -ESRCH);
	assert_int_equal(fake_helper_calls, 2);
}

/*
 * At fs.file-max, a caller without CAP_SYS_ADMIN gets ENFILE before the
 * helper allocates, as from the kernel's heaps; one with it its buffer.
 * Below it, nobody's capabilities are read.
 */
static void test_file_max(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	uint64_t bytes, buffers;

	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_filemax_exempt_calls, 0);

	fake_filemax_reached = 1;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENFILE);
	assert_int_equal(fake_helper_calls, 1);
	assert_int_equal(fake_filemax_exempt_calls, 1);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 1);

	fake_filemax_exempt = -ESRCH;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ESRCH);
	fake_filemax_exempt = 1;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_calls, 2);
}

/* MaxBytesPerProcess= is checked once the helper names the process. */
static void test_process_limit_after_the_helper(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	uint64_t bytes, buffers;

	test_heap.cfg.limits[LIMIT_BYTES_PER_PROCESS] = 1 << 20;
	/* The longest name a process has: all of it in the log line. */
	fake_helper_comm = "fifteen-chars-x";
	will_return_count(helper_alloc, 0, 2);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	/*
	 * The helper allocated it, the reply says ENOMEM: it is dropped, and
	 * counted to the heap until the helper says it is gone.
	 */
	capture_start();
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	assert_int_equal(lines_with(capture_end(),
				    "for pid 1200 tid 1234 (fifteen-chars-x) uid 1000"),
			 1);
	assert_int_equal(fake_helper_calls, 2);
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 2);
	release_last();
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 1);
}

/*
 * The daemon out of memory when the helper names a process it has not
 * counted yet: ENOMEM, the buffer dropped, and the log says so, not that
 * the process is over MaxBytesPerProcess= (it has one buffer of its limit).
 */
static void test_out_of_memory_is_not_a_limit(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;
	uint64_t bytes, buffers;
	const char *log;

	test_heap.cfg.limits[LIMIT_BYTES_PER_PROCESS] = 2 << 20;
	will_return_count(helper_alloc, 0, 2);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	/* Another process: the heap's and the user's totals exist. */
	fake_helper_start += 1000;
	capture_start();
	fake_calloc_fails = 1;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	log = capture_end();
	assert_int_equal(fake_calloc_fails, 0);
	release_last();
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 1);
	assert_int_equal(lines_with(log, "out of memory"), 1);
	assert_int_equal(lines_with(log, "MaxBytesPerProcess"), 0);
}

/*
 * A buffer outliving its process stays counted to that process, not to the
 * next one the kernel gives its pid: the helper names each by tgid and
 * start time, and the limit is checked under that key.
 */
static void test_process_limit_follows_the_process(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 << 20 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct ledger_buffer *snap;
	struct dh_alloc_request rq;
	uint64_t bytes, buffers;

	test_heap.cfg.limits[LIMIT_BYTES_PER_PROCESS] = 1 << 20;
	will_return_count(helper_alloc, 0, 4);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	/* It exits, a keeper holds the buffer; pid 1200 is given again. */
	fake_helper_start += 1000;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	/* Its own full limit, and not a page more. */
	d.len = 4096;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	release_last();
	/* Nor for the first process, were it still there. */
	fake_helper_start -= 1000;
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill),
			 -ENOMEM);
	release_last();
	ledger_heap_usage(test_heap.ledger, "system", &bytes, &buffers);
	assert_int_equal(buffers, 2);
	assert_int_equal(bytes, 2 << 20);
	assert_int_equal(ledger_snapshot(test_heap.ledger, &snap), 2);
	assert_int_equal(snap[0].pid, 1200);
	assert_int_equal(snap[1].pid, 1200);
	assert_int_not_equal(snap[0].start, snap[1].start);
	free(snap);
}

/* A name with a newline or an escape cannot fake lines in reports. */
static void test_comm_sanitised(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct ledger_buffer *snap;
	struct dh_alloc_request rq;

	fake_helper_comm = "a\nb\033[2J\xc3\xa9";
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(ledger_snapshot(test_heap.ledger, &snap), 1);
	assert_string_equal(snap[0].comm, "a?b?[2J??");
	free(snap);
}

/* The exporter name is the node's, an alias's too, at its longest. */
static void test_exporter_name(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	char longest[DH_HEAP_NAME_MAX + 1];
	struct dh_alloc_request rq;

	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_string_equal(fake_helper_last.name, "system");

	memset(longest, 'n', DH_HEAP_NAME_MAX);
	longest[DH_HEAP_NAME_MAX] = '\0';
	test_heap.node_name = longest;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_string_equal(fake_helper_last.name, longest);
}

static void test_charge_flag(void **state)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct heap_ioctl io = io_for(&d, DMA_HEAP_IOCTL_ALLOC);
	struct dh_alloc_request rq;

	test_heap.charge = true;
	will_return(helper_alloc, 0);
	assert_int_equal(heap_alloc(&test_heap, &test_caller, &io, &rq, &test_fill), 0);
	assert_int_equal(fake_helper_last.flags, DMAHEAP_HELPER_ALLOC_CHARGE |
						 DMAHEAP_HELPER_ALLOC_DEFER);
}

static void test_open_rules(void **state)
{
	struct caller c = test_caller;
	gid_t groups[] = { 44, 100 };

	assert_int_equal(heap_open(&test_heap, &c), 0);
	test_heap.cfg.n_allow_groups = 1;
	test_heap.cfg.allow_groups[0] = (struct config_id){
		.name = "video", .id = 44, .resolved = true };
	assert_int_equal(heap_open(&test_heap, &c), -EACCES);
	c.groups = groups;
	c.n_groups = 2;
	assert_int_equal(heap_open(&test_heap, &c), 0);
	/* Some groups not read: those read count, the rest allow nothing. */
	c.groups_error = -ENOMEM;
	c.n_groups_all = 300;
	assert_int_equal(heap_open(&test_heap, &c), 0);
	c.groups = groups + 1;
	c.n_groups = 1;
	capture_start();
	assert_int_equal(heap_open(&test_heap, &c), -EACCES);
	/* ... and the refusal says what the check went without. */
	assert_int_equal(lines_with(capture_end(),
				    "open denied by AllowUsers=/AllowGroups=; 299 of its 300 supplementary groups not read: Cannot allocate memory"),
			 1);
}

/* Every test from a fresh heap, its stderr given back if it failed. */
#define HEAP_TEST(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HEAP_TEST(test_helper_gets_the_request),
		HEAP_TEST(test_compat_flag),
		HEAP_TEST(test_region_heap),
		HEAP_TEST(test_larger_than_the_heap),
		HEAP_TEST(test_helper_errors_reach_caller),
		HEAP_TEST(test_invalid_never_reaches_helper),
		HEAP_TEST(test_unreachable_fd_allocates_nothing),
		HEAP_TEST(test_failure_logs_rate_limited),
		HEAP_TEST(test_failure_logs_per_user),
		HEAP_TEST(test_failure_logs_bounded_over_users),
		HEAP_TEST(test_failure_log_summary),
		HEAP_TEST(test_read_write_logged),
		HEAP_TEST(test_release_events_error_logged_once),
		HEAP_TEST(test_deferred_buffer_filled_after_reply),
		HEAP_TEST(test_failed_fill_logged),
		HEAP_TEST(test_defer_asked_for_one_page_read_write),
		HEAP_TEST(test_deferred_policy_after_reply),
		HEAP_TEST(test_deferred_refusals),
		HEAP_TEST(test_deferred_released_before_policy),
		HEAP_TEST(test_deferrable_not_deferred),
		HEAP_TEST(test_ledger_follows_buffers),
		HEAP_TEST(test_limits_stop_before_the_helper),
		HEAP_TEST(test_user_limit_keyed_by_namespace_owner),
		HEAP_TEST(test_file_max),
		HEAP_TEST(test_process_limit_after_the_helper),
		HEAP_TEST(test_out_of_memory_is_not_a_limit),
		HEAP_TEST(test_process_limit_follows_the_process),
		HEAP_TEST(test_releases_read_after_replies),
		HEAP_TEST(test_release_read_before_reserving),
		HEAP_TEST(test_comm_sanitised),
		HEAP_TEST(test_exporter_name),
		HEAP_TEST(test_charge_flag),
		HEAP_TEST(test_open_rules),
	};

	log_init(false);
	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
