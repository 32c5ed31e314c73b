// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/udev.c: the UUID and the synthetic event dmaheapd
 * writes to a node's uevent file, in the form the kernel accepts
 * (kobject_synth_uevent(), Documentation/ABI/testing/sysfs-uevent), the
 * paths of a device, and finding the mark in udev's database entry; and of
 * daemon/marknodes.c, the list of nodes dmaheapd --mark-nodes reads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "marknodes.h"
#include "udev.h"

static void test_uuid(void **state)
{
	uint8_t zero[16] = { 0 }, ones[16];
	char uuid[UDEV_UUID_LEN + 1];

	udev_uuid_format(zero, uuid);
	assert_string_equal(uuid, "00000000-0000-4000-8000-000000000000");
	memset(ones, 0xff, sizeof(ones));
	udev_uuid_format(ones, uuid);
	assert_string_equal(uuid, "ffffffff-ffff-4fff-bfff-ffffffffffff");
	assert_int_equal(strlen(uuid), UDEV_UUID_LEN);
}

static void test_event(void **state)
{
	static const char uuid[] = "fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed";
	char buf[128];

	assert_int_equal(udev_mark_event(buf, sizeof(buf), uuid, false), 0);
	/* ACTION UUID KEY=VALUE, the key alphanumeric: SYNTH_ARG_DMAHEAPD=1 */
	assert_string_equal(buf,
		"change fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed DMAHEAPD=1");
	/* exactly long enough, and one byte short */
	assert_int_equal(udev_mark_event(buf, strlen(buf) + 1, uuid, false), 0);
	assert_int_equal(udev_mark_event(buf, strlen(buf), uuid, false), -ENOBUFS);

	/* SeatAccess=yes: a second argument, SYNTH_ARG_DMAHEAPDSEAT=1 */
	assert_int_equal(udev_mark_event(buf, sizeof(buf), uuid, true), 0);
	assert_string_equal(buf,
		"change fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed DMAHEAPD=1 DMAHEAPDSEAT=1");
	assert_int_equal(udev_mark_event(buf, strlen(buf), uuid, true), -ENOBUFS);

	/* what the kernel's uuid_is_valid() refuses, refused here first */
	assert_int_equal(udev_mark_event(buf, sizeof(buf), "", false), -EINVAL);
	assert_int_equal(udev_mark_event(buf, sizeof(buf),
		"fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18ee", false), -EINVAL);
	assert_int_equal(udev_mark_event(buf, sizeof(buf),
		"fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eedd", false), -EINVAL);
	assert_int_equal(udev_mark_event(buf, sizeof(buf),
		"fe4d7c9db8c6-4a70-9ef1-3d8a58d18eed-", false), -EINVAL);
	assert_int_equal(udev_mark_event(buf, sizeof(buf),
		"fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eeg", false), -EINVAL);
	assert_int_equal(udev_mark_event(buf, sizeof(buf),
		"fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18ee DMAHEAPD=1", false), -EINVAL);
	/* upper case hex is valid too */
	assert_int_equal(udev_mark_event(buf, sizeof(buf),
		"FE4D7C9D-B8C6-4A70-9EF1-3D8A58D18EED", false), 0);
}

static void test_paths(void **state)
{
	char buf[UDEV_PATH_MAX];

	udev_uevent_path(makedev(234, 0), buf, sizeof(buf));
	assert_string_equal(buf, "/sys/dev/char/234:0/uevent");
	udev_db_path(makedev(511, 1048575), buf, sizeof(buf));
	assert_string_equal(buf, "/run/udev/data/c511:1048575");
	udev_uevent_path(makedev(4095, 1048575), buf, sizeof(buf));
	assert_string_equal(buf, "/sys/dev/char/4095:1048575/uevent");
}

/* A database entry as udev 252 writes it for a marked node. */
static const char db[] =
	"I:5482371\n"
	"E:DMAHEAPD_HEAP=1\n"
	"E:DMAHEAPD_MARK=fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed\n"
	"G:dma_heap\n"
	"Q:dma_heap\n"
	"V:1\n";

#define MARK	"fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed"

static void test_db(void **state)
{
	size_t len = strlen(db);

	assert_true(udev_db_has_mark(db, len, MARK));
	/* another event's mark: an older one, or a later trigger's import */
	assert_false(udev_db_has_mark(db, len,
				      "0e4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed"));
	/* a prefix of the value is not the value */
	assert_false(udev_db_has_mark(db, len, "fe4d7c9d"));
	assert_false(udev_db_has_mark(db, len, ""));
	/* cut before the line ends: the whole value is not there */
	assert_false(udev_db_has_mark(db, strstr(db, MARK) - db + 10, MARK));
	/* the last line without its newline */
	assert_true(udev_db_has_mark("E:DMAHEAPD_MARK=" MARK,
				     strlen("E:DMAHEAPD_MARK=" MARK), MARK));
	/* the value under another key, or not at a line's start */
	assert_false(udev_db_has_mark("E:DMAHEAPD_HEAP=" MARK "\n",
				      strlen("E:DMAHEAPD_HEAP=" MARK "\n"), MARK));
	assert_false(udev_db_has_mark("XE:DMAHEAPD_MARK=" MARK "\n",
				      strlen("XE:DMAHEAPD_MARK=" MARK "\n"), MARK));
	assert_false(udev_db_has_mark("", 0, MARK));
}

static void test_nodes_path(void **state)
{
	char buf[NODES_PATH_MAX];

	nodes_file_path("/run/dmaheapd/control", buf, sizeof(buf));
	assert_string_equal(buf, "/run/dmaheapd/nodes");
	nodes_file_path("/tmp/x/ctl", buf, sizeof(buf));
	assert_string_equal(buf, "/tmp/x/nodes");
	nodes_file_path("ctl", buf, sizeof(buf));
	assert_string_equal(buf, "./nodes");
}

static void test_nodes_line(void **state)
{
	char name[NODES_NAME_MAX];
	bool seat = true;
	dev_t dev;

	assert_int_equal(nodes_file_parse_line("243:1 system", &dev, name,
					       sizeof(name), &seat), 0);
	assert_true(dev == makedev(243, 1));
	assert_string_equal(name, "system");
	assert_false(seat);
	/* SeatAccess=yes: a third field */
	assert_int_equal(nodes_file_parse_line("243:2 camera seat", &dev, name,
					       sizeof(name), &seat), 0);
	assert_true(dev == makedev(243, 2));
	assert_string_equal(name, "camera");
	assert_true(seat);
	/* only that word, once */
	assert_int_equal(nodes_file_parse_line("243:2 camera Seat", &dev, name,
					       sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243:2 camera seat seat", &dev,
					       name, sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243:2 camera seats", &dev,
					       name, sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243:2 camera ", &dev,
					       name, sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("10:0 linux,cma", &dev, name,
					       sizeof(name), &seat), 0);
	assert_string_equal(name, "linux,cma");
	/* no name, a path, a space, no number, junk, too long */
	assert_int_equal(nodes_file_parse_line("243:1 ", &dev, name,
					       sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243:1 ../x", &dev, name,
					       sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243:1 a b", &dev, name,
					       sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("system", &dev, name,
					       sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243 system", &dev, name,
					       sizeof(name), &seat), -EINVAL);
	assert_int_equal(nodes_file_parse_line("243:1 system", &dev, name, 6, &seat),
			 -EINVAL);
}

/* What nodes_file_write() writes, each line read back as it went in. */
static void test_nodes_roundtrip(void **state)
{
	const char *names[] = { "system", "reserved" };
	const bool seats[] = { true, false };
	dev_t devs[] = { makedev(243, 0), makedev(243, 7) }, dev;
	bool seat;
	char dir[] = "/tmp/test-udev-XXXXXX", path[NODES_PATH_MAX];
	char line[128], name[NODES_NAME_MAX];
	FILE *f;
	int i = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" NODES_FILE, dir);
	assert_int_equal(nodes_file_write(path, devs, names, seats, 2), 0);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		assert_true(i < 2);
		assert_int_equal(nodes_file_parse_line(line, &dev, name,
						       sizeof(name), &seat), 0);
		assert_true(dev == devs[i]);
		assert_string_equal(name, names[i]);
		assert_int_equal(seat, seats[i]);
		i++;
	}
	fclose(f);
	assert_int_equal(i, 2);
	/* Replaced whole: one node left. */
	assert_int_equal(nodes_file_write(path, devs, names, seats, 1), 0);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_db),
		cmocka_unit_test(test_nodes_path),
		cmocka_unit_test(test_nodes_line),
		cmocka_unit_test(test_nodes_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
