/* capsa build: RUN (build.h), and the roots the other steps change.  A RUN is a container of the
 * step's parent image made and run by the engine in this process, as `capsa run` makes one (the
 * same isolation: namespaces, capabilities, seccomp), with ENTRYPOINT left out, the stage's ARGs
 * in its environment and RUN --mount's mounts; its overlay's upper directory becomes the step's
 * layer.  What the runtime made only to mount on (a /run/secrets/ID file, a cache mount's
 * directory) is left out of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "build.h"
#include "fsops.h"
#include "image.h"
#include "jsonutil.h"
#include "strbuf.h"
#include "util.h"

int
build_commit_config (struct bctx *b, const char *key, const char *created_by, char *out, capsa_err **err)
{
  struct capsa_commit_opts co = { .parent = b->cur->image[0] ? b->cur->image : NULL,
                                  .config = b->cur->config,
                                  .created_by = created_by,
                                  .cache_key = key };
  return capsa_image_commit (b->s, NULL, &co, out, err);
}

/* The stage's image, made when it has none yet (FROM scratch): a root needs one. */
static int
ensure_image (struct bctx *b, capsa_err **err)
{
  if (b->cur->image[0])
    return 0;
  return build_commit_config (b, NULL, "/bin/sh -c #(nop)  FROM scratch", b->cur->image, err);
}

int
build_root_mount (struct bctx *b, const char *image, char **root_id, char **rootfs, capsa_err **err)
{
  char id[CTR_ID_LEN + 1];
  if (image == NULL && ensure_image (b, err) < 0)
    return -1;
  capsa_ctr_new_id (id);
  if (capsa_rootfs_mount (b->s, image ? image : b->cur->image, id, b->e->default_registry, CAPSA_ROOTFS_OVERLAY, rootfs,
                          err)
      < 0)
    return -1;
  *root_id = xstrdup (id);
  return 0;
}

void
build_root_drop (struct bctx *b, const char *root_id)
{
  cleanup_err capsa_err *ignored = NULL;
  if (root_id)
    capsa_rootfs_unmount (b->s, root_id, &ignored);
}

static int
commit_upper (struct bctx *b, const char *dir, const char *key, const char *created_by, char *out, capsa_err **err)
{
  cleanup_free char *upper = xasprintf ("%s/upper", dir);
  struct capsa_commit_opts co = { .parent = b->cur->image[0] ? b->cur->image : NULL,
                                  .config = b->cur->config,
                                  .created_by = created_by,
                                  .cache_key = key };
  return capsa_image_commit (b->s, upper, &co, out, err);
}

int
build_root_commit (struct bctx *b, const char *root_id, const char *key, const char *created_by, char *out,
                   capsa_err **err)
{
  cleanup_free char *dir = xasprintf ("%s/containers/%s", b->e->root, root_id);
  if (capsa_rootfs_release (b->s, root_id, err) < 0)
    return -1;
  return commit_upper (b, dir, key, created_by, out, err);
}

char **
build_run_args (struct bctx *b)
{
  char **out = NULL;
  const char *k;
  json_t *v;
  json_object_foreach (b->cur->args, k, v)
  {
    if (!json_is_string (v))
      continue;
    json_t *env = json_object_get (b->cur->config, "Env");
    size_t i, n = strlen (k);
    for (i = 0; i < json_array_size (env); i++)
      {
        const char *kv = json_string_value (json_array_get (env, i)) ?: "";
        if (strncmp (kv, k, n) == 0 && kv[n] == '=')
          break;
      }
    if (i == json_array_size (env))
      {
        cleanup_free char *kv = xasprintf ("%s=%s", k, json_string_value (v));
        strv_append (&out, kv);
      }
  }
  return out;
}

/* --- RUN --mount ----------------------------------------------------------------------------- */

struct run_mounts
{
  char **specs;   /* --mount values for the container */
  char **targets; /* where they go, to leave out of the layer */
  char **roots;   /* roots of from= images, unmounted afterwards */
  int *fds;       /* the bind sources, held open until the run is over */
  size_t nfds;
};

static void
run_mounts_free (struct bctx *b, struct run_mounts *m)
{
  for (char **r = m->roots; r && *r; r++)
    build_root_drop (b, *r);
  cleanup_strv_fn (&m->specs);
  cleanup_strv_fn (&m->targets);
  cleanup_strv_fn (&m->roots);
  for (size_t i = 0; i < m->nfds; i++)
    close (m->fds[i]);
  free (m->fds);
}

/* key=value of a --mount's comma list (NULL when absent; "" for a bare key). */
static char *
mount_opt (const char *spec, const char *key)
{
  size_t n = strlen (key);
  for (const char *p = spec; p && *p;)
    {
      size_t len = strcspn (p, ",");
      if (strncmp (p, key, n) == 0 && (p[n] == '=' || p[n] == ',' || p[n] == '\0'))
        return p[n] == '=' ? strndup (p + n + 1, len - n - 1) : xstrdup ("");
      p += len + (p[len] == ',');
    }
  return NULL;
}

/* A bind source: rel resolved inside the context (or a from= root), so that it can name nothing
 * outside, and held open in m; *out names that open file (/proc/PID/fd/N), not its path: the
 * runtime mounts it later, and a path of the context's would be resolved again then (its owner
 * could have swapped a directory of it for a symlink to a host path in between). */
static int
bind_source (struct run_mounts *m, int rootfd, const char *rel, char **out, capsa_err **err)
{
  int fd = capsa_rootpath_open (rootfd, rel && *rel ? rel : ".", O_PATH, err);
  if (fd < 0)
    return -1;
  m->fds = xrealloc (m->fds, (m->nfds + 1) * sizeof *m->fds);
  m->fds[m->nfds++] = fd;
  *out = xasprintf ("/proc/%d/fd/%d", (int) getpid (), fd);
  return 0;
}

static int
secret_source (struct bctx *b, const char *id, char **out, capsa_err **err)
{
  for (char *const *s = b->o->secrets; s && *s; s++)
    {
      cleanup_free char *sid = mount_opt (*s, "id"), *src = mount_opt (*s, "src");
      if (src == NULL)
        src = mount_opt (*s, "source");
      if (sid && src && strcmp (sid, id) == 0)
        {
          *out = take_ptr (&src);
          return 0;
        }
    }
  return capsa_fail_as (err, ENOENT, "RUN --mount=type=secret: no secret `%s` (--secret id=%s,src=FILE)", id, id);
}

static int
cache_source (struct bctx *b, const char *id, char **out, capsa_err **err)
{
  cleanup_free char *dir = NULL;
  char d[CAPSA_DIGEST_LEN + 1];
  capsa_sha256_buf (id, strlen (id), d);
  dir = xasprintf ("%s/buildcache/%s", b->e->root, d + 7);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  *out = take_ptr (&dir);
  return 0;
}

static int
one_mount (struct bctx *b, const char *spec, struct run_mounts *m, capsa_err **err)
{
  cleanup_free char *type = mount_opt (spec, "type"), *target = mount_opt (spec, "target");
  cleanup_free char *src = NULL, *from = mount_opt (spec, "from"), *id = mount_opt (spec, "id");
  if (target == NULL)
    target = mount_opt (spec, "dst") ?: mount_opt (spec, "destination");
  if (type == NULL)
    type = xstrdup ("bind");
  if (strcmp (type, "secret") == 0 && target == NULL)
    target = xasprintf ("/run/secrets/%s", id ? id : "");
  if (target == NULL || target[0] != '/')
    return capsa_fail_as (err, EINVAL, "RUN --mount=%s: needs an absolute target=", spec);
  cleanup_free char *rel = mount_opt (spec, "source") ?: mount_opt (spec, "src");
  bool rw = false;
  if (strcmp (type, "bind") == 0)
    {
      cleanup_free char *rwopt = mount_opt (spec, "rw") ?: mount_opt (spec, "readwrite");
      rw = rwopt != NULL;
      /* buildkit discards what a RUN writes to an rw bind; a bind of the context would write to
       * the host's files: refused (from= binds a root of the store's, which goes after the step) */
      if (rw && from == NULL)
        return capsa_fail_as (err, ENOTSUP,
                              "RUN --mount=%s: rw binds of the context are not supported (the writes would "
                              "reach the context's files on the host); copy what must change",
                              spec);
      int rootfd = b->ctxfd;
      cleanup_close int fromfd = -1;
      if (from)
        {
          char img[CAPSA_DIGEST_LEN + 1];
          cleanup_free char *rid = NULL, *rootfs = NULL;
          if (build_from_ref (b, from, img, err) < 0 || build_root_mount (b, img, &rid, &rootfs, err) < 0)
            return -1;
          strv_append (&m->roots, rid);
          rootfd = fromfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (fromfd < 0)
            return capsa_fail (err, errno, "open `%s`", rootfs);
        }
      if (bind_source (m, rootfd, rel, &src, err) < 0)
        return -1;
    }
  else if (strcmp (type, "secret") == 0)
    {
      if (secret_source (b, id ? id : strrchr (target, '/') + 1, &src, err) < 0)
        return -1;
    }
  else if (strcmp (type, "cache") == 0)
    {
      rw = true;
      if (cache_source (b, id ? id : target, &src, err) < 0)
        return -1;
    }
  else
    return capsa_fail_as (err, EINVAL, "RUN --mount: type `%s` is not supported (bind, cache, secret)", type);
  cleanup_free char *out = xasprintf ("type=bind,source=%s,target=%s%s", src, target, rw ? "" : ",readonly");
  strv_append (&m->specs, out);
  strv_append (&m->targets, target);
  return 0;
}

static int
run_mounts_make (struct bctx *b, const struct df_instr *in, struct run_mounts *m, capsa_err **err)
{
  cleanup_free const char **all = df_flags_all (in, "mount");
  for (const char **s = all; s && *s; s++)
    if (one_mount (b, *s, m, err) < 0)
      return -1;
  return 0;
}

/* The paths of the mount targets (and their parents) that the image lacks, relative, deepest
 * first: the runtime makes them to mount on, and they are left out of the layer.  rootfd: the
 * created container's root, before it runs. */
static char **
new_mount_points (char **targets, int rootfd)
{
  char **out = NULL;
  for (char **t = targets; t && *t; t++)
    {
      cleanup_free char *rel = xstrdup (*t + strspn (*t, "/"));
      while (*rel)
        {
          cleanup_close int fd = capsa_rootpath_open (rootfd, rel, O_PATH, NULL);
          if (fd >= 0)
            break;
          strv_append (&out, rel);
          char *slash = strrchr (rel, '/');
          if (slash == NULL)
            break;
          *slash = '\0';
        }
    }
  return out;
}

/* Remove them from the upper dir (a file, or a directory left empty). */
static void
strip_mount_points (const char *dir, char **paths)
{
  for (char **p = paths; p && *p; p++)
    {
      cleanup_free char *path = xasprintf ("%s/upper/%s", dir, *p);
      if (unlink (path) < 0)
        rmdir (path);
    }
}

/* Create the RUN container: its command without the entrypoint, its mounts, its network. */
static int
run_create (struct bctx *b, const struct df_instr *in, struct run_mounts *m, char *id, struct capsa_config **typed,
            capsa_err **err)
{
  struct ctr_opts o = { 0 };
  cleanup_json json_t *cmd = build_command (b, in);
  cleanup_strv char **argv = NULL, **env = build_run_args (b);
  char *none[] = { NULL };
  size_t i;
  json_t *a;
  json_array_foreach (cmd, i, a) strv_append (&argv, json_string_value (a));
  o.image = b->cur->image;
  o.cmd = argv ? argv : none;
  o.entrypoint_set = true;
  o.entrypoint_argv = none;
  o.env = env ? env : none;
  o.mounts = m->specs ? m->specs : none;
  o.bind_fd_sources = true;
  o.network = df_flag (in, "network") ?: b->o->network ?: "bridge";
  o.stop_timeout = -1;
  return capsa_ctr_create (b->e, &o, id, typed, err);
}

/* Run it here, its output to out_fd when given; its exit code. */
static int
run_here (struct bctx *b, const char *id, struct capsa_config *typed, capsa_err **err)
{
  int saved[2] = { -1, -1 };
  if (b->o->out_fd >= 0)
    for (int i = 0; i < 2; i++)
      {
        saved[i] = fcntl (1 + i, F_DUPFD_CLOEXEC, 3);
        dup2 (b->o->out_fd, 1 + i);
      }
  cleanup_err capsa_err *run_err = NULL;
  int sig = 0;
  int code = capsa_ctr_run_stoppable (b->e, id, typed, &sig, &run_err, err);
  for (int i = 0; i < 2; i++)
    if (saved[i] >= 0)
      {
        dup2 (saved[i], 1 + i);
        close (saved[i]);
      }
  if (sig)
    {
      capsa_err_free (err);
      return capsa_fail_as (err, EINTR, "interrupted (%s): the build stops", strsignal (sig));
    }
  if (code > 0 && run_err)
    return capsa_fail_as (err, EINVAL, "%s (exit code %d)", run_err->msg, code);
  return code;
}

static void
run_remove (struct bctx *b, const char *id)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *ignored = NULL;
  if (capsa_ctr_load (b->e, id, &c, &ignored) == 0)
    capsa_ctr_remove (b->e, c, true, true, &ignored);
}

static char *
run_created_by (struct bctx *b, const struct df_instr *in)
{
  cleanup_json json_t *cmd = build_command (b, in);
  cleanup_strv char **args = build_run_args (b);
  struct strbuf by = { 0 };
  if (args)
    strbuf_printf (&by, "|%zu ", strv_len (args));
  for (char **a = args; a && *a; a++)
    strbuf_printf (&by, "%s ", *a);
  size_t i;
  json_t *w;
  json_array_foreach (cmd, i, w) strbuf_printf (&by, "%s%s", i ? " " : "", json_string_value (w));
  return by.buf;
}

static int
run_container (struct bctx *b, const struct df_instr *in, struct run_mounts *m, const char *key, char *out,
               capsa_err **err)
{
  char id[CTR_ID_LEN + 1];
  cleanup_capsa_config struct capsa_config *typed = NULL;
  cleanup_strv char **points = NULL;
  int r = -1;
  if (run_create (b, in, m, id, &typed, err) < 0)
    return -1;
  cleanup_free char *dir = xasprintf ("%s/containers/%s", b->e->root, id);
  cleanup_free char *merged = xasprintf ("%s/merged", dir);
  cleanup_close int rootfd = open (merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
  /* the runtime's own mount points too, where the image has none: they are no part of a step */
  static const char *runtime_points[] = { "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/proc", "/sys", "/dev",
                                          NULL };
  cleanup_strv char **targets = NULL;
  for (char **t = m->targets; t && *t; t++)
    strv_append (&targets, *t);
  for (const char **t = runtime_points; *t; t++)
    strv_append (&targets, *t);
  if (rootfd >= 0)
    points = new_mount_points (targets, rootfd);
  int code = run_here (b, id, typed, err);
  if (code == 0)
    {
      cleanup_free char *by = run_created_by (b, in);
      strip_mount_points (dir, points);
      r = commit_upper (b, dir, key, by, out, err);
    }
  else if (code > 0)
    {
      cleanup_json json_t *cmd = build_command (b, in);
      cleanup_free char *text = json_dumps (cmd, JSON_COMPACT);
      capsa_err_free (err);
      r = capsa_fail_as (err, EIO, "the command %s returned a non-zero code: %d", text, code);
    }
  run_remove (b, id);
  return r;
}

int
build_run_step (struct bctx *b, const struct df_instr *in, const char *key, char *out, capsa_err **err)
{
  struct run_mounts m = { 0 };
  int r = -1;
  if (!b->ran && b->o->before_run && b->o->before_run (b->o->print_data, b->step, err) < 0)
    return -1;
  b->ran = true;
  if (ensure_image (b, err) == 0 && run_mounts_make (b, in, &m, err) == 0)
    r = run_container (b, in, &m, key, out, err);
  run_mounts_free (b, &m);
  return r;
}
