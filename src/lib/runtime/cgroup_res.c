/* linux.resources -> cgroup files, for v1 and v2 directories alike.  See cgroup.h.
 *
 * Most settings are one JSON value to one file whose name depends on the version of the
 * hierarchy holding the controller: they are the `simple` table below.  The rest (memory limit
 * with swap, cpu quota/period, block I/O per device, hugetlb, devices, unified) have a function
 * each.  Every write goes through set_file(), which turns "this host cannot" into a message that
 * names the JSON key, the controller and the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "util.h"

enum conv
{
  C_INT,    /* integer as is */
  C_LIMIT,  /* integer; -1 = unlimited ("max" on v2) */
  C_PIDS,   /* integer; <= 0 = unlimited ("max") */
  C_SHARES, /* cpu shares; v2 cpu.weight = 1 + (shares - 2) * 9999 / 262142 */
  C_BOOL,   /* true/false -> 1/0 */
  C_STR,    /* string as is */
};

static const struct simple
{
  const char *section, *key; /* linux.resources.<section>.<key> */
  const char *controller;
  const char *v1, *v2;       /* file names; NULL: the setting does not exist on that version */
  enum conv conv;
} simple[] = {
  { "memory", "reservation", "memory", "memory.soft_limit_in_bytes", "memory.low", C_LIMIT },
  { "memory", "swappiness", "memory", "memory.swappiness", NULL, C_INT },
  { "memory", "disableOOMKiller", "memory", "memory.oom_control", NULL, C_BOOL },
  { "memory", "useHierarchy", "memory", "memory.use_hierarchy", NULL, C_BOOL },
  { "memory", "kernel", "memory", "memory.kmem.limit_in_bytes", NULL, C_LIMIT },
  { "memory", "kernelTCP", "memory", "memory.kmem.tcp.limit_in_bytes", NULL, C_LIMIT },
  { "cpu", "shares", "cpu", "cpu.shares", "cpu.weight", C_SHARES },
  { "cpu", "realtimeRuntime", "cpu", "cpu.rt_runtime_us", NULL, C_INT },
  { "cpu", "realtimePeriod", "cpu", "cpu.rt_period_us", NULL, C_INT },
  { "cpu", "burst", "cpu", "cpu.cfs_burst_us", "cpu.max.burst", C_INT },
  { "cpu", "idle", "cpu", NULL, "cpu.idle", C_INT },
  { "cpu", "cpus", "cpuset", "cpuset.cpus", "cpuset.cpus", C_STR },
  { "cpu", "mems", "cpuset", "cpuset.mems", "cpuset.mems", C_STR },
  { "pids", "limit", "pids", "pids.max", "pids.max", C_PIDS },
  { "blockIO", "leafWeight", "blkio", "blkio.leaf_weight", NULL, C_INT },
  { "network", "classID", "net_cls", "net_cls.classid", NULL, C_INT },
};

/* Which hierarchy holds a controller: blkio is called io on v2. */
static const struct cg_dir *
dir_for (const struct capsa_cgroup *cg, const char *controller)
{
  const struct cg_dir *d = cg_dir_for (cg, controller);
  if (d == NULL && strcmp (controller, "blkio") == 0)
    d = cg_dir_for (cg, "io");
  return d;
}

static int
no_controller (const char *what, const char *controller, capsa_err **err)
{
  return capsa_fail_as (err, ENOTSUP, "%s: the `%s` cgroup controller is not available on this host", what,
                        controller);
}

/* One cg_apply_resources is all or nothing (docker update must not leave the memory limit changed
 * when the weight after it fails; runc's update is not atomic, this is stricter).  It runs the
 * whole plan twice: a dry pass that opens every file for writing and writes nothing, so a missing
 * controller, file or bad value fails before anything changed; then the real pass, which keeps
 * each file's value before writing it, so a write the kernel refuses half-way (a limit below the
 * usage, a cpu that is not there) puts back what was written.  Only one-line values are kept:
 * the per-device lists and devices.allow/deny cannot be read back as writes, and the dry pass is
 * their only check.  One run at a time (the runtime is single-threaded). */
struct undo
{
  char *path, *old;
};

static struct res_run
{
  bool dry;
  struct undo *undo;
  size_t n;
} *run;

static void
remember (const char *path)
{
  char *old = NULL;
  size_t len = 0;
  if (read_file_at (AT_FDCWD, path, &old, &len, NULL) < 0)
    return;
  char *nl = memchr (old, '\n', len);
  if (len == 0 || (nl && nl + 1 != old + len))
    {
      free (old);
      return;
    }
  run->undo = xrealloc (run->undo, (run->n + 1) * sizeof *run->undo);
  run->undo[run->n++] = (struct undo) { xstrdup (path), old };
}

/* Put back every value written, last first; errors here cannot be reported better than the
 * failure that caused the roll back. */
static void
roll_back (struct res_run *r)
{
  while (r->n > 0)
    {
      struct undo *u = &r->undo[--r->n];
      int fd = open (u->path, O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          (void) write (fd, u->old, strlen (u->old));
          close (fd);
        }
      free (u->path);
      free (u->old);
    }
  free (r->undo);
  r->undo = NULL;
}

/* Write value into file of dir; ENOENT means this kernel has no such file. */
static int
set_file (const struct cg_dir *d, const char *file, const char *value, const char *what, capsa_err **err)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return capsa_fail_as (err, ENOTSUP, "%s: %s does not exist: this kernel does not offer it", what, path);
  if (fd < 0)
    return capsa_fail (err, errno, "%s: write `%s` to %s", what, value, path);
  if (run && run->dry)
    return 0;
  if (run)
    remember (path);
  if (write (fd, value, strlen (value)) < 0)
    return capsa_fail (err, errno, "%s: write `%s` to %s", what, value, path);
  return 0;
}

static int
not_on (const char *what, enum cg_version v, const char *controller, capsa_err **err)
{
  return capsa_fail_as (err, ENOTSUP, "%s: not supported on cgroup v%d (the `%s` controller here is v%d)", what,
                        (int) v, controller, (int) v);
}

static int
want_int (json_t *v, const char *what, int64_t *out, capsa_err **err)
{
  if (!json_is_integer (v))
    return capsa_fail_as (err, EINVAL, "%s: must be an integer", what);
  *out = json_integer_value (v);
  return 0;
}

static int
apply_simple (const struct capsa_cgroup *cg, const struct simple *s, json_t *v, const char *what, capsa_err **err)
{
  const struct cg_dir *d = dir_for (cg, s->controller);
  char buf[64];
  const char *value = buf;
  int64_t n = 0;

  if (d == NULL)
    return no_controller (what, s->controller, err);
  const char *file = d->version == CG_V1 ? s->v1 : s->v2;
  if (file == NULL)
    return not_on (what, d->version, s->controller, err);
  if (s->conv == C_STR)
    {
      if (!json_is_string (v))
        return capsa_fail_as (err, EINVAL, "%s: must be a string", what);
      value = json_string_value (v);
    }
  else if (s->conv == C_BOOL)
    {
      if (!json_is_boolean (v))
        return capsa_fail_as (err, EINVAL, "%s: must be true or false", what);
      value = json_is_true (v) ? "1" : "0";
    }
  else
    {
      if (want_int (v, what, &n, err) < 0)
        return -1;
      if (s->conv == C_SHARES && n == 0)
        return 0; /* 0 = unset */
      if (s->conv == C_SHARES && d->version == CG_V2)
        {
          if (n < 2 || n > 262144)
            return capsa_fail_as (err, EINVAL, "%s: %" PRId64 " is out of range (2-262144)", what, n);
          n = 1 + ((n - 2) * 9999) / 262142;
        }
      if ((s->conv == C_LIMIT && n < 0 && d->version == CG_V2) || (s->conv == C_PIDS && n <= 0))
        value = "max";
      else
        snprintf (buf, sizeof buf, "%" PRId64, n);
    }
  return set_file (d, file, value, what, err);
}

/* memory.limit and memory.swap.  v1: memsw = memory + swap, and memsw >= limit at every moment,
 * so the order of the two writes depends on whether the limit grows or shrinks.  v2: swap.max is
 * the swap alone (swap - limit). */
static int
apply_memory (const struct capsa_cgroup *cg, json_t *mem, const char *where, capsa_err **err)
{
  json_t *jl = json_object_get (mem, "limit"), *js = json_object_get (mem, "swap");
  cleanup_free char *wl = xasprintf ("%s.memory.limit", where);
  cleanup_free char *ws = xasprintf ("%s.memory.swap", where);
  int64_t limit = 0, swap = 0;
  char lbuf[32], sbuf[32];

  if (jl == NULL && js == NULL)
    return 0;
  if ((jl && want_int (jl, wl, &limit, err) < 0) || (js && want_int (js, ws, &swap, err) < 0))
    return -1;
  const struct cg_dir *d = dir_for (cg, "memory");
  if (d == NULL)
    return no_controller (jl ? wl : ws, "memory", err);
  if (d->version == CG_V2)
    {
      if (jl)
        {
          snprintf (lbuf, sizeof lbuf, "%" PRId64, limit);
          if (set_file (d, "memory.max", limit < 0 ? "max" : lbuf, wl, err) < 0)
            return -1;
        }
      if (js)
        {
          if (swap >= 0 && (jl == NULL || limit < 0))
            return capsa_fail_as (err, EINVAL, "%s: a swap limit needs a memory limit on cgroup v2", ws);
          if (swap >= 0 && swap < limit)
            return capsa_fail_as (err, EINVAL, "%s: %" PRId64 " is below memory.limit %" PRId64
                                  " (swap counts memory plus swap)", ws, swap, limit);
          snprintf (sbuf, sizeof sbuf, "%" PRId64, swap - limit);
          if (set_file (d, "memory.swap.max", swap < 0 ? "max" : sbuf, ws, err) < 0)
            return -1;
        }
      return 0;
    }
  snprintf (lbuf, sizeof lbuf, "%" PRId64, limit < 0 ? -1 : limit);
  snprintf (sbuf, sizeof sbuf, "%" PRId64, swap < 0 ? -1 : swap);
  if (js == NULL)
    return set_file (d, "memory.limit_in_bytes", lbuf, wl, err);
  if (jl == NULL)
    return set_file (d, "memory.memsw.limit_in_bytes", sbuf, ws, err);
  if (swap >= 0 && limit >= 0 && swap < limit)
    return capsa_fail_as (err, EINVAL, "%s: %" PRId64 " is below memory.limit %" PRId64
                          " (swap counts memory plus swap)", ws, swap, limit);
  /* raising: memsw first; lowering: limit first.  Try one order, then the other. */
  cleanup_err capsa_err *first = NULL;
  if (set_file (d, "memory.limit_in_bytes", lbuf, wl, &first) == 0)
    return set_file (d, "memory.memsw.limit_in_bytes", sbuf, ws, err);
  if (set_file (d, "memory.memsw.limit_in_bytes", sbuf, ws, err) < 0)
    return -1;
  return set_file (d, "memory.limit_in_bytes", lbuf, wl, err);
}

static int
apply_cpu_max (const struct capsa_cgroup *cg, json_t *cpu, const char *where, capsa_err **err)
{
  json_t *jq = json_object_get (cpu, "quota"), *jp = json_object_get (cpu, "period");
  cleanup_free char *what = xasprintf ("%s.cpu.%s", where, jq ? "quota" : "period");
  int64_t quota = -1, period = 0;
  char buf[64];

  if (jq == NULL && jp == NULL)
    return 0;
  if ((jq && want_int (jq, what, &quota, err) < 0) || (jp && want_int (jp, what, &period, err) < 0))
    return -1;
  const struct cg_dir *d = dir_for (cg, "cpu");
  if (d == NULL)
    return no_controller (what, "cpu", err);
  if (d->version == CG_V1)
    {
      /* period first: a quota is checked against the current period */
      if (jp && period > 0)
        {
          snprintf (buf, sizeof buf, "%" PRId64, period);
          if (set_file (d, "cpu.cfs_period_us", buf, what, err) < 0)
            return -1;
        }
      if (jq)
        {
          snprintf (buf, sizeof buf, "%" PRId64, quota <= 0 ? -1 : quota);
          return set_file (d, "cpu.cfs_quota_us", buf, what, err);
        }
      return 0;
    }
  if (period <= 0)
    {
      /* keep the current period when only the quota changes */
      cleanup_free char *path = xasprintf ("%s/cpu.max", d->path);
      cleanup_free char *cur = NULL;
      period = 100000;
      if (read_file_at (AT_FDCWD, path, &cur, NULL, NULL) == 0 && strchr (cur, ' '))
        period = strtoll (strchr (cur, ' ') + 1, NULL, 10);
    }
  if (jq == NULL)
    {
      cleanup_free char *path = xasprintf ("%s/cpu.max", d->path);
      cleanup_free char *cur = NULL;
      if (read_file_at (AT_FDCWD, path, &cur, NULL, NULL) == 0 && strncmp (cur, "max", 3) != 0)
        quota = strtoll (cur, NULL, 10);
    }
  if (quota > 0)
    snprintf (buf, sizeof buf, "%" PRId64 " %" PRId64, quota, period);
  else
    snprintf (buf, sizeof buf, "max %" PRId64, period);
  return set_file (d, "cpu.max", buf, what, err);
}

/* blockIO: weight, weightDevice[], throttle*Device[]. */
static const struct throttle
{
  const char *key, *v1, *v2;
} throttles[] = {
  { "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps" },
  { "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps" },
  { "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops" },
  { "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops" },
};

static int
device_numbers (json_t *dev, const char *what, int64_t *major, int64_t *minor, capsa_err **err)
{
  if (!json_is_object (dev) || want_int (json_object_get (dev, "major"), what, major, err) < 0
      || want_int (json_object_get (dev, "minor"), what, minor, err) < 0)
    return capsa_fail_as (err, EINVAL, "%s: each entry needs integer major and minor", what);
  return 0;
}

/* v2 weight: io.bfq.weight (1-1000, like blkio) when BFQ is there, else io.weight (1-10000). */
static int
set_v2_weight (const struct cg_dir *d, const char *dev, int64_t w, const char *what, capsa_err **err)
{
  char buf[96];
  cleanup_free char *bfq = xasprintf ("%s/io.bfq.weight", d->path);
  if (access (bfq, F_OK) == 0)
    {
      snprintf (buf, sizeof buf, "%s%s%" PRId64, dev ? dev : "", dev ? " " : "", w);
      return set_file (d, "io.bfq.weight", buf, what, err);
    }
  snprintf (buf, sizeof buf, "%s%s%" PRId64, dev ? dev : "default", " ", 1 + (w - 10) * 9999 / 990);
  return set_file (d, "io.weight", buf, what, err);
}

/* blockIO.weight; 0 = unset: dockerd sends it in every config (runc skips it; v2 refuses 0). */
static int
apply_blkio_weight (const struct cg_dir *d, json_t *jw, const char *where, capsa_err **err)
{
  cleanup_free char *what = xasprintf ("%s.blockIO.weight", where);
  char buf[32];
  int64_t w = 0;

  if (jw == NULL)
    return 0;
  if (want_int (jw, what, &w, err) < 0)
    return -1;
  if (w == 0)
    return 0;
  if (d == NULL)
    return no_controller (what, "blkio", err);
  snprintf (buf, sizeof buf, "%" PRId64, w);
  return d->version == CG_V1 ? set_file (d, "blkio.weight", buf, what, err) : set_v2_weight (d, NULL, w, what, err);
}

static int
apply_blkio (const struct capsa_cgroup *cg, json_t *bio, const char *where, capsa_err **err)
{
  json_t *arr;
  const struct cg_dir *d = dir_for (cg, "blkio");
  char buf[128];
  int64_t w = 0, major = 0, minor = 0;
  size_t i;
  json_t *e;

  if (apply_blkio_weight (d, json_object_get (bio, "weight"), where, err) < 0)
    return -1;
  arr = json_object_get (bio, "weightDevice");
  json_array_foreach (arr, i, e)
  {
    cleanup_free char *what = xasprintf ("%s.blockIO.weightDevice[%zu]", where, i);
    if (d == NULL)
      return no_controller (what, "blkio", err);
    if (device_numbers (e, what, &major, &minor, err) < 0)
      return -1;
    char dev[48];
    snprintf (dev, sizeof dev, "%" PRId64 ":%" PRId64, major, minor);
    json_t *jwd = json_object_get (e, "weight"), *jlw = json_object_get (e, "leafWeight");
    if (jwd && want_int (jwd, what, &w, err) < 0)
      return -1;
    if (jwd && d->version == CG_V1)
      {
        snprintf (buf, sizeof buf, "%s %" PRId64, dev, w);
        if (set_file (d, "blkio.weight_device", buf, what, err) < 0)
          return -1;
      }
    else if (jwd && set_v2_weight (d, dev, w, what, err) < 0)
      return -1;
    if (jlw)
      {
        if (d->version == CG_V2)
          return not_on (what, CG_V2, "io", err);
        if (want_int (jlw, what, &w, err) < 0)
          return -1;
        snprintf (buf, sizeof buf, "%s %" PRId64, dev, w);
        if (set_file (d, "blkio.leaf_weight_device", buf, what, err) < 0)
          return -1;
      }
  }
  for (size_t t = 0; t < ARRAY_SIZE (throttles); t++)
    {
      arr = json_object_get (bio, throttles[t].key);
      json_array_foreach (arr, i, e)
      {
        cleanup_free char *what = xasprintf ("%s.blockIO.%s[%zu]", where, throttles[t].key, i);
        int64_t rate = 0;
        if (d == NULL)
          return no_controller (what, "blkio", err);
        if (device_numbers (e, what, &major, &minor, err) < 0
            || want_int (json_object_get (e, "rate"), what, &rate, err) < 0)
          return -1;
        char r[32] = "max";
        if (rate > 0)
          snprintf (r, sizeof r, "%" PRId64, rate);
        if (d->version == CG_V1)
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRId64, major, minor, rate);
        else
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%s", major, minor, throttles[t].v2, r);
        if (set_file (d, d->version == CG_V1 ? throttles[t].v1 : "io.max", buf, what, err) < 0)
          return -1;
      }
    }
  return 0;
}

/* Calls fn (cg, entry, what, err) for each entry of the array arr; what names it: "WHERE.KEY[i]". */
static int
each_item (const struct capsa_cgroup *cg, json_t *arr, const char *where, const char *key,
           int (*fn) (const struct capsa_cgroup *cg, json_t *e, const char *what, capsa_err **err), capsa_err **err)
{
  size_t i;
  json_t *e;
  json_array_foreach (arr, i, e)
  {
    cleanup_free char *what = xasprintf ("%s.%s[%zu]", where, key, i);
    if (fn (cg, e, what, err) < 0)
      return -1;
  }
  return 0;
}

static int
hugetlb_limit (const struct capsa_cgroup *cg, json_t *e, const char *what, capsa_err **err)
{
  const char *size = json_string_value (json_object_get (e, "pageSize"));
  int64_t limit = 0;
  char buf[32];
  if (size == NULL || strchr (size, '/') || want_int (json_object_get (e, "limit"), what, &limit, err) < 0)
    return capsa_fail_as (err, EINVAL, "%s: needs a pageSize string (\"2MB\") and an integer limit", what);
  const struct cg_dir *d = dir_for (cg, "hugetlb");
  if (d == NULL)
    return no_controller (what, "hugetlb", err);
  cleanup_free char *file = xasprintf (d->version == CG_V1 ? "hugetlb.%s.limit_in_bytes" : "hugetlb.%s.max", size);
  snprintf (buf, sizeof buf, "%" PRId64, limit);
  return set_file (d, file, buf, what, err);
}

static int
apply_hugetlb (const struct capsa_cgroup *cg, json_t *arr, const char *where, capsa_err **err)
{
  return each_item (cg, arr, where, "hugepageLimits", hugetlb_limit, err);
}

/* The devices every container needs, allowed after the config's rules (as runc and crun do):
 * null, zero, full, random, urandom, tty, console, ptmx and the pty slaves. */
static const char *const default_device_rules[] = {
  "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
  "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

int
cg_device_rule (json_t *e, const char *what, char *buf, size_t len, bool *allow, capsa_err **err)
{
  json_t *jallow = json_object_get (e, "allow"), *jmaj = json_object_get (e, "major"),
         *jmin = json_object_get (e, "minor");
  const char *type = json_string_value (json_object_get (e, "type"));
  const char *access = json_string_value (json_object_get (e, "access"));
  char maj[24] = "*", min[24] = "*";

  if (!json_is_boolean (jallow))
    return capsa_fail_as (err, EINVAL, "%s.allow: must be true or false", what);
  *allow = json_is_true (jallow);
  if (type == NULL || *type == '\0')
    type = "a";
  if (strlen (type) != 1 || !strchr ("acbp", type[0]))
    return capsa_fail_as (err, EINVAL, "%s.type: `%s` is not a, c, b or p", what, type);
  if (access == NULL || *access == '\0')
    access = "rwm";
  if (strspn (access, "rwm") != strlen (access))
    return capsa_fail_as (err, EINVAL, "%s.access: `%s` is not made of r, w and m", what, access);
  if (jmaj && !json_is_null (jmaj) && json_integer_value (jmaj) >= 0)
    snprintf (maj, sizeof maj, "%" JSON_INTEGER_FORMAT, json_integer_value (jmaj));
  if (jmin && !json_is_null (jmin) && json_integer_value (jmin) >= 0)
    snprintf (min, sizeof min, "%" JSON_INTEGER_FORMAT, json_integer_value (jmin));
  /* a fifo is not a device to the kernel's filter: treat it as "all" like runc */
  snprintf (buf, len, "%c %s:%s %s", type[0] == 'p' ? 'a' : type[0], maj, min, access);
  return 0;
}

static int
apply_devices (const struct capsa_cgroup *cg, json_t *arr, const char *where, capsa_err **err)
{
  const struct cg_dir *d = cg_dir_for (cg, "devices");
  size_t n = json_array_size (arr), total = n + ARRAY_SIZE (default_device_rules);
  cleanup_free char(*rules)[96] = NULL;
  cleanup_free bool *allow = NULL;
  size_t i;
  json_t *e;

  if (arr == NULL)
    return 0;
  if (!json_is_array (arr))
    return capsa_fail_as (err, EINVAL, "%s.devices: must be an array", where);
  rules = xmalloc0 (total * sizeof *rules);
  allow = xmalloc0 (total * sizeof *allow);
  json_array_foreach (arr, i, e)
  {
    cleanup_free char *what = xasprintf ("%s.devices[%zu]", where, i);
    if (cg_device_rule (e, what, rules[i], sizeof rules[i], &allow[i], err) < 0)
      return -1;
  }
  for (size_t k = 0; k < ARRAY_SIZE (default_device_rules); k++)
    {
      snprintf (rules[n + k], sizeof rules[n + k], "%s", default_device_rules[k]);
      allow[n + k] = true;
    }
  if (d == NULL || d->version == CG_V2)
    {
      const struct cg_dir *v2 = cg_dir_v2 (cg);
      if (v2 == NULL)
        return no_controller (where, "devices", err);
      if (run && run->dry)
        return 0;
      if (cg_bpf_devices (v2->path, (const char(*)[96]) rules, allow, total, err) < 0)
        return capsa_err_wrap (err, "%s.devices", where);
      return 0;
    }
  for (i = 0; i < total; i++)
    {
      cleanup_free char *what = i < n ? xasprintf ("%s.devices[%zu]", where, i) : xstrdup ("default devices");
      if (set_file (d, allow[i] ? "devices.allow" : "devices.deny", rules[i], what, err) < 0)
        return -1;
    }
  return 0;
}

/* unified: v2 file -> value, written as given.  Keys are file names in the container's own
 * directory: nothing with a slash, nothing hidden. */
static int
apply_unified (const struct capsa_cgroup *cg, json_t *obj, const char *where, capsa_err **err)
{
  const char *key;
  json_t *v;
  const struct cg_dir *d = cg_dir_v2 (cg);

  json_object_foreach (obj, key, v)
  {
    cleanup_free char *what = xasprintf ("%s.unified.%s", where, key);
    if (!json_is_string (v))
      return capsa_fail_as (err, EINVAL, "%s: must be a string", what);
    if (strchr (key, '/') || key[0] == '.' || strchr (key, '.') == NULL)
      return capsa_fail_as (err, EINVAL, "%s: not a cgroup v2 file name", what);
    if (d == NULL)
      return capsa_fail_as (err, ENOTSUP, "%s: needs cgroup v2, and this host has only cgroup v1", what);
    cleanup_free char *controller = xstrdup (key);
    *strchr (controller, '.') = '\0';
    if (strcmp (controller, "cgroup") != 0 && cg_dir_for (cg, controller) != d)
      return capsa_fail_as (err, ENOTSUP, "%s: the `%s` controller is not enabled in the container's cgroup v2 (%s)",
                            what, controller, d->path);
    if (set_file (d, key, json_string_value (v), what, err) < 0)
      return -1;
  }
  return 0;
}

static int
net_priority (const struct capsa_cgroup *cg, json_t *e, const char *what, capsa_err **err)
{
  const struct cg_dir *d = cg_dir_for (cg, "net_prio");
  const char *name = json_string_value (json_object_get (e, "name"));
  char buf[128];
  if (d == NULL)
    return no_controller (what, "net_prio", err);
  if (name == NULL || !json_is_integer (json_object_get (e, "priority")))
    return capsa_fail_as (err, EINVAL, "%s: needs a name and an integer priority", what);
  snprintf (buf, sizeof buf, "%s %" JSON_INTEGER_FORMAT, name, json_integer_value (json_object_get (e, "priority")));
  return set_file (d, "net_prio.ifpriomap", buf, what, err);
}

static int
apply_net_prio (const struct capsa_cgroup *cg, json_t *arr, const char *where, capsa_err **err)
{
  return each_item (cg, arr, where, "network.priorities", net_priority, err);
}

static bool
is_known_key (const char *section, const char *key)
{
  static const char *const special[] = {
    "memory.limit", "memory.swap", "memory.checkBeforeUpdate", "cpu.quota", "cpu.period", "blockIO.weight",
    "blockIO.weightDevice", "blockIO.throttleReadBpsDevice", "blockIO.throttleWriteBpsDevice",
    "blockIO.throttleReadIOPSDevice", "blockIO.throttleWriteIOPSDevice", "network.priorities",
  };
  char both[96];
  snprintf (both, sizeof both, "%s.%s", section, key);
  for (size_t i = 0; i < ARRAY_SIZE (special); i++)
    if (strcmp (both, special[i]) == 0)
      return true;
  for (size_t i = 0; i < ARRAY_SIZE (simple); i++)
    if (strcmp (section, simple[i].section) == 0 && strcmp (key, simple[i].key) == 0)
      return true;
  return false;
}

static int apply_all (const struct capsa_cgroup *cg, json_t *res, const char *where, capsa_err **err);

int
cg_apply_resources (const struct capsa_cgroup *cg, json_t *res, const char *where, capsa_err **err)
{
  struct res_run r = { .dry = true };

  run = &r;
  int ret = apply_all (cg, res, where, err);
  if (ret == 0)
    {
      r.dry = false;
      ret = apply_all (cg, res, where, err);
      if (ret < 0)
        roll_back (&r);
    }
  for (size_t i = 0; i < r.n; i++)
    {
      free (r.undo[i].path);
      free (r.undo[i].old);
    }
  free (r.undo);
  run = NULL;
  return ret;
}

static int
apply_all (const struct capsa_cgroup *cg, json_t *res, const char *where, capsa_err **err)
{
  static const char *const sections[] = { "memory", "cpu", "pids", "blockIO", "network" };
  const char *key;
  json_t *v;

  if (res == NULL || json_is_null (res))
    return 0;
  if (!json_is_object (res))
    return capsa_fail_as (err, EINVAL, "%s: must be an object", where);
  /* Unknown or misspelt keys are refused rather than dropped. */
  json_object_foreach (res, key, v)
  {
    bool section = false;
    for (size_t i = 0; i < ARRAY_SIZE (sections); i++)
      if (strcmp (key, sections[i]) == 0)
        section = true;
    if (section)
      {
        const char *k2;
        json_t *v2;
        if (!json_is_object (v))
          return capsa_fail_as (err, EINVAL, "%s.%s: must be an object", where, key);
        json_object_foreach (v, k2, v2)
        if (!is_known_key (key, k2))
          return capsa_fail_as (err, EINVAL, "%s.%s.%s: unknown resource", where, key, k2);
      }
    else if (strcmp (key, "devices") != 0 && strcmp (key, "hugepageLimits") != 0 && strcmp (key, "unified") != 0
             && strcmp (key, "rdma") != 0)
      return capsa_fail_as (err, EINVAL, "%s.%s: unknown resource", where, key);
  }
  if (cfg_check_resources (res, where, err) < 0)
    return -1;
  /* the order of the writes does not matter for all or nothing: see struct res_run */
  for (size_t i = 0; i < ARRAY_SIZE (simple); i++)
    {
      json_t *sec = json_object_get (res, simple[i].section);
      json_t *val = json_object_get (sec, simple[i].key);
      if (val == NULL || json_is_null (val))
        continue;
      cleanup_free char *what = xasprintf ("%s.%s.%s", where, simple[i].section, simple[i].key);
      if (apply_simple (cg, &simple[i], val, what, err) < 0)
        return -1;
    }
  if (apply_memory (cg, json_object_get (res, "memory"), where, err) < 0
      || apply_cpu_max (cg, json_object_get (res, "cpu"), where, err) < 0
      || apply_blkio (cg, json_object_get (res, "blockIO"), where, err) < 0
      || apply_hugetlb (cg, json_object_get (res, "hugepageLimits"), where, err) < 0
      || apply_net_prio (cg, json_object_get (json_object_get (res, "network"), "priorities"), where, err) < 0
      || apply_unified (cg, json_object_get (res, "unified"), where, err) < 0
      || apply_devices (cg, json_object_get (res, "devices"), where, err) < 0)
    return -1;
  if (json_object_size (json_object_get (res, "rdma")) > 0)
    return capsa_fail_as (err, ENOTSUP, "%s.rdma: rdma limits are not supported by capsa yet", where);
  return 0;
}
