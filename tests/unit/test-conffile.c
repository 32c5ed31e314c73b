// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/conffile.c and confload.c: every key, every error
 * with its line, warnings, merging, drop-in precedence in temp directories.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "conffile.h"
#include "unit-helpers.h"

#define WARNINGS_MAX 16

static struct config c;
static struct config_diag d;
static char warnings[WARNINGS_MAX][DH_ERROR_MAX];
static unsigned int n_warnings;

static void collect_warning(void *userdata, const char *msg)
{
	assert_ptr_equal(userdata, &n_warnings);
	if (n_warnings < WARNINGS_MAX)
		snprintf(warnings[n_warnings], DH_ERROR_MAX, "%s", msg);
	n_warnings++;
}

static int setup(void **state)
{
	config_init(&c);
	memset(&d, 0, sizeof(d));
	d.warn = collect_warning;
	d.userdata = &n_warnings;
	n_warnings = 0;
	return 0;
}

/* Parse @text as t.conf and run the checks between keys, as loading does. */
static int parse(const char *text)
{
	int r;

	setup(NULL);
	r = conffile_parse(&c, "t.conf", text, &d);
	if (r < 0)
		return r;
	return config_check(&c, &d);
}

static void test_every_key(void **state)
{
	const struct heap_config *h;

	assert_int_equal(parse("# a comment\n"
			       "; another\n"
			       "\n"
			       "[Daemon]\n"
			       "Debug = yes\n"
			       "\n"
			       "[Heap]\n"
			       "Name=memory@42000000-contiguous\n"
			       "Kind=region\n"
			       "Base=0x42000000\n"
			       "Size=64M\n"
			       "Alias=video@42000000 camera\n"
			       "LegacyAlias=reserved\n"
			       "\n"
			       "[Heap]\n"
			       "  Name  =  default_cma_region  \n"
			       "\tKind\t=\tcontiguous\r\n"
			       "LegacyNode=yes\n"
			       "[Heap]\n"
			       "Name=system\n"),
			 0);
	assert_int_equal(n_warnings, 0);
	assert_int_equal(d.n_warnings, 0);
	assert_true(c.debug);
	assert_int_equal(c.n_heaps, 3);
	assert_int_equal(c.n_files, 1);
	assert_string_equal(c.files[0], "t.conf");

	h = &c.heaps[0];
	assert_string_equal(h->name, "memory@42000000-contiguous");
	assert_int_equal(h->kind, HEAP_KIND_REGION);
	assert_int_equal(h->base, 0x42000000);
	assert_int_equal(h->size, 64 << 20);
	assert_false(h->legacy_node);
	assert_int_equal(h->n_aliases, 3);
	assert_string_equal(h->aliases[0].name, "video@42000000");
	assert_false(h->aliases[0].legacy);
	assert_int_equal(h->aliases[0].origin.line, 12);
	assert_string_equal(h->aliases[1].name, "camera");
	assert_false(h->aliases[1].legacy);
	assert_string_equal(h->aliases[2].name, "reserved");
	assert_true(h->aliases[2].legacy);
	assert_int_equal(h->aliases[2].origin.line, 13);
	assert_int_equal(h->origin.file, 1);
	assert_int_equal(h->origin.line, 8);
	assert_int_equal(h->kind_origin.line, 9);
	assert_int_equal(h->base_origin.line, 10);
	assert_int_equal(h->size_origin.line, 11);
	assert_int_equal(h->legacy_node_origin.line, 0);

	h = &c.heaps[1];
	assert_string_equal(h->name, "default_cma_region");
	assert_int_equal(h->kind, HEAP_KIND_CONTIGUOUS);
	assert_true(h->legacy_node);
	assert_int_equal(h->legacy_node_origin.line, 18);
	assert_int_equal(h->n_aliases, 0);
	assert_int_equal(h->base_origin.line, 0);

	h = &c.heaps[2];
	assert_string_equal(h->name, "system");
	assert_int_equal(h->kind, HEAP_KIND_SYSTEM);
	assert_int_equal(h->kind_origin.line, 0);
}

static void test_booleans(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
		{ "yes", true },  { "true", true },   { "1", true },
		{ "on", true },	  { "no", false },    { "false", false },
		{ "0", false },	  { "off", false },
	};
	char text[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "[Daemon]\nDebug=%s\n",
			 cases[i].text);
		setup(NULL);
		c.debug = !cases[i].value;
		assert_int_equal(conffile_parse(&c, "t.conf", text, &d), 0);
		assert_int_equal(c.debug, cases[i].value);
	}
}

static void test_pool_size(void **state)
{
	assert_int_equal(c.pool_size, DH_POOL_SIZE_DEFAULT);
	assert_int_equal(c.pool_size_origin.line, 0);
	assert_int_equal(parse("[Daemon]\nPoolSize=0\n"), 0);
	assert_int_equal(c.pool_size, 0);
	assert_int_equal(c.pool_size_origin.line, 2);
	assert_int_equal(parse("[Daemon]\nChargeClients=no\nPoolSize=256M\n"),
			 0);
	assert_int_equal(c.pool_size, 256 << 20);
	assert_int_equal(d.n_warnings, 0);
	/*
	 * With ChargeClients=yes it bounds the pools kept per memory cgroup,
	 * all together: taken, not refused.
	 */
	assert_int_equal(parse("[Daemon]\nPoolSize=256M\n"), 0);
	assert_int_equal(c.pool_size, 256 << 20);
	assert_true(c.charge_clients);
	assert_int_equal(d.n_warnings, 0);
	assert_int_equal(parse("[Daemon]\nChargeClients=yes\nPoolSize=0\n"),
			 0);
	assert_int_equal(c.pool_size, 0);
	/* Without PoolSize=, the same default whatever ChargeClients= says. */
	assert_int_equal(parse("[Daemon]\nChargeClients=yes\n"), 0);
	config_finish(&c);
	assert_int_equal(c.pool_size, DH_POOL_SIZE_DEFAULT);
	assert_int_equal(parse("[Daemon]\nChargeClients=no\n"), 0);
	config_finish(&c);
	assert_int_equal(c.pool_size, DH_POOL_SIZE_DEFAULT);
}

/*
 * SeatAccess=: the heap's nodes for the user at the seat (uaccess), only
 * where that user's buffers are charged and capped (docs/udev.md).
 */
static void test_seat_access(void **state)
{
	assert_int_equal(parse("[Heap]\nName=system\n"), 0);
	assert_false(c.heaps[0].seat_access);
	assert_int_equal(c.heaps[0].seat_access_origin.line, 0);

	/* Accepted: ChargeClients=yes (the default) and a finite cap. */
	assert_int_equal(parse("[Heap]\nName=system\nMaxBytesPerUser=256M\nSeatAccess=yes\n"),
			 0);
	assert_true(c.heaps[0].seat_access);
	assert_int_equal(c.heaps[0].seat_access_origin.line, 4);
	assert_int_equal(parse("[Daemon]\nChargeClients=yes\n[Heap]\nName=system\nSeatAccess=yes\nMaxBytesPerUser=1G\n"),
			 0);
	assert_true(c.heaps[0].seat_access);
	assert_int_equal(d.n_warnings, 0);
	/* Off needs nothing. */
	assert_int_equal(parse("[Daemon]\nChargeClients=no\n[Heap]\nName=system\nSeatAccess=no\n"),
			 0);
	assert_false(c.heaps[0].seat_access);

	/* Refused without ChargeClients=yes, pointing at SeatAccess=. */
	assert_int_equal(parse("[Daemon]\nChargeClients=no\n[Heap]\nName=system\nMaxBytesPerUser=256M\nSeatAccess=yes\n"),
			 -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:6: SeatAccess=yes on heap \"system\" needs ChargeClients=yes"));
	assert_non_null(strstr(d.error, "not accounted in cgroup limits"));

	/* Refused without MaxBytesPerUser=, or with it infinite. */
	assert_int_equal(parse("[Heap]\nName=system\nSeatAccess=yes\n"),
			 -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:3: SeatAccess=yes on heap \"system\" needs a finite MaxBytesPerUser="));
	assert_non_null(strstr(d.error, "not accounted in cgroup limits"));
	assert_int_equal(parse("[Heap]\nName=system\nMaxBytesPerUser=256M\nSeatAccess=yes\nMaxBytesPerUser=infinity\n"),
			 -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:4: SeatAccess=yes on heap \"system\" needs a finite MaxBytesPerUser="));
	assert_int_equal(parse("[Heap]\nName=system\nMaxBytesPerUser=\nSeatAccess=yes\n"),
			 -EINVAL);

	/* Per heap: the other heap's cap does not count. */
	assert_int_equal(parse("[Heap]\nName=system\nSeatAccess=yes\n[Heap]\nName=camera\nMaxBytesPerUser=1M\n"),
			 -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:3: SeatAccess=yes on heap \"system\""));

	/* A drop-in may turn it on for a heap named earlier (merging). */
	assert_int_equal(parse("[Heap]\nName=system\nMaxBytesPerUser=64M\n[Heap]\nName=system\nSeatAccess=yes\n"),
			 0);
	assert_true(c.heaps[0].seat_access);
	assert_int_equal(c.heaps[0].seat_access_origin.line, 6);
	assert_int_equal(parse("[Heap]\nName=system\nSeatAccess=maybe\n"),
			 -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:3: invalid SeatAccess= \"maybe\": use yes or no"));
}

/*
 * ConditionCMA=: a contiguous heap served only where the kernel has a CMA
 * area (the drop itself is confcheck's, checked in the VMs: t-condition.sh).
 */
static void test_condition_cma(void **state)
{
	assert_int_equal(parse("[Heap]\nName=default_cma_region\nKind=contiguous\n"), 0);
	assert_false(c.heaps[0].condition_cma);
	assert_int_equal(c.heaps[0].condition_cma_origin.line, 0);
	assert_int_equal(parse("[Heap]\nName=default_cma_region\nKind=contiguous\nLegacyNode=yes\nConditionCMA=yes\n"),
			 0);
	assert_true(c.heaps[0].condition_cma);
	assert_int_equal(c.heaps[0].condition_cma_origin.line, 5);
	/* A drop-in may turn it off again for a heap named earlier. */
	assert_int_equal(parse("[Heap]\nName=a\nKind=contiguous\nConditionCMA=yes\n[Heap]\nName=a\nConditionCMA=no\n"),
			 0);
	assert_false(c.heaps[0].condition_cma);
	assert_int_equal(c.heaps[0].condition_cma_origin.line, 7);
	/* Only for contiguous heaps, and only yes or no. */
	assert_int_equal(parse("[Heap]\nName=system\nConditionCMA=yes\n"), -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:3: ConditionCMA= is only for Kind=contiguous heaps, heap \"system\" is Kind=system"));
	assert_int_equal(parse("[Heap]\nName=a\nKind=contiguous\nConditionCMA=perhaps\n"), -EINVAL);
	assert_non_null(strstr(d.error, "t.conf:4: invalid ConditionCMA= \"perhaps\": use yes or no"));
}

/* config_drop_heap(): the heaps after the dropped one move up, in order. */
static void test_drop_heap(void **state)
{
	assert_int_equal(parse("[Heap]\nName=a\n[Heap]\nName=b\n[Heap]\nName=c\n"), 0);
	config_drop_heap(&c, 1);
	assert_int_equal(c.n_heaps, 2);
	assert_string_equal(c.heaps[0].name, "a");
	assert_string_equal(c.heaps[1].name, "c");
	config_drop_heap(&c, 1);
	assert_int_equal(c.n_heaps, 1);
	config_drop_heap(&c, 1);
	assert_int_equal(c.n_heaps, 1);
	config_drop_heap(&c, 0);
	assert_int_equal(c.n_heaps, 0);
}

static void test_kernel_heaps(void **state)
{
	/* Default: move the kernel's nodes aside, no origin. */
	assert_int_equal(parse("[Heap]\nName=system\n"), 0);
	assert_int_equal(c.kernel_heaps, KERNEL_HEAPS_MOVE);
	assert_int_equal(c.kernel_heaps_origin.line, 0);

	assert_int_equal(parse("[Daemon]\nKernelHeaps=keep\n"), 0);
	assert_int_equal(c.kernel_heaps, KERNEL_HEAPS_KEEP);
	assert_int_equal(c.kernel_heaps_origin.line, 2);
	assert_int_equal(parse("[Daemon]\nKernelHeaps=keep\nKernelHeaps=move\n"), 0);
	assert_int_equal(c.kernel_heaps, KERNEL_HEAPS_MOVE);
	assert_int_equal(c.kernel_heaps_origin.line, 3);
	assert_int_equal(n_warnings, 0);

	/* Only the two words, as written. */
	assert_int_equal(parse("[Daemon]\n\nKernelHeaps=yes\n"), -EINVAL);
	assert_string_equal(d.error, "t.conf:3: invalid KernelHeaps= \"yes\": use move or keep");
	assert_int_equal(parse("[Daemon]\nKernelHeaps=Keep\n"), -EINVAL);
	assert_int_equal(parse("[Daemon]\nKernelHeaps=\n"), -EINVAL);
	/* A [Daemon] key, not a [Heap] one. */
	assert_int_equal(parse("[Heap]\nName=system\nKernelHeaps=keep\n"), 0);
	assert_int_equal(c.kernel_heaps, KERNEL_HEAPS_MOVE);
	assert_int_equal(n_warnings, 1);
	assert_non_null(strstr(warnings[0], "t.conf:3: unknown key \"KernelHeaps\""));

	assert_string_equal(kernel_heaps_name(KERNEL_HEAPS_MOVE), "move");
	assert_string_equal(kernel_heaps_name(KERNEL_HEAPS_KEEP), "keep");
}

static void test_sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t value;
	} cases[] = {
		{ "2097152", 2 << 20 },
		{ "0x200000", 2 << 20 },
		{ "2048K", 2 << 20 },
		{ "64M", 64 << 20 },
		{ "1G", UINT64_C(1) << 30 },
		{ "3G", UINT64_C(3) << 30 },
		{ "1T", UINT64_C(1) << 40 },
		{ "0x10M", 16 << 20 },
	};
	char text[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
			 "[Heap]\nName=r\nKind=region\nBase=0\nSize=%s\n",
			 cases[i].text);
		assert_int_equal(parse(text), 0);
		assert_int_equal(c.heaps[0].size, cases[i].value);
	}
	assert_int_equal(parse("[Heap]\nName=r\nKind=region\nBase=1073741824\nSize=2M\n"),
			 0);
	assert_int_equal(c.heaps[0].base, UINT64_C(1) << 30);
	assert_int_equal(parse("[Heap]\nName=r\nKind=region\nBase=0XFFE00000\nSize=2M\n"),
			 0);
	assert_int_equal(c.heaps[0].base, 0xffe00000);
	/* the highest region there can be */
	assert_int_equal(parse("[Heap]\nName=r\nKind=region\n"
			       "Base=0xffffffffffc00000\nSize=2M\n"),
			 0);
}

#define ALIGN_WHY "region heaps must be page (4 KiB) aligned and in fact 2 MiB aligned, the memory hotplug subsection granularity"

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int r;
		const char *error;
	} cases[] = {
		{ "Name=x\n", -EINVAL,
		  "t.conf:1: Name= outside of any section: put it below [Heap] or [Daemon]" },
		{ "[Heap]\nName=a\nbogus line\n", -EINVAL,
		  "t.conf:3: malformed line \"bogus line\": use Key=Value or [Section]" },
		{ "\n[Heap\nName=a\n", -EINVAL,
		  "t.conf:2: malformed section header \"[Heap\": use [Heap] or [Daemon]" },
		{ "[Heap]\nName=a\n = x\n", -EINVAL,
		  "t.conf:3: malformed line: no key before \"=\"" },
		{ "[Heap]\nKind=system\n", -EINVAL,
		  "t.conf:1: [Heap] section without Name=" },
		{ "[Daemon]\n[Heap]\nKind=system\n\n[Heap]\nName=x\n", -EINVAL,
		  "t.conf:2: [Heap] section without Name=" },
		{ "[Heap]\nName=\n", -EINVAL,
		  "t.conf:2: Name= must not be empty" },
		{ "[Heap]\nName=01234567890123456789012345678901234567890123456789012345678901234\n",
		  -EINVAL,
		  "t.conf:2: Name= \"01234567890123456789012345678901234567890123456789012345678901234\" is longer than 64 characters" },
		{ "[Heap]\nName=a\nKind=cma\n", -EINVAL,
		  "t.conf:3: invalid Kind= \"cma\": use system, contiguous or region" },
		{ "[Heap]\nName=a\nKind=\n", -EINVAL,
		  "t.conf:3: invalid Kind= \"\": use system, contiguous or region" },
		{ "[Heap]\nName=a\nKind=contiguous\nLegacyNode=maybe\n", -EINVAL,
		  "t.conf:4: invalid LegacyNode= \"maybe\": use yes or no" },
		{ "[Daemon]\nDebug=2\n", -EINVAL,
		  "t.conf:2: invalid Debug= \"2\": use yes or no" },
		{ "[Daemon]\nPoolSize=lots\n", -EINVAL,
		  "t.conf:2: invalid PoolSize= \"lots\": use a number of bytes with an optional K, M, G or T suffix" },
		{ "[Daemon]\nPoolSize=99999999T\n", -EINVAL,
		  "t.conf:2: PoolSize= \"99999999T\" is out of range" },
		{ "[Daemon]\nDebug=YES\n", -EINVAL,
		  "t.conf:2: invalid Debug= \"YES\": use yes or no" },
		{ "[Heap]\nName=a\nAlias=b 01234567890123456789012345678901234567890123456789012345678901234\n",
		  -EINVAL,
		  "t.conf:3: alias \"01234567890123456789012345678901234567890123456789012345678901234\" is longer than 64 characters" },
		{ "[Heap]\nName=r\nKind=region\nBase=xyz\n", -EINVAL,
		  "t.conf:4: invalid Base= \"xyz\": use a physical address, 0x hex or decimal" },
		{ "[Heap]\nName=r\nKind=region\nBase=-2097152\n", -EINVAL,
		  "t.conf:4: invalid Base= \"-2097152\": use a physical address, 0x hex or decimal" },
		{ "[Heap]\nName=r\nKind=region\nBase=0x\n", -EINVAL,
		  "t.conf:4: invalid Base= \"0x\": use a physical address, 0x hex or decimal" },
		{ "[Heap]\nName=r\nKind=region\nBase=0x200000 0x400000\n", -EINVAL,
		  "t.conf:4: invalid Base= \"0x200000 0x400000\": use a physical address, 0x hex or decimal" },
		/* one 0x: strtoull() of base 16 must not skip a second */
		{ "[Heap]\nName=r\nKind=region\nBase=0x0x200000\n", -EINVAL,
		  "t.conf:4: invalid Base= \"0x0x200000\": use a physical address, 0x hex or decimal" },
		{ "[Heap]\nName=r\nKind=region\nSize=0x0x200000\n", -EINVAL,
		  "t.conf:4: invalid Size= \"0x0x200000\": use a number of bytes with an optional K, M, G or T suffix" },
		{ "[Daemon]\nPoolSize=0X0x4M\n", -EINVAL,
		  "t.conf:2: invalid PoolSize= \"0X0x4M\": use a number of bytes with an optional K, M, G or T suffix" },
		{ "[Heap]\nName=r\nKind=region\nBase=64M\n", -EINVAL,
		  "t.conf:4: invalid Base= \"64M\": use a physical address, 0x hex or decimal" },
		{ "[Heap]\nName=r\nKind=region\nBase=0x10000000000000000\n", -EINVAL,
		  "t.conf:4: Base= \"0x10000000000000000\" is out of range" },
		{ "[Heap]\nName=r\nKind=region\nBase=0x30001000\n", -EINVAL,
		  "t.conf:4: Base=0x30001000 is not 2 MiB aligned: " ALIGN_WHY },
		{ "[Heap]\nName=r\nKind=region\nBase=0x30100000\n", -EINVAL,
		  "t.conf:4: Base=0x30100000 is not 2 MiB aligned: " ALIGN_WHY },
		{ "[Heap]\nName=r\nKind=region\nSize=0\n", -EINVAL,
		  "t.conf:4: Size= must not be 0" },
		{ "[Heap]\nName=r\nKind=region\nSize=0M\n", -EINVAL,
		  "t.conf:4: Size= must not be 0" },
		{ "[Heap]\nName=r\nKind=region\nSize=4K\n", -EINVAL,
		  "t.conf:4: Size=4K (0x1000 bytes) is not 2 MiB aligned: " ALIGN_WHY },
		{ "[Heap]\nName=r\nKind=region\nSize=3M\n", -EINVAL,
		  "t.conf:4: Size=3M (0x300000 bytes) is not 2 MiB aligned: " ALIGN_WHY },
		{ "[Heap]\nName=r\nKind=region\nSize=64MB\n", -EINVAL,
		  "t.conf:4: invalid Size= \"64MB\": use a number of bytes with an optional K, M, G or T suffix" },
		{ "[Heap]\nName=r\nKind=region\nSize=64m\n", -EINVAL,
		  "t.conf:4: invalid Size= \"64m\": use a number of bytes with an optional K, M, G or T suffix" },
		{ "[Heap]\nName=r\nKind=region\nSize=-2M\n", -EINVAL,
		  "t.conf:4: invalid Size= \"-2M\": use a number of bytes with an optional K, M, G or T suffix" },
		{ "[Heap]\nName=r\nKind=region\nSize=16777216T\n", -EINVAL,
		  "t.conf:4: Size= \"16777216T\" is out of range" },
		{ "[Heap]\nName=r\nKind=region\nSize=99999999999999999999\n",
		  -EINVAL,
		  "t.conf:4: Size= \"99999999999999999999\" is out of range" },
		/* the rules between keys, checked once all is read */
		{ "[Heap]\nName=a\nBase=0x40000000\n", -EINVAL,
		  "t.conf:3: Base= is only for Kind=region heaps, heap \"a\" is Kind=system" },
		{ "[Heap]\nName=a\nKind=contiguous\nSize=2M\n", -EINVAL,
		  "t.conf:4: Size= is only for Kind=region heaps, heap \"a\" is Kind=contiguous" },
		{ "[Heap]\nName=a\nLegacyNode=no\n", -EINVAL,
		  "t.conf:3: LegacyNode= is only for Kind=contiguous heaps, heap \"a\" is Kind=system" },
		{ "[Heap]\nName=a\nKind=region\nBase=0\nSize=2M\nLegacyNode=yes\n",
		  -EINVAL,
		  "t.conf:6: LegacyNode= is only for Kind=contiguous heaps, heap \"a\" is Kind=region" },
		{ "[Heap]\nKind=region\nName=r\nSize=2M\n", -EINVAL,
		  "t.conf:3: Kind=region heap \"r\" needs both Base= and Size=" },
		{ "[Heap]\nName=r\nKind=region\nBase=0x40000000\n", -EINVAL,
		  "t.conf:2: Kind=region heap \"r\" needs both Base= and Size=" },
		{ "[Heap]\nName=r\nKind=region\nBase=0xffffffffffe00000\nSize=4M\n",
		  -EINVAL,
		  "t.conf:5: heap \"r\": Base=0xffffffffffe00000 plus Size=0x400000 is beyond the end of the address space" },
		/* limits */
		{ "[Heap]\nName=a\nAlias=a1 a2 a3 a4\nLegacyAlias=l1 l2 l3 l4 l5\n",
		  -E2BIG, "t.conf:4: too many aliases: at most 8 per heap" },
		{ "[Heap]\nName=a\nAlias=a1 a2 a3 a4 a5\n"
		  "[Heap]\nName=b\n"
		  "[Heap]\nName=a\nAlias=a6 a7 a8\nAlias=a9\n", -E2BIG,
		  "t.conf:9: too many aliases for heap \"a\": at most 8 per heap" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(parse(cases[i].text), cases[i].r);
		assert_string_equal(d.error, cases[i].error);
	}
}

static void test_too_many_heaps(void **state)
{
	char text[2048] = "", line[32];
	int i;

	for (i = 0; i <= DH_HEAPS_MAX; i++) {
		snprintf(line, sizeof(line), "[Heap]\nName=h%d\n", i);
		strcat(text, line);
	}
	assert_int_equal(parse(text), -E2BIG);
	assert_string_equal(d.error, "t.conf:66: too many heaps: at most 32");
	assert_int_equal(c.n_heaps, DH_HEAPS_MAX);
}

static void test_warnings(void **state)
{
	assert_int_equal(parse("[Heap]\n"
			       "Name=a\n"
			       "Size2=4\n"
			       "name=b\n"
			       "[Daemon]\n"
			       "Verbose=yes\n"
			       "[Policy]\n"
			       "MaxBytes=1G\n"
			       "[Heap]\n"
			       "Name=b\n"),
			 0);
	assert_int_equal(n_warnings, 4);
	assert_int_equal(d.n_warnings, 4);
	assert_string_equal(warnings[0],
			    "t.conf:3: unknown key \"Size2\" in section [Heap], ignored");
	assert_string_equal(warnings[1],
			    "t.conf:4: unknown key \"name\" in section [Heap], ignored");
	assert_string_equal(warnings[2],
			    "t.conf:6: unknown key \"Verbose\" in section [Daemon], ignored");
	assert_string_equal(warnings[3],
			    "t.conf:7: unknown section [Policy], ignored");
	assert_int_equal(c.n_heaps, 2);
	assert_string_equal(c.heaps[0].name, "a");
	assert_string_equal(c.heaps[1].name, "b");

	/* no callback: counted all the same */
	setup(NULL);
	d.warn = NULL;
	assert_int_equal(conffile_parse(&c, "t.conf", "[X]\n", &d), 0);
	assert_int_equal(d.n_warnings, 1);
	assert_int_equal(n_warnings, 0);
}

static void assert_aliases(const struct heap_config *h, const char *want)
{
	char got[512] = "";
	size_t i;

	for (i = 0; i < h->n_aliases; i++) {
		if (i)
			strcat(got, " ");
		if (h->aliases[i].legacy)
			strcat(got, "L:");
		strcat(got, h->aliases[i].name);
	}
	assert_string_equal(got, want);
}

static void test_merge(void **state)
{
	const struct heap_config *h;

	assert_int_equal(parse("[Heap]\n"
			       "Name=video\n"
			       "Alias=v1 v2\n"
			       "LegacyAlias=old\n"
			       "[Heap]\n"
			       "Name=other\n"
			       "[Heap]\n"
			       "Alias=v3\n"
			       "Name=video\n"
			       "Kind=contiguous\n"
			       "Alias=v4\n"),
			 0);
	assert_int_equal(c.n_heaps, 2);
	h = &c.heaps[0];
	assert_int_equal(h->kind, HEAP_KIND_CONTIGUOUS);
	assert_int_equal(h->kind_origin.line, 10);
	assert_int_equal(h->origin.line, 2);
	assert_aliases(h, "v1 v2 L:old v3 v4");

	/* a later file merges too; an empty Alias= resets only Alias= */
	assert_int_equal(conffile_parse(&c, "u.conf",
					"[Heap]\n"
					"Name=video\n"
					"Alias=\n"
					"Alias=w1\n"
					"Kind=system\n",
					&d),
			 0);
	assert_int_equal(c.n_heaps, 2);
	assert_int_equal(c.n_files, 2);
	assert_int_equal(h->kind, HEAP_KIND_SYSTEM);
	assert_int_equal(h->kind_origin.file, 2);
	assert_int_equal(h->kind_origin.line, 5);
	assert_int_equal(h->origin.file, 1);
	assert_aliases(h, "L:old w1");
	assert_int_equal(h->aliases[1].origin.file, 2);
	assert_int_equal(h->aliases[1].origin.line, 4);

	/* an empty LegacyAlias= resets only those; a reset after adds too */
	assert_int_equal(conffile_parse(&c, "v.conf",
					"[Heap]\n"
					"Name=video\n"
					"Alias=w2\n"
					"LegacyAlias=gone\n"
					"LegacyAlias=\n"
					"LegacyAlias=new\n",
					&d),
			 0);
	assert_aliases(h, "w1 w2 L:new");

	/* keys a later section does not give are kept */
	assert_int_equal(parse("[Heap]\nName=r\nKind=region\nBase=0x40000000\nSize=2M\n"
			       "[Heap]\nName=r\nSize=8M\n"),
			 0);
	h = &c.heaps[0];
	assert_int_equal(h->kind, HEAP_KIND_REGION);
	assert_int_equal(h->base, 0x40000000);
	assert_int_equal(h->size, 8 << 20);
	assert_int_equal(h->size_origin.line, 8);
	assert_int_equal(h->base_origin.line, 4);

	/* a heap given on the command line merges like any other */
	setup(NULL);
	assert_int_equal(config_add_heap(&c, "video", HEAP_KIND_SYSTEM), 0);
	assert_int_equal(conffile_parse(&c, "t.conf",
					"[Heap]\nName=video\nAlias=cam\n", &d),
			 0);
	assert_int_equal(c.n_heaps, 1);
	assert_int_equal(c.heaps[0].origin.file, 0);
	assert_aliases(&c.heaps[0], "cam");
}

static void test_last_value_wins(void **state)
{
	assert_int_equal(parse("[Heap]\nName=a\nName=b\nKind=region\n"
			       "Kind=contiguous\n[Daemon]\nDebug=yes\nDebug=no\n"),
			 0);
	assert_int_equal(c.n_heaps, 1);
	assert_string_equal(c.heaps[0].name, "b");
	assert_int_equal(c.heaps[0].kind, HEAP_KIND_CONTIGUOUS);
	assert_false(c.debug);
}

static void test_empty(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(c.n_heaps, 0);
	assert_int_equal(parse("\n\n# nothing\n[Daemon]\n"), 0);
	assert_int_equal(c.n_heaps, 0);
	config_finish(&c);
	assert_int_equal(c.n_heaps, 1);
	assert_string_equal(c.heaps[0].name, "system");
}

/* Loading from files: a temp tree with three drop-in directories. */

static void link_in_root(const char *target, const char *rel)
{
	assert_int_equal(symlink(target, tree_path(rel)), 0);
}

static int setup_root(void **state)
{
	if (tree_setup(state) < 0)
		return -1;
	return setup(state);
}

static int load(const char *main_rel, const char *d1, const char *d2,
		const char *d3)
{
	const char *dirs[4] = { NULL };
	int n = 0;

	if (d1)
		dirs[n++] = tree_path(d1);
	if (d2)
		dirs[n++] = tree_path(d2);
	if (d3)
		dirs[n++] = tree_path(d3);
	setup(NULL);
	return config_load_files(&c, main_rel ? tree_path(main_rel) : NULL,
				 dirs, &d);
}

static void test_dropins(void **state)
{
	tree_mkdir("etc");
	tree_mkdir("run");
	tree_mkdir("usr");
	tree_put("main.conf", "[Heap]\nName=video\nAlias=main\n");
	tree_put("usr/10-a.conf", "[Heap]\nName=video\nAlias=usr-a\n");
	tree_put("etc/10-a.conf", "[Heap]\nName=video\nAlias=etc-a\n");
	tree_put("run/20-b.conf", "[Heap]\nName=video\nAlias=run-b\n");
	tree_put("usr/05-c.conf", "[Heap]\nName=video\nAlias=usr-c\n");
	tree_put("run/30-d.conf", "[Heap]\nName=video\nAlias=run-d\n");
	link_in_root("/dev/null", "etc/30-d.conf");
	tree_put("usr/40-e.conf", "[Heap]\nName=video\nAlias=usr-e\n");
	tree_put("run/40-e.conf", "");
	tree_put("usr/50-f.conf", "[Heap]\nName=video\nAlias=usr-f\n");
	tree_put("usr/README", "not a drop-in\n");
	tree_put("usr/60-g.conf~", "not a drop-in\n");
	tree_put("usr/.60-h.conf", "not a drop-in\n");
	tree_mkdir("usr/70-dir.conf");

	assert_int_equal(load("main.conf", "etc", "run", "usr"), 0);
	assert_int_equal(c.n_heaps, 1);
	/* main first, then by file name whatever the directory */
	assert_aliases(&c.heaps[0], "main usr-c etc-a run-b usr-f");
	/* the empty file is read (and applies nothing), /dev/null is not */
	assert_int_equal(c.n_files, 6);
	assert_string_equal(c.files[0], tree_path("main.conf"));
	assert_string_equal(c.files[1], tree_path("usr/05-c.conf"));
	assert_string_equal(c.files[2], tree_path("etc/10-a.conf"));
	assert_string_equal(c.files[3], tree_path("run/20-b.conf"));
	assert_string_equal(c.files[4], tree_path("run/40-e.conf"));
	assert_string_equal(c.files[5], tree_path("usr/50-f.conf"));
	assert_int_equal(c.heaps[0].aliases[2].origin.file, 3);
	assert_int_equal(c.heaps[0].aliases[2].origin.line, 3);
	assert_int_equal(n_warnings, 1);
	assert_string_equal(warnings[0],
			    tree_path("usr/70-dir.conf: not a regular file, ignored"));

	/* the order of the directories is the precedence */
	assert_int_equal(load(NULL, "usr", "run", "etc"), 0);
	assert_aliases(&c.heaps[0], "usr-c usr-a run-b run-d usr-e usr-f");

	/* a missing main file and missing directories are fine */
	assert_int_equal(load("nothing.conf", "etc", "nowhere", NULL), 0);
	assert_aliases(&c.heaps[0], "etc-a");
	assert_int_equal(load("nothing.conf", "nowhere", NULL, NULL), 0);
	assert_int_equal(c.n_heaps, 0);
	assert_int_equal(c.n_files, 0);
	assert_int_equal(load(NULL, NULL, NULL, NULL), 0);
	assert_int_equal(c.n_heaps, 0);
}

static void test_load_errors(void **state)
{
	tree_mkdir("a");
	tree_mkdir("b");
	tree_put("main.conf", "[Heap]\nName=video\n");
	tree_put("a/10.conf", "[Heap]\nName=video\nKind=region\nBase=0x40000000\n");
	tree_put("b/20.conf", "\n\n[Heap]\nName=video\nSize=2M\n");
	tree_put("b/30.conf", "[Heap]\nName=video\nKind=bad\n");

	/* an error names the drop-in and its line */
	assert_int_equal(load("main.conf", "a", "b", NULL), -EINVAL);
	assert_string_equal(d.error, tree_path("b/30.conf:3: invalid Kind= \"bad\": use system, contiguous or region"));

	/* the rules between keys hold over all files */
	tree_put("a/30.conf", "");
	assert_int_equal(load("main.conf", "a", "b", NULL), 0);
	assert_int_equal(c.heaps[0].base_origin.file, 2);
	assert_int_equal(c.heaps[0].size_origin.file, 3);
	assert_int_equal(c.heaps[0].size_origin.line, 5);
	assert_int_equal(load("main.conf", "a", NULL, NULL), -EINVAL);
	assert_string_equal(d.error, tree_path("main.conf:2: Kind=region heap \"video\" needs both Base= and Size="));

	/* a main file that is a directory, a drop-in "dir" that is a file */
	assert_int_equal(load("a", NULL, NULL, NULL), -EISDIR);
	assert_string_equal(d.error, tree_path("a: Is a directory"));
	assert_int_equal(load(NULL, "main.conf", NULL, NULL), 0);

	tree_put("bin.conf", "[Heap]\nName=x\n");
	assert_int_equal(truncate(tree_path("bin.conf"), 100), 0);
	assert_int_equal(load("bin.conf", NULL, NULL, NULL), -EINVAL);
	assert_string_equal(d.error, tree_path("bin.conf: contains a NUL byte, not a text file"));
}

static void test_config_load(void **state)
{
	tree_mkdir("my.conf.d");
	tree_put("my.conf", "[Heap]\nName=video\n");
	tree_put("my.conf.d/1.conf", "[Heap]\nName=video\nAlias=from-d\n");

	/* an explicit file brings FILE.d as its only drop-in directory */
	setup(NULL);
	assert_int_equal(config_load(&c, tree_path("my.conf"), &d), 0);
	assert_aliases(&c.heaps[0], "from-d");

	/* and must exist */
	setup(NULL);
	assert_int_equal(config_load(&c, tree_path("none.conf"), &d), -ENOENT);
	assert_string_equal(d.error, tree_path("none.conf: No such file or directory"));

	assert_string_equal(config_default_dropin_dirs[0], "/etc/dmaheapd.conf.d");
	assert_string_equal(config_default_dropin_dirs[1], "/run/dmaheapd.conf.d");
	assert_string_equal(config_default_dropin_dirs[2], "/usr/local/lib/dmaheapd.conf.d");
	assert_string_equal(config_default_dropin_dirs[3], "/usr/lib/dmaheapd.conf.d");
	assert_null(config_default_dropin_dirs[4]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_key, setup),
		cmocka_unit_test_setup(test_booleans, setup),
		cmocka_unit_test_setup(test_pool_size, setup),
		cmocka_unit_test_setup(test_seat_access, setup),
		cmocka_unit_test_setup(test_condition_cma, setup),
		cmocka_unit_test_setup(test_drop_heap, setup),
		cmocka_unit_test_setup(test_kernel_heaps, setup),
		cmocka_unit_test_setup(test_sizes, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_too_many_heaps, setup),
		cmocka_unit_test_setup(test_warnings, setup),
		cmocka_unit_test_setup(test_merge, setup),
		cmocka_unit_test_setup(test_last_value_wins, setup),
		cmocka_unit_test_setup(test_empty, setup),
		cmocka_unit_test_setup_teardown(test_dropins, setup_root,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup_root,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_config_load, setup_root,
						tree_teardown),
	};

	return cmocka_run_group_tests_name("conffile", tests, NULL, NULL);
}
