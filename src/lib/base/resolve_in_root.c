/* Resolving paths inside the rootfs: see resolve_in_root.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "resolve_in_root.h"
#include "util.h"

#define MAX_SYMLINKS 40

bool rootpath_force_fallback;
static bool no_openat2;

static int
sys_openat2 (int dirfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (unsigned) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
}

static bool
same_inode (int a, int b)
{
  struct stat sa, sb;
  return fstat (a, &sa) == 0 && fstat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Take the next component off *rest (skipping slashes) into comp. Returns false at the end. */
static bool
next_component (const char **rest, char *comp, size_t len)
{
  const char *p = *rest, *end;
  while (*p == '/')
    p++;
  if (*p == '\0')
    return false;
  end = strchrnul (p, '/');
  snprintf (comp, len, "%.*s", (int) (end - p), p);
  *rest = end;
  return true;
}

static bool
only_slashes (const char *s)
{
  while (*s == '/')
    s++;
  return *s == '\0';
}

/* The fallback: walk the path one component at a time.  Every intermediate component is opened
 * O_PATH|O_NOFOLLOW, so a symlink is never followed by the kernel; we read it and splice its
 * target into the remaining path, restarting from the root for absolute targets.  ".." at the
 * root stays at the root.  Returns an fd for the last component opened with `flags`. */
static int
walk_in_root (int rootfd, const char *path, int flags)
{
  char buf[2][PATH_MAX];
  int cur_buf = 0, links = 0;
  const char *rest = path;
  char comp[NAME_MAX + 1];
  cleanup_close int cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (cur < 0)
    return -1;
  while (next_component (&rest, comp, sizeof comp))
    {
      bool last = only_slashes (rest);
      struct stat st;

      if (strcmp (comp, ".") == 0)
        {
          if (last)
            return openat (cur, ".", flags | O_CLOEXEC);
          continue;
        }
      if (strcmp (comp, "..") == 0)
        {
          int up = same_inode (cur, rootfd) ? openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                                            : openat (cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (up < 0)
            return -1;
          close (cur);
          cur = up;
          if (last)
            return openat (cur, ".", flags | O_CLOEXEC);
          continue;
        }
      if (fstatat (cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (cur, comp, target, sizeof target - 1);
          if (n < 0)
            return -1;
          target[n] = '\0';
          if (++links > MAX_SYMLINKS)
            {
              errno = ELOOP;
              return -1;
            }
          cur_buf ^= 1;
          if ((size_t) snprintf (buf[cur_buf], PATH_MAX, "%s/%s", target, rest) >= PATH_MAX)
            {
              errno = ENAMETOOLONG;
              return -1;
            }
          rest = buf[cur_buf];
          if (target[0] == '/')
            {
              int r = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
              if (r < 0)
                return -1;
              close (cur);
              cur = r;
            }
          continue;
        }
      if (last)
        return openat (cur, comp, flags | O_NOFOLLOW | O_CLOEXEC);
      int next = openat (cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return -1;
      close (cur);
      cur = next;
    }
  return openat (cur, ".", flags | O_CLOEXEC);
}

static int
open_in_root (int rootfd, const char *path, int flags)
{
  if (!no_openat2 && !rootpath_force_fallback)
    {
      int fd = sys_openat2 (rootfd, path, flags);
      if (fd >= 0 || errno != ENOSYS)
        return fd;
      no_openat2 = true;
    }
  return walk_in_root (rootfd, path, flags);
}

int
rootpath_open (int rootfd, const char *path, int flags, capsa_err **err)
{
  int fd = open_in_root (rootfd, path, flags);
  if (fd < 0)
    return capsa_fail (err, errno, "open `%s` inside the rootfs", path);
  return fd;
}

/* Split "a/b/c" into parent "a/b" and base "c" (both in caller buffers). */
static int
split_path (const char *path, char *parent, char *base)
{
  char tmp[PATH_MAX];
  size_t len;
  char *slash;

  if (snprintf (tmp, sizeof tmp, "%s", path) >= (int) sizeof tmp)
    return -1;
  len = strlen (tmp);
  while (len > 1 && tmp[len - 1] == '/')
    tmp[--len] = '\0';
  slash = strrchr (tmp, '/');
  if (slash == NULL)
    {
      strcpy (parent, ".");
      snprintf (base, NAME_MAX + 1, "%s", tmp);
      return 0;
    }
  snprintf (base, NAME_MAX + 1, "%s", slash + 1);
  if (slash == tmp)
    strcpy (parent, "/");
  else
    {
      *slash = '\0';
      strcpy (parent, tmp);
    }
  return 0;
}

static int
mkpath (int rootfd, const char *path, bool as_file, int depth)
{
  char parent[PATH_MAX], base[NAME_MAX + 1];
  int fd = open_in_root (rootfd, path, O_PATH);

  if (fd >= 0 || errno != ENOENT)
    return fd;
  if (depth > 256 || split_path (path, parent, base) < 0 || base[0] == '\0' || strcmp (base, "..") == 0)
    {
      errno = ENOENT;
      return -1;
    }
  cleanup_close int pfd = mkpath (rootfd, parent, false, depth + 1);
  if (pfd < 0)
    return -1;
  /* pfd is O_PATH: go through a real directory fd to create in it. */
  cleanup_close int dfd = openat (pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  if (as_file)
    {
      int f = openat (dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (f < 0 && errno != EEXIST)
        return -1;
      if (f >= 0)
        close (f);
    }
  else if (mkdirat (dfd, base, 0755) < 0 && errno != EEXIST)
    return -1;
  /* A dangling symlink is in the way: create what it points to, resolved inside the root too. */
  struct stat st;
  if (fstatat (dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX], next[2 * PATH_MAX + 2];
      ssize_t n = readlinkat (dfd, base, target, sizeof target - 1);
      if (n < 0)
        return -1;
      target[n] = '\0';
      if (target[0] == '/')
        snprintf (next, sizeof next, "%s", target);
      else
        snprintf (next, sizeof next, "%s/%s", parent, target);
      return mkpath (rootfd, next, as_file, depth + 1);
    }
  /* Re-resolve from the root: the new entry is checked the same way as any other. */
  return open_in_root (rootfd, path, O_PATH);
}

int
rootpath_mkpath (int rootfd, const char *path, bool as_file, capsa_err **err)
{
  int fd = mkpath (rootfd, path, as_file, 0);
  if (fd < 0)
    return capsa_fail (err, errno, "create `%s` inside the rootfs", path);
  return fd;
}

/* The name the front ends call it by (include/capsa/util.h). */
CAPSA_EXPORT_AS (capsa_rootpath_open, rootpath_open);
