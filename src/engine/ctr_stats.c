/* A container's resource use, one sample (capsa_ctr_stats_sample, capsa/engine.h): the runtime's
 * cgroup numbers (capsa_container_stats: runc's `events --stats` data), the host's CPU time from
 * /proc/stat, and the network counters of the container's namespace from its init's
 * /proc/PID/net/dev, as docker's stats and `docker stats` compute them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "ctr.h"
#include "util.h"

/* the host's CPU time in nanoseconds (docker's system_cpu_usage: the "cpu" line of /proc/stat) */
static unsigned long long
system_cpu_ns (void)
{
  cleanup_fclose FILE *f = fopen ("/proc/stat", "re");
  unsigned long long v[8] = { 0 }, sum = 0;
  if (f == NULL
      || fscanf (f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                 &v[7])
             < 4)
    return 0;
  for (int i = 0; i < 8; i++)
    sum += v[i];
  return sum * (1000000000ULL / (unsigned long long) sysconf (_SC_CLK_TCK));
}

/* docker's networks object ({"eth0": {rx_bytes, ...}}, lo left out) from /proc/PID/net/dev; the
 * byte counts summed into s */
static json_t *
networks (pid_t pid, struct capsa_ctr_stats *s)
{
  char path[64], line[512];
  snprintf (path, sizeof path, "/proc/%d/net/dev", (int) pid);
  cleanup_fclose FILE *f = fopen (path, "re");
  json_t *out = json_object ();
  while (f && fgets (line, sizeof line, f))
    {
      char name[64];
      unsigned long long v[12];
      char *colon = strchr (line, ':');
      if (colon == NULL)
        continue;
      *colon = ' ';
      if (sscanf (line, " %63s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", name, &v[0], &v[1], &v[2],
                  &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11])
              != 13
          || strcmp (name, "lo") == 0)
        continue;
      s->net_rx += v[0];
      s->net_tx += v[8];
      json_object_set_new (out, name,
                           json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes", (json_int_t) v[0],
                                      "rx_packets", (json_int_t) v[1], "rx_errors", (json_int_t) v[2], "rx_dropped",
                                      (json_int_t) v[3], "tx_bytes", (json_int_t) v[8], "tx_packets", (json_int_t) v[9],
                                      "tx_errors", (json_int_t) v[10], "tx_dropped", (json_int_t) v[11]));
    }
  return out;
}

static long long
num (json_t *o, const char *a, const char *b)
{
  return (long long) json_integer_value (json_object_get (json_object_get (o, a), b));
}

/* memory as the docker CLI shows it: the usage less the inactive page cache (v1
 * total_inactive_file, v2 inactive_file), the limit (unlimited: the host's memory) */
static void
memory (json_t *raw, struct capsa_ctr_stats *s)
{
  json_t *mem = json_object_get (raw, "memory"), *st = json_object_get (mem, "raw");
  json_t *inactive = json_object_get (st, "total_inactive_file") ?: json_object_get (st, "inactive_file");
  struct sysinfo si;
  s->mem_usage = num (mem, "usage", "usage");
  if (inactive && json_integer_value (inactive) < s->mem_usage)
    s->mem_usage -= (long long) json_integer_value (inactive);
  s->mem_limit = num (mem, "usage", "limit");
  if ((s->mem_limit <= 0 || s->mem_limit > (1LL << 60)) && sysinfo (&si) == 0)
    s->mem_limit = (long long) si.totalram * si.mem_unit;
}

/* the block I/O bytes, read and written, over every device */
static void
blkio (json_t *raw, struct capsa_ctr_stats *s)
{
  size_t i;
  json_t *e;
  json_array_foreach (json_object_get (json_object_get (raw, "blkio"), "ioServiceBytesRecursive"), i, e)
  {
    const char *op = json_string_value (json_object_get (e, "op"));
    unsigned long long v = (unsigned long long) json_integer_value (json_object_get (e, "value"));
    if (op && strcasecmp (op, "read") == 0)
      s->blk_read += v;
    else if (op && strcasecmp (op, "write") == 0)
      s->blk_write += v;
  }
}

int
capsa_ctr_stats_sample (struct capsa_engine *e, struct ctr *c, struct capsa_ctr_stats *s, capsa_err **err)
{
  long long ooms;
  bool running;
  *s = (struct capsa_ctr_stats){ .online_cpus = (int) sysconf (_SC_NPROCESSORS_ONLN) };
  capsa_ctr_refresh (e, c);
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
    return capsa_fail_as (err, ESRCH, "container %.12s is not running", c->id);
  if (capsa_container_stats (c->oci_root, c->id, &s->raw, &ooms, &running, err) < 0)
    return -1;
  s->read_ns = realtime_ns ();
  s->system_ns = system_cpu_ns ();
  s->cpu_ns = (unsigned long long) num (json_object_get (s->raw, "cpu"), "usage", "total");
  s->pids = num (s->raw, "pids", "current");
  memory (s->raw, s);
  blkio (s->raw, s);
  s->networks = networks (c->pid, s);
  return 0;
}

void
capsa_ctr_stats_clear (struct capsa_ctr_stats *s)
{
  json_decref (s->raw);
  json_decref (s->networks);
  s->raw = s->networks = NULL;
}

double
capsa_ctr_stats_cpu_percent (const struct capsa_ctr_stats *prev, const struct capsa_ctr_stats *cur)
{
  if (prev == NULL || cur->cpu_ns <= prev->cpu_ns || cur->system_ns <= prev->system_ns)
    return 0.0;
  double cpu = (double) (cur->cpu_ns - prev->cpu_ns), sys = (double) (cur->system_ns - prev->system_ns);
  return cpu / sys * cur->online_cpus * 100.0;
}
