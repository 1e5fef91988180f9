/* Control groups: host layout, the container's directories, freeze, pids, signals.  See cgroup.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "mountinfo.h"
#include "strbuf.h"
#include "util.h"

/* ---- small file helpers -------------------------------------------------------------------- */

/* Write `value` to dir/file; the message names the file. */
static int
cg_write (const char *dir, const char *file, const char *value, capsa_err **err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, value, strlen (value)) < 0)
    return capsa_fail (err, errno, "write `%s` to %s", value, path);
  return 0;
}

/* The first line of dir/file without its newline, or NULL. */
static char *
cg_read_line (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  char *buf = NULL;
  if (read_file_at (AT_FDCWD, path, &buf, NULL, NULL) < 0)
    return NULL;
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
  nanosleep (&ts, NULL);
}

/* ---- the host ------------------------------------------------------------------------------ */

const char *
cg_layout_name (enum cg_layout l)
{
  switch (l)
    {
    case CG_LAYOUT_V1:
      return "cgroup v1";
    case CG_LAYOUT_V2:
      return "cgroup v2";
    case CG_LAYOUT_HYBRID:
      return "hybrid cgroup v1/v2";
    default:
      return "no cgroups";
    }
}

void
cg_host_free (struct cg_host *host)
{
  for (size_t i = 0; i < host->n; i++)
    {
      free (host->h[i].mount);
      free (host->h[i].root);
      free (host->h[i].controllers);
      free (host->h[i].own);
    }
  free (host->h);
  host->h = NULL;
  host->n = 0;
}

/* Is every comma-separated word of `want` among the comma-separated super options `opts`? */
static bool
opts_have_all (const char *opts, const char *want)
{
  cleanup_free char *w = xstrdup (want);
  char *save = NULL;
  for (char *t = strtok_r (w, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      size_t n = strlen (t);
      const char *p = opts;
      bool found = false;
      while ((p = strstr (p, t)))
        {
          if ((p == opts || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            {
              found = true;
              break;
            }
          p += n;
        }
      if (!found)
        return false;
    }
  return true;
}

static void
add_hier (struct cg_host *host, enum cg_version v, const struct mountinfo_entry *m, const char *controllers,
          const char *own)
{
  host->h = xrealloc (host->h, (host->n + 1) * sizeof *host->h);
  struct cg_hier *h = &host->h[host->n++];
  h->version = v;
  h->mount = xstrdup (m->point);
  h->root = xstrdup (m->root);
  h->controllers = xstrdup (controllers);
  h->own = xstrdup (own);
}

/* " cpu io memory " from a cgroup.controllers line (padded so " memory " matches a whole word). */
static char *
padded_controllers (const char *dir)
{
  cleanup_free char *line = cg_read_line (dir, "cgroup.controllers");
  return xasprintf (" %s ", line ? line : "");
}

/* The first mount of the hierarchy of a /proc/PID/cgroup line's controllers ("" for the unified
 * one: a cgroup2 mount; else a cgroup mount with all of them in its super options), NULL if none. */
static const struct mountinfo_entry *
hierarchy_mount (const struct mountinfo *mi, const char *ctrls)
{
  for (size_t i = 0; i < mi->n; i++)
    {
      const struct mountinfo_entry *m = &mi->m[i];
      bool is1 = strcmp (m->fstype, "cgroup") == 0, is2 = strcmp (m->fstype, "cgroup2") == 0;
      if (*ctrls == '\0' ? is2 : (is1 && opts_have_all (m->super, ctrls)))
        return m;
    }
  return NULL;
}

/* The cgroup and cgroup2 lines of /proc/self/mountinfo, into mi.  Kept for a moment: a run reads
 * them before its clone and the container's process again after it (the same mounts, in a copy of
 * the namespace), and with 1000 containers the whole table is 2000 overlay lines (700 KiB) that
 * the kernel writes out and we parse each time.  A long-lived process (the service) reads anew
 * after CG_MOUNTS_KEEP_MS. */
#define CG_MOUNTS_KEEP_MS 2000
static char *kept_mounts;
static long long kept_at;

void
cg_mounts_forget (void)
{
  free (kept_mounts);
  kept_mounts = NULL;
}

/* Whether each of wanted (the controllers of /proc/self/cgroup's lines) has its first mount among
 * the cgroup lines kept so far in text. */
static bool
all_found (const char *text, char **wanted)
{
  cleanup_mountinfo struct mountinfo mi = { 0 };
  mountinfo_parse (xstrdup (text), &mi);
  for (char **w = wanted; *w; w++)
    if (hierarchy_mount (&mi, *w) == NULL)
      return false;
  return true;
}

/* The cgroup lines of /proc/self/mountinfo up to the one where every hierarchy in wanted has its
 * first mount: what hierarchy_mount would find in the whole table, without the kernel writing out
 * (and us reading) the thousands of overlay lines that follow the boot's cgroup mounts on a host
 * with 1000 containers (700 KiB, ~8 ms of each start).  Owned; NULL when unreadable. */
static char *
cgroup_lines (char **wanted)
{
  cleanup_close int fd = open ("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct strbuf b = { 0 };
  strbuf_printf (&b, "%s", "");
  char buf[16384];
  size_t have = 0;
  ssize_t n;
  bool done = false, skip = false; /* skip: the rest of a line too long to be a cgroup's */
  while (!done && (n = read (fd, buf + have, sizeof buf - 1 - have)) > 0)
    {
      have += (size_t) n;
      buf[have] = '\0';
      char *l = buf, *nl;
      while (!done && (nl = strchr (l, '\n')))
        {
          *nl = '\0';
          if (!skip && (strstr (l, " - cgroup ") || strstr (l, " - cgroup2 ")))
            {
              strbuf_printf (&b, "%s\n", l);
              done = all_found (b.buf, wanted);
            }
          skip = false;
          l = nl + 1;
        }
      have = strlen (l);
      if (have > sizeof buf / 2)
        {
          have = 0;
          skip = true;
        }
      memmove (buf, l, have);
    }
  return b.buf;
}

static void
cgroup_mounts (struct mountinfo *mi, char **wanted)
{
  if (kept_mounts == NULL || monotonic_ms () - kept_at > CG_MOUNTS_KEEP_MS)
    {
      char *text = cgroup_lines (wanted);
      if (text == NULL)
        {
          mountinfo_parse (NULL, mi); /* (unreadable: no hierarchies) */
          return;
        }
      free (kept_mounts);
      kept_mounts = text;
      kept_at = monotonic_ms ();
    }
  mountinfo_parse (xstrdup (kept_mounts), mi);
}

int
cg_host_detect (struct cg_host *host, capsa_err **err)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  cleanup_mountinfo struct mountinfo mi = { 0 };
  size_t cap = 0;
  bool v1 = false, v2 = false;

  memset (host, 0, sizeof *host);
  if (f == NULL)
    return capsa_fail (err, errno, "open /proc/self/cgroup");
  cleanup_strv char **lines = NULL, **wanted = NULL;
  while (getline (&line, &cap, f) > 0)
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      line[strcspn (line, "\n")] = '\0';
      strv_append (&lines, line);
      *c2 = '\0';
      strv_append (&wanted, c1 + 1);
      *c2 = ':';
    }
  if (wanted == NULL)
    strv_append (&wanted, "");
  cgroup_mounts (&mi, wanted);
  for (char **l = lines; l && *l; l++)
    {
      char *c1 = strchr (*l, ':'), *c2 = strchr (c1 + 1, ':');
      *c2 = '\0';
      char *ctrls = c1 + 1, *own = c2 + 1;
      const struct mountinfo_entry *m = hierarchy_mount (&mi, ctrls);
      if (m && strcmp (m->fstype, "cgroup2") == 0)
        {
          cleanup_free char *avail = padded_controllers (m->point);
          add_hier (host, CG_V2, m, avail, own);
          v2 = true;
        }
      else if (m)
        {
          add_hier (host, CG_V1, m, ctrls, own);
          v1 = true;
        }
    }
  host->layout = v1 && v2 ? CG_LAYOUT_HYBRID : v1 ? CG_LAYOUT_V1 : v2 ? CG_LAYOUT_V2 : CG_LAYOUT_NONE;
  return 0;
}

/* ---- the container's directories ----------------------------------------------------------- */

static bool
has_controller (const struct cg_dir *d, const char *controller)
{
  if (d->version == CG_V2)
    {
      char word[64];
      snprintf (word, sizeof word, " %s ", controller);
      return strstr (d->controllers, word) != NULL;
    }
  return opts_have_all (d->controllers, controller);
}

const struct cg_dir *
cg_dir_for (const struct capsa_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n; i++)
    if (has_controller (&cg->d[i], controller))
      return &cg->d[i];
  return NULL;
}

const struct cg_dir *
cg_dir_v2 (const struct capsa_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->d[i].version == CG_V2)
      return &cg->d[i];
  return NULL;
}

void
cg_free (struct capsa_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    {
      free (cg->d[i].controllers);
      free (cg->d[i].path);
      free (cg->d[i].top);
      free (cg->d[i].mount);
    }
  free (cg->d);
  cg->d = NULL;
  cg->n = 0;
}

/* The cgroup (hierarchy-relative, absolute) the container gets in h. */
static char *
container_cgroup (const struct cg_hier *h, const char *cgroups_path, const char *id)
{
  if (cgroups_path && cgroups_path[0] == '/')
    return xstrdup (cgroups_path);
  const char *rel = cgroups_path && *cgroups_path ? cgroups_path : id;
  cleanup_free char *base = xstrdup (h->own);
  /* v2: our own cgroup most likely holds processes (us), and a cgroup with processes cannot
   * enable controllers for children: go next to it instead, as runc does. */
  if (h->version == CG_V2 && strcmp (base, "/") != 0)
    {
      char *slash = strrchr (base, '/');
      if (slash == base)
        slash[1] = '\0';
      else
        *slash = '\0';
    }
  return xasprintf ("%s%s%s", base, base[strlen (base) - 1] == '/' ? "" : "/", rel);
}

/* Host directory of `cgroup` in h, or NULL when the cgroup is outside what is mounted there. */
static char *
host_dir (const struct cg_hier *h, const char *cgroup)
{
  size_t rl = strlen (h->root);
  if (strcmp (h->root, "/") == 0)
    return xasprintf ("%s%s", h->mount, cgroup);
  if (strncmp (cgroup, h->root, rl) != 0 || (cgroup[rl] != '/' && cgroup[rl] != '\0'))
    return NULL;
  return xasprintf ("%s%s", h->mount, cgroup + rl);
}

char *
cg_hier_own_dir (const struct cg_hier *h)
{
  return host_dir (h, h->own);
}

/* The hierarchy of a /proc/PID/cgroup line's controllers ("": the unified one), NULL if none. */
static const struct cg_hier *
hier_of (const struct cg_host *host, const char *ctrls)
{
  for (size_t i = 0; i < host->n; i++)
    {
      const struct cg_hier *h = &host->h[i];
      if (*ctrls == '\0' ? h->version == CG_V2 : (h->version == CG_V1 && opts_have_all (h->controllers, ctrls)))
        return h;
    }
  return NULL;
}

int
cg_of_pid (const struct cg_host *host, pid_t pid, struct capsa_cgroup *cg, capsa_err **err)
{
  char p[64];
  snprintf (p, sizeof p, "/proc/%d/cgroup", (int) pid);
  cleanup_fclose FILE *f = fopen (p, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  memset (cg, 0, sizeof *cg);
  if (f == NULL)
    return capsa_fail (err, errno, "open %s", p);
  while (getline (&line, &cap, f) > 0)
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      char *ctrls = c1 + 1, *path = c2 + 1;
      path[strcspn (path, "\n")] = '\0';
      const struct cg_hier *h = hier_of (host, ctrls);
      char *dir = h ? host_dir (h, path) : NULL;
      if (dir == NULL)
        continue;
      cg->d = xrealloc (cg->d, (cg->n + 1) * sizeof *cg->d);
      cg->d[cg->n++] = (struct cg_dir){ .version = h->version, .controllers = xstrdup (h->controllers), .path = dir };
    }
  return 0;
}

/* A new v1 cpuset directory starts with empty cpus and mems, and no task can join it: copy the
 * parent's. */
static int
init_cpuset (const char *dir, capsa_err **err)
{
  cleanup_free char *parent = xstrdup (dir);
  *strrchr (parent, '/') = '\0';
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *mine = cg_read_line (dir, files[i]);
      if (mine && *mine)
        continue;
      cleanup_free char *theirs = cg_read_line (parent, files[i]);
      if (theirs && *theirs && cg_write (dir, files[i], theirs, err) < 0)
        return -1;
    }
  return 0;
}

/* v2: enable every controller on offer in each ancestor of `dir`, from the mount down (not in
 * dir itself, which gets processes).  A cgroup with processes of its own refuses (EBUSY); then the
 * container simply has fewer controllers, and a resource that needs a missing one fails later
 * with a message naming it. */
static void
enable_v2_controllers (const char *mount, const char *dir)
{
  for (const char *p = dir + strlen (mount); (p = strchr (p, '/')) != NULL; p++)
    {
      cleanup_free char *anc = xasprintf ("%.*s", (int) (p - dir), dir);
      cleanup_free char *avail = cg_read_line (anc, "cgroup.controllers");
      char *save = NULL;
      for (char *c = avail ? strtok_r (avail, " ", &save) : NULL; c; c = strtok_r (NULL, " ", &save))
        {
          cleanup_free char *plus = xasprintf ("+%s", c);
          cg_write (anc, "cgroup.subtree_control", plus, NULL);
        }
    }
}

/* mkdir every missing component of dir below mount; *top gets the first one made. */
static int
make_dirs (const char *mount, const char *dir, bool v1_cpuset, char **top, capsa_err **err)
{
  cleanup_free char *cur = xstrdup (dir);
  size_t ml = strlen (mount);
  char *p = cur + ml;
  int retries = 0;

  *top = NULL;
  while (p && *p)
    {
      p = strchr (p + 1, '/');
      if (p)
        *p = '\0';
      int e = mkdir (cur, 0755) == 0 ? 0 : errno;
      if (e == ENOENT && retries++ < 5)
        {
          /* a parent shared with other containers was removed under us (the last of them went):
           * start again from the mount */
          if (p)
            *p = '/';
          p = cur + ml;
          continue;
        }
      if (e != 0 && e != EEXIST)
        return capsa_fail (err, e, "create cgroup `%s`", cur);
      if (e == 0 && *top == NULL)
        *top = xstrdup (cur);
      /* an existing parent too: another start may have made it a moment ago and not filled its cpus
       * and mems yet (a child made now would copy them empty and refuse every task: ENOSPC) */
      if (v1_cpuset && init_cpuset (cur, e == 0 ? err : NULL) < 0 && e == 0)
        return -1; /* (an existing one that went meanwhile: the next mkdir's ENOENT starts again) */
      if (p)
        *p = '/';
    }
  return 0;
}

/* The first component of dir below mount that does not exist now (NULL: dir exists). */
static char *
first_missing (const char *mount, const char *dir)
{
  cleanup_free char *cur = xstrdup (dir);
  for (char *p = cur + strlen (mount); p && *p;)
    {
      p = strchr (p + 1, '/');
      if (p)
        *p = '\0';
      if (access (cur, F_OK) < 0)
        return xstrdup (cur);
      if (p)
        *p = '/';
    }
  return NULL;
}

static bool
bad_cgroups_path (const char *c)
{
  size_t n = c ? strlen (c) : 0;
  return c
         && (strstr (c, "/../") || strncmp (c, "../", 3) == 0 || (n >= 3 && strcmp (c + n - 3, "/..") == 0)
             || strcmp (c, "..") == 0);
}

int
cg_plan (const struct cg_host *host, const char *cgroups_path, const char *id, struct capsa_cgroup *cg, capsa_err **err)
{
  memset (cg, 0, sizeof *cg);
  if (bad_cgroups_path (cgroups_path))
    return capsa_fail_as (err, EINVAL, "linux.cgroupsPath `%s`: `..` is not allowed", cgroups_path);
  cg->d = xmalloc0 ((host->n + 1) * sizeof *cg->d);
  for (size_t i = 0; i < host->n; i++)
    {
      const struct cg_hier *h = &host->h[i];
      cleanup_free char *cgroup = container_cgroup (h, cgroups_path, id);
      char *dir = host_dir (h, cgroup);
      if (dir == NULL)
        {
          capsa_fail_as (err, EINVAL, "cgroup `%s` is outside the hierarchy mounted at %s (root %s)", cgroup, h->mount,
                         h->root);
          cg_free (cg);
          return -1;
        }
      /* (v2: the controllers enabled for it are known once it exists: cg_make) */
      cg->d[cg->n++] = (struct cg_dir){ h->version, xstrdup (h->version == CG_V2 ? "" : h->controllers), dir,
                                        first_missing (h->mount, dir), xstrdup (h->mount) };
    }
  return 0;
}

/* One planned directory made; d->top becomes what was really made (NULL: it existed). */
static int
make_one (struct cg_dir *d, capsa_err **err)
{
  char *top = NULL;
  int r = make_dirs (d->mount, d->path, d->version == CG_V1 && opts_have_all (d->controllers, "cpuset"), &top, err);
  free (d->top);
  d->top = top;
  if (r < 0 || d->version == CG_V1)
    return r;
  enable_v2_controllers (d->mount, d->path);
  free (d->controllers);
  d->controllers = padded_controllers (d->path);
  return 0;
}

int
cg_make (struct capsa_cgroup *cg, capsa_err **err)
{
  for (size_t i = 0; i < cg->n; i++)
    if (make_one (&cg->d[i], err) < 0)
      {
        for (size_t j = i + 1; j < cg->n; j++)
          {
            free (cg->d[j].top); /* not made: nothing of theirs to remove */
            cg->d[j].top = NULL;
          }
        cg_destroy (cg, NULL);
        return -1;
      }
  return 0;
}

/* ---- priming the first cgroup.procs write ---------------------------------------------------
 * Moving a process between cgroups takes the kernel's global cgroup_threadgroup_rwsem for writing.
 * When no writer was active lately, that first waits for an RCU grace period (rcu_sync_enter):
 * 5-12 ms on a 2-vCPU VM, the largest single cost of starting a container on a v1/hybrid host.
 * Mostly it is avoided: the child joins its v2 cgroup at birth and its v1 ones itself through
 * `tasks`, which skips the lock (spawn.c).  A child with a user namespace can't, and the runtime
 * writes cgroup.procs for it; for that case a writer that comes while the lock is still in writer
 * mode (within a grace period after the last writer left) does not wait.  So capsa_cgroup_prime()
 * starts a small helper process that writes "0" (itself) to the cgroup.procs of the cgroup it is
 * already in: a no-op move that takes the same lock.  The wait then overlaps the caller's parsing
 * and rootfs work, and the helper repeats the cheap write every 2 ms, keeping writer mode, until
 * cg_enter has done the real move (it closes the pipe the helper polls) or 300 ms passed.
 *
 * A process, not a thread: the container init is made with a raw clone(), and a child of a
 * multithreaded parent hangs in glibc's setuid/setgroups (they wait for the other threads to
 * acknowledge a signal).  It is cloned with no exit signal, so waitpid (-1) loops in callers never
 * see it (only __WCLONE waits do), and cg_enter reaps it.  Best effort: any failure just means no
 * priming.  Pure v2 hosts skip it: clone3 places the child with CLONE_INTO_CGROUP, which reads the
 * lock only. */

static int prime_fd = -1; /* write end of the helper's pipe; closing it ends the helper */
static pid_t prime_pid;

/* cgroup.procs of this process's own cgroup in some mounted hierarchy, into buf; false if none. */
static bool
prime_path (char *buf, size_t size)
{
  if (access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
    return false; /* pure v2 */
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while (f && (len = getline (&line, &cap, f)) > 0)
    {
      if (line[len - 1] == '\n')
        line[len - 1] = '\0';
      char *ctrl = strchr (line, ':'), *path = ctrl ? strchr (ctrl + 1, ':') : NULL;
      if (!path)
        continue;
      *path++ = '\0';
      ctrl++;
      int n = *ctrl == '\0' ? snprintf (buf, size, "/sys/fs/cgroup/unified%s/cgroup.procs", path)
                            : snprintf (buf, size, "/sys/fs/cgroup/%s%s/cgroup.procs",
                                        strncmp (ctrl, "name=", 5) == 0 ? ctrl + 5 : ctrl, path);
      if (n > 0 && (size_t) n < size && access (buf, W_OK) == 0)
        return true;
    }
  return false;
}

static _Noreturn void
prime_helper (const char *path, int stop_fd)
{
  /* hold none of the caller's files (its stdout, pipes): only the stop pipe */
  if (stop_fd > 0)
    close_range (0, (unsigned) stop_fd - 1, 0);
  close_range ((unsigned) stop_fd + 1, ~0U, 0);
  for (int i = 0; i < 150; i++)
    {
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        break;
      ssize_t w = write (fd, "0", 1);
      close (fd);
      struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };
      if (w < 0 || poll (&pfd, 1, 2) != 0)
        break;
    }
  _exit (0);
}

void
capsa_cgroup_prime (void)
{
  char path[PATH_MAX];
  int p[2];

  if (prime_fd >= 0 || !prime_path (path, sizeof path) || pipe2 (p, O_CLOEXEC) < 0)
    return; /* (one at a time: prime_done ends it) */
  pid_t pid = (pid_t) syscall (SYS_clone, 0UL, NULL, NULL, NULL, NULL);
  if (pid == 0)
    {
      close (p[1]);
      prime_helper (path, p[0]);
    }
  close (p[0]);
  if (pid < 0)
    {
      close (p[1]);
      return;
    }
  prime_pid = pid;
  prime_fd = p[1];
}

/* The real move is done: the helper goes, and is reaped here, so that no subreaper above (a
 * monitor, conmon, a shim) ever inherits it.  Not a long wait: its write, if it is in one, ends
 * with the grace period that ours has just waited for. */
static void
prime_done (void)
{
  if (prime_fd < 0)
    return;
  close (prime_fd);
  prime_fd = -1;
  while (waitpid (prime_pid, NULL, __WCLONE) < 0 && errno == EINTR)
    ;
  prime_pid = 0;
}

int
cg_enter (const struct capsa_cgroup *cg, pid_t pid, bool v1, bool v2, capsa_err **err)
{
  char buf[24];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->n; i++)
    if ((cg->d[i].version == CG_V1 ? v1 : v2) && cg_write (cg->d[i].path, "cgroup.procs", buf, err) < 0)
      return capsa_err_wrap (err, "move the container into its cgroup");
  prime_done ();
  return 0;
}

bool
cg_has_v1 (const struct capsa_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->d[i].version == CG_V1)
      return true;
  return false;
}

/* "0" to a v1 `tasks` file moves the writing thread alone, and the kernel then skips the global
 * threadgroup lock (a thread moving itself cannot exit or exec meanwhile), so there is no grace
 * period to wait for.  The caller must be single-threaded: the whole process is then moved. */
int
cg_enter_self_v1 (const struct capsa_cgroup *cg, capsa_err **err)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->d[i].version == CG_V1 && cg_write (cg->d[i].path, "tasks", "0", err) < 0)
      return capsa_err_wrap (err, "join the container's cgroup");
  return 0;
}

/* rmdir that waits for exiting tasks to leave (EBUSY) for up to ~2 s. */
static int
rmdir_wait (const char *path)
{
  long delay = 1;
  for (int i = 0; i < 40; i++)
    {
      if (rmdir (path) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return -1;
      sleep_ms (delay);
      if (delay < 100)
        delay *= 2;
    }
  return -1;
}

/* Remove child cgroups the container made inside its own (with a cgroup namespace it may). */
static void
remove_children (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
      remove_children (sub);
      rmdir_wait (sub);
    }
}

int
cg_destroy (const struct capsa_cgroup *cg, capsa_err **err)
{
  int ret = 0;
  for (size_t i = 0; i < cg->n; i++)
    {
      const struct cg_dir *d = &cg->d[i];
      if (d->top == NULL)
        continue; /* joined an existing cgroup: not ours to remove */
      remove_children (d->path);
      if (rmdir_wait (d->path) < 0 && ret == 0)
        ret = capsa_fail (err, errno, "remove cgroup `%s`", d->path);
      /* then the parents this container made, while nobody else uses them */
      cleanup_free char *p = xstrdup (d->path);
      size_t tl = strlen (d->top);
      char *slash;
      while ((slash = strrchr (p, '/')) && (size_t) (slash - p) >= tl)
        {
          *slash = '\0';
          if (rmdir (p) < 0)
            break;
        }
    }
  return ret;
}

/* ---- freeze, pids, signals ----------------------------------------------------------------- */

int
cg_freeze (const struct capsa_cgroup *cg, bool frozen, capsa_err **err)
{
  const struct cg_dir *d = cg_dir_for (cg, "freezer");
  const char *file, *want, *check_file;
  if (d == NULL || d->version == CG_V2)
    d = cg_dir_v2 (cg);
  if (d == NULL)
    return capsa_fail_as (err, ENOTSUP, "cannot %s: no freezer cgroup controller (v1) and no cgroup v2 here",
                          frozen ? "pause" : "resume");
  if (d->version == CG_V1)
    {
      file = check_file = "freezer.state";
      want = frozen ? "FROZEN" : "THAWED";
    }
  else
    {
      file = "cgroup.freeze";
      check_file = "cgroup.events";
      want = frozen ? "frozen 1" : "frozen 0";
    }
  long delay = 1;
  for (int i = 0; i < 60; i++)
    {
      if (cg_write (d->path, file, d->version == CG_V1 ? want : (frozen ? "1" : "0"), err) < 0)
        return -1;
      cleanup_free char *path = xasprintf ("%s/%s", d->path, check_file);
      cleanup_free char *now = NULL;
      if (read_file_at (AT_FDCWD, path, &now, NULL, NULL) == 0 && strstr (now, want))
        return 0;
      sleep_ms (delay);
      if (delay < 100)
        delay *= 2;
    }
  return capsa_fail_as (err, ETIMEDOUT, "cgroup `%s` did not become %s", d->path, frozen ? "frozen" : "thawed");
}

bool
cg_is_frozen (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_for (cg, "freezer");
  if (d && d->version == CG_V1)
    {
      cleanup_free char *s = cg_read_line (d->path, "freezer.state");
      return s && strcmp (s, "THAWED") != 0;
    }
  d = cg_dir_v2 (cg);
  if (d == NULL)
    return false;
  cleanup_free char *s = cg_read_line (d->path, "cgroup.freeze");
  return s && strcmp (s, "1") == 0;
}

/* The directory to list processes from: every process is in all of them. */
static const struct cg_dir *
procs_dir (const struct capsa_cgroup *cg)
{
  const struct cg_dir *d = cg_dir_v2 (cg);
  if (d == NULL)
    d = cg_dir_for (cg, "pids");
  return d ? d : (cg->n ? &cg->d[0] : NULL);
}

static void
collect_pids (const char *dir, pid_t **out, size_t *n)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *buf = NULL;
  if (read_file_at (AT_FDCWD, path, &buf, NULL, NULL) == 0)
    {
      char *save = NULL;
      for (char *t = strtok_r (buf, "\n", &save); t; t = strtok_r (NULL, "\n", &save))
        {
          *out = xrealloc (*out, (*n + 1) * sizeof **out);
          (*out)[(*n)++] = (pid_t) atoi (t);
        }
    }
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
        collect_pids (sub, out, n);
      }
}

int
cg_pids (const struct capsa_cgroup *cg, pid_t **out, size_t *n, capsa_err **err)
{
  const struct cg_dir *d = procs_dir (cg);
  *out = NULL;
  *n = 0;
  if (d == NULL)
    return capsa_fail_as (err, ENOENT, "the container has no cgroup to list processes from");
  if (access (d->path, F_OK) < 0)
    return capsa_fail (err, errno, "cgroup `%s`", d->path);
  collect_pids (d->path, out, n);
  return 0;
}

bool
cg_is_empty (const struct capsa_cgroup *cg)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  return cg_pids (cg, &pids, &n, NULL) < 0 || n == 0;
}

int
cg_signal_all (const struct capsa_cgroup *cg, int sig, capsa_err **err)
{
  const struct cg_dir *v2 = cg_dir_v2 (cg);
  cleanup_free char *kill_file = v2 ? xasprintf ("%s/cgroup.kill", v2->path) : NULL;
  if (!(sig == SIGKILL && v2 && access (kill_file, F_OK) == 0 && cg_write (v2->path, "cgroup.kill", "1", NULL) == 0))
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      if (cg_pids (cg, &pids, &n, err) < 0)
        return -1;
      for (size_t i = 0; i < n; i++)
        kill (pids[i], sig);
    }
  /* a v1-frozen task only acts on a signal once thawed (v2 delivers SIGKILL to frozen tasks) */
  if (sig == SIGKILL && cg_is_frozen (cg))
    cg_freeze (cg, false, NULL);
  return 0;
}

/* ---- state --------------------------------------------------------------------------------- */

json_t *
cg_to_json (const struct capsa_cgroup *cg)
{
  json_t *arr = json_array ();
  for (size_t i = 0; i < cg->n; i++)
    {
      json_t *o = json_pack ("{s:i, s:s, s:s}", "v", (int) cg->d[i].version, "controllers", cg->d[i].controllers,
                             "path", cg->d[i].path);
      if (cg->d[i].top)
        json_object_set_new (o, "top", json_string (cg->d[i].top));
      json_array_append_new (arr, o);
    }
  return arr;
}

int
cg_from_json (json_t *arr, struct capsa_cgroup *cg)
{
  size_t i;
  json_t *o;
  memset (cg, 0, sizeof *cg);
  if (!json_is_array (arr))
    return 0;
  cg->d = xmalloc0 ((json_array_size (arr) + 1) * sizeof *cg->d);
  json_array_foreach (arr, i, o)
  {
    const char *ctrl = json_string_value (json_object_get (o, "controllers"));
    const char *path = json_string_value (json_object_get (o, "path"));
    const char *top = json_string_value (json_object_get (o, "top"));
    if (path == NULL)
      continue;
    cg->d[cg->n++] = (struct cg_dir){ json_integer_value (json_object_get (o, "v")) == 2 ? CG_V2 : CG_V1,
                                      xstrdup (ctrl ? ctrl : ""), xstrdup (path), top ? xstrdup (top) : NULL, NULL };
  }
  return 0;
}
