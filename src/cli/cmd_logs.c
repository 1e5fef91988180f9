/* capsa logs [-f] [--tail N] [--since T] [-t] CONTAINER: the monitor's log (ctr.log.1 then ctr.log),
 * stdout records to stdout and stderr records to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctr.h"
#include "util.h"

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
  if (o->since_ns > 0 && ctr_parse_since (line) < o->since_ns)
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
  if (read_file_at (AT_FDCWD, path, &buf, len, NULL) < 0)
    return xstrdup ("");
  return buf;
}

int
cmd_logs (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
                                        { "tail", required_argument, NULL, 'n' },
                                        { "since", required_argument, NULL, 's' },
                                        { "timestamps", no_argument, NULL, 't' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  struct logopts o = { 0 };
  bool follow = false;
  long tail = -1;
  int c;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "fn:th", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        follow = true;
        break;
      case 'n':
        if (strcmp (optarg, "all") == 0)
          tail = -1;
        else
          {
            int64_t v;
            if (parse_i64 (optarg, 0, INT32_MAX, &v) < 0)
              return cli_usage ("logs", "--tail: invalid number `%s`", optarg);
            tail = (long) v;
          }
        break;
      case 's':
        o.since_ns = ctr_parse_since (optarg);
        if (o.since_ns < 0)
          return cli_usage ("logs", "--since: `%s` is neither a duration (10s, 5m, 2h) nor a time (RFC 3339)", optarg);
        break;
      case 't':
        o.timestamps = true;
        break;
      case 'h':
        printf ("Usage: capsa logs [OPTIONS] CONTAINER\n\nThe output of a detached container.\n"
                "  -f, --follow        keep printing until it stops\n"
                "  -n, --tail N        only the last N lines\n"
                "      --since T       only since T (10s, 5m, 2h, or an RFC 3339 time)\n"
                "  -t, --timestamps    print each line's time\n");
        return 0;
      default:
        return cli_usage ("logs", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
    return cli_usage ("logs", "requires exactly 1 argument (CONTAINER)");
  cleanup_ctr struct ctr *ct = NULL;
  capsa_err *err = NULL;
  if (ctr_find (&g->eng, argv[optind], &ct, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *p1 = xasprintf ("%s/ctr.log.1", ct->dir);
  cleanup_free char *p0 = xasprintf ("%s/ctr.log", ct->dir);
  size_t l1, l0;
  cleanup_free char *b1 = read_all (p1, &l1);
  cleanup_free char *b0 = read_all (p0, &l0);
  cleanup_free char *all = xasprintf ("%s%s", b1, b0);
  emit_all (&o, all, tail);
  fflush (stdout);
  fflush (stderr);
  if (!follow)
    return 0;
  /* follow: read what is appended (a rotation starts the new file from 0) until it has exited */
  off_t pos = (off_t) l0;
  cleanup_free char *part = xstrdup ("");
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
              char *joined = xasprintf ("%s%s", part, buf);
              free (part);
              char *last = strrchr (joined, '\n');
              part = xstrdup (last ? last + 1 : joined);
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
          ctr_refresh (&g->eng, ct);
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
