/* The mount table of a process (/proc/self/mountinfo, /proc/PID/mountinfo), parsed once.
 *
 * A line is "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER"
 * (proc(5)); ROOT and POINT come with their octal escapes (\040 for a space) undone.  Lines that
 * do not have that shape are skipped.
 *
 * Ownership: every string of an entry points into the table's own buffer; mountinfo_free releases
 * the whole table.  A zeroed struct mountinfo is an empty table; after a failed read the table is
 * empty too (n == 0), so a caller that can do without it may ignore the error.
 */
#ifndef CAPSA_MOUNTINFO_H
#define CAPSA_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct mountinfo_entry
{
  char *root;   /* the path of the filesystem mounted there ("/" for a whole one) */
  char *point;  /* the mount point */
  char *opts;   /* per-mount options: "rw,nosuid,relatime" */
  char *fstype; /* "ext4", "cgroup2" */
  char *source; /* "/dev/sda1", "cgroup" */
  char *super;  /* per-superblock options: "rw,memory" ("" when the line has none) */
};

struct mountinfo
{
  struct mountinfo_entry *m; /* in the file's order (the last one at a point is the visible one) */
  size_t n;
  char *buf; /* the file's text, owned */
};

/* Read and parse path.  Fails (-1, empty table) when it cannot be read. */
int mountinfo_read (const char *path, struct mountinfo *mi, capsa_err **err);
/* Parse text (malloc'd: the table takes it over, and writes into it). */
void mountinfo_parse (char *text, struct mountinfo *mi);
void mountinfo_free (struct mountinfo *mi);
#define cleanup_mountinfo __attribute__ ((cleanup (mountinfo_free)))

/* The mount now visible at point (the last one mounted there), NULL when none. */
const struct mountinfo_entry *mountinfo_at (const struct mountinfo *mi, const char *point);
/* Is opt one of the comma-separated words of opts (a mount's opts or super options)?  opts may
 * be NULL. */
bool mount_opt_has (const char *opts, const char *opt);

#endif
