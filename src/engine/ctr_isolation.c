/* `capsa inspect --isolation`: see capsa_ctr_isolation in capsa/engine.h.  Everything is read
 * from the kernel at the moment of the call; the config is used only to say what was asked
 * (masked paths, binds, devices) and then checked against the container's live mount table. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup.h"
#include "ctr.h"
#include "jsonutil.h"
#include "mountinfo.h"
#include "util.h"

static const char *const namespaces[] = { "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time" };

static const char *const cap_names[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

/* A whole small file (proc, cgroup), NULL when it cannot be read. */
static char *
slurp (const char *path)
{
  char *s = NULL;
  size_t len = 0;
  capsa_err *e = NULL;
  if (read_file_at (AT_FDCWD, path, &s, &len, &e) < 0)
    {
      capsa_err_free (&e);
      return NULL;
    }
  return s;
}

/* First line of a file without its newline; NULL when unreadable. */
static char *
read_line (const char *path)
{
  char *s = slurp (path);
  if (s)
    s[strcspn (s, "\n")] = '\0';
  return s;
}

static char *
ns_link (const char *proc, const char *ns)
{
  char path[64], buf[128];
  snprintf (path, sizeof path, "/proc/%s/ns/%s", proc, ns);
  ssize_t n = readlink (path, buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup (buf);
}

/* ---- /proc/PID/status ---------------------------------------------------------------------- */

static char *
status_field (const char *status, const char *key)
{
  size_t kl = strlen (key);
  for (const char *l = status; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, key, kl) == 0 && l[kl] == ':')
      {
        const char *v = l + kl + 1;
        while (*v == ' ' || *v == '\t')
          v++;
        return strndup (v, strcspn (v, "\n"));
      }
  return NULL;
}

static json_t *
cap_list (uint64_t mask)
{
  json_t *a = json_array ();
  for (unsigned i = 0; i < 64; i++)
    if (mask & (1ULL << i))
      {
        if (i < ARRAY_SIZE (cap_names))
          json_array_append_new (a, json_string (cap_names[i]));
        else
          {
            char b[32];
            snprintf (b, sizeof b, "CAP_%u", i);
            json_array_append_new (a, json_string (b));
          }
      }
  return a;
}

static uint64_t
status_mask (const char *status, const char *key)
{
  cleanup_free char *v = status_field (status, key);
  return v ? strtoull (v, NULL, 16) : 0;
}

/* ---- cgroups ------------------------------------------------------------------------------- */

/* The container's cgroup as the report reads it: the host's hierarchies, the process's directories. */
struct cg_view
{
  struct cg_host host;
  struct capsa_cgroup cg;
};

/* A process whose cgroup cannot be read has no limits to show: v is then (partly) empty. */
static void
cg_view_read (pid_t pid, struct cg_view *v)
{
  cleanup_err capsa_err *e = NULL;
  memset (v, 0, sizeof *v);
  if (cg_host_detect (&v->host, &e) == 0)
    cg_of_pid (&v->host, pid, &v->cg, &e);
}

static void
cg_view_free (struct cg_view *v)
{
  cg_free (&v->cg);
  cg_host_free (&v->host);
}

/* "memory" -> dir for each v1 controller, "unified" -> the v2 dir. */
static json_t *
cg_paths (const struct capsa_cgroup *cg)
{
  json_t *paths = json_object ();
  for (size_t i = 0; i < cg->n; i++)
    {
      const struct cg_dir *d = &cg->d[i];
      cleanup_free char *cs = xstrdup (d->version == CG_V2 ? "unified" : d->controllers);
      char *save = NULL;
      for (char *c = strtok_r (cs, ",", &save); c; c = strtok_r (NULL, ",", &save))
        json_object_set_new (paths, c, json_string (d->path));
    }
  return paths;
}

/* The container's v1 directory of controller ctrl, NULL when it has none. */
static const struct cg_dir *
v1_dir (const struct capsa_cgroup *cg, const char *ctrl)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->d[i].version == CG_V1 && mount_opt_has (cg->d[i].controllers, ctrl))
      return &cg->d[i];
  return NULL;
}

/* The file of controller ctrl: the v1 file in ctrl's v1 hierarchy, or else the v2 file in the
 * unified dir.  *version is 1 or 2 (left as it was when there is neither: NULL). */
static char *
cg_file (const struct capsa_cgroup *cg, const char *ctrl, const char *v1, const char *v2, int *version)
{
  const struct cg_dir *d = v1 ? v1_dir (cg, ctrl) : NULL;
  if (d)
    {
      char *f = xasprintf ("%s/%s", d->path, v1);
      if (access (f, R_OK) == 0)
        {
          *version = 1;
          return f;
        }
      free (f);
    }
  d = cg_dir_v2 (cg);
  if (d && v2)
    {
      char *f = xasprintf ("%s/%s", d->path, v2);
      if (access (f, R_OK) == 0)
        {
          *version = 2;
          return f;
        }
      free (f);
    }
  return NULL;
}

static void
human_bytes (long long b, char *buf, size_t len)
{
  static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  double v = (double) b;
  unsigned i = 0;
  while (v >= 1024 && i + 1 < ARRAY_SIZE (u))
    v /= 1024, i++;
  if (v == (long long) v)
    snprintf (buf, len, "%lld%s", (long long) v, u[i]);
  else
    snprintf (buf, len, "%.1f%s", v, u[i]);
}

static json_t *
limit_entry (const char *file, int version, const char *raw, json_t *limit, const char *text)
{
  return json_pack ("{s:s?, s:i, s:s?, s:o, s:s}", "file", file, "cgroup", version, "raw", raw, "limit", limit, "text",
                    text);
}

/* A byte limit: "max", -1 or a v1 "unlimited" (PAGE_COUNTER_MAX pages) is no limit. */
static json_t *
bytes_limit (const struct capsa_cgroup *cg, const char *ctrl, const char *v1, const char *v2, const char *what)
{
  int ver = 0;
  cleanup_free char *f = cg_file (cg, ctrl, v1, v2, &ver);
  if (f == NULL)
    return limit_entry (NULL, 0, NULL, json_null (), "no limit (no cgroup for it)");
  cleanup_free char *raw = read_line (f);
  long long v = raw && strcmp (raw, "max") != 0 ? strtoll (raw, NULL, 10) : -1;
  if (raw == NULL || v < 0 || v >= (1LL << 62))
    return limit_entry (f, ver, raw, json_null (), "no limit");
  char h[32], t[96];
  human_bytes (v, h, sizeof h);
  snprintf (t, sizeof t, "%s%s", h, what ? what : "");
  return limit_entry (f, ver, raw, json_integer (v), t);
}

/* The limits below share *ver, the version of the last file found (the report has always shown
 * it, for a limit without a file too). */

/* v1 limits memory+swap together; v2 limits swap alone */
static json_t *
swap_limit (const struct capsa_cgroup *cg, int *ver)
{
  cleanup_free char *f1 = cg_file (cg, "memory", "memory.memsw.limit_in_bytes", NULL, ver);
  if (f1)
    return bytes_limit (cg, "memory", "memory.memsw.limit_in_bytes", NULL, " (memory+swap)");
  return bytes_limit (cg, "memory", "-", "memory.swap.max", " (swap)");
}

static json_t *
pids_limit (const struct capsa_cgroup *cg, int *ver)
{
  cleanup_free char *f = cg_file (cg, "pids", "pids.max", "pids.max", ver);
  cleanup_free char *raw = f ? read_line (f) : NULL;
  if (raw == NULL || strcmp (raw, "max") == 0)
    return limit_entry (f, *ver, raw, json_null (), "no limit");
  char t[64];
  snprintf (t, sizeof t, "%s processes", raw);
  return limit_entry (f, *ver, raw, json_integer (strtoll (raw, NULL, 10)), t);
}

/* v1: cpu.cfs_quota_us and cpu.cfs_period_us (*raw "QUOTA PERIOD"); v2: cpu.max. */
static void
cpu_quota (const struct capsa_cgroup *cg, const char *f, int *ver, char **raw, long long *quota, long long *period)
{
  if (f && *ver == 1)
    {
      *raw = read_line (f);
      *quota = *raw ? strtoll (*raw, NULL, 10) : -1;
      cleanup_free char *pf = cg_file (cg, "cpu", "cpu.cfs_period_us", NULL, ver);
      cleanup_free char *p = pf ? read_line (pf) : NULL;
      if (p)
        *period = strtoll (p, NULL, 10);
      *ver = 1;
      if (*raw && p)
        {
          char *r = xasprintf ("%s %s", *raw, p);
          free (*raw);
          *raw = r;
        }
    }
  else if (f)
    {
      *raw = read_line (f);
      char q[32] = "";
      if (*raw && sscanf (*raw, "%31s %lld", q, period) >= 1)
        *quota = strcmp (q, "max") == 0 ? -1 : strtoll (q, NULL, 10);
    }
}

static json_t *
cpu_limit (const struct capsa_cgroup *cg, int *ver)
{
  long long quota = -1, period = 100000;
  cleanup_free char *raw = NULL;
  cleanup_free char *f = cg_file (cg, "cpu", "cpu.cfs_quota_us", "cpu.max", ver);
  cpu_quota (cg, f, ver, &raw, &quota, &period);
  if (quota < 0 || period <= 0)
    return limit_entry (f, *ver, raw, json_null (), "no limit");
  char t[96];
  snprintf (t, sizeof t, "%.2f CPUs (quota %lldus per %lldus)", (double) quota / (double) period, quota, period);
  return json_pack ("{s:s, s:i, s:s?, s:f, s:I, s:I, s:s}", "file", f, "cgroup", *ver, "raw", raw, "limit",
                    (double) quota / (double) period, "quota", (json_int_t) quota, "period", (json_int_t) period,
                    "text", t);
}

static json_t *
cpu_weight (const struct capsa_cgroup *cg, int *ver)
{
  cleanup_free char *f = cg_file (cg, "cpu", "cpu.shares", "cpu.weight", ver);
  cleanup_free char *raw = f ? read_line (f) : NULL;
  long long v = raw ? strtoll (raw, NULL, 10) : 0;
  bool dflt = raw == NULL || (*ver == 1 && v == 1024) || (*ver == 2 && v == 100);
  char t[64];
  snprintf (t, sizeof t, "%s %lld", *ver == 1 ? "shares" : "weight", v);
  return limit_entry (f, *ver, raw, dflt ? json_null () : json_integer (v), dflt ? "no limit (default weight)" : t);
}

/* cpuset.cpus (mems false) or cpuset.mems, against the whole machine's set (the hierarchy root's). */
static json_t *
cpuset_limit (const struct cg_view *v, bool mems, int *ver)
{
  const char *v1 = mems ? "cpuset.mems" : "cpuset.cpus";
  const char *v2 = mems ? "cpuset.mems.effective" : "cpuset.cpus.effective";
  cleanup_free char *f = cg_file (&v->cg, "cpuset", v1, v2, ver);
  cleanup_free char *raw = f ? read_line (f) : NULL;
  cleanup_free char *rootf = NULL;
  for (size_t i = 0; i < v->host.n && rootf == NULL; i++)
    {
      const struct cg_hier *h = &v->host.h[i];
      if (*ver == 1 && h->version == CG_V1 && mount_opt_has (h->controllers, "cpuset") && v1_dir (&v->cg, "cpuset"))
        rootf = xasprintf ("%s/%s", h->mount, v1);
      if (*ver == 2 && h->version == CG_V2)
        rootf = xasprintf ("%s/%s", h->mount, v2);
    }
  cleanup_free char *all = rootf ? read_line (rootf) : NULL;
  bool unl = raw == NULL || raw[0] == '\0' || (all && strcmp (all, raw) == 0);
  char t[128];
  snprintf (t, sizeof t, unl ? "no limit (all: %s)" : "%s", unl ? (all ? all : "?") : raw);
  return limit_entry (f, *ver, raw, unl ? json_null () : json_string (raw), t);
}

static json_t *
cg_limits (const struct cg_view *v)
{
  const struct capsa_cgroup *cg = &v->cg;
  json_t *l = json_object ();
  int ver = 0;
  json_object_set_new (l, "memory", bytes_limit (cg, "memory", "memory.limit_in_bytes", "memory.max", NULL));
  json_object_set_new (l, "swap", swap_limit (cg, &ver));
  json_object_set_new (l, "pids", pids_limit (cg, &ver));
  json_object_set_new (l, "cpu", cpu_limit (cg, &ver));
  json_object_set_new (l, "cpu-weight", cpu_weight (cg, &ver));
  json_object_set_new (l, "cpuset-cpus", cpuset_limit (v, false, &ver));
  json_object_set_new (l, "cpuset-mems", cpuset_limit (v, true, &ver));
  return l;
}

/* ---- the report ---------------------------------------------------------------------------- */

static json_t *
id_map (pid_t pid, const char *which, bool *identity)
{
  char p[64];
  snprintf (p, sizeof p, "/proc/%d/%s", (int) pid, which);
  cleanup_free char *txt = slurp (p);
  json_t *a = json_array ();
  char *save = NULL;
  for (char *l = txt ? strtok_r (txt, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      long long in, out, n;
      if (sscanf (l, "%lld %lld %lld", &in, &out, &n) == 3)
        json_array_append_new (a, json_pack ("[I, I, I]", (json_int_t) in, (json_int_t) out, (json_int_t) n));
    }
  json_t *f = json_array_get (a, 0);
  *identity = json_array_size (a) == 1 && json_integer_value (json_array_get (f, 0)) == 0
              && json_integer_value (json_array_get (f, 1)) == 0
              && json_integer_value (json_array_get (f, 2)) == 4294967295LL;
  return a;
}

static const char *
ns_note (const char *ns)
{
  if (strcmp (ns, "user") == 0)
    return "no user namespace, container root is host root";
  if (strcmp (ns, "net") == 0)
    return "interfaces, ports and routes are the host's";
  if (strcmp (ns, "pid") == 0)
    return "the container sees every host process";
  if (strcmp (ns, "mnt") == 0)
    return "the host's mount table";
  if (strcmp (ns, "ipc") == 0)
    return "host SysV IPC and POSIX message queues";
  if (strcmp (ns, "uts") == 0)
    return "the host's hostname";
  if (strcmp (ns, "cgroup") == 0)
    return "the host's cgroup tree is visible";
  return "no time namespace, the host's clocks";
}

/* The container's inode of each namespace against the host's (pid 1's, or capsa's own);
 * shared[i] says whether namespaces[i] is the host's. */
static json_t *
ns_report (const char *pidstr, bool *shared)
{
  json_t *nss = json_object ();
  for (size_t i = 0; i < ARRAY_SIZE (namespaces); i++)
    {
      cleanup_free char *mine = ns_link (pidstr, namespaces[i]);
      cleanup_free char *host = ns_link ("1", namespaces[i]);
      const char *host_from = "/proc/1";
      if (host == NULL)
        host = ns_link ("self", namespaces[i]), host_from = "/proc/self";
      json_t *e;
      if (mine == NULL)
        e = json_pack ("{s:n, s:s?, s:s, s:b, s:s}", "container", "host", host, "hostFrom", host_from, "shared", 0,
                       "state", "not supported by this kernel");
      else
        {
          shared[i] = host && strcmp (mine, host) == 0;
          e = json_pack ("{s:s, s:s?, s:s, s:b, s:s}", "container", mine, "host", host, "hostFrom", host_from, "shared",
                         shared[i], "state", shared[i] ? "SHARED with the host" : "private");
          if (shared[i])
            json_object_set_new (e, "note", json_string (ns_note (namespaces[i])));
        }
      json_object_set_new (nss, namespaces[i], e);
    }
  return nss;
}

static json_t *
user_mapping (pid_t pid)
{
  bool uid_id = false, gid_id = false;
  json_t *um = json_pack ("{s:o, s:o}", "uidMap", id_map (pid, "uid_map", &uid_id), "gidMap",
                          id_map (pid, "gid_map", &gid_id));
  json_object_set_new (um, "identity", json_boolean (uid_id && gid_id));
  json_object_set_new (um, "text",
                       json_string (uid_id && gid_id ? "none: container root is host root"
                                                     : "container ids are mapped to other host ids"));
  return um;
}

static json_t *
cgroups_report (pid_t pid)
{
  struct cg_view v;
  cg_view_read (pid, &v);
  json_t *r = json_pack ("{s:o, s:o}", "paths", cg_paths (&v.cg), "limits", cg_limits (&v));
  cg_view_free (&v);
  return r;
}

/* capabilities, no_new_privs, seccomp, from the process's status */
static json_t *
security_report (const char *status)
{
  uint64_t eff = status_mask (status, "CapEff"), bnd = status_mask (status, "CapBnd");
  cleanup_free char *self_status = slurp ("/proc/self/status");
  uint64_t host_bnd = self_status ? status_mask (self_status, "CapBnd") : 0;
  cleanup_free char *nnp = status_field (status, "NoNewPrivs");
  cleanup_free char *sec = status_field (status, "Seccomp");
  cleanup_free char *secf = status_field (status, "Seccomp_filters");
  int mode = sec ? atoi (sec) : 0;
  json_t *s = json_pack ("{s:o, s:o, s:o, s:o, s:b, s:b, s:i, s:s}", "CapEff", cap_list (eff), "CapBnd", cap_list (bnd),
                         "CapPrm", cap_list (status_mask (status, "CapPrm")), "CapAmb",
                         cap_list (status_mask (status, "CapAmb")), "FullCapabilities",
                         (bnd & host_bnd) == host_bnd && (eff & host_bnd) == host_bnd, "NoNewPrivs",
                         nnp && atoi (nnp) == 1, "Seccomp", mode, "SeccompMode",
                         mode == 0   ? "none"
                         : mode == 1 ? "strict"
                         : mode == 2 ? "filter"
                                     : "?");
  char hex[32];
  snprintf (hex, sizeof hex, "%016" PRIx64, eff);
  json_object_set_new (s, "CapEffHex", json_string (hex));
  snprintf (hex, sizeof hex, "%016" PRIx64, bnd);
  json_object_set_new (s, "CapBndHex", json_string (hex));
  json_object_set_new (s, "SeccompFilters", secf ? json_integer (atoi (secf)) : json_null ());
  return s;
}

/* The config's maskedPaths (masked true) or readonlyPaths, checked in the container's mounts. */
static json_t *
paths_report (json_t *want, bool masked, pid_t pid, const struct mountinfo *mi)
{
  json_t *arr = json_array ();
  size_t i;
  json_t *v;
  json_array_foreach (want, i, v)
  {
    const char *p = json_string_value (v);
    if (p == NULL)
      continue;
    const struct mountinfo_entry *m = mountinfo_at (mi, p);
    cleanup_free char *inroot = xasprintf ("/proc/%d/root%s", (int) pid, p);
    struct stat st;
    const char *state;
    bool ok = false;
    if (m && (masked || mount_opt_has (m->opts, "ro")))
      state = masked ? "masked" : "read-only", ok = true;
    else if (lstat (inroot, &st) < 0)
      state = "absent in the container", ok = true;
    else
      state = masked ? "NOT masked" : "NOT read-only";
    json_array_append_new (arr, json_pack ("{s:s, s:s, s:b}", "path", p, "state", state, "ok", ok));
  }
  return arr;
}

static json_t *
readonly_mounts (const struct mountinfo *mi)
{
  json_t *ro = json_array ();
  for (size_t i = 0; i < mi->n; i++)
    if (mount_opt_has (mi->m[i].opts, "ro"))
      json_array_append_new (ro, json_pack ("{s:s, s:s, s:s}", "destination", mi->m[i].point, "type", mi->m[i].fstype,
                                            "source", mi->m[i].source));
  return ro;
}

/* The devices the config gives the container (its linux.devices). */
static json_t *
devices_report (json_t *devices)
{
  json_t *devs = json_array ();
  for (size_t i = 0; i < json_array_size (devices); i++)
    {
      json_t *d = json_array_get (devices, i);
      const char *path = json_string_value (json_object_get (d, "path"));
      const char *type = json_string_value (json_object_get (d, "type"));
      json_array_append_new (devs,
                             json_pack ("{s:s, s:s, s:I, s:I}", "path", path ? path : "?", "type", type ? type : "?",
                                        "major", json_integer_value (json_object_get (d, "major")), "minor",
                                        json_integer_value (json_object_get (d, "minor"))));
    }
  return devs;
}

/* Whether a config mount is a bind (type or options), and whether its options say ro. */
static bool
is_bind (json_t *mnt, bool *cro)
{
  const char *type = json_string_value (json_object_get (mnt, "type"));
  bool bind = type && strcmp (type, "bind") == 0;
  size_t j;
  json_t *o;
  *cro = false;
  json_array_foreach (json_object_get (mnt, "options"), j, o)
  {
    const char *s = json_string_value (o);
    if (s && (strcmp (s, "bind") == 0 || strcmp (s, "rbind") == 0))
      bind = true;
    if (s && strcmp (s, "ro") == 0)
      *cro = true;
  }
  return bind;
}

/* The config's host binds, as the container's mount table has them (dir: the container's own,
 * whose files are capsa's). */
static json_t *
binds_report (json_t *cfg, const char *dir, const struct mountinfo *mi)
{
  json_t *binds = json_array ();
  size_t i;
  json_t *mnt;
  json_array_foreach (json_object_get (cfg, "mounts"), i, mnt)
  {
    bool cro;
    const char *src = json_string_value (json_object_get (mnt, "source"));
    const char *dst = json_string_value (json_object_get (mnt, "destination"));
    if (!is_bind (mnt, &cro) || src == NULL || dst == NULL)
      continue;
    const struct mountinfo_entry *live = mountinfo_at (mi, dst);
    bool rdonly = live ? mount_opt_has (live->opts, "ro") : cro;
    size_t dl = strlen (dir);
    bool capsa_own = strncmp (src, dir, dl) == 0 && (src[dl] == '/' || src[dl] == '\0');
    json_array_append_new (binds, json_pack ("{s:s, s:s, s:b, s:s, s:b, s:b}", "source", src, "destination", dst,
                                             "readonly", rdonly, "mode", rdonly ? "ro" : "rw", "mounted", live != NULL,
                                             "capsaFile", capsa_own));
  }
  return binds;
}

/* What is still shared with the host: the kernel, time, network, pids, devices, binds. */
static json_t *
shared_report (json_t *cfg, const char *dir, const bool *shared, const struct mountinfo *mi)
{
  struct utsname u;
  uname (&u);
  json_t *sh = json_pack ("{s:s, s:b, s:b, s:b}", "kernel", u.release, "time", shared[7], "hostNetwork", shared[1],
                          "hostPid", shared[0]);
  json_object_set_new (sh, "devices", devices_report (json_object_get (json_object_get (cfg, "linux"), "devices")));
  json_object_set_new (sh, "binds", binds_report (cfg, dir, mi));
  return sh;
}

int
capsa_ctr_isolation (struct capsa_engine *eng, struct ctr *c, json_t **out, capsa_err **err)
{
  (void) eng;
  char pidstr[32], sp[64], mp[64];
  snprintf (pidstr, sizeof pidstr, "%d", (int) c->pid);
  snprintf (sp, sizeof sp, "/proc/%d/status", (int) c->pid);
  cleanup_free char *status = NULL;
  if ((c->status == CTR_RUNNING || c->status == CTR_PAUSED) && c->pid > 0)
    status = slurp (sp);
  if (status == NULL)
    return capsa_fail_as (err, EINVAL,
                          "container %s is not running: isolation is a property of a running container; start it first",
                          capsa_ctr_name (c));

  json_t *rep = json_pack ("{s:s, s:s, s:I, s:s}", "Id", c->id, "Name", capsa_ctr_name (c), "Pid", (json_int_t) c->pid,
                           "Status", capsa_ctr_status_name (c->status));
  bool shared[ARRAY_SIZE (namespaces)] = { 0 };
  json_object_set_new (rep, "Namespaces", ns_report (pidstr, shared));
  json_object_set_new (rep, "UserMapping", user_mapping (c->pid));
  json_object_set_new (rep, "Cgroups", cgroups_report (c->pid));
  json_object_set_new (rep, "Security", security_report (status));

  /* mounts: the container's own table, checked against the config's masked/read-only paths and binds */
  cleanup_free char *cfgpath = xasprintf ("%s/bundle/config.json", c->dir);
  cleanup_json json_t *cfg = json_load_file (cfgpath, 0, NULL);
  json_t *linux_ = json_object_get (cfg, "linux");
  cleanup_err capsa_err *e = NULL;
  cleanup_mountinfo struct mountinfo mi = { 0 };
  snprintf (mp, sizeof mp, "/proc/%d/mountinfo", (int) c->pid);
  mountinfo_read (mp, &mi, &e); /* (a process gone by now: no mounts) */
  json_object_set_new (rep, "MaskedPaths", paths_report (json_object_get (linux_, "maskedPaths"), true, c->pid, &mi));
  json_object_set_new (rep, "ReadonlyPaths",
                       paths_report (json_object_get (linux_, "readonlyPaths"), false, c->pid, &mi));
  json_object_set_new (rep, "ReadonlyMounts", readonly_mounts (&mi));
  json_object_set_new (rep, "SharedWithHost", shared_report (cfg, c->dir, shared, &mi));
  *out = rep;
  return 0;
}

/* ---- the table ----------------------------------------------------------------------------- */

static void
print_caps (const char *label, json_t *a)
{
  printf ("  %-12s %zu:", label, json_array_size (a));
  size_t i, col = 18;
  json_t *v;
  if (json_array_size (a) == 0)
    printf (" none");
  json_array_foreach (a, i, v)
  {
    const char *n = json_string_value (v) + 4; /* without CAP_ */
    if (col + strlen (n) + 2 > 100)
      {
        printf ("\n%17s", "");
        col = 17;
      }
    printf (" %s", n);
    col += strlen (n) + 1;
  }
  putchar ('\n');
}

static void
print_map (const char *label, json_t *a)
{
  printf ("  %-8s", label);
  size_t i;
  json_t *v;
  json_array_foreach (a, i, v)
      printf (" %lld %lld %lld%s", (long long) json_integer_value (json_array_get (v, 0)),
              (long long) json_integer_value (json_array_get (v, 1)),
              (long long) json_integer_value (json_array_get (v, 2)), i + 1 < json_array_size (a) ? ";" : "");
  putchar ('\n');
}

/* The title line and the namespaces. */
static void
print_namespaces (json_t *r)
{
  printf ("Container %s (%.12s), pid %lld, %s: isolation read live from the kernel\n",
          json_string_value (json_object_get (r, "Name")), json_string_value (json_object_get (r, "Id")),
          (long long) json_integer_value (json_object_get (r, "Pid")),
          json_string_value (json_object_get (r, "Status")));

  printf ("\nNAMESPACES\n  %-8s %-22s %-22s %s\n", "TYPE", "CONTAINER", "HOST", "STATE");
  json_t *nss = json_object_get (r, "Namespaces");
  for (size_t i = 0; i < ARRAY_SIZE (namespaces); i++)
    {
      json_t *e = json_object_get (nss, namespaces[i]);
      const char *note = json_string_value (json_object_get (e, "note"));
      printf ("  %-8s %-22s %-22s %s%s%s%s\n", namespaces[i],
              json_string_value (json_object_get (e, "container")) ?: "-",
              json_string_value (json_object_get (e, "host")) ?: "-", json_string_value (json_object_get (e, "state")),
              note ? ": " : "", note ? note : "", "");
    }
}

static void
print_user_mapping (json_t *r)
{
  json_t *um = json_object_get (r, "UserMapping");
  printf ("\nUSER MAPPING (inside outside count): %s\n", json_string_value (json_object_get (um, "text")));
  print_map ("uid_map", json_object_get (um, "uidMap"));
  print_map ("gid_map", json_object_get (um, "gidMap"));
}

static void
print_cgroups (json_t *r)
{
  json_t *cgs = json_object_get (r, "Cgroups");
  printf ("\nCGROUP LIMITS\n");
  static const char *const order[] = { "memory", "swap", "pids", "cpu", "cpu-weight", "cpuset-cpus", "cpuset-mems" };
  for (size_t i = 0; i < ARRAY_SIZE (order); i++)
    {
      json_t *e = json_object_get (json_object_get (cgs, "limits"), order[i]);
      const char *f = json_string_value (json_object_get (e, "file"));
      printf ("  %-12s %-40s %s%s%s\n", order[i], json_string_value (json_object_get (e, "text")), f ? "v" : "",
              f ? (json_integer_value (json_object_get (e, "cgroup")) == 1 ? "1 " : "2 ") : "", f ? f : "");
    }
}

static void
print_security (json_t *r)
{
  json_t *s = json_object_get (r, "Security");
  printf ("\nSECURITY\n");
  print_caps ("CapEff", json_object_get (s, "CapEff"));
  print_caps ("CapBnd", json_object_get (s, "CapBnd"));
  if (json_is_true (json_object_get (s, "FullCapabilities")))
    printf ("  %-12s every capability capsa itself holds (privileged)\n", "");
  printf ("  %-12s %d%s\n", "NoNewPrivs", json_is_true (json_object_get (s, "NoNewPrivs")),
          json_is_true (json_object_get (s, "NoNewPrivs")) ? " (execve cannot gain privileges)"
                                                           : " (setuid/file capabilities can raise privileges)");
  json_t *nf = json_object_get (s, "SeccompFilters");
  printf ("  %-12s %lld (%s)", "Seccomp", (long long) json_integer_value (json_object_get (s, "Seccomp")),
          json_string_value (json_object_get (s, "SeccompMode")));
  if (json_is_integer (nf))
    printf (", %lld filter%s", (long long) json_integer_value (nf), json_integer_value (nf) == 1 ? "" : "s");
  putchar ('\n');
}

/* The masked and read-only paths, the read-only mounts. */
static void
print_paths (json_t *r)
{
  for (int k = 0; k < 2; k++)
    {
      json_t *a = json_object_get (r, k == 0 ? "MaskedPaths" : "ReadonlyPaths");
      printf ("\n%s (from the config, checked in the container's mounts)\n",
              k == 0 ? "MASKED PATHS" : "READ-ONLY PATHS");
      if (json_array_size (a) == 0)
        printf ("  none\n");
      size_t i;
      json_t *v;
      json_array_foreach (a, i, v) printf ("  %-28s %s\n", json_string_value (json_object_get (v, "path")),
                                           json_string_value (json_object_get (v, "state")));
    }
  printf ("\nREAD-ONLY MOUNTS\n");
  {
    json_t *a = json_object_get (r, "ReadonlyMounts");
    if (json_array_size (a) == 0)
      printf ("  none\n");
    size_t i;
    json_t *v;
    json_array_foreach (a, i, v) printf ("  %-28s %s\n", json_string_value (json_object_get (v, "destination")),
                                         json_string_value (json_object_get (v, "type")));
  }
}

static void
print_devices_binds (json_t *sh)
{
  json_t *devs = json_object_get (sh, "devices");
  size_t i;
  json_t *v;
  if (json_array_size (devs) == 0)
    printf ("  %-12s none given (only the default /dev: null zero full random urandom tty)\n", "devices");
  json_array_foreach (devs, i, v) printf (
      "  %-12s %s (%s %lld:%lld)\n", i == 0 ? "devices" : "", json_string_value (json_object_get (v, "path")),
      json_string_value (json_object_get (v, "type")), (long long) json_integer_value (json_object_get (v, "major")),
      (long long) json_integer_value (json_object_get (v, "minor")));
  json_t *binds = json_object_get (sh, "binds");
  if (json_array_size (binds) == 0)
    printf ("  %-12s none\n", "host binds");
  json_array_foreach (binds, i, v) printf (
      "  %-12s %s -> %s (%s)%s\n", i == 0 ? "host binds" : "", json_string_value (json_object_get (v, "source")),
      json_string_value (json_object_get (v, "destination")), json_string_value (json_object_get (v, "mode")),
      json_is_true (json_object_get (v, "capsaFile")) ? " capsa's own file" : "");
}

static void
print_shared (json_t *r)
{
  json_t *sh = json_object_get (r, "SharedWithHost");
  printf ("\nSHARED WITH THE HOST\n");
  printf ("  %-12s %s (every container runs on the host's kernel)\n", "kernel",
          json_string_value (json_object_get (sh, "kernel")));
  printf ("  %-12s %s\n", "time",
          json_is_true (json_object_get (sh, "time"))
              ? "SHARED: no time namespace, the host's clocks"
              : "private time namespace (offsets; the clock itself is the host's)");
  printf ("  %-12s %s\n", "network",
          json_is_true (json_object_get (sh, "hostNetwork")) ? "SHARED: the host's network namespace"
                                                             : "private network namespace");
  print_devices_binds (sh);
}

void
capsa_ctr_isolation_print (json_t *r)
{
  print_namespaces (r);
  print_user_mapping (r);
  print_cgroups (r);
  print_security (r);
  print_paths (r);
  print_shared (r);
}
