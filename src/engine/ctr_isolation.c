/* `capsa inspect --isolation`: see ctr_isolation.h.  Everything is read from the kernel at the
 * moment of the call; the config is used only to say what was asked (masked paths, binds, devices)
 * and then checked against the container's live mount table. */
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

#include "ctr_isolation.h"
#include "util.h"

static const char *const namespaces[] = { "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time" };

static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
  "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
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

/* ---- mountinfo ----------------------------------------------------------------------------- */

struct mnt
{
  char *root, *point, *opts, *fstype, *source, *super;
};

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape (char *s)
{
  char *o = s;
  for (char *p = s; *p; p++)
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7')
      {
        *o++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
        p += 3;
      }
    else
      *o++ = *p;
  *o = '\0';
}

/* Parse a mountinfo file into an array (terminated by point == NULL); the strings point into *buf. */
static struct mnt *
mountinfo (const char *path, char **buf)
{
  *buf = slurp (path);
  size_t n = 0, cap = 16;
  struct mnt *m = xmalloc0 (cap * sizeof *m);
  char *save = NULL;
  for (char *l = *buf ? strtok_r (*buf, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      char *f[32];
      int nf = 0;
      char *s2 = NULL;
      for (char *t = strtok_r (l, " ", &s2); t && nf < 32; t = strtok_r (NULL, " ", &s2))
        f[nf++] = t;
      int dash = -1;
      for (int i = 6; i < nf; i++)
        if (strcmp (f[i], "-") == 0)
          {
            dash = i;
            break;
          }
      if (nf < 6 || dash < 0 || dash + 3 > nf)
        continue;
      if (n + 1 >= cap)
        {
          cap *= 2;
          m = xrealloc (m, cap * sizeof *m);
        }
      unescape (f[3]);
      unescape (f[4]);
      m[n++] = (struct mnt) { f[3], f[4], f[5], f[dash + 1], f[dash + 2], dash + 3 < nf ? f[dash + 3] : (char *) "" };
    }
  m[n].point = NULL;
  return m;
}

static bool
opt_has (const char *opts, const char *o)
{
  size_t ol = strlen (o);
  for (const char *p = opts; p && *p;)
    {
      size_t l = strcspn (p, ",");
      if (l == ol && strncmp (p, o, l) == 0)
        return true;
      p += l;
      if (*p == ',')
        p++;
    }
  return false;
}

/* The mount now visible at `point` (the last one mounted there), NULL when none. */
static const struct mnt *
mount_at (const struct mnt *m, const char *point)
{
  const struct mnt *found = NULL;
  for (; m->point; m++)
    if (strcmp (m->point, point) == 0)
      found = m;
  return found;
}

/* ---- cgroups ------------------------------------------------------------------------------- */

struct cg
{
  char *v1[16];   /* controller name -> dir, v1 */
  char *v1name[16];
  int nv1;
  char *v2;       /* the container's v2 dir (may lack controllers) */
  char *v2root;   /* the v2 mount point */
  json_t *paths;  /* "memory" -> dir, "unified" -> dir */
};

static char *
cg_dir (const char *mountpoint, const char *mroot, const char *path)
{
  size_t rl = strlen (mroot);
  if (strcmp (mroot, "/") == 0)
    rl = 0;
  else if (strncmp (path, mroot, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
    return NULL;
  return xasprintf ("%s%s", mountpoint, path + rl);
}

static void
cg_find (pid_t pid, struct cg *cg)
{
  memset (cg, 0, sizeof *cg);
  cg->paths = json_object ();
  char p[64];
  snprintf (p, sizeof p, "/proc/%d/cgroup", (int) pid);
  cleanup_free char *txt = slurp (p);
  cleanup_free char *mbuf = NULL;
  cleanup_free struct mnt *mnts = mountinfo ("/proc/self/mountinfo", &mbuf);
  char *save = NULL;
  for (char *l = txt ? strtok_r (txt, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (l, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      const char *ctrls = c1 + 1, *path = c2 + 1;
      if (*ctrls == '\0')
        {
          for (const struct mnt *m = mnts; m->point; m++)
            if (strcmp (m->fstype, "cgroup2") == 0)
              {
                free (cg->v2);
                cg->v2 = cg_dir (m->point, m->root, path);
                free (cg->v2root);
                cg->v2root = xstrdup (m->point);
                if (cg->v2)
                  break;
              }
          if (cg->v2)
            json_object_set_new (cg->paths, "unified", json_string (cg->v2));
          continue;
        }
      for (const struct mnt *m = mnts; m->point; m++)
        {
          if (strcmp (m->fstype, "cgroup") != 0)
            continue;
          bool all = true;
          cleanup_free char *cs = xstrdup (ctrls);
          char *s3 = NULL;
          for (char *c = strtok_r (cs, ",", &s3); c; c = strtok_r (NULL, ",", &s3))
            all = all && opt_has (m->super, c);
          if (!all)
            continue;
          char *dir = cg_dir (m->point, m->root, path);
          if (dir == NULL)
            continue;
          cleanup_free char *cs2 = xstrdup (ctrls);
          for (char *c = strtok_r (cs2, ",", &s3); c; c = strtok_r (NULL, ",", &s3))
            if (cg->nv1 < 16)
              {
                cg->v1name[cg->nv1] = xstrdup (c);
                cg->v1[cg->nv1++] = xstrdup (dir);
                json_object_set_new (cg->paths, c, json_string (dir));
              }
          free (dir);
          break;
        }
    }
}

static void
cg_free (struct cg *cg)
{
  for (int i = 0; i < cg->nv1; i++)
    free (cg->v1[i]), free (cg->v1name[i]);
  free (cg->v2);
  free (cg->v2root);
  json_decref (cg->paths);
}

/* The file of controller ctrl: the v1 file in ctrl's v1 hierarchy, or else the v2 file in the
 * unified dir.  *version is 1 or 2.  NULL when the container has neither. */
static char *
cg_file (struct cg *cg, const char *ctrl, const char *v1, const char *v2, int *version)
{
  for (int i = 0; v1 && i < cg->nv1; i++)
    if (strcmp (cg->v1name[i], ctrl) == 0)
      {
        char *f = xasprintf ("%s/%s", cg->v1[i], v1);
        if (access (f, R_OK) == 0)
          {
            *version = 1;
            return f;
          }
        free (f);
      }
  if (cg->v2 && v2)
    {
      char *f = xasprintf ("%s/%s", cg->v2, v2);
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
bytes_limit (struct cg *cg, const char *ctrl, const char *v1, const char *v2, const char *what)
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

static json_t *
cg_limits (struct cg *cg)
{
  json_t *l = json_object ();
  int ver = 0;
  json_object_set_new (l, "memory", bytes_limit (cg, "memory", "memory.limit_in_bytes", "memory.max", NULL));
  /* v1 limits memory+swap together; v2 limits swap alone */
  {
    cleanup_free char *f1 = cg_file (cg, "memory", "memory.memsw.limit_in_bytes", NULL, &ver);
    if (f1)
      json_object_set_new (l, "swap", bytes_limit (cg, "memory", "memory.memsw.limit_in_bytes", NULL, " (memory+swap)"));
    else
      json_object_set_new (l, "swap", bytes_limit (cg, "memory", "-", "memory.swap.max", " (swap)"));
  }
  {
    cleanup_free char *f = cg_file (cg, "pids", "pids.max", "pids.max", &ver);
    cleanup_free char *raw = f ? read_line (f) : NULL;
    if (raw == NULL || strcmp (raw, "max") == 0)
      json_object_set_new (l, "pids", limit_entry (f, ver, raw, json_null (), "no limit"));
    else
      {
        char t[64];
        snprintf (t, sizeof t, "%s processes", raw);
        json_object_set_new (l, "pids", limit_entry (f, ver, raw, json_integer (strtoll (raw, NULL, 10)), t));
      }
  }
  {
    long long quota = -1, period = 100000;
    cleanup_free char *raw = NULL;
    cleanup_free char *f = cg_file (cg, "cpu", "cpu.cfs_quota_us", "cpu.max", &ver);
    if (f && ver == 1)
      {
        raw = read_line (f);
        quota = raw ? strtoll (raw, NULL, 10) : -1;
        cleanup_free char *pf = cg_file (cg, "cpu", "cpu.cfs_period_us", NULL, &ver);
        cleanup_free char *p = pf ? read_line (pf) : NULL;
        if (p)
          period = strtoll (p, NULL, 10);
        ver = 1;
        if (raw && p)
          {
            char *r = xasprintf ("%s %s", raw, p);
            free (raw);
            raw = r;
          }
      }
    else if (f)
      {
        raw = read_line (f);
        char q[32] = "";
        if (raw && sscanf (raw, "%31s %lld", q, &period) >= 1)
          quota = strcmp (q, "max") == 0 ? -1 : strtoll (q, NULL, 10);
      }
    if (quota < 0 || period <= 0)
      json_object_set_new (l, "cpu", limit_entry (f, ver, raw, json_null (), "no limit"));
    else
      {
        char t[96];
        snprintf (t, sizeof t, "%.2f CPUs (quota %lldus per %lldus)", (double) quota / (double) period, quota, period);
        json_object_set_new (l, "cpu", json_pack ("{s:s, s:i, s:s?, s:f, s:I, s:I, s:s}", "file", f, "cgroup", ver,
                                                  "raw", raw, "limit", (double) quota / (double) period, "quota",
                                                  (json_int_t) quota, "period", (json_int_t) period, "text", t));
      }
  }
  {
    cleanup_free char *f = cg_file (cg, "cpu", "cpu.shares", "cpu.weight", &ver);
    cleanup_free char *raw = f ? read_line (f) : NULL;
    long long v = raw ? strtoll (raw, NULL, 10) : 0;
    bool dflt = raw == NULL || (ver == 1 && v == 1024) || (ver == 2 && v == 100);
    char t[64];
    snprintf (t, sizeof t, "%s %lld", ver == 1 ? "shares" : "weight", v);
    json_object_set_new (l, "cpu-weight", limit_entry (f, ver, raw, dflt ? json_null () : json_integer (v),
                                                       dflt ? "no limit (default weight)" : t));
  }
  for (int k = 0; k < 2; k++)
    {
      const char *v1 = k == 0 ? "cpuset.cpus" : "cpuset.mems";
      const char *v2 = k == 0 ? "cpuset.cpus.effective" : "cpuset.mems.effective";
      cleanup_free char *f = cg_file (cg, "cpuset", v1, v2, &ver);
      cleanup_free char *raw = f ? read_line (f) : NULL;
      /* the whole machine's set, from the hierarchy's root */
      cleanup_free char *rootf = NULL;
      if (ver == 1)
        for (int i = 0; i < cg->nv1; i++)
          if (strcmp (cg->v1name[i], "cpuset") == 0)
            {
              cleanup_free char *mbuf = NULL;
              cleanup_free struct mnt *m = mountinfo ("/proc/self/mountinfo", &mbuf);
              for (const struct mnt *x = m; x->point; x++)
                if (strcmp (x->fstype, "cgroup") == 0 && opt_has (x->super, "cpuset"))
                  {
                    rootf = xasprintf ("%s/%s", x->point, v1);
                    break;
                  }
            }
      if (ver == 2 && cg->v2root)
        rootf = xasprintf ("%s/%s", cg->v2root, v2);
      cleanup_free char *all = rootf ? read_line (rootf) : NULL;
      bool unl = raw == NULL || raw[0] == '\0' || (all && strcmp (all, raw) == 0);
      char t[128];
      snprintf (t, sizeof t, unl ? "no limit (all: %s)" : "%s", unl ? (all ? all : "?") : raw);
      json_object_set_new (l, k == 0 ? "cpuset-cpus" : "cpuset-mems",
                           limit_entry (f, ver, raw, unl ? json_null () : json_string (raw), t));
    }
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

int
ctr_isolation (struct capsa_engine *eng, struct ctr *c, json_t **out, capsa_err **err)
{
  (void) eng;
  char pidstr[32];
  snprintf (pidstr, sizeof pidstr, "%d", (int) c->pid);
  char sp[64];
  snprintf (sp, sizeof sp, "/proc/%d/status", (int) c->pid);
  cleanup_free char *status = NULL;
  if ((c->status == CTR_RUNNING || c->status == CTR_PAUSED) && c->pid > 0)
    status = slurp (sp);
  if (status == NULL)
    return capsa_fail_as (err, EINVAL,
                          "container %s is not running: isolation is a property of a running container; start it first",
                          ctr_name (c));

  json_t *rep = json_pack ("{s:s, s:s, s:I, s:s}", "Id", c->id, "Name", ctr_name (c), "Pid", (json_int_t) c->pid,
                           "Status", ctr_status_name (c->status));

  /* namespaces: the container's inode against the host's (pid 1's, or capsa's own) */
  json_t *nss = json_object ();
  bool shared[ARRAY_SIZE (namespaces)] = { 0 };
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
          e = json_pack ("{s:s, s:s?, s:s, s:b, s:s}", "container", mine, "host", host, "hostFrom", host_from,
                         "shared", shared[i], "state", shared[i] ? "SHARED with the host" : "private");
          if (shared[i])
            json_object_set_new (e, "note", json_string (ns_note (namespaces[i])));
        }
      json_object_set_new (nss, namespaces[i], e);
    }
  json_object_set_new (rep, "Namespaces", nss);

  /* user mapping */
  bool uid_id = false, gid_id = false;
  json_t *um = json_pack ("{s:o, s:o}", "uidMap", id_map (c->pid, "uid_map", &uid_id), "gidMap",
                          id_map (c->pid, "gid_map", &gid_id));
  json_object_set_new (um, "identity", json_boolean (uid_id && gid_id));
  json_object_set_new (um, "text", json_string (uid_id && gid_id ? "none: container root is host root"
                                                                 : "container ids are mapped to other host ids"));
  json_object_set_new (rep, "UserMapping", um);

  /* cgroups */
  struct cg cg;
  cg_find (c->pid, &cg);
  json_object_set_new (rep, "Cgroups", json_pack ("{s:O, s:o}", "paths", cg.paths, "limits", cg_limits (&cg)));
  cg_free (&cg);

  /* security: capabilities, no_new_privs, seccomp */
  {
    uint64_t eff = status_mask (status, "CapEff"), bnd = status_mask (status, "CapBnd");
    cleanup_free char *self_status = slurp ("/proc/self/status");
    uint64_t host_bnd = self_status ? status_mask (self_status, "CapBnd") : 0;
    cleanup_free char *nnp = status_field (status, "NoNewPrivs");
    cleanup_free char *sec = status_field (status, "Seccomp");
    cleanup_free char *secf = status_field (status, "Seccomp_filters");
    int mode = sec ? atoi (sec) : 0;
    json_t *s = json_pack ("{s:o, s:o, s:o, s:o, s:b, s:b, s:i, s:s}", "CapEff", cap_list (eff), "CapBnd",
                           cap_list (bnd), "CapPrm", cap_list (status_mask (status, "CapPrm")), "CapAmb",
                           cap_list (status_mask (status, "CapAmb")), "FullCapabilities",
                           (bnd & host_bnd) == host_bnd && (eff & host_bnd) == host_bnd, "NoNewPrivs",
                           nnp && atoi (nnp) == 1, "Seccomp", mode, "SeccompMode",
                           mode == 0 ? "none" : mode == 1 ? "strict" : mode == 2 ? "filter" : "?");
    char hex[32];
    snprintf (hex, sizeof hex, "%016" PRIx64, eff);
    json_object_set_new (s, "CapEffHex", json_string (hex));
    snprintf (hex, sizeof hex, "%016" PRIx64, bnd);
    json_object_set_new (s, "CapBndHex", json_string (hex));
    json_object_set_new (s, "SeccompFilters", secf ? json_integer (atoi (secf)) : json_null ());
    json_object_set_new (rep, "Security", s);
  }

  /* mounts: the container's own table, checked against the config's masked/read-only paths and binds */
  cleanup_free char *cfgpath = xasprintf ("%s/bundle/config.json", c->dir);
  json_t *cfg = json_load_file (cfgpath, 0, NULL);
  json_t *linux_ = json_object_get (cfg, "linux");
  char mp[64];
  snprintf (mp, sizeof mp, "/proc/%d/mountinfo", (int) c->pid);
  cleanup_free char *mbuf = NULL;
  cleanup_free struct mnt *mnts = mountinfo (mp, &mbuf);
  for (int k = 0; k < 2; k++)
    {
      json_t *want = json_object_get (linux_, k == 0 ? "maskedPaths" : "readonlyPaths");
      json_t *arr = json_array ();
      size_t i;
      json_t *v;
      json_array_foreach (want, i, v)
      {
        const char *p = json_string_value (v);
        if (p == NULL)
          continue;
        const struct mnt *m = mount_at (mnts, p);
        cleanup_free char *inroot = xasprintf ("/proc/%d/root%s", (int) c->pid, p);
        struct stat st;
        const char *state;
        bool ok = false;
        if (m && (k == 0 || opt_has (m->opts, "ro")))
          state = k == 0 ? "masked" : "read-only", ok = true;
        else if (lstat (inroot, &st) < 0)
          state = "absent in the container", ok = true;
        else
          state = k == 0 ? "NOT masked" : "NOT read-only";
        json_array_append_new (arr, json_pack ("{s:s, s:s, s:b}", "path", p, "state", state, "ok", ok));
      }
      json_object_set_new (rep, k == 0 ? "MaskedPaths" : "ReadonlyPaths", arr);
    }
  json_t *ro = json_array ();
  for (const struct mnt *m = mnts; m->point; m++)
    if (opt_has (m->opts, "ro"))
      json_array_append_new (ro, json_pack ("{s:s, s:s, s:s}", "destination", m->point, "type", m->fstype, "source",
                                            m->source));
  json_object_set_new (rep, "ReadonlyMounts", ro);

  /* what is still shared with the host */
  struct utsname u;
  uname (&u);
  json_t *sh = json_pack ("{s:s, s:b, s:b, s:b}", "kernel", u.release, "time", shared[7], "hostNetwork", shared[1],
                          "hostPid", shared[0]);
  json_t *devs = json_array ();
  {
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get (linux_, "devices"), i, d)
    {
      const char *path = json_string_value (json_object_get (d, "path"));
      const char *type = json_string_value (json_object_get (d, "type"));
      json_array_append_new (devs, json_pack ("{s:s, s:s, s:I, s:I}", "path", path ? path : "?", "type",
                                              type ? type : "?", "major",
                                              json_integer_value (json_object_get (d, "major")), "minor",
                                              json_integer_value (json_object_get (d, "minor"))));
    }
  }
  json_object_set_new (sh, "devices", devs);
  json_t *binds = json_array ();
  {
    size_t i;
    json_t *mnt;
    json_array_foreach (json_object_get (cfg, "mounts"), i, mnt)
    {
      const char *type = json_string_value (json_object_get (mnt, "type"));
      json_t *opts = json_object_get (mnt, "options");
      bool bind = type && strcmp (type, "bind") == 0, cro = false;
      size_t j;
      json_t *o;
      json_array_foreach (opts, j, o)
      {
        const char *s = json_string_value (o);
        if (s && (strcmp (s, "bind") == 0 || strcmp (s, "rbind") == 0))
          bind = true;
        if (s && strcmp (s, "ro") == 0)
          cro = true;
      }
      const char *src = json_string_value (json_object_get (mnt, "source"));
      const char *dst = json_string_value (json_object_get (mnt, "destination"));
      if (!bind || src == NULL || dst == NULL)
        continue;
      const struct mnt *live = mount_at (mnts, dst);
      bool rdonly = live ? opt_has (live->opts, "ro") : cro;
      size_t dl = strlen (c->dir);
      bool capsa_own = strncmp (src, c->dir, dl) == 0 && (src[dl] == '/' || src[dl] == '\0');
      json_array_append_new (binds, json_pack ("{s:s, s:s, s:b, s:s, s:b, s:b}", "source", src, "destination", dst,
                                               "readonly", rdonly, "mode", rdonly ? "ro" : "rw", "mounted",
                                               live != NULL, "capsaFile", capsa_own));
    }
  }
  json_object_set_new (sh, "binds", binds);
  json_object_set_new (rep, "SharedWithHost", sh);
  json_decref (cfg);
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
          (long long) json_integer_value (json_array_get (v, 1)), (long long) json_integer_value (json_array_get (v, 2)),
          i + 1 < json_array_size (a) ? ";" : "");
  putchar ('\n');
}

void
ctr_isolation_print (json_t *r)
{
  printf ("Container %s (%.12s), pid %lld, %s: isolation read live from the kernel\n",
          json_string_value (json_object_get (r, "Name")), json_string_value (json_object_get (r, "Id")),
          (long long) json_integer_value (json_object_get (r, "Pid")), json_string_value (json_object_get (r, "Status")));

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

  json_t *um = json_object_get (r, "UserMapping");
  printf ("\nUSER MAPPING (inside outside count): %s\n", json_string_value (json_object_get (um, "text")));
  print_map ("uid_map", json_object_get (um, "uidMap"));
  print_map ("gid_map", json_object_get (um, "gidMap"));

  json_t *cgs = json_object_get (r, "Cgroups");
  printf ("\nCGROUP LIMITS\n");
  static const char *const order[] = { "memory", "swap", "pids", "cpu", "cpu-weight", "cpuset-cpus", "cpuset-mems" };
  for (size_t i = 0; i < ARRAY_SIZE (order); i++)
    {
      json_t *e = json_object_get (json_object_get (cgs, "limits"), order[i]);
      const char *f = json_string_value (json_object_get (e, "file"));
      printf ("  %-12s %-40s %s%s%s\n", order[i], json_string_value (json_object_get (e, "text")),
              f ? "v" : "", f ? (json_integer_value (json_object_get (e, "cgroup")) == 1 ? "1 " : "2 ") : "",
              f ? f : "");
    }

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

  for (int k = 0; k < 2; k++)
    {
      json_t *a = json_object_get (r, k == 0 ? "MaskedPaths" : "ReadonlyPaths");
      printf ("\n%s (from the config, checked in the container's mounts)\n", k == 0 ? "MASKED PATHS" : "READ-ONLY PATHS");
      if (json_array_size (a) == 0)
        printf ("  none\n");
      size_t i;
      json_t *v;
      json_array_foreach (a, i, v)
      printf ("  %-28s %s\n", json_string_value (json_object_get (v, "path")),
              json_string_value (json_object_get (v, "state")));
    }
  printf ("\nREAD-ONLY MOUNTS\n");
  {
    json_t *a = json_object_get (r, "ReadonlyMounts");
    if (json_array_size (a) == 0)
      printf ("  none\n");
    size_t i;
    json_t *v;
    json_array_foreach (a, i, v)
    printf ("  %-28s %s\n", json_string_value (json_object_get (v, "destination")),
            json_string_value (json_object_get (v, "type")));
  }

  json_t *sh = json_object_get (r, "SharedWithHost");
  printf ("\nSHARED WITH THE HOST\n");
  printf ("  %-12s %s (every container runs on the host's kernel)\n", "kernel",
          json_string_value (json_object_get (sh, "kernel")));
  printf ("  %-12s %s\n", "time",
          json_is_true (json_object_get (sh, "time")) ? "SHARED: no time namespace, the host's clocks"
                                                       : "private time namespace (offsets; the clock itself is the host's)");
  printf ("  %-12s %s\n", "network",
          json_is_true (json_object_get (sh, "hostNetwork")) ? "SHARED: the host's network namespace"
                                                              : "private network namespace");
  json_t *devs = json_object_get (sh, "devices");
  size_t i;
  json_t *v;
  if (json_array_size (devs) == 0)
    printf ("  %-12s none given (only the default /dev: null zero full random urandom tty)\n", "devices");
  json_array_foreach (devs, i, v)
  printf ("  %-12s %s (%s %lld:%lld)\n", i == 0 ? "devices" : "", json_string_value (json_object_get (v, "path")),
          json_string_value (json_object_get (v, "type")), (long long) json_integer_value (json_object_get (v, "major")),
          (long long) json_integer_value (json_object_get (v, "minor")));
  json_t *binds = json_object_get (sh, "binds");
  if (json_array_size (binds) == 0)
    printf ("  %-12s none\n", "host binds");
  json_array_foreach (binds, i, v)
  printf ("  %-12s %s -> %s (%s)%s\n", i == 0 ? "host binds" : "", json_string_value (json_object_get (v, "source")),
          json_string_value (json_object_get (v, "destination")), json_string_value (json_object_get (v, "mode")),
          json_is_true (json_object_get (v, "capsaFile")) ? " capsa's own file" : "");
}
