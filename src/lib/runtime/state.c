/* Container state on disk: see state.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "util.h"

static const char *const status_names[] = { "creating", "created", "running", "stopped", "paused" };

const char *
capsa_status_name (enum capsa_status s)
{
  return (unsigned) s < ARRAY_SIZE (status_names) ? status_names[s] : "unknown";
}

int
state_validate_id (const char *id, capsa_err **err)
{
  size_t len = id ? strlen (id) : 0;

  if (len == 0)
    return capsa_fail_as (err, EINVAL, "container id cannot be empty");
  if (len > 1024 || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return capsa_fail_as (err, EINVAL, "invalid container id `%s`", id);
  for (const char *p = id; *p; p++)
    {
      char c = *p;
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+'
                || c == '-' || c == '.';
      if (!ok)
        return capsa_fail_as (err, EINVAL, "invalid container id `%s`: only [A-Za-z0-9_+.-] are allowed", id);
    }
  return 0;
}

static int
lock_dir (int fd, const char *id, capsa_err **err)
{
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "lock state of container `%s`", id);
  return 0;
}

int
state_create_dir (const char *root, const char *id, capsa_err **err)
{
  if (mkdir_p (root, 0711, err) < 0)
    return capsa_err_wrap (err, "create runtime root");
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return capsa_fail (err, errno, "open runtime root `%s`", root);
  if (mkdirat (rootfd, id, 0711) < 0)
    {
      if (errno == EEXIST)
        return capsa_fail_as (err, EEXIST, "container with id exists: %s", id);
      return capsa_fail (err, errno, "create state directory `%s/%s`", root, id);
    }
  cleanup_close int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open state directory `%s/%s`", root, id);
  if (lock_dir (fd, id, err) < 0)
    return -1;
  return take_fd (&fd);
}

int
state_open_dir (const char *root, const char *id, bool lock, capsa_err **err)
{
  cleanup_close int fd = -1;
  cleanup_free char *path = xasprintf ("%s/%s", root, id);

  if (state_validate_id (id, err) < 0)
    return -1;
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return capsa_fail_as (err, ENOENT, "container `%s` does not exist", id);
      return capsa_fail (err, errno, "open state directory `%s`", path);
    }
  if (lock && lock_dir (fd, id, err) < 0)
    return -1;
  return take_fd (&fd);
}

/* A subdirectory of a state directory (notify/ and its dir/): its files and directories, then
 * itself. */
static int
remove_subdir (int parent, const char *name)
{
  int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  cleanup_dir DIR *d = fdopendir (fd);
  struct dirent *de;
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno == EISDIR)
        remove_subdir (dirfd (d), de->d_name);
  return unlinkat (parent, name, AT_REMOVEDIR);
}

int
state_remove_dir (const char *root, const char *id, capsa_err **err)
{
  cleanup_free char *path = xasprintf ("%s/%s", root, id);
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fd < 0)
    return errno == ENOENT ? 0 : capsa_fail (err, errno, "open state directory `%s`", path);
  d = fdopendir (fd);
  if (d == NULL)
    return capsa_fail (err, errno, "read state directory `%s`", path);
  (void) take_fd (&fd); /* owned by d now */
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) == 0 || errno == ENOENT)
        continue;
      if (errno == EISDIR && remove_subdir (dirfd (d), de->d_name) == 0)
        continue;
      return capsa_fail (err, errno, "remove `%s/%s`", path, de->d_name);
    }
  if (rmdir (path) < 0 && errno != ENOENT)
    return capsa_fail (err, errno, "remove state directory `%s`", path);
  return 0;
}

int
state_write (int dirfd, const struct capsa_state *st, capsa_err **err)
{
  json_t *o = json_pack ("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:b}", "ociVersion", CAPSA_OCI_VERSION, "id",
                         st->id, "pid", (json_int_t) st->pid, "pid_start", (json_int_t) st->pid_start, "bundle",
                         st->bundle, "rootfs", st->rootfs, "created", st->created, "owner", st->owner ? st->owner : "",
                         "pid_ns_private", st->pid_ns_private, "creating", st->creating);
  if (o == NULL)
    return capsa_fail (err, ENOMEM, "encode state of `%s`", st->id);
  if (st->annotations)
    json_object_set (o, "annotations", st->annotations);
  if (st->cg.n)
    json_object_set_new (o, "cgroup", cg_to_json (&st->cg));
  json_object_set_new (o, "late_hooks", json_boolean (st->late_hooks));
  if (st->creating)
    {
      json_object_set_new (o, "creator_pid", json_integer (st->creator_pid));
      json_object_set_new (o, "creator_start", json_integer ((json_int_t) st->creator_start));
    }
  char *s = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (s == NULL)
    return capsa_fail (err, ENOMEM, "encode state of `%s`", st->id);
  int r = write_file_replace_at (dirfd, "state.json", s, strlen (s), 0600, err);
  free (s);
  return r;
}

void
state_free (struct capsa_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  json_decref (st->annotations);
  cg_free (&st->cg);
  free (st);
}

/* Still being created: the flag is set and its creator lives.  A create that was killed leaves
 * the flag: its container is whatever its init is now (stopped without one), as runc reports. */
static bool
still_creating (const struct capsa_state *st)
{
  uint64_t start;
  char pstate;
  return st->creating && st->creator_pid > 0 && proc_stat_start (st->creator_pid, &start, &pstate) == 0
         && start == st->creator_start && pstate != 'Z' && pstate != 'X';
}

void
state_refresh_status (int dirfd, struct capsa_state *st)
{
  uint64_t start = 0;
  char pstate = 0;
  bool creating = still_creating (st);

  if (st->pid <= 0)
    {
      st->status = creating ? CAPSA_STATUS_CREATING : CAPSA_STATUS_STOPPED;
      return;
    }
  if (proc_stat_start (st->pid, &start, &pstate) < 0 || start != st->pid_start || pstate == 'Z' || pstate == 'X')
    {
      st->status = CAPSA_STATUS_STOPPED;
      return;
    }
  if (creating)
    st->status = CAPSA_STATUS_CREATING;
  else if (faccessat (dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    st->status = CAPSA_STATUS_CREATED;
  else if (st->cg.n && cg_is_frozen (&st->cg))
    st->status = CAPSA_STATUS_PAUSED;
  else
    st->status = CAPSA_STATUS_RUNNING;
}

static char *
get_str (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return xstrdup (s ? s : "");
}

int
state_load (int dirfd, const char *id, struct capsa_state **out, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  json_error_t jerr;
  json_t *o;
  struct capsa_state *st;

  if (read_file_at (dirfd, "state.json", &buf, NULL, err) < 0)
    {
      if ((*err)->errnum == ENOENT)
        {
          /* create died before writing anything: report it as a stopped shell */
          capsa_err_free (err);
          st = xmalloc0 (sizeof *st);
          st->id = xstrdup (id);
          st->bundle = xstrdup ("");
          st->rootfs = xstrdup ("");
          st->created = xstrdup ("");
          st->owner = xstrdup ("");
          st->status = CAPSA_STATUS_STOPPED;
          *out = st;
          return 0;
        }
      return capsa_err_wrap (err, "read state of container `%s`", id);
    }
  o = json_loads (buf, 0, &jerr);
  if (o == NULL)
    return capsa_fail (err, 0, "state of container `%s` is corrupt: line %d, column %d: %s", id, jerr.line, jerr.column,
                       jerr.text);
  st = xmalloc0 (sizeof *st);
  st->id = get_str (o, "id");
  st->pid = (pid_t) json_integer_value (json_object_get (o, "pid"));
  st->pid_start = (uint64_t) json_integer_value (json_object_get (o, "pid_start"));
  st->bundle = get_str (o, "bundle");
  st->rootfs = get_str (o, "rootfs");
  st->created = get_str (o, "created");
  st->owner = get_str (o, "owner");
  st->pid_ns_private = json_is_true (json_object_get (o, "pid_ns_private"));
  st->creating = json_is_true (json_object_get (o, "creating"));
  st->creator_pid = (pid_t) json_integer_value (json_object_get (o, "creator_pid"));
  st->creator_start = (uint64_t) json_integer_value (json_object_get (o, "creator_start"));
  /* a state written before the flag existed: assume hooks, and look */
  json_t *lh = json_object_get (o, "late_hooks");
  st->late_hooks = lh == NULL || json_is_true (lh);
  st->annotations = json_incref (json_object_get (o, "annotations"));
  cg_from_json (json_object_get (o, "cgroup"), &st->cg);
  json_decref (o);
  state_refresh_status (dirfd, st);
  *out = st;
  return 0;
}

json_t *
state_to_oci_json (const struct capsa_state *st)
{
  bool alive = st->status == CAPSA_STATUS_CREATED || st->status == CAPSA_STATUS_RUNNING
               || st->status == CAPSA_STATUS_PAUSED || st->status == CAPSA_STATUS_CREATING;
  json_t *o = json_pack ("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "ociVersion", CAPSA_OCI_VERSION, "id", st->id,
                         "pid", (json_int_t) (alive ? st->pid : 0), "status", capsa_status_name (st->status), "bundle",
                         st->bundle, "rootfs", st->rootfs, "created", st->created, "owner", st->owner ? st->owner : "");
  if (o && st->annotations && json_object_size (st->annotations) > 0)
    json_object_set (o, "annotations", st->annotations);
  return o;
}

int
state_write_pid_file (const char *path, pid_t pid, capsa_err **err)
{
  char buf[24];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);
  if (write_file_replace_at (AT_FDCWD, path, buf, (size_t) n, 0644, err) < 0)
    return capsa_err_wrap (err, "write pid file");
  return 0;
}
