/* capsa logs [-f] [--tail N] [--since T] [--until T] [-t] [--details] CONTAINER: the monitor's log
 * (the rotated files, then ctr.log; any driver's format), stdout records to stdout and stderr
 * records to stderr.  none and passthrough keep nothing: an error, as docker's. */
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

struct logs_flags
{
  struct capsa_log_query q;
  bool timestamps, details;
  char *attrs; /* --details: the log's attributes (owned) */
};

/* `capsa logs`'s printing of one record (stream 0: nothing came for a while) */
static int
print_record (void *data, int stream, const char *ts, const char *text, size_t len, bool partial)
{
  const struct logs_flags *o = data;
  if (stream == 0)
    return 0;
  FILE *f = stream == 2 ? stderr : stdout;
  if (o->timestamps)
    fprintf (f, "%s ", ts);
  if (o->attrs)
    fprintf (f, "%s ", o->attrs); /* docker's: the attributes, then a space (alone when none) */
  fwrite (text, 1, len, f);
  if (!partial)
    fputc ('\n', f);
  if (o->q.follow)
    fflush (f); /* (following: as it comes) */
  return 0;
}

static int
set_tail (void *base, const char *v, capsa_err **err)
{
  struct logs_flags *f = base;
  int64_t n;
  if (strcmp (v, "all") == 0)
    f->q.tail = -1;
  else if (capsa_parse_i64 (v, 0, INT32_MAX, &n) < 0)
    return capsa_fail_as (err, EINVAL, "--tail: invalid number `%s`", v);
  else
    f->q.tail = (long) n;
  return 0;
}

static int
set_since (void *base, const char *v, capsa_err **err)
{
  struct logs_flags *f = base;
  f->q.since_ns = capsa_ctr_parse_since (v);
  if (f->q.since_ns < 0)
    return capsa_fail_as (err, EINVAL, "--since: `%s` is neither a duration (10s, 5m, 2h) nor a time (RFC 3339)", v);
  return 0;
}

static int
set_until (void *base, const char *v, capsa_err **err)
{
  struct logs_flags *f = base;
  f->q.until_ns = capsa_ctr_parse_since (v);
  if (f->q.until_ns < 0)
    return capsa_fail_as (err, EINVAL, "--until: `%s` is neither a duration (10s, 5m, 2h) nor a time (RFC 3339)", v);
  return 0;
}

static const struct capsa_opt logs_opts[] = {
  CAPSA_O_BOOL ('f', "follow", struct logs_flags, q.follow, "keep printing until it stops"),
  CAPSA_O_CALL ('n', "tail", set_tail, "N", "only the last N lines"),
  CAPSA_O_CALL (0, "since", set_since, "T", "only since T (10s, 5m, 2h, or an RFC 3339 time)"),
  CAPSA_O_CALL (0, "until", set_until, "T", "only before T (as --since)"),
  CAPSA_O_BOOL ('t', "timestamps", struct logs_flags, timestamps, "print each line's time"),
  CAPSA_O_BOOL (0, "details", struct logs_flags, details,
                "print the log's attributes before each line (--log-opt labels=, env=)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_logs = {
  "logs", "[OPTIONS] CONTAINER", "The output of a detached container.", logs_opts, 0, NULL
};

int
cmd_logs (struct cli_global *g, int argc, char **argv)
{
  struct logs_flags f = { .q = { .tail = -1 } };
  int first = cli_parse (&cli_spec_logs, argc, argv, &f);
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("logs", "requires exactly 1 argument (CONTAINER)");
  cleanup_ctr struct ctr *ct = NULL;
  capsa_err *err = NULL;
  if (capsa_ctr_find (&g->eng, argv[first], &ct, &err) < 0)
    return cli_fail (&err);
  if (capsa_ctr_log_readable (ct, &err) < 0)
    return cli_fail (&err);
  f.attrs = f.details ? capsa_ctr_log_details (ct) : NULL;
  capsa_ctr_logs (&g->eng, ct, &f.q, print_record, &f);
  free (f.attrs);
  return 0;
}
