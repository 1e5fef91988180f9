/* capsa cp with `-`: a small tar writer and reader (see capsa/engine.h, capsa_cp_tar_*).
 *
 * `capsa` links no libarchive on purpose (src/cli/meson.build), and cp needs only what `docker cp`
 * streams: directories, regular files and symlinks, in the GNU format (GNU `L`/`K` entries for long
 * names, pax `path`/`linkpath` records read).  Extraction never follows a symlink: every parent
 * directory of a member is opened with O_NOFOLLOW from the target directory, and a member named
 * absolutely or with a `..` component is refused, so nothing can land outside the target. */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "fsops.h"
#include "util.h"

#define BLK 512

struct hdr
{
  char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], type, linkname[100];
  char magic[8], uname[32], gname[32], devmajor[8], devminor[8], prefix[155], pad[12];
};
_Static_assert(sizeof (struct hdr) == BLK, "a tar header is one block");

/* --- writing ------------------------------------------------------------------------------------ */

/* a name field: cut at its size (the whole name is in an L or K entry before it) */
static void
copy_field (char *f, size_t size, const char *s)
{
  size_t n = strlen (s);
  memcpy (f, s, n < size ? n : size);
}

static int
put_header (int out, const char *name, const struct stat *st, char type, const char *link, size_t size, capsa_err **err)
{
  struct hdr h = { 0 };
  unsigned sum = 0;

  copy_field (h.name, sizeof h.name, name);
  snprintf (h.mode, sizeof h.mode, "%07o", (unsigned) (st->st_mode & 07777));
  snprintf (h.uid, sizeof h.uid, "%07o", (unsigned) st->st_uid & 07777777);
  snprintf (h.gid, sizeof h.gid, "%07o", (unsigned) st->st_gid & 07777777);
  snprintf (h.size, sizeof h.size, "%011llo", (unsigned long long) size);
  snprintf (h.mtime, sizeof h.mtime, "%011llo", (unsigned long long) st->st_mtime & 077777777777ULL);
  h.type = type;
  if (link)
    copy_field (h.linkname, sizeof h.linkname, link);
  memcpy (h.magic, "ustar  ", 8); /* the GNU format: it has the L and K entries */
  memset (h.chksum, ' ', sizeof h.chksum);
  for (size_t i = 0; i < BLK; i++)
    sum += ((unsigned char *) &h)[i];
  snprintf (h.chksum, sizeof h.chksum, "%06o", sum);
  if (write_all (out, &h, BLK) < 0)
    return capsa_fail (err, errno, "write the tar stream");
  return 0;
}

/* zeros up to the end of the block that `len` bytes of data ended in */
static int
put_pad (int out, size_t len, capsa_err **err)
{
  static const char zero[BLK];
  if (len % BLK && write_all (out, zero, BLK - len % BLK) < 0)
    return capsa_fail (err, errno, "write the tar stream");
  return 0;
}

static int
put_data (int out, const void *buf, size_t len, capsa_err **err)
{
  if (write_all (out, buf, len) < 0)
    return capsa_fail (err, errno, "write the tar stream");
  return put_pad (out, len, err);
}

/* A header, with GNU long-name (L) and long-link (K) entries before it where a name does not fit. */
static int
put_entry (int out, const char *name, const struct stat *st, char type, const char *link, size_t size, capsa_err **err)
{
  static const struct stat none = { .st_mode = 0644 };
  if (link && strlen (link) >= 100
      && (put_header (out, "././@LongLink", &none, 'K', NULL, strlen (link) + 1, err) < 0
          || put_data (out, link, strlen (link) + 1, err) < 0))
    return -1;
  if (strlen (name) >= 100
      && (put_header (out, "././@LongLink", &none, 'L', NULL, strlen (name) + 1, err) < 0
          || put_data (out, name, strlen (name) + 1, err) < 0))
    return -1;
  return put_header (out, name, st, type, link, size, err);
}

static int
put_file (int out, int fd, const struct stat *st, const char *name, capsa_err **err)
{
  char p[64], buf[65536];
  off_t left = st->st_size;
  snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
  cleanup_close int in = open (p, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return capsa_fail (err, errno, "open `%s` to read", name);
  if (put_entry (out, name, st, '0', NULL, (size_t) st->st_size, err) < 0)
    return -1;
  while (left > 0)
    {
      size_t want = left < (off_t) sizeof buf ? (size_t) left : sizeof buf;
      ssize_t n = read (in, buf, want);
      if (n < 0)
        return capsa_fail (err, errno, "read `%s`", name);
      if (n == 0) /* it shrank while read: the header said st_size, so pad to it */
        {
          memset (buf, 0, sizeof buf);
          n = (ssize_t) want;
        }
      if (write_all (out, buf, (size_t) n) < 0)
        return capsa_fail (err, errno, "write the tar stream");
      left -= n;
    }
  return put_pad (out, (size_t) st->st_size, err);
}

static int put_node (int out, int fd, const char *name, capsa_cp_tar_warn_fn *warn, capsa_err **err);

struct put_to
{
  int out;
  capsa_cp_tar_warn_fn *warn;
};

static int
put_child (int child, const char *entry, const char *path, void *data, capsa_err **err)
{
  struct put_to *t = data;
  return put_node (t->out, child, path, t->warn, err);
}

static int
put_dir (int out, int fd, const struct stat *st, const char *name, capsa_cp_tar_warn_fn *warn, capsa_err **err)
{
  cleanup_free char *dname = xasprintf ("%s/", name);
  if (put_entry (out, dname, st, '5', NULL, 0, err) < 0)
    return -1;
  struct put_to t = { out, warn };
  return fs_each_entry (fd, name, name, put_child, &t, err);
}

static int
put_node (int out, int fd, const char *name, capsa_cp_tar_warn_fn *warn, capsa_err **err)
{
  struct stat st;
  char target[4096];
  if (fstat (fd, &st) < 0)
    return capsa_fail (err, errno, "stat `%s`", name);
  if (S_ISDIR (st.st_mode))
    return put_dir (out, fd, &st, name, warn, err);
  if (S_ISREG (st.st_mode))
    return put_file (out, fd, &st, name, err);
  if (S_ISLNK (st.st_mode))
    {
      ssize_t n = readlinkat (fd, "", target, sizeof target - 1);
      if (n < 0)
        return capsa_fail (err, errno, "readlink `%s`", name);
      target[n] = '\0';
      return put_entry (out, name, &st, '2', target, 0, err);
    }
  if (S_ISFIFO (st.st_mode))
    return put_entry (out, name, &st, '6', NULL, 0, err);
  /* device nodes and sockets are left out of the stream, named (as cp to a directory does) */
  cleanup_free char *msg = xasprintf ("skipped `%s`: not a file, directory, symlink or FIFO", name);
  warn (msg);
  return 0;
}

int
capsa_cp_tar_write (int out, int srcfd, const char *name, capsa_cp_tar_warn_fn *warn, capsa_err **err)
{
  static const char end[2 * BLK];
  if (put_node (out, srcfd, name, warn, err) < 0)
    return -1;
  if (write_all (out, end, sizeof end) < 0)
    return capsa_fail (err, errno, "write the tar stream");
  return 0;
}

/* --- reading ------------------------------------------------------------------------------------ */

struct member
{
  char *name, *link; /* from L/K or pax entries before the header, else from it */
  char type;
  mode_t mode;
  unsigned long long size;
};

static int
get_block (int in, void *buf, capsa_err **err)
{
  size_t got = 0;
  while (got < BLK)
    {
      ssize_t n = read (in, (char *) buf + got, BLK - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return capsa_fail (err, errno, "read the tar stream");
      if (n == 0)
        return got == 0 ? 0 : capsa_fail_as (err, EINVAL, "the tar stream ends inside a block");
      got += (size_t) n;
    }
  return 1;
}

static unsigned long long
octal (const char *f, size_t n)
{
  unsigned long long v = 0;
  size_t i = 0;
  while (i < n && f[i] == ' ')
    i++;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
    v = v * 8 + (unsigned) (f[i] - '0');
  return v;
}

/* The data of a member: into `out` (a file), into `*buf` (a long name or pax records), or skipped. */
static int
get_data (int in, unsigned long long size, int out, char **buf, capsa_err **err)
{
  char blk[BLK];
  unsigned long long done = 0;
  if (buf)
    {
      if (size > 1 << 20)
        return capsa_fail_as (err, EINVAL, "a tar name entry of %llu bytes: refused", size);
      *buf = calloc (1, size + 1);
    }
  while (done < size)
    {
      int r = get_block (in, blk, err);
      size_t n = size - done < BLK ? (size_t) (size - done) : BLK;
      if (r <= 0)
        return r < 0 ? -1 : capsa_fail_as (err, EINVAL, "the tar stream ends inside a member");
      if (buf)
        memcpy (*buf + done, blk, n);
      else if (out >= 0 && write_all (out, blk, n) < 0)
        return capsa_fail (err, errno, "write");
      done += n;
    }
  return 0;
}

/* pax records "LEN key=value\n": path and linkpath replace the header's names */
static void
pax_names (const char *rec, struct member *m)
{
  while (*rec)
    {
      char *end;
      unsigned long len = strtoul (rec, &end, 10);
      const char *kv = end + 1, *stop = rec + len;
      if (len == 0 || *end != ' ' || memchr (rec, '\0', len) != NULL)
        return;
      size_t vlen = (size_t) (stop - kv) - 1;
      if (strncmp (kv, "path=", 5) == 0)
        free (m->name), m->name = strndup (kv + 5, vlen - 5);
      else if (strncmp (kv, "linkpath=", 9) == 0)
        free (m->link), m->link = strndup (kv + 9, vlen - 9);
      rec = stop;
    }
}

/* The directory member `name` goes in, opened from `dstdir` one component at a time, never
   through a symlink; missing directories are made.  `*leaf` is its last component ("" for "."). */
static int
open_parent (int dstdir, const char *name, char **leaf, capsa_err **err)
{
  cleanup_free char *copy = xstrdup (name);
  char *save = NULL, *comp = strtok_r (copy, "/", &save), *next;
  int cur = fcntl (dstdir, F_DUPFD_CLOEXEC, 3);

  if (name[0] == '/')
    return close (cur), capsa_fail_as (err, EINVAL, "member `%s`: an absolute name: refused", name);
  for (; comp && strcmp (comp, ".") == 0; comp = strtok_r (NULL, "/", &save))
    ;
  for (; comp; comp = next)
    {
      for (next = strtok_r (NULL, "/", &save); next && strcmp (next, ".") == 0; next = strtok_r (NULL, "/", &save))
        ;
      if (strcmp (comp, "..") == 0)
        return close (cur),
               capsa_fail_as (err, EINVAL, "member `%s`: `..` would lead out of the target: refused", name);
      if (next == NULL)
        break;
      if (mkdirat (cur, comp, 0755) < 0 && errno != EEXIST)
        return close (cur), capsa_fail (err, errno, "member `%s`: mkdir `%s`", name, comp);
      int fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (cur);
      if (fd < 0)
        return capsa_fail (err, errno == ELOOP ? ENOTDIR : errno,
                           "member `%s`: `%s` is not a directory (a symlink is never followed)", name, comp);
      cur = fd;
    }
  *leaf = xstrdup (comp ? comp : "");
  return cur;
}

/* a non-directory in the way of `leaf` is replaced (never written through) */
static void
clear_leaf (int dir, const char *leaf, bool keep_dir)
{
  struct stat st;
  if (fstatat (dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !(keep_dir && S_ISDIR (st.st_mode)))
    if (unlinkat (dir, leaf, 0) < 0)
      unlinkat (dir, leaf, AT_REMOVEDIR);
}

static int
put_member (int in, int dstdir, const struct member *m, int dir, const char *leaf, capsa_cp_tar_warn_fn *warn,
            capsa_err **err)
{
  if (m->type == '5')
    {
      clear_leaf (dir, leaf, true);
      if (*leaf && mkdirat (dir, leaf, m->mode) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "member `%s`: mkdir", m->name);
      return get_data (in, m->size, -1, NULL, err);
    }
  if (*leaf == '\0')
    return capsa_fail_as (err, EINVAL, "member `%s`: no name", m->name);
  clear_leaf (dir, leaf, false);
  if (m->type == '0' || m->type == '\0' || m->type == '7')
    {
      cleanup_close int fd = openat (dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, m->mode);
      if (fd < 0)
        return capsa_fail (err, errno, "member `%s`: create", m->name);
      fchmod (fd, m->mode);
      return get_data (in, m->size, fd, NULL, err);
    }
  int r = 0;
  if (m->type == '2')
    r = symlinkat (m->link ? m->link : "", dir, leaf);
  else if (m->type == '6')
    r = mknodat (dir, leaf, S_IFIFO | m->mode, 0);
  else if (m->type == '1')
    {
      /* the target is found in the target directory the same way: never through a symlink */
      cleanup_free char *tleaf = NULL;
      cleanup_close int tdir = open_parent (dstdir, m->link ? m->link : "", &tleaf, err);
      if (tdir < 0)
        return -1;
      r = linkat (tdir, tleaf, dir, leaf, 0);
    }
  else
    {
      cleanup_free char *msg = xasprintf ("skipped `%s`: a device node or an unknown member (type %c)", m->name,
                                          m->type);
      warn (msg);
    }
  if (r < 0)
    return capsa_fail (err, errno, "member `%s`: create", m->name);
  return get_data (in, m->size, -1, NULL, err);
}

/* One header: 1 with a member to extract in `m`, 2 for a name entry (read into `m`), 0 at the end. */
static int
get_header (int in, struct member *m, capsa_err **err)
{
  struct hdr h;
  unsigned sum = 0;
  int r = get_block (in, &h, err);
  if (r <= 0)
    return r;
  for (size_t i = 0; i < BLK; i++)
    sum += i >= offsetof (struct hdr, chksum) && i < offsetof (struct hdr, type) ? ' ' : ((unsigned char *) &h)[i];
  if (sum == 8 * ' ')
    return 0; /* a zero block: the end */
  if (sum != octal (h.chksum, sizeof h.chksum))
    return capsa_fail_as (err, EINVAL, "the tar stream has a bad header checksum (not a tar archive?)");
  m->size = octal (h.size, sizeof h.size);
  m->mode = (mode_t) octal (h.mode, sizeof h.mode) & 07777;
  m->type = h.type;
  cleanup_free char *data = NULL;
  if (h.type == 'L' || h.type == 'K' || h.type == 'x' || h.type == 'g')
    {
      if (get_data (in, m->size, -1, &data, err) < 0)
        return -1;
      if (h.type == 'L')
        free (m->name), m->name = xstrdup (data);
      else if (h.type == 'K')
        free (m->link), m->link = xstrdup (data);
      else if (h.type == 'x')
        pax_names (data, m);
      return 2;
    }
  if (m->name == NULL)
    m->name = memcmp (h.magic, "ustar", 6) == 0 && h.prefix[0] ? xasprintf ("%.155s/%.100s", h.prefix, h.name)
                                                               : strndup (h.name, sizeof h.name);
  if (m->link == NULL)
    m->link = strndup (h.linkname, sizeof h.linkname);
  return 1;
}

int
capsa_cp_tar_extract (int in, int dstdir, capsa_cp_tar_warn_fn *warn, capsa_err **err)
{
  struct member m = { 0 };
  int r;
  while ((r = get_header (in, &m, err)) > 0)
    {
      if (r == 2)
        continue;
      cleanup_free char *leaf = NULL;
      cleanup_close int dir = open_parent (dstdir, m.name, &leaf, err);
      if (dir < 0 || put_member (in, dstdir, &m, dir, leaf, warn, err) < 0)
        r = -1;
      free (m.name);
      free (m.link);
      m = (struct member){ 0 };
      if (r < 0)
        return -1;
    }
  free (m.name);
  free (m.link);
  return r;
}

int
capsa_ctr_open_root (struct capsa_engine *e, struct ctr *c, capsa_err **err)
{
  if (c->pid > 0)
    {
      cleanup_free char *p = xasprintf ("/proc/%d/root", (int) c->pid);
      int fd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0)
        return fd;
    }
  if (capsa_ctr_root_ensure (e, c->id, err) < 0)
    return -1;
  const char *rootfs = json_string_value (
      json_object_get (json_object_get (json_object_get (c->meta, "GraphDriver"), "Data"), "MergedDir"));
  int fd = rootfs ? open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd < 0)
    return capsa_fail (err, errno, "open the root filesystem of %s", capsa_ctr_name (c));
  return fd;
}
