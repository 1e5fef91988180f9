/* The run flags of namespaces, cgroups, the process and mounts (issue 18, item 9), applied by one
 * step of ctr_build (ctr_config.c) after the mounts and the root: --pid, --ipc, --uts, --cgroupns,
 * --cgroup-parent, --memory-reservation, --cpuset-mems, --device-read-bps and friends,
 * --oom-kill-disable, --oom-score-adj, --group-add, --annotation, --volumes-from, --platform and
 * the creation of a missing working directory.  Each sets its part of the OCI config and the
 * record's HostConfig under docker's names; a bad value fails the create (nothing is made yet:
 * ctr_create removes what the build made). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctr.h"
#include "ctr_config.h"
#include "jsonutil.h"
#include "resolve_in_root.h"
#include "util.h"

#define CAP_SYS_RESOURCE_BIT 24

/* A list of HostConfig: null when empty, as docker's inspect shows it. */
static json_t *
strv_or_null (char **v)
{
  return v && *v ? json_strv (v) : json_null ();
}

/* ---- namespaces ---------------------------------------------------------------------------- */

static json_t *
ns_entry (json_t *ns, const char *type)
{
  json_t *n;
  size_t i;
  json_array_foreach (ns, i, n) if (strcmp (jstr (n, "type") ?: "", type) == 0) return n;
  return NULL;
}

static void
ns_drop (json_t *ns, const char *type)
{
  for (size_t i = json_array_size (ns); i-- > 0;)
    if (strcmp (jstr (json_array_get (ns, i), "type") ?: "", type) == 0)
      json_array_remove (ns, i);
}

static json_t *
ns_own (json_t *ns, const char *type)
{
  json_t *n = ns_entry (ns, type);
  if (n == NULL)
    json_array_append_new (ns, n = json_pack ("{s:s}", "type", type));
  return n;
}

/* --FLAG container:NAME: that running container's namespace, by its /proc/PID/ns path. */
static int
ns_join (struct capsa_engine *e, json_t *ns, const char *flag, const char *mode, const char *type, capsa_err **err)
{
  const char *name = mode + strlen ("container:");
  cleanup_ctr struct ctr *other = NULL;
  if (*name == '\0')
    return capsa_fail_as (err, EINVAL, "--%s %s: no container named after `container:`", flag, mode);
  if (capsa_ctr_find (e, name, &other, err) < 0)
    return capsa_err_wrap (err, "--%s %s", flag, mode);
  if (other->status != CTR_RUNNING && other->status != CTR_PAUSED)
    return capsa_fail_as (err, EINVAL,
                          "--%s %s: cannot join the %s namespace of a container that is not running (`capsa start "
                          "%s` first)",
                          flag, mode, type, name);
  json_object_set_new (ns_own (ns, type), "path", json_sprintf ("/proc/%d/ns/%s", (int) other->pid, type));
  return 0;
}

/* The mount at dst in the config's mounts, or NULL. */
static json_t *
mount_at (json_t *mounts, const char *dst, size_t *index)
{
  json_t *m;
  size_t i;
  json_array_foreach (mounts, i, m) if (strcmp (jstr (m, "destination") ?: "", dst) == 0)
  {
    if (index)
      *index = i;
    return m;
  }
  return NULL;
}

struct ns_flag
{
  const char *flag, *type; /* the option, the OCI namespace (and /proc/PID/ns name) */
  const char *modes;       /* the modes besides host and container:NAME, ", " between them */
  bool join;               /* container:NAME is a mode */
};

static const struct ns_flag ns_flags[] = {
  { "pid", "pid", "", true },
  { "ipc", "ipc", "private, shareable, none", true },
  { "uts", "uts", "private", false },
  { "cgroupns", "cgroup", "private", false },
};

static bool
in_modes (const char *modes, const char *m)
{
  size_t n = strlen (m);
  for (const char *p = modes; n && (p = strstr (p, m)); p += n)
    if ((p == modes || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
      return true;
  return false;
}

/* One of --pid/--ipc/--uts/--cgroupns: checked, and the namespace dropped (host), joined
 * (container:NAME) or the container's own. */
static int
ns_apply (struct capsa_engine *e, const struct ns_flag *f, const char *mode, json_t *ns, capsa_err **err)
{
  if (mode == NULL || *mode == '\0')
    return 0;
  if (strcmp (mode, "host") == 0)
    {
      ns_drop (ns, f->type);
      return 0;
    }
  if (f->join && strncmp (mode, "container:", 10) == 0)
    return ns_join (e, ns, f->flag, mode, f->type, err);
  if (!in_modes (f->modes, mode))
    return capsa_fail_as (err, EINVAL, "--%s `%s`: invalid mode (host%s%s%s)", f->flag, mode,
                          f->join ? ", container:NAME" : "", *f->modes ? ", " : "", f->modes);
  ns_own (ns, f->type);
  return 0;
}

/* /dev/shm as --ipc has it: the host's (host), none (none), the container's own tmpfs otherwise
 * (container:NAME too: another mount namespace's tmpfs cannot be bound, so only the SysV and
 * POSIX message queue objects of the namespace are shared). */
static void
ipc_shm (const char *mode, json_t *mounts)
{
  size_t i;
  if (mode == NULL || mount_at (mounts, "/dev/shm", &i) == NULL)
    return;
  if (strcmp (mode, "none") == 0)
    json_array_remove (mounts, i);
  else if (strcmp (mode, "host") == 0)
    json_array_set_new (mounts, i,
                        json_pack ("{s:s, s:s, s:s, s:[s,s]}", "destination", "/dev/shm", "type", "bind", "source",
                                   "/dev/shm", "options", "rbind", "rprivate"));
}

static int
apply_namespaces (const struct ctr_flags_in *in, json_t *hc, capsa_err **err)
{
  const struct ctr_opts *o = in->o;
  json_t *linux_ = json_object_get (in->config, "linux"), *ns = json_object_get (linux_, "namespaces");
  const char *modes[] = { o->pid_mode, o->ipc_mode, o->uts_mode, o->cgroupns_mode };
  if (o->uts_mode && strcmp (o->uts_mode, "host") == 0 && o->hostname)
    return capsa_fail_as (err, EINVAL, "conflicting options: --hostname and --uts host (the host's name is used)");
  for (size_t i = 0; i < ARRAY_SIZE (ns_flags); i++)
    if (ns_apply (in->e, &ns_flags[i], modes[i], ns, err) < 0)
      return -1;
  ipc_shm (o->ipc_mode, json_object_get (in->config, "mounts"));
  if (ns_entry (ns, "uts") == NULL)
    json_object_del (in->config, "hostname"); /* the host's: a name needs a namespace of its own */
  json_object_set_new (hc, "PidMode", json_string (o->pid_mode ?: ""));
  json_object_set_new (hc, "IpcMode", json_string (o->ipc_mode && *o->ipc_mode ? o->ipc_mode : "private"));
  json_object_set_new (hc, "UTSMode", json_string (o->uts_mode ?: ""));
  json_object_set_new (hc, "CgroupnsMode", json_string (ns_entry (ns, "cgroup") ? "private" : "host"));
  return 0;
}

/* ---- cgroup and resources ------------------------------------------------------------------ */

/* --cgroup-parent PATH: the container's cgroup is PATH/ID (absolute: from the root of each
 * hierarchy, as docker's cgroupfs driver makes it). */
static int
apply_cgroup_parent (const struct ctr_flags_in *in, json_t *linux_, json_t *hc, capsa_err **err)
{
  const char *p = in->o->cgroup_parent;
  json_object_set_new (hc, "CgroupParent", json_string (p ?: ""));
  if (p == NULL || *p == '\0')
    return 0;
  if (json_object_get (linux_, "cgroupsPath") == NULL || in->e->rootless)
    return capsa_fail_as (err, ENOTSUP, "--cgroup-parent `%s`: rootless containers have no cgroup of their own here",
                          p);
  cleanup_free char *s = xasprintf ("/%s/", p);
  if (strstr (s, "/../") || strstr (s, "/./") || strspn (p, "/") == strlen (p))
    return capsa_fail_as (err, EINVAL, "--cgroup-parent `%s`: a path of cgroup names, without `.` or `..`", p);
  size_t n = 0; /* "//" as "/" */
  for (const char *c = s; *c; c++)
    if (*c != '/' || n == 0 || s[n - 1] != '/')
      s[n++] = *c;
  s[n] = '\0';
  json_object_set_new (linux_, "cgroupsPath", json_sprintf ("%s%s", s, in->id));
  return 0;
}

static json_t *
res_section (json_t *res, const char *name)
{
  json_t *s = json_object_get (res, name);
  if (s == NULL)
    json_object_set_new (res, name, s = json_object ());
  return s;
}

/* One --device-*-bps/iops DEV:RATE into blockIO.key and HostConfig's list. */
static int
throttle_one (const char *flag, const char *spec, bool bytes, json_t *oci, json_t *docker, capsa_err **err)
{
  cleanup_free char *dev = xstrdup (spec);
  char *rate = strrchr (dev, ':');
  struct stat st;
  long long v = -1;
  if (rate)
    *rate++ = '\0';
  int64_t n;
  if (rate && bytes)
    v = parse_bytes (rate);
  else if (rate && parse_i64 (rate, 0, INT64_MAX, &n) == 0)
    v = n;
  if (rate == NULL || *dev == '\0' || v < 0)
    return capsa_fail_as (err, EINVAL, "--%s `%s`: expected DEVICE:%s", flag, spec,
                          bytes ? "RATE (a number of bytes per second, with an optional k, m or g)"
                                : "RATE (a number of operations per second)");
  if (stat (dev, &st) < 0)
    return capsa_fail (err, errno, "--%s `%s`: the device `%s`", flag, spec, dev);
  if (!S_ISBLK (st.st_mode))
    return capsa_fail_as (err, EINVAL, "--%s `%s`: `%s` is not a block device", flag, spec, dev);
  json_array_append_new (oci, json_pack ("{s:I, s:I, s:I}", "major", (json_int_t) major (st.st_rdev), "minor",
                                         (json_int_t) minor (st.st_rdev), "rate", (json_int_t) v));
  json_array_append_new (docker, json_pack ("{s:s, s:I}", "Path", dev, "Rate", (json_int_t) v));
  return 0;
}

static int
apply_throttles (const struct ctr_opts *o, json_t *res, json_t *hc, capsa_err **err)
{
  const struct
  {
    char **specs;
    const char *flag, *oci, *docker;
    bool bytes;
  } t[] = {
    { o->device_read_bps, "device-read-bps", "throttleReadBpsDevice", "BlkioDeviceReadBps", true },
    { o->device_write_bps, "device-write-bps", "throttleWriteBpsDevice", "BlkioDeviceWriteBps", true },
    { o->device_read_iops, "device-read-iops", "throttleReadIOPSDevice", "BlkioDeviceReadIOps", false },
    { o->device_write_iops, "device-write-iops", "throttleWriteIOPSDevice", "BlkioDeviceWriteIOps", false },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      if (t[i].specs == NULL || t[i].specs[0] == NULL)
        {
          json_object_set_new (hc, t[i].docker, json_null ()); /* (docker's inspect: null) */
          continue;
        }
      json_t *docker = json_array (), *oci = json_array ();
      json_object_set_new (hc, t[i].docker, docker);
      json_object_set_new (res_section (res, "blockIO"), t[i].oci, oci);
      for (char **s = t[i].specs; *s; s++)
        if (throttle_one (t[i].flag, *s, t[i].bytes, oci, docker, err) < 0)
          return -1;
    }
  return 0;
}

/* "0-1,3" into set (nodes < 1024); false when it is no such list. */
static bool
parse_node_list (const char *s, unsigned char *set, size_t nbits)
{
  cleanup_free char *d = xstrdup (s);
  char *save = NULL;
  if (*s == '\0')
    return false;
  for (char *t = strtok_r (d, ",\n", &save); t; t = strtok_r (NULL, ",\n", &save))
    {
      char *dash = strchr (t, '-');
      int64_t a, b;
      if (dash)
        *dash++ = '\0';
      if (parse_i64 (t, 0, (int64_t) nbits - 1, &a) < 0 || parse_i64 (dash ? dash : t, a, (int64_t) nbits - 1, &b) < 0)
        return false;
      for (int64_t i = a; i <= b; i++)
        set[i / 8] |= (unsigned char) (1u << (i % 8));
    }
  return true;
}

/* --cpuset-mems: a list of the host's memory nodes (docker: "Requested memory nodes are not
 * available"). */
static int
check_mems (const char *mems, capsa_err **err)
{
  unsigned char want[128] = { 0 }, have[128] = { 0 };
  cleanup_free char *online = NULL;
  if (!parse_node_list (mems, want, 1024))
    return capsa_fail_as (err, EINVAL, "--cpuset-mems `%s`: expected a list of memory nodes (0, 0-1, 0,2)", mems);
  if (read_file_at (AT_FDCWD, "/sys/devices/system/node/online", &online, NULL, NULL) < 0)
    online = xstrdup ("0");
  if (!parse_node_list (online, have, 1024))
    return 0;
  for (size_t i = 0; i < sizeof want; i++)
    if (want[i] & ~have[i])
      return capsa_fail_as (err, EINVAL,
                            "--cpuset-mems `%s`: requested memory nodes are not available (this host has %s)", mems,
                            strtok (online, "\n"));
  return 0;
}

static bool
resources_given (const struct ctr_opts *o)
{
  char **lists[] = { o->device_read_bps, o->device_write_bps, o->device_read_iops, o->device_write_iops };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    if (lists[i] && lists[i][0])
      return true;
  return o->memory_reservation || o->cpuset_mems || o->oom_kill_disable;
}

static int
apply_resources (const struct ctr_flags_in *in, json_t *linux_, json_t *hc, capsa_err **err)
{
  const struct ctr_opts *o = in->o;
  json_t *res = json_object_get (linux_, "resources");
  json_object_set_new (hc, "MemoryReservation", json_integer (o->memory_reservation));
  json_object_set_new (hc, "CpusetMems", json_string (o->cpuset_mems ?: ""));
  json_object_set_new (hc, "OomKillDisable", json_boolean (o->oom_kill_disable));
  if (res == NULL && resources_given (o))
    return capsa_fail_as (err, ENOTSUP,
                          "--memory-reservation, --cpuset-mems, --oom-kill-disable and --device-*-bps/iops need a "
                          "cgroup, and rootless containers on this host run without one");
  if (res == NULL)
    {
      cleanup_json json_t *none = json_object (); /* (only HostConfig's empty lists) */
      return apply_throttles (o, none, hc, err);
    }
  if (o->memory_reservation)
    {
      if (o->memory && o->memory_reservation > o->memory)
        return capsa_fail_as (err, EINVAL,
                              "--memory-reservation %lld: above --memory %lld (the soft limit must be below the limit)",
                              o->memory_reservation, o->memory);
      json_object_set_new (res_section (res, "memory"), "reservation", json_integer (o->memory_reservation));
    }
  if (o->oom_kill_disable)
    json_object_set_new (res_section (res, "memory"), "disableOOMKiller", json_true ());
  if (o->cpuset_mems)
    {
      if (check_mems (o->cpuset_mems, err) < 0)
        return -1;
      json_object_set_new (res_section (res, "cpu"), "mems", json_string (o->cpuset_mems));
    }
  return apply_throttles (o, res, hc, err);
}

/* ---- the process --------------------------------------------------------------------------- */

static bool
has_cap (int bit)
{
  cleanup_free char *st = NULL;
  if (read_file_at (AT_FDCWD, "/proc/self/status", &st, NULL, NULL) < 0)
    return true; /* (the runtime's write says) */
  const char *p = strstr (st, "\nCapEff:");
  return p == NULL || (strtoull (p + 8, NULL, 16) >> bit) & 1;
}

/* --oom-score-adj: below this process's own value only with CAP_SYS_RESOURCE in the host's user
 * namespace (the kernel's rule); said here rather than as the runtime's EACCES at start. */
static int
apply_oom_score (const struct ctr_flags_in *in, json_t *process, json_t *hc, capsa_err **err)
{
  const struct ctr_opts *o = in->o;
  json_object_set_new (hc, "OomScoreAdj", json_integer (o->oom_score_adj_set ? o->oom_score_adj : 0));
  if (!o->oom_score_adj_set)
    return 0;
  if (o->oom_score_adj < -1000 || o->oom_score_adj > 1000)
    return capsa_fail_as (err, EINVAL, "--oom-score-adj %d: out of range (-1000 to 1000)", o->oom_score_adj);
  cleanup_free char *cur_s = NULL;
  int cur = 0;
  if (read_file_at (AT_FDCWD, "/proc/self/oom_score_adj", &cur_s, NULL, NULL) == 0)
    cur = atoi (cur_s);
  bool own_userns = (o->un && o->un->new_ns) || in->e->rootless;
  if (o->oom_score_adj < cur && (own_userns || !has_cap (CAP_SYS_RESOURCE_BIT)))
    return capsa_fail_as (err, EPERM,
                          "--oom-score-adj %d: below capsa's own score adjustment (%d), which needs "
                          "CAP_SYS_RESOURCE in the host's user namespace, and %s lacks it (a value of %d or more "
                          "works)",
                          o->oom_score_adj, cur, own_userns ? "a container with a user namespace" : "capsa here", cur);
  json_object_set_new (process, "oomScoreAdj", json_integer (o->oom_score_adj));
  return 0;
}

/* --group-add GROUP: a gid, or a name of the image's /etc/group. */
static int
apply_groups (const struct ctr_flags_in *in, json_t *process, json_t *hc, capsa_err **err)
{
  json_t *user = json_object_get (process, "user"), *gids = json_object_get (user, "additionalGids");
  json_object_set_new (hc, "GroupAdd", strv_or_null (in->o->group_add));
  for (char **g = in->o->group_add; g && *g; g++)
    {
      cleanup_free char *spec = xasprintf ("0:%s", *g);
      unsigned uid, gid;
      if (**g == '\0' || strchr (*g, ':'))
        return capsa_fail_as (err, EINVAL, "--group-add `%s`: expected a group name or id", *g);
      if (capsa_ctr_resolve_user (in->rootfs, spec, &uid, &gid, NULL, err) < 0)
        return capsa_err_wrap (err, "--group-add");
      if (gids == NULL)
        json_object_set_new (user, "additionalGids", gids = json_array ());
      json_array_append_new (gids, json_integer (gid));
    }
  return 0;
}

/* --annotation KEY=VALUE: config.json's annotations (over the runtime's own). */
static int
apply_annotations (const struct ctr_flags_in *in, json_t *hc, capsa_err **err)
{
  json_t *a = json_object_get (in->config, "annotations"), *rec = json_object ();
  json_object_set_new (hc, "Annotations", rec);
  for (char **s = in->o->annotations; s && *s; s++)
    {
      cleanup_free char *k = xstrdup (*s);
      char *v = strchr (k, '=');
      if (v == NULL || v == k)
        return capsa_fail_as (err, EINVAL, "--annotation `%s`: expected KEY=VALUE", *s);
      *v++ = '\0';
      if (a == NULL)
        json_object_set_new (in->config, "annotations", a = json_object ());
      json_object_set_new (a, k, json_string (v));
      json_object_set_new (rec, k, json_string (v));
    }
  return 0;
}

/* The host id of container id 0 in OCI mappings (-1: none). */
static long long
root_of (json_t *maps)
{
  json_t *m;
  size_t i;
  json_array_foreach (maps, i, m) if (json_integer_value (json_object_get (m, "containerID"))
                                      == 0) return json_integer_value (json_object_get (m, "hostID"));
  return -1;
}

/* The components of wd the root filesystem lacks, as a vector of paths ("/a", "/a/b"). */
static char **
missing_components (int rootfd, const char *wd)
{
  char **v = xmalloc0 (sizeof *v);
  cleanup_free char *p = xstrdup (wd);
  for (char *slash = p + 1;; slash++)
    {
      bool end = *slash == '\0';
      if (!end && *slash != '/')
        continue;
      *slash = '\0';
      cleanup_close int fd = rootpath_open (rootfd, p, O_PATH, NULL);
      if (fd < 0)
        strv_append (&v, p);
      if (end)
        return v;
      *slash = '/';
    }
}

/* A container with a user namespace of its own (as root: its root is another host id, the
 * image seen through idmapped mounts) gets the directories made for it as its root's. */
static int
chown_made (const struct ctr_flags_in *in, int rootfd, char **made, capsa_err **err)
{
  const struct ctr_userns *un = in->o->un;
  long long u = un && un->new_ns && !in->e->rootless ? root_of (un->uidmap) : -1;
  long long g = un && un->new_ns && !in->e->rootless ? root_of (un->gidmap) : -1;
  for (char **p = made; u > 0 && *p; p++)
    {
      cleanup_close int fd = rootpath_open (rootfd, *p, O_PATH | O_DIRECTORY, err);
      if (fd < 0 || fchownat (fd, "", (uid_t) u, (gid_t) (g >= 0 ? g : u), AT_EMPTY_PATH) < 0)
        return fd < 0 ? -1 : capsa_fail (err, errno, "-w: chown `%s` to the container's root", *p);
    }
  return 0;
}

/* The working directory (-w, the image's WORKDIR) is made when the root filesystem lacks it,
 * owned by root, 0755 (docker's create); one that is no directory is an error.  Through fds:
 * a link in the image cannot point the mkdir outside the root. */
static int
make_workdir (const struct ctr_flags_in *in, json_t *process, capsa_err **err)
{
  const char *wd = jstr (process, "cwd");
  if (in->rootfs == NULL || wd == NULL || strcmp (wd, "/") == 0)
    return 0;
  cleanup_close int rootfd = open (in->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return capsa_fail (err, errno, "-w `%s`: open the root filesystem `%s`", wd, in->rootfs);
  cleanup_err capsa_err *miss = NULL;
  cleanup_close int fd = rootpath_open (rootfd, wd, O_PATH, &miss);
  struct stat st;
  if (fd >= 0 && fstat (fd, &st) == 0 && !S_ISDIR (st.st_mode))
    return capsa_fail_as (err, ENOTDIR, "-w `%s`: cannot mkdir: `%s` is not a directory in the image", wd, wd);
  if (fd >= 0)
    return 0;
  if (miss && miss->errnum != ENOENT)
    return capsa_fail_as (err, miss->errnum, "-w `%s`: cannot mkdir: %s", wd, miss->msg);
  cleanup_strv char **missing = missing_components (rootfd, wd);
  int made = rootpath_mkpath (rootfd, wd, false, err);
  if (made < 0)
    return capsa_err_wrap (err, "-w `%s`", wd);
  close (made);
  return chown_made (in, rootfd, missing, err);
}

/* ---- --volumes-from ------------------------------------------------------------------------ */

static bool
has_dest (json_t *docker, const char *dst)
{
  json_t *m;
  size_t i;
  json_array_foreach (docker, i, m) if (strcmp (jstr (m, "Destination") ?: "", dst) == 0) return true;
  return false;
}

/* CTR[:ro|rw]: the binds and volumes of that container (any state), at the same destinations,
 * read-only as they were there unless the mode says; a destination this one mounts already
 * keeps its own. */
static int
volumes_from_one (const struct ctr_flags_in *in, const char *spec, capsa_err **err)
{
  cleanup_free char *name = xstrdup (spec);
  char *mode = strchr (name, ':');
  if (mode)
    *mode++ = '\0';
  if (mode && strcmp (mode, "ro") != 0 && strcmp (mode, "rw") != 0)
    return capsa_fail_as (err, EINVAL, "--volumes-from `%s`: unknown mode `%s` (ro or rw)", spec, mode);
  cleanup_ctr struct ctr *other = NULL;
  if (capsa_ctr_find (in->e, name, &other, err) < 0)
    return capsa_err_wrap (err, "--volumes-from `%s`", spec);
  json_t *oci = json_object_get (in->config, "mounts"), *docker = json_object_get (in->meta, "Mounts"), *m;
  size_t i;
  json_array_foreach (json_object_get (other->meta, "Mounts"), i, m)
  {
    const char *type = jstr (m, "Type") ?: "", *src = jstr (m, "Source"), *dst = jstr (m, "Destination");
    if ((strcmp (type, "bind") != 0 && strcmp (type, "volume") != 0) || !src || !dst || has_dest (docker, dst))
      continue;
    bool ro = mode ? strcmp (mode, "ro") == 0 : !json_is_true (json_object_get (m, "RW"));
    json_t *copy = json_deep_copy (m);
    json_object_set_new (copy, "RW", json_boolean (!ro));
    json_object_set_new (copy, "Mode", json_string (mode ?: (ro ? "ro" : "")));
    json_array_append_new (docker, copy);
    json_array_append_new (oci, json_pack ("{s:s, s:s, s:s, s:[s,s,s]}", "destination", dst, "type", "bind", "source",
                                           src, "options", "rbind", ro ? "ro" : "rw", "rprivate"));
  }
  return 0;
}

static int
apply_volumes_from (const struct ctr_flags_in *in, json_t *hc, capsa_err **err)
{
  json_object_set_new (hc, "VolumesFrom", strv_or_null (in->o->volumes_from));
  if (json_object_get (in->meta, "Mounts") == NULL)
    json_object_set_new (in->meta, "Mounts", json_array ());
  for (char **s = in->o->volumes_from; s && *s; s++)
    if (volumes_from_one (in, *s, err) < 0)
      return -1;
  return 0;
}

/* ---- --platform ---------------------------------------------------------------------------- */

int
capsa_platform_check (const char *platform, capsa_err **err)
{
  int parts = 1;
  bool empty = *platform == '\0';
  for (const char *p = platform; *p; p++)
    if (*p == '/')
      {
        parts++;
        empty |= p[1] == '\0' || p[1] == '/';
      }
    else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      empty = true;
  if (empty || parts < 2 || parts > 3)
    return capsa_fail_as (err, EINVAL, "--platform `%s`: expected OS/ARCH[/VARIANT] (linux/amd64, linux/arm64/v8)",
                          platform);
  return 0;
}

bool
capsa_platform_match (const char *platform, json_t *cfg)
{
  const char *os = jstr (cfg, "os") ?: "linux", *arch = jstr (cfg, "architecture") ?: "";
  const char *variant = jstr (cfg, "variant");
  cleanup_free char *full = xasprintf ("%s/%s%s%s", os, arch, variant ? "/" : "", variant ?: "");
  cleanup_free char *plain = xasprintf ("%s/%s", os, arch);
  return strcmp (platform, full) == 0 || strcmp (platform, plain) == 0;
}

/* The image must be of the platform asked (docker's message when a local image is not). */
static int
check_platform (const struct ctr_flags_in *in, capsa_err **err)
{
  const char *want = in->o->platform;
  if (want == NULL || *want == '\0')
    return 0;
  const char *os = jstr (in->imgcfg, "os") ?: "linux", *arch = jstr (in->imgcfg, "architecture") ?: "";
  const char *variant = jstr (in->imgcfg, "variant");
  cleanup_free char *have = xasprintf ("%s/%s%s%s", os, arch, variant ? "/" : "", variant ?: "");
  if (capsa_platform_check (want, err) < 0)
    return -1;
  if (capsa_platform_match (want, in->imgcfg))
    return 0;
  return capsa_fail_as (err, EINVAL,
                        "image with reference %s was found but does not match the specified platform: wanted %s, "
                        "actual: %s",
                        in->o->image, want, have);
}

int
ctr_flags_apply (const struct ctr_flags_in *in, capsa_err **err)
{
  json_t *linux_ = json_object_get (in->config, "linux"), *process = json_object_get (in->config, "process");
  json_t *hc = json_object_get (in->meta, "HostConfig");
  if (check_platform (in, err) < 0 || apply_namespaces (in, hc, err) < 0
      || apply_cgroup_parent (in, linux_, hc, err) < 0 || apply_resources (in, linux_, hc, err) < 0
      || apply_oom_score (in, process, hc, err) < 0 || apply_groups (in, process, hc, err) < 0
      || apply_annotations (in, hc, err) < 0 || apply_volumes_from (in, hc, err) < 0)
    return -1;
  return make_workdir (in, process, err);
}
