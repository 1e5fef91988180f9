/* OCI runtime-spec 1.2 config.json: see config.h.
 *
 * One pass over the jansson document, one function per section.  Every getter checks the JSON
 * type before it reads a value and reports the JSON path of what is wrong; a JSON null counts as
 * "absent" (as Go's encoding/json, which writes most configs, treats it).  Unknown properties are
 * ignored, as the spec requires.  The partly filled config is freed by the cleanup attribute of
 * cfg_parse_string() on any error, so cfg_free() must accept any partly filled config.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"

#define ID_MAX 4294967294LL /* largest uid/gid: (uid_t) -1 means "no change" to the kernel */
#define U32_MAX 4294967295LL
#define CONFIG_MAX_SIZE (64u << 20) /* a config larger than this is a mistake, not a config */
#define SYSCTL_KEY_MAX 255          /* no sysctl name is near this long: a longer key is invalid */
#define AT_LEN 128                  /* JSON path buffers: "linux.namespaces[123]" */

/* Where we are: the name for messages and the error to set. */
struct pctx
{
  const char *name;
  capsa_err **err;
};

/* ---- tables ------------------------------------------------------------------------------ */

static const struct
{
  const char *name, *proc;
  int flag;
} ns_table[CFG_NS_COUNT] = {
  [CFG_NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [CFG_NS_NETWORK] = { "network", "net", CLONE_NEWNET },
  [CFG_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
  [CFG_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [CFG_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [CFG_NS_USER] = { "user", "user", CLONE_NEWUSER },
  [CFG_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [CFG_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

#define RL(x)                                                                                                          \
  {                                                                                                                    \
#x, x                                                                                                              \
  }
static const struct
{
  const char *name;
  int resource;
} rlimit_table[] = {
  RL (RLIMIT_AS),     RL (RLIMIT_CORE),   RL (RLIMIT_CPU),        RL (RLIMIT_DATA),
  RL (RLIMIT_FSIZE),  RL (RLIMIT_LOCKS),  RL (RLIMIT_MEMLOCK),    RL (RLIMIT_MSGQUEUE),
  RL (RLIMIT_NICE),   RL (RLIMIT_NOFILE), RL (RLIMIT_NPROC),      RL (RLIMIT_RSS),
  RL (RLIMIT_RTPRIO), RL (RLIMIT_RTTIME), RL (RLIMIT_SIGPENDING), RL (RLIMIT_STACK),
};
#undef RL

enum opt_kind
{
  OPT_SET,         /* set the flag (and forget an earlier clear) */
  OPT_CLEAR,       /* clear the flag */
  OPT_PROPAGATION, /* the mount's propagation (last one wins) */
  OPT_IGNORE,      /* accepted and dropped: tmpcopyup is not supported (yet), "defaults"; idmap and
                    * ridmap are read by mount_idmap() */
};

/* runc's table plus the propagation words.  Anything else is filesystem data ("mode=755"). */
static const struct
{
  const char *name;
  enum opt_kind kind;
  unsigned long flag;
} mount_opts[] = {
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "bind", OPT_SET, MS_BIND },
  { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "idmap", OPT_IGNORE, 0 },
  { "ridmap", OPT_IGNORE, 0 },
  { "tmpcopyup", OPT_IGNORE, 0 },
  { "defaults", OPT_IGNORE, 0 },
};

#define N_ELEMS(a) (sizeof (a) / sizeof ((a)[0]))

int
cfg_ns_from_name (const char *name)
{
  for (int t = 0; name && t < CFG_NS_COUNT; t++)
    if (strcmp (name, ns_table[t].name) == 0)
      return t;
  return -1;
}

const char *
cfg_ns_name (int type)
{
  return type >= 0 && type < CFG_NS_COUNT ? ns_table[type].name : NULL;
}

int
cfg_ns_clone_flag (int type)
{
  return type >= 0 && type < CFG_NS_COUNT ? ns_table[type].flag : 0;
}

const char *
cfg_ns_proc_name (int type)
{
  return type >= 0 && type < CFG_NS_COUNT ? ns_table[type].proc : NULL;
}

int
cfg_rlimit_from_name (const char *name)
{
  for (size_t i = 0; name && i < N_ELEMS (rlimit_table); i++)
    if (strcmp (name, rlimit_table[i].name) == 0)
      return rlimit_table[i].resource;
  return -1;
}

int
cfg_mount_option (const char *word, unsigned long *flags, unsigned long *clear, unsigned long *propagation)
{
  for (size_t i = 0; word && i < N_ELEMS (mount_opts); i++)
    {
      unsigned long f = mount_opts[i].flag;
      if (strcmp (word, mount_opts[i].name) != 0)
        continue;
      switch (mount_opts[i].kind)
        {
        case OPT_SET:
          *flags |= f;
          *clear &= ~f;
          break;
        case OPT_CLEAR:
          *clear |= f;
          *flags &= ~f;
          break;
        case OPT_PROPAGATION:
          *propagation = f;
          break;
        case OPT_IGNORE:
        default:
          break;
        }
      return 1;
    }
  return 0;
}

const char *
cfg_rlimit_name (int resource)
{
  for (size_t i = 0; i < N_ELEMS (rlimit_table); i++)
    if (rlimit_table[i].resource == resource)
      return rlimit_table[i].name;
  return NULL;
}

const char *
cfg_propagation_name (unsigned long propagation)
{
  for (size_t i = 0; propagation && i < N_ELEMS (mount_opts); i++)
    if (mount_opts[i].kind == OPT_PROPAGATION && mount_opts[i].flag == propagation)
      return mount_opts[i].name;
  return NULL;
}

static const char *const hook_kinds[CFG_HOOK_COUNT] = {
  [CFG_HOOK_PRESTART] = "prestart",
  [CFG_HOOK_CREATE_RUNTIME] = "createRuntime",
  [CFG_HOOK_CREATE_CONTAINER] = "createContainer",
  [CFG_HOOK_START_CONTAINER] = "startContainer",
  [CFG_HOOK_POSTSTART] = "poststart",
  [CFG_HOOK_POSTSTOP] = "poststop",
};

const char *
cfg_hook_kind_name (int kind)
{
  return kind >= 0 && kind < CFG_HOOK_COUNT ? hook_kinds[kind] : NULL;
}

/* A propagation word ("rslave") as MS_* flags; 0 when it is not one. */
static unsigned long
propagation_from_name (const char *word)
{
  for (size_t i = 0; i < N_ELEMS (mount_opts); i++)
    if (mount_opts[i].kind == OPT_PROPAGATION && strcmp (word, mount_opts[i].name) == 0)
      return mount_opts[i].flag;
  return 0;
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void
strv_free (char **v)
{
  cleanup_strv_fn (&v);
}

void
cfg_process_free (struct cfg_process *pr)
{
  if (pr == NULL)
    return;
  strv_free (pr->args);
  strv_free (pr->env);
  free (pr->cwd);
  free (pr->user.additional_gids);
  strv_free (pr->caps.bounding);
  strv_free (pr->caps.effective);
  strv_free (pr->caps.inheritable);
  strv_free (pr->caps.permitted);
  strv_free (pr->caps.ambient);
  free (pr->rlimits);
  free (pr->apparmor_profile);
  free (pr->selinux_label);
  free (pr);
}

static void
mounts_free (struct cfg_mount *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++)
    {
      free (m[i].destination);
      free (m[i].type);
      free (m[i].source);
      strv_free (m[i].options);
      free (m[i].data);
      free (m[i].uid_maps);
      free (m[i].gid_maps);
    }
  free (m);
}

static void
hooks_free (struct cfg_hook_list *l)
{
  for (size_t i = 0; l->hooks && i < l->n; i++)
    {
      free (l->hooks[i].path);
      strv_free (l->hooks[i].args);
      strv_free (l->hooks[i].env);
    }
  free (l->hooks);
}

static void
seccomp_free (struct cfg_seccomp *sc)
{
  if (sc == NULL)
    return;
  free (sc->default_action);
  strv_free (sc->architectures);
  strv_free (sc->flags);
  for (size_t i = 0; sc->syscalls && i < sc->n_syscalls; i++)
    {
      strv_free (sc->syscalls[i].names);
      free (sc->syscalls[i].action);
      for (size_t k = 0; sc->syscalls[i].args && k < sc->syscalls[i].n_args; k++)
        free (sc->syscalls[i].args[k].op);
      free (sc->syscalls[i].args);
    }
  free (sc->syscalls);
  free (sc->listener_path);
  free (sc->listener_metadata);
  free (sc);
}

void
cfg_free (struct capsa_config *c)
{
  if (c == NULL)
    return;
  free (c->oci_version);
  free (c->root_path);
  free (c->hostname);
  free (c->domainname);
  cfg_process_free (c->process);
  mounts_free (c->mounts, c->n_mounts);
  for (int t = 0; t < CFG_NS_COUNT; t++)
    free (c->ns[t].path);
  free (c->uid_maps);
  free (c->gid_maps);
  for (size_t i = 0; c->devices && i < c->n_devices; i++)
    free (c->devices[i].path);
  free (c->devices);
  for (size_t i = 0; c->sysctls && i < c->n_sysctls; i++)
    {
      free (c->sysctls[i].key);
      free (c->sysctls[i].value);
    }
  free (c->sysctls);
  free (c->cgroups_path);
  strv_free (c->masked_paths);
  strv_free (c->readonly_paths);
  free (c->mount_label);
  seccomp_free (c->seccomp);
  cfg_resources_free (c->resources);
  for (int k = 0; k < CFG_HOOK_COUNT; k++)
    hooks_free (&c->hooks[k]);
  json_decref (c->annotations);
  free (c);
}

/* ---- errors and typed getters ------------------------------------------------------------- */

static int bad (const struct pctx *p, const char *at, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* "NAME: AT.KEY: what is wrong"; at and key may each be NULL or "". */
static int
bad (const struct pctx *p, const char *at, const char *key, const char *fmt, ...)
{
  cleanup_free char *what = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&what, fmt, ap) < 0)
    what = NULL;
  va_end (ap);
  at = at ? at : "";
  key = key ? key : "";
  if (*at == '\0' && *key == '\0')
    return capsa_fail (p->err, 0, "%s: %s", p->name, what ? what : "invalid");
  return capsa_fail (p->err, 0, "%s: %s%s%s: %s", p->name, at, *at && *key ? "." : "", key, what ? what : "invalid");
}

/* bad() always returns -1 (capsa_fail's -1).  clang's analyzer does not follow calls to variadic
 * functions, so it is told here, as error.h tells it for capsa_fail (scripts/ci-scan-build.sh). */
#ifdef __clang_analyzer__
#define bad(...) (bad (__VA_ARGS__), -1)
#endif

/* The same for element i of array `key`: "NAME: AT.KEY[i]: what". */
static int
bad_elem (const struct pctx *p, const char *at, const char *key, size_t i, const char *what)
{
  char k[AT_LEN];
  snprintf (k, sizeof k, "%s[%zu]", key, i);
  return bad (p, at, k, "%s", what);
}

static int
oom (const struct pctx *p)
{
  return capsa_fail (p->err, ENOMEM, "%s", p->name);
}

/* Turns "absent" (getter returned 0) into an error for a required member. */
static int
required (const struct pctx *p, const char *at, const char *key, int r)
{
  return r == 0 ? bad (p, at, key, "is required") : r;
}

static int
dup_str (const struct pctx *p, const char *s, char **out)
{
  char *d = strdup (s);
  if (d == NULL)
    return oom (p);
  free (*out);
  *out = d;
  return 0;
}

/* obj[key], NULL when absent or null. */
static json_t *
member (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

/* The getters return 1 when the member is there (and *out is set), 0 when it is absent (and
 * *out is untouched), -1 with *p->err set when it has the wrong type or value. */

static int
get_string (const struct pctx *p, json_t *obj, const char *at, const char *key, char **out)
{
  json_t *v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_string (v))
    return bad (p, at, key, "must be a string");
  return dup_str (p, json_string_value (v), out) < 0 ? -1 : 1;
}

static int
get_bool (const struct pctx *p, json_t *obj, const char *at, const char *key, bool *out)
{
  json_t *v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_boolean (v))
    return bad (p, at, key, "must be a boolean");
  *out = json_is_true (v);
  return 1;
}

static int
get_int (const struct pctx *p, json_t *obj, const char *at, const char *key, long long min, long long max,
         long long *out)
{
  json_t *v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_integer (v) || json_integer_value (v) < min || json_integer_value (v) > max)
    return bad (p, at, key, "must be an integer between %lld and %lld", min, max);
  *out = json_integer_value (v);
  return 1;
}

static int
get_object (const struct pctx *p, json_t *obj, const char *at, const char *key, json_t **out)
{
  json_t *v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_object (v))
    return bad (p, at, key, "must be an object");
  *out = v;
  return 1;
}

static int
get_array (const struct pctx *p, json_t *obj, const char *at, const char *key, json_t **out)
{
  json_t *v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_array (v))
    return bad (p, at, key, "must be an array");
  *out = v;
  return 1;
}

/* An array of strings as an owned NULL-terminated vector. */
static int
get_strv (const struct pctx *p, json_t *obj, const char *at, const char *key, char ***out)
{
  json_t *a = member (obj, key), *s;
  size_t i;

  if (a == NULL)
    return 0;
  if (!json_is_array (a))
    return bad (p, at, key, "must be an array of strings");
  cleanup_strv char **v = calloc (json_array_size (a) + 1, sizeof *v);
  if (v == NULL)
    return oom (p);
  json_array_foreach (a, i, s)
  {
    if (!json_is_string (s))
      return bad_elem (p, at, key, i, "must be a string");
    if ((v[i] = strdup (json_string_value (s))) == NULL)
      return oom (p);
  }
  strv_free (*out);
  *out = take_ptr (&v);
  return 1;
}

/* A vector that must never be NULL: an empty one when the config had none. */
static int
ensure_strv (const struct pctx *p, char ***v)
{
  if (*v == NULL && (*v = calloc (1, sizeof **v)) == NULL)
    return oom (p);
  return 0;
}

/* calloc for an array of n parsed elements (never NULL on success, even for n == 0). */
static void *
alloc_elems (size_t n, size_t size)
{
  return calloc (n ? n : 1, size);
}

/* ---- top level, root, annotations -------------------------------------------------------- */

/* The runtime-spec is semver: 1.x configs stay compatible, a new major may change what a field
 * means, so one capsa does not know is refused rather than half-understood.  Stricter than runc
 * 1.1, which does not look at ociVersion at all. */
static int
check_oci_version (const struct pctx *p, const char *v)
{
  char *end;
  errno = 0;
  unsigned long major = strtoul (v, &end, 10);
  if (v[0] < '0' || v[0] > '9' || errno || (*end != '\0' && *end != '.' && *end != '-' && *end != '+'))
    return bad (p, NULL, "ociVersion", "`%s` is not a version (want 1.x.y)", v);
  if (major != 1)
    return bad (p, NULL, NULL, "ociVersion %s: unsupported major version, capsa supports 1.x", v);
  return 0;
}

static int
parse_top (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  if (required (p, NULL, "ociVersion", get_string (p, doc, NULL, "ociVersion", &c->oci_version)) < 0
      || check_oci_version (p, c->oci_version) < 0 || get_string (p, doc, NULL, "hostname", &c->hostname) < 0
      || get_string (p, doc, NULL, "domainname", &c->domainname) < 0)
    return -1;
  return 0;
}

static int
parse_root (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  json_t *root = NULL;

  if (required (p, NULL, "root", get_object (p, doc, NULL, "root", &root)) < 0
      || required (p, "root", "path", get_string (p, root, "root", "path", &c->root_path)) < 0
      || get_bool (p, root, "root", "readonly", &c->root_readonly) < 0)
    return -1;
  if (*c->root_path == '\0')
    return bad (p, "root", "path", "must not be empty");
  return 0;
}

static int
parse_annotations (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  json_t *a = NULL, *v;
  const char *k;
  int r = get_object (p, doc, NULL, "annotations", &a);

  if (r <= 0)
    return r;
  json_object_foreach (a, k, v) if (!json_is_string (v)) return bad (p, "annotations", k, "must be a string");
  c->annotations = json_incref (a);
  return 0;
}

/* ---- mounts ------------------------------------------------------------------------------ */

/* The option words that are not flags, comma-joined; NULL when there are none. */
static int
mount_derive (const struct pctx *p, struct cfg_mount *m)
{
  size_t len = 0;

  for (char **o = m->options; *o; o++)
    len += strlen (*o) + 1;
  cleanup_free char *data = malloc (len + 1);
  if (data == NULL)
    return oom (p);
  data[0] = '\0';
  for (char **o = m->options; *o; o++)
    if (cfg_mount_option (*o, &m->flags, &m->clear_flags, &m->propagation) == 0 && **o)
      {
        if (data[0])
          strcat (data, ",");
        strcat (data, *o);
      }
  if (m->type && strcmp (m->type, "bind") == 0)
    m->flags |= MS_BIND;
  m->is_bind = (m->flags & MS_BIND) != 0;
  m->data = data[0] ? take_ptr (&data) : NULL;
  return 0;
}

static int parse_id_maps (const struct pctx *p, json_t *obj, const char *ctx, const char *key, struct cfg_id_map **maps,
                          size_t *n);

/* runtime-spec 1.2 idmapped mounts: options idmap (the mount itself) or ridmap (its submounts
 * too), and the mount's own uidMappings/gidMappings.  Mappings without either option mean
 * idmap, as runc 1.2 reads them; an option without mappings takes the container's (set by
 * cfg_parse's caller: see mounts.c).  Bind mounts only, as runc: the kernel idmaps a tree that
 * open_tree cloned. Never dropped silently. */
static int
mount_idmap (const struct pctx *p, json_t *e, const char *at, struct cfg_mount *m)
{
  for (char **o = m->options; *o; o++)
    if (strcmp (*o, "idmap") == 0 || strcmp (*o, "ridmap") == 0)
      m->idmap = strcmp (*o, "ridmap") == 0 ? CFG_RIDMAP : CFG_IDMAP;
  if (parse_id_maps (p, e, at, "uidMappings", &m->uid_maps, &m->n_uid_maps) < 0
      || parse_id_maps (p, e, at, "gidMappings", &m->gid_maps, &m->n_gid_maps) < 0)
    return -1;
  if ((m->n_uid_maps == 0) != (m->n_gid_maps == 0))
    return bad (p, at, "uidMappings", "uidMappings and gidMappings go together");
  if (m->n_uid_maps && !m->idmap)
    m->idmap = CFG_IDMAP;
  if (m->idmap && !m->is_bind)
    return bad (p, at, "options", "idmap and ridmap are for bind mounts only (type %s)", m->type ? m->type : "none");
  return 0;
}

static int
parse_mount (const struct pctx *p, json_t *e, size_t i, struct cfg_mount *m)
{
  char at[AT_LEN];

  snprintf (at, sizeof at, "mounts[%zu]", i);
  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if (required (p, at, "destination", get_string (p, e, at, "destination", &m->destination)) < 0
      || get_string (p, e, at, "type", &m->type) < 0 || get_string (p, e, at, "source", &m->source) < 0
      || get_strv (p, e, at, "options", &m->options) < 0 || ensure_strv (p, &m->options) < 0)
    return -1;
  if (*m->destination == '\0')
    return bad (p, at, "destination", "must be an absolute path");
  /* runtime-spec: a relative destination (deprecated) is relative to "/"; runc accepts it too. */
  if (*m->destination != '/')
    {
      cleanup_free char *abs = NULL;
      if (asprintf (&abs, "/%s", m->destination) < 0)
        return oom (p);
      free (m->destination);
      m->destination = take_ptr (&abs);
    }
  if (mount_derive (p, m) < 0)
    return -1;
  return mount_idmap (p, e, at, m);
}

static int
parse_mounts (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  json_t *a = NULL, *e;
  size_t i;
  int r = get_array (p, doc, NULL, "mounts", &a);

  if (r <= 0)
    return r;
  if ((c->mounts = alloc_elems (json_array_size (a), sizeof *c->mounts)) == NULL)
    return oom (p);
  c->n_mounts = json_array_size (a);
  json_array_foreach (a, i, e) if (parse_mount (p, e, i, &c->mounts[i]) < 0) return -1;
  return 0;
}

/* ---- process ----------------------------------------------------------------------------- */

static int
parse_console_size (const struct pctx *p, json_t *proc, struct cfg_process *pr)
{
  const char *at = "process.consoleSize";
  json_t *cs = NULL;
  long long h = 0, w = 0;
  int r = get_object (p, proc, "process", "consoleSize", &cs);

  if (r <= 0)
    return r;
  if (required (p, at, "height", get_int (p, cs, at, "height", 0, 65535, &h)) < 0
      || required (p, at, "width", get_int (p, cs, at, "width", 0, 65535, &w)) < 0)
    return -1;
  pr->console_height = (unsigned) h;
  pr->console_width = (unsigned) w;
  return 0;
}

static int
parse_args_env_cwd (const struct pctx *p, json_t *proc, struct cfg_process *pr)
{
  int r = get_strv (p, proc, "process", "args", &pr->args);

  if (r < 0)
    return -1;
  if (r == 0 || pr->args[0] == NULL)
    return bad (p, "process", "args", "must be a non-empty array of strings");
  if (get_strv (p, proc, "process", "env", &pr->env) < 0 || ensure_strv (p, &pr->env) < 0
      || get_string (p, proc, "process", "cwd", &pr->cwd) < 0)
    return -1;
  /* runtime-spec makes cwd required; runc (and we) default a missing or empty one to "/". */
  if ((pr->cwd == NULL || *pr->cwd == '\0') && dup_str (p, "/", &pr->cwd) < 0)
    return -1;
  if (*pr->cwd != '/')
    return bad (p, "process", "cwd", "must be an absolute path");
  return 0;
}

static int
parse_additional_gids (const struct pctx *p, json_t *user, struct cfg_user *u)
{
  json_t *a = NULL, *e;
  size_t i;
  int r = get_array (p, user, "process.user", "additionalGids", &a);

  if (r <= 0)
    return r;
  if ((u->additional_gids = alloc_elems (json_array_size (a), sizeof *u->additional_gids)) == NULL)
    return oom (p);
  json_array_foreach (a, i, e)
  {
    if (!json_is_integer (e) || json_integer_value (e) < 0 || json_integer_value (e) > ID_MAX)
      return bad_elem (p, "process.user", "additionalGids", i, "must be an integer between 0 and 4294967294");
    u->additional_gids[i] = (gid_t) json_integer_value (e);
  }
  u->n_additional_gids = json_array_size (a);
  return 0;
}

static int
parse_user (const struct pctx *p, json_t *proc, struct cfg_user *u)
{
  json_t *user = NULL;
  long long uid = 0, gid = 0, mask = 0;
  int r = get_object (p, proc, "process", "user", &user);

  if (r <= 0)
    return r;
  if (get_int (p, user, "process.user", "uid", 0, ID_MAX, &uid) < 0
      || get_int (p, user, "process.user", "gid", 0, ID_MAX, &gid) < 0
      || (r = get_int (p, user, "process.user", "umask", 0, 0777, &mask)) < 0)
    return -1;
  u->uid = (uid_t) uid;
  u->gid = (gid_t) gid;
  u->has_umask = r > 0;
  u->umask = (mode_t) mask;
  return parse_additional_gids (p, user, u);
}

static int
parse_caps (const struct pctx *p, json_t *proc, struct cfg_process *pr)
{
  const char *at = "process.capabilities";
  json_t *caps = NULL;
  int r = get_object (p, proc, "process", "capabilities", &caps);

  if (r <= 0)
    return r;
  pr->has_caps = true;
  if (get_strv (p, caps, at, "bounding", &pr->caps.bounding) < 0
      || get_strv (p, caps, at, "effective", &pr->caps.effective) < 0
      || get_strv (p, caps, at, "inheritable", &pr->caps.inheritable) < 0
      || get_strv (p, caps, at, "permitted", &pr->caps.permitted) < 0
      || get_strv (p, caps, at, "ambient", &pr->caps.ambient) < 0)
    return -1;
  return 0;
}

/* soft/hard: uint64.  -1 also means unlimited, which is how an RLIM_INFINITY written out in full
 * reaches us (see rewrite_infinity()). */
static int
get_rlimit_value (const struct pctx *p, json_t *e, const char *at, const char *key, uint64_t *out)
{
  long long v = 0;
  int r = get_int (p, e, at, key, -1, INT64_MAX, &v);

  if (required (p, at, key, r) < 0)
    return -1;
  *out = v == -1 ? (uint64_t) RLIM_INFINITY : (uint64_t) v;
  return 0;
}

static int
parse_rlimit (const struct pctx *p, json_t *e, size_t i, struct cfg_rlimit *rl, unsigned long *seen)
{
  char at[AT_LEN];
  cleanup_free char *type = NULL;

  snprintf (at, sizeof at, "process.rlimits[%zu]", i);
  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if (required (p, at, "type", get_string (p, e, at, "type", &type)) < 0)
    return -1;
  if ((rl->resource = cfg_rlimit_from_name (type)) < 0)
    return bad (p, at, "type", "unknown resource limit \"%s\"", type);
  if (*seen & (1UL << rl->resource))
    return bad (p, at, "type", "duplicate resource limit \"%s\"", type);
  *seen |= 1UL << rl->resource;
  if (get_rlimit_value (p, e, at, "soft", &rl->soft) < 0 || get_rlimit_value (p, e, at, "hard", &rl->hard) < 0)
    return -1;
  if (rl->soft > rl->hard)
    return bad (p, at, "soft", "must not be above hard");
  return 0;
}

static int
parse_rlimits (const struct pctx *p, json_t *proc, struct cfg_process *pr)
{
  json_t *a = NULL, *e;
  size_t i;
  unsigned long seen = 0;
  int r = get_array (p, proc, "process", "rlimits", &a);

  if (r <= 0)
    return r;
  if ((pr->rlimits = alloc_elems (json_array_size (a), sizeof *pr->rlimits)) == NULL)
    return oom (p);
  json_array_foreach (a, i, e) if (parse_rlimit (p, e, i, &pr->rlimits[i], &seen) < 0) return -1;
  pr->n_rlimits = json_array_size (a);
  return 0;
}

static int
parse_process_misc (const struct pctx *p, json_t *proc, struct cfg_process *pr)
{
  long long oom_adj = 0;
  int r;

  if (get_bool (p, proc, "process", "terminal", &pr->terminal) < 0
      || get_bool (p, proc, "process", "noNewPrivileges", &pr->no_new_privileges) < 0
      || (r = get_int (p, proc, "process", "oomScoreAdj", -1000, 1000, &oom_adj)) < 0
      || get_string (p, proc, "process", "apparmorProfile", &pr->apparmor_profile) < 0
      || get_string (p, proc, "process", "selinuxLabel", &pr->selinux_label) < 0)
    return -1;
  pr->has_oom_score_adj = r > 0;
  pr->oom_score_adj = (int) oom_adj;
  return 0;
}

static int
parse_process (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  json_t *proc = NULL;
  int r = get_object (p, doc, NULL, "process", &proc);

  if (r <= 0)
    return r;
  if ((c->process = calloc (1, sizeof *c->process)) == NULL)
    return oom (p);
  if (parse_args_env_cwd (p, proc, c->process) < 0 || parse_console_size (p, proc, c->process) < 0
      || parse_user (p, proc, &c->process->user) < 0 || parse_caps (p, proc, c->process) < 0
      || parse_rlimits (p, proc, c->process) < 0 || parse_process_misc (p, proc, c->process) < 0)
    return -1;
  return 0;
}

/* ---- linux: namespaces, id mappings, time offsets ----------------------------------------- */

static int
parse_namespace (const struct pctx *p, json_t *e, size_t i, struct capsa_config *c)
{
  char at[AT_LEN];
  cleanup_free char *type = NULL, *path = NULL;
  int t;

  snprintf (at, sizeof at, "linux.namespaces[%zu]", i);
  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if (required (p, at, "type", get_string (p, e, at, "type", &type)) < 0)
    return -1;
  if ((t = cfg_ns_from_name (type)) < 0)
    return bad (p, at, "type", "unknown namespace type \"%s\"", type);
  if (c->ns[t].enabled)
    return bad (p, at, "type", "duplicate namespace type \"%s\"", type);
  if (get_string (p, e, at, "path", &path) < 0)
    return -1;
  if (path && *path && *path != '/')
    return bad (p, at, "path", "must be an absolute path");
  c->ns[t].enabled = true;
  c->ns[t].path = path && *path ? take_ptr (&path) : NULL;
  return 0;
}

static int
parse_namespaces (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  json_t *a = NULL, *e;
  size_t i;

  if (get_array (p, lx, "linux", "namespaces", &a) < 0)
    return -1;
  json_array_foreach (a, i, e) if (parse_namespace (p, e, i, c) < 0) return -1;
  return 0;
}

static int
parse_id_map (const struct pctx *p, json_t *e, const char *at, struct cfg_id_map *m)
{
  long long cid = 0, hid = 0, size = 0;

  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if (required (p, at, "containerID", get_int (p, e, at, "containerID", 0, U32_MAX, &cid)) < 0
      || required (p, at, "hostID", get_int (p, e, at, "hostID", 0, U32_MAX, &hid)) < 0
      || required (p, at, "size", get_int (p, e, at, "size", 1, U32_MAX, &size)) < 0)
    return -1;
  if (cid + size > U32_MAX + 1 || hid + size > U32_MAX + 1)
    return bad (p, at, "size", "range goes past 4294967295");
  m->container_id = (uint32_t) cid;
  m->host_id = (uint32_t) hid;
  m->size = (uint32_t) size;
  return 0;
}

/* obj.key (linux.uidMappings, mounts[3].gidMappings): ctx names obj in messages. */
static int
parse_id_maps (const struct pctx *p, json_t *obj, const char *ctx, const char *key, struct cfg_id_map **maps, size_t *n)
{
  char at[AT_LEN];
  json_t *a = NULL, *e;
  size_t i;
  int r = get_array (p, obj, ctx, key, &a);

  if (r <= 0)
    return r;
  if ((*maps = alloc_elems (json_array_size (a), sizeof **maps)) == NULL)
    return oom (p);
  *n = json_array_size (a);
  json_array_foreach (a, i, e)
  {
    snprintf (at, sizeof at, "%s.%s[%zu]", ctx, key, i);
    if (parse_id_map (p, e, at, &(*maps)[i]) < 0)
      return -1;
  }
  return 0;
}

static int
parse_time_offset (const struct pctx *p, json_t *o, const char *clock, struct cfg_time_offset *t)
{
  char at[AT_LEN];
  long long secs = 0, nsecs = 0;

  snprintf (at, sizeof at, "linux.timeOffsets.%s", clock);
  if (json_is_null (o))
    return 0;
  if (!json_is_object (o))
    return bad (p, at, NULL, "must be an object");
  if (get_int (p, o, at, "secs", INT64_MIN, INT64_MAX, &secs) < 0
      || get_int (p, o, at, "nanosecs", 0, 999999999, &nsecs) < 0)
    return -1;
  t->set = true;
  t->secs = secs;
  t->nanosecs = (uint32_t) nsecs;
  return 0;
}

static int
parse_time_offsets (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  json_t *o = NULL, *v;
  const char *k;

  if (get_object (p, lx, "linux", "timeOffsets", &o) < 0)
    return -1;
  json_object_foreach (o, k, v)
  {
    struct cfg_time_offset *t = strcmp (k, "monotonic") == 0  ? &c->time_monotonic
                                : strcmp (k, "boottime") == 0 ? &c->time_boottime
                                                              : NULL;
    if (t == NULL)
      return bad (p, "linux.timeOffsets", k, "unknown clock (expected \"monotonic\" or \"boottime\")");
    if (parse_time_offset (p, v, k, t) < 0)
      return -1;
  }
  return 0;
}

/* ---- linux: devices, sysctl, paths -------------------------------------------------------- */

static int
parse_device_numbers (const struct pctx *p, json_t *e, const char *at, struct cfg_device *d)
{
  long long maj = 0, min = 0, mode = 0666, uid = 0, gid = 0;
  int r, need = d->type != 'p'; /* a FIFO has no device numbers */
  int rm = 0, ru = 0, rg = 0;

  if ((r = get_int (p, e, at, "major", 0, U32_MAX, &maj)) < 0 || (need && required (p, at, "major", r) < 0)
      || (r = get_int (p, e, at, "minor", 0, U32_MAX, &min)) < 0 || (need && required (p, at, "minor", r) < 0)
      || (rm = get_int (p, e, at, "fileMode", 0, U32_MAX, &mode)) < 0
      || (ru = get_int (p, e, at, "uid", 0, ID_MAX, &uid)) < 0 || (rg = get_int (p, e, at, "gid", 0, ID_MAX, &gid)) < 0)
    return -1;
  d->major = maj;
  d->minor = min;
  d->has_mode = rm > 0;
  d->mode = (mode_t) (mode & 07777); /* some generators add the S_IFCHR type bits: keep the permissions */
  d->has_uid = ru > 0;
  d->uid = (uid_t) uid;
  d->has_gid = rg > 0;
  d->gid = (gid_t) gid;
  return 0;
}

static int
parse_device (const struct pctx *p, json_t *e, size_t i, struct cfg_device *d)
{
  char at[AT_LEN];
  cleanup_free char *type = NULL;

  snprintf (at, sizeof at, "linux.devices[%zu]", i);
  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if (required (p, at, "path", get_string (p, e, at, "path", &d->path)) < 0
      || required (p, at, "type", get_string (p, e, at, "type", &type)) < 0)
    return -1;
  if (*d->path != '/')
    return bad (p, at, "path", "must be an absolute path");
  /* runc joins the path onto the rootfs (filepath.Join cleans it): "/dev/fuse/" is /dev/fuse */
  for (size_t n = strlen (d->path); n > 1 && d->path[n - 1] == '/'; n--)
    d->path[n - 1] = '\0';
  if (strcmp (d->path, "/") == 0)
    return bad (p, at, "path", "names no file (`/`)");
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    return bad (p, at, "type", "unknown device type \"%s\" (expected c, b, u or p)", type);
  d->type = type[0];
  return parse_device_numbers (p, e, at, d);
}

static int
parse_devices (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  json_t *a = NULL, *e;
  size_t i;
  int r = get_array (p, lx, "linux", "devices", &a);

  if (r <= 0)
    return r;
  if ((c->devices = alloc_elems (json_array_size (a), sizeof *c->devices)) == NULL)
    return oom (p);
  c->n_devices = json_array_size (a);
  json_array_foreach (a, i, e) if (parse_device (p, e, i, &c->devices[i]) < 0) return -1;
  return 0;
}

/* "net.ipv4.ip_forward" or "net/ipv4/conf/eth0.100/forwarding": components between '.' or '/'
 * must be non-empty, which also keeps ".." and absolute paths out of /proc/sys. */
static bool
sysctl_key_ok (const char *k)
{
  size_t n = strlen (k);

  if (n == 0 || n > SYSCTL_KEY_MAX || strchr ("./", k[0]) || strchr ("./", k[n - 1]))
    return false;
  for (size_t i = 1; i < n; i++)
    if (strchr ("./", k[i]) && strchr ("./", k[i - 1]))
      return false;
  return true;
}

static int
parse_sysctl (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  json_t *o = NULL, *v;
  const char *k;
  size_t i = 0;
  int r = get_object (p, lx, "linux", "sysctl", &o);

  if (r <= 0)
    return r;
  if ((c->sysctls = alloc_elems (json_object_size (o), sizeof *c->sysctls)) == NULL)
    return oom (p);
  json_object_foreach (o, k, v)
  {
    struct cfg_sysctl *s = &c->sysctls[i++];
    c->n_sysctls = i;
    if (!sysctl_key_ok (k))
      return bad (p, "linux", "sysctl", "invalid key \"%s\"", k);
    if (!json_is_string (v))
      return bad (p, "linux.sysctl", k, "must be a string");
    if (dup_str (p, k, &s->key) < 0 || dup_str (p, json_string_value (v), &s->value) < 0)
      return -1;
  }
  return 0;
}

static int
parse_rootfs_propagation (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  cleanup_free char *s = NULL;
  int r = get_string (p, lx, "linux", "rootfsPropagation", &s);

  if (r <= 0 || *s == '\0')
    return r < 0 ? -1 : 0;
  if ((c->rootfs_propagation = propagation_from_name (s)) == 0)
    return bad (p, "linux", "rootfsPropagation", "unknown propagation \"%s\"", s);
  return 0;
}

/* maskedPaths, readonlyPaths: absolute paths, never NULL. */
static int
get_path_list (const struct pctx *p, json_t *lx, const char *key, char ***out)
{
  if (get_strv (p, lx, "linux", key, out) < 0 || ensure_strv (p, out) < 0)
    return -1;
  for (size_t i = 0; (*out)[i]; i++)
    if ((*out)[i][0] != '/')
      return bad_elem (p, "linux", key, i, "must be an absolute path");
  return 0;
}

/* Sections that only make sense together with a namespace. */
static int
check_linux (const struct pctx *p, const struct capsa_config *c)
{
  if (!c->ns[CFG_NS_USER].enabled && c->n_uid_maps > 0)
    return bad (p, "linux", "uidMappings", "given but no user namespace is configured");
  if (!c->ns[CFG_NS_USER].enabled && c->n_gid_maps > 0)
    return bad (p, "linux", "gidMappings", "given but no user namespace is configured");
  if ((c->time_monotonic.set || c->time_boottime.set) && !c->ns[CFG_NS_TIME].enabled)
    return bad (p, "linux", "timeOffsets", "given but no time namespace is configured");
  if ((c->time_monotonic.set || c->time_boottime.set) && c->ns[CFG_NS_TIME].path)
    return bad (p, "linux", "timeOffsets", "cannot be set when joining an existing time namespace");
  return 0;
}

/* ---- hooks ------------------------------------------------------------------------------- */

static int
parse_hook (const struct pctx *p, json_t *e, const char *kind, size_t i, struct cfg_hook *h)
{
  char at[AT_LEN];
  long long timeout = 0;

  snprintf (at, sizeof at, "hooks.%s[%zu]", kind, i);
  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  json_t *path = member (e, "path");
  if (!json_is_string (path) || json_string_value (path)[0] != '/')
    return bad (p, at, "path", "must be an absolute path");
  if (dup_str (p, json_string_value (path), &h->path) < 0 || get_strv (p, e, at, "args", &h->args) < 0
      || get_strv (p, e, at, "env", &h->env) < 0)
    return -1;
  json_t *t = member (e, "timeout");
  if (t && (!json_is_integer (t) || json_integer_value (t) <= 0 || json_integer_value (t) > INT_MAX))
    return bad (p, at, "timeout", "must be a positive integer (seconds)");
  if (t)
    timeout = json_integer_value (t);
  h->timeout = (int) timeout;
  return 0;
}

static int
parse_hook_list (const struct pctx *p, json_t *list, const char *kind, struct cfg_hook_list *l)
{
  json_t *e;
  size_t i;

  if (!json_is_array (list))
    return bad (p, "hooks", kind, "must be an array");
  if ((l->hooks = alloc_elems (json_array_size (list), sizeof *l->hooks)) == NULL)
    return oom (p);
  l->n = json_array_size (list);
  json_array_foreach (list, i, e) if (parse_hook (p, e, kind, i, &l->hooks[i]) < 0) return -1;
  return 0;
}

static int
parse_hooks (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  json_t *hooks = NULL, *list;
  const char *kind;
  int r = get_object (p, doc, NULL, "hooks", &hooks);

  if (r <= 0)
    return r;
  json_object_foreach (hooks, kind, list)
  {
    int k = 0;
    while (k < CFG_HOOK_COUNT && strcmp (kind, hook_kinds[k]) != 0)
      k++;
    if (k == CFG_HOOK_COUNT)
      return bad (p, "hooks", kind, "unknown kind of hook");
    if (json_is_null (list))
      continue;
    if (parse_hook_list (p, list, kind, &c->hooks[k]) < 0)
      return -1;
  }
  return 0;
}

/* ---- linux.seccomp: shapes here, names (actions, architectures, operators) in seccomp_filter.c */

#define ERRNO_MAX 4095

static int
parse_seccomp_arg (const struct pctx *p, json_t *e, const char *at, struct cfg_seccomp_arg *a)
{
  long long index = 0, v = 0, v2 = 0;
  int r;

  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if ((r = get_int (p, e, at, "index", 0, 5, &index)) < 0 || required (p, at, "index", r) < 0
      || (r = get_int (p, e, at, "value", INT64_MIN, INT64_MAX, &v)) < 0 || required (p, at, "value", r) < 0
      || (r = get_int (p, e, at, "valueTwo", INT64_MIN, INT64_MAX, &v2)) < 0 || get_string (p, e, at, "op", &a->op) < 0)
    return -1;
  a->index = (unsigned) index;
  a->value = (uint64_t) v;
  a->has_value_two = r > 0;
  a->value_two = (uint64_t) v2;
  return 0;
}

static int
parse_seccomp_args (const struct pctx *p, json_t *e, const char *at, struct cfg_seccomp_rule *rule)
{
  char where[AT_LEN + 32];
  json_t *a = NULL, *arg;
  size_t i;
  int r = get_array (p, e, at, "args", &a);

  if (r <= 0)
    return r;
  if (json_array_size (a) > 6)
    return bad (p, at, "args", "at most 6 conditions");
  if ((rule->args = alloc_elems (json_array_size (a), sizeof *rule->args)) == NULL)
    return oom (p);
  rule->n_args = json_array_size (a);
  json_array_foreach (a, i, arg)
  {
    snprintf (where, sizeof where, "%s.args[%zu]", at, i);
    if (parse_seccomp_arg (p, arg, where, &rule->args[i]) < 0)
      return -1;
  }
  return 0;
}

static int
parse_seccomp_rule (const struct pctx *p, json_t *e, size_t i, struct cfg_seccomp_rule *rule)
{
  char at[AT_LEN];
  long long en = 0;
  int r;

  snprintf (at, sizeof at, "linux.seccomp.syscalls[%zu]", i);
  if (!json_is_object (e))
    return bad (p, at, NULL, "must be an object");
  if ((r = get_strv (p, e, at, "names", &rule->names)) < 0)
    return -1;
  if (r == 0)
    return bad (p, at, "names", "must be an array of syscall names");
  if (required (p, at, "action", get_string (p, e, at, "action", &rule->action)) < 0
      || (r = get_int (p, e, at, "errnoRet", 0, ERRNO_MAX, &en)) < 0)
    return -1;
  rule->has_errno_ret = r > 0;
  rule->errno_ret = (int) en;
  return parse_seccomp_args (p, e, at, rule);
}

static int
parse_seccomp_rules (const struct pctx *p, json_t *o, struct cfg_seccomp *sc)
{
  json_t *a = NULL, *e;
  size_t i;
  int r = get_array (p, o, "linux.seccomp", "syscalls", &a);

  if (r <= 0)
    return r;
  if ((sc->syscalls = alloc_elems (json_array_size (a), sizeof *sc->syscalls)) == NULL)
    return oom (p);
  sc->n_syscalls = json_array_size (a);
  json_array_foreach (a, i, e) if (parse_seccomp_rule (p, e, i, &sc->syscalls[i]) < 0) return -1;
  return 0;
}

static int
parse_seccomp (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  const char *at = "linux.seccomp";
  json_t *o = NULL;
  long long en = 0;
  int r = get_object (p, lx, "linux", "seccomp", &o);

  if (r <= 0)
    return r;
  struct cfg_seccomp *sc = c->seccomp = calloc (1, sizeof *c->seccomp);
  if (sc == NULL)
    return oom (p);
  if (required (p, at, "defaultAction", get_string (p, o, at, "defaultAction", &sc->default_action)) < 0
      || (r = get_int (p, o, at, "defaultErrnoRet", 0, ERRNO_MAX, &en)) < 0
      || get_strv (p, o, at, "architectures", &sc->architectures) < 0 || ensure_strv (p, &sc->architectures) < 0
      || get_strv (p, o, at, "flags", &sc->flags) < 0 || ensure_strv (p, &sc->flags) < 0
      || get_string (p, o, at, "listenerPath", &sc->listener_path) < 0
      || get_string (p, o, at, "listenerMetadata", &sc->listener_metadata) < 0)
    return -1;
  sc->has_default_errno = r > 0;
  sc->default_errno = (int) en;
  return parse_seccomp_rules (p, o, sc);
}

/* ---- linux.resources: config_resources.c, shared with `update` ------------------------- */

/* Checked and typed here so that a wrong value fails before anything is created. */
static int
parse_resources (const struct pctx *p, json_t *lx, struct capsa_config *c)
{
  cleanup_err capsa_err *e = NULL;
  if (cfg_parse_resources (member (lx, "resources"), "linux.resources", &c->resources, &e) < 0)
    return e->errnum == ENOMEM ? oom (p) : bad (p, NULL, NULL, "%s", e->msg);
  return 0;
}

static int
parse_linux (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  json_t *lx = NULL;

  if (get_object (p, doc, NULL, "linux", &lx) < 0 || parse_namespaces (p, lx, c) < 0
      || parse_id_maps (p, lx, "linux", "uidMappings", &c->uid_maps, &c->n_uid_maps) < 0
      || parse_id_maps (p, lx, "linux", "gidMappings", &c->gid_maps, &c->n_gid_maps) < 0
      || parse_time_offsets (p, lx, c) < 0 || parse_devices (p, lx, c) < 0 || parse_sysctl (p, lx, c) < 0
      || get_string (p, lx, "linux", "cgroupsPath", &c->cgroups_path) < 0 || parse_rootfs_propagation (p, lx, c) < 0
      || get_path_list (p, lx, "maskedPaths", &c->masked_paths) < 0
      || get_path_list (p, lx, "readonlyPaths", &c->readonly_paths) < 0
      || get_string (p, lx, "linux", "mountLabel", &c->mount_label) < 0 || parse_seccomp (p, lx, c) < 0)
    return -1;
  return check_linux (p, c);
}

/* ---- what would reach the host: sysctls, mounts over /proc ------------------------------- */

/* runc's canonical form: a key written with '/' first ("net/ipv4/conf/eth0.100/forwarding") has
 * its '.' and '/' swapped ("net.ipv4.conf.eth0/100.forwarding"); a dotted key stays as it is. */
static void
sysctl_dotted (const char *key, char out[SYSCTL_KEY_MAX + 1])
{
  size_t first = strcspn (key, "./");
  bool swap = key[first] == '/';
  size_t i = 0;

  for (; key[i] && i < SYSCTL_KEY_MAX; i++)
    out[i] = !swap ? key[i] : key[i] == '.' ? '/' : key[i] == '/' ? '.' : key[i];
  out[i] = '\0';
}

int
cfg_sysctl_relpath (const char *key, char *out, size_t len)
{
  char k[SYSCTL_KEY_MAX + 1];

  if (strlen (key) > SYSCTL_KEY_MAX || len < strlen (key) + 1)
    return -1;
  sysctl_dotted (key, k);
  for (size_t i = 0;; i++)
    {
      out[i] = k[i] == '.' ? '/' : k[i] == '/' ? '.' : k[i];
      if (k[i] == '\0')
        return 0;
    }
}

/* The sysctls that are per namespace (runc's list, libcontainer/configs/validate): the SysV IPC
 * limits and POSIX mqueues per ipc namespace, net.* per network namespace, the two names per uts
 * namespace.  Everything else under /proc/sys is the host's. */
int
cfg_sysctl_namespace (const char *key)
{
  static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",
                                     "kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni" };
  char k[SYSCTL_KEY_MAX + 1];

  if (strlen (key) > SYSCTL_KEY_MAX)
    return -1;
  sysctl_dotted (key, k);
  for (size_t i = 0; i < N_ELEMS (ipc); i++)
    if (strcmp (k, ipc[i]) == 0)
      return CFG_NS_IPC;
  if (strncmp (k, "fs.mqueue.", 10) == 0)
    return CFG_NS_IPC;
  if (strncmp (k, "net.", 4) == 0)
    return CFG_NS_NETWORK;
  if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
    return CFG_NS_UTS;
  return -1;
}

/* Does the container keep the runtime's own namespace of this type ("host" means the caller's,
 * as in runc)?  Not listed: yes.  Joined by path: when the path is the runtime's namespace (runc
 * checks this for net; capsa for ipc and uts too, since the same write would reach the host).
 * A path that cannot be stat'ed is not judged here: joining it fails at create, and the spawn
 * guard compares the namespaces again after the join (and exec re-reads a saved config whose
 * path may be gone by then). */
static bool
ns_is_runtimes (const struct capsa_config *c, int t)
{
  char self[64];
  struct stat a, b;

  if (!c->ns[t].enabled)
    return true;
  if (c->ns[t].path == NULL)
    return false;
  snprintf (self, sizeof self, "/proc/self/ns/%s", ns_table[t].proc);
  if (stat (self, &a) < 0 || stat (c->ns[t].path, &b) < 0)
    return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* kernel.hostname beside `hostname` (or domainname beside `domainname`): two values for one name.
 * runc refuses kernel.hostname always; capsa only when the field is set too, since with a uts
 * namespace of its own the sysctl is as harmless as the field. */
static bool
sysctl_conflicts (const struct capsa_config *c, const char *key, const char **field)
{
  char k[SYSCTL_KEY_MAX + 1];

  sysctl_dotted (key, k);
  *field = strcmp (k, "kernel.hostname") == 0 ? "hostname" : "domainname";
  if (strcmp (k, "kernel.hostname") == 0)
    return c->hostname != NULL;
  return strcmp (k, "kernel.domainname") == 0 && c->domainname != NULL;
}

/* Only namespaced sysctls, each only with a namespace of its own: a write to any other one (a
 * kernel.core_pattern pipe runs a program as host root at the next crash) changes the host. */
static int
check_sysctls (const struct pctx *p, const struct capsa_config *c)
{
  for (size_t i = 0; i < c->n_sysctls; i++)
    {
      const char *key = c->sysctls[i].key, *field;
      int t = cfg_sysctl_namespace (key);
      if (t < 0)
        return bad (p, "linux", "sysctl", "`%s` is not namespaced: refused (it would change the host)", key);
      if (ns_is_runtimes (c, t))
        return bad (p, "linux", "sysctl",
                    "`%s` needs the container's own %s namespace (the config %s the host's): refused, it would "
                    "change the host",
                    key, ns_table[t].name, c->ns[t].enabled ? "joins" : "shares");
      if (t == CFG_NS_UTS && sysctl_conflicts (c, key, &field))
        return bad (p, "linux", "sysctl", "`%s` conflicts with the config's `%s`: set one of them", key, field);
    }
  return 0;
}

/* The files under /proc that lxcfs emulates and bind-mounts (runc's checkProcMount list). */
static const char *const proc_mount_files[] = {
  "/proc/cpuinfo",
  "/proc/diskstats",
  "/proc/meminfo",
  "/proc/stat",
  "/proc/swaps",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/slabinfo",
  "/proc/sys/kernel/ns_last_pid",
  "/proc/sys/crypto/fips_enabled",
};

/* path with "//", "." and ".." folded away (".." stops at "/", as inside the rootfs). */
static void
clean_path (const char *path, char *out, size_t len)
{
  size_t n = 0;

  for (const char *s = path; *s;)
    {
      size_t w = strcspn (s, "/");
      if ((w == 1 && s[0] == '.') || w == 0)
        ;
      else if (w == 2 && s[0] == '.' && s[1] == '.')
        while (n > 0 && out[--n] != '/')
          ;
      else if (n + 1 + w < len)
        {
          out[n++] = '/';
          memcpy (out + n, s, w);
          n += w;
        }
      s += w + (s[w] == '/');
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
}

int
cfg_proc_mount_allowed (const char *destination, bool is_proc)
{
  char d[PATH_MAX];

  clean_path (destination, d, sizeof d);
  if (strcmp (d, "/proc") == 0)
    return is_proc ? 1 : 0;
  if (strncmp (d, "/proc/", 6) != 0)
    return -1;
  for (size_t i = 0; i < N_ELEMS (proc_mount_files); i++)
    if (strcmp (d, proc_mount_files[i]) == 0)
      return 1;
  return 0;
}

/* A mount at /proc must be a procfs (type proc, or a bind of a procfs: runc allows both), and
 * nothing may be mounted under /proc but binds onto the lxcfs files: a host directory over /proc
 * would make every later /proc write (sysctls, oom_score_adj) land in it. */
static int
check_proc_mounts (const struct pctx *p, const struct capsa_config *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct cfg_mount *m = &c->mounts[i];
      struct statfs sf;
      char at[AT_LEN];
      bool is_proc = m->type && strcmp (m->type, "proc") == 0 && !m->is_bind;

      if (m->is_bind && m->source && statfs (m->source, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
        is_proc = true;
      char d[PATH_MAX];
      snprintf (at, sizeof at, "mounts[%zu]", i);
      clean_path (m->destination, d, sizeof d);
      int r = cfg_proc_mount_allowed (d, is_proc);
      if (r == 0 && strcmp (d, "/proc") == 0)
        return bad (p, at, "destination", "`%s` is not a procfs (%s): refused, /proc must be a proc mount",
                    m->destination,
                    m->is_bind ? "a bind mount"
                    : m->type  ? m->type
                               : "no type");
      if (r == 0)
        return bad (p, at, "destination",
                    "`%s` is inside /proc: refused (only binds onto the files lxcfs emulates, such as "
                    "/proc/cpuinfo, may go there)",
                    m->destination);
    }
  return 0;
}

/* ---- entry points ------------------------------------------------------------------------ */

/* jansson integers are signed 64-bit, so RLIM_INFINITY written out in full (docker --ulimit
 * core=-1 writes 18446744073709551615) would be a syntax error.  Outside strings, rewrite exactly
 * that literal as -1 padded with spaces, which keeps every line and column number right; the
 * rlimit values read -1 as unlimited. */
static void
rewrite_infinity (char *s, size_t len)
{
  static const char inf[] = "18446744073709551615";
  const size_t n = sizeof inf - 1;
  bool in_string = false;

  for (size_t i = 0; i < len; i++)
    {
      if (in_string)
        {
          if (s[i] == '\\')
            i++;
          else if (s[i] == '"')
            in_string = false;
          continue;
        }
      if (s[i] == '"')
        {
          in_string = true;
          continue;
        }
      if (s[i] != '-' && (s[i] < '0' || s[i] > '9'))
        continue;
      size_t j = i;
      while (j < len && s[j] && strchr ("0123456789+-.eE", s[j]))
        j++;
      if (j - i == n && memcmp (s + i, inf, n) == 0)
        {
          memcpy (s + i, "-1", 2);
          memset (s + i + 2, ' ', n - 2);
        }
      i = j - 1;
    }
}

static int
parse_document (const struct pctx *p, json_t *doc, struct capsa_config *c)
{
  if (!json_is_object (doc))
    return bad (p, NULL, NULL, "must be a JSON object");
  if (parse_top (p, doc, c) < 0 || parse_root (p, doc, c) < 0 || parse_mounts (p, doc, c) < 0
      || parse_process (p, doc, c) < 0 || parse_linux (p, doc, c) < 0
      || parse_resources (p, json_object_get (doc, "linux"), c) < 0 || parse_hooks (p, doc, c) < 0
      || parse_annotations (p, doc, c) < 0 || ensure_strv (p, &c->masked_paths) < 0
      || ensure_strv (p, &c->readonly_paths) < 0)
    return -1;
  if (check_sysctls (p, c) < 0 || check_proc_mounts (p, c) < 0)
    return -1;
  return 0;
}

static json_t *
load_json (const struct pctx *p, const char *json, size_t len)
{
  cleanup_free char *copy = NULL;
  json_error_t je;
  json_t *doc;

  if (memmem (json, len, "18446744073709551615", 20))
    {
      if ((copy = malloc (len)) == NULL)
        {
          oom (p);
          return NULL;
        }
      memcpy (copy, json, len);
      rewrite_infinity (copy, len);
      json = copy;
    }
  doc = json_loadb (json, len, JSON_REJECT_DUPLICATES, &je);
  if (doc == NULL)
    capsa_fail (p->err, 0, "%s: line %d, column %d: %s", p->name, je.line, je.column, je.text);
  return doc;
}

int
cfg_parse_json (json_t *doc, const char *name, struct capsa_config **out, capsa_err **err)
{
  const struct pctx p = { .name = name ? name : "config.json", .err = err };
  cleanup_config struct capsa_config *c = NULL;

  if ((c = calloc (1, sizeof *c)) == NULL)
    return oom (&p);
  if (parse_document (&p, doc, c) < 0)
    return -1;
  *out = take_ptr (&c);
  return 0;
}

int
cfg_parse_string (const char *json, size_t len, const char *name, struct capsa_config **out, capsa_err **err)
{
  const struct pctx p = { .name = name ? name : "config.json", .err = err };

  if (json == NULL)
    return capsa_fail (err, EINVAL, "%s: no data", p.name);
  json_t *doc = load_json (&p, json, len);
  if (doc == NULL)
    return -1;
  int r = cfg_parse_json (doc, p.name, out, err);
  json_decref (doc);
  return r;
}

int
cfg_parse_process_string (const char *json, size_t len, const char *name, struct cfg_process **out, capsa_err **err)
{
  const struct pctx p = { .name = name ? name : "process.json", .err = err };
  struct capsa_config c = { 0 };
  json_t *proc = load_json (&p, json, len);
  if (proc == NULL)
    return -1;
  json_t *doc = json_pack ("{s:o}", "process", proc);
  int r = doc ? parse_process (&p, doc, &c) : oom (&p);
  json_decref (doc);
  if (r < 0 || c.process == NULL)
    {
      cfg_process_free (c.process);
      return r < 0 ? -1 : bad (&p, NULL, NULL, "must be a JSON object (a runtime-spec process)");
    }
  *out = c.process;
  return 0;
}

/* The whole file in memory (NUL-terminated, for convenience). */
static int
read_all (int fd, const char *path, char **buf, size_t *len, capsa_err **err)
{
  cleanup_free char *b = NULL;
  size_t cap = 0, n = 0;

  for (;;)
    {
      if (n + 1 >= cap)
        {
          char *nb;
          if (cap >= CONFIG_MAX_SIZE)
            return capsa_fail (err, EFBIG, "read config file %s", path);
          cap = cap ? cap * 2 : 16384;
          if ((nb = realloc (b, cap)) == NULL)
            return capsa_fail (err, ENOMEM, "read config file %s", path);
          b = nb;
        }
      ssize_t r = read (fd, b + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return capsa_fail (err, errno, "read config file %s", path);
      if (r == 0)
        break;
      n += (size_t) r;
    }
  b[n] = '\0';
  *len = n;
  *buf = take_ptr (&b);
  return 0;
}

int
cfg_parse_file (const char *path, struct capsa_config **out, capsa_err **err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0;

  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
    return capsa_fail (err, errno, "open config file %s", path);
  if (read_all (fd, path, &buf, &len, err) < 0)
    return -1;
  return cfg_parse_string (buf, len, path, out, err);
}

/* capsa/runtime.h's name for it (front ends release the config capsa_ctr_create parsed) */
void capsa_config_free (struct capsa_config *c) __attribute__ ((alias ("cfg_free"), visibility ("default")));
