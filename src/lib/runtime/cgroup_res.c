/* linux.resources -> cgroup files, for v1 and v2 directories alike.  See cgroup.h.
 *
 * The values come typed and checked (config_resources.c); what is left here depends on the host.
 * Most settings are one value to one file whose name depends on the version of the
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
  enum cfg_res_key key; /* linux.resources.<section>.<key> */
  const char *controller;
  const char *v1, *v2; /* file names; NULL: the setting does not exist on that version */
  enum conv conv;
} simple[] = {
  { CFG_RES_MEMORY_RESERVATION, "memory", "memory.soft_limit_in_bytes", "memory.low", C_LIMIT },
  { CFG_RES_MEMORY_SWAPPINESS, "memory", "memory.swappiness", NULL, C_INT },
  { CFG_RES_MEMORY_DISABLE_OOM_KILLER, "memory", "memory.oom_control", NULL, C_BOOL },
  { CFG_RES_MEMORY_USE_HIERARCHY, "memory", "memory.use_hierarchy", NULL, C_BOOL },
  { CFG_RES_MEMORY_KERNEL, "memory", "memory.kmem.limit_in_bytes", NULL, C_LIMIT },
  { CFG_RES_MEMORY_KERNEL_TCP, "memory", "memory.kmem.tcp.limit_in_bytes", NULL, C_LIMIT },
  { CFG_RES_CPU_SHARES, "cpu", "cpu.shares", "cpu.weight", C_SHARES },
  { CFG_RES_CPU_REALTIME_RUNTIME, "cpu", "cpu.rt_runtime_us", NULL, C_INT },
  { CFG_RES_CPU_REALTIME_PERIOD, "cpu", "cpu.rt_period_us", NULL, C_INT },
  { CFG_RES_CPU_BURST, "cpu", "cpu.cfs_burst_us", "cpu.max.burst", C_INT },
  { CFG_RES_CPU_IDLE, "cpu", NULL, "cpu.idle", C_INT },
  { CFG_RES_CPU_CPUS, "cpuset", "cpuset.cpus", "cpuset.cpus", C_STR },
  { CFG_RES_CPU_MEMS, "cpuset", "cpuset.mems", "cpuset.mems", C_STR },
  { CFG_RES_PIDS_LIMIT, "pids", "pids.max", "pids.max", C_PIDS },
  { CFG_RES_BLKIO_LEAF_WEIGHT, "blkio", "blkio.leaf_weight", NULL, C_INT },
  { CFG_RES_NETWORK_CLASS_ID, "net_cls", "net_cls.classid", NULL, C_INT },
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
  return capsa_fail_as (err, ENOTSUP, "%s: the `%s` cgroup controller is not available on this host", what, controller);
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
} * run;

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
  run->undo[run->n++] = (struct undo){ xstrdup (path), old };
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
apply_simple (const struct capsa_cgroup *cg, const struct simple *s, const struct cfg_res_value *v, const char *what,
              capsa_err **err)
{
  const struct cg_dir *d = dir_for (cg, s->controller);
  char buf[64];
  const char *value = buf;
  int64_t n = v->i;

  if (d == NULL)
    return no_controller (what, s->controller, err);
  const char *file = d->version == CG_V1 ? s->v1 : s->v2;
  if (file == NULL)
    return not_on (what, d->version, s->controller, err);
  if (s->conv == C_STR)
    value = v->s;
  else if (s->conv == C_BOOL)
    value = v->b ? "1" : "0";
  else
    {
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
apply_memory (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  bool jl = res->v[CFG_RES_MEMORY_LIMIT].set, js = res->v[CFG_RES_MEMORY_SWAP].set;
  cleanup_free char *wl = xasprintf ("%s.memory.limit", where);
  cleanup_free char *ws = xasprintf ("%s.memory.swap", where);
  int64_t limit = jl ? res->v[CFG_RES_MEMORY_LIMIT].i : 0, swap = js ? res->v[CFG_RES_MEMORY_SWAP].i : 0;
  char lbuf[32], sbuf[32];

  if (!jl && !js)
    return 0;
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
          if (swap >= 0 && (!jl || limit < 0))
            return capsa_fail_as (err, EINVAL, "%s: a swap limit needs a memory limit on cgroup v2", ws);
          if (swap >= 0 && swap < limit)
            return capsa_fail_as (err, EINVAL,
                                  "%s: %" PRId64 " is below memory.limit %" PRId64 " (swap counts memory plus swap)",
                                  ws, swap, limit);
          snprintf (sbuf, sizeof sbuf, "%" PRId64, swap - limit);
          if (set_file (d, "memory.swap.max", swap < 0 ? "max" : sbuf, ws, err) < 0)
            return -1;
        }
      return 0;
    }
  snprintf (lbuf, sizeof lbuf, "%" PRId64, limit < 0 ? -1 : limit);
  snprintf (sbuf, sizeof sbuf, "%" PRId64, swap < 0 ? -1 : swap);
  if (!js)
    return set_file (d, "memory.limit_in_bytes", lbuf, wl, err);
  if (!jl)
    return set_file (d, "memory.memsw.limit_in_bytes", sbuf, ws, err);
  if (swap >= 0 && limit >= 0 && swap < limit)
    return capsa_fail_as (err, EINVAL,
                          "%s: %" PRId64 " is below memory.limit %" PRId64 " (swap counts memory plus swap)", ws, swap,
                          limit);
  /* raising: memsw first; lowering: limit first.  Try one order, then the other. */
  cleanup_err capsa_err *first = NULL;
  if (set_file (d, "memory.limit_in_bytes", lbuf, wl, &first) == 0)
    return set_file (d, "memory.memsw.limit_in_bytes", sbuf, ws, err);
  if (set_file (d, "memory.memsw.limit_in_bytes", sbuf, ws, err) < 0)
    return -1;
  return set_file (d, "memory.limit_in_bytes", lbuf, wl, err);
}

static int
apply_cpu_max (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  bool jq = res->v[CFG_RES_CPU_QUOTA].set, jp = res->v[CFG_RES_CPU_PERIOD].set;
  cleanup_free char *what = xasprintf ("%s.cpu.%s", where, jq ? "quota" : "period");
  int64_t quota = jq ? res->v[CFG_RES_CPU_QUOTA].i : -1, period = jp ? res->v[CFG_RES_CPU_PERIOD].i : 0;
  char buf[64];

  if (!jq && !jp)
    return 0;
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
  if (!jq)
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

/* blockIO: weight, weightDevice[], throttle*Device[] (by CFG_THROTTLE_*). */
static const struct throttle
{
  const char *v1, *v2;
} throttles[CFG_THROTTLE_COUNT] = {
  [CFG_THROTTLE_READ_BPS] = { "blkio.throttle.read_bps_device", "rbps" },
  [CFG_THROTTLE_WRITE_BPS] = { "blkio.throttle.write_bps_device", "wbps" },
  [CFG_THROTTLE_READ_IOPS] = { "blkio.throttle.read_iops_device", "riops" },
  [CFG_THROTTLE_WRITE_IOPS] = { "blkio.throttle.write_iops_device", "wiops" },
};

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
apply_blkio_weight (const struct cg_dir *d, const struct cfg_res_value *v, const char *where, capsa_err **err)
{
  cleanup_free char *what = xasprintf ("%s.blockIO.weight", where);
  char buf[32];

  if (!v->set || v->i == 0)
    return 0;
  if (d == NULL)
    return no_controller (what, "blkio", err);
  snprintf (buf, sizeof buf, "%" PRId64, v->i);
  return d->version == CG_V1 ? set_file (d, "blkio.weight", buf, what, err) : set_v2_weight (d, NULL, v->i, what, err);
}

static int
apply_weight_device (const struct cg_dir *d, const struct cfg_res_weight_device *w, const char *what, capsa_err **err)
{
  char buf[128], dev[48];

  if (d == NULL)
    return no_controller (what, "blkio", err);
  snprintf (dev, sizeof dev, "%" PRId64 ":%" PRId64, w->major, w->minor);
  if (w->has_weight && d->version == CG_V1)
    {
      snprintf (buf, sizeof buf, "%s %" PRId64, dev, w->weight);
      if (set_file (d, "blkio.weight_device", buf, what, err) < 0)
        return -1;
    }
  else if (w->has_weight && set_v2_weight (d, dev, w->weight, what, err) < 0)
    return -1;
  if (!w->has_leaf_weight)
    return 0;
  if (d->version == CG_V2)
    return not_on (what, CG_V2, "io", err);
  snprintf (buf, sizeof buf, "%s %" PRId64, dev, w->leaf_weight);
  return set_file (d, "blkio.leaf_weight_device", buf, what, err);
}

static int
apply_throttle (const struct cg_dir *d, int t, const struct cfg_res_throttle *th, const char *what, capsa_err **err)
{
  char buf[128], r[32] = "max";

  if (d == NULL)
    return no_controller (what, "blkio", err);
  if (th->rate > 0)
    snprintf (r, sizeof r, "%" PRId64, th->rate);
  if (d->version == CG_V1)
    snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRId64, th->major, th->minor, th->rate);
  else
    snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%s", th->major, th->minor, throttles[t].v2, r);
  return set_file (d, d->version == CG_V1 ? throttles[t].v1 : "io.max", buf, what, err);
}

static int
apply_blkio (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  const struct cg_dir *d = dir_for (cg, "blkio");

  if (apply_blkio_weight (d, &res->v[CFG_RES_BLKIO_WEIGHT], where, err) < 0)
    return -1;
  for (size_t i = 0; i < res->n_weight_devices; i++)
    {
      cleanup_free char *what = xasprintf ("%s.blockIO.weightDevice[%zu]", where, i);
      if (apply_weight_device (d, &res->weight_devices[i], what, err) < 0)
        return -1;
    }
  for (int t = 0; t < CFG_THROTTLE_COUNT; t++)
    for (size_t i = 0; i < res->n_throttles[t]; i++)
      {
        cleanup_free char *what = xasprintf ("%s.blockIO.%s[%zu]", where, cfg_throttle_name (t), i);
        if (apply_throttle (d, t, &res->throttles[t][i], what, err) < 0)
          return -1;
      }
  return 0;
}

static int
apply_hugetlb (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  for (size_t i = 0; i < res->n_hugepages; i++)
    {
      cleanup_free char *what = xasprintf ("%s.hugepageLimits[%zu]", where, i);
      char buf[32];
      const struct cg_dir *d = dir_for (cg, "hugetlb");
      if (d == NULL)
        return no_controller (what, "hugetlb", err);
      cleanup_free char *file = xasprintf (d->version == CG_V1 ? "hugetlb.%s.limit_in_bytes" : "hugetlb.%s.max",
                                           res->hugepages[i].page_size);
      snprintf (buf, sizeof buf, "%" PRId64, res->hugepages[i].limit);
      if (set_file (d, file, buf, what, err) < 0)
        return -1;
    }
  return 0;
}

/* The devices every container needs, allowed after the config's rules (as runc and crun do):
 * null, zero, full, random, urandom, tty, console, ptmx and the pty slaves. */
static const char *const default_device_rules[] = {
  "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

/* One rule as cgroup v1 writes it ("c 1:3 rwm"). */
static void
device_rule (const struct cfg_res_device *d, char *buf, size_t len)
{
  char maj[24] = "*", min[24] = "*";
  if (d->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, d->major);
  if (d->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, d->minor);
  /* a fifo is not a device to the kernel's filter: treat it as "all" like runc */
  snprintf (buf, len, "%c %s:%s %s", d->type == 'p' ? 'a' : d->type, maj, min, d->access);
}

static int
apply_devices (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  const struct cg_dir *d = cg_dir_for (cg, "devices");
  size_t n = res->n_devices, total = n + ARRAY_SIZE (default_device_rules);
  cleanup_free char (*rules)[96] = NULL;
  cleanup_free bool *allow = NULL;

  if (!(res->sections & (1u << CFG_RES_SECTION_DEVICES)))
    return 0;
  rules = xmalloc0 (total * sizeof *rules);
  allow = xmalloc0 (total * sizeof *allow);
  for (size_t i = 0; i < n; i++)
    {
      device_rule (&res->devices[i], rules[i], sizeof rules[i]);
      allow[i] = res->devices[i].allow;
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
      if (cg_bpf_devices (v2->path, (const char (*)[96]) rules, allow, total, err) < 0)
        return capsa_err_wrap (err, "%s.devices", where);
      return 0;
    }
  for (size_t i = 0; i < total; i++)
    {
      cleanup_free char *what = i < n ? xasprintf ("%s.devices[%zu]", where, i) : xstrdup ("default devices");
      if (set_file (d, allow[i] ? "devices.allow" : "devices.deny", rules[i], what, err) < 0)
        return -1;
    }
  return 0;
}

/* unified: v2 file -> value, written as given (config_resources.c checked the names). */
static int
apply_unified (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  const struct cg_dir *d = cg_dir_v2 (cg);

  for (size_t i = 0; i < res->n_unified; i++)
    {
      const char *key = res->unified[i].key;
      cleanup_free char *what = xasprintf ("%s.unified.%s", where, key);
      if (d == NULL)
        return capsa_fail_as (err, ENOTSUP, "%s: needs cgroup v2, and this host has only cgroup v1", what);
      cleanup_free char *controller = xstrdup (key);
      *strchr (controller, '.') = '\0';
      if (strcmp (controller, "cgroup") != 0 && cg_dir_for (cg, controller) != d)
        return capsa_fail_as (err, ENOTSUP, "%s: the `%s` controller is not enabled in the container's cgroup v2 (%s)",
                              what, controller, d->path);
      if (set_file (d, key, res->unified[i].value, what, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_net_prio (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  for (size_t i = 0; i < res->n_priorities; i++)
    {
      cleanup_free char *what = xasprintf ("%s.network.priorities[%zu]", where, i);
      const struct cg_dir *d = cg_dir_for (cg, "net_prio");
      char buf[128];
      if (d == NULL)
        return no_controller (what, "net_prio", err);
      snprintf (buf, sizeof buf, "%s %" PRId64, res->priorities[i].name, res->priorities[i].priority);
      if (set_file (d, "net_prio.ifpriomap", buf, what, err) < 0)
        return -1;
    }
  return 0;
}

static int apply_all (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where,
                      capsa_err **err);

int
cg_apply_resources (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
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
apply_all (const struct capsa_cgroup *cg, const struct cfg_resources *res, const char *where, capsa_err **err)
{
  if (res == NULL)
    return 0;
  /* the order of the writes does not matter for all or nothing: see struct res_run */
  for (size_t i = 0; i < ARRAY_SIZE (simple); i++)
    {
      const char *section, *key;
      if (!res->v[simple[i].key].set)
        continue;
      cfg_res_key_name (simple[i].key, &section, &key);
      cleanup_free char *what = xasprintf ("%s.%s.%s", where, section, key);
      if (apply_simple (cg, &simple[i], &res->v[simple[i].key], what, err) < 0)
        return -1;
    }
  if (apply_memory (cg, res, where, err) < 0 || apply_cpu_max (cg, res, where, err) < 0
      || apply_blkio (cg, res, where, err) < 0 || apply_hugetlb (cg, res, where, err) < 0
      || apply_net_prio (cg, res, where, err) < 0 || apply_unified (cg, res, where, err) < 0
      || apply_devices (cg, res, where, err) < 0)
    return -1;
  if (res->rdma)
    return capsa_fail_as (err, ENOTSUP, "%s.rdma: rdma limits are not supported by capsa yet", where);
  return 0;
}
