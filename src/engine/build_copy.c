/* capsa build: COPY, ADD and WORKDIR (build.h).  Sources are resolved inside the context (or the
 * root of a --from image) by df_glob, .dockerignore'd paths left out; the destination inside a
 * root of the step's parent image mounted as a container's (so that the image's own symlinks,
 * /lib -> usr/lib, are followed as the container sees them, and never out of it).  Copies are
 * owned by root, or --chown's user (names from the image's /etc/passwd); --chmod sets the mode of
 * what is copied; times and modes are kept otherwise.  ADD extracts a local tar archive (plain,
 * gzip, bzip2, xz, zstd) with its owners; ADD of a URL is refused (no network here). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/util.h"
#include "build.h"
#include "digest.h"
#include "fsops.h"
#include "jsonutil.h"
#include "layer.h"
#include "strbuf.h"
#include "util.h"

/* What a COPY copies from, and how. */
struct copy_src
{
  int rootfd; /* the context, or a --from root */
  const struct df_ignore *ig;
  char *from_root; /* the --from root's id (unmounted at the end), NULL */
  char **matches;  /* relative paths */
  char *dest;      /* absolute in the image */
  bool dest_dir;   /* the destination is a directory (ends with /, or several sources) */
  bool add;
  unsigned uid, gid;
  bool keep_owner; /* --from without --chown: the owners of the source (docker's and buildah's rule) */
  int chmod;       /* -1: keep */
};

static void
copy_src_free (struct bctx *b, struct copy_src *c)
{
  if (c->from_root)
    build_root_drop (b, c->from_root);
  free (c->from_root);
  if (c->rootfd >= 0 && c->rootfd != b->ctxfd)
    close (c->rootfd);
  cleanup_strv_fn (&c->matches);
  free (c->dest);
}

static int
open_from (struct bctx *b, const char *from, struct copy_src *c, capsa_err **err)
{
  char img[CAPSA_DIGEST_LEN + 1];
  cleanup_free char *rootfs = NULL;
  if (build_from_ref (b, from, img, err) < 0 || build_root_mount (b, img, &c->from_root, &rootfs, err) < 0)
    return -1;
  c->rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->rootfd < 0)
    return capsa_fail (err, errno, "open `%s`", rootfs);
  return 0;
}

/* Sources and destination of in, expanded and resolved. */
static int
copy_src_init (struct bctx *b, const struct df_instr *in, struct copy_src *c, capsa_err **err)
{
  size_t n = strv_len (in->args);
  cleanup_free char *from = NULL;
  c->rootfd = b->ctxfd;
  c->ig = b->ig;
  c->chmod = -1;
  c->add = in->kind == DF_ADD;
  if (n < 2)
    return capsa_fail_as (err, EINVAL, "%s requires at least two arguments", in->keyword);
  if (df_flag (in, "from") && build_expand (b, df_flag (in, "from"), &from, err) < 0)
    return -1;
  if (from && (c->ig = NULL, open_from (b, from, c, err) < 0))
    return -1;
  for (size_t i = 0; i + 1 < n; i++)
    {
      cleanup_free char *pat = NULL;
      cleanup_strv char **m = NULL;
      if (build_expand (b, in->args[i], &pat, err) < 0)
        return -1;
      if (strstr (pat, "://"))
        return capsa_fail_as (err, ENOTSUP, "%s of a URL (%s) is not supported: no network in builds", in->keyword,
                              pat);
      if (df_glob (c->rootfd, pat, c->ig, &m, err) < 0)
        return -1;
      for (char **p = m; p && *p; p++)
        strv_append (&c->matches, *p);
    }
  cleanup_free char *dest = NULL;
  if (build_expand (b, in->args[n - 1], &dest, err) < 0)
    return -1;
  size_t dl = strlen (dest);
  c->dest_dir = dl == 0 || dest[dl - 1] == '/' || (dl >= 2 && strcmp (dest + dl - 2, "/.") == 0)
                || strcmp (dest, ".") == 0;
  if (strv_len (c->matches) > 1 && !c->dest_dir)
    return capsa_fail_as (err, EINVAL,
                          "%s with more than one source file: the destination must be a directory and "
                          "end with a /",
                          in->keyword);
  const char *wd = jstr (b->cur->config, "WorkingDir");
  c->dest = dest[0] == '/' ? xstrdup (dest) : xasprintf ("%s/%s", wd && *wd ? wd : "", dest);
  const char *mode = df_flag (in, "chmod");
  if (mode)
    {
      char *end;
      long m = strtol (mode, &end, 8);
      if (*mode == '\0' || *end || m < 0 || m > 07777)
        return capsa_fail_as (err, EINVAL, "%s --chmod=%s: not an octal mode", in->keyword, mode);
      c->chmod = (int) m;
    }
  return 0;
}

/* --- walking the sources --------------------------------------------------------------------- */

typedef int walk_fn (int fd, const struct stat *st, const char *rel, void *arg, capsa_err **err);

struct walker
{
  const struct df_ignore *ig;
  walk_fn *fn;
  walk_fn *leave; /* after a directory's entries, NULL */
  void *arg;
};

static int walk (struct walker *w, int fd, const char *rel, capsa_err **err);

static int
walk_child (int child, const char *entry, const char *path, void *arg, capsa_err **err)
{
  struct walker *w = arg;
  (void) entry;
  path += path[0] == '/'; /* the root's entries: "/name" */
  if (w->ig && df_ignore_excluded (w->ig, path) && !df_ignore_has_exceptions (w->ig))
    return 0;
  return walk (w, child, path, err);
}

static int
walk (struct walker *w, int fd, const char *rel, capsa_err **err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return capsa_fail (err, errno, "stat `%s`", rel);
  bool excluded = w->ig && strcmp (rel, ".") != 0 && df_ignore_excluded (w->ig, rel);
  if (!excluded && w->fn (fd, &st, rel, w->arg, err) < 0)
    return -1;
  if (!S_ISDIR (st.st_mode))
    return 0;
  if (fs_each_entry (fd, rel, strcmp (rel, ".") == 0 ? "" : rel, walk_child, w, err) < 0)
    return -1;
  return !excluded && w->leave ? w->leave (fd, &st, rel, w->arg, err) : 0;
}

/* --- the digest ------------------------------------------------------------------------------ */

static int
hash_entry (int fd, const struct stat *st, const char *rel, void *arg, capsa_err **err)
{
  capsa_sha256 *h = arg;
  char line[256], content[CAPSA_DIGEST_LEN + 1] = "";
  if (S_ISREG (st->st_mode))
    {
      cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
      cleanup_close int rfd = open (p, O_RDONLY | O_CLOEXEC);
      if (rfd < 0 || capsa_sha256_fd (rfd, content, NULL, err) < 0)
        return rfd < 0 ? capsa_fail (err, errno, "read `%s`", rel) : -1;
    }
  else if (S_ISLNK (st->st_mode))
    {
      ssize_t n = readlinkat (fd, "", content, sizeof content - 1);
      content[n > 0 ? n : 0] = '\0';
    }
  snprintf (line, sizeof line, "%o %lld %s\n", (unsigned) st->st_mode, (long long) st->st_size, content);
  capsa_sha256_update (h, rel, strlen (rel) + 1);
  capsa_sha256_update (h, line, strlen (line));
  return 0;
}

/* COPY --from: the image's id stands for what it holds (content-addressed), so nothing is mounted
 * or read to know whether the step is cached. */
static int
from_digest (struct bctx *b, const char *raw, char *digest, capsa_err **err)
{
  cleanup_free char *from = NULL;
  char id[CAPSA_DIGEST_LEN + 1];
  if (build_expand (b, raw, &from, err) < 0 || build_from_ref (b, from, id, err) < 0)
    return -1;
  cleanup_free char *text = xasprintf ("from %s", id);
  capsa_sha256_buf (text, strlen (text), digest);
  return 0;
}

int
build_copy_digest (struct bctx *b, const struct df_instr *in, char *digest, capsa_err **err)
{
  if (df_flag (in, "from"))
    return from_digest (b, df_flag (in, "from"), digest, err);
  struct copy_src c = { .rootfd = -1 };
  capsa_sha256 h;
  int r = copy_src_init (b, in, &c, err);
  capsa_sha256_init (&h);
  struct walker w = { c.ig, hash_entry, NULL, &h };
  for (char **m = c.matches; r == 0 && m && *m; m++)
    {
      cleanup_close int fd = capsa_rootpath_open (c.rootfd, *m, O_PATH, err);
      r = fd < 0 ? -1 : walk (&w, fd, *m, err);
    }
  if (r == 0)
    capsa_sha256_final (&h, digest);
  else
    capsa_sha256_free (&h);
  copy_src_free (b, &c);
  return r;
}

/* --- the copy -------------------------------------------------------------------------------- */

/* Open (O_PATH) directory path inside rootfd, making what is missing (0755, uid:gid). */
static int
open_dest_dir (int rootfd, const char *path, unsigned uid, unsigned gid, capsa_err **err)
{
  cleanup_free char *copy = xstrdup (path);
  int fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
  char *save = NULL;
  struct strbuf sofar = { 0 };
  for (char *comp = strtok_r (copy, "/", &save); comp && fd >= 0; comp = strtok_r (NULL, "/", &save))
    {
      strbuf_printf (&sofar, "%s%s", sofar.len ? "/" : "", comp);
      int next = capsa_rootpath_open (rootfd, sofar.buf, O_PATH | O_DIRECTORY, NULL);
      if (next < 0)
        {
          if (mkdirat (fd, comp, 0755) < 0 && errno != EEXIST)
            next = capsa_fail (err, errno, "create directory `/%s`", sofar.buf);
          else if (fchownat (fd, comp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            next = capsa_fail (err, errno, "chown `/%s`", sofar.buf);
          else if ((next = capsa_rootpath_open (rootfd, sofar.buf, O_PATH | O_DIRECTORY, err)) < 0)
            next = -1;
        }
      close (fd);
      fd = next;
    }
  free (sofar.buf);
  return fd;
}

struct copier
{
  struct copy_src *c;
  int rootfd;       /* the image root being changed */
  const char *base; /* the source path that maps to dest */
  const char *dest; /* absolute */
};

/* Where rel (below c->base) goes in the image. */
static char *
dest_of (struct copier *k, const char *rel)
{
  size_t n = strlen (k->base);
  const char *tail = strcmp (k->base, ".") == 0 ? rel : rel + n;
  if (strcmp (rel, k->base) == 0 || strcmp (rel, ".") == 0)
    tail = "";
  while (*tail == '/')
    tail++;
  return *tail ? xasprintf ("%s/%s", k->dest, tail) : xstrdup (k->dest);
}

static int
copy_data (int fd, int out, const char *rel, capsa_err **err)
{
  cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
  cleanup_close int in = open (p, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return capsa_fail (err, errno, "read `%s`", rel);
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0)
        return capsa_fail (err, errno, "read `%s`", rel);
      if (n == 0)
        return 0;
      if (write_all (out, buf, (size_t) n) < 0)
        return capsa_fail (err, errno, "write `%s`", rel);
    }
}

/* Make the entry at parent/name, as src is (a file, a symlink, a directory, a fifo). */
static int
make_entry (struct copier *k, int fd, const struct stat *st, int parent, const char *name, const char *rel,
            capsa_err **err)
{
  struct copy_src *c = k->c;
  mode_t mode = c->chmod >= 0 ? (mode_t) c->chmod : st->st_mode & 07777;
  uid_t uid = c->keep_owner ? st->st_uid : c->uid;
  gid_t gid = c->keep_owner ? st->st_gid : c->gid;
  struct stat old;
  bool exists = fstatat (parent, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
  if (S_ISDIR (st->st_mode))
    {
      if (exists && S_ISDIR (old.st_mode))
        return fchmodat (parent, name, mode, 0) < 0 ? capsa_fail (err, errno, "chmod `%s`", rel) : 0;
      if (exists && fs_rm_rf_at (parent, name, err) < 0)
        return -1;
      if (mkdirat (parent, name, mode) < 0)
        return capsa_fail (err, errno, "create directory for `%s`", rel);
    }
  else
    {
      if (exists && fs_rm_rf_at (parent, name, err) < 0)
        return -1;
      if (S_ISLNK (st->st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (fd, "", target, sizeof target - 1);
          if (n < 0)
            return capsa_fail (err, errno, "read the link `%s`", rel);
          target[n] = '\0';
          if (symlinkat (target, parent, name) < 0)
            return capsa_fail (err, errno, "create the link for `%s`", rel);
          return fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? capsa_fail (err, errno, "chown `%s`", rel)
                                                                            : 0;
        }
      if (S_ISFIFO (st->st_mode))
        {
          if (mkfifoat (parent, name, mode) < 0)
            return capsa_fail (err, errno, "create the fifo for `%s`", rel);
        }
      else if (S_ISREG (st->st_mode))
        {
          cleanup_close int out = openat (parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          if (out < 0 || copy_data (fd, out, rel, err) < 0)
            return out < 0 ? capsa_fail (err, errno, "create the copy of `%s`", rel) : -1;
          struct timespec ts[2] = { st->st_atim, st->st_mtim };
          futimens (out, ts);
        }
      else
        return 0; /* devices and sockets are not copied (docker's neither) */
    }
  if (fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat (parent, name, mode, 0) < 0)
    return capsa_fail (err, errno, "set the owner and mode of the copy of `%s`", rel);
  return 0;
}

static int
copy_entry (int fd, const struct stat *st, const char *rel, void *arg, capsa_err **err)
{
  struct copier *k = arg;
  cleanup_free char *dst = dest_of (k, rel);
  /* the source directory itself maps to the destination directory: made, not replaced */
  if (S_ISDIR (st->st_mode) && strcmp (dst, k->dest) == 0)
    {
      int d = open_dest_dir (k->rootfd, dst, k->c->uid, k->c->gid, err);
      if (d < 0)
        return -1;
      close (d);
      return 0;
    }
  char *slash = strrchr (dst, '/');
  *slash = '\0';
  cleanup_close int parent = open_dest_dir (k->rootfd, dst, k->c->uid, k->c->gid, err);
  if (parent < 0)
    return -1;
  return make_entry (k, fd, st, parent, slash + 1, rel, err);
}

/* ADD of a local archive: extracted into the destination directory. */
static int
is_archive (int fd)
{
  unsigned char m[512];
  cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
  cleanup_close int in = open (p, O_RDONLY | O_CLOEXEC);
  ssize_t n = in < 0 ? -1 : pread (in, m, sizeof m, 0);
  if (n < 6)
    return 0;
  return (m[0] == 0x1f && m[1] == 0x8b) || memcmp (m, "BZh", 3) == 0
         || memcmp (m,
                    "\xfd"
                    "7zXZ",
                    5)
                == 0
         || memcmp (m, "\x28\xb5\x2f\xfd", 4) == 0 || (n >= 262 && memcmp (m + 257, "ustar", 5) == 0);
}

static int
extract (struct copier *k, int fd, const char *rel, capsa_err **err)
{
  cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
  cleanup_close int in = open (p, O_RDONLY | O_CLOEXEC);
  cleanup_close int dir = open_dest_dir (k->rootfd, k->dest, k->c->uid, k->c->gid, err);
  if (in < 0 || dir < 0)
    return in < 0 ? capsa_fail (err, errno, "read `%s`", rel) : -1;
  cleanup_free char *dp = xasprintf ("/proc/self/fd/%d", dir);
  cleanup_close int wdir = open (dp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct capsa_layer_opts lo = { .whiteouts = false };
  struct capsa_layer_result res;
  if (wdir < 0)
    return capsa_fail (err, errno, "open `%s`", k->dest);
  return capsa_layer_apply (in, wdir, &lo, &res, err) < 0 ? capsa_err_wrap (err, "ADD: extract `%s`", rel) : 0;
}

static int
copy_one (struct copier *k, const char *match, capsa_err **err)
{
  struct copy_src *c = k->c;
  cleanup_close int fd = capsa_rootpath_open (c->rootfd, match, O_PATH, err);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return fd < 0 ? -1 : capsa_fail (err, errno, "stat `%s`", match);
  cleanup_free char *dest = NULL;
  k->base = match;
  if (S_ISREG (st.st_mode) && c->add && is_archive (fd))
    {
      k->dest = c->dest;
      return extract (k, fd, match, err);
    }
  if (!S_ISDIR (st.st_mode))
    {
      cleanup_close int d = capsa_rootpath_open (k->rootfd, c->dest, O_PATH | O_DIRECTORY, NULL);
      const char *slash = strrchr (match, '/');
      if (c->dest_dir || d >= 0)
        dest = xasprintf ("%s/%s", c->dest, slash ? slash + 1 : match);
    }
  k->dest = dest ? dest : c->dest;
  struct walker w = { c->ig, copy_entry, NULL, k };
  return walk (&w, fd, match, err);
}

static int
copy_into (struct bctx *b, struct copy_src *c, const char *rootfs, capsa_err **err)
{
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return capsa_fail (err, errno, "open `%s`", rootfs);
  const char *chown = df_flag (b->in, "chown");
  if (chown && capsa_ctr_resolve_user (rootfs, chown, &c->uid, &c->gid, NULL, err) < 0)
    return -1;
  c->keep_owner = c->from_root && chown == NULL;
  struct copier k = { c, rootfd, NULL, NULL };
  for (char **m = c->matches; m && *m; m++)
    if (copy_one (&k, *m, err) < 0)
      return -1;
  return 0;
}

static char *
copy_created_by (const struct df_instr *in, const char *key)
{
  return xasprintf ("/bin/sh -c #(nop) %s %s in %s", in->keyword, key + 7, in->args[strv_len (in->args) - 1]);
}

int
build_copy_step (struct bctx *b, const struct df_instr *in, const char *key, char *out, capsa_err **err)
{
  struct copy_src c = { .rootfd = -1 };
  cleanup_free char *rid = NULL, *rootfs = NULL, *by = copy_created_by (in, key);
  int r = copy_src_init (b, in, &c, err);
  if (r == 0)
    r = build_root_mount (b, NULL, &rid, &rootfs, err);
  if (r == 0)
    r = copy_into (b, &c, rootfs, err);
  if (r == 0)
    r = build_root_commit (b, rid, key, by, out, err);
  build_root_drop (b, rid);
  copy_src_free (b, &c);
  return r;
}

int
build_workdir_step (struct bctx *b, const struct df_instr *in, const char *key, char *out, capsa_err **err)
{
  const char *dir = jstr (b->cur->config, "WorkingDir");
  cleanup_free char *by = xasprintf ("/bin/sh -c #(nop) WORKDIR %s", dir ? dir : "/");
  cleanup_free char *rid = NULL, *rootfs = NULL;
  (void) in;
  if (build_root_mount (b, NULL, &rid, &rootfs, err) < 0)
    return -1;
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int have = rootfd < 0 ? -1 : capsa_rootpath_open (rootfd, dir ? dir : "/", O_PATH, NULL);
  int r = 0;
  if (have < 0)
    {
      int fd = rootfd < 0 ? capsa_fail (err, errno, "open `%s`", rootfs) : open_dest_dir (rootfd, dir, 0, 0, err);
      r = fd < 0 ? -1 : (close (fd), build_root_commit (b, rid, key, by, out, err));
    }
  else
    r = build_commit_config (b, key, by, out, err);
  build_root_drop (b, rid);
  return r;
}
