/* Statistics of a container's cgroup, in the shape of runc's `events --stats` data.  See cgroup.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "cgroup.h"
#include "util.h"

static char *
read_in (const struct cg_dir *d, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);
  char *buf = NULL;
  if (read_file_at (AT_FDCWD, path, &buf, NULL, NULL) < 0)
    return NULL;
  return buf;
}

/* A file holding one number ("max" = 0, as runc reports an unlimited limit). */
static json_int_t
num_in (const struct cg_dir *d, const char *file)
{
  cleanup_free char *s = read_in (d, file);
  if (s == NULL || strncmp (s, "max", 3) == 0)
    return 0;
  return (json_int_t) strtoull (s, NULL, 10);
}

/* "key value" lines as a JSON object of integers. */
static json_t *
keyed (const struct cg_dir *d, const char *file)
{
  cleanup_free char *s = read_in (d, file);
  json_t *o = json_object ();
  char *save = NULL;
  for (char *line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      json_object_set_new (o, line, json_integer ((json_int_t) strtoull (sp + 1, NULL, 10)));
    }
  return o;
}

static json_int_t
key_of (json_t *o, const char *k)
{
  return json_integer_value (json_object_get (o, k));
}

static json_t *
cpu_stats (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "cpuacct");
  json_t *usage = json_object (), *thr = json_object ();
  if (d && d->version == CG_V1)
    {
      json_object_set_new (usage, "total", json_integer (num_in (d, "cpuacct.usage")));
      cleanup_free char *per = read_in (d, "cpuacct.usage_percpu");
      json_t *arr = json_array ();
      char *save = NULL;
      for (char *t = per ? strtok_r (per, " \n", &save) : NULL; t; t = strtok_r (NULL, " \n", &save))
        json_array_append_new (arr, json_integer ((json_int_t) strtoull (t, NULL, 10)));
      json_object_set_new (usage, "percpu", arr);
      json_t *st = keyed (d, "cpuacct.stat");
      /* USER_HZ ticks -> nanoseconds */
      long hz = sysconf (_SC_CLK_TCK);
      json_object_set_new (usage, "kernel", json_integer (key_of (st, "system") * (1000000000 / hz)));
      json_object_set_new (usage, "user", json_integer (key_of (st, "user") * (1000000000 / hz)));
      json_decref (st);
    }
  d = cg_dir_for (cg, "cpu");
  if (d && d->version == CG_V2)
    {
      json_t *st = keyed (d, "cpu.stat");
      json_object_set_new (usage, "total", json_integer (key_of (st, "usage_usec") * 1000));
      json_object_set_new (usage, "kernel", json_integer (key_of (st, "system_usec") * 1000));
      json_object_set_new (usage, "user", json_integer (key_of (st, "user_usec") * 1000));
      json_object_set_new (thr, "periods", json_integer (key_of (st, "nr_periods")));
      json_object_set_new (thr, "throttledPeriods", json_integer (key_of (st, "nr_throttled")));
      json_object_set_new (thr, "throttledTime", json_integer (key_of (st, "throttled_usec") * 1000));
      json_decref (st);
    }
  else if (d)
    {
      json_t *st = keyed (d, "cpu.stat");
      json_object_set_new (thr, "periods", json_integer (key_of (st, "nr_periods")));
      json_object_set_new (thr, "throttledPeriods", json_integer (key_of (st, "nr_throttled")));
      json_object_set_new (thr, "throttledTime", json_integer (key_of (st, "throttled_time")));
      json_decref (st);
    }
  return json_pack ("{s:o, s:o}", "usage", usage, "throttling", thr);
}

static json_t *
mem_entry (json_int_t usage, json_int_t max, json_int_t limit, json_int_t failcnt)
{
  return json_pack ("{s:I, s:I, s:I, s:I}", "usage", usage, "max", max, "limit", limit, "failcnt", failcnt);
}

static json_t *
memory_stats (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "memory");
  if (d == NULL)
    return json_object ();
  if (d->version == CG_V1)
    return json_pack ("{s:o, s:o, s:o}", "usage",
                      mem_entry (num_in (d, "memory.usage_in_bytes"), num_in (d, "memory.max_usage_in_bytes"),
                                 num_in (d, "memory.limit_in_bytes"), num_in (d, "memory.failcnt")),
                      "swap",
                      mem_entry (num_in (d, "memory.memsw.usage_in_bytes"),
                                 num_in (d, "memory.memsw.max_usage_in_bytes"),
                                 num_in (d, "memory.memsw.limit_in_bytes"), num_in (d, "memory.memsw.failcnt")),
                      "raw", keyed (d, "memory.stat"));
  json_t *events = keyed (d, "memory.events");
  json_t *o = json_pack (
      "{s:o, s:o, s:o}", "usage",
      mem_entry (num_in (d, "memory.current"), num_in (d, "memory.peak"), num_in (d, "memory.max"),
                 key_of (events, "max")),
      "swap",
      mem_entry (num_in (d, "memory.swap.current"), num_in (d, "memory.swap.peak"), num_in (d, "memory.swap.max"), 0),
      "raw", keyed (d, "memory.stat"));
  json_decref (events);
  return o;
}

static json_t *
pids_stats (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "pids");
  if (d == NULL)
    return json_object ();
  return json_pack ("{s:I, s:I}", "current", num_in (d, "pids.current"), "limit", num_in (d, "pids.max"));
}

/* v1 "8:0 Read 4096" lines, v2 "8:0 rbytes=4096 wbytes=0 ..." lines -> [{major, minor, op, value}] */
static json_t *
blkio_stats (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "blkio");
  if (d == NULL)
    d = cg_dir_for (cg, "io");
  json_t *bytes = json_array ();
  cleanup_free char *s = d ? read_in (d, d->version == CG_V1 ? "blkio.throttle.io_service_bytes_recursive" : "io.stat")
                           : NULL;
  char *save = NULL;
  for (char *line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned maj, min;
      char rest[512];
      if (sscanf (line, "%u:%u %511[^\n]", &maj, &min, rest) != 3)
        continue;
      char *save2 = NULL;
      if (d->version == CG_V1)
        {
          char op[32];
          unsigned long long v;
          if (sscanf (rest, "%31s %llu", op, &v) == 2)
            json_array_append_new (bytes, json_pack ("{s:i, s:i, s:s, s:I}", "major", maj, "minor", min, "op", op,
                                                     "value", (json_int_t) v));
          continue;
        }
      for (char *kv = strtok_r (rest, " ", &save2); kv; kv = strtok_r (NULL, " ", &save2))
        {
          const char *op = strncmp (kv, "rbytes=", 7) == 0 ? "Read" : strncmp (kv, "wbytes=", 7) == 0 ? "Write" : NULL;
          if (op)
            json_array_append_new (bytes, json_pack ("{s:i, s:i, s:s, s:I}", "major", maj, "minor", min, "op", op,
                                                     "value", (json_int_t) strtoull (kv + 7, NULL, 10)));
        }
    }
  return json_pack ("{s:o}", "ioServiceBytesRecursive", bytes);
}

static json_t *
hugetlb_stats (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "hugetlb");
  json_t *o = json_object ();
  if (d == NULL)
    return o;
  cleanup_dir DIR *dir = opendir (d->path);
  struct dirent *de;
  while (dir && (de = readdir (dir)))
    {
      char size[32];
      const char *suffix = d->version == CG_V1 ? ".usage_in_bytes" : ".current";
      size_t n = strlen (de->d_name), sl = strlen (suffix);
      if (strncmp (de->d_name, "hugetlb.", 8) != 0 || n <= 8 + sl || strcmp (de->d_name + n - sl, suffix) != 0
          || n - 8 - sl >= sizeof size || strstr (de->d_name, ".rsvd."))
        continue;
      snprintf (size, sizeof size, "%.*s", (int) (n - 8 - sl), de->d_name + 8);
      cleanup_free char *max = xasprintf ("hugetlb.%s.%s", size, d->version == CG_V1 ? "max_usage_in_bytes" : "max");
      cleanup_free char *fail = xasprintf ("hugetlb.%s.%s", size, d->version == CG_V1 ? "failcnt" : "events");
      json_int_t failcnt = 0;
      if (d->version == CG_V1)
        failcnt = num_in (d, fail);
      else
        {
          json_t *ev = keyed (d, fail);
          failcnt = key_of (ev, "max");
          json_decref (ev);
        }
      json_object_set_new (
          o, size,
          json_pack ("{s:I, s:I, s:I}", "usage", num_in (d, de->d_name), "max", num_in (d, max), "failcnt", failcnt));
    }
  return o;
}

int
cg_stats (const struct capsa_cgroup *cg, json_t **out, capsa_err **err)
{
  if (cg->n == 0)
    return capsa_fail_as (err, ENOENT, "the container has no cgroup (created with --cgroup-manager disabled?)");
  *out = json_pack ("{s:o, s:o, s:o, s:o, s:o}", "cpu", cpu_stats (cg), "memory", memory_stats (cg), "pids",
                    pids_stats (cg), "blkio", blkio_stats (cg), "hugetlb", hugetlb_stats (cg));
  return 0;
}

long long
cg_oom_kills (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "memory");
  if (d == NULL)
    return -1;
  json_t *o = keyed (d, d->version == CG_V1 ? "memory.oom_control" : "memory.events");
  json_t *v = json_object_get (o, "oom_kill");
  long long n = v ? (long long) json_integer_value (v) : -1;
  json_decref (o);
  return n;
}
