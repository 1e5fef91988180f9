/* libFuzzer harness for src/lib/build: an input is "DOCKERFILE\0DOCKERIGNORE" (no NUL: only a
 * Dockerfile).  The Dockerfile goes through df_parse; every argument and flag value of what it
 * parsed through df_expand_word (with the file's escape character); the .dockerignore through
 * df_ignore_parse and df_ignore_excluded on a few paths and on the arguments; the sources of each
 * COPY/ADD through df_glob over a small context directory made at start-up.  Besides crashes,
 * leaks and sanitizer reports it aborts when a result breaks what dockerfile.h promises. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerfile.h"

static int ctxfd = -1;
static char ctxdir[] = "/tmp/capsa-fuzz-ctx-XXXXXX";
static const char *const ctx_files[] = { "a.txt", "b.md", "dir/x.go", "dir/sub/y" };
static const char *const ctx_dirs[] = { "dir/sub", "dir" }; /* removal order */

static void
remove_context (void)
{
  char p[256];
  for (size_t i = 0; i < sizeof ctx_files / sizeof *ctx_files; i++)
    {
      snprintf (p, sizeof p, "%s/%s", ctxdir, ctx_files[i]);
      unlink (p);
    }
  snprintf (p, sizeof p, "%s/up", ctxdir);
  unlink (p);
  for (size_t i = 0; i < sizeof ctx_dirs / sizeof *ctx_dirs; i++)
    {
      snprintf (p, sizeof p, "%s/%s", ctxdir, ctx_dirs[i]);
      rmdir (p);
    }
  rmdir (ctxdir);
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  if (mkdtemp (ctxdir) == NULL)
    abort ();
  atexit (remove_context);
  int d = open (ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0 || mkdirat (d, "dir", 0755) < 0 || mkdirat (d, "dir/sub", 0755) < 0 || symlinkat ("../..", d, "up") < 0)
    abort ();
  for (size_t i = 0; i < sizeof ctx_files / sizeof *ctx_files; i++)
    {
      int f = openat (d, ctx_files[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (f < 0)
        abort ();
      close (f);
    }
  close (d);
  ctxfd = open (ctxdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return ctxfd < 0 ? -1 : 0;
}

static const char *
lookup (void *data, const char *name)
{
  (void) data;
  if (strcmp (name, "A") == 0)
    return "x y";
  if (strcmp (name, "E") == 0)
    return "";
  if (strcmp (name, "D") == 0)
    return "$A";
  return NULL;
}

static void
expand (const char *word, char escape)
{
  capsa_err *err = NULL;
  char *out = NULL;
  if (df_expand_word (word, escape, lookup, NULL, &out, &err) < 0)
    {
      if (err == NULL || err->msg == NULL || out != NULL)
        abort ();
      capsa_err_free (&err);
      return;
    }
  if (out == NULL || err != NULL)
    abort ();
  free (out);
}

static void
glob_sources (const struct df_instr *in, const struct df_ignore *ig)
{
  size_t n = 0;
  while (in->args[n])
    n++;
  for (size_t i = 0; i + 1 < n && i < 4; i++)
    {
      capsa_err *err = NULL;
      char **out = NULL;
      if (df_glob (ctxfd, in->args[i], ig, &out, &err) < 0)
        {
          if (err == NULL || out != NULL)
            abort ();
          capsa_err_free (&err);
          continue;
        }
      for (char **o = out; *o; o++)
        {
          if ((*o)[0] == '/' || strncmp (*o, "../", 3) == 0 || strcmp (*o, "..") == 0
              || (o[1] && strcmp (*o, o[1]) > 0))
            abort (); /* relative, inside, sorted */
          free (*o);
        }
      free (out);
    }
}

static void
check_instr (const struct df_instr *in, const struct dockerfile *df, const struct df_ignore *ig, int depth)
{
  if (in->keyword == NULL || in->line == 0 || in->original == NULL || in->args == NULL || depth > 1)
    abort ();
  if ((in->kind == DF_ONBUILD) != (in->sub != NULL) || (in->sub != NULL) != (in->trigger_text != NULL))
    abort ();
  for (char **a = in->args; *a; a++)
    {
      expand (*a, df->escape);
      df_ignore_excluded (ig, *a);
    }
  for (size_t i = 0; i < in->nflags; i++)
    {
      if (in->flags[i].name == NULL || in->flags[i].value == NULL || df_flag (in, in->flags[i].name) == NULL)
        abort ();
      expand (in->flags[i].value, df->escape);
    }
  const char **mounts = df_flags_all (in, "mount");
  free (mounts);
  if (in->kind == DF_COPY || in->kind == DF_ADD)
    glob_sources (in, ig);
  if (in->sub)
    check_instr (in->sub, df, ig, depth + 1);
}

static struct df_ignore *
ignore_file (const char *text, size_t len)
{
  static const char *const paths[] = { "a.txt", "dir", "dir/x.go", "dir/sub/y", ".git/config", "a/b/c/d.md" };
  struct df_ignore *ig = NULL;
  capsa_err *err = NULL;

  if (df_ignore_parse (text, len, &ig, &err) < 0)
    {
      if (err == NULL || ig != NULL)
        abort ();
      capsa_err_free (&err);
      return NULL;
    }
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
    df_ignore_excluded (ig, paths[i]);
  df_ignore_has_exceptions (ig);
  return ig;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf = malloc (size + 1);
  struct dockerfile df = { 0 };
  capsa_err *err = NULL;

  if (buf == NULL)
    return 0;
  memcpy (buf, data, size);
  buf[size] = '\0';
  size_t dlen = strlen (buf);
  struct df_ignore *ig = dlen < size ? ignore_file (buf + dlen + 1, size - dlen - 1) : NULL;
  if (df_parse (buf, dlen, "Dockerfile", &df, &err) < 0)
    {
      if (err == NULL || strncmp (err->msg, "Dockerfile", 10) != 0)
        abort (); /* every message names the file */
      capsa_err_free (&err);
    }
  else
    {
      if (df.n == 0 || (df.escape != '\\' && df.escape != '`') || strcmp (df.name, "Dockerfile") != 0)
        abort ();
      for (size_t i = 0; i < df.n; i++)
        check_instr (&df.instrs[i], &df, ig, 0);
      df_free (&df);
    }
  df_ignore_free (ig);
  free (buf);
  return 0;
}
