/* The OCI config of a `capsa run`: the image's config (Entrypoint, Cmd, Env, WorkingDir, User)
 * laid over the default spec, then the flags, with Docker's default capabilities and seccomp
 * profile from share/ (see share/README.md for what --cap-add does to the filter). */
#include <ctype.h>
#include <sched.h>
#include <dirent.h>
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "capabilities.h"
#include "container.h"
#include "ctr.h"
#include "ctr_config.h"
#include "ctr_logcfg.h"
#include "ctr_health.h"
#include "ctr_net.h"
#include "fsops.h"
#include "jsonutil.h"
#include "capsa/net.h"
#include "rootless.h"
#include "resolve_in_root.h"
#include "selfexe.h"
#include "spec.h"
#include "slirp.h"
#include "util.h"

static json_t *
load_share (const struct capsa_engine *e, const char *file, capsa_err **err)
{
  const char *dir = capsa_engine_share_dir (e);
  if (dir == NULL)
    return capsa_fail_as (err, ENOENT,
                          "cannot find capsa's share directory (%s): install capsa, or set CAPSA_SHARE_DIR", file),
           NULL;
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  json_error_t je;
  json_t *j = json_load_file (p, 0, &je);
  if (j == NULL)
    capsa_fail_as (err, EINVAL, "%s: line %d: %s", p, je.line, je.text);
  return j;
}

/* ---- users --------------------------------------------------------------------------------- */

/* Look `name` up in the rootfs's /etc/passwd or /etc/group (field 3 = id, 4 = gid). */
static int
lookup_db (int rootfd, const char *db, const char *name, unsigned *id, unsigned *gid)
{
  cleanup_close int fd = rootpath_open (rootfd, db, O_RDONLY, NULL);
  cleanup_free char *buf = NULL;
  if (fd < 0 || read_file_at (fd, "", &buf, NULL, NULL) < 0)
    {
      /* read_file_at with "" may not be supported: fall back to /proc/self/fd */
      if (fd < 0)
        return -1;
      char p[64];
      snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
      if (read_file_at (AT_FDCWD, p, &buf, NULL, NULL) < 0)
        return -1;
    }
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[5] = { 0 };
      char *p = line;
      for (int i = 0; i < 5 && p; i++)
        {
          f[i] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (f[0] && f[2] && strcmp (f[0], name) == 0)
        {
          *id = (unsigned) strtoul (f[2], NULL, 10);
          if (gid && f[3])
            *gid = (unsigned) strtoul (f[3], NULL, 10);
          return 0;
        }
    }
  return -1;
}

static bool
numeric (const char *s)
{
  return *s && strspn (s, "0123456789") == strlen (s);
}

int
capsa_ctr_resolve_user (const char *rootfs, const char *spec, unsigned *uid, unsigned *gid, json_t **extra_gids,
                        capsa_err **err)
{
  cleanup_free char *u = xstrdup (spec);
  char *grp = strchr (u, ':');
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (grp)
    *grp++ = '\0';
  *uid = *gid = 0;
  if (extra_gids)
    *extra_gids = NULL;
  if (numeric (u))
    {
      *uid = (unsigned) strtoul (u, NULL, 10);
      /* the gid of a passwd entry with that uid is not looked up: docker uses 0 too unless named */
    }
  else if (rootfd < 0 || lookup_db (rootfd, "/etc/passwd", u, uid, gid) < 0)
    return capsa_fail_as (err, ENOENT, "unable to find user %s: no matching entries in passwd file", u);
  if (grp)
    {
      if (numeric (grp))
        *gid = (unsigned) strtoul (grp, NULL, 10);
      else if (rootfd < 0 || lookup_db (rootfd, "/etc/group", grp, gid, NULL) < 0)
        return capsa_fail_as (err, ENOENT, "unable to find group %s: no matching entries in group file", grp);
    }
  return 0;
}

/* ---- capabilities and seccomp -------------------------------------------------------------- */

static char *
cap_norm (const char *name)
{
  char *s = strncasecmp (name, "CAP_", 4) == 0 ? xstrdup (name) : xasprintf ("CAP_%s", name);
  for (char *p = s; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  return s;
}

static bool
strv_has (json_t *arr, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach (arr, i, v) if (strcmp (json_string_value (v), s) == 0) return true;
  return false;
}

static void
all_caps (json_t *arr)
{
  int last = 40;
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  if (f)
    {
      if (fscanf (f, "%d", &last) != 1)
        last = 40;
      fclose (f);
    }
  for (int i = 0; i <= last; i++)
    {
      if (prctl (PR_CAPBSET_READ, i, 0, 0, 0) != 1)
        continue; /* not ours to give: capsa itself runs without it */
      char *n = cap_to_name ((cap_value_t) i);
      if (n && strncmp (n, "cap_", 4) == 0)
        {
          cleanup_free char *up = cap_norm (n);
          if (!strv_has (arr, up))
            json_array_append_new (arr, json_string (up));
        }
      cap_free (n);
    }
}

/* The final capability list (bounding = effective = permitted). */
static int
make_caps (const struct capsa_engine *e, const struct ctr_opts *o, json_t **out, capsa_err **err)
{
  json_t *caps = json_array ();
  if (o->privileged)
    all_caps (caps);
  else
    {
      json_t *def = load_share (e, "capabilities-default.json", err);
      if (def == NULL)
        {
          json_decref (caps);
          return -1;
        }
      json_array_extend (caps, json_object_get (def, "bounding"));
      json_decref (def);
    }
  for (char **d = o->cap_drop; d && *d; d++)
    {
      if (strcasecmp (*d, "ALL") == 0)
        {
          json_array_clear (caps);
          continue;
        }
      cleanup_free char *n = cap_norm (*d);
      if (caps_from_name (n) < 0)
        return json_decref (caps), capsa_fail_as (err, EINVAL, "--cap-drop: unknown capability `%s`", *d);
      for (size_t i = json_array_size (caps); i-- > 0;)
        if (strcmp (json_string_value (json_array_get (caps, i)), n) == 0)
          json_array_remove (caps, i);
    }
  for (char **a = o->cap_add; a && *a; a++)
    {
      if (strcasecmp (*a, "ALL") == 0)
        {
          all_caps (caps);
          continue;
        }
      cleanup_free char *n = cap_norm (*a);
      if (caps_from_name (n) < 0)
        return json_decref (caps), capsa_fail_as (err, EINVAL, "--cap-add: unknown capability `%s`", *a);
      if (!strv_has (caps, n))
        json_array_append_new (caps, json_string (n));
    }
  *out = caps;
  return 0;
}

static const struct
{
  const char *cap;
  const char *syscalls[24];
} cap_syscalls[] = {
  { "CAP_SYS_ADMIN", { "bpf",
                       "fanotify_init",
                       "fsconfig",
                       "fsmount",
                       "fsopen",
                       "fspick",
                       "lookup_dcookie",
                       "mount",
                       "mount_setattr",
                       "move_mount",
                       "name_to_handle_at",
                       "open_tree",
                       "perf_event_open",
                       "pivot_root",
                       "quotactl",
                       "quotactl_fd",
                       "setdomainname",
                       "sethostname",
                       "setns",
                       "syslog",
                       "umount",
                       "umount2",
                       "unshare" } },
  { "CAP_SYS_PTRACE", { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace" } },
  { "CAP_SYS_MODULE", { "delete_module", "finit_module", "init_module" } },
  { "CAP_SYS_TIME",
    { "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday", "stime" } },
  { "CAP_SYS_BOOT", { "reboot" } },
  { "CAP_SYSLOG", { "syslog" } },
  { "CAP_SYS_RAWIO", { "ioperm", "iopl" } },
  { "CAP_SYS_NICE", { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" } },
  { "CAP_SYS_PACCT", { "acct" } },
  { "CAP_SYS_TTY_CONFIG", { "vhangup" } },
  { "CAP_BPF", { "bpf" } },
  { "CAP_PERFMON", { "perf_event_open" } },
  { "CAP_DAC_READ_SEARCH", { "open_by_handle_at", "name_to_handle_at" } },
};

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The default filter made to follow the final capabilities (share/README.md). */
static void
seccomp_for_caps (json_t *prof, json_t *caps)
{
  json_t *rules = json_object_get (prof, "syscalls"), *r;
  size_t i;
  const char *extra[128];
  size_t n = 0;
  bool sys_admin = strv_has (caps, "CAP_SYS_ADMIN");

  for (size_t c = 0; c < ARRAY_SIZE (cap_syscalls); c++)
    if (strv_has (caps, cap_syscalls[c].cap))
      for (size_t k = 0; cap_syscalls[c].syscalls[k] && n < ARRAY_SIZE (extra); k++)
        {
          bool dup = false;
          for (size_t j = 0; j < n; j++)
            dup = dup || strcmp (extra[j], cap_syscalls[c].syscalls[k]) == 0;
          if (!dup)
            extra[n++] = cap_syscalls[c].syscalls[k];
        }
  for (i = json_array_size (rules); i-- > 0;)
    {
      r = json_array_get (rules, i);
      json_t *names = json_object_get (r, "names");
      const char *first = json_string_value (json_array_get (names, 0));
      if (json_array_size (names) != 1 || first == NULL)
        continue;
      if (strcmp (first, "chroot") == 0 && !strv_has (caps, "CAP_SYS_CHROOT"))
        json_array_remove (rules, i);
      else if (sys_admin && strcmp (first, "clone") == 0)
        json_object_del (r, "args");
      else if (sys_admin && strcmp (first, "clone3") == 0)
        {
          json_object_set_new (r, "action", json_string ("SCMP_ACT_ALLOW"));
          json_object_del (r, "errnoRet");
        }
    }
  if (n == 0)
    return;
  qsort (extra, n, sizeof extra[0], cmp_str);
  json_t *names = json_array ();
  for (size_t j = 0; j < n; j++)
    json_array_append_new (names, json_string (extra[j]));
  json_array_append_new (rules, json_pack ("{s:o, s:s}", "names", names, "action", "SCMP_ACT_ALLOW"));
}

/* --security-opt seccomp=FILE, or the profile's text itself: the Docker API's form (the docker
 * CLI sends the file's content). */
static int
seccomp_profile (const char *seccomp, json_t **prof, capsa_err **err)
{
  json_error_t je;
  *prof = NULL;
  if (seccomp[0] == '{')
    {
      *prof = json_loads (seccomp, 0, &je);
      if (*prof == NULL)
        return capsa_fail_as (err, EINVAL, "--security-opt seccomp: the profile given inline: line %d: %s", je.line,
                              je.text);
      return 0;
    }
  FILE *f = fopen (seccomp, "re");
  if (f == NULL)
    return capsa_fail (err, errno, "--security-opt seccomp=%s: opening seccomp profile %s", seccomp, seccomp);
  *prof = json_loadf (f, 0, &je);
  fclose (f);
  if (*prof == NULL)
    return capsa_fail_as (err, EINVAL, "--security-opt seccomp=%s: line %d: %s", seccomp, je.line, je.text);
  return 0;
}

/* --security-opt: seccomp=unconfined|FILE|PROFILE, no-new-privileges[=true|false]; label/apparmor ignored. */
static int
security_opts (const struct capsa_engine *e, const struct ctr_opts *o, json_t *process, json_t *linux_, json_t *caps,
               capsa_err **err)
{
  const char *seccomp = o->privileged ? "unconfined" : NULL;
  for (char **s = o->security_opt; s && *s; s++)
    {
      if (strncmp (*s, "seccomp=", 8) == 0 || strncmp (*s, "seccomp:", 8) == 0)
        seccomp = *s + 8;
      else if (strcmp (*s, "no-new-privileges") == 0 || strcmp (*s, "no-new-privileges=true") == 0
               || strcmp (*s, "no-new-privileges:true") == 0)
        json_object_set_new (process, "noNewPrivileges", json_true ());
      else if (strcmp (*s, "no-new-privileges=false") == 0 || strcmp (*s, "no-new-privileges:false") == 0)
        json_object_set_new (process, "noNewPrivileges", json_false ());
      else if (strncmp (*s, "label", 5) == 0 || strncmp (*s, "apparmor", 8) == 0)
        continue; /* no LSM here: accepted and ignored, as docker does where there is none */
      else
        return capsa_fail_as (err, EINVAL, "--security-opt `%s`: expected seccomp=unconfined|FILE or no-new-privileges",
                              *s);
    }
  if (seccomp && strcmp (seccomp, "unconfined") == 0)
    return 0;
  json_t *prof;
  if (seccomp)
    {
      if (seccomp_profile (seccomp, &prof, err) < 0)
        return -1;
    }
  else
    {
      prof = load_share (e, "seccomp-default.json", err);
      if (prof == NULL)
        return -1;
      seccomp_for_caps (prof, caps);
    }
  json_object_set_new (linux_, "seccomp", prof);
  return 0;
}

/* ---- mounts -------------------------------------------------------------------------------- */

static json_t *
bind_mount (const char *src, const char *dst, bool ro, const char *prop)
{
  json_t *opts = json_pack ("[s]", "rbind");
  if (ro)
    json_array_append_new (opts, json_string ("ro"));
  json_array_append_new (opts, json_string (prop ? prop : "rprivate"));
  return json_pack ("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "bind", "source", src, "options", opts);
}

static bool
is_volume_name (const char *s)
{
  return s[0] != '/' && s[0] != '.' && capsa_ctr_valid_name (s);
}

struct mounts_ctx
{
  struct capsa_engine *e;
  json_t *oci;                 /* config mounts */
  json_t *docker;              /* inspect's Mounts */
  json_t *binds;               /* HostConfig.Binds */
  json_t *anon;                /* anonymous volume names */
  const char *rootfs;          /* the container's root: a new volume is filled from what the image has there */
  const struct ctr_userns *un; /* a user namespace of its own: a new volume is its root's */
  bool fd_sources;             /* ctr_opts.bind_fd_sources */
};

/* The host id of container id 0 in OCI mappings (-1 when unmapped). */
static long long
mapped_root (json_t *maps)
{
  size_t i;
  json_t *m;
  json_array_foreach (maps, i, m) if (json_integer_value (json_object_get (m, "containerID"))
                                      == 0) return json_integer_value (json_object_get (m, "hostID"));
  return -1;
}

/* A new volume starts with what the image has at its mount point (docker's behaviour), found
 * inside the rootfs through fds, so a link in the image cannot point the copy at the host. */
static int
prefill_volume (const char *rootfs, const char *dst, const char *volume, capsa_err **err)
{
  if (rootfs == NULL)
    return 0;
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return 0;
  cleanup_err capsa_err *miss = NULL;
  cleanup_close int src = rootpath_open (rootfd, dst, O_RDONLY | O_DIRECTORY, &miss);
  if (src < 0)
    return 0; /* nothing there (or not a directory): the volume starts empty */
  cleanup_close int dstfd = open (volume, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dstfd < 0)
    return capsa_fail (err, errno, "open `%s`", volume);
  return fs_copy_layer (src, dstfd, err);
}

static int
add_volume (struct mounts_ctx *m, const char *name, const char *dst, bool ro, bool anonymous, capsa_err **err)
{
  cleanup_free char *path = NULL;
  char anon_name[CTR_ID_LEN + 1];
  if (anonymous)
    {
      capsa_ctr_new_id (anon_name);
      name = anon_name;
      json_array_append_new (m->anon, json_string (name));
    }
  bool created = false;
  if (ctr_volume_ensure (m->e, name, &path, &created, err) < 0)
    return -1;
  if (created && prefill_volume (m->rootfs, dst, path, err) < 0)
    return capsa_err_wrap (err, "volume `%s`", name);
  if (m->un && m->un->gidmap && !m->e->rootless)
    {
      /* as podman does: a new volume belongs to the root of the container that made it */
      long long u = mapped_root (m->un->uidmap), gr = mapped_root (m->un->gidmap);
      if (created && m->un->new_ns && u >= 0 && gr >= 0 && chown (path, (uid_t) u, (gid_t) gr) < 0)
        return capsa_fail (err, errno, "volume `%s`: chown `%s` to the container's root", name, path);
      /* and every user-namespaced root that uses it passes through its private directory */
      if (ctr_volume_grant (m->e, name, gr > 0 ? (gid_t) gr : 0, err) < 0)
        return -1;
    }
  json_array_append_new (m->oci, bind_mount (path, dst, ro, NULL));
  json_array_append_new (m->docker,
                         json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "Type", "volume", "Name", name, "Source",
                                    path, "Destination", dst, "Driver", "local", "Mode", "", "RW", !ro));
  return 0;
}

static int
add_bind (struct mounts_ctx *m, const char *src, const char *dst, bool ro, const char *prop, bool create,
          capsa_err **err)
{
  char real[4096];
  struct stat st;
  if (stat (src, &st) < 0)
    {
      if (!create || errno != ENOENT)
        return capsa_fail (err, errno, "bind source path `%s`", src);
      if (mkdir_p (src, 0755, err) < 0)
        return -1;
    }
  if (m->fd_sources)
    snprintf (real, sizeof real, "%s", src);
  else if (realpath (src, real) == NULL)
    return capsa_fail (err, errno, "bind source path `%s`", src);
  json_array_append_new (m->oci, bind_mount (real, dst, ro, prop));
  json_array_append_new (m->docker,
                         json_pack ("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Source", real, "Destination",
                                    dst, "Mode", ro ? "ro" : "", "RW", !ro, "Propagation", prop ? prop : "rprivate"));
  return 0;
}

/* -v SRC:DST[:OPTS], -v NAME:DST[:OPTS], -v DST */
static int
parse_volume (struct mounts_ctx *m, const char *spec, capsa_err **err)
{
  cleanup_free char *s = xstrdup (spec);
  char *parts[3] = { 0 };
  int n = 0;
  for (char *p = s, *save = NULL, *t; n < 3 && (t = strtok_r (p, ":", &save)); p = NULL)
    parts[n++] = t;
  bool ro = false;
  const char *prop = NULL;
  if (n == 0)
    return capsa_fail_as (err, EINVAL, "-v `%s`: expected [SOURCE:]DESTINATION[:OPTIONS]", spec);
  if (n == 3 || (n == 2 && parts[1][0] != '/'))
    {
      char *opts = parts[n - 1];
      n--;
      for (char *save = NULL, *o = strtok_r (opts, ",", &save); o; o = strtok_r (NULL, ",", &save))
        if (strcmp (o, "ro") == 0)
          ro = true;
        /* (cached, delegated, consistent: Docker Desktop's, which dockerd on Linux accepts and ignores) */
        else if (strcmp (o, "rw") == 0 || strcmp (o, "z") == 0 || strcmp (o, "Z") == 0 || strcmp (o, "nocopy") == 0
                 || strcmp (o, "cached") == 0 || strcmp (o, "delegated") == 0 || strcmp (o, "consistent") == 0)
          continue;
        else if (strstr ("shared,rshared,slave,rslave,private,rprivate", o))
          prop = o[0] == 'r' ? o : NULL;
        else
          return n == 1 && parts[0][0] == '/'
                     /* SOURCE:DEST where DEST is relative (docker: "mount path must be absolute") */
                     ? capsa_fail_as (err, EINVAL, "-v `%s`: the container path `%s` must be absolute", spec, o)
                     : capsa_fail_as (err, EINVAL, "-v `%s`: unknown option `%s` (ro, rw, or a propagation)", spec, o);
    }
  if (n == 1)
    {
      if (parts[0][0] != '/')
        return capsa_fail_as (err, EINVAL, "-v `%s`: the destination must be an absolute path", spec);
      return add_volume (m, NULL, parts[0], ro, true, err);
    }
  if (parts[1][0] != '/')
    return capsa_fail_as (err, EINVAL, "-v `%s`: the destination must be an absolute path", spec);
  json_array_append_new (m->binds, json_string (spec));
  if (parts[0][0] == '/')
    return add_bind (m, parts[0], parts[1], ro, prop, true, err);
  if (!is_volume_name (parts[0]))
    return capsa_fail_as (
        err, EINVAL, "-v `%s`: `%s` is neither an absolute host path nor a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
        spec, parts[0]);
  return add_volume (m, parts[0], parts[1], ro, false, err);
}

static json_t *
tmpfs_mount (const char *dst, const char *opts)
{
  json_t *o = json_array ();
  if (opts == NULL || *opts == '\0')
    opts = "rw,noexec,nosuid,nodev";
  cleanup_free char *dup = xstrdup (opts);
  for (char *save = NULL, *t = strtok_r (dup, ",", &save); t; t = strtok_r (NULL, ",", &save))
    json_array_append_new (o, json_string (t));
  return json_pack ("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "tmpfs", "source", "tmpfs", "options", o);
}

/* --mount type=bind|volume|tmpfs,source=...,target=...,readonly,tmpfs-size=...,tmpfs-mode=... */
static int
parse_mount (struct mounts_ctx *m, const char *spec, capsa_err **err)
{
  cleanup_free char *s = xstrdup (spec);
  const char *type = "volume", *src = NULL, *dst = NULL, *prop = NULL;
  bool ro = false;
  cleanup_free char *topts = xstrdup ("rw,nosuid,nodev,noexec");
  for (char *save = NULL, *kv = strtok_r (s, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      char *v = strchr (kv, '=');
      if (v)
        *v++ = '\0';
      if (strcmp (kv, "type") == 0 && v)
        type = v;
      else if ((strcmp (kv, "source") == 0 || strcmp (kv, "src") == 0) && v)
        src = v;
      else if ((strcmp (kv, "target") == 0 || strcmp (kv, "destination") == 0 || strcmp (kv, "dst") == 0) && v)
        dst = v;
      else if (strcmp (kv, "readonly") == 0 || strcmp (kv, "ro") == 0)
        ro = v == NULL || strcmp (v, "true") == 0 || strcmp (v, "1") == 0;
      else if (strcmp (kv, "bind-propagation") == 0 && v)
        prop = v;
      else if (strcmp (kv, "tmpfs-size") == 0 && v)
        {
          long long b = parse_bytes (v);
          if (b < 0)
            return capsa_fail_as (err, EINVAL, "--mount: invalid tmpfs-size `%s`", v);
          char *t = xasprintf ("%s,size=%lld", topts, b);
          free (topts);
          topts = t;
        }
      else if (strcmp (kv, "tmpfs-mode") == 0 && v)
        {
          char *t = xasprintf ("%s,mode=%s", topts, v);
          free (topts);
          topts = t;
        }
      else if (strcmp (kv, "consistency") != 0 && strcmp (kv, "volume-nocopy") != 0)
        return capsa_fail_as (err, EINVAL, "--mount `%s`: unknown key `%s`", spec, kv);
    }
  if (dst == NULL || dst[0] != '/')
    return capsa_fail_as (err, EINVAL, "--mount `%s`: target=ABSOLUTE-PATH is required", spec);
  if (strcmp (type, "bind") == 0)
    {
      if (src == NULL)
        return capsa_fail_as (err, EINVAL, "--mount `%s`: source= is required for a bind mount", spec);
      return add_bind (m, src, dst, ro, prop, false, err);
    }
  if (strcmp (type, "volume") == 0)
    {
      if (src && !is_volume_name (src))
        return capsa_fail_as (err, EINVAL, "--mount `%s`: invalid volume name `%s`", spec, src);
      return add_volume (m, src, dst, ro, src == NULL, err);
    }
  if (strcmp (type, "tmpfs") == 0)
    {
      if (ro)
        {
          char *t = xasprintf ("%s,ro", topts);
          free (topts);
          topts = t;
        }
      json_array_append_new (m->oci, tmpfs_mount (dst, topts));
      json_array_append_new (
          m->docker, json_pack ("{s:s, s:s, s:s, s:b}", "Type", "tmpfs", "Source", "", "Destination", dst, "RW", !ro));
      return 0;
    }
  return capsa_fail_as (err, EINVAL, "--mount `%s`: unknown type `%s` (bind, volume or tmpfs)", spec, type);
}

static int
build_mounts (struct capsa_engine *e, const struct ctr_opts *o, const char *rootfs, json_t *config, json_t *meta,
              capsa_err **err)
{
  struct mounts_ctx m = { e,
                          json_object_get (config, "mounts"),
                          json_array (),
                          json_array (),
                          json_array (),
                          rootfs,
                          o->un,
                          o->bind_fd_sources };
  size_t i;
  json_t *v;
  json_object_set_new (meta, "Mounts", m.docker);
  json_object_set_new (json_object_get (meta, "HostConfig"), "Binds", m.binds);
  json_object_set_new (meta, "AnonymousVolumes", m.anon);
  if (o->shm_size > 0)
    json_array_foreach (m.oci, i,
                        v) if (strcmp (json_string_value (json_object_get (v, "destination")), "/dev/shm") == 0)
    {
      char sz[64];
      snprintf (sz, sizeof sz, "size=%lldk", (o->shm_size + 1023) / 1024);
      json_object_set_new (v, "options", json_pack ("[s,s,s,s,s]", "nosuid", "noexec", "nodev", "mode=1777", sz));
    }
  for (char **s = o->tmpfs; s && *s; s++)
    {
      cleanup_free char *d = xstrdup (*s);
      char *opts = strchr (d, ':');
      if (opts)
        *opts++ = '\0';
      if (d[0] != '/')
        return capsa_fail_as (err, EINVAL, "--tmpfs `%s`: the destination must be an absolute path", *s);
      json_array_append_new (m.oci, tmpfs_mount (d, opts));
      json_array_append_new (
          m.docker, json_pack ("{s:s, s:s, s:s, s:b}", "Type", "tmpfs", "Source", "", "Destination", d, "RW", true));
    }
  for (char **s = o->volumes; s && *s; s++)
    if (parse_volume (&m, *s, err) < 0)
      return -1;
  for (char **s = o->mounts; s && *s; s++)
    if (parse_mount (&m, *s, err) < 0)
      return -1;
  return 0;
}

/* ---- resources, devices, rlimits, sysctls --------------------------------------------------- */

static bool
has_namespace (json_t *ns, const char *type)
{
  json_t *n;
  size_t i;
  json_array_foreach (ns, i, n) if (strcmp (json_string_value (json_object_get (n, "type")), type) == 0) return true;
  return false;
}

/* --sysctl KEY: only a namespaced key, and only when the container has that namespace of its own
 * (podman refuses net.* with --network host); said in the flags' terms, before anything exists.
 * The runtime checks the same again on the config (config.c). */
static int
check_cli_sysctl (const char *key, json_t *ns, const char *net, capsa_err **err)
{
  int t = cfg_sysctl_namespace (key);
  if (t < 0)
    return capsa_fail_as (err, EINVAL,
                          "--sysctl %s: not a namespaced sysctl, it would change the host's value (allowed: net.*, "
                          "fs.mqueue.*, kernel.msgmax/msgmnb/msgmni/sem/shmall/shmmax/shmmni/shm_rmid_forced, "
                          "kernel.domainname)",
                          key);
  if (t == CFG_NS_NETWORK && strcmp (net, "host") == 0)
    return capsa_fail_as (err, EINVAL,
                          "--sysctl %s cannot be used with --network host: the container shares the host's network "
                          "namespace, so it would change the host's value",
                          key);
  if (!has_namespace (ns, cfg_ns_name (t)))
    return capsa_fail_as (err, EINVAL,
                          "--sysctl %s: the container shares the host's %s namespace, so it would change the host's "
                          "value",
                          key, cfg_ns_name (t));
  return 0;
}

static int
add_device (const char *spec, json_t *linux_, json_t *devrules, capsa_err **err)
{
  cleanup_free char *s = xstrdup (spec);
  char *host = s, *ctr = NULL, *perm = NULL;
  if ((ctr = strchr (s, ':')))
    {
      *ctr++ = '\0';
      if ((perm = strchr (ctr, ':')))
        *perm++ = '\0';
      else if (ctr[0] != '/')
        perm = ctr, ctr = NULL;
    }
  struct stat st;
  if (stat (host, &st) < 0)
    return capsa_fail (err, errno, "--device `%s`", spec);
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    return capsa_fail_as (err, EINVAL, "--device `%s`: not a character or block device", spec);
  const char *type = S_ISCHR (st.st_mode) ? "c" : "b";
  json_array_append_new (json_object_get (linux_, "devices"),
                         json_pack ("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", ctr ? ctr : host, "type", type,
                                    "major", (json_int_t) major (st.st_rdev), "minor", (json_int_t) minor (st.st_rdev),
                                    "fileMode", (int) (st.st_mode & 07777), "uid", 0, "gid", 0));
  json_array_append_new (devrules, json_pack ("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type, "major",
                                              (json_int_t) major (st.st_rdev), "minor", (json_int_t) minor (st.st_rdev),
                                              "access", perm ? perm : "rwm"));
  return 0;
}

/* --privileged: every device node of the host's /dev, as docker and podman give (runc's
 * devices.HostDevices, which moby's oci.Devices uses): char and block devices found walking /dev,
 * not under pts, shm, fd, mqueue, .lxc, .lxd-mounts, .udev (those are the container's own or not
 * devices), nor console, and not ptmx: the runtime links /dev/ptmx to the container's own
 * devpts, as runc ends up doing.  The privileged cgroup rule (allow all, rwm) covers them. */
static void
add_host_devices (json_t *devices, const char *dir, int depth)
{
  static const char *const skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev", "console", "ptmx" };
  DIR *d = depth < 8 ? opendir (dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir (d)))
    {
      bool skipped = e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp (e->d_name, "..") == 0);
      for (size_t i = 0; i < sizeof skip / sizeof *skip && !skipped; i++)
        skipped = strcmp (e->d_name, skip[i]) == 0;
      struct stat st;
      cleanup_free char *path = xasprintf ("%s/%s", dir, e->d_name);
      if (skipped || fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        add_host_devices (devices, path, depth + 1);
      else if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
        json_array_append_new (devices,
                               json_pack ("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", path, "type",
                                          S_ISCHR (st.st_mode) ? "c" : "b", "major", (json_int_t) major (st.st_rdev),
                                          "minor", (json_int_t) minor (st.st_rdev), "fileMode",
                                          (int) (st.st_mode & 07777), "uid", (int) st.st_uid, "gid", (int) st.st_gid));
    }
  if (d)
    closedir (d);
}

/* docker's limits on -m and --cpus (daemon verifyPlatformContainerResources): below 6 MiB a
 * container is killed while it is set up; --cpus beyond the host's CPUs cannot be had. */
int
capsa_ctr_check_limits (long long memory, double cpus, capsa_err **err)
{
  if (memory > 0 && memory < CTR_MIN_MEMORY)
    return capsa_fail_as (err, EINVAL,
                          "--memory %lld bytes: below what a container needs to start; the minimum is 6MiB", memory);
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  if (sched_getaffinity (0, sizeof set, &set) == 0)
    n = CPU_COUNT (&set); /* what this process may use, as Go's runtime.NumCPU() that docker uses */
  if (cpus != 0 && (cpus < 0.01 || cpus > (double) n))
    return capsa_fail_as (err, EINVAL,
                          "--cpus %g: range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available", cpus,
                          n, n);
  return 0;
}

static int
build_resources (const struct ctr_opts *o, json_t *linux_, json_t *hc, capsa_err **err)
{
  json_t *res = json_object_get (linux_, "resources");
  if (capsa_ctr_check_limits (o->memory, o->cpus, err) < 0)
    return -1;
  json_t *devrules = json_object_get (res, "devices");
  json_object_set_new (linux_, "devices", json_array ());
  if (o->memory)
    {
      json_t *mem = json_pack ("{s:I}", "limit", (json_int_t) o->memory);
      if (o->memory_swap)
        json_object_set_new (mem, "swap", json_integer (o->memory_swap));
      json_object_set_new (res, "memory", mem);
    }
  else if (o->memory_swap)
    return capsa_fail_as (err, EINVAL, "--memory-swap needs --memory as well");
  json_t *cpu = json_object ();
  if (o->cpus > 0)
    {
      json_object_set_new (cpu, "period", json_integer (100000));
      json_object_set_new (cpu, "quota", json_integer ((json_int_t) (o->cpus * 100000)));
    }
  if (o->cpu_quota)
    json_object_set_new (cpu, "quota", json_integer (o->cpu_quota));
  if (o->cpu_period)
    json_object_set_new (cpu, "period", json_integer (o->cpu_period));
  if (o->cpu_shares)
    json_object_set_new (cpu, "shares", json_integer (o->cpu_shares));
  if (o->cpuset_cpus)
    json_object_set_new (cpu, "cpus", json_string (o->cpuset_cpus));
  if (json_object_size (cpu))
    json_object_set_new (res, "cpu", cpu);
  else
    json_decref (cpu);
  if (o->pids_limit)
    json_object_set_new (res, "pids", json_pack ("{s:I}", "limit", (json_int_t) o->pids_limit));
  if (o->blkio_weight)
    json_object_set_new (res, "blockIO", json_pack ("{s:I}", "weight", (json_int_t) o->blkio_weight));
  if (o->privileged)
    {
      json_array_append_new (devrules, json_pack ("{s:b, s:s}", "allow", 1, "access", "rwm"));
      add_host_devices (json_object_get (linux_, "devices"), "/dev", 0);
    }
  for (char **d = o->devices; d && *d; d++)
    if (add_device (*d, linux_, devrules, err) < 0)
      return -1;
  json_object_set_new (hc, "Memory", json_integer (o->memory));
  json_object_set_new (hc, "MemorySwap", json_integer (o->memory_swap));
  json_object_set_new (hc, "NanoCpus", json_integer ((json_int_t) (o->cpus * 1e9)));
  json_object_set_new (hc, "CpuShares", json_integer (o->cpu_shares));
  json_object_set_new (hc, "CpuQuota", json_integer (o->cpu_quota));
  json_object_set_new (hc, "CpuPeriod", json_integer (o->cpu_period));
  json_object_set_new (hc, "CpusetCpus", json_string (o->cpuset_cpus ? o->cpuset_cpus : ""));
  json_object_set_new (hc, "PidsLimit", o->pids_limit ? json_integer (o->pids_limit) : json_null ());
  json_object_set_new (hc, "BlkioWeight", json_integer (o->blkio_weight));
  return 0;
}

/* docker's --ulimit names (go-units' ulimitNameMapping) */
#define ULIMIT_NAMES                                                                                                   \
  "as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, "                           \
  "rttime, sigpending, stack"

static bool
ulimit_known (const char *name)
{
  static const char names[] = ULIMIT_NAMES;
  size_t n = strlen (name);
  for (const char *p = names; n && (p = strstr (p, name)); p += n)
    if ((p == names || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
      return true;
  return false;
}

static int
build_rlimits (const struct ctr_opts *o, json_t *process, capsa_err **err)
{
  json_t *rl = json_object_get (process, "rlimits");
  for (char **u = o->ulimits; u && *u; u++)
    {
      cleanup_free char *s = xstrdup (*u);
      char *v = strchr (s, '=');
      if (v == NULL)
        return capsa_fail_as (err, EINVAL, "--ulimit `%s`: expected NAME=SOFT[:HARD]", *u);
      *v++ = '\0';
      char *hard = strchr (v, ':');
      if (hard)
        *hard++ = '\0';
      int64_t soft, h;
      if (parse_i64 (v, -1, INT64_MAX, &soft) < 0 || parse_i64 (hard ? hard : v, -1, INT64_MAX, &h) < 0)
        return capsa_fail_as (err, EINVAL, "--ulimit `%s`: limits are numbers (-1: unlimited)", *u);
      if (soft == -1)
        soft = INT64_MAX;
      if (h == -1)
        h = INT64_MAX;
      if (soft > h)
        return capsa_fail_as (err, EINVAL, "--ulimit `%s`: the soft limit is above the hard limit", *u);
      if (!ulimit_known (s))
        return capsa_fail_as (err, EINVAL, "--ulimit `%s`: unknown limit `%s` (one of: %s)", *u, s, ULIMIT_NAMES);
      cleanup_free char *type = xasprintf ("RLIMIT_%s", s);
      for (char *p = type; *p; p++)
        *p = (char) toupper ((unsigned char) *p);
      for (size_t i = json_array_size (rl); i-- > 0;)
        if (strcmp (json_string_value (json_object_get (json_array_get (rl, i), "type")), type) == 0)
          json_array_remove (rl, i);
      json_array_append_new (
          rl, json_pack ("{s:s, s:I, s:I}", "type", type, "soft", (json_int_t) soft, "hard", (json_int_t) h));
    }
  return 0;
}

/* ---- process ------------------------------------------------------------------------------- */

static void
env_set (json_t *env, const char *kv)
{
  size_t klen = strcspn (kv, "=");
  for (size_t i = 0; i < json_array_size (env); i++)
    {
      const char *e = json_string_value (json_array_get (env, i));
      if (strncmp (e, kv, klen) == 0 && e[klen] == '=')
        {
          json_array_set_new (env, i, json_string (kv));
          return;
        }
    }
  json_array_append_new (env, json_string (kv));
}

static bool
env_has (json_t *env, const char *key)
{
  size_t k = strlen (key);
  for (size_t i = 0; i < json_array_size (env); i++)
    if (strncmp (json_string_value (json_array_get (env, i)), key, k) == 0
        && json_string_value (json_array_get (env, i))[k] == '=')
      return true;
  return false;
}

static int
build_args (const struct ctr_opts *o, json_t *icfg, json_t *process, json_t *meta_cfg, capsa_err **err)
{
  json_t *ep = json_array (), *cmd = json_array (), *args = json_array ();
  /* the image's Cmd goes with its Entrypoint, or with an API entrypoint of none ([]) */
  bool image_cmd = !o->entrypoint_set || (o->entrypoint_argv && o->entrypoint_argv[0] == NULL);
  if (o->entrypoint_set && o->entrypoint_argv)
    for (char **a = o->entrypoint_argv; *a; a++)
      json_array_append_new (ep, json_string (*a));
  else if (o->entrypoint_set)
    {
      if (o->entrypoint && *o->entrypoint)
        json_array_append_new (ep, json_string (o->entrypoint));
    }
  else if (json_is_array (json_object_get (icfg, "Entrypoint")))
    json_array_extend (ep, json_object_get (icfg, "Entrypoint"));
  if (o->cmd && o->cmd[0])
    for (char **c = o->cmd; *c; c++)
      json_array_append_new (cmd, json_string (*c));
  else if (image_cmd && json_is_array (json_object_get (icfg, "Cmd")))
    json_array_extend (cmd, json_object_get (icfg, "Cmd"));
  json_array_extend (args, ep);
  json_array_extend (args, cmd);
  json_object_set_new (meta_cfg, "Entrypoint", json_array_size (ep) ? ep : (json_decref (ep), json_null ()));
  json_object_set_new (meta_cfg, "Cmd", cmd);
  if (json_array_size (args) == 0)
    {
      json_decref (args);
      return capsa_fail_as (err, EINVAL,
                            "no command specified: the image has no Cmd or Entrypoint; give one after "
                            "the image name");
    }
  json_object_set_new (process, "args", args);
  return 0;
}

static int
build_process (const struct ctr_opts *o, const char *id, const char *rootfs, json_t *icfg, json_t *config, json_t *meta,
               capsa_err **err)
{
  json_t *process = json_object_get (config, "process");
  json_t *mcfg = json_object_get (meta, "Config");
  json_t *env = json_array ();
  const char *hostname = o->hostname ? o->hostname : NULL;
  char shortid[13], host[HOST_NAME_MAX + 1] = "";
  snprintf (shortid, sizeof shortid, "%.12s", id);
  /* docker: under --network host the container is named as the host is (its own UTS namespace
   * still: a sethostname in it does not rename the host) */
  bool host_uts = (o->network && strcmp (o->network, "host") == 0)
                  || (o->uts_mode && strcmp (o->uts_mode, "host") == 0);
  if (hostname == NULL && host_uts && gethostname (host, sizeof host - 1) == 0 && *host)
    hostname = host;
  if (hostname == NULL)
    hostname = shortid;

  if (build_args (o, icfg, process, mcfg, err) < 0)
    return json_decref (env), -1;
  if (json_is_array (json_object_get (icfg, "Env")))
    json_array_extend (env, json_object_get (icfg, "Env"));
  if (!env_has (env, "PATH"))
    env_set (env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  cleanup_free char *hn = xasprintf ("HOSTNAME=%s", hostname);
  env_set (env, hn);
  if (o->tty)
    env_set (env, "TERM=xterm");
  for (char **e = o->env; e && *e; e++)
    {
      if (strchr (*e, '=')) /* (the front end gave KEY alone its value here, or left it out) */
        env_set (env, *e);
    }
  json_object_set_new (process, "env", env);
  json_object_set (mcfg, "Env", env);

  const char *wd = o->workdir ? o->workdir : json_string_value (json_object_get (icfg, "WorkingDir"));
  if (wd == NULL || *wd == '\0')
    wd = "/";
  if (wd[0] != '/')
    return capsa_fail_as (err, EINVAL, "-w `%s`: the working directory must be an absolute path", wd);
  json_object_set_new (process, "cwd", json_string (wd));
  json_object_set_new (mcfg, "WorkingDir", json_string (wd));

  const char *user = o->user ? o->user : json_string_value (json_object_get (icfg, "User"));
  unsigned uid = 0, gid = 0;
  if (user && *user && capsa_ctr_resolve_user (rootfs, user, &uid, &gid, NULL, err) < 0)
    return -1;
  json_object_set_new (process, "user", json_pack ("{s:I, s:I}", "uid", (json_int_t) uid, "gid", (json_int_t) gid));
  json_object_set_new (mcfg, "User", json_string (user ? user : ""));

  json_object_set_new (process, "terminal", json_boolean (o->tty)); /* detached: the monitor holds it */
  json_object_set_new (process, "noNewPrivileges", json_false ());
  json_object_set_new (config, "hostname", json_string (hostname));
  json_object_set_new (mcfg, "Hostname", json_string (hostname));
  return 0;
}

/* --init: the static capsa-init (next to the capsa binary, or installed) as PID 1, at /dev/init.
 *
 * What is bound there is the container's own copy (ROOT/containers/ID/capsa-init, 0555, made
 * here and removed with the container), bound read-only, never the installed file: a container
 * root that got write access to /dev/init (CAP_SYS_ADMIN and a remount, or an fd of
 * /proc/1/exe held until the file is no longer busy, CVE-2019-5736) reaches only that copy,
 * which nothing else runs.  Not a sealed memfd: the kernel refuses to bind a file of the
 * internal shm mount (EINVAL), and the init must be found again at every start of a detached
 * container, by another process.  The copy is in the directory that holds the container's
 * root filesystem, so whoever may reach that root may reach it. */
static int
add_init (struct capsa_engine *e, const char *id, json_t *config, capsa_err **err)
{
  cleanup_free char *p = NULL, *copy = xasprintf ("%s/containers/%s/capsa-init", e->root, id);
  bool off = capsa_exe_protection_off (); /* (the escape tests' switch: the installed file) */
  if (e->libexec_path ("capsa-init", &p, err) < 0 || (!off && capsa_exe_private_copy (p, copy, err) < 0))
    return capsa_err_wrap (err, "--init");
  json_array_append_new (json_object_get (config, "mounts"), bind_mount (off ? p : copy, "/dev/init", true, NULL));
  json_t *args = json_object_get (json_object_get (config, "process"), "args");
  json_array_insert_new (args, 0, json_string ("--"));
  json_array_insert_new (args, 0, json_string ("/dev/init"));
  return 0;
}

/* -P: every port of the image's ExposedPorts ("80/tcp") on an ephemeral host port, chosen and
 * reserved at each start (ctr_ports.c), as docker does. */
static int
publish_exposed (json_t *icfg, json_t *pub, capsa_err **err)
{
  const char *key;
  json_t *v;
  json_object_foreach (json_object_get (icfg, "ExposedPorts"), key, v)
  {
    int ctr = atoi (key);
    const char *slash = strchr (key, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    if (ctr <= 0)
      return capsa_fail_as (err, EINVAL, "-P: publish the image's port `%s`", key);
    json_array_append_new (pub, json_sprintf ("%d/%s", ctr, proto));
  }
  return 0;
}

/* The one place that chooses the network of a container run without --network.  Root: docker's
 * default, the bridge network.  Rootless: slirp4netns, as podman, when it is installed and
 * /dev/net/tun is open to the user (else none: loopback only). */
const char *
ctr_default_network (struct capsa_engine *e)
{
  if (e->rootless)
    return capsa_slirp_usable () ? "slirp4netns" : "none";
  return "bridge";
}

/* The container's cgroup: /capsa/ID as root.  Rootless: next to capsa's own cgroup where the
 * host delegates a cgroup v2 subtree to the user; elsewhere (v1 or hybrid hosts, no delegation)
 * none at all, as podman with cgroupfs on v1 does, and then the resource flags cannot work. */
static int
rootless_cgroups (struct capsa_engine *e, const struct ctr_opts *o, json_t *linux_, const char *id, capsa_err **err)
{
  if (!e->rootless)
    {
      char cg[128];
      snprintf (cg, sizeof cg, "/capsa/%s", id);
      json_object_set_new (linux_, "cgroupsPath", json_string (cg));
      return 0;
    }
  if (rootless_cgroup_writable ())
    {
      char cg[128];
      snprintf (cg, sizeof cg, "capsa-%s", id);
      json_object_set_new (linux_, "cgroupsPath", json_string (cg));
      return 0;
    }
  static const char *flags[] = { "--memory",     "--memory-swap",  "--cpus",      "--cpu-shares", "--cpuset-cpus",
                                 "--pids-limit", "--blkio-weight", "--cpu-quota", "--cpu-period" };
  bool given[] = { o->memory != 0,       o->memory_swap != 0,    o->cpus > 0,
                   o->cpu_shares != 0,   o->cpuset_cpus != NULL, o->pids_limit != 0,
                   o->blkio_weight != 0, o->cpu_quota != 0,      o->cpu_period != 0 };
  for (size_t i = 0; i < ARRAY_SIZE (flags); i++)
    if (given[i])
      return capsa_fail_as (err, ENOTSUP,
                            "%s needs a cgroup, and rootless containers on this host run without one: its "
                            "cgroup controllers are v1 (or the v2 tree is not delegated to uid %u), where only "
                            "root may create cgroups; run as root, or on a cgroup v2 host with a delegated "
                            "subtree",
                            flags[i], e->host_uid);
  json_object_del (linux_, "resources");
  json_object_del (linux_, "cgroupsPath");
  return 0;
}

/* ---- ctr_build: the config as a list of steps ---------------------------------------------- */

/* What the steps of ctr_build share: its arguments, and the config and record being built. */
struct build
{
  struct capsa_engine *e;
  const struct ctr_opts *o;
  const char *id, *rootfs, *image_id;
  json_t *imgcfg, *icfg;             /* the image's config blob, and its "config" (borrowed) */
  json_t *config, *linux_, *process; /* the OCI config (owned) and two of its objects */
  json_t *meta, *hc;                 /* the record (owned) and its HostConfig */
  json_t *caps;                      /* the capability set (owned) */
  const char *net;                   /* the network mode */
};

typedef int build_step (struct build *b, capsa_err **err);

/* The record: docker's inspect shape without State; Labels are the image's, then --label's. */
static int
step_meta (struct build *b, capsa_err **err)
{
  const struct ctr_opts *o = b->o;
  json_t *labels = json_object ();
  if (json_is_object (json_object_get (b->icfg, "Labels")))
    json_object_update (labels, json_object_get (b->icfg, "Labels"));
  for (char **l = o->labels; l && *l; l++)
    {
      cleanup_free char *k = xstrdup (*l);
      char *v = strchr (k, '=');
      if (v)
        *v++ = '\0';
      json_object_set_new (labels, k, json_string (v ? v : ""));
    }
  const char *stopsig = o->stop_signal ? o->stop_signal : json_string_value (json_object_get (b->icfg, "StopSignal"));
  if (stopsig && capsa_signal_parse (stopsig) < 0)
    {
      json_decref (labels);
      return capsa_fail_as (err, EINVAL, "--stop-signal: unknown signal `%s`", stopsig);
    }
  char now[48];
  now_rfc3339 (now, sizeof now);
  b->meta = json_pack ("{s:s, s:s, s:s, s:s, s:{s:o, s:b, s:b, s:b, s:s, s:s}, s:{s:b, s:b, s:b, s:s}, s:s}", "Id",
                       b->id, "Created", now, "Image", b->image_id, "ImageName", o->image, "Config", "Labels", labels,
                       "Tty", o->tty, "OpenStdin", o->interactive, "AttachStdout", !o->detach, "Image", o->image,
                       "StopSignal", stopsig ? stopsig : "SIGTERM", "HostConfig", "AutoRemove", o->rm, "ReadonlyRootfs",
                       o->read_only, "Privileged", o->privileged, "NetworkMode", b->net, "Driver", "overlay");
  if (o->stop_timeout >= 0)
    json_object_set_new (json_object_get (b->meta, "Config"), "StopTimeout", json_integer (o->stop_timeout));
  if (o->stdin_once)
    json_object_set_new (json_object_get (b->meta, "Config"), "StdinOnce", json_true ());
  b->hc = json_object_get (b->meta, "HostConfig");
  return 0;
}

/* HostConfig's CapAdd, CapDrop, SecurityOpt, Init and RestartPolicy (checked: a known policy, a
 * count only for on-failure, none with --rm). */
static int
step_host_config (struct build *b, capsa_err **err)
{
  const struct ctr_opts *o = b->o;
  json_object_set_new (b->hc, "CapAdd", json_strv (o->cap_add));
  json_object_set_new (b->hc, "CapDrop", json_strv (o->cap_drop));
  json_object_set_new (b->hc, "SecurityOpt", json_strv (o->security_opt));
  json_object_set_new (b->hc, "Init", json_boolean (o->init));
  const char *r = o->restart ? o->restart : "no";
  cleanup_free char *rn = xstrdup (r);
  char *max = strchr (rn, ':');
  int64_t m = 0;
  if (max)
    *max++ = '\0';
  if ((strcmp (rn, "no") != 0 && strcmp (rn, "always") != 0 && strcmp (rn, "unless-stopped") != 0
       && strcmp (rn, "on-failure") != 0)
      || (max && (strcmp (rn, "on-failure") != 0 || parse_i64 (max, 0, INT32_MAX, &m) < 0)))
    return capsa_fail_as (err, EINVAL,
                          "--restart `%s`: expected no, on-failure[:MAX-RETRIES], always or unless-stopped", r);
  if (o->rm && strcmp (rn, "no") != 0)
    return capsa_fail_as (err, EINVAL, "conflicting options: --restart and --rm");
  json_object_set_new (b->hc, "RestartPolicy",
                       json_pack ("{s:s, s:I}", "Name", rn, "MaximumRetryCount", (json_int_t) m));
  json_t *lc = NULL; /* --log-driver, --log-opt (ctr_logcfg.c) */
  if (ctr_log_config (o, &lc, err) < 0)
    return -1;
  json_object_set_new (b->hc, "LogConfig", lc);
  return 0;
}

static int
step_process (struct build *b, capsa_err **err)
{
  return build_process (b->o, b->id, b->rootfs, b->icfg, b->config, b->meta, err);
}

/* The capability set (every one of the process's sets but the ambient and inheritable), and the
 * security options that follow it (seccomp, no-new-privileges). */
static int
step_caps (struct build *b, capsa_err **err)
{
  if (make_caps (b->e, b->o, &b->caps, err) < 0)
    return -1;
  json_object_set_new (b->process, "capabilities",
                       json_pack ("{s:O, s:O, s:O, s:[], s:[]}", "bounding", b->caps, "effective", b->caps, "permitted",
                                  b->caps, "inheritable", "ambient"));
  return security_opts (b->e, b->o, b->process, b->linux_, b->caps, err);
}

static int
step_limits (struct build *b, capsa_err **err)
{
  if (build_rlimits (b->o, b->process, err) < 0)
    return -1;
  return build_resources (b->o, b->linux_, b->hc, err);
}

static int
step_mounts (struct build *b, capsa_err **err)
{
  return build_mounts (b->e, b->o, b->rootfs, b->config, b->meta, err);
}

/* --init, the root filesystem, a rootless container's cgroup, the user namespace, --privileged. */
static int
step_root (struct build *b, capsa_err **err)
{
  if (b->o->init && add_init (b->e, b->id, b->config, err) < 0)
    return -1;
  json_object_set_new (b->config, "root", json_pack ("{s:s, s:b}", "path", b->rootfs, "readonly", b->o->read_only));
  if (rootless_cgroups (b->e, b->o, b->linux_, b->id, err) < 0)
    return -1;
  if (b->o->un)
    ctr_userns_apply (b->o, b->o->un, b->config, b->meta);
  if (b->o->privileged)
    {
      json_object_del (b->linux_, "maskedPaths");
      json_object_del (b->linux_, "readonlyPaths");
    }
  return 0;
}

/* The flags of ctr_flags.c: after the mounts (--volumes-from) and the root (--cgroup-parent). */
static int
step_flags (struct build *b, capsa_err **err)
{
  struct ctr_flags_in in = { b->e, b->o, b->id, b->rootfs, b->imgcfg, b->config, b->meta };
  return ctr_flags_apply (&in, err);
}

/* --network container:NAME: join that running container's network namespace. */
static int
join_container_net (struct build *b, json_t *ns, capsa_err **err)
{
  cleanup_ctr struct ctr *other = NULL;
  if (capsa_ctr_find (b->e, b->net + 10, &other, err) < 0)
    return -1;
  if (other->status != CTR_RUNNING && other->status != CTR_PAUSED)
    return capsa_fail_as (err, EINVAL, "--network %s: that container is not running (`capsa start %s` first)", b->net,
                          b->net + 10);
  json_t *n;
  size_t k;
  json_array_foreach (ns, k, n) if (strcmp (json_string_value (json_object_get (n, "type")), "network") == 0)
      json_object_set_new (n, "path", json_sprintf ("/proc/%d/ns/net", (int) other->pid));
  return 0;
}

/* An address of either family (what --dns and --add-host take). */
static bool
is_ip (const char *s)
{
  unsigned char buf[sizeof (struct in6_addr)];
  return inet_pton (AF_INET, s, buf) == 1 || inet_pton (AF_INET6, s, buf) == 1;
}

/* --dns IP..., --add-host NAME:IP|host-gateway (the API's Dns and ExtraHosts come here unchecked). */
static int
check_dns (const struct ctr_opts *o, capsa_err **err)
{
  for (char **p = o->dns; p && *p; p++)
    if (!is_ip (*p))
      return capsa_fail_as (err, EINVAL, "--dns %s: not an IP address", *p);
  for (char **p = o->extra_hosts; p && *p; p++)
    {
      const char *c = strchr (*p, ':');
      if (c == NULL || c == *p || (strcmp (c + 1, "host-gateway") != 0 && !is_ip (c + 1)))
        return capsa_fail_as (err, EINVAL, "--add-host %s: bad format, want NAME:IP (or NAME:host-gateway)", *p);
    }
  return 0;
}

/* docker's HostConfig.Dns, DnsSearch, DnsOptions, ExtraHosts (always there, [] when not given),
 * Config.MacAddress, and the endpoint's IPAMConfig (meta's, ctr_view.c shows it) for --ip and
 * --ip6, which only a user network has (docker's rule). */
static int
record_dns (struct build *b, const char *net, capsa_err **err)
{
  const struct ctr_opts *o = b->o;
  json_t *hc = json_object_get (b->meta, "HostConfig");
  bool user = capsa_ctr_net_is_bridge (net) && strcmp (net, CAPSA_NET_DEFAULT) != 0;
  if ((o->ip || o->ip6) && !user)
    return capsa_fail_as (err, EINVAL, "user specified IP address is supported on user defined networks only");
  if (o->mac_address && !capsa_ctr_net_is_bridge (net))
    return capsa_fail_as (err, EINVAL, "--mac-address needs a bridge network (the default one or a user network)");
  if (check_dns (o, err) < 0)
    return -1;
  static const char *const keys[] = { "Dns", "DnsSearch", "DnsOptions", "ExtraHosts" };
  char **const vals[] = { o->dns, o->dns_search, o->dns_options, o->extra_hosts };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    json_object_set_new (hc, keys[i], vals[i] ? json_strv (vals[i]) : json_array ());
  if (o->mac_address)
    json_object_set_new (json_object_get (b->meta, "Config"), "MacAddress", json_string (o->mac_address));
  if (o->ip || o->ip6)
    json_object_set_new (b->meta, "IPAMConfig",
                         json_pack ("{s:s*, s:s*}", "IPv4Address", o->ip, "IPv6Address", o->ip6));
  return 0;
}

/* The network namespace: the host's, another container's, or one made ahead (bridge, slirp). */
static int
step_network (struct build *b, capsa_err **err)
{
  json_t *ns = json_object_get (b->linux_, "namespaces");
  const char *net = b->net;
  if (strcmp (net, "host") == 0)
    {
      for (size_t i = json_array_size (ns); i-- > 0;)
        if (strcmp (json_string_value (json_object_get (json_array_get (ns, i), "type")), "network") == 0)
          json_array_remove (ns, i);
      return 0;
    }
  if (strncmp (net, "container:", 10) == 0)
    return join_container_net (b, ns, err);
  if (b->o->aliases && b->o->aliases[0] && (!capsa_ctr_net_is_bridge (net) || strcmp (net, CAPSA_NET_DEFAULT) == 0))
    return capsa_fail_as (err, EINVAL,
                          "network-scoped alias is supported only for containers in user defined networks");
  if (b->o->aliases && b->o->aliases[0])
    json_object_set_new (b->meta, "Aliases", json_strv (b->o->aliases));
  if (record_dns (b, net, err) < 0)
    return -1;
  if (!capsa_ctr_net_is_bridge (net) && !ctr_net_is_slirp (net))
    return 0;
  if (b->e->rootless && !ctr_net_is_slirp (net))
    return capsa_fail_as (err, EPERM,
                          "--network %s needs root (a bridge, veths and NAT rules on the host); "
                          "rootless containers have --network slirp4netns (their default), none or host",
                          net);
  return ctr_net_config (b->e, b->id, net, b->linux_, json_object_get (b->config, "mounts"), b->meta, err);
}

/* HostConfig.Publish: -P's exposed ports, then -p's (checked), on a network that can have them. */
static int
step_publish (struct build *b, capsa_err **err)
{
  const struct ctr_opts *o = b->o;
  if (((o->publish && o->publish[0]) || o->publish_all) && !capsa_ctr_net_is_bridge (b->net)
      && !ctr_net_is_slirp (b->net))
    return capsa_fail_as (err, EINVAL,
                          "-p and -P need a bridge network or slirp4netns: add `--network bridge` (or a "
                          "network's name, or slirp4netns)");
  cleanup_json json_t *pub = json_array ();
  if (o->publish_all && publish_exposed (json_object_get (b->imgcfg, "config"), pub, err) < 0)
    return -1;
  cleanup_strv char **specs = xmalloc0 (sizeof (char *));
  for (char **p = o->publish; p && *p; p++)
    if (ctr_ports_expand (*p, &specs, err) < 0)
      return -1;
  for (char **p = specs; *p; p++)
    {
      struct capsa_port port;
      if (capsa_port_parse (*p, &port, err) < 0)
        return -1;
      json_array_append_new (pub, json_string (*p));
    }
  if (json_array_size (pub) > 120) /* (capsa_ctr_ports_reserve's limit, said before it is made) */
    return capsa_fail_as (err, E2BIG, "-p: %zu published ports: at most 120 are supported", json_array_size (pub));
  json_object_set (b->hc, "Publish", pub);
  return 0;
}

/* --sysctl KEY=VALUE: namespaced keys only (check_cli_sysctl). */
static int
step_sysctls (struct build *b, capsa_err **err)
{
  if (b->o->sysctls == NULL || b->o->sysctls[0] == NULL)
    return 0;
  json_t *ns = json_object_get (b->linux_, "namespaces");
  cleanup_json json_t *sc = json_object ();
  for (char **s = b->o->sysctls; *s; s++)
    {
      cleanup_free char *k = xstrdup (*s);
      char *v = strchr (k, '=');
      if (v == NULL)
        return capsa_fail_as (err, EINVAL, "--sysctl `%s`: expected KEY=VALUE", *s);
      *v++ = '\0';
      if (check_cli_sysctl (k, ns, b->net, err) < 0)
        return -1;
      json_object_set_new (sc, k, json_string (v));
    }
  json_object_set (b->linux_, "sysctl", sc);
  return 0;
}

/* The record's Path and Args (the process's), and its Name, set once claimed. */
static int
step_args (struct build *b, capsa_err **err)
{
  json_t *args = json_object_get (b->process, "args");
  json_object_set_new (b->meta, "Path", json_incref (json_array_get (args, 0)));
  json_t *rest = json_array ();
  for (size_t i = 1; i < json_array_size (args); i++)
    json_array_append (rest, json_array_get (args, i));
  json_object_set_new (b->meta, "Args", rest);
  json_object_set_new (b->meta, "Name", json_string (""));
  return 0;
}

/* Config.Healthcheck (ctr_health.c), and what --health-on-failure asked for (HealthOnFailure:
 * capsa's, the monitor's, not shown by inspect). */
static int
step_health (struct build *b, capsa_err **err)
{
  json_t *hc;
  if (ctr_health_config (b->o, b->icfg, &hc, err) < 0)
    return -1;
  if (hc)
    json_object_set_new (json_object_get (b->meta, "Config"), "Healthcheck", hc);
  if (b->o->health_on_failure && strcmp (b->o->health_on_failure, "none") != 0)
    json_object_set_new (b->meta, "HealthOnFailure", json_string (b->o->health_on_failure));
  return 0;
}

/* In order: each step may use what those before it made. */
static build_step *const build_steps[] = {
  step_meta,  step_host_config, step_process, step_caps,    step_limits, step_mounts, step_root,
  step_flags, step_network,     step_publish, step_sysctls, step_args,   step_health,
};

int
ctr_build (struct capsa_engine *e, const struct ctr_opts *o, const char *id, const char *rootfs, const char *image_id,
           json_t *imgcfg, json_t **config_out, json_t **meta_out, capsa_err **err)
{
  struct build b = { .e = e,
                     .o = o,
                     .id = id,
                     .rootfs = rootfs,
                     .image_id = image_id,
                     .imgcfg = imgcfg,
                     .icfg = json_object_get (imgcfg, "config"),
                     .config = capsa_spec_default (false),
                     .net = o->network ? o->network : ctr_default_network (e) };
  b.linux_ = json_object_get (b.config, "linux");
  b.process = json_object_get (b.config, "process");
  int r = 0;
  for (size_t i = 0; i < ARRAY_SIZE (build_steps) && r == 0; i++)
    r = build_steps[i](&b, err);
  json_decref (b.caps);
  if (r < 0)
    {
      json_decref (b.config);
      json_decref (b.meta);
      return -1;
    }
  *config_out = b.config;
  *meta_out = b.meta;
  return 0;
}
