/* GET /containers/{id}/stats?stream=&one-shot=: docker's stats objects, made from the runtime's
 * sample (capsa_container_stats: runc's `events --stats` data) and the host's /proc/stat and the
 * container's /proc/PID/net/dev.  stream (the default): one object a second until the client
 * leaves or the container stops; stream=false: one, with precpu_stats a second before (as
 * dockerd, so that the docker CLI's CPU % means something) unless one-shot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "svc.h"

static json_int_t
num (json_t *o, const char *a, const char *b)
{
  return json_integer_value (json_object_get (json_object_get (o, a), b));
}

/* the host's CPU time, in nanoseconds (docker's system_cpu_usage: the "cpu" line of /proc/stat) */
static json_int_t
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
  return (json_int_t) (sum * (1000000000ULL / (unsigned long long) sysconf (_SC_CLK_TCK)));
}

static json_t *
cpu_stats (json_t *d)
{
  json_t *cpu = json_object_get (d, "cpu"), *usage = json_object_get (cpu, "usage");
  json_t *percpu = json_object_get (usage, "percpu");
  return json_pack ("{s:{s:I, s:O, s:I, s:I}, s:I, s:i, s:{s:I, s:I, s:I}}", "cpu_usage", "total_usage",
                    num (cpu, "usage", "total"), "percpu_usage", percpu ?: json_array (), "usage_in_kernelmode",
                    num (cpu, "usage", "kernel"), "usage_in_usermode", num (cpu, "usage", "user"), "system_cpu_usage",
                    system_cpu_ns (), "online_cpus", (int) sysconf (_SC_NPROCESSORS_ONLN), "throttling_data", "periods",
                    num (cpu, "throttling", "periods"), "throttled_periods",
                    num (cpu, "throttling", "throttledPeriods"), "throttled_time",
                    num (cpu, "throttling", "throttledTime"));
}

static json_t *
memory_stats (json_t *d)
{
  json_t *mem = json_object_get (d, "memory"), *raw = json_object_get (mem, "raw");
  json_int_t limit = num (mem, "usage", "limit");
  struct sysinfo si;
  if ((limit <= 0 || limit > (1LL << 60)) && sysinfo (&si) == 0)
    limit = (json_int_t) si.totalram * si.mem_unit; /* unlimited: the host's memory, as dockerd says */
  return json_pack ("{s:I, s:I, s:O, s:I}", "usage", num (mem, "usage", "usage"), "max_usage",
                    num (mem, "usage", "max"), "stats", raw ?: json_object (), "limit", limit);
}

/* docker's networks object from /proc/PID/net/dev (the container's network namespace) */
static json_t *
networks (pid_t pid)
{
  char path[64], line[512];
  snprintf (path, sizeof path, "/proc/%d/net/dev", (int) pid);
  cleanup_fclose FILE *f = fopen (path, "re");
  json_t *out = json_object ();
  while (f && fgets (line, sizeof line, f))
    {
      char name[64];
      unsigned long long v[16];
      char *colon = strchr (line, ':');
      if (colon == NULL)
        continue;
      *colon = ' ';
      if (sscanf (line, " %63s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", name, &v[0], &v[1], &v[2],
                  &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11])
              != 13
          || strcmp (name, "lo") == 0)
        continue;
      json_object_set_new (out, name,
                           json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes", (json_int_t) v[0],
                                      "rx_packets", (json_int_t) v[1], "rx_errors", (json_int_t) v[2], "rx_dropped",
                                      (json_int_t) v[3], "tx_bytes", (json_int_t) v[8], "tx_packets", (json_int_t) v[9],
                                      "tx_errors", (json_int_t) v[10], "tx_dropped", (json_int_t) v[11]));
    }
  return out;
}

/* One sample of c (NULL when it is not running any more). */
static json_t *
sample (struct svc *s, struct ctr *c)
{
  cleanup_json json_t *d = NULL;
  cleanup_err capsa_err *err = NULL;
  long long ooms;
  bool running;
  capsa_ctr_refresh (&s->eng, c);
  if ((c->status != CTR_RUNNING && c->status != CTR_PAUSED)
      || capsa_container_stats (c->oci_root, c->id, &d, &ooms, &running, &err) < 0)
    return NULL;
  char read[48];
  capsa_now_rfc3339 (read, sizeof read);
  cleanup_free char *name = capsa_xasprintf ("/%s", capsa_ctr_name (c));
  return json_pack ("{s:s, s:s, s:{s:I, s:I}, s:{}, s:i, s:{}, s:o, s:o, s:s, s:s, s:o}", "read", read, "preread",
                    "0001-01-01T00:00:00Z", "pids_stats", "current", num (d, "pids", "current"), "limit",
                    num (d, "pids", "limit"), "blkio_stats", "num_procs", 0, "storage_stats", "cpu_stats",
                    cpu_stats (d), "memory_stats", memory_stats (d), "name", name, "id", c->id, "networks",
                    networks (c->pid));
}

/* cur gets prev's cpu_stats as its precpu_stats (and prev's time as preread) */
static void
link_pre (json_t *cur, json_t *prev)
{
  json_object_set (cur, "precpu_stats",
                   prev ? json_object_get (prev, "cpu_stats") : json_pack ("{s:{s:i}}", "cpu_usage", "total_usage", 0));
  if (prev)
    json_object_set (cur, "preread", json_object_get (prev, "read"));
}

struct stats_job
{
  struct svc *s;
  struct ctr *c;
  bool stream, one_shot;
};

static void
stats_job_free (void *p)
{
  struct stats_job *j = p;
  capsa_ctr_free (j->c);
  free (j);
}

static bool
emit (int fd, json_t *o)
{
  cleanup_free char *text = json_dumps (o, JSON_COMPACT);
  return text && capsa_write_all (fd, text, strlen (text)) == 0 && capsa_write_all (fd, "\n", 1) == 0;
}

static void
stats_job_run (void *p, int fd)
{
  struct stats_job *j = p;
  json_t *prev = j->one_shot ? NULL : sample (j->s, j->c);
  if (!j->stream && !j->one_shot && prev && !svc_sleep_ms (j->s, 1000))
    {
      json_decref (prev);
      return;
    }
  for (;;)
    {
      json_t *cur = sample (j->s, j->c);
      if (cur == NULL)
        break;
      link_pre (cur, prev);
      bool ok = emit (fd, cur);
      json_decref (prev);
      prev = cur;
      if (!ok || !j->stream || !svc_sleep_ms (j->s, 1000))
        break;
    }
  json_decref (prev);
}

enum MHD_Result
api_ctr_stats (struct svc_req *r)
{
  struct stats_job *j = capsa_xmalloc0 (sizeof *j);
  enum MHD_Result res;
  j->s = r->s;
  j->stream = svc_query_bool (r, "stream", true);
  j->one_shot = svc_query_bool (r, "one-shot", false);
  if (!svc_find_ctr (r, &j->c, &res))
    return free (j), res;
  if (j->c->status != CTR_RUNNING && j->c->status != CTR_PAUSED)
    {
      /* dockerd answers a stopped container with one object of zeros: the docker CLI shows 0 */
      cleanup_free char *name = capsa_xasprintf ("/%s", capsa_ctr_name (j->c));
      json_t *z = json_pack ("{s:s, s:s, s:s, s:s, s:{}, s:{}, s:{}, s:{}}", "read", "0001-01-01T00:00:00Z", "preread",
                             "0001-01-01T00:00:00Z", "name", name, "id", j->c->id, "pids_stats", "cpu_stats",
                             "precpu_stats", "memory_stats");
      stats_job_free (j);
      return svc_reply_json (r, 200, z);
    }
  return svc_reply_pipe (r, 200, "application/json", NULL, stats_job_run, j, stats_job_free);
}
