// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap-bench: how fast a dma-buf heap allocates, measured as an
 * application sees it, with <linux/dma-heap.h> alone. For each size:
 * alloc+close latency (median, p90, p99), alloc+mmap+touch+close, and the
 * cost of clearing the same bytes with memset, the floor of any heap that
 * zeroes. Then alloc+close right after a wake-up (sizes up to 1 MiB), the
 * round trip of an ioctl the heap rejects at once, and allocations per
 * second at 4 KiB with 1 and 2 client threads. Last, alloc+close
 * sustained: each size allocated and closed back to back, at least
 * SUSTAINED_MIN times in a row on one heap. With --split, the sustained
 * allocation and close timed apart too, each its own row.
 *
 * "After a wake-up" times alloc+close just after the bench slept in a pipe
 * read until another process answered: what a request costs when the task
 * that serves it has just woken on a CPU another process ran on. A CUSE
 * heap's allocation always runs so, in the daemon; the kernel's heap runs
 * in the caller, which is usually awake already.
 *
 * Given two heaps, the measurements alternate between them in small
 * batches, so both see the same machine state, and a ratio column
 * (first / second) follows. Alternating gives a heap's pool and ready
 * buffers the other heap's batch to refill in, so the sustained rows do
 * not alternate: one heap's whole run, then the other's, the first heap
 * first in even rounds and second in odd ones.
 *
 * With --rounds N, everything is measured N times in a row and each figure
 * printed is the median of the rounds', the ratio the median of the
 * rounds' ratios, followed by their range: one run's ratios move with the
 * machine's load.
 *
 * Usage: dmaheap-bench [--json] [--time-per-size MS] [--sizes LIST] [--rounds N]
 *                      [--split] HEAP [HEAP]
 *        HEAP is a node path or a name below /dev/dma_heap.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/dma-heap.h>

#define MAX_HEAPS	2
#define MAX_SAMPLES	20000
#define BATCH		8
#define WAKE_SIZE_MAX	(1 << 20)	/* larger: the wake-up is lost in the zeroing */
#define SUSTAINED_MIN	200		/* allocations in a row, at least */

static const char *heap_paths[MAX_HEAPS];
static int heap_fds[MAX_HEAPS];
static int n_heaps;
static double time_per_size = 1.0;	/* seconds, per heap and measure */
/* --split: the last M_ALLOC's ioctl alone, of the time once() returned. */
static bool split;
static double last_ioctl;
static int wake_to[2] = { -1, -1 }, wake_from[2] = { -1, -1 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int alloc_fd(int heap, uint64_t len)
{
	struct dma_heap_allocation_data d = {
		.len = len, .fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0)
		return -errno;
	return (int)d.fd;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "dmaheap-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

struct samples {
	double v[MAX_SAMPLES];
	int n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(struct samples *s, double p)
{
	int i;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_double);
	i = (int)(p * (s->n - 1) + 0.5);
	return s->v[i];
}

enum measure { M_ALLOC, M_TOUCH, M_MEMSET, M_REJECT, M_WAKE };

/* A child process that answers each byte: our wake-up partner. */
static pid_t wake_partner_start(void)
{
	char c;
	pid_t pid;

	if (pipe2(wake_to, O_CLOEXEC) < 0 || pipe2(wake_from, O_CLOEXEC) < 0)
		die("pipe", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		close(wake_to[1]);
		close(wake_from[0]);
		while (read(wake_to[0], &c, 1) == 1)
			if (write(wake_from[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(wake_to[0]);
	close(wake_from[1]);
	return pid;
}

static void wake_partner_stop(pid_t pid)
{
	close(wake_to[1]);
	close(wake_from[0]);
	waitpid(pid, NULL, 0);
}

/* Sleep until the partner answers: we wake up after it ran. */
static void wake_up_after_partner(void)
{
	char c = 1;

	errno = EPIPE;	/* what a short write or read means here */
	if (write(wake_to[1], &c, 1) != 1 || read(wake_from[0], &c, 1) != 1)
		die("the wake-up partner", errno);
}

/* One timed operation of @m on heap @h, in seconds. */
static double once(enum measure m, int h, uint64_t len, void *scratch)
{
	struct dma_heap_allocation_data bad = { .len = 4096, .heap_flags = 1 };
	volatile uint8_t *p;
	double t0, t;
	uint64_t i;
	int fd;

	if (m == M_WAKE)
		wake_up_after_partner();
	t0 = now();
	switch (m) {
	case M_ALLOC:
	case M_WAKE:
		fd = alloc_fd(heap_fds[h], len);
		if (fd < 0)
			die(heap_paths[h], -fd);
		if (split)	/* one clock read more, only then */
			last_ioctl = now() - t0;
		close(fd);
		break;
	case M_TOUCH:
		fd = alloc_fd(heap_fds[h], len);
		if (fd < 0)
			die(heap_paths[h], -fd);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap", errno);
		for (i = 0; i < len; i += 4096)
			p[i] = 1;
		munmap((void *)p, len);
		close(fd);
		break;
	case M_MEMSET:
		memset(scratch, 0, len);
		__asm__ volatile("" : : "r"(scratch) : "memory");
		break;
	case M_REJECT:
		if (ioctl(heap_fds[h], DMA_HEAP_IOCTL_ALLOC, &bad) == 0 ||
		    errno != EINVAL)
			die("the heap_flags=1 round trip", errno ? errno : EIO);
		break;
	}
	t = now() - t0;
	return t;
}

/*
 * Samples of @m for every heap, alternating in batches of BATCH until each
 * heap has spent time_per_size seconds or has MAX_SAMPLES samples.
 */
static void run(enum measure m, uint64_t len, struct samples *out, int heaps)
{
	double spent[MAX_HEAPS] = { 0 };
	void *scratch = NULL;
	bool more = true;
	int h, b;

	if (m == M_MEMSET) {
		scratch = malloc(len);
		if (!scratch)
			die("malloc", ENOMEM);
		memset(scratch, 1, len);	/* fault it in: the floor is the clearing */
	}
	for (h = 0; h < heaps; h++)
		out[h].n = 0;
	once(m, 0, len, scratch);		/* warm up */
	while (more) {
		more = false;
		for (h = 0; h < heaps; h++) {
			for (b = 0; b < BATCH && out[h].n < MAX_SAMPLES; b++) {
				double t = once(m, h, len, scratch);

				out[h].v[out[h].n++] = t;
				spent[h] += t;
			}
			if (spent[h] < time_per_size && out[h].n < MAX_SAMPLES)
				more = true;
		}
	}
	free(scratch);
}

/*
 * alloc+close of @len on each heap back to back, without a pause: heap
 * @first's whole run, then the other's. A run lasts until the heap has
 * spent time_per_size seconds and allocated SUSTAINED_MIN times, or has
 * MAX_SAMPLES samples: long enough to drain what a heap prepares while
 * idle (a pool, ready buffers), and to time what it does once drained.
 * With --split, the ioctl and the close of each also in @ioctls, @closes.
 */
static void run_sustained(uint64_t len, struct samples *out, int heaps,
			  int first, struct samples *ioctls,
			  struct samples *closes)
{
	double spent;
	int i, h;

	for (i = 0; i < heaps; i++) {
		h = (first + i) % heaps;
		out[h].n = 0;
		ioctls[h].n = closes[h].n = 0;
		spent = 0;
		once(M_ALLOC, h, len, NULL);	/* warm up */
		while (out[h].n < MAX_SAMPLES &&
		       (out[h].n < SUSTAINED_MIN || spent < time_per_size)) {
			double t = once(M_ALLOC, h, len, NULL);

			if (split) {
				ioctls[h].v[ioctls[h].n++] = last_ioctl;
				closes[h].v[closes[h].n++] = t - last_ioctl;
			}
			out[h].v[out[h].n++] = t;
			spent += t;
		}
	}
}

struct thread_arg {
	int heap;
	double until;
	long count;
};

static void *thread_loop(void *p)
{
	struct thread_arg *a = p;

	while (now() < a->until) {
		int fd = alloc_fd(a->heap, 4096);

		if (fd < 0)
			die("alloc in a thread", -fd);
		close(fd);
		a->count++;
	}
	return NULL;
}

/* Allocations of 4 KiB per second with @threads threads on heap @h. */
static double throughput(int h, int threads)
{
	struct thread_arg a[2];
	pthread_t t[2];
	double t0 = now(), secs;
	long total = 0;
	int i;

	for (i = 0; i < threads; i++) {
		/* each thread its own fd, as separate clients would have */
		a[i].heap = open(heap_paths[h], O_RDONLY | O_CLOEXEC);
		if (a[i].heap < 0)
			die(heap_paths[h], errno);
		a[i].until = t0 + time_per_size;
		a[i].count = 0;
		if (pthread_create(&t[i], NULL, thread_loop, &a[i]))
			die("pthread_create", EAGAIN);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		close(a[i].heap);
		total += a[i].count;
	}
	secs = now() - t0;
	return total / secs;
}

static uint64_t parse_size(const char *s, char **end)
{
	uint64_t v = strtoull(s, end, 10);

	switch (**end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; (*end)++; break;
	}
	return v;
}

static const char *size_str(uint64_t len, char *buf, size_t n)
{
	if (len >= 1 << 20 && !(len % (1 << 20)))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(len >> 20));
	else
		snprintf(buf, n, "%llu KiB", (unsigned long long)(len >> 10));
	return buf;
}

static bool json, targets;

#define MAX_ROUNDS	9
#define MAX_SIZES	16
#define MAX_ROWS	(7 * MAX_SIZES + 3)	/* 7 per size, round trip, 2 rates */

/* One printed row: a latency (percentiles) or a rate (one value). */
struct row {
	char test[32];
	uint64_t len;
	const char *unit;
	bool latency;
	double fig[3][MAX_HEAPS];	/* median, p90, p99; a rate thrice */
	int n[MAX_HEAPS];
};

static const double percentiles[3] = { 0.5, 0.9, 0.99 };

/* Every round measures the same rows in the same order. */
static struct row rows[MAX_ROUNDS][MAX_ROWS];
static int n_rounds = 1, cur_round, n_rows;

static void print_row(int i, int heaps, bool first);

static void report(const char *test, uint64_t len, const char *unit,
		   struct samples *s, int heaps, double *values)
{
	struct row *r;
	int h, j;

	if (n_rows == MAX_ROWS)
		die("too many rows", E2BIG);
	r = &rows[cur_round][n_rows++];
	snprintf(r->test, sizeof(r->test), "%s", test);
	r->len = len;
	r->unit = unit;
	r->latency = s;
	for (h = 0; h < heaps; h++) {
		for (j = 0; j < 3; j++)
			r->fig[j][h] = s ? pct(&s[h], percentiles[j]) * 1e6 :
					   values[h];
		r->n[h] = s ? s[h].n : 1;
	}
	if (n_rounds == 1)
		print_row(n_rows - 1, heaps, n_rows == 1);
}

/* The median of @n values (of the rounds), the mean of the middle two if even. */
static double median_of(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Row @i over the rounds: each figure the median of the rounds' figures,
 * the ratio the median of the rounds' ratios, with their range.
 */
static void print_row(int i, int heaps, bool first)
{
	double v[MAX_ROUNDS], fig[3][MAX_HEAPS], ratio = 0, rmin = 0, rmax = 0;
	const struct row *r = &rows[0][i];
	char sz[32] = "", label[64];
	int h, j, k, w, n = 0;

	for (h = 0; h < heaps; h++) {
		for (j = 0; j < 3; j++) {
			for (k = 0; k < n_rounds; k++)
				v[k] = rows[k][i].fig[j][h];
			fig[j][h] = median_of(v, n_rounds);
		}
	}
	if (heaps == 2) {
		for (k = 0; k < n_rounds; k++)
			v[k] = rows[k][i].fig[0][0] / rows[k][i].fig[0][1];
		ratio = median_of(v, n_rounds);
		rmin = v[0];
		rmax = v[n_rounds - 1];
	}
	if (r->len)
		size_str(r->len, sz, sizeof(sz));
	if (json) {
		printf("%s\n  {\"test\": \"%s\", \"bytes\": %llu, \"unit\": \"%s\"",
		       first ? "[" : ",", r->test, (unsigned long long)r->len,
		       r->unit);
		for (h = 0; h < heaps; h++) {
			for (k = 0; k < n_rounds; k++)
				n += rows[k][i].n[h];
			printf(", \"%s\": {\"median\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"n\": %d}",
			       heap_paths[h], fig[0][h], fig[1][h], fig[2][h], n);
			n = 0;
		}
		if (heaps == 2)
			printf(", \"ratio\": %.3f", ratio);
		if (heaps == 2 && n_rounds > 1)
			printf(", \"ratio_min\": %.3f, \"ratio_max\": %.3f",
			       rmin, rmax);
		if (n_rounds > 1)
			printf(", \"rounds\": %d", n_rounds);
		printf("}");
		return;
	}
	/* A test name longer than its column takes room from the first figure. */
	snprintf(label, sizeof(label), "%-14s %s", r->test, sz);
	w = 10 - ((int)strlen(label) - 23);
	w = w > 10 ? 10 : w < 1 ? 1 : w;
	printf("%-23s", label);
	for (h = 0; h < heaps; h++) {
		if (r->latency)
			printf(" %*.1f %10.1f %10.1f", h ? 10 : w, fig[0][h],
			       fig[1][h], fig[2][h]);
		else
			printf(" %*.0f %10s %10s", h ? 10 : w, fig[0][h], "", "");
	}
	if (heaps == 2)
		printf(" %7.2fx", ratio);
	if (heaps == 2 && n_rounds > 1)
		printf(" (%.2f-%.2f)", rmin, rmax);
	printf("   %s\n", r->unit);
}

/* Row @test of @len in round @k, or NULL if the run did not measure it. */
static const struct row *find_row(int k, const char *test, uint64_t len)
{
	int i;

	for (i = 0; i < n_rows; i++)
		if (!strcmp(rows[k][i].test, test) && rows[k][i].len == len)
			return &rows[k][i];
	return NULL;
}

/*
 * --targets: docs/performance.md's targets for the first heap (ours)
 * against the second (the kernel's), each judged on the medians of the
 * rounds and each round's own verdict counted: sustained 4 KiB within the
 * kernel's time plus 1.2 of our round trip, 1 MiB at most 0.5x, 8 MiB at
 * most 0.9x. A target whose rows were not measured is said so.
 */
static void print_targets(void)
{
	static const struct {
		uint64_t len;
		double ratio;	/* at most; 0: the 4 KiB bound */
	} goals[] = {
		{ 4 << 10, 0 }, { 1 << 20, 0.5 }, { 8 << 20, 0.9 },
	};
	double ours[MAX_ROUNDS], kern[MAX_ROUNDS], rt[MAX_ROUNDS];
	double ratio[MAX_ROUNDS], o, km, rm, b;
	const struct row *s, *r;
	unsigned int t;
	int k, met;
	char sz[32];

	printf("# targets (docs/performance.md), %s against %s, medians of %d round%s:\n",
	       heap_paths[0], heap_paths[1], n_rounds, n_rounds > 1 ? "s" : "");
	for (t = 0; t < sizeof(goals) / sizeof(goals[0]); t++) {
		size_str(goals[t].len, sz, sizeof(sz));
		met = 0;
		for (k = 0; k < n_rounds; k++) {
			s = find_row(k, "alloc+close sustained", goals[t].len);
			r = goals[t].ratio ? NULL : find_row(k, "round trip", 0);
			if (!s || (!goals[t].ratio && !r))
				break;
			ours[k] = s->fig[0][0];
			kern[k] = s->fig[0][1];
			ratio[k] = ours[k] / kern[k];
			rt[k] = r ? r->fig[0][0] : 0;
			if (goals[t].ratio ? ratio[k] <= goals[t].ratio :
					       ours[k] <= kern[k] + 1.2 * rt[k])
				met++;
		}
		if (k < n_rounds) {
			printf("# sustained %s: not measured\n", sz);
			continue;
		}
		if (goals[t].ratio) {
			o = median_of(ratio, n_rounds);
			printf("# sustained %s: %.2fx <= %.2fx: %s (rounds met: %d of %d)\n",
			       sz, o, goals[t].ratio,
			       o <= goals[t].ratio ? "met" : "MISSED", met,
			       n_rounds);
			continue;
		}
		o = median_of(ours, n_rounds);
		km = median_of(kern, n_rounds);
		rm = median_of(rt, n_rounds);
		b = km + 1.2 * rm;
		printf("# sustained %s: %.1f us <= %.1f + 1.2 x round trip %.1f = %.1f: %s, %.1f %s (rounds met: %d of %d)\n",
		       sz, o, km, rm, b, o <= b ? "met" : "MISSED",
		       o <= b ? b - o : o - b,
		       o <= b ? "under" : "over", met, n_rounds);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dmaheap-bench [OPTION]... HEAP [HEAP]\n"
		"Measure a dma-buf heap, or two side by side (ratio first/second).\n"
		"HEAP: a node path, or a name below /dev/dma_heap.\n\n"
		"  --sizes=LIST         sizes for the latency tests\n"
		"                       (default 4K,64K,1M,8M,64M)\n"
		"  --time-per-size=MS   time per measurement and heap (default 1000)\n"
		"  --rounds=N           measure everything N times (at most 9): medians\n"
		"                       of the rounds, and the range of their ratios\n"
		"  --split              the sustained ioctl and close timed apart too,\n"
		"                       rows 'alloc sustained' and 'close sustained'\n"
		"  --targets            with two heaps, ours then the kernel's: the\n"
		"                       targets of docs/performance.md judged (table only)\n"
		"  --json               one JSON array instead of the table\n");
}

static int bad_arg(const char *option, const char *value)
{
	fprintf(stderr, "dmaheap-bench: %s: invalid value '%s'\n", option, value);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "time-per-size", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "split", no_argument, NULL, 'S' },
		{ "targets", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct samples s[MAX_HEAPS], ioctls[MAX_HEAPS], closes[MAX_HEAPS];
	uint64_t sizes[MAX_SIZES] = { 4 << 10, 64 << 10, 1 << 20, 8 << 20, 64 << 20 };
	int n_sizes = 5, opt, i, h;
	double tp[MAX_HEAPS];
	char *p, *end;
	pid_t partner;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			n_sizes = 0;
			for (p = optarg; *p; p = end) {
				if (n_sizes == MAX_SIZES)
					return bad_arg("--sizes (at most 16)", optarg);
				sizes[n_sizes] = parse_size(p, &end);
				if (!sizes[n_sizes++] || (*end && *end != ','))
					return bad_arg("--sizes", optarg);
				if (*end == ',')
					end++;
			}
			if (!n_sizes)
				return bad_arg("--sizes", optarg);
			break;
		case 't':
			time_per_size = strtod(optarg, &end) / 1000;
			if (end == optarg || *end || !(time_per_size > 0))
				return bad_arg("--time-per-size", optarg);
			break;
		case 'r':
			n_rounds = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || n_rounds < 1 ||
			    n_rounds > MAX_ROUNDS)
				return bad_arg("--rounds", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'S':
			split = true;
			break;
		case 'T':
			targets = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* A wake-up partner gone: an error message, not death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	n_heaps = argc - optind;
	if (n_heaps < 1 || n_heaps > MAX_HEAPS) {
		usage(stderr);
		return 2;
	}
	if (targets && (json || n_heaps != 2)) {
		fprintf(stderr, "dmaheap-bench: --targets needs two heaps and the table, not --json\n");
		usage(stderr);
		return 2;
	}
	for (h = 0; h < n_heaps; h++) {
		const char *a = argv[optind + h];

		if (strchr(a, '/')) {
			heap_paths[h] = a;
		} else if (asprintf((char **)&heap_paths[h], "/dev/dma_heap/%s",
				    a) < 0) {
			die("asprintf", ENOMEM);
		}
		heap_fds[h] = open(heap_paths[h], O_RDONLY | O_CLOEXEC);
		if (heap_fds[h] < 0)
			die(heap_paths[h], errno);
	}

	if (!json && n_rounds > 1)
		printf("# medians of %d rounds%s\n", n_rounds, n_heaps == 2 ?
		       "; ratio: the median of the rounds' ratios (their range)" : "");
	if (!json) {
		printf("%-14s %-8s", "test", "size");
		for (h = 0; h < n_heaps; h++)
			printf(" %32.32s", heap_paths[h]);
		printf("%s\n%-23s", n_heaps == 2 ? "   ratio" : "", "");
		for (h = 0; h < n_heaps; h++)
			printf(" %10s %10s %10s", "median", "p90", "p99");
		printf("\n");
	}
	for (cur_round = 0; cur_round < n_rounds; cur_round++) {
		n_rows = 0;
		for (i = 0; i < n_sizes; i++) {
			run(M_ALLOC, sizes[i], s, n_heaps);
			report("alloc+close", sizes[i], "us", s, n_heaps, NULL);
		}
		for (i = 0; i < n_sizes; i++) {
			run(M_TOUCH, sizes[i], s, n_heaps);
			report("alloc+touch", sizes[i], "us", s, n_heaps, NULL);
		}
		for (i = 0; i < n_sizes; i++) {
			run(M_MEMSET, sizes[i], s, 1);
			for (h = 1; h < n_heaps; h++)
				s[h] = s[0];
			report("memset floor", sizes[i], "us", s, n_heaps, NULL);
		}
		partner = wake_partner_start();
		for (i = 0; i < n_sizes; i++) {
			if (sizes[i] > WAKE_SIZE_MAX)
				continue;
			run(M_WAKE, sizes[i], s, n_heaps);
			report("after wake-up", sizes[i], "us", s, n_heaps, NULL);
		}
		wake_partner_stop(partner);
		run(M_REJECT, 0, s, n_heaps);
		report("round trip", 0, "us (EINVAL)", s, n_heaps, NULL);
		for (i = 1; i <= 2; i++) {
			char name[32];

			for (h = 0; h < n_heaps; h++)
				tp[h] = throughput(h, i);
			snprintf(name, sizeof(name), "4K %d thread%s", i, i > 1 ? "s" : "");
			report(name, 0, "allocs/s", NULL, n_heaps, tp);
		}
		/* Last: a drained pool would weigh on the rows after it. */
		for (i = 0; i < n_sizes; i++) {
			run_sustained(sizes[i], s, n_heaps, cur_round % n_heaps,
				      ioctls, closes);
			report("alloc+close sustained", sizes[i], "us", s,
			       n_heaps, NULL);
			if (!split)
				continue;
			report("alloc sustained", sizes[i], "us", ioctls,
			       n_heaps, NULL);
			report("close sustained", sizes[i], "us", closes,
			       n_heaps, NULL);
		}
	}
	/* One round: each row was printed as it was measured. */
	for (i = 0; n_rounds > 1 && i < n_rows; i++)
		print_row(i, n_heaps, i == 0);
	if (targets)
		print_targets();
	if (json)
		printf("\n]\n");
	return 0;
}
