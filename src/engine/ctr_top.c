/* `top CONTAINER [ps OPTIONS]` as docker's daemon does it (capsa_ctr_top_ps, capsa/engine.h): the
 * host's ps with those options (-ef by default; first with -q and the container's pids, again
 * without when ps refuses that combination), then only the lines whose PID column is one of the
 * container's processes (the cgroup's), the fields past the titles' count joined into the last.
 * The UID and USER columns name the users as the container's /etc/passwd does (podman's top;
 * docker's shows the host's names). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "resolve_in_root.h"
#include "util.h"

/* Run argv (ps, found in PATH) and read its stdout into *out (owned); its exit status, or -1. */
static int
run_ps (char **argv, char **out, capsa_err **err)
{
  int p[2];
  pid_t pid;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "top: pipe");
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      signal (SIGPIPE, SIG_DFL);
      if (dup2 (p[1], 1) < 0 || (null >= 0 && dup2 (null, 2) < 0))
        _exit (127);
      execvp ("ps", argv);
      _exit (127);
    }
  int e = errno;
  close (p[1]);
  if (pid < 0)
    {
      close (p[0]);
      return capsa_fail (err, e, "top: fork ps");
    }
  size_t len = 0;
  char buf[65536];
  ssize_t k;
  *out = xstrdup ("");
  while ((k = read (p[0], buf, sizeof buf)) != 0)
    {
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0)
        break;
      *out = xrealloc (*out, len + (size_t) k + 1);
      memcpy (*out + len, buf, (size_t) k);
      len += (size_t) k;
      (*out)[len] = '\0';
    }
  close (p[0]);
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "top: wait for ps");
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* the whitespace-separated fields of line (ASCII whitespace, as docker's fieldsASCII) */
static char **
fields (char *line)
{
  char **v = xmalloc0 (sizeof (char *));
  char *save = NULL;
  for (char *t = strtok_r (line, " \t\r\v\f", &save); t; t = strtok_r (NULL, " \t\r\v\f", &save))
    strv_append (&v, t);
  return v;
}

static bool
has_pid (const pid_t *pids, size_t n, long p)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

/* one process row: the titles' count of fields, the overhanging ones joined into the last */
static json_t *
row (char **f, size_t ntitles)
{
  json_t *r = json_array ();
  size_t n = strv_len (f);
  for (size_t i = 0; i + 1 < ntitles && i < n; i++)
    json_array_append_new (r, json_string_nocheck (f[i]));
  cleanup_free char *last = xstrdup ("");
  for (size_t i = ntitles - 1; i < n; i++)
    {
      char *j = xasprintf ("%s%s%s", last, *last ? " " : "", f[i]);
      free (last);
      last = j;
    }
  json_array_append_new (r, json_string_nocheck (last));
  return r;
}

/* docker's parsePSOutput: Titles from the first line, the rows of the container's pids (a "-"
 * PID, a thread line of `ps m`, goes with the process before it) */
static int
parse_ps (char *text, const pid_t *pids, size_t n, json_t **out, capsa_err **err)
{
  char *save = NULL, *line = strtok_r (text, "\n", &save);
  cleanup_strv char **titles = line ? fields (line) : xmalloc0 (sizeof (char *));
  size_t nt = strv_len (titles);
  long pid_col = -1;
  for (size_t i = 0; i < nt && pid_col < 0; i++)
    if (strcmp (titles[i], "PID") == 0)
      pid_col = (long) i;
  if (pid_col < 0)
    return capsa_fail_as (err, EINVAL, "Couldn't find PID field in ps output");
  json_t *procs = json_array ();
  bool prev_in = false;
  for (line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      cleanup_strv char **f = fields (line);
      if (strv_len (f) <= (size_t) pid_col)
        continue;
      char *end;
      long p = strtol (f[pid_col], &end, 10);
      bool thread = strcmp (f[pid_col], "-") == 0;
      if (!thread && (*end || end == f[pid_col]))
        {
          json_decref (procs);
          return capsa_fail_as (err, EINVAL, "Unexpected pid '%s' in ps output", f[pid_col]);
        }
      if (thread ? prev_in : has_pid (pids, n, p))
        json_array_append_new (procs, row (f, nt));
      if (!thread)
        prev_in = has_pid (pids, n, p);
    }
  json_t *t = json_array ();
  for (size_t i = 0; i < nt; i++)
    json_array_append_new (t, json_string_nocheck (titles[i]));
  *out = json_pack ("{s:o, s:o}", "Titles", t, "Processes", procs);
  return 0;
}

/* The user name of host uid `uid` as container process pid sees it: its uid_map back to the
 * container's uid, then the container's /etc/passwd, opened inside its root (resolve_in_root.h: a symlink
 * there cannot reach a host file).  NULL: no name (the number is shown, as ps does). */
static char *
top_user (pid_t pid, long uid)
{
  char path[64], line[512];
  snprintf (path, sizeof path, "/proc/%d/uid_map", (int) pid);
  FILE *m = fopen (path, "re");
  long in, out, cnt, cuid = -1;
  while (m && cuid < 0 && fscanf (m, "%ld %ld %ld", &in, &out, &cnt) == 3)
    if (uid >= out && uid < out + cnt)
      cuid = in + (uid - out);
  if (m)
    fclose (m);
  snprintf (path, sizeof path, "/proc/%d/root", (int) pid);
  cleanup_close int root = cuid < 0 ? -1 : open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_err capsa_err *e = NULL;
  int fd = root < 0 ? -1 : rootpath_open (root, "/etc/passwd", O_RDONLY, &e);
  FILE *f = fd < 0 ? NULL : fdopen (fd, "re");
  char *name = NULL;
  if (fd >= 0 && f == NULL)
    close (fd);
  while (f && name == NULL && fgets (line, sizeof line, f))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 && strtol (c2 + 1, NULL, 10) == cuid && c2[1] != ':')
        name = strndup (line, (size_t) (c1 - line));
    }
  if (f)
    fclose (f);
  return name;
}

/* The effective uid of pid (-1 when it is gone). */
static long
proc_euid (pid_t pid)
{
  char path[64];
  cleanup_free char *status = NULL;
  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if (read_file_at (AT_FDCWD, path, &status, NULL, NULL) < 0)
    return -1;
  char *u = strstr (status, "\nUid:");
  long ruid, euid;
  return u && sscanf (u + 5, "%ld %ld", &ruid, &euid) == 2 ? euid : -1;
}

/* The UID and USER columns as the container names its users (its /etc/passwd, as podman's top),
 * the number when it has no name for one; ps gave the host's names. */
static void
container_users (json_t *out)
{
  json_t *titles = json_object_get (out, "Titles"), *row;
  size_t pid_col = 0, i, r;
  json_t *t;
  json_array_foreach (titles, i, t) if (strcmp (json_string_value (t), "PID") == 0) pid_col = i;
  json_array_foreach (titles, i, t)
  {
    if (strcmp (json_string_value (t), "UID") != 0 && strcmp (json_string_value (t), "USER") != 0)
      continue;
    json_array_foreach (json_object_get (out, "Processes"), r, row)
    {
      pid_t pid = (pid_t) strtol (json_string_value (json_array_get (row, pid_col)), NULL, 10);
      long uid = pid > 0 ? proc_euid (pid) : -1;
      cleanup_free char *name = uid >= 0 ? top_user (pid, uid) : NULL;
      cleanup_free char *num = xasprintf ("%ld", uid);
      if (uid >= 0)
        json_array_set_new (row, i, json_string_nocheck (name ? name : num));
    }
  }
}

/* argv of ps: the options split at spaces (docker's strings.Split), then -qPID,PID... when q */
static char **
ps_argv (const char *ps_args, const pid_t *pids, size_t n, bool q)
{
  char **argv = xmalloc0 (sizeof (char *));
  strv_append (&argv, "ps");
  cleanup_free char *copy = xstrdup (ps_args && *ps_args ? ps_args : "-ef");
  char *save = NULL;
  for (char *t = strtok_r (copy, " ", &save); t; t = strtok_r (NULL, " ", &save))
    strv_append (&argv, t);
  if (q && n > 0)
    {
      char *list = xstrdup ("-q");
      for (size_t i = 0; i < n; i++)
        {
          char *j = xasprintf ("%s%s%d", list, i ? "," : "", (int) pids[i]);
          free (list);
          list = j;
        }
      strv_append (&argv, list);
      free (list);
    }
  return argv;
}

int
capsa_ctr_top_ps (struct capsa_engine *e, struct ctr *c, const char *what, const char *ps_args, json_t **out,
                  capsa_err **err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  (void) e;
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
    return capsa_fail_as (err, EINVAL, "container %s is not running", what);
  if (capsa_container_pids (c->oci_root, c->id, &pids, &n, err) < 0)
    return -1;
  cleanup_free char *text = NULL;
  cleanup_strv char **argv = ps_argv (ps_args, pids, n, true);
  int st = run_ps (argv, &text, err);
  if (st < 0)
    return -1;
  if (st != 0)
    {
      /* some options (f) do not go with q: again without it */
      cleanup_strv char **plain = ps_argv (ps_args, pids, n, false);
      free (text);
      text = NULL;
      if ((st = run_ps (plain, &text, err)) < 0)
        return -1;
      if (st != 0)
        return capsa_fail_as (err, EINVAL, "ps %s: exit status %d (are the ps options right?)",
                              ps_args && *ps_args ? ps_args : "-ef", st);
    }
  if (parse_ps (text, pids, n, out, err) < 0)
    return -1;
  container_users (*out);
  return 0;
}
