/* --userns and --uidmap/--gidmap of run/create: which user namespace a container gets.
 *
 *   host (root's default)   none of its own: root inside is root outside
 *   (rootless default)      none of its own either: it stays in the user's shared namespace
 *                           (rootless.h), so root inside is the user, 1..N its subuid range
 *   keep-id (rootless)      one of its own in which the user's uid/gid are the same as outside
 *   auto[:size=N] (root)    a free range of N ids (65536) from /etc/subuid's and /etc/subgid's
 *                           entries for the user `containers`; a range in use by another
 *                           container (recorded in its HostConfig.IDMappings) is never given twice
 *   ns:PATH                 join the user namespace at PATH
 *   --uidmap/--gidmap C:H:S (root) podman's syntax, repeatable; --gidmap defaults to --uidmap
 *
 * As root, a container with mappings gets an overlay root whose lower dirs are idmapped mounts
 * of the shared layers (image_rootfs.h).  Its directory in the store and those of the volumes it
 * uses are 0710 with the group of its root (store.h): capsa-oci walks the paths to its bundle,
 * root and volumes as that root, inside the namespace, and no other host user may pass. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr.h"
#include "ctr_config.h"
#include "rootless.h"
#include "util.h"

#define AUTO_SIZE_DEFAULT 65536

void
ctr_userns_free (struct ctr_userns *u)
{
  free (u->path);
  json_decref (u->uidmap);
  json_decref (u->gidmap);
  if (u->lockfd >= 0)
    close (u->lockfd);
  memset (u, 0, sizeof *u);
  u->lockfd = -1;
}

static json_t *
one_map (unsigned long c, unsigned long h, unsigned long n)
{
  return json_pack ("{s:I, s:I, s:I}", "containerID", (json_int_t) c, "hostID", (json_int_t) h, "size", (json_int_t) n);
}

/* "C:H:S" entries (podman's --uidmap) into an OCI mappings array. */
static int
parse_maps (const char *flag, char **specs, json_t **out, capsa_err **err)
{
  json_t *arr = json_array ();
  for (char **s = specs; s && *s; s++)
    {
      int64_t v[3];
      cleanup_free char *copy = xstrdup (*s);
      char *save = NULL, *tok = strtok_r (copy, ":", &save);
      size_t k = 0;
      for (; tok && k < 3; tok = strtok_r (NULL, ":", &save), k++)
        if (parse_i64 (tok, k == 2 ? 1 : 0, UINT32_MAX - 1, &v[k]) < 0)
          break;
      if (k != 3 || tok != NULL || v[0] + v[2] > UINT32_MAX || v[1] + v[2] > UINT32_MAX)
        {
          json_decref (arr);
          return capsa_fail_as (err, EINVAL, "%s `%s`: expected CONTAINER_ID:HOST_ID:SIZE (0:100000:65536)", flag, *s);
        }
      json_array_append_new (arr, one_map ((unsigned long) v[0], (unsigned long) v[1], (unsigned long) v[2]));
    }
  *out = arr;
  return 0;
}

/* ---- auto: free ranges from /etc/subuid's `containers` entries ----------------------------- */

struct span
{
  unsigned long start, end; /* [start, end) */
};

/* Host ranges other containers of this store use (their HostConfig.IDMappings). */
static void
used_ranges (struct capsa_engine *e, const char *key, struct span **out, size_t *n)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  *out = NULL;
  *n = 0;
  for (char **id = ids; id && *id; id++)
    {
      cleanup_free char *p = xasprintf ("%s/containers/%s/container.json", e->root, *id);
      json_t *meta = json_load_file (p, 0, NULL);
      json_t *maps = json_object_get (json_object_get (json_object_get (meta, "HostConfig"), "IDMappings"), key);
      size_t i;
      json_t *m;
      json_array_foreach (maps, i, m)
      {
        unsigned long c, h, s;
        if (sscanf (json_string_value (m) ? json_string_value (m) : "", "%lu:%lu:%lu", &c, &h, &s) != 3)
          continue;
        *out = xrealloc (*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = (struct span){ h, h + s };
      }
      json_decref (meta);
    }
}

/* The lowest start of `size` free ids inside one of `ranges`, or -1. */
static long long
pick_free (const struct capsa_idrange *ranges, size_t nr, const struct span *used, size_t nu, unsigned long size)
{
  for (size_t r = 0; r < nr; r++)
    {
      unsigned long lo = ranges[r].start, hi = ranges[r].start + ranges[r].count;
      unsigned long cand = lo;
      bool moved = true;
      while (moved && cand + size <= hi)
        {
          moved = false;
          for (size_t u = 0; u < nu; u++)
            if (cand < used[u].end && used[u].start < cand + size)
              {
                cand = used[u].end;
                moved = true;
              }
        }
      if (cand + size <= hi)
        return (long long) cand;
    }
  return -1;
}

static int
userns_auto (struct capsa_engine *e, const char *opts, struct ctr_userns *u, capsa_err **err)
{
  int64_t size = AUTO_SIZE_DEFAULT;
  if (opts && *opts)
    {
      if (strncmp (opts, "size=", 5) != 0 || parse_i64 (opts + 5, 1, UINT32_MAX / 2, &size) < 0)
        return capsa_fail_as (err, EINVAL, "--userns auto:%s: expected auto or auto:size=N", opts);
    }
  /* held until the container's record (with its IDMappings) is written: no two containers
   * pick the same range */
  cleanup_free char *lockp = xasprintf ("%s/userns.lock", e->root);
  u->lockfd = open (lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (u->lockfd < 0 || flock (u->lockfd, LOCK_EX) < 0)
    return capsa_fail (err, errno, "lock `%s`", lockp);
  static const char *files[] = { "/etc/subuid", "/etc/subgid" };
  static const char *keys[] = { "UidMap", "GidMap" };
  json_t **dst[] = { &u->uidmap, &u->gidmap };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free struct capsa_idrange *ranges = NULL;
      cleanup_free struct span *used = NULL;
      size_t nr = 0, nu = 0;
      if (rootless_subid_ranges (files[i], "containers", (uid_t) -1, &ranges, &nr) < 0)
        return capsa_fail (err, errno, "read %s", files[i]);
      if (nr == 0)
        return capsa_fail_as (err, ENOENT,
                              "--userns auto: %s has no range for the user `containers`, where capsa takes "
                              "containers' ids from: add one, e.g. `containers:2147483647:2147483648`",
                              files[i]);
      used_ranges (e, keys[i], &used, &nu);
      long long start = pick_free (ranges, nr, used, nu, (unsigned long) size);
      if (start < 0)
        return capsa_fail_as (err, ENOSPC,
                              "--userns auto: no free range of %lld ids left in %s's `containers` entries (other "
                              "containers hold them): remove containers, add ids, or ask for less with "
                              "auto:size=N",
                              (long long) size, files[i]);
      *dst[i] = json_pack ("[o]", one_map (0, (unsigned long) start, (unsigned long) size));
    }
  return 0;
}

/* keep-id: the user's uid U and gid G inside as outside.  In the shared namespace the user is 0
 * and its subuids are 1..N, so the container maps 0..U-1 -> 1..U, U -> 0, U+1..N -> U+1..N. */
static json_t *
keep_id_map (unsigned long own, unsigned long n)
{
  json_t *arr = json_array ();
  if (own > 0)
    json_array_append_new (arr, one_map (0, 1, own));
  json_array_append_new (arr, one_map (own, 0, 1));
  if (n > own)
    json_array_append_new (arr, one_map (own + 1, own + 1, n - own));
  return arr;
}

/* The mappings of the user namespace at path (OCI arrays, host ids): a child joins it and reads
 * /proc/self/uid_map and gid_map, which from inside show the ids of the namespace above. */
static int
ns_path_maps (const char *path, json_t **uidmap, json_t **gidmap, capsa_err **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return capsa_fail (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (p[0]);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, CLONE_NEWUSER) < 0)
        _exit (1);
      for (int i = 0; i < 2; i++)
        {
          char *text = NULL;
          size_t len = 0;
          capsa_err *e = NULL;
          if (read_file_at (AT_FDCWD, i == 0 ? "/proc/self/uid_map" : "/proc/self/gid_map", &text, &len, &e) < 0
              || write_all (p[1], text, len) < 0 || (i == 0 && write_all (p[1], "--\n", 3) < 0))
            _exit (1);
        }
      _exit (0);
    }
  close (p[1]);
  char *text = NULL, buf[4096];
  size_t len = 0;
  ssize_t n;
  while ((n = read (p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      {
        text = xrealloc (text, len + (size_t) n + 1);
        memcpy (text + len, buf, (size_t) n);
        len += (size_t) n;
        text[len] = '\0';
      }
  close (p[0]);
  int st;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0 || text == NULL)
    {
      free (text);
      return capsa_fail_as (err, EPERM, "--userns ns:%s: cannot read the mappings of that user namespace", path);
    }
  /* uid lines, "--", gid lines */
  json_t *maps[2] = { json_array (), json_array () };
  int k = 0;
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned c, h, sz;
      if (strcmp (line, "--") == 0)
        k = 1;
      else if (sscanf (line, "%u %u %u", &c, &h, &sz) == 3)
        json_array_append_new (maps[k], one_map (c, h, sz));
    }
  free (text);
  *uidmap = maps[0];
  *gidmap = maps[1];
  return 0;
}

/* --uidmap/--gidmap (root): a namespace of its own with those mappings. */
static int
userns_maps (struct capsa_engine *e, const struct ctr_opts *o, struct ctr_userns *u, capsa_err **err)
{
  if (e->rootless)
    return capsa_fail_as (err, EPERM,
                          "--uidmap/--gidmap need root (rootless containers get your /etc/subuid "
                          "range; --userns keep-id keeps your own uid)");
  if (!(o->uidmap && o->uidmap[0]))
    return capsa_fail_as (err, EINVAL, "--gidmap needs --uidmap as well");
  if (parse_maps ("--uidmap", o->uidmap, &u->uidmap, err) < 0)
    return -1;
  if (o->gidmap && o->gidmap[0] ? parse_maps ("--gidmap", o->gidmap, &u->gidmap, err) < 0
                                : parse_maps ("--uidmap", o->uidmap, &u->gidmap, err) < 0)
    return -1;
  u->new_ns = true;
  return 0;
}

/* --userns ns:PATH: join that namespace. */
static int
userns_ns_path (struct capsa_engine *e, const char *mode, struct ctr_userns *u, capsa_err **err)
{
  if (mode[3] != '/')
    return capsa_fail_as (err, EINVAL, "--userns %s: expected ns:PATH with an absolute path", mode);
  if (access (mode + 3, R_OK) < 0)
    return capsa_fail (err, errno, "--userns %s: cannot open `%s`", mode, mode + 3);
  u->path = xstrdup (mode + 3);
  /* root: the image is then seen through idmapped mounts with the namespace's own mappings,
   * so that its root owns it (rootless: the namespace is the user's, as the image's files) */
  if (!e->rootless && ns_path_maps (u->path, &u->uidmap, &u->gidmap, err) < 0)
    return -1;
  return 0;
}

/* --userns keep-id (rootless): the user's own uid and gid inside as outside. */
static int
userns_keep_id (struct capsa_engine *e, struct ctr_userns *u, capsa_err **err)
{
  if (!e->rootless)
    return capsa_fail_as (err, EINVAL,
                          "--userns keep-id is for rootless capsa (as root your uid is 0 inside "
                          "and out: --userns host, or auto for a range of its own)");
  if (e->subuid.count <= e->host_uid || e->subgid.count <= e->host_gid)
    return capsa_fail_as (err, ERANGE,
                          "--userns keep-id needs a subuid/subgid range larger than your uid %u and gid %u "
                          "(/etc/subuid gives %lu ids)",
                          e->host_uid, e->host_gid, e->subuid.count);
  u->uidmap = keep_id_map (e->host_uid, e->subuid.count);
  u->gidmap = keep_id_map (e->host_gid, e->subgid.count);
  u->new_ns = true;
  u->keep_id = true;
  u->keep_uid = e->host_uid;
  u->keep_gid = e->host_gid;
  return 0;
}

int
ctr_userns_resolve (struct capsa_engine *e, const struct ctr_opts *o, struct ctr_userns *u, capsa_err **err)
{
  const char *mode = o->userns && *o->userns ? o->userns : NULL;
  memset (u, 0, sizeof *u);
  u->lockfd = -1;
  bool maps = (o->uidmap && o->uidmap[0]) || (o->gidmap && o->gidmap[0]);
  if (maps && mode)
    return capsa_fail_as (err, EINVAL, "--userns %s and --uidmap/--gidmap: give one or the other", mode);
  if (maps)
    return userns_maps (e, o, u, err);
  if (mode == NULL || strcmp (mode, "host") == 0)
    return 0;
  if (strncmp (mode, "ns:", 3) == 0)
    return userns_ns_path (e, mode, u, err);
  if (strcmp (mode, "keep-id") == 0)
    return userns_keep_id (e, u, err);
  if (strcmp (mode, "auto") == 0 || strncmp (mode, "auto:", 5) == 0)
    {
      if (e->rootless)
        return capsa_fail_as (err, EPERM,
                              "--userns auto needs root (rootless containers already get your "
                              "/etc/subuid range)");
      if (userns_auto (e, mode[4] ? mode + 5 : NULL, u, err) < 0)
        return -1;
      u->new_ns = true;
      return 0;
    }
  return capsa_fail_as (err, EINVAL, "--userns `%s`: expected host, keep-id, auto[:size=N] or ns:PATH", mode);
}

/* "C H S\n" lines, /proc/PID/uid_map's form (owned). */
char *
ctr_userns_map_text (json_t *maps)
{
  size_t i;
  json_t *m;
  char *out = xstrdup ("");
  json_array_foreach (maps, i, m)
  {
    char *next = xasprintf ("%s%lld %lld %lld\n", out, json_integer_value (json_object_get (m, "containerID")),
                            json_integer_value (json_object_get (m, "hostID")),
                            json_integer_value (json_object_get (m, "size")));
    free (out);
    out = next;
  }
  return out;
}

static json_t *
maps_meta (json_t *maps)
{
  json_t *arr = json_array ();
  size_t i;
  json_t *m;
  json_array_foreach (maps, i, m) json_array_append_new (
      arr, json_sprintf ("%lld:%lld:%lld", json_integer_value (json_object_get (m, "containerID")),
                         json_integer_value (json_object_get (m, "hostID")),
                         json_integer_value (json_object_get (m, "size"))));
  return arr;
}

void
ctr_userns_apply (const struct ctr_opts *o, const struct ctr_userns *u, json_t *config, json_t *meta)
{
  json_t *linux_ = json_object_get (config, "linux");
  json_t *hc = json_object_get (meta, "HostConfig");
  json_object_set_new (hc, "UsernsMode", json_string (o->userns ? o->userns : ""));
  if (!u->new_ns && !u->path)
    return;
  json_t *ns = json_object ();
  json_object_set_new (ns, "type", json_string ("user"));
  if (u->path)
    json_object_set_new (ns, "path", json_string (u->path));
  json_array_append_new (json_object_get (linux_, "namespaces"), ns);
  if (!u->new_ns)
    return;
  if (u->keep_id && !(o->user && *o->user))
    json_object_set_new (json_object_get (config, "process"), "user",
                         json_pack ("{s:I, s:I}", "uid", (json_int_t) u->keep_uid, "gid", (json_int_t) u->keep_gid));
  json_object_set (linux_, "uidMappings", u->uidmap);
  json_object_set (linux_, "gidMappings", u->gidmap);
  json_object_set_new (hc, "IDMappings",
                       json_pack ("{s:o, s:o}", "UidMap", maps_meta (u->uidmap), "GidMap", maps_meta (u->gidmap)));
}
