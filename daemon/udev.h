/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mark that tells udev a CUSE device is one of dmaheapd's nodes
 * (docs/udev.md): a synthetic uevent written to the device's sysfs uevent
 * file, which only root may write, and the look at udev's database that
 * says its rules have been applied.
 */
#ifndef DMAHEAPD_UDEV_H
#define DMAHEAPD_UDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as the kernel's uuid_is_valid() */
#define UDEV_UUID_LEN		36
/*
 * The synthetic event's argument: SYNTH_ARG_DMAHEAPD=1 (alphanumeric keys
 * only, Documentation/ABI/testing/sysfs-uevent).
 */
#define UDEV_MARK_ARG		"DMAHEAPD=1"
/*
 * And for a heap with SeatAccess=yes, SYNTH_ARG_DMAHEAPDSEAT=1: the rules
 * tag the node uaccess (logind's ACL for the user at the seat).
 */
#define UDEV_SEAT_ARG		"DMAHEAPDSEAT=1"
/* What udev/70-dmaheapd.rules stores from it: the event's SYNTH_UUID. */
#define UDEV_MARK_PROPERTY	"DMAHEAPD_MARK"
/* udev runs (or is socket-activated) when its control socket is there. */
#define UDEV_CONTROL		"/run/udev/control"
#define UDEV_DB_DIR		"/run/udev/data"
#define UDEV_SYSFS_CHAR		"/sys/dev/char"
/* Longest path of the three above, with a device number. */
#define UDEV_PATH_MAX		64

/* Pure: the text of a random (version 4) UUID made from @rnd. */
void udev_uuid_format(const uint8_t rnd[16], char ret_uuid[UDEV_UUID_LEN + 1]);

/*
 * Pure: what dmaheapd writes to a node's uevent file, "change UUID
 * DMAHEAPD=1", with " DMAHEAPDSEAT=1" if @seat, into @buf. 0, or -EINVAL for a UUID the kernel would refuse
 * and -ENOBUFS if @size is too small.
 */
int udev_mark_event(char *buf, size_t size, const char *uuid, bool seat);

/*
 * Pure: does the udev database entry @db (@len bytes, "E:KEY=VALUE" lines)
 * hold DMAHEAPD_MARK=@uuid, i.e. has udev applied its rules to the event
 * that carried @uuid?
 */
bool udev_db_has_mark(const char *db, size_t len, const char *uuid);

/* The sysfs uevent file and the udev database entry of char device @dev. */
void udev_uevent_path(dev_t dev, char *buf, size_t size);
void udev_db_path(dev_t dev, char *buf, size_t size);

/*
 * udev_mark() - mark char device @dev as dmaheapd's for udev
 *
 * Writes a synthetic change event with a new random UUID to its uevent
 * file, with the seat argument if @seat (SeatAccess=yes). Return: 0 and the UUID in @ret_uuid, or a negative errno (-EROFS
 * in a sandbox where /sys is read-only, -EACCES when not root).
 */
int udev_mark(dev_t dev, bool seat, char ret_uuid[UDEV_UUID_LEN + 1]);

/* Is udev there to apply rules? (Its control socket exists.) */
bool udev_running(void);

/* 1 if udev has processed the mark @uuid of @dev, 0 if not yet. */
int udev_marked(dev_t dev, const char *uuid);

#endif
