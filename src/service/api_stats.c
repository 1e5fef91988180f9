/* GET /containers/{id}/stats?stream=&one-shot=: docker's stats objects, made from the engine's
 * sample (capsa_ctr_stats_sample: the runtime's cgroup data, the host's /proc/stat and the
 * container's /proc/PID/net/dev), the one `capsa stats` shows.  stream (the default): one object a second until the
 * client leaves or the container stops; stream=false: one, with precpu_stats a second before (as dockerd, so that the
 * docker CLI's CPU % means something) unless one-shot. */
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

static json_t *
cpu_stats (const struct capsa_ctr_stats *st)
{
  json_t *d = st->raw;
  json_t *cpu = json_object_get (d, "cpu"), *usage = json_object_get (cpu, "usage");
  json_t *percpu = json_object_get (usage, "percpu");
  return json_pack (
      "{s:{s:I, s:O, s:I, s:I}, s:I, s:i, s:{s:I, s:I, s:I}}", "cpu_usage", "total_usage", num (cpu, "usage", "total"),
      "percpu_usage", percpu ?: json_array (), "usage_in_kernelmode", num (cpu, "usage", "kernel"), "usage_in_usermode",
      num (cpu, "usage", "user"), "system_cpu_usage", (json_int_t) st->system_ns, "online_cpus", st->online_cpus,
      "throttling_data", "periods", num (cpu, "throttling", "periods"), "throttled_periods",
      num (cpu, "throttling", "throttledPeriods"), "throttled_time", num (cpu, "throttling", "throttledTime"));
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

/* docker's blkio_stats: io_service_bytes_recursive from the runtime's ioServiceBytesRecursive
 * (op as docker writes it: "read", "write" on v2, "Read"... on v1, as the kernel names them) */
static json_t *
blkio_stats (json_t *d)
{
  json_t *bytes = json_object_get (json_object_get (d, "blkio"), "ioServiceBytesRecursive");
  return json_pack ("{s:O, s:n, s:n, s:n, s:n, s:n, s:n, s:n}", "io_service_bytes_recursive", bytes ?: json_array (),
                    "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
                    "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive");
}

/* One sample of c (NULL when it is not running any more): capsa_ctr_stats_sample's numbers, the
 * same `capsa stats` shows. */
static json_t *
sample (struct svc *s, struct ctr *c)
{
  struct capsa_ctr_stats st;
  cleanup_err capsa_err *err = NULL;
  if (capsa_ctr_stats_sample (&s->eng, c, &st, &err) < 0)
    return NULL;
  char read[48];
  capsa_now_rfc3339 (read, sizeof read);
  cleanup_free char *name = capsa_xasprintf ("/%s", capsa_ctr_name (c));
  json_t *d = st.raw;
  json_t *o = json_pack ("{s:s, s:s, s:{s:I, s:I}, s:o, s:i, s:{}, s:o, s:o, s:s, s:s, s:O}", "read", read, "preread",
                         "0001-01-01T00:00:00Z", "pids_stats", "current", num (d, "pids", "current"), "limit",
                         num (d, "pids", "limit"), "blkio_stats", blkio_stats (d), "num_procs", 0, "storage_stats",
                         "cpu_stats", cpu_stats (&st), "memory_stats", memory_stats (d), "name", name, "id", c->id,
                         "networks", st.networks);
  capsa_ctr_stats_clear (&st);
  return o;
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
