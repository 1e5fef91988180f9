/* POST /containers/create's body as struct ctr_opts: what each field becomes is in the header's
 * table.  The simple fields are data (the field tables: a key, its JSON type, where it goes in
 * ctr_opts); those capsa cannot honour are data too (the unsupported tables: refused or warned
 * when set); the rest (ports, mounts, devices, the entrypoint, the network) have a function each. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/json.h"
#include "capsa/net.h"
#include "capsa/util.h"
#include "create_body.h"

/* ---- helpers: keeping strings, typed members, warnings ------------------------------------- */

static const char *
keep_str (struct svc_strings *k, const char *s)
{
  capsa_strv_append (&k->strs, s);
  return k->strs[k->n++];
}

static const char *
keep_take (struct svc_strings *k, char *s)
{
  const char *r = keep_str (k, s);
  free (s);
  return r;
}

static void
strv_take (char ***v, char *s)
{
  capsa_strv_append (v, s);
  free (s);
}

static void warn (json_t *warnings, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
warn (json_t *warnings, const char *fmt, ...)
{
  va_list ap;
  if (warnings == NULL)
    return;
  va_start (ap, fmt);
  json_array_append_new (warnings, json_vsprintf (fmt, ap));
  va_end (ap);
}

/* sec: the path of obj with a trailing dot ("HostConfig."), "" at the top level */
static int
bad_type (const char *sec, const char *key, const char *want, json_t *v, capsa_err **err)
{
  return capsa_fail_as (err, EINVAL, "%s%s: expected %s, got %s", sec, key, want, json_kind_name (v, true));
}

/* obj[key], NULL when absent or null (obj may be NULL) */
static json_t *
member (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

/* obj[key] as an object, or NULL when absent or null; *out the object */
static int
get_obj (json_t *obj, const char *sec, const char *key, json_t **out, capsa_err **err)
{
  *out = member (obj, key);
  if (*out && !json_is_object (*out))
    return bad_type (sec, key, "an object", *out, err);
  return 0;
}

/* A string member (borrowed): NULL when absent, null or "". */
static int
get_str (json_t *obj, const char *sec, const char *key, const char **out, capsa_err **err)
{
  json_t *v = member (obj, key);
  *out = NULL;
  if (v == NULL)
    return 0;
  if (!json_is_string (v))
    return bad_type (sec, key, "a string", v, err);
  if (*json_string_value (v))
    *out = json_string_value (v);
  return 0;
}

static int
get_bool (json_t *obj, const char *sec, const char *key, bool *out, capsa_err **err)
{
  json_t *v = member (obj, key);
  *out = json_is_true (v);
  if (v && !json_is_boolean (v))
    return bad_type (sec, key, "a boolean", v, err);
  return 0;
}

/* An integer member: 0 when absent or null. */
static int
get_int (json_t *obj, const char *sec, const char *key, long long *out, capsa_err **err)
{
  json_t *v = member (obj, key);
  *out = (long long) json_integer_value (v); /* 0 when not an integer */
  if (v && !json_is_integer (v))
    return bad_type (sec, key, "an integer", v, err);
  return 0;
}

/* An array of strings appended to *out (a string alone too with slice: Go's StrSlice). */
static int
get_strv (json_t *obj, const char *sec, const char *key, bool slice, char ***out, capsa_err **err)
{
  json_t *v = member (obj, key), *s;
  size_t i;
  if (v && slice && json_is_string (v))
    {
      capsa_strv_append (out, json_string_value (v));
      return 0;
    }
  if (v && !json_is_array (v))
    return bad_type (sec, key, "an array of strings", v, err);
  json_array_foreach (v, i, s)
  {
    if (!json_is_string (s))
      return capsa_fail_as (err, EINVAL, "%s%s[%zu]: expected a string, got %s", sec, key, i, json_kind_name (s, true));
    capsa_strv_append (out, json_string_value (s));
  }
  return 0;
}

/* An object of strings appended to *out as "KEY=VALUE" (sep '='), or "PATH:OPTS" (sep ':',
 * "PATH" alone when OPTS is empty). */
static int
get_map (json_t *obj, const char *sec, const char *key, char sep, char ***out, capsa_err **err)
{
  json_t *m, *v;
  const char *k;
  if (get_obj (obj, sec, key, &m, err) < 0)
    return -1;
  json_object_foreach (m, k, v)
  {
    if (!json_is_string (v))
      return capsa_fail_as (err, EINVAL, "%s%s[%s]: expected a string, got %s", sec, key, k, json_kind_name (v, true));
    const char *s = json_string_value (v);
    strv_take (out, sep == ':' && *s == '\0' ? capsa_xstrdup (k) : capsa_xasprintf ("%s%c%s", k, sep, s));
  }
  return 0;
}

/* Whether s is one of the comma-separated list's words. */
static bool
in_list (const char *list, const char *s)
{
  size_t n = strlen (s);
  for (const char *p = list; p && *p;)
    {
      size_t w = strcspn (p, ",");
      if (w == n && strncmp (p, s, n) == 0)
        return true;
      p += w + (p[w] == ',');
    }
  return false;
}

/* ---- the simple fields, as data ------------------------------------------------------------ */

enum fkind
{
  F_STR,  /* const char * (kept) */
  F_BOOL, /* bool */
  F_INT,  /* long long, 0 or in [min, max] */
  F_STRV, /* char ** */
  F_MAP,  /* char **, of "k<sep>v" */
};

struct field
{
  const char *key;
  enum fkind kind;
  size_t off; /* in struct ctr_opts */
  long long min, max;
  char sep;
};

#define OFF(m) offsetof (struct ctr_opts, m)
static const struct field config_fields[] = {
  { "Image", F_STR, OFF (image), 0, 0, 0 },
  { "Hostname", F_STR, OFF (hostname), 0, 0, 0 },
  { "User", F_STR, OFF (user), 0, 0, 0 },
  { "WorkingDir", F_STR, OFF (workdir), 0, 0, 0 },
  { "StopSignal", F_STR, OFF (stop_signal), 0, 0, 0 },
  { "Tty", F_BOOL, OFF (tty), 0, 0, 0 },
  { "OpenStdin", F_BOOL, OFF (interactive), 0, 0, 0 },
  { "StdinOnce", F_BOOL, OFF (stdin_once), 0, 0, 0 },
  { "Env", F_STRV, OFF (env), 0, 0, 0 },
  { "Labels", F_MAP, OFF (labels), 0, 0, '=' },
  { "MacAddress", F_STR, OFF (mac_address), 0, 0, 0 },
};

/* (AutoRemove before RestartPolicy, PublishAllPorts before the ports: set_* read them) */
static const struct field host_fields[] = {
  { "AutoRemove", F_BOOL, OFF (rm), 0, 0, 0 },
  { "Privileged", F_BOOL, OFF (privileged), 0, 0, 0 },
  { "ReadonlyRootfs", F_BOOL, OFF (read_only), 0, 0, 0 },
  { "Init", F_BOOL, OFF (init), 0, 0, 0 },
  { "PublishAllPorts", F_BOOL, OFF (publish_all), 0, 0, 0 },
  { "CpusetCpus", F_STR, OFF (cpuset_cpus), 0, 0, 0 },
  { "UsernsMode", F_STR, OFF (userns), 0, 0, 0 },
  { "Memory", F_INT, OFF (memory), 0, LLONG_MAX, 0 },
  { "MemorySwap", F_INT, OFF (memory_swap), -1, LLONG_MAX, 0 },
  { "CpuShares", F_INT, OFF (cpu_shares), 0, 262144, 0 },
  { "CpuQuota", F_INT, OFF (cpu_quota), -1, LLONG_MAX / 2, 0 },
  { "CpuPeriod", F_INT, OFF (cpu_period), 1000, 1000000, 0 },
  { "PidsLimit", F_INT, OFF (pids_limit), LLONG_MIN, INT32_MAX, 0 },
  { "BlkioWeight", F_INT, OFF (blkio_weight), 10, 1000, 0 },
  { "ShmSize", F_INT, OFF (shm_size), 0, LLONG_MAX, 0 },
  { "Binds", F_STRV, OFF (volumes), 0, 0, 0 },
  { "CapAdd", F_STRV, OFF (cap_add), 0, 0, 0 },
  { "CapDrop", F_STRV, OFF (cap_drop), 0, 0, 0 },
  { "SecurityOpt", F_STRV, OFF (security_opt), 0, 0, 0 },
  { "Sysctls", F_MAP, OFF (sysctls), 0, 0, '=' },
  { "Tmpfs", F_MAP, OFF (tmpfs), 0, 0, ':' },
  /* issue 18's run flags (the engine checks the values, under the CLI's names) */
  { "PidMode", F_STR, OFF (pid_mode), 0, 0, 0 },
  { "IpcMode", F_STR, OFF (ipc_mode), 0, 0, 0 },
  { "UTSMode", F_STR, OFF (uts_mode), 0, 0, 0 },
  { "CgroupnsMode", F_STR, OFF (cgroupns_mode), 0, 0, 0 },
  { "CgroupParent", F_STR, OFF (cgroup_parent), 0, 0, 0 },
  { "CpusetMems", F_STR, OFF (cpuset_mems), 0, 0, 0 },
  { "MemoryReservation", F_INT, OFF (memory_reservation), 0, LLONG_MAX, 0 },
  { "OomKillDisable", F_BOOL, OFF (oom_kill_disable), 0, 0, 0 },
  { "VolumesFrom", F_STRV, OFF (volumes_from), 0, 0, 0 },
  { "GroupAdd", F_STRV, OFF (group_add), 0, 0, 0 },
  { "Annotations", F_MAP, OFF (annotations), 0, 0, '=' },
  /* issue 18 DNS: the engine checks them as for --dns, --dns-search, --dns-option, --add-host */
  { "Dns", F_STRV, OFF (dns), 0, 0, 0 },
  { "DnsSearch", F_STRV, OFF (dns_search), 0, 0, 0 },
  { "DnsOptions", F_STRV, OFF (dns_options), 0, 0, 0 },
  { "ExtraHosts", F_STRV, OFF (extra_hosts), 0, 0, 0 },
};
#undef OFF

static int
apply_field (const struct field *f, json_t *obj, const char *sec, struct ctr_opts *o, struct svc_strings *keep,
             capsa_err **err)
{
  char *p = (char *) o + f->off;
  const char *s;
  long long v;
  switch (f->kind)
    {
    case F_STR:
      if (get_str (obj, sec, f->key, &s, err) < 0)
        return -1;
      if (s)
        *(const char **) p = keep_str (keep, s);
      return 0;
    case F_BOOL:
      return get_bool (obj, sec, f->key, (bool *) p, err);
    case F_INT:
      if (get_int (obj, sec, f->key, &v, err) < 0)
        return -1;
      if (v != 0 && (v < f->min || v > f->max))
        return capsa_fail_as (err, EINVAL, "%s%s: %lld is out of range (%lld to %lld)", sec, f->key, v, f->min, f->max);
      *(long long *) p = v;
      return 0;
    case F_STRV:
      return get_strv (obj, sec, f->key, false, (char ***) p, err);
    case F_MAP:
      return get_map (obj, sec, f->key, f->sep, (char ***) p, err);
    default:
      return 0;
    }
}

static int
apply_fields (const struct field *fs, size_t n, json_t *obj, const char *sec, struct ctr_opts *o,
              struct svc_strings *keep, capsa_err **err)
{
  for (size_t i = 0; i < n; i++)
    if (apply_field (&fs[i], obj, sec, o, keep, err) < 0)
      return -1;
  return 0;
}

/* ---- the fields capsa cannot honour, as data ----------------------------------------------- */

enum policy
{
  REFUSE,
  WARN,
};

struct unsupported
{
  const char *key;
  enum policy policy;
  const char *why;
  const char *ok; /* comma-separated values that mean "not set" too, besides 0, "", [], {}, false */
  bool null_only; /* anything but null is set: MaskedPaths [] masks nothing */
};

static const struct unsupported config_unsupported[] = {
  { "Domainname", WARN, "capsa sets the host name only, not a domain name", NULL, false },
};

#define NOT_SUPPORTED(key, what)                                                                                       \
  {                                                                                                                    \
    key, REFUSE, what " are not supported", NULL, false                                                                \
  }
static const struct unsupported host_unsupported[] = {
  { "VolumeDriver", REFUSE, "volume drivers are not supported", "local", false },
  { "Links", REFUSE, "links are not supported (put the containers on one user-defined network)", NULL, false },
  { "Cgroup", REFUSE, "joining another container's cgroup is not supported", NULL, false },
  NOT_SUPPORTED ("StorageOpt", "storage options"),
  { "Runtime", REFUSE, "capsa runs containers with capsa-oci only", "runc,capsa,capsa-oci", false },
  { "Isolation", REFUSE, "only the default isolation is supported", "default", false },
  { "MaskedPaths", REFUSE, "a custom set of masked paths is not supported", NULL, true },
  { "ReadonlyPaths", REFUSE, "a custom set of read-only paths is not supported", NULL, true },
  NOT_SUPPORTED ("BlkioWeightDevice", "per-device block I/O weights"),
  NOT_SUPPORTED ("CpuRealtimePeriod", "real-time CPU limits"),
  NOT_SUPPORTED ("CpuRealtimeRuntime", "real-time CPU limits"),
  NOT_SUPPORTED ("DeviceCgroupRules", "device cgroup rules"),
  { "DeviceRequests", REFUSE, "device requests (GPUs) are not supported", NULL, false },
  { "MemorySwappiness", WARN, "a memory swappiness is not supported", "-1", false },
  { "KernelMemory", WARN, "kernel memory limits are deprecated and not supported", NULL, false },
  { "KernelMemoryTCP", WARN, "kernel memory limits are deprecated and not supported", NULL, false },
  { "CpuCount", WARN, "a Windows-only option", NULL, false },
  { "CpuPercent", WARN, "a Windows-only option", NULL, false },
  { "IOMaximumIOps", WARN, "a Windows-only option", NULL, false },
  { "IOMaximumBandwidth", WARN, "a Windows-only option", NULL, false },
};
#undef NOT_SUPPORTED

static bool
is_unset (json_t *v, const struct unsupported *u)
{
  char num[32];
  const char *s = json_string_value (v);
  if (v == NULL || json_is_null (v))
    return true;
  if (u->null_only)
    return false;
  if (json_is_integer (v))
    {
      snprintf (num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
      s = json_integer_value (v) == 0 ? "" : num;
    }
  if (s)
    return *s == '\0' || in_list (u->ok, s);
  if (json_is_array (v) || json_is_object (v))
    return json_array_size (v) + json_object_size (v) == 0;
  return json_is_false (v);
}

static int
check_unsupported (const struct unsupported *us, size_t n, json_t *obj, const char *sec, json_t *warnings,
                   capsa_err **err)
{
  for (size_t i = 0; i < n; i++)
    {
      if (is_unset (json_object_get (obj, us[i].key), &us[i]))
        continue;
      if (us[i].policy == REFUSE)
        return capsa_fail_as (err, EINVAL, "%s%s: %s", sec, us[i].key, us[i].why);
      warn (warnings, "%s%s: %s (ignored)", sec, us[i].key, us[i].why);
    }
  return 0;
}

/* ---- Config: the command, the stop timeout, health checks ---------------------------------- */

/* Cmd and Entrypoint (null: the image's).  Entrypoint [""] is docker's --entrypoint "" (none,
 * nor the image's Cmd: dockerd resets it after the merge); [] is none with the image's Cmd. */
static int
set_args (json_t *body, struct ctr_opts *o, capsa_err **err)
{
  cleanup_strv char **ep = NULL;
  if (get_strv (body, "", "Cmd", true, &o->cmd, err) < 0 || get_strv (body, "", "Entrypoint", true, &ep, err) < 0)
    return -1;
  if (member (body, "Entrypoint") == NULL)
    return 0;
  o->entrypoint_set = true;
  if (ep && ep[0][0] == '\0' && ep[1] == NULL)
    o->entrypoint = "";
  else
    o->entrypoint_argv = ep ? take_ptr (&ep) : capsa_xmalloc0 (sizeof (char *));
  return 0;
}

static int
set_stop_timeout (json_t *body, struct ctr_opts *o, capsa_err **err)
{
  json_t *v = member (body, "StopTimeout");
  o->stop_timeout = -1;
  if (v == NULL)
    return 0;
  if (!json_is_integer (v))
    return bad_type ("", "StopTimeout", "an integer", v, err);
  if (json_integer_value (v) < -1 || json_integer_value (v) > INT_MAX)
    return capsa_fail_as (err, EINVAL, "StopTimeout: %" JSON_INTEGER_FORMAT " is out of range (-1 to %d)",
                          json_integer_value (v), INT_MAX);
  o->stop_timeout = (int) json_integer_value (v);
  return 0;
}

/* Healthcheck: Test as given ([]: the image's), the durations (ns) and Retries over the image's. */
static int
set_healthcheck (json_t *body, struct ctr_opts *o, struct svc_strings *keep, capsa_err **err)
{
  static const char *const keys[] = { "Interval", "Timeout", "StartPeriod", "StartInterval" };
  const char **fields[] = { &o->health_interval, &o->health_timeout, &o->health_start_period,
                            &o->health_start_interval };
  json_t *h, *test, *v;
  size_t i;
  if (get_obj (body, "", "Healthcheck", &h, err) < 0)
    return -1;
  if (h == NULL)
    return 0;
  test = member (h, "Test");
  if (test && !json_is_array (test))
    return bad_type ("Healthcheck.", "Test", "an array of strings", test, err);
  o->health_test = capsa_xmalloc0 (sizeof (char *));
  json_array_foreach (test, i, v)
  {
    if (!json_is_string (v))
      return bad_type ("Healthcheck.", "Test", "an array of strings", test, err);
    capsa_strv_append (&o->health_test, json_string_value (v));
  }
  for (i = 0; i < ARRAY_SIZE (keys); i++)
    if ((v = member (h, keys[i])) != NULL)
      {
        if (!json_is_integer (v) || json_integer_value (v) < 0)
          return bad_type ("Healthcheck.", keys[i], "nanoseconds (an integer, 0 or more)", v, err);
        *fields[i] = keep_take (keep, capsa_xasprintf ("%" JSON_INTEGER_FORMAT "ns", json_integer_value (v)));
      }
  if ((v = member (h, "Retries")) != NULL
      && (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > INT_MAX))
    return bad_type ("Healthcheck.", "Retries", "an integer, 0 or more", v, err);
  o->health_retries = (int) json_integer_value (v);
  return 0;
}

static int
config_fields_apply (json_t *body, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings, capsa_err **err)
{
  if (apply_fields (config_fields, ARRAY_SIZE (config_fields), body, "", o, keep, err) < 0
      || set_args (body, o, err) < 0 || set_stop_timeout (body, o, err) < 0 || set_healthcheck (body, o, keep, err) < 0)
    return -1;
  if (o->image == NULL)
    return capsa_fail_as (err, EINVAL, "Image: required (the image to create the container from)");
  return check_unsupported (config_unsupported, ARRAY_SIZE (config_unsupported), body, "", warnings, err);
}

/* ---- HostConfig: resources, restart policy, log ------------------------------------------- */

/* dockerd's checks of what goes together (verifyPlatformContainerResources' wording). */
static int
set_cpus_memory (json_t *hc, struct ctr_opts *o, capsa_err **err)
{
  long long nano;
  if (get_int (hc, "HostConfig.", "NanoCpus", &nano, err) < 0)
    return -1;
  if (nano < 0)
    return capsa_fail_as (err, EINVAL, "HostConfig.NanoCpus: %lld is out of range (0 or more)", nano);
  if (nano && (o->cpu_period || o->cpu_quota))
    return capsa_fail_as (err, EINVAL,
                          "HostConfig.NanoCpus: conflicting options: Nano CPUs and CPU %s cannot both be set",
                          o->cpu_period ? "Period" : "Quota");
  o->cpus = (double) nano / 1e9;
  if (o->memory > 0 && o->memory < CTR_MIN_MEMORY)
    return capsa_fail_as (err, EINVAL, "HostConfig.Memory: Minimum memory limit allowed is 6MB");
  if (capsa_ctr_check_limits (0, o->cpus, err) < 0)
    return capsa_err_wrap (err, "HostConfig.NanoCpus");
  if (o->cpu_quota > 0 && o->cpu_quota < 1000)
    return capsa_fail_as (err, EINVAL, "HostConfig.CpuQuota: CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (o->memory == 0 && o->memory_swap > 0)
    return capsa_fail_as (err, EINVAL,
                          "HostConfig.MemorySwap: you should always set the Memory limit when using Memoryswap limit");
  if (o->memory_swap > 0 && o->memory_swap < o->memory)
    return capsa_fail_as (err, EINVAL,
                          "HostConfig.MemorySwap: minimum memoryswap limit should be larger than memory limit");
  if (o->memory == 0)
    o->memory_swap = 0; /* -1 without a limit: unlimited, as without it */
  if (o->pids_limit < 0)
    o->pids_limit = 0; /* dockerd: 0 and -1 are unlimited */
  return 0;
}

/* OomScoreAdj (0: not given, as dockerd leaves it) and BlkioDevice{Read,Write}{Bps,IOps}
 * ([{Path, Rate}]) as the CLI's DEV:RATE. */
static int
set_oom_blkio (json_t *hc, struct ctr_opts *o, capsa_err **err)
{
  long long adj;
  if (get_int (hc, "HostConfig.", "OomScoreAdj", &adj, err) < 0)
    return -1;
  if (adj < -1000 || adj > 1000)
    return capsa_fail_as (err, EINVAL, "HostConfig.OomScoreAdj: %lld is out of range (-1000 to 1000)", adj);
  o->oom_score_adj = (int) adj;
  o->oom_score_adj_set = adj != 0;
  const char *keys[] = { "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps" };
  char ***lists[] = { &o->device_read_bps, &o->device_write_bps, &o->device_read_iops, &o->device_write_iops };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    {
      json_t *v = member (hc, keys[i]), *d;
      size_t j;
      if (v && !json_is_array (v))
        return bad_type ("HostConfig.", keys[i], "an array of {Path, Rate}", v, err);
      json_array_foreach (v, j, d)
      {
        const char *path = jstr (d, "Path");
        json_t *rate = json_object_get (d, "Rate");
        if (path == NULL || !json_is_integer (rate) || json_integer_value (rate) < 0)
          return bad_type ("HostConfig.", keys[i], "an array of {Path, Rate} (a string, an integer >= 0)", v, err);
        strv_take (lists[i], capsa_xasprintf ("%s:%lld", path, (long long) json_integer_value (rate)));
      }
    }
  return 0;
}

static int
set_restart (json_t *hc, struct ctr_opts *o, struct svc_strings *keep, capsa_err **err)
{
  static const char sec[] = "HostConfig.RestartPolicy.";
  json_t *rp;
  const char *name;
  long long max;
  if (get_obj (hc, "HostConfig.", "RestartPolicy", &rp, err) < 0 || get_str (rp, sec, "Name", &name, err) < 0
      || get_int (rp, sec, "MaximumRetryCount", &max, err) < 0)
    return -1;
  if (name == NULL || strcmp (name, "no") == 0)
    return 0;
  if (!in_list ("always,unless-stopped,on-failure", name))
    return capsa_fail_as (err, EINVAL, "%sName: invalid restart policy `%s` (no, always, unless-stopped, on-failure)",
                          sec, name);
  if (max < 0)
    return capsa_fail_as (err, EINVAL, "%sMaximumRetryCount: %lld: the maximum retry count cannot be negative", sec,
                          max);
  if (max && strcmp (name, "on-failure") != 0)
    return capsa_fail_as (err, EINVAL, "%sMaximumRetryCount: a maximum retry count cannot be used with `%s`", sec,
                          name);
  if (o->rm)
    return capsa_fail_as (err, EINVAL,
                          "HostConfig.RestartPolicy: `%s` conflicts with HostConfig.AutoRemove: can't "
                          "create 'AutoRemove' container with restart policy",
                          name);
  o->restart = max ? keep_take (keep, capsa_xasprintf ("%s:%lld", name, max)) : keep_str (keep, name);
  return 0;
}

/* LogConfig: json-file, k8s-file, none and passthrough with their Config (checked by the engine, as
 * --log-driver and --log-opt); another driver is a warning, and the default (json-file) is used. */
static int
log_config (json_t *hc, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings, capsa_err **err)
{
  static const char sec[] = "HostConfig.LogConfig.";
  json_t *lc, *cfg, *v;
  const char *type, *key;
  if (get_obj (hc, "HostConfig.", "LogConfig", &lc, err) < 0 || get_str (lc, sec, "Type", &type, err) < 0
      || get_obj (lc, sec, "Config", &cfg, err) < 0)
    return -1;
  if (type && *type && !in_list ("json-file,k8s-file,none,passthrough", type))
    {
      warn (warnings, "%sType: the log driver `%s` is not supported: json-file is used (its Config ignored)", sec,
            type);
      return 0;
    }
  if (type && strcmp (type, "passthrough") == 0)
    return capsa_fail_as (err, EINVAL,
                          "%sType: passthrough is not for the API (the service's stdio is no "
                          "client's; podman refuses it remotely too)",
                          sec);
  if (type && *type)
    o->log_driver = keep_str (keep, type);
  json_object_foreach (cfg, key, v)
  {
    if (!json_is_string (v))
      return capsa_fail_as (err, EINVAL, "%sConfig.%s: expected a string", sec, key);
    strv_take (&o->log_opts, capsa_xasprintf ("%s=%s", key, json_string_value (v)));
  }
  return 0;
}

/* ---- HostConfig: binds, mounts, devices, ulimits ------------------------------------------- */

/* A bind's shape (the engine checks what each field means): 1 to 3 fields, none empty. */
static int
check_binds (char **binds, capsa_err **err)
{
  for (size_t i = 0; binds && binds[i]; i++)
    {
      const char *v = binds[i];
      int fields = 1;
      bool empty = *v == '\0';
      for (const char *p = v; *p; p++)
        if (*p == ':')
          {
            empty = empty || p == v || p[1] == '\0' || p[1] == ':';
            fields++;
          }
      if (empty || fields > 3)
        return capsa_fail_as (err, EINVAL, "HostConfig.Binds[%zu]: invalid volume specification: `%s`", i, v);
    }
  return 0;
}

static int
bind_extra (json_t *m, const char *sec, const char *src, char *extra, size_t n, capsa_err **err)
{
  json_t *bo;
  const char *prop;
  bool nonrec;
  char bsec[80];
  snprintf (bsec, sizeof bsec, "%sBindOptions.", sec);
  if (src == NULL || src[0] != '/')
    return capsa_fail_as (err, EINVAL, "%sSource: `%s`: a bind mount's source must be an absolute path", sec,
                          src ? src : "");
  if (get_obj (m, sec, "BindOptions", &bo, err) < 0 || get_str (bo, bsec, "Propagation", &prop, err) < 0
      || get_bool (bo, bsec, "NonRecursive", &nonrec, err) < 0)
    return -1;
  if (nonrec)
    return capsa_fail_as (err, EINVAL, "%sNonRecursive: non-recursive bind mounts are not supported", bsec);
  if (prop && !in_list ("private,rprivate,shared,rshared,slave,rslave", prop))
    return capsa_fail_as (err, EINVAL, "%sPropagation: invalid propagation `%s`", bsec, prop);
  if (prop)
    snprintf (extra, n, ",bind-propagation=%s", prop);
  return 0;
}

static int
volume_extra (json_t *m, const char *sec, json_t *warnings, capsa_err **err)
{
  json_t *vo, *dc, *labels, *opts;
  const char *driver;
  char vsec[80], dsec[96];
  snprintf (vsec, sizeof vsec, "%sVolumeOptions.", sec);
  snprintf (dsec, sizeof dsec, "%sDriverConfig.", vsec);
  if (get_obj (m, sec, "VolumeOptions", &vo, err) < 0 || get_obj (vo, vsec, "Labels", &labels, err) < 0
      || get_obj (vo, vsec, "DriverConfig", &dc, err) < 0 || get_str (dc, dsec, "Name", &driver, err) < 0
      || get_obj (dc, dsec, "Options", &opts, err) < 0)
    return -1;
  if ((driver && strcmp (driver, "local") != 0) || json_object_size (opts))
    return capsa_fail_as (err, EINVAL, "%sDriverConfig: volume drivers are not supported", vsec);
  if (json_object_size (labels))
    warn (warnings, "%sLabels: labels of a volume made by a mount are not kept (ignored)", vsec);
  return 0;
}

static int
tmpfs_extra (json_t *m, const char *sec, const char *src, char *extra, size_t n, capsa_err **err)
{
  json_t *to;
  long long size, mode;
  char tsec[80];
  snprintf (tsec, sizeof tsec, "%sTmpfsOptions.", sec);
  if (src)
    return capsa_fail_as (err, EINVAL, "%sSource: must not be given for a tmpfs mount", sec);
  if (get_obj (m, sec, "TmpfsOptions", &to, err) < 0 || get_int (to, tsec, "SizeBytes", &size, err) < 0
      || get_int (to, tsec, "Mode", &mode, err) < 0)
    return -1;
  if (size < 0 || mode < 0 || mode > 07777)
    return capsa_fail_as (err, EINVAL, "%s: invalid %s %lld", tsec, size < 0 ? "SizeBytes" : "Mode",
                          size < 0 ? size : mode);
  int w = size ? snprintf (extra, n, ",tmpfs-size=%lld", size) : 0;
  if (mode)
    snprintf (extra + w, n - (size_t) w, ",tmpfs-mode=%llo", mode);
  return 0;
}

/* One of HostConfig.Mounts as --mount's "type=..,target=..,source=..[,readonly][,...]". */
static int
add_mount (struct ctr_opts *o, json_t *m, size_t i, json_t *warnings, capsa_err **err)
{
  char sec[48], extra[96] = "";
  const char *type, *src, *dst;
  bool ro;
  snprintf (sec, sizeof sec, "HostConfig.Mounts[%zu].", i);
  if (!json_is_object (m))
    return capsa_fail_as (err, EINVAL, "HostConfig.Mounts[%zu]: expected an object, got %s", i,
                          json_kind_name (m, true));
  if (get_str (m, sec, "Type", &type, err) < 0 || get_str (m, sec, "Source", &src, err) < 0
      || get_str (m, sec, "Target", &dst, err) < 0 || get_bool (m, sec, "ReadOnly", &ro, err) < 0)
    return -1;
  if (type == NULL || !in_list ("bind,volume,tmpfs", type))
    return capsa_fail_as (err, EINVAL, "%sType: mount type `%s` is not supported (bind, volume, tmpfs)", sec,
                          type ? type : "");
  if (dst == NULL)
    return capsa_fail_as (err, EINVAL, "%sTarget: required", sec);
  if (strchr (dst, ',') || (src && strchr (src, ',')))
    return capsa_fail_as (err, EINVAL, "HostConfig.Mounts[%zu]: a path with a comma is not supported", i);
  int r = strcmp (type, "bind") == 0     ? bind_extra (m, sec, src, extra, sizeof extra, err)
          : strcmp (type, "volume") == 0 ? volume_extra (m, sec, warnings, err)
                                         : tmpfs_extra (m, sec, src, extra, sizeof extra, err);
  if (r < 0)
    return -1;
  strv_take (&o->mounts, capsa_xasprintf ("type=%s,target=%s%s%s%s%s", type, dst, src ? ",source=" : "", src ? src : "",
                                          ro ? ",readonly" : "", extra));
  return 0;
}

/* One of HostConfig.Devices as --device's "HOST:CTR:PERMS". */
static int
add_device (struct ctr_opts *o, json_t *d, size_t i, capsa_err **err)
{
  char sec[48];
  const char *host, *ctr, *perm;
  snprintf (sec, sizeof sec, "HostConfig.Devices[%zu].", i);
  if (!json_is_object (d))
    return capsa_fail_as (err, EINVAL, "HostConfig.Devices[%zu]: expected an object, got %s", i,
                          json_kind_name (d, true));
  if (get_str (d, sec, "PathOnHost", &host, err) < 0 || get_str (d, sec, "PathInContainer", &ctr, err) < 0
      || get_str (d, sec, "CgroupPermissions", &perm, err) < 0)
    return -1;
  if (host == NULL)
    return capsa_fail_as (err, EINVAL, "%sPathOnHost: required", sec);
  if (strchr (host, ':') || (ctr && strchr (ctr, ':')))
    return capsa_fail_as (err, EINVAL, "HostConfig.Devices[%zu]: a path with a colon is not supported", i);
  if (perm && strspn (perm, "rwm") != strlen (perm))
    return capsa_fail_as (err, EINVAL, "%sCgroupPermissions: invalid device mode `%s` (r, w, m)", sec, perm);
  strv_take (&o->devices, capsa_xasprintf ("%s:%s:%s", host, ctr ? ctr : host, perm ? perm : "rwm"));
  return 0;
}

/* One of HostConfig.Ulimits as --ulimit's "NAME=SOFT:HARD" (the engine checks the name). */
static int
add_ulimit (struct ctr_opts *o, json_t *u, size_t i, capsa_err **err)
{
  char sec[48];
  const char *name;
  long long soft, hard;
  snprintf (sec, sizeof sec, "HostConfig.Ulimits[%zu].", i);
  if (!json_is_object (u))
    return capsa_fail_as (err, EINVAL, "HostConfig.Ulimits[%zu]: expected an object, got %s", i,
                          json_kind_name (u, true));
  if (get_str (u, sec, "Name", &name, err) < 0 || get_int (u, sec, "Soft", &soft, err) < 0
      || get_int (u, sec, "Hard", &hard, err) < 0)
    return -1;
  if (name == NULL)
    return capsa_fail_as (err, EINVAL, "%sName: required", sec);
  strv_take (&o->ulimits, capsa_xasprintf ("%s=%lld:%lld", name, soft, hard));
  return 0;
}

typedef int each_fn (struct ctr_opts *o, json_t *item, size_t i, json_t *warnings, capsa_err **err);

static int
mount_fn (struct ctr_opts *o, json_t *item, size_t i, json_t *warnings, capsa_err **err)
{
  return add_mount (o, item, i, warnings, err);
}
static int
device_fn (struct ctr_opts *o, json_t *item, size_t i, json_t *warnings, capsa_err **err)
{
  return add_device (o, item, i, err);
}
static int
ulimit_fn (struct ctr_opts *o, json_t *item, size_t i, json_t *warnings, capsa_err **err)
{
  return add_ulimit (o, item, i, err);
}

/* fn for each item of the array hc[key] (absent or null: none). */
static int
each_item (json_t *hc, const char *key, each_fn *fn, struct ctr_opts *o, json_t *warnings, capsa_err **err)
{
  json_t *a = member (hc, key), *v;
  size_t i;
  if (a && !json_is_array (a))
    return bad_type ("HostConfig.", key, "an array", a, err);
  json_array_foreach (a, i, v) if (fn (o, v, i, warnings, err) < 0) return -1;
  return 0;
}

/* ---- anonymous volumes --------------------------------------------------------------------- */

/* Whether dst is where a bind, a mount or a tmpfs of o goes already. */
static bool
is_destination (const struct ctr_opts *o, const char *dst)
{
  size_t n = strlen (dst);
  for (char **v = o->volumes; v && *v; v++)
    {
      const char *d = strchr (*v, ':') ? strchr (*v, ':') + 1 : *v;
      if (strncmp (d, dst, n) == 0 && (d[n] == ':' || d[n] == '\0'))
        return true;
    }
  for (char **m = o->mounts; m && *m; m++)
    {
      const char *t = strstr (*m, ",target=") + 8;
      if (strncmp (t, dst, n) == 0 && (t[n] == ',' || t[n] == '\0'))
        return true;
    }
  for (char **t = o->tmpfs; t && *t; t++)
    if (strncmp (*t, dst, n) == 0 && ((*t)[n] == ':' || (*t)[n] == '\0'))
      return true;
  return false;
}

/* Config.Volumes: an anonymous volume at each path nothing else is mounted on. */
static int
add_anonymous_volumes (json_t *body, struct ctr_opts *o, capsa_err **err)
{
  json_t *vols, *v;
  const char *dst;
  if (get_obj (body, "", "Volumes", &vols, err) < 0)
    return -1;
  json_object_foreach (vols, dst, v)
  {
    if (*dst != '/')
      return capsa_fail_as (err, EINVAL, "Volumes[%s]: the path must be absolute", dst);
    if (!is_destination (o, dst))
      capsa_strv_append (&o->volumes, dst);
  }
  return 0;
}

/* ---- ports --------------------------------------------------------------------------------- */

/* "80/tcp", a key of PortBindings or ExposedPorts: the port and its protocol. */
static int
port_key (const char *where, const char *key, int *port, const char **proto, capsa_err **err)
{
  const char *slash = strchr (key, '/');
  size_t n = slash ? (size_t) (slash - key) : strlen (key);
  char num[8];
  int64_t v;
  *proto = slash ? slash + 1 : "tcp";
  snprintf (num, sizeof num, "%.*s", (int) (n < sizeof num ? n : sizeof num - 1), key);
  if (n >= sizeof num || capsa_parse_i64 (num, 1, 65535, &v) < 0)
    return capsa_fail_as (err, EINVAL, "%s: invalid port `%s` (PORT/tcp or PORT/udp)", where, key);
  if (strcmp (*proto, "tcp") != 0 && strcmp (*proto, "udp") != 0)
    return capsa_fail_as (err, EINVAL, "%s: `%s`: only tcp and udp ports can be published", where, key);
  *port = (int) v;
  return 0;
}

static int
add_binding (struct ctr_opts *o, const char *key, int port, const char *proto, json_t *b, size_t i, capsa_err **err)
{
  char sec[96];
  const char *ip, *hp;
  snprintf (sec, sizeof sec, "HostConfig.PortBindings[%s][%zu].", key, i);
  if (!json_is_object (b))
    return capsa_fail_as (err, EINVAL, "HostConfig.PortBindings[%s][%zu]: expected an object, got %s", key, i,
                          json_kind_name (b, true));
  if (get_str (b, sec, "HostIp", &ip, err) < 0 || get_str (b, sec, "HostPort", &hp, err) < 0)
    return -1;
  cleanup_free char *spec = ip ? capsa_xasprintf (strchr (ip, ':') ? "[%s]:%s:%d/%s" : "%s:%s:%d/%s", ip, hp ? hp : "",
                                                  port, proto)
                            : hp ? capsa_xasprintf ("%s:%d/%s", hp, port, proto)
                                 : capsa_xasprintf ("%d/%s", port, proto);
  struct capsa_port parsed;
  if (capsa_port_parse (spec, &parsed, err) < 0)
    return capsa_err_wrap (err, "HostConfig.PortBindings[%s][%zu]", key, i);
  capsa_strv_append (&o->publish, spec);
  return 0;
}

/* PortBindings as -p's, then with PublishAllPorts each other ExposedPorts' port (the image's
 * are the engine's: ctr_config.c publishes them for publish_all). */
static int
set_ports (json_t *body, json_t *hc, struct ctr_opts *o, capsa_err **err)
{
  json_t *pb, *ex, *v;
  const char *key, *proto;
  int port;
  if (get_obj (hc, "HostConfig.", "PortBindings", &pb, err) < 0 || get_obj (body, "", "ExposedPorts", &ex, err) < 0)
    return -1;
  json_object_foreach (pb, key, v)
  {
    json_t *b;
    size_t i;
    if (port_key ("HostConfig.PortBindings", key, &port, &proto, err) < 0)
      return -1;
    if (v && !json_is_null (v) && !json_is_array (v))
      return capsa_fail_as (err, EINVAL, "HostConfig.PortBindings[%s]: expected an array, got %s", key,
                            json_kind_name (v, true));
    json_array_foreach (v, i, b) if (add_binding (o, key, port, proto, b, i, err) < 0) return -1;
  }
  json_object_foreach (ex, key, v)
  {
    if (!o->publish_all || json_array_size (json_object_get (pb, key)))
      continue;
    if (port_key ("ExposedPorts", key, &port, &proto, err) < 0)
      return -1;
    strv_take (&o->publish, capsa_xasprintf ("%d/%s", port, proto));
  }
  return 0;
}

/* ---- the network --------------------------------------------------------------------------- */

static int
endpoint_config (const char *net, json_t *ep, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings,
                 capsa_err **err)
{
  static const struct unsupported ep_unsupported[] = {
    { "Links", REFUSE, "links are not supported", NULL, false },
    { "DriverOpts", REFUSE, "network driver options are not supported", NULL, false },
  };
  static const struct unsupported ipam_unsupported[] = {
    { "LinkLocalIPs", REFUSE, "link-local addresses are not supported", NULL, false },
  };
  char sec[160], isec[176];
  json_t *ipam;
  const char *ip = NULL, *ip6 = NULL, *mac = NULL;
  snprintf (sec, sizeof sec, "NetworkingConfig.EndpointsConfig.%s.", net);
  snprintf (isec, sizeof isec, "%sIPAMConfig.", sec);
  if (ep && !json_is_object (ep))
    return capsa_fail_as (err, EINVAL, "NetworkingConfig.EndpointsConfig.%s: expected an object, got %s", net,
                          json_kind_name (ep, true));
  if (get_obj (ep, sec, "IPAMConfig", &ipam, err) < 0
      || check_unsupported (ep_unsupported, ARRAY_SIZE (ep_unsupported), ep, sec, warnings, err) < 0
      || check_unsupported (ipam_unsupported, ARRAY_SIZE (ipam_unsupported), ipam, isec, warnings, err) < 0
      || get_str (ipam, isec, "IPv4Address", &ip, err) < 0 || get_str (ipam, isec, "IPv6Address", &ip6, err) < 0
      || get_str (ep, sec, "MacAddress", &mac, err) < 0)
    return -1;
  /* (docker's fixed addresses and the endpoint's MAC address: --ip, --ip6, --mac-address) */
  if (ip && *ip)
    o->ip = keep_str (keep, ip);
  if (ip6 && *ip6)
    o->ip6 = keep_str (keep, ip6);
  if (mac && *mac)
    o->mac_address = keep_str (keep, mac);
  return get_strv (ep, sec, "Aliases", false, &o->aliases, err);
}

/* NetworkingConfig.EndpointsConfig: one network at most, the container's. */
static int
set_endpoint (json_t *body, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings, capsa_err **err)
{
  json_t *nc, *eps, *ep;
  const char *net;
  if (get_obj (body, "", "NetworkingConfig", &nc, err) < 0
      || get_obj (nc, "NetworkingConfig.", "EndpointsConfig", &eps, err) < 0)
    return -1;
  if (json_object_size (eps) > 1)
    {
      char list[256] = "";
      size_t n = 0;
      json_object_foreach (eps, net, ep) n += (size_t) snprintf (list + n, n < sizeof list ? sizeof list - n : 0,
                                                                 "%s%s", n ? ", " : "", net);
      return capsa_fail_as (err, EINVAL,
                            "NetworkingConfig.EndpointsConfig: Container cannot be connected to network endpoints: %s",
                            list);
    }
  json_object_foreach (eps, net, ep)
  {
    bool dflt = strcmp (net, "default") == 0; /* the docker CLI's key without --network */
    if (o->network == NULL && !dflt)
      o->network = keep_str (keep, net);
    else if (o->network && !dflt && strcmp (o->network, net) != 0)
      return capsa_fail_as (err, EINVAL,
                            "NetworkingConfig.EndpointsConfig.%s: not the container's network (HostConfig.NetworkMode "
                            "`%s`): connect it to another network after it is created",
                            net, o->network);
    return endpoint_config (net, member (eps, net), o, keep, warnings, err);
  }
  return 0;
}

/* The network (NetworkMode, the endpoint, NetworkDisabled), and the ports it can have: with the
 * host's network or none, published ports are dropped as dockerd drops them. */
static int
set_network (json_t *body, json_t *hc, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings, capsa_err **err)
{
  const char *mode;
  bool disabled;
  if (get_str (hc, "HostConfig.", "NetworkMode", &mode, err) < 0
      || get_bool (body, "", "NetworkDisabled", &disabled, err) < 0)
    return -1;
  if (mode && strcmp (mode, "default") != 0)
    o->network = keep_str (keep, mode);
  if (set_endpoint (body, o, keep, warnings, err) < 0)
    return -1;
  if (disabled)
    o->network = "none";
  bool published = (o->publish && o->publish[0]) || o->publish_all;
  if (!published || o->network == NULL)
    return 0;
  if (strncmp (o->network, "container:", 10) == 0)
    return capsa_fail_as (err, EINVAL,
                          "HostConfig.PortBindings: conflicting options: port publishing and the container type "
                          "network mode");
  if (strcmp (o->network, "host") == 0 || strcmp (o->network, "none") == 0)
    {
      warn (warnings, "Published ports are discarded when using %s network mode", o->network);
      cleanup_strv_fn (&o->publish);
      o->publish = NULL;
      o->publish_all = false;
    }
  return 0;
}

/* ---- the whole body ------------------------------------------------------------------------ */

static int
host_config_apply (json_t *body, json_t *hc, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings,
                   capsa_err **err)
{
  if (apply_fields (host_fields, ARRAY_SIZE (host_fields), hc, "HostConfig.", o, keep, err) < 0
      || check_unsupported (host_unsupported, ARRAY_SIZE (host_unsupported), hc, "HostConfig.", warnings, err) < 0
      || set_cpus_memory (hc, o, err) < 0 || set_oom_blkio (hc, o, err) < 0 || set_restart (hc, o, keep, err) < 0
      || log_config (hc, o, keep, warnings, err) < 0 || check_binds (o->volumes, err) < 0
      || each_item (hc, "Mounts", mount_fn, o, warnings, err) < 0
      || each_item (hc, "Devices", device_fn, o, warnings, err) < 0
      || each_item (hc, "Ulimits", ulimit_fn, o, warnings, err) < 0)
    return -1;
  if (add_anonymous_volumes (body, o, err) < 0 || set_ports (body, hc, o, err) < 0)
    return -1;
  return set_network (body, hc, o, keep, warnings, err);
}

int
svc_create_opts (json_t *body, const char *name, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings,
                 capsa_err **err)
{
  json_t *hc;
  memset (o, 0, sizeof *o);
  memset (keep, 0, sizeof *keep);
  o->stop_timeout = -1;
  o->detach = true;
  if (!json_is_object (body))
    return capsa_fail_as (err, EINVAL, "the body: expected a JSON object (the container's config)");
  if (name && *name == '/')
    name++;
  if (name && *name && !capsa_ctr_valid_name (name))
    return capsa_fail_as (err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  if (name && *name)
    o->name = keep_str (keep, name);
  if (config_fields_apply (body, o, keep, warnings, err) < 0 || get_obj (body, "", "HostConfig", &hc, err) < 0)
    return -1;
  return host_config_apply (body, hc, o, keep, warnings, err);
}

void
svc_create_opts_free (struct ctr_opts *o, struct svc_strings *keep)
{
  char ***lists[] = { &o->env,
                      &o->volumes,
                      &o->mounts,
                      &o->tmpfs,
                      &o->devices,
                      &o->cap_add,
                      &o->cap_drop,
                      &o->ulimits,
                      &o->sysctls,
                      &o->labels,
                      &o->publish,
                      &o->security_opt,
                      &o->cmd,
                      &o->entrypoint_argv,
                      &o->aliases,
                      &o->volumes_from,
                      &o->group_add,
                      &o->annotations,
                      &o->device_read_bps,
                      &o->device_write_bps,
                      &o->device_read_iops,
                      &o->device_write_iops,
                      &o->health_test };
  char ***dns[] = { &o->dns, &o->dns_search, &o->dns_options, &o->extra_hosts };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    {
      cleanup_strv_fn (lists[i]);
      *lists[i] = NULL;
    }
  cleanup_strv_fn (&o->log_opts);
  o->log_opts = NULL;
  for (size_t i = 0; i < ARRAY_SIZE (dns); i++)
    {
      cleanup_strv_fn (dns[i]);
      *dns[i] = NULL;
    }
  cleanup_strv_fn (&keep->strs);
  keep->strs = NULL;
  keep->n = 0;
}
