/* linux.seccomp with libseccomp: see seccomp.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <seccomp.h>

#include "seccomp_filter.h"
#include "sync.h"
#include "util.h"

static const struct
{
  const char *name;
  uint32_t action; /* without errno/trace data */
} actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0) },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0) },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The action `name` with its errno (ERRNO and TRACE carry data), or -1 with err. */
static int
parse_action (const char *name, int errno_ret, const char *what, uint32_t *out, bool *notify, capsa_err **err)
{
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    if (strcmp (name, actions[i].name) == 0)
      {
        *out = actions[i].action;
        if (actions[i].action == SCMP_ACT_ERRNO (0))
          *out = SCMP_ACT_ERRNO ((uint16_t) errno_ret);
        else if (actions[i].action == SCMP_ACT_TRACE (0))
          *out = SCMP_ACT_TRACE ((uint16_t) errno_ret);
        if (actions[i].action == SCMP_ACT_NOTIFY)
          *notify = true;
        return 0;
      }
  /* (-1 spelled out: with it the compiler sees that *out is set whenever this succeeds) */
  capsa_fail_as (err, EINVAL, "%s: unknown action `%s`", what, name);
  return -1;
}

static int
add_arches (scmp_filter_ctx ctx, char **arches, capsa_err **err)
{
  for (size_t i = 0; arches[i]; i++)
    {
      const char *name = arches[i];
      char lower[32];
      size_t k = 0;
      if (strncmp (name, "SCMP_ARCH_", 10) != 0)
        return capsa_fail_as (err, EINVAL, "linux.seccomp.architectures[%zu]: expected SCMP_ARCH_*", i);
      for (const char *s = name + 10; *s && k < sizeof lower - 1; s++)
        lower[k++] = (char) tolower ((unsigned char) *s);
      lower[k] = '\0';
      uint32_t arch = seccomp_arch_resolve_name (lower);
      if (arch == 0)
        return capsa_fail_as (err, EINVAL, "linux.seccomp.architectures[%zu]: unknown architecture `%s`", i, name);
      int r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        return capsa_fail (err, -r, "linux.seccomp.architectures[%zu]: add `%s`", i, name);
    }
  return 0;
}

/* With ctx: set libseccomp's attributes; without: collect seccomp(2) flag bits in *bits. */
static int
set_flags (scmp_filter_ctx ctx, char **flags, unsigned *bits, capsa_err **err)
{
  for (size_t i = 0; flags[i]; i++)
    {
      const char *name = flags[i];
      enum scmp_filter_attr attr;
      if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
        attr = SCMP_FLTATR_CTL_LOG;
      else if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        attr = SCMP_FLTATR_CTL_SSB;
      else if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        attr = SCMP_FLTATR_CTL_TSYNC;
      else if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        return capsa_fail_as (err, ENOTSUP, "linux.seccomp.flags[%zu]: %s needs libseccomp 2.6 (this build has %u.%u)",
                              i, name, seccomp_version ()->major, seccomp_version ()->minor);
      else
        return capsa_fail_as (err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag `%s`", i, name);
      if (ctx)
        {
          int r = seccomp_attr_set (ctx, attr, 1);
          if (r < 0)
            return capsa_fail (err, -r, "linux.seccomp.flags[%zu]: %s", i, name);
        }
      else
        *bits |= attr == SCMP_FLTATR_CTL_LOG   ? SECCOMP_FILTER_FLAG_LOG
                 : attr == SCMP_FLTATR_CTL_SSB ? SECCOMP_FILTER_FLAG_SPEC_ALLOW
                                               : SECCOMP_FILTER_FLAG_TSYNC;
    }
  return 0;
}

/* The rule's conditions for libseccomp (config.c checked the indexes and the count). */
static int
parse_args (const struct cfg_seccomp_rule *rule, const char *what, struct scmp_arg_cmp *cmp, bool *same_index,
            capsa_err **err)
{
  unsigned seen = 0;
  *same_index = false;
  for (size_t i = 0; i < rule->n_args; i++)
    {
      const struct cfg_seccomp_arg *a = &rule->args[i];
      size_t k;
      for (k = 0; k < ARRAY_SIZE (operators); k++)
        if (a->op && strcmp (a->op, operators[k].name) == 0)
          break;
      if (k == ARRAY_SIZE (operators))
        return capsa_fail_as (err, EINVAL, "%s.args[%zu].op: unknown operator `%s`", what, i, a->op ? a->op : "(none)");
      if (seen & (1u << a->index))
        *same_index = true;
      seen |= 1u << a->index;
      cmp[i] = (struct scmp_arg_cmp){ .arg = a->index,
                                      .op = operators[k].op,
                                      .datum_a = (scmp_datum_t) a->value,
                                      .datum_b = a->has_value_two ? (scmp_datum_t) a->value_two : 0 };
    }
  return 0;
}

/* One syscalls[] entry: every name, with its action and conditions. */
static int
add_syscall_rule (scmp_filter_ctx ctx, const struct cfg_seccomp_rule *rule, size_t i, uint32_t default_action,
                  int default_errno, bool *notify, capsa_err **err)
{
  char what[64];
  uint32_t action;
  struct scmp_arg_cmp cmp[6];
  size_t ncmp = rule->n_args;
  bool same_index;

  snprintf (what, sizeof what, "linux.seccomp.syscalls[%zu]", i);
  if (parse_action (rule->action, rule->has_errno_ret ? rule->errno_ret : default_errno, what, &action, notify, err) < 0
      || parse_args (rule, what, cmp, &same_index, err) < 0)
    return -1;
  if (action == default_action)
    return 0; /* libseccomp refuses a rule that changes nothing */
  for (size_t k = 0; rule->names[k]; k++)
    {
      const char *name = rule->names[k];
      int nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        continue; /* unknown here: skipped like runc */
      int r;
      if (!same_index)
        r = seccomp_rule_add_array (ctx, action, nr, (unsigned) ncmp, cmp);
      else /* libseccomp ANDs conditions and refuses two on one argument: one rule each (an OR) */
        {
          r = 0;
          for (size_t c = 0; c < ncmp && r == 0; c++)
            r = seccomp_rule_add_array (ctx, action, nr, 1, &cmp[c]);
        }
      if (r < 0)
        return capsa_fail (err, -r, "%s: add a rule for `%s`", what, name);
    }
  return 0;
}

static int build_filter (const struct cfg_seccomp *sc, struct seccomp_plan *plan, capsa_err **err);

/* ---- the compiled-program cache ---- */

#define CACHE_MAGIC "capsa-seccomp-bpf 1\n"
#define CACHE_MAX_ENTRIES 64

/* What the program depends on: the profile (canonical JSON), libseccomp's version, the machine. */
static char *
cache_key (const struct cfg_seccomp *sc)
{
  json_t *j = cfg_seccomp_to_json (sc);
  cleanup_free char *canon = j ? json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref (j);
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;
  uname (&u);
  return xasprintf ("%s\nlibseccomp %u.%u.%u %s\n", canon ? canon : "", v->major, v->minor, v->micro, u.machine);
}

static uint64_t
fnv1a (const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ULL;
  return h;
}

static char *
cache_path (const char *dir, const char *key)
{
  return xasprintf ("%s/%016llx.bpf", dir, (unsigned long long) fnv1a (key));
}

/* A hit: the file holds exactly this key, then the program. */
static bool
cache_read (const char *dir, const char *key, struct seccomp_plan *plan)
{
  cleanup_free char *path = cache_path (dir, key), *buf = NULL;
  size_t len = 0, head = strlen (CACHE_MAGIC) + strlen (key);
  if (read_file_at (AT_FDCWD, path, &buf, &len, NULL) < 0 || len <= head || (len - head) % sizeof (struct sock_filter)
      || memcmp (buf, CACHE_MAGIC, strlen (CACHE_MAGIC)) != 0 || memcmp (buf + strlen (CACHE_MAGIC), key, strlen (key)))
    return false;
  plan->bpf_len = len - head;
  plan->bpf = xmalloc0 (plan->bpf_len);
  memcpy (plan->bpf, buf + head, plan->bpf_len);
  return true;
}

/* Keep the cache small: past CACHE_MAX_ENTRIES, drop the least recently written. */
static void
cache_trim (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  char oldest[NAME_MAX + 1] = "";
  time_t when = 0;
  int n = 0;
  while (d && (de = readdir (d)))
    {
      struct stat st;
      if (de->d_name[0] == '.' || fstatat (dirfd (d), de->d_name, &st, 0) < 0)
        continue;
      n++;
      if (!*oldest || st.st_mtime < when)
        {
          snprintf (oldest, sizeof oldest, "%s", de->d_name);
          when = st.st_mtime;
        }
    }
  if (n > CACHE_MAX_ENTRIES && *oldest)
    unlinkat (dirfd (d), oldest, 0);
}

static void
cache_write (const char *dir, const char *key, const struct seccomp_plan *plan)
{
  if (mkdir_p (dir, 0700, NULL) < 0) /* the runtime root itself may not exist yet */
    return;
  cleanup_free char *path = cache_path (dir, key);
  size_t head = strlen (CACHE_MAGIC) + strlen (key);
  cleanup_free char *buf = xmalloc0 (head + plan->bpf_len);
  memcpy (buf, CACHE_MAGIC, strlen (CACHE_MAGIC));
  memcpy (buf + strlen (CACHE_MAGIC), key, strlen (key));
  memcpy (buf + head, plan->bpf, plan->bpf_len);
  if (write_file_replace_at (AT_FDCWD, path, buf, head + plan->bpf_len, 0600, NULL) == 0)
    cache_trim (dir);
}

/* libseccomp's program, as bytes (it exports to an fd). */
static int
export_bpf (scmp_filter_ctx ctx, struct seccomp_plan *plan, capsa_err **err)
{
  cleanup_close int fd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "linux.seccomp: memfd for the compiled filter");
  int r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return capsa_fail (err, -r, "linux.seccomp: compile the filter");
  off_t len = lseek (fd, 0, SEEK_CUR);
  if (len <= 0 || lseek (fd, 0, SEEK_SET) < 0)
    return capsa_fail (err, EIO, "linux.seccomp: read the compiled filter");
  plan->bpf = xmalloc0 ((size_t) len);
  if (read (fd, plan->bpf, (size_t) len) != len)
    return capsa_fail (err, EIO, "linux.seccomp: read the compiled filter");
  plan->bpf_len = (size_t) len;
  return 0;
}

static bool
has_notify (const struct cfg_seccomp *sc)
{
  if (strcmp (sc->default_action, "SCMP_ACT_NOTIFY") == 0)
    return true;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    if (strcmp (sc->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

int
seccomp_plan_make (const struct cfg_seccomp *sc, const char *cache_dir, struct seccomp_plan *plan, capsa_err **err)
{
  if (sc == NULL || has_notify (sc))
    return build_filter (sc, plan, err);
  memset (plan, 0, sizeof *plan);
  if (set_flags (NULL, sc->flags, &plan->flags, err) < 0)
    return -1;
  unsigned flags = plan->flags;
  cleanup_free char *key = cache_key (sc);
  if (cache_dir && cache_read (cache_dir, key, plan))
    return 0;
  if (build_filter (sc, plan, err) < 0)
    return -1;
  plan->flags = flags;
  int r = export_bpf (plan->ctx, plan, err);
  seccomp_release (plan->ctx);
  plan->ctx = NULL;
  if (r < 0)
    {
      seccomp_plan_free (plan);
      return -1;
    }
  if (cache_dir)
    cache_write (cache_dir, key, plan);
  return 0;
}

/* The filter with libseccomp, from the typed profile (the names are checked here). */
static int
build_filter (const struct cfg_seccomp *sc, struct seccomp_plan *plan, capsa_err **err)
{
  uint32_t def;
  int def_errno = sc && sc->has_default_errno ? sc->default_errno : EPERM;
  bool notify = false;

  memset (plan, 0, sizeof *plan);
  if (sc == NULL)
    return 0;
  if (parse_action (sc->default_action, def_errno, "linux.seccomp.defaultAction", &def, &notify, err) < 0)
    return -1;
  scmp_filter_ctx ctx = seccomp_init (def);
  if (ctx == NULL)
    return capsa_fail_as (err, EINVAL, "linux.seccomp: libseccomp refused the default action");
  plan->ctx = ctx;
  /* no_new_privs is process.noNewPrivileges' business, not a side effect of the filter */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (add_arches (ctx, sc->architectures, err) < 0 || set_flags (ctx, sc->flags, NULL, err) < 0)
    goto fail;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    if (add_syscall_rule (ctx, &sc->syscalls[i], i, def, def_errno, &notify, err) < 0)
      goto fail;
  plan->notify = notify;
  plan->listener_path = sc->listener_path;
  plan->listener_metadata = sc->listener_metadata;
  if (notify && (plan->listener_path == NULL || *plan->listener_path == '\0'))
    {
      capsa_fail_as (err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
      goto fail;
    }
  return 0;

fail:
  seccomp_plan_free (plan);
  return -1;
}

void
seccomp_plan_free (struct seccomp_plan *plan)
{
  if (plan->ctx)
    seccomp_release (plan->ctx);
  plan->ctx = NULL;
  free (plan->bpf);
  plan->bpf = NULL;
  plan->bpf_len = 0;
}

int
seccomp_plan_load (const struct seccomp_plan *plan, int *notify_fd, capsa_err **err)
{
  *notify_fd = -1;
  if (plan->bpf)
    {
      struct sock_fprog prog = { .len = (unsigned short) (plan->bpf_len / sizeof (struct sock_filter)),
                                 .filter = plan->bpf };
      if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan->flags, &prog) < 0)
        return capsa_fail (err, errno, "load the seccomp filter");
      return 0;
    }
  if (plan->ctx == NULL)
    return 0;
  int r = seccomp_load (plan->ctx);
  if (r < 0)
    return capsa_fail (err, -r, "load the seccomp filter");
  if (plan->notify)
    {
      *notify_fd = seccomp_notify_fd (plan->ctx);
      if (*notify_fd < 0)
        return capsa_fail (err, -*notify_fd, "get the seccomp listener fd");
    }
  return 0;
}

int
seccomp_send_listener (const struct seccomp_plan *plan, int fd, pid_t pid, json_t *state, capsa_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (plan->listener_path) >= sizeof addr.sun_path)
    return capsa_fail_as (err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s` is too long", plan->listener_path);
  strcpy (addr.sun_path, plan->listener_path);
  json_t *msg = json_pack ("{s:s, s:[s], s:i, s:s, s:O}", "ociVersion", "1.2.0", "fds", "seccompFd", "pid", (int) pid,
                           "metadata", plan->listener_metadata ? plan->listener_metadata : "", "state", state);
  cleanup_free char *payload = msg ? json_dumps (msg, JSON_COMPACT) : NULL;
  json_decref (msg);
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return capsa_fail (err, errno, "connect to the seccomp listener `%s`", plan->listener_path);
  if (send_fd (sock, fd, payload ? payload : "{}") < 0)
    return capsa_fail (err, errno, "send the seccomp fd to `%s`", plan->listener_path);
  return 0;
}
