// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/names.c: every rule of the naming convention, both
 * ways, its exemptions, the suggestions, uniqueness.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "conffile.h"
#include "names.h"

#define RULE_UNIQUE "\"The name must describe the memory region the heap will allocate from, and must uniquely identify it in a given platform.\""
#define RULE_IMPLEMENTATION "\"The name must not mention implementation details, such as the allocator.\""
#define RULE_PROPERTIES "\"The name should describe properties of the buffers that would be allocated.\""

#define SYS HEAP_KIND_SYSTEM
#define CONTIG HEAP_KIND_CONTIGUOUS
#define REGION HEAP_KIND_REGION

static struct config c;
static struct config_diag d;

static void test_accepted(void **state)
{
	static const struct {
		const char *name;
		enum heap_kind kind;
		bool legacy;
	} cases[] = {
		{ "system", SYS, false },
		{ "default_cma_region", CONTIG, false },
		{ "memory@42000000-contiguous", REGION, false },
		{ "video@42000000", REGION, false },
		{ "memory@30000000-contiguous", CONTIG, false },
		{ "Camera.Contiguous", CONTIG, false },
		{ "video", SYS, false },
		{ "userspace-system", SYS, false },
		/* words, not substrings */
		{ "compool", SYS, false },
		{ "region", SYS, false },
		{ "pooled", SYS, false },
		{ "cmake", SYS, false },
		{ "dma", SYS, false },
		{ "buf", SYS, false },
		{ "contiguously", SYS, false },
		/* legacy aliases may name the allocator */
		{ "reserved", CONTIG, true },
		{ "linux,cma", CONTIG, true },
		{ "default-pool", CONTIG, true },
		{ "cma-video", SYS, true },
		{ "default_cma_region", SYS, true },
		/* the longest name */
		{ "0123456789012345678901234567890123456789012345678901234567890123",
		  SYS, false },
	};
	char msg[DH_ERROR_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("%s\n", cases[i].name);
		msg[0] = '\0';
		assert_int_equal(name_check(cases[i].name, cases[i].kind,
					    0x42000000, cases[i].legacy, msg,
					    sizeof(msg)),
				 0);
		assert_string_equal(msg, "");
	}
}

static void test_refused(void **state)
{
	static const struct {
		const char *name;
		enum heap_kind kind;
		bool legacy;
		const char *msg;
	} cases[] = {
		/* a single node name */
		{ "", SYS, false,
		  "\"\" is not a valid node name: use 1 to 64 letters, digits or @._,+- (not \".\" or \"..\"); try \"memory\"" },
		{ ".", SYS, false,
		  "\".\" is not a valid node name: use 1 to 64 letters, digits or @._,+- (not \".\" or \"..\"); try \"memory\"" },
		{ "..", CONTIG, true,
		  "\"..\" is not a valid node name: use 1 to 64 letters, digits or @._,+- (not \".\" or \"..\"); try \"memory-contiguous\"" },
		{ "video/cam", SYS, false,
		  "\"video/cam\" is not a valid node name: use 1 to 64 letters, digits or @._,+- (not \".\" or \"..\"); try \"video-cam\"" },
		{ "my cma heap", SYS, false,
		  "\"my cma heap\" is not a valid node name: use 1 to 64 letters, digits or @._,+- (not \".\" or \"..\"); try \"my-heap\"" },
		{ "01234567890123456789012345678901234567890123456789012345678901234",
		  SYS, false,
		  "\"01234567890123456789012345678901234567890123456789012345678901234\" is not a valid node name: use 1 to 64 letters, digits or @._,+- (not \".\" or \"..\"); try \"0123456789012345678901234567890123456789012345678901234567890123\"" },
		/* no allocator, no implementation */
		{ "cma-video", SYS, false,
		  "\"cma-video\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"video\"" },
		{ "video-cma", CONTIG, false,
		  "\"video-cma\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"video-contiguous\"" },
		{ "cma_video", CONTIG, false,
		  "\"cma_video\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"video-contiguous\"" },
		{ "Video.CMA", CONTIG, false,
		  "\"Video.CMA\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"Video-contiguous\"" },
		{ "linux,cma", CONTIG, false,
		  "\"linux,cma\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"linux-contiguous\"" },
		{ "default-pool", SYS, false,
		  "\"default-pool\" mentions the allocator or the implementation (\"pool\"): " RULE_IMPLEMENTATION "; try \"default\"" },
		{ "carveout@42000000", REGION, false,
		  "\"carveout@42000000\" mentions the allocator or the implementation (\"carveout\"): " RULE_IMPLEMENTATION "; try \"memory@42000000-contiguous\"" },
		{ "video_dma_buf", SYS, false,
		  "\"video_dma_buf\" mentions the allocator or the implementation (\"dma-buf\"): " RULE_IMPLEMENTATION "; try \"video\"" },
		{ "dmabuf+ion", SYS, false,
		  "\"dmabuf+ion\" mentions the allocator or the implementation (\"dmabuf\"): " RULE_IMPLEMENTATION "; try \"memory\"" },
		{ "dmaheapd-system", SYS, false,
		  "\"dmaheapd-system\" mentions the allocator or the implementation (\"dmaheapd\"): " RULE_IMPLEMENTATION "; try \"system\"" },
		{ "memory@cma-42000000", SYS, false,
		  "\"memory@cma-42000000\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"memory@42000000\"" },
		/* the kernel's CMA heap name is for a contiguous heap only */
		{ "default_cma_region", SYS, false,
		  "\"default_cma_region\" is the kernel's name for its heap of physically contiguous buffers, for a Kind=contiguous heap only, not Kind=system: " RULE_UNIQUE "; try \"default_region\"" },
		{ "default_cma_region", REGION, false,
		  "\"default_cma_region\" is the kernel's name for its heap of physically contiguous buffers, for a Kind=contiguous heap only, not Kind=region: " RULE_UNIQUE "; try \"memory@42000000-contiguous\"" },
		/* properties */
		{ "video-contiguous", SYS, false,
		  "\"video-contiguous\" says \"contiguous\" but a Kind=system heap is not physically contiguous: " RULE_PROPERTIES "; try \"video\"" },
		{ "Contiguous", SYS, true,
		  "\"Contiguous\" says \"contiguous\" but a Kind=system heap is not physically contiguous: " RULE_PROPERTIES "; try \"memory\"" },
		{ "video-protected", SYS, false,
		  "\"video-protected\" says \"protected\", for encrypted buffers not accessible to the OS, which no dmaheapd heap allocates: " RULE_PROPERTIES "; try \"video\"" },
		{ "secure@protected-contiguous", CONTIG, true,
		  "\"secure@protected-contiguous\" says \"protected\", for encrypted buffers not accessible to the OS, which no dmaheapd heap allocates: " RULE_PROPERTIES "; try \"secure@contiguous\"" },
	};
	char msg[DH_ERROR_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("%s\n", cases[i].name);
		assert_int_equal(name_check(cases[i].name, cases[i].kind,
					    0x42000000, cases[i].legacy, msg,
					    sizeof(msg)),
				 -EINVAL);
		assert_string_equal(msg, cases[i].msg);
	}
}

/* Each word of the list is refused alone and inside a name. */
static void test_every_word(void **state)
{
	const char *const *w;
	char name[80], msg[DH_ERROR_MAX], better[DH_HEAP_NAME_MAX + 1];
	size_t n = 0;

	for (w = name_implementation_words; *w; w++, n++) {
		snprintf(name, sizeof(name), "video-%s@1000", *w);
		assert_int_equal(name_check(name, SYS, 0, false, msg,
					    sizeof(msg)),
				 -EINVAL);
		name_suggest(name, SYS, 0, better, sizeof(better));
		assert_string_equal(better, "video@1000");
		assert_int_equal(name_check(*w, CONTIG, 0, false, msg,
					    sizeof(msg)),
				 -EINVAL);
		assert_int_equal(name_check(*w, CONTIG, 0, true, msg,
					    sizeof(msg)),
				 0);
	}
	assert_int_equal(n, 21);
}

static void test_suggestions(void **state)
{
	static const struct {
		const char *name;
		enum heap_kind kind;
		uint64_t base;
		const char *better;
	} cases[] = {
		{ "cma-video", SYS, 0, "video" },
		{ "cma-video", CONTIG, 0, "video-contiguous" },
		{ "contiguous-video-cma", CONTIG, 0, "contiguous-video" },
		{ "contiguous-video", SYS, 0, "video" },
		{ "cma", SYS, 0, "memory" },
		{ "cma", CONTIG, 0, "memory-contiguous" },
		{ "pool_page", CONTIG, 0, "memory-contiguous" },
		{ "secure-protected-video", SYS, 0, "secure-video" },
		{ "video__cma__cam", SYS, 0, "video_cam" },
		{ "--video--", SYS, 0, "video" },
		{ "cma@30000000", REGION, 0x30000000, "memory@30000000-contiguous" },
		{ "anything", REGION, 0x1234600000, "memory@1234600000-contiguous" },
		{ "x", CONTIG, 0, "x-contiguous" },
		{ "0123456789012345678901234567890123456789012345678901234567890123",
		  CONTIG, 0,
		  "01234567890123456789012345678901234567890123456789012-contiguous" },
		{ "01234567890123456789012345678901234567890123456789012-45678",
		  CONTIG, 0,
		  "01234567890123456789012345678901234567890123456789012-contiguous" },
		{ "012345678901234567890123456789012345678901234567890123-5678",
		  CONTIG, 0,
		  "01234567890123456789012345678901234567890123456789012-contiguous" },
		{ "a b\tc", SYS, 0, "a-b-c" },
		/* found by fuzz-config: a word dropped joins two into one
		 * ("dma-buf"), the cut to length shortens "pageant" to one */
		{ "dma-cma-buf", SYS, 0, "memory" },
		{ "video-dma-cma-buf", SYS, 0, "video" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-pageant",
		  CONTIG, 0,
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-contiguous" },
	};
	char better[DH_HEAP_NAME_MAX + 1], msg[DH_ERROR_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("%s\n", cases[i].name);
		name_suggest(cases[i].name, cases[i].kind, cases[i].base,
			     better, sizeof(better));
		assert_string_equal(better, cases[i].better);
		/* a suggestion follows the rules itself */
		assert_int_equal(name_check(better, cases[i].kind,
					    cases[i].base, false, msg,
					    sizeof(msg)),
				 0);
	}
}

static int parse(const char *text)
{
	int r;

	config_init(&c);
	memset(&d, 0, sizeof(d));
	r = conffile_parse(&c, "t.conf", text, &d);
	assert_int_equal(r, 0);
	return names_check_config(&c, &d);
}

static void test_config(void **state)
{
	assert_int_equal(parse("[Heap]\n"
			       "Name=memory@30000000-contiguous\n"
			       "Kind=region\nBase=0x30000000\nSize=64M\n"
			       "Alias=video@30000000\n"
			       "[Heap]\n"
			       "Name=default_cma_region\n"
			       "Kind=contiguous\n"
			       "LegacyAlias=reserved linux,cma\n"
			       "[Heap]\nName=system\n"),
			 0);

	assert_int_equal(parse("[Heap]\nName=system\n"
			       "[Heap]\nName=video\nAlias=cma-video\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    "t.conf:5: Alias= \"cma-video\" mentions the allocator or the implementation (\"cma\"): " RULE_IMPLEMENTATION "; try \"video\"");

	assert_int_equal(parse("[Heap]\nName=video-contiguous\n"), -EINVAL);
	assert_string_equal(d.error,
			    "t.conf:2: Name= \"video-contiguous\" says \"contiguous\" but a Kind=system heap is not physically contiguous: " RULE_PROPERTIES "; try \"video\"");

	/* the kind of the heap decides for its aliases too */
	assert_int_equal(parse("[Heap]\nName=video\nAlias=cam-contiguous\n"
			       "[Heap]\nName=video\nKind=contiguous\n"),
			 0);
}

/*
 * A heap and each of its aliases is a node, 64 at most: 8 heaps of 8
 * aliases each (72) are refused here, with the heap that passes the
 * bound, before a region is claimed or a node made (the daemon found it
 * only when making the 65th node).
 */
static void test_nodes_bound(void **state)
{
	char text[8192], *p = text;
	int i, j;

	for (i = 0; i < 8; i++) {
		p += sprintf(p, "[Heap]\nName=h%d\nAlias=", i);
		for (j = 0; j < 8; j++)
			p += sprintf(p, "h%d-%d ", i, j);
		p += sprintf(p, "\n");
		if (i == 6)	/* 63 nodes */
			assert_int_equal(parse(text), 0);
	}
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(d.error,
			    "t.conf:23: 72 nodes with heap \"h7\", a heap and each of its aliases one: at most 64");
}

static void test_unique(void **state)
{
	assert_int_equal(parse("[Heap]\nName=video\nAlias=cam\n"
			       "[Heap]\nName=other\nAlias=x cam\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    "t.conf:6: Alias= \"cam\" repeats Alias= \"cam\" of t.conf:3: " RULE_UNIQUE "; try \"cam-2\"");

	assert_int_equal(parse("[Heap]\nName=video\n"
			       "[Heap]\nName=other\nLegacyAlias=video\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    "t.conf:5: LegacyAlias= \"video\" repeats Name= \"video\" of t.conf:2: " RULE_UNIQUE "; try \"video-2\"");

	assert_int_equal(parse("[Heap]\nName=video\nAlias=video\n"), -EINVAL);
	assert_string_equal(d.error,
			    "t.conf:3: Alias= \"video\" repeats Name= \"video\" of t.conf:2: " RULE_UNIQUE "; try \"video-2\"");

	/* across files, and with a heap from the command line */
	config_init(&c);
	memset(&d, 0, sizeof(d));
	assert_int_equal(config_add_heap(&c, "cam", SYS), 0);
	assert_int_equal(conffile_parse(&c, "a.conf", "[Heap]\nName=video\n",
					&d),
			 0);
	assert_int_equal(conffile_parse(&c, "b.conf",
					"\n[Heap]\nName=other\nAlias=cam\n", &d),
			 0);
	assert_int_equal(names_check_config(&c, &d), -EINVAL);
	assert_string_equal(d.error,
			    "b.conf:4: Alias= \"cam\" repeats --heap \"cam\" of command line: " RULE_UNIQUE "; try \"cam-2\"");

	/* a bad name from the command line */
	config_init(&c);
	assert_int_equal(config_add_heap(&c, "ion", SYS), 0);
	assert_int_equal(names_check_config(&c, &d), -EINVAL);
	assert_string_equal(d.error,
			    "command line: --heap \"ion\" mentions the allocator or the implementation (\"ion\"): " RULE_IMPLEMENTATION "; try \"memory\"");
}

static void test_existing(void **state)
{
	static const char *const existing[] = { "system", "reserved" };

	assert_int_equal(parse("[Heap]\nName=userspace-system\n"
			       "[Heap]\nName=default_cma_region\n"
			       "Kind=contiguous\nLegacyAlias=linux,cma\n"),
			 0);
	assert_int_equal(names_check_existing(&c, existing, 2, &d), 0);
	assert_int_equal(names_check_existing(&c, existing, 0, &d), 0);

	assert_int_equal(parse("[Heap]\nName=video\n"
			       "[Heap]\nName=default_cma_region\n"
			       "Kind=contiguous\nLegacyAlias=reserved\n"),
			 0);
	assert_int_equal(names_check_existing(&c, existing, 2, &d), -EEXIST);
	assert_string_equal(d.error,
			    "t.conf:6: LegacyAlias= \"reserved\": /dev/dma_heap/reserved already exists: the kernel or another program serves a heap of that name: " RULE_UNIQUE "; try \"reserved-contiguous\"");

	config_init(&c);
	config_finish(&c);
	assert_int_equal(names_check_existing(&c, existing, 2, &d), -EEXIST);
	assert_string_equal(d.error,
			    "built-in default: heap \"system\": /dev/dma_heap/system already exists: the kernel or another program serves a heap of that name: " RULE_UNIQUE "; try \"system-2\"");

	/* the numbered suggestion skips what exists too */
	{
		static const char *const more[] = { "system", "system-2" };

		assert_int_equal(names_check_existing(&c, more, 2, &d),
				 -EEXIST);
		assert_non_null(strstr(d.error, "; try \"system-3\""));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_every_word),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_nodes_bound),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_existing),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
