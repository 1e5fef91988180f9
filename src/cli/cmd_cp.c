/* capsa cp CONTAINER:SRC HOST-DST | HOST-SRC CONTAINER:DST
 *
 * Paths inside the container are resolved through fds as if its root were "/" (resolve_in_root.h), so a
 * symlink in the container (absolute, or full of "..") can never lead outside it; below the top
 * every entry is opened with O_NOFOLLOW and symlinks are copied as symlinks.  A running
 * container is reached through /proc/PID/root (its volumes and tmpfs mounts too). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/util.h"
#include "cli.h"

/* The copy's direction (devices are not made on the host). */
struct cp_ctx
{
  bool to_host;
};

static int copy_node (const struct cp_ctx *x, int srcfd, int dstdir, const char *name, const char *rel,
                      capsa_err **err);

static int
copy_file (int srcfd, const struct stat *st, int dstdir, const char *name, capsa_err **err)
{
  char p[64];
  snprintf (p, sizeof p, "/proc/self/fd/%d", srcfd);
  cleanup_close int in = open (p, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return capsa_fail (err, errno, "open `%s` to read", name);
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
  cleanup_close int out = openat (dstdir, name, flags, st->st_mode & 07777);
  if (out < 0 && (errno == ELOOP || errno == EISDIR))
    {
      /* a symlink (or a directory) is in the way: replace it, never write through it */
      if (unlinkat (dstdir, name, 0) < 0 && unlinkat (dstdir, name, AT_REMOVEDIR) < 0)
        return capsa_fail (err, errno, "replace `%s`", name);
      out = openat (dstdir, name, flags, st->st_mode & 07777);
    }
  if (out < 0)
    return capsa_fail (err, errno, "create `%s`", name);
  for (;;)
    {
      ssize_t n = sendfile (out, in, NULL, 1 << 20);
      if (n == 0)
        break;
      if (n < 0)
        {
          char buf[65536];
          ssize_t r;
          if (errno != EINVAL && errno != ENOSYS)
            return capsa_fail (err, errno, "copy `%s`", name);
          while ((r = read (in, buf, sizeof buf)) > 0)
            if (capsa_write_all (out, buf, (size_t) r) < 0)
              return capsa_fail (err, errno, "write `%s`", name);
          break;
        }
    }
  fchmod (out, st->st_mode & 07777);
  return 0;
}

/* A directory's entries go into dirfd. */
struct copy_into
{
  const struct cp_ctx *x;
  int dirfd;
};

static int
copy_child (int child, const char *entry, const char *rel, void *arg, capsa_err **err)
{
  const struct copy_into *into = arg;
  return copy_node (into->x, child, into->dirfd, entry, rel, err);
}

static int
copy_dir (const struct cp_ctx *x, int srcfd, const struct stat *st, int dstdir, const char *name, const char *rel,
          capsa_err **err)
{
  struct stat dst;
  if (fstatat (dstdir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (dst.st_mode))
    unlinkat (dstdir, name, 0);
  if (mkdirat (dstdir, name, st->st_mode & 07777) < 0 && errno != EEXIST)
    return capsa_fail (err, errno, "mkdir `%s`", name);
  cleanup_close int dfd = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return capsa_fail (err, errno, "open directory `%s`", name);
  struct copy_into into = { x, dfd };
  return capsa_fs_each_entry (srcfd, name, rel, copy_child, &into, err);
}

/* FIFOs are made again (mkfifo) and device nodes too (mknod), as docker cp does, except a device
 * node going from a container to the host: its numbers and mode are the container's choice (a
 * world-writable node of the host's disk), so it is skipped with a warning.  Sockets cannot be
 * copied (docker skips them); each one skipped is named on stderr. */
static int
copy_special (const struct cp_ctx *x, const struct stat *st, int dstdir, const char *name, const char *rel,
              capsa_err **err)
{
  bool fifo = S_ISFIFO (st->st_mode);
  const char *kind = fifo                     ? "FIFO"
                     : S_ISSOCK (st->st_mode) ? "socket"
                     : S_ISCHR (st->st_mode)  ? "character device"
                                              : "block device";
  const char *why = S_ISSOCK (st->st_mode) ? "a socket cannot be copied"
                    : !fifo && x->to_host  ? "a device node made by a container is not created on the host"
                                           : NULL;
  if (why == NULL)
    {
      struct stat cur;
      if (fstatat (dstdir, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (cur.st_mode))
        unlinkat (dstdir, name, 0); /* (never through a symlink) */
      mode_t old = umask (0);       /* the mode as it was: no chmod by name after it is made */
      int r = mknodat (dstdir, name, (st->st_mode & (S_IFMT | 07777)), fifo ? 0 : st->st_rdev), e = errno;
      umask (old);
      if (r == 0)
        return 0;
      if (e != EPERM)
        return capsa_fail (err, e, "create %s `%s`", kind, rel);
      why = "not permitted here (making a device node needs CAP_MKNOD)";
    }
  fprintf (stderr, "capsa: cp: warning: skipped %s `%s`: %s\n", kind, rel, why);
  return 0;
}

static int
copy_node (const struct cp_ctx *x, int srcfd, int dstdir, const char *name, const char *rel, capsa_err **err)
{
  struct stat st;
  if (fstat (srcfd, &st) < 0)
    return capsa_fail (err, errno, "stat `%s`", rel);
  if (S_ISDIR (st.st_mode))
    return copy_dir (x, srcfd, &st, dstdir, name, rel, err);
  if (S_ISREG (st.st_mode))
    return copy_file (srcfd, &st, dstdir, name, err);
  if (S_ISLNK (st.st_mode))
    {
      char target[4096];
      ssize_t n = readlinkat (srcfd, "", target, sizeof target - 1);
      if (n < 0)
        return capsa_fail (err, errno, "readlink `%s`", rel);
      target[n] = '\0';
      unlinkat (dstdir, name, 0);
      if (symlinkat (target, dstdir, name) < 0)
        return capsa_fail (err, errno, "symlink `%s`", rel);
      return 0;
    }
  return copy_special (x, &st, dstdir, name, rel, err);
}

static char *base_of (const char *p);

static bool
split_ctr (const char *arg, char **ctr, char **path)
{
  const char *colon = strchr (arg, ':');
  if (colon == NULL || arg[0] == '/' || arg[0] == '.' || colon == arg)
    return false;
  *ctr = strndup (arg, (size_t) (colon - arg));
  *path = capsa_xstrdup (colon + 1);
  if (**path == '\0')
    {
      free (*path);
      *path = capsa_xstrdup ("/");
    }
  return true;
}

/* cp_tar.c's warnings, as cp's own. */
static void
cp_warn (const char *msg)
{
  fprintf (stderr, "capsa: cp: warning: %s\n", msg);
}

/* `capsa cp CTR:SRC -`: SRC as a tar stream on stdout; `capsa cp - CTR:DIR`: a tar stream from stdin
   extracted into DIR, which must be a directory (as docker cp). */
static int
cp_stream (int rootfd, bool from, const char *cname, const char *cpath, capsa_err **err)
{
  if (from)
    {
      if (isatty (1))
        return capsa_fail_as (err, EINVAL, "stdout is a terminal: redirect it (the tar stream is binary)");
      cleanup_close int src = capsa_rootpath_open (rootfd, cpath, O_PATH | O_NOFOLLOW, err);
      if (src < 0)
        return capsa_err_wrap (err, "%s:%s", cname, cpath);
      cleanup_free char *name = base_of (cpath);
      return capsa_cp_tar_write (1, src, strcmp (name, "/") == 0 ? "." : name, cp_warn, err);
    }
  cleanup_close int dir = capsa_rootpath_open (rootfd, cpath, O_RDONLY | O_DIRECTORY, err);
  if (dir < 0)
    return capsa_err_wrap (err, "%s:%s: extracting a tar stream needs a directory", cname, cpath);
  if (capsa_cp_tar_extract (0, dir, cp_warn, err) < 0)
    return capsa_err_wrap (err, "extract into %s:%s", cname, cpath);
  return 0;
}

/* p's last component (base) or what leads to it, trailing slashes aside (a copy). */
static char *
path_part (const char *p, bool base)
{
  cleanup_free char *d = capsa_xstrdup (p);
  size_t n = strlen (d);
  while (n > 1 && d[n - 1] == '/')
    d[--n] = '\0';
  return capsa_xstrdup (base ? basename (d) : dirname (d));
}

static char *
base_of (const char *p)
{
  return path_part (p, true);
}

static char *
dir_of (const char *p)
{
  return path_part (p, false);
}

const struct cli_spec cli_spec_cp = {
  "cp",
  "CONTAINER:SRC HOST-DST|-\n       capsa cp HOST-SRC|- CONTAINER:DST",
  "Copy files between a container and the host.  Symlinks inside the container never lead out of it.\n"
  "`-` is a tar stream: of SRC on stdout, or from stdin extracted into the directory DST.",
  cli_no_options,
  0,
  NULL
};

int
cmd_cp (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_cp, argc, argv, NULL);
  if (first <= 0)
    return -first;
  argv += first - 1; /* (argv[1], argv[2]: the operands) */
  if (argc - first != 2)
    return cli_usage ("cp", "requires exactly 2 arguments (CONTAINER:SRC HOST-DST or HOST-SRC CONTAINER:DST)");
  cleanup_free char *cname = NULL, *cpath = NULL;
  bool from = split_ctr (argv[1], &cname, &cpath);
  if (!from && !split_ctr (argv[2], &cname, &cpath))
    return cli_usage ("cp", "one of the paths must be CONTAINER:PATH");
  cleanup_ctr struct ctr *c = NULL;
  if (capsa_ctr_find (&g->eng, cname, &c, &err) < 0)
    return cli_fail (&err);
  cleanup_close int rootfd = capsa_ctr_open_root (&g->eng, c, &err);
  if (rootfd < 0)
    return cli_fail (&err);
  if (strcmp (argv[from ? 2 : 1], "-") == 0)
    return cp_stream (rootfd, from, cname, cpath, &err) < 0 ? cli_fail (&err) : 0;
  if (from)
    {
      cleanup_close int src = capsa_rootpath_open (rootfd, cpath, O_PATH | O_NOFOLLOW, &err);
      if (src < 0)
        return capsa_err_wrap (&err, "%s:%s", cname, cpath), cli_fail (&err);
      const char *dst = argv[2];
      struct stat st;
      cleanup_free char *dname = NULL, *dparent = NULL;
      if (stat (dst, &st) == 0 && S_ISDIR (st.st_mode))
        {
          dparent = capsa_xstrdup (dst);
          dname = base_of (cpath);
          if (strcmp (dname, "/") == 0)
            {
              free (dname);
              dname = capsa_xstrdup ("rootfs");
            }
        }
      else
        {
          dparent = dir_of (dst);
          dname = base_of (dst);
        }
      cleanup_close int dfd = open (dparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        {
          capsa_fail (&err, errno, "destination directory `%s`", dparent);
          return cli_fail (&err);
        }
      if (copy_node (&(struct cp_ctx){ .to_host = true }, src, dfd, dname, cpath, &err) < 0)
        return cli_fail (&err);
      return 0;
    }
  /* host -> container */
  cleanup_close int src = open (argv[1], O_PATH | O_CLOEXEC);
  if (src < 0)
    {
      capsa_fail (&err, errno, "`%s`", argv[1]);
      return cli_fail (&err);
    }
  cleanup_close int dirfd = capsa_rootpath_open (rootfd, cpath, O_RDONLY | O_DIRECTORY, NULL);
  cleanup_free char *name = NULL;
  if (dirfd >= 0)
    name = base_of (argv[1]);
  else
    {
      cleanup_free char *parent = dir_of (cpath);
      dirfd = capsa_rootpath_open (rootfd, parent, O_RDONLY | O_DIRECTORY, &err);
      if (dirfd < 0)
        return capsa_err_wrap (&err, "%s:%s", cname, parent), cli_fail (&err);
      name = base_of (cpath);
    }
  if (copy_node (&(struct cp_ctx){ .to_host = false }, src, dirfd, name, argv[1], &err) < 0)
    return cli_fail (&err);
  return 0;
}
