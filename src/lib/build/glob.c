/* The sources of COPY/ADD (dockerfile.h): a pattern matched one component at a time (Go's
 * filepath.Match) against the directories of the build context, which are opened through
 * rootpath_open, so that no symlink and no `..` leads out of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dockerfile.h"
#include "match.h"
#include "resolve_in_root.h"
#include "util.h"

/* The pattern's components, `.` and empty ones dropped and `..` applied; -1 when one climbs out
 * of the context. */
static int
split_pattern (const char *pattern, char ***comps, capsa_err **err)
{
  cleanup_strv char **v = NULL;
  size_t n = 0;

  for (const char *p = pattern; *p;)
    {
      size_t len = strcspn (p, "/");
      cleanup_free char *c = xasprintf ("%.*s", (int) len, p);
      p += len;
      p += *p == '/';
      if (len == 0 || strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") != 0)
        {
          strv_append (&v, c);
          n++;
          continue;
        }
      if (n == 0)
        return capsa_fail_as (err, EPERM, "forbidden path outside the build context: %s", pattern);
      free (v[--n]);
      v[n] = NULL;
    }
  *comps = take_ptr (&v);
  return 0;
}

/* `a\*b` -> `a*b`: a component without wildcards, as the name it stands for. */
static char *
unescape (const char *s)
{
  char *r = xmalloc0 (strlen (s) + 1), *o = r;
  for (; *s; s++)
    *o++ = *s == '\\' && s[1] ? *++s : *s;
  return r;
}

static char *
join (const char *dir, const char *name)
{
  return dir[0] ? xasprintf ("%s/%s", dir, name) : xstrdup (name);
}

/* Open directory `dir` of the context ("" the root); -1 with errno ENOENT/ENOTDIR is "not there". */
static int
open_dir (int ctxfd, const char *dir, int flags, capsa_err **err)
{
  cleanup_err capsa_err *e = NULL;
  int fd = rootpath_open (ctxfd, dir[0] ? dir : ".", flags | O_DIRECTORY, &e);
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
    return capsa_fail (err, errno, "open `%s` in the build context", dir[0] ? dir : ".");
  if (fd < 0)
    return -2;
  return fd;
}

/* dir/name when it exists (not following a final symlink). */
static int
step_literal (int ctxfd, const char *dir, const char *comp, char ***next, capsa_err **err)
{
  cleanup_free char *name = unescape (comp);
  cleanup_close int fd = open_dir (ctxfd, dir, O_PATH, err);
  struct stat st;

  if (fd == -1)
    return -1;
  if (fd < 0)
    return 0;
  if (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      cleanup_free char *p = join (dir, name);
      strv_append (next, p);
    }
  else if (errno != ENOENT && errno != ENOTDIR)
    return capsa_fail (err, errno, "stat `%s/%s` in the build context", dir, name);
  return 0;
}

/* Whether entry de of d is a directory itself (not a symlink to one). */
static bool
real_dir (DIR *d, const struct dirent *de)
{
  struct stat st;
  if (de->d_type != DT_UNKNOWN)
    return de->d_type == DT_DIR;
  return fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
}

/* The entries of dir that pat matches; only real directories when more components follow: as
 * docker's walk of the context, a wildcard does not lead through a symlink (one that loops back
 * would make a pattern of many `*` components grow without end). */
static int
step_wild (int ctxfd, const char *dir, const struct df_pattern *pat, bool last, char ***next, capsa_err **err)
{
  int fd = open_dir (ctxfd, dir, O_RDONLY, err);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fd == -1)
    return -1;
  if (fd < 0)
    return 0;
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return capsa_fail (err, errno, "read `%s` in the build context", dir);
    }
  errno = 0;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0 || !df_pattern_match (pat, de->d_name)
          || (!last && !real_dir (d, de)))
        continue;
      cleanup_free char *p = join (dir, de->d_name);
      strv_append (next, p);
    }
  if (errno != 0)
    return capsa_fail (err, errno, "read `%s` in the build context", dir);
  return 0;
}

/* The paths matching comp below each of cur. */
static int
step_all (int ctxfd, char **cur, const char *comp, bool last, const char *pattern, char ***next, capsa_err **err)
{
  struct df_pattern *pat = NULL;
  int r = 0;

  if (df_has_wildcards (comp))
    {
      pat = df_pattern_compile (comp, false);
      if (pat == NULL)
        return capsa_fail_as (err, EINVAL, "%s: syntax error in pattern", pattern);
    }
  for (char **c = cur; c && *c && r == 0; c++)
    r = pat ? step_wild (ctxfd, *c, pat, last, next, err) : step_literal (ctxfd, *c, comp, next, err);
  df_pattern_free (pat);
  return r;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Whether rel is left out: excluded, and not a directory below which an exception includes
 * something again. */
static bool
left_out (int ctxfd, const char *rel, const struct df_ignore *ig)
{
  cleanup_err capsa_err *e = NULL;

  if (strcmp (rel, ".") == 0 || !df_ignore_excluded (ig, rel))
    return false; /* not the context's root: docker copies it, empty */
  if (!df_ignore_reincludes_below (ig, rel))
    return true;
  cleanup_close int fd = rootpath_open (ctxfd, rel, O_PATH | O_DIRECTORY, &e);
  return fd < 0;
}

/* Sorted, the excluded paths left out. */
static char **
finish (int ctxfd, char **v, const struct df_ignore *ig)
{
  size_t n = 0;

  for (size_t i = 0; v && v[i]; i++)
    {
      if (left_out (ctxfd, v[i], ig))
        free (v[i]);
      else
        v[n++] = v[i];
    }
  if (v)
    v[n] = NULL;
  if (n > 1)
    qsort (v, n, sizeof *v, cmp_str);
  return v;
}

int
df_glob (int ctxfd, const char *pattern, const struct df_ignore *ig, char ***out, capsa_err **err)
{
  cleanup_strv char **comps = NULL, **cur = NULL;

  if (split_pattern (pattern, &comps, err) < 0)
    return -1;
  strv_append (&cur, "");
  for (char **c = comps; c && *c; c++)
    {
      cleanup_strv char **next = NULL;
      if (step_all (ctxfd, cur, *c, c[1] == NULL, pattern, &next, err) < 0)
        return -1;
      cleanup_strv_fn (&cur);
      cur = take_ptr (&next);
    }
  if (cur && cur[0] && cur[0][0] == '\0')
    {
      free (cur[0]);
      cur[0] = xstrdup (".");
    }
  cur = finish (ctxfd, cur, ig);
  if (cur == NULL || cur[0] == NULL)
    {
      if (df_has_wildcards (pattern))
        return capsa_fail_as (err, ENOENT,
                              "no source files were specified: nothing in the build context matches `%s` "
                              "(or .dockerignore excludes it)",
                              pattern);
      return capsa_fail_as (err, ENOENT, "file not found in build context or excluded by .dockerignore: %s", pattern);
    }
  *out = take_ptr (&cur);
  return 0;
}
