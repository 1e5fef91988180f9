/* capsa's container records: see ctr.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "ctr.h"
#include "fault.h"
#include "fsops.h"
#include "capsa/json.h"
#include "image_rootfs.h"
#include "selfexe.h"
#include "util.h"

void
ctr_ports_release (struct ctr *c)
{
  for (size_t i = 0; i < c->nport_fds; i++)
    close (c->port_fds[i]);
  free (c->port_fds);
  c->port_fds = NULL;
  c->nport_fds = 0;
}

void
capsa_ctr_free (struct ctr *c)
{
  ctr_ports_release (c);
  free (c->id);
  free (c->dir);
  free (c->oci_root);
  json_decref (c->meta);
  json_decref (c->run);
  free (c);
}

void
capsa_ctr_free_all (struct ctr **cs, size_t n)
{
  for (size_t i = 0; cs && i < n; i++)
    if (cs[i])
      capsa_ctr_free (cs[i]);
  free (cs);
}

char *
ctr_oci_root (struct capsa_engine *e)
{
  if (e->rundir)
    return xasprintf ("%s/oci", e->rundir); /* rootless: runtime state under XDG_RUNTIME_DIR */
  return xasprintf ("%s/oci", e->root);
}

void
capsa_ctr_new_id (char out[CTR_ID_LEN + 1])
{
  unsigned char raw[CTR_ID_LEN / 2];
  if (getrandom (raw, sizeof raw, 0) != (ssize_t) sizeof raw)
    for (size_t i = 0; i < sizeof raw; i++)
      raw[i] = (unsigned char) (rand () ^ getpid () ^ (int) time (NULL));
  /* never all digits (docker's rule: an id that looks like a number confuses tools) */
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf (out + 2 * i, 3, "%02x", raw[i]);
  if (strspn (out, "0123456789") == CTR_ID_LEN)
    out[0] = 'a';
}

bool
capsa_ctr_valid_name (const char *s)
{
  size_t n = strlen (s);
  static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
  if (n == 0 || n > 128 || strchr ("_.-", s[0]))
    return false;
  return strspn (s, ok) == n;
}

/* DIR/NAME, a JSON object, or NULL.  The record's files are only ever replaced whole (rename),
 * so a read shorter than the buffer is the whole file: one read for the usual small one, not a
 * second to find the end (ps reads two files a container). */
static json_t *
read_object (const char *dir, const char *name)
{
  char small[8192];
  char path[PATH_MAX];
  if (snprintf (path, sizeof path, "%s/%s", dir, name) >= (int) sizeof path)
    return NULL;
  json_t *j = NULL;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, small, sizeof small);
  if (n >= 0 && (size_t) n < sizeof small)
    j = json_loadb (small, (size_t) n, 0, NULL);
  else if (n > 0)
    {
      cleanup_free char *buf = NULL;
      size_t len = 0;
      if (read_file_at (AT_FDCWD, path, &buf, &len, NULL) == 0)
        j = json_loadb (buf, len, 0, NULL);
    }
  if (!json_is_object (j))
    {
      json_decref (j);
      return NULL;
    }
  return j;
}

json_t *
ctr_run_read (const char *dir)
{
  return read_object (dir, "run.json") ?: json_object ();
}

int
ctr_run_update (const char *dir, json_t *changes, capsa_err **err)
{
  cleanup_free char *lockp = xasprintf ("%s/run.lock", dir);
  cleanup_close int lock = open (lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return capsa_fail (err, errno, "open `%s`", lockp);
  flock (lock, LOCK_EX);
  json_t *run = ctr_run_read (dir);
  json_object_update (run, changes);
  cleanup_free char *s = json_dumps (run, JSON_COMPACT);
  json_decref (run);
  cleanup_free char *p = xasprintf ("%s/run.json", dir);
  return write_file_replace_at (AT_FDCWD, p, s, strlen (s), 0644, err);
}

/* run.json's Brief: what a plain `ps` reads of a container's record (its table, and the status
 * of one not running: RestartPolicy), in the file it reads anyway: 250 bytes, not container.json's
 * 2 KiB and more, and no file more to open. */
static json_t *
meta_brief (json_t *meta)
{
  static const char *const keys[] = { "Id", "Name", "Created", "ImageName", "Path", "Args" };
  json_t *b = json_object (), *v;
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if ((v = json_object_get (meta, keys[i])))
      json_object_set (b, keys[i], v);
  json_t *pol = json_object_get (json_object_get (meta, "HostConfig"), "RestartPolicy");
  if (pol)
    json_object_set_new (b, "HostConfig", json_pack ("{s:O}", "RestartPolicy", pol));
  return b;
}

int
ctr_meta_write (const char *dir, json_t *meta, capsa_err **err)
{
  cleanup_free char *ms = json_dumps (meta, JSON_INDENT (1));
  cleanup_free char *mp = xasprintf ("%s/container.json", dir);
  cleanup_free char *rp = xasprintf ("%s/run.json", dir);
  if (ms == NULL)
    return capsa_fail_as (err, ENOMEM, "write `%s`: out of memory", mp);
  /* never a Brief older than container.json: it goes first and comes back last, and a listing
   * reads container.json where it is null (load) */
  cleanup_json json_t *gone = json_pack ("{s:n}", "Brief");
  if (access (rp, F_OK) == 0 && ctr_run_update (dir, gone, err) < 0)
    return -1;
  if (write_file_replace_at (AT_FDCWD, mp, ms, strlen (ms), 0600, err) < 0)
    return -1;
  cleanup_json json_t *brief = json_pack ("{s:o}", "Brief", meta_brief (meta));
  return ctr_run_update (dir, brief, err);
}

static char boot_id[40];

static void
boot_id_read (void)
{
  cleanup_free char *text = NULL;
  cleanup_err capsa_err *err = NULL;
  if (read_file_at (AT_FDCWD, "/proc/sys/kernel/random/boot_id", &text, NULL, &err) == 0)
    snprintf (boot_id, sizeof boot_id, "%.36s", text);
}

const char *
ctr_boot_id (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT; /* (listings read records from threads) */
  pthread_once (&once, boot_id_read);
  return boot_id;
}

/* Whether the process recorded in run (its pid and start time) still lives.  A record of another
 * boot (its BootId) names no process of this one, whatever has that pid now. */
static bool
pid_alive (json_t *run, const char *pidkey, const char *startkey)
{
  const char *boot = json_string_value (json_object_get (run, "BootId"));
  if (boot && *ctr_boot_id () && strcmp (boot, ctr_boot_id ()) != 0)
    return false;
  pid_t pid = (pid_t) json_integer_value (json_object_get (run, pidkey));
  uint64_t want = (uint64_t) json_integer_value (json_object_get (run, startkey)), got;
  char st;
  return pid > 0 && proc_stat_start (pid, &got, &st) == 0 && got == want && st != 'Z' && st != 'X';
}

/* Whether run.json's key names this run (holds its StartedAt). */
static bool
this_run (json_t *run, const char *key, const char *started)
{
  const char *v = json_string_value (json_object_get (run, key));
  return v && strcmp (v, started) == 0;
}

/* For listings: a run the record says started after its last finish, is not restarting and not
 * paused (ctr_ops.c records a pause before it), whose monitor lives, is running; the runtime's
 * state (state.json, the init's /proc, the freezer: 13 of a container's 24 syscalls in ps) is
 * not read.  A foreground run records its start before its network and container are up
 * (ForegroundRun, ctr_start.c): not this way.  It can say running a moment longer than the
 * runtime, after the init dies and before its monitor records the exit; docker's list, from
 * containerd's events, lags the same way. */
static bool
running_by_record (struct ctr *c)
{
  const char *sta = json_string_value (json_object_get (c->run, "StartedAt"));
  const char *fin = json_string_value (json_object_get (c->run, "FinishedAt"));
  if (sta == NULL || (fin && strcmp (fin, sta) >= 0) || json_is_true (json_object_get (c->run, "Restarting")))
    return false;
  if (this_run (c->run, "PausedRun", sta) || this_run (c->run, "ForegroundRun", sta))
    return false;
  return pid_alive (c->run, "MonitorPid", "MonitorStart");
}

/* have_run: c->run was just read (load_record) */
static void
refresh (struct capsa_engine *e, struct ctr *c, bool have_run)
{
  json_t *st = NULL;
  cleanup_err capsa_err *le = NULL;

  if (!have_run)
    {
      json_decref (c->run);
      c->run = ctr_run_read (c->dir);
    }
  c->pid = 0;
  c->exit_code = -1;
  if (c->partial)
    {
      c->status = CTR_DEAD;
      return;
    }
  bool monitor = pid_alive (c->run, "MonitorPid", "MonitorStart");
  if (capsa_container_state (c->oci_root, c->id, &st, &le) == 0)
    {
      const char *s = json_string_value (json_object_get (st, "status"));
      c->pid = (pid_t) json_integer_value (json_object_get (st, "pid"));
      if (s && strcmp (s, "running") == 0)
        c->status = CTR_RUNNING;
      else if (s && strcmp (s, "paused") == 0)
        c->status = CTR_PAUSED;
      else if (s && (strcmp (s, "created") == 0 || strcmp (s, "creating") == 0))
        c->status = CTR_CREATED;
      else
        {
          /* stopped: the monitor records the code in a moment; without a monitor nobody will */
          c->status = json_is_true (json_object_get (c->run, "Restarting")) && monitor ? CTR_RESTARTING : CTR_EXITED;
          c->pid = 0;
          const char *fin = json_string_value (json_object_get (c->run, "FinishedAt"));
          const char *sta = json_string_value (json_object_get (c->run, "StartedAt"));
          if (fin && (sta == NULL || strcmp (fin, sta) >= 0))
            c->exit_code = (int) json_integer_value (json_object_get (c->run, "ExitCode"));
          else if (monitor && c->status == CTR_EXITED)
            {
              /* not recorded yet: the monitor decides in a moment whether it runs again */
              const char *pol = json_string_value (
                  json_object_get (json_object_get (json_object_get (c->meta, "HostConfig"), "RestartPolicy"), "Name"));
              if (pol && strcmp (pol, "no") != 0)
                c->status = CTR_RESTARTING;
            }
        }
      json_decref (st);
      return;
    }
  (void) e;
  if (json_is_true (json_object_get (c->run, "Restarting")) && monitor)
    c->status = CTR_RESTARTING;
  else if (json_object_get (c->run, "FinishedAt"))
    {
      c->status = CTR_EXITED;
      c->exit_code = (int) json_integer_value (json_object_get (c->run, "ExitCode"));
    }
  else if (json_object_get (c->run, "StartedAt") && !monitor)
    c->status = CTR_EXITED; /* started, and whoever watched it is gone with no record */
  else
    c->status = CTR_CREATED;
}

void
capsa_ctr_refresh (struct capsa_engine *e, struct ctr *c)
{
  refresh (e, c, false);
}

static int
load_meta (struct ctr *c)
{
  c->meta = read_object (c->dir, "container.json");
  return c->meta ? 0 : -1;
}

/* The name claimed for id (owned), NULL when none: a scan of ROOT/names (only for half-created
 * containers, whose record does not say). */
static char *
name_of_id (struct capsa_engine *e, const char *id)
{
  cleanup_free char *d = xasprintf ("%s/names", e->root);
  cleanup_dir DIR *dir = opendir (d);
  struct dirent *de;
  char target[CTR_ID_LEN + 2];
  while (dir && (de = readdir (dir)))
    {
      ssize_t n = de->d_name[0] == '.' ? -1 : readlinkat (dirfd (dir), de->d_name, target, sizeof target - 1);
      if (n == CTR_ID_LEN && strncmp (target, id, CTR_ID_LEN) == 0)
        return xstrdup (de->d_name);
    }
  return NULL;
}

/* Is the creation of id in progress (its ROOT/creating/ID held by a live `run`/`create`)? */
static bool
creating (struct capsa_engine *e, const char *id)
{
  cleanup_free char *p = xasprintf ("%s/creating/%s", e->root, id);
  cleanup_close int fd = open (p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  return fd >= 0 && flock (fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* A container whose creation died half-way: a directory or a claimed name, nothing else known. */
static int
load_partial (struct capsa_engine *e, struct ctr *c, capsa_err **err)
{
  cleanup_free char *name = name_of_id (e, c->id);
  if (name == NULL && access (c->dir, F_OK) != 0)
    return capsa_fail_as (err, ENOENT, "no such container: %s (see `capsa ps -a`)", c->id);
  if (creating (e, c->id))
    return capsa_fail_as (err, EBUSY, "container %.12s is being created: try again in a moment", c->id);
  if (load_meta (c) == 0) /* (completed between the first look and the lock's) */
    return 0;
  c->partial = true;
  c->meta = json_pack ("{s:s}", "Id", c->id);
  if (name)
    json_object_set_new (c->meta, "Name", json_sprintf ("/%s", name));
  return 0;
}

enum load_how
{
  LOAD_FULL,
  LOAD_LISTED,       /* running from the record (running_by_record) */
  LOAD_LISTED_BRIEF, /* and the meta from run.json's Brief where it has one */
};

/* What is read of id's record first: its meta (a listing's from run.json's Brief where it has
 * one), and for a listing its run.json and whether that says running (*settled: nothing more to
 * ask).  Files and JSON only, nothing shared: safe in the threads of capsa_ctr_load_listed_all. */
static struct ctr *
load_record (struct capsa_engine *e, const char *id, enum load_how how, bool *settled)
{
  struct ctr *c = xmalloc0 (sizeof *c);
  c->id = xstrdup (id);
  c->dir = xasprintf ("%s/containers/%s", e->root, id);
  c->oci_root = ctr_oci_root (e);
  c->exit_code = -1;
  if (how != LOAD_FULL)
    c->run = ctr_run_read (c->dir);
  json_t *b = how == LOAD_LISTED_BRIEF ? json_object_get (c->run, "Brief") : NULL;
  c->brief = json_is_object (b);
  c->meta = c->brief ? json_incref (b) : read_object (c->dir, "container.json");
  *settled = how != LOAD_FULL && c->meta && running_by_record (c);
  if (*settled)
    c->status = CTR_RUNNING;
  return c;
}

/* The rest, one container at a time: a half-created record, the runtime's state. */
static int
load_finish (struct capsa_engine *e, struct ctr *c, enum load_how how, bool settled, capsa_err **err)
{
  if (settled)
    return 0;
  if (c->meta == NULL && load_partial (e, c, err) < 0)
    return -1;
  refresh (e, c, how != LOAD_FULL && !c->partial);
  return 0;
}

static int
load (struct capsa_engine *e, const char *id, enum load_how how, struct ctr **out, capsa_err **err)
{
  bool settled;
  struct ctr *c = load_record (e, id, how, &settled);
  if (load_finish (e, c, how, settled, err) < 0)
    {
      capsa_ctr_free (c);
      return -1;
    }
  *out = c;
  return 0;
}

int
capsa_ctr_load (struct capsa_engine *e, const char *id, struct ctr **out, capsa_err **err)
{
  return load (e, id, LOAD_FULL, out, err);
}

int
capsa_ctr_load_listed (struct capsa_engine *e, const char *id, bool brief, struct ctr **out, capsa_err **err)
{
  return load (e, id, brief ? LOAD_LISTED_BRIEF : LOAD_LISTED, out, err);
}

/* A share of a listing: ids[first], ids[first + step]... read by one thread (load_record). */
struct listing
{
  struct capsa_engine *e;
  char **ids;
  size_t n, step, first;
  enum load_how how;
  struct ctr **out;
  bool *settled;
};

static void *
listing_share (void *arg)
{
  struct listing *l = arg;
  for (size_t i = l->first; i < l->n; i += l->step)
    l->out[i] = load_record (l->e, l->ids[i], l->how, &l->settled[i]);
  return NULL;
}

/* Up to 4 threads from 64 containers on: reading 1000 records is ~60 ms of syscalls on one CPU. */
static size_t
listing_threads (size_t n)
{
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  size_t t = n < 64 || cpus < 2 ? 1 : (size_t) (cpus < 4 ? cpus : 4);
  return t;
}

struct ctr **
capsa_ctr_load_listed_all (struct capsa_engine *e, char **ids, bool brief)
{
  size_t n = 0;
  while (ids[n])
    n++;
  struct ctr **out = xmalloc0 ((n + 1) * sizeof *out);
  cleanup_free bool *settled = xmalloc0 (n + 1);
  size_t nt = listing_threads (n);
  struct listing l[4];
  pthread_t tid[4];
  bool started[4] = { false };
  (void) ctr_boot_id (); /* (read once, before the threads look at it) */
  for (size_t t = 0; t < nt; t++)
    {
      l[t] = (struct listing){ e, ids, n, nt, t, brief ? LOAD_LISTED_BRIEF : LOAD_LISTED, out, settled };
      started[t] = t > 0 && pthread_create (&tid[t], NULL, listing_share, &l[t]) == 0;
    }
  for (size_t t = 0; t < nt; t++)
    if (!started[t])
      listing_share (&l[t]); /* the share of this thread, and of any that could not start */
  for (size_t t = 1; t < nt; t++)
    if (started[t])
      pthread_join (tid[t], NULL);
  for (size_t i = 0; i < n; i++)
    if (load_finish (e, out[i], l[0].how, settled[i], NULL) < 0)
      {
        capsa_ctr_free (out[i]);
        out[i] = NULL;
      }
  return out;
}

static bool
is_full_id (const char *s)
{
  return strlen (s) == CTR_ID_LEN && strspn (s, "0123456789abcdef") == CTR_ID_LEN;
}

/* A growing list of ids: n of them in v (NULL-terminated once done). */
struct idlist
{
  char **v;
  size_t n, cap;
};

/* Add the full ids named in directory d (entries, or symlinks' targets) to *ids. */
static void
list_ids_in (const char *d, bool targets, struct idlist *ids)
{
  cleanup_dir DIR *dir = opendir (d);
  struct dirent *de;
  char target[CTR_ID_LEN + 2];
  while (dir && (de = readdir (dir)))
    {
      const char *id = de->d_name;
      if (targets)
        {
          ssize_t n = de->d_name[0] == '.' ? -1 : readlinkat (dirfd (dir), de->d_name, target, sizeof target - 1);
          target[n > 0 ? n : 0] = '\0';
          id = target;
        }
      if (!is_full_id (id))
        continue;
      if (ids->n + 1 >= ids->cap)
        {
          ids->cap = ids->cap ? ids->cap * 2 : 64;
          ids->v = xrealloc (ids->v, ids->cap * sizeof *ids->v);
        }
      ids->v[ids->n++] = xstrdup (id);
    }
}

static int
id_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted, and each id once: O(n log n), where a list scan per id was O(n^2) at 1000 containers. */
static char **
list_ids (struct capsa_engine *e, bool claims)
{
  cleanup_free char *d = xasprintf ("%s/containers", e->root);
  cleanup_free char *n = xasprintf ("%s/names", e->root);
  struct idlist ids = { NULL, 0, 0 };
  list_ids_in (d, false, &ids);
  if (claims)
    list_ids_in (n, true, &ids); /* claims whose creation died before its directory was made */
  if (ids.v == NULL)
    return xmalloc0 (sizeof (char *));
  qsort (ids.v, ids.n, sizeof *ids.v, id_cmp);
  size_t k = 0;
  for (size_t i = 0; i < ids.n; i++)
    if (k > 0 && strcmp (ids.v[k - 1], ids.v[i]) == 0)
      free (ids.v[i]);
    else
      ids.v[k++] = ids.v[i];
  ids.v[k] = NULL;
  return ids.v;
}

char **
capsa_ctr_list_ids (struct capsa_engine *e)
{
  return list_ids (e, true);
}

char **
capsa_ctr_list_ids_with_dir (struct capsa_engine *e)
{
  return list_ids (e, false);
}

int
capsa_ctr_find (struct capsa_engine *e, const char *what, struct ctr **out, capsa_err **err)
{
  if (what == NULL || *what == '\0')
    return capsa_fail_as (err, EINVAL, "a container name or id is required");
  if (what[0] == '/')
    what++;
  if (is_full_id (what))
    return capsa_ctr_load (e, what, out, err);
  if (capsa_ctr_valid_name (what))
    {
      cleanup_free char *link = xasprintf ("%s/names/%s", e->root, what);
      char target[CTR_ID_LEN + 2];
      ssize_t n = readlink (link, target, sizeof target - 1);
      cleanup_err capsa_err *le = NULL;
      if (n == CTR_ID_LEN)
        {
          target[n] = '\0';
          if (capsa_ctr_load (e, target, out, &le) == 0)
            return 0;
          if (le->errnum == EBUSY)
            {
              *err = take_ptr (&le);
              return -1;
            }
        }
    }
  size_t n = strlen (what);
  if (strspn (what, "0123456789abcdef") == n)
    {
      cleanup_strv char **ids = capsa_ctr_list_ids (e);
      const char *found = NULL;
      for (char **i = ids; *i; i++)
        if (strncmp (*i, what, n) == 0)
          {
            if (found)
              return capsa_fail_as (err, EINVAL, "multiple containers match `%s`: give more of the id", what);
            found = *i;
          }
      if (found)
        return capsa_ctr_load (e, found, out, err);
    }
  return capsa_fail_as (err, ENOENT, "no such container: %s (see `capsa ps -a`)", what);
}

const char *
capsa_ctr_name (const struct ctr *c)
{
  const char *n = json_string_value (json_object_get (c->meta, "Name"));
  return n ? (n[0] == '/' ? n + 1 : n) : c->id;
}

const char *
capsa_ctr_status_name (enum ctr_status s)
{
  switch (s)
    {
    case CTR_CREATED:
      return "created";
    case CTR_RUNNING:
      return "running";
    case CTR_PAUSED:
      return "paused";
    case CTR_RESTARTING:
      return "restarting";
    case CTR_DEAD:
      return "dead";
    case CTR_EXITED:
    default:
      return "exited";
    }
}

/* Claim: symlink(2) is atomic and fails with EEXIST, so of two concurrent claims one wins.  A
 * claim is never taken over here, even when its container looks half-made: its creation may still
 * be writing the record, and two takers would each unlink the other's fresh claim (the race
 * that let 3 of 30 concurrent `run --name same` win).  A dead one is freed by `capsa rm NAME`,
 * as docker keeps a dead container's name until it is removed. */
int
ctr_name_reserve (struct capsa_engine *e, const char *name, const char *id, capsa_err **err)
{
  cleanup_free char *dir = xasprintf ("%s/names", e->root);
  cleanup_free char *link = xasprintf ("%s/%s", dir, name);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (symlink (id, link) == 0)
    return 0;
  if (errno != EEXIST)
    return capsa_fail (err, errno, "reserve name `%s`", name);
  char target[CTR_ID_LEN + 2] = "";
  ssize_t n = readlink (link, target, sizeof target - 1);
  target[n > 0 ? n : 0] = '\0';
  cleanup_free char *meta = xasprintf ("%s/containers/%s/container.json", e->root, target);
  const char *why = access (meta, F_OK) == 0 ? ""
                    : creating (e, target)   ? ", which is being created"
                                             : ", which was not fully created (its `capsa run` or `create` died)";
  return capsa_fail_as (err, EEXIST,
                        "the container name \"/%s\" is already in use by container %.12s%s: remove it "
                        "(`capsa rm %s`) or choose another name",
                        name, target, why, name);
}

void
ctr_name_release (struct capsa_engine *e, const char *name, const char *id)
{
  cleanup_free char *link = xasprintf ("%s/names/%s", e->root, name);
  char target[CTR_ID_LEN + 2];
  ssize_t n = readlink (link, target, sizeof target - 1);
  if (n == CTR_ID_LEN && strncmp (target, id, CTR_ID_LEN) == 0)
    unlink (link);
}

int
ctr_creating_lock (struct capsa_engine *e, const char *id, capsa_err **err)
{
  cleanup_free char *dir = xasprintf ("%s/creating", e->root);
  cleanup_free char *p = xasprintf ("%s/%s", dir, id);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_close int fd = open (p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    return capsa_fail (err, errno, "create the creation lock `%s`", p);
  return take_fd (&fd);
}

void
ctr_creating_done (struct capsa_engine *e, const char *id, int fd)
{
  cleanup_free char *p = xasprintf ("%s/creating/%s", e->root, id);
  unlink (p);
  if (fd >= 0)
    close (fd);
}

bool
ctr_monitor_alive (const struct ctr *c)
{
  json_t *run = ctr_run_read (c->dir);
  bool alive = pid_alive (run, "MonitorPid", "MonitorStart");
  json_decref (run);
  return alive;
}

/* A pidfd of the process run names by pidkey/startkey; -1 with *alive false when it is gone,
 * -1 with *alive true when pidfds are missing (before Linux 5.3: the caller sleeps instead).
 * Its start time is checked after the open, so a reused pid is never waited for. */
static int
pidfd_of (json_t *run, const char *pidkey, const char *startkey, bool *alive)
{
  pid_t pid = (pid_t) json_integer_value (json_object_get (run, pidkey));
  int fd = pid > 0 ? (int) syscall (SYS_pidfd_open, pid, 0) : -1; /* (always close-on-exec) */
  int saved = errno;
  *alive = pid_alive (run, pidkey, startkey);
  if (fd >= 0 && !*alive)
    {
      close (fd);
      return -1;
    }
  if (fd < 0 && *alive && saved != ENOSYS)
    *alive = false; /* ESRCH: it left between the open and the look */
  return fd;
}

/* Sleep up to ms on fds (n of them, -1 skipped), or the whole of ms when there are none; the
 * index of the first readable one (an exited process), -1 after ms. */
static int
nap_on (const int *fds, size_t n, int ms)
{
  struct pollfd p[2];
  int which[2];
  nfds_t k = 0;
  for (size_t i = 0; i < n && k < 2; i++)
    if (fds[i] >= 0)
      {
        which[k] = (int) i;
        p[k++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
      }
  if (k == 0)
    {
      nanosleep (&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
      return -1;
    }
  if (poll (p, k, ms) <= 0)
    return -1;
  return k > 1 && p[0].revents == 0 ? which[1] : which[0];
}

bool
ctr_monitor_wait_gone (const struct ctr *c, int timeout_ms)
{
  json_t *run = ctr_run_read (c->dir);
  bool alive;
  /* (a foreground run is its own monitor: it does not wait for itself) */
  bool self = json_integer_value (json_object_get (run, "MonitorPid")) == (json_int_t) getpid ();
  cleanup_close int fd = self ? -1 : pidfd_of (run, "MonitorPid", "MonitorStart", &alive);
  json_decref (run);
  if (self || !alive)
    return true;
  if (fd >= 0)
    return nap_on (&fd, 1, timeout_ms) == 0;
  for (int waited = 0; waited < timeout_ms && ctr_monitor_alive (c); waited += 20)
    nap_on (NULL, 0, 20);
  return !ctr_monitor_alive (c);
}

/* Woken by the init's exit (its pidfd) and then by the monitor's, looking every 10 ms between,
 * 2 ms once the init is gone (its monitor records it in a moment). */
int
capsa_ctr_wait_exited (struct capsa_engine *e, struct ctr *c, int timeout_ms)
{
  int fds[2] = { -1, -1 }; /* the monitor, the init */
  bool init_gone = false, alive;
  int r = -1, step = 10;
  for (long waited = 0; timeout_ms < 0 || waited <= timeout_ms; waited += step)
    {
      capsa_ctr_refresh (e, c);
      bool monitor = pid_alive (c->run, "MonitorPid", "MonitorStart");
      /* exited, and recorded by the monitor (or there is no monitor left to record it) */
      if (c->status == CTR_EXITED && (c->exit_code >= 0 || !monitor))
        {
          cleanup_free char *oci = xasprintf ("%s/%s", c->oci_root, c->id);
          if (!monitor || access (oci, F_OK) != 0)
            {
              r = 0;
              break;
            }
        }
      if (fds[0] < 0 && monitor)
        fds[0] = pidfd_of (c->run, "MonitorPid", "MonitorStart", &alive);
      if (fds[1] < 0 && !init_gone && c->pid > 0)
        fds[1] = (int) syscall (SYS_pidfd_open, c->pid, 0);
      int woke = nap_on (fds, 2, step);
      if (woke >= 0)
        {
          close (fds[woke]); /* (readable from now on) */
          fds[woke] = -1;
          init_gone |= woke == 1;
          step = 2;
        }
    }
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return r;
}

/* ---- root filesystem ---------------------------------------------------------------------- */

int
ctr_root_release (struct capsa_engine *e, const char *id, capsa_err **err)
{
  cleanup_store struct capsa_store *s = NULL;
  if (capsa_store_open (e->root, &s, err) < 0)
    return -1;
  return capsa_rootfs_release (s, id, err);
}

int
capsa_ctr_root_ensure (struct capsa_engine *e, const char *id, capsa_err **err)
{
  cleanup_store struct capsa_store *s = NULL;
  if (capsa_store_open (e->root, &s, err) < 0)
    return -1;
  return capsa_rootfs_remount (s, id, err);
}

/* Containers' cgroups are /capsa/ID in every hierarchy: once the last container is gone, the
 * shared /capsa goes too (rmdir only succeeds on an empty directory; a create racing with it
 * makes it again). */
static void
ctr_cgroup_parent_tidy_dir (const char *dir)
{
  cleanup_free char *p = xasprintf ("%s/capsa", dir);
  rmdir (p);
}

void
ctr_cgroup_parent_tidy (void)
{
  cleanup_dir DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *de;
  if (d == NULL)
    return;
  ctr_cgroup_parent_tidy_dir ("/sys/fs/cgroup");
  while ((de = readdir (d)))
    if (de->d_name[0] != '.' && de->d_type == DT_DIR)
      {
        cleanup_free char *h = xasprintf ("/sys/fs/cgroup/%s", de->d_name);
        ctr_cgroup_parent_tidy_dir (h);
      }
}

/* ---- small parsers ------------------------------------------------------------------------- */

/* seconds (a double: what strtod read) in nanoseconds, -1 out of [0, 2262) or not a number */
static long long
seconds_ns (double sec)
{
  double ns = sec * 1e9;
  return ns >= 0 && ns < 9.2e18 ? (long long) ns : -1;
}

long long
capsa_ctr_parse_since (const char *s)
{
  char *end;
  struct tm tm = { 0 };
  errno = 0;
  double v = strtod (s, &end);
  if (!errno && end != s && end[0] && !end[1] && strchr ("smhd", end[0]))
    {
      double mul = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;
      long long back = seconds_ns (v * mul), now = realtime_ns ();
      return back < 0 || back > now ? -1 : now - back;
    }
  if (!errno && end != s && *end == '\0')
    return seconds_ns (v);
  const char *rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL)
    return -1;
  long long ns = seconds_ns ((double) timegm (&tm));
  if (ns < 0)
    return -1;
  if (*rest == '.')
    {
      long long frac = 0, scale = 100000000;
      for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
        frac += (*rest - '0') * scale;
      ns += frac;
    }
  return ns;
}

int
capsa_ctr_exec_error_code (const capsa_err *err)
{
  if (err && err->msg && strstr (err->msg, "exec: \""))
    return err->errnum == ENOENT ? 127 : 126;
  return CAPSA_ENGINE_EXIT_ERROR;
}

const char *
capsa_engine_share_dir (const struct capsa_engine *e)
{
  static char buf[PATH_MAX];
  const char *env = e->share_dir;
  if (env && *env)
    return env;
  if (buf[0]) /* found before: `run` asks for each of the default profiles */
    return buf;
#ifdef CAPSA_DATADIR
  snprintf (buf, sizeof buf, "%s/capsa/seccomp-default.json", CAPSA_DATADIR);
  if (access (buf, R_OK) == 0)
    {
      snprintf (buf, sizeof buf, "%s/capsa", CAPSA_DATADIR);
      return buf;
    }
#endif
  cleanup_free char *exe = NULL;
  if (capsa_exe_path (&exe, NULL) < 0) /* (a sealed copy's /proc/self/exe is no path) */
    return NULL;
  for (int up = 0; up < 5; up++)
    {
      char *slash = strrchr (exe, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
      static const char *subs[] = { "share/capsa", "share" };
      for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
        {
          cleanup_free char *cand = xasprintf ("%s/%s/seccomp-default.json", exe, subs[i]);
          if (access (cand, R_OK) == 0 && strlen (cand) < sizeof buf)
            {
              cand[strlen (cand) - strlen ("/seccomp-default.json")] = '\0';
              memcpy (buf, cand, strlen (cand) + 1);
              return buf;
            }
        }
    }
  return NULL;
}

void
capsa_ctr_count (struct capsa_engine *e, struct capsa_ctr_counts *n)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  memset (n, 0, sizeof *n);
  for (char **id = ids; id && *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      if (capsa_ctr_load (e, *id, &c, NULL) < 0)
        continue;
      n->all++;
      if (c->status == CTR_RUNNING)
        n->running++;
      else if (c->status == CTR_PAUSED)
        n->paused++;
      else
        n->stopped++;
    }
}
