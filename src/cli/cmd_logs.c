/* capsa logs [-f] [--tail N] [--since T] [-t] CONTAINER: the monitor's log (ctr.log.1 then ctr.log),
 * stdout records to stdout and stderr records to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/util.h"
#include "cli.h"

struct logopts
{
  bool timestamps;
  long long since_ns; /* 0: all */
};

/* One record "TIME STREAM F|P TEXT"; prints it when it passes the filters. */
static void
emit (const struct logopts *o, char *line)
{
  char *sp1 = strchr (line, ' ');
  if (sp1 == NULL)
    return;
  char *sp2 = strchr (sp1 + 1, ' ');
  if (sp2 == NULL || sp2[1] == '\0' || sp2[2] != ' ')
    return;
  *sp1 = '\0';
  *sp2 = '\0';
  bool partial = sp2[1] == 'P';
  const char *text = sp2 + 3;
  if (o->since_ns > 0 && capsa_ctr_parse_since (line) < o->since_ns)
    return;
  FILE *f = strcmp (sp1 + 1, "stderr") == 0 ? stderr : stdout;
  if (o->timestamps)
    fprintf (f, "%s ", line);
  fputs (text, f);
  if (!partial)
    fputc ('\n', f);
}

/* Split buf into lines; keep the last `tail` (-1: all). */
static void
emit_all (const struct logopts *o, char *buf, long tail)
{
  size_t n = 0;
  for (char *p = buf; *p; p++)
    if (*p == '\n')
      n++;
  long skip = tail >= 0 && (long) n > tail ? (long) n - tail : 0;
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (skip-- <= 0)
      emit (o, l);
}

static char *
read_all (const char *path, size_t *len)
{
  char *buf = NULL;
  *len = 0;
  if (capsa_read_file_at (AT_FDCWD, path, &buf, len, NULL) < 0)
    return capsa_xstrdup ("");
  return buf;
}

struct logs_flags
{
  struct logopts o;
  bool follow;
  long tail; /* -1: all */
};

static int
set_tail (void *base, const char *v, capsa_err **err)
{
  struct logs_flags *f = base;
  int64_t n;
  if (strcmp (v, "all") == 0)
    f->tail = -1;
  else if (capsa_parse_i64 (v, 0, INT32_MAX, &n) < 0)
    return capsa_fail_as (err, EINVAL, "--tail: invalid number `%s`", v);
  else
    f->tail = (long) n;
  return 0;
}

static int
set_since (void *base, const char *v, capsa_err **err)
{
  struct logs_flags *f = base;
  f->o.since_ns = capsa_ctr_parse_since (v);
  if (f->o.since_ns < 0)
    return capsa_fail_as (err, EINVAL, "--since: `%s` is neither a duration (10s, 5m, 2h) nor a time (RFC 3339)", v);
  return 0;
}

static const struct capsa_opt logs_opts[] = {
  CAPSA_O_BOOL ('f', "follow", struct logs_flags, follow, "keep printing until it stops"),
  CAPSA_O_CALL ('n', "tail", set_tail, "N", "only the last N lines"),
  CAPSA_O_CALL (0, "since", set_since, "T", "only since T (10s, 5m, 2h, or an RFC 3339 time)"),
  CAPSA_O_BOOL ('t', "timestamps", struct logs_flags, o.timestamps, "print each line's time"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_logs = {
  "logs", "[OPTIONS] CONTAINER", "The output of a detached container.", logs_opts, 0, NULL
};

int
cmd_logs (struct cli_global *g, int argc, char **argv)
{
  struct logs_flags f = { .tail = -1 };
  int first = cli_parse (&cli_spec_logs, argc, argv, &f);
  if (first <= 0)
    return -first;
  struct logopts o = f.o;
  bool follow = f.follow;
  long tail = f.tail;
  if (argc - first != 1)
    return cli_usage ("logs", "requires exactly 1 argument (CONTAINER)");
  cleanup_ctr struct ctr *ct = NULL;
  capsa_err *err = NULL;
  if (capsa_ctr_find (&g->eng, argv[first], &ct, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *p1 = capsa_xasprintf ("%s/ctr.log.1", ct->dir);
  cleanup_free char *p0 = capsa_xasprintf ("%s/ctr.log", ct->dir);
  size_t l1, l0;
  cleanup_free char *b1 = read_all (p1, &l1);
  cleanup_free char *b0 = read_all (p0, &l0);
  cleanup_free char *all = capsa_xasprintf ("%s%s", b1, b0);
  emit_all (&o, all, tail);
  fflush (stdout);
  fflush (stderr);
  if (!follow)
    return 0;
  /* follow: read what is appended (a rotation starts the new file from 0) until it has exited */
  off_t pos = (off_t) l0;
  cleanup_free char *part = capsa_xstrdup ("");
  int idle = 0;
  for (;;)
    {
      struct stat st;
      if (stat (p0, &st) == 0 && st.st_size < pos)
        pos = 0;
      int fd = open (p0, O_RDONLY | O_CLOEXEC);
      bool got = false;
      if (fd >= 0)
        {
          char buf[65536];
          ssize_t n;
          lseek (fd, pos, SEEK_SET);
          while ((n = read (fd, buf, sizeof buf - 1)) > 0)
            {
              buf[n] = '\0';
              pos += n;
              got = true;
              char *joined = capsa_xasprintf ("%s%s", part, buf);
              free (part);
              char *last = strrchr (joined, '\n');
              part = capsa_xstrdup (last ? last + 1 : joined);
              if (last)
                {
                  last[1] = '\0';
                  emit_all (&o, joined, -1);
                }
              free (joined);
            }
          close (fd);
        }
      fflush (stdout);
      fflush (stderr);
      if (!got)
        {
          capsa_ctr_refresh (&g->eng, ct);
          if (ct->status == CTR_EXITED && ++idle > 3)
            break;
          if (access (ct->dir, F_OK) != 0)
            break;
          nanosleep (&(struct timespec){ 0, 100 * 1000000 }, NULL);
        }
      else
        idle = 0;
    }
  return 0;
}
