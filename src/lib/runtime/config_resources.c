/* linux.resources (and an update's LinuxResources) parsed into struct cfg_resources: see config.h.
 *
 * Messages start with `where` ("linux.resources", "update"), not with a document's name: the
 * same object comes from a config (cfg_parse_* adds the name) or from `capsa update`.  What
 * depends on the host (a controller, the cgroup version, a file) is cgroup_res.c's to check.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"

#define N_ELEMS(a) (sizeof (a) / sizeof ((a)[0]))

enum kind
{
  K_INT,
  K_BOOL,
  K_STR
};

static const struct
{
  const char *section, *key;
  enum kind kind;
} res_keys[CFG_RES_COUNT] = {
  [CFG_RES_MEMORY_LIMIT] = { "memory", "limit", K_INT },
  [CFG_RES_MEMORY_SWAP] = { "memory", "swap", K_INT },
  [CFG_RES_MEMORY_RESERVATION] = { "memory", "reservation", K_INT },
  [CFG_RES_MEMORY_KERNEL] = { "memory", "kernel", K_INT },
  [CFG_RES_MEMORY_KERNEL_TCP] = { "memory", "kernelTCP", K_INT },
  [CFG_RES_MEMORY_SWAPPINESS] = { "memory", "swappiness", K_INT },
  [CFG_RES_MEMORY_DISABLE_OOM_KILLER] = { "memory", "disableOOMKiller", K_BOOL },
  [CFG_RES_MEMORY_USE_HIERARCHY] = { "memory", "useHierarchy", K_BOOL },
  [CFG_RES_CPU_SHARES] = { "cpu", "shares", K_INT },
  [CFG_RES_CPU_QUOTA] = { "cpu", "quota", K_INT },
  [CFG_RES_CPU_PERIOD] = { "cpu", "period", K_INT },
  [CFG_RES_CPU_REALTIME_RUNTIME] = { "cpu", "realtimeRuntime", K_INT },
  [CFG_RES_CPU_REALTIME_PERIOD] = { "cpu", "realtimePeriod", K_INT },
  [CFG_RES_CPU_BURST] = { "cpu", "burst", K_INT },
  [CFG_RES_CPU_IDLE] = { "cpu", "idle", K_INT },
  [CFG_RES_CPU_CPUS] = { "cpu", "cpus", K_STR },
  [CFG_RES_CPU_MEMS] = { "cpu", "mems", K_STR },
  [CFG_RES_PIDS_LIMIT] = { "pids", "limit", K_INT },
  [CFG_RES_BLKIO_WEIGHT] = { "blockIO", "weight", K_INT },
  [CFG_RES_BLKIO_LEAF_WEIGHT] = { "blockIO", "leafWeight", K_INT },
  [CFG_RES_NETWORK_CLASS_ID] = { "network", "classID", K_INT },
};

static const char *const throttle_keys[CFG_THROTTLE_COUNT] = {
  [CFG_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
  [CFG_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
  [CFG_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
  [CFG_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

/* The top-level members, by CFG_RES_SECTION_*; the first five are objects of keys. */
static const char *const section_names[CFG_RES_SECTION_COUNT] = {
  [CFG_RES_SECTION_MEMORY] = "memory",
  [CFG_RES_SECTION_CPU] = "cpu",
  [CFG_RES_SECTION_PIDS] = "pids",
  [CFG_RES_SECTION_BLKIO] = "blockIO",
  [CFG_RES_SECTION_NETWORK] = "network",
  [CFG_RES_SECTION_DEVICES] = "devices",
  [CFG_RES_SECTION_HUGEPAGES] = "hugepageLimits",
  [CFG_RES_SECTION_UNIFIED] = "unified",
  [CFG_RES_SECTION_RDMA] = "rdma",
};
#define N_KEYED_SECTIONS (CFG_RES_SECTION_NETWORK + 1)

void
cfg_res_key_name (enum cfg_res_key k, const char **section, const char **key)
{
  *section = res_keys[k].section;
  *key = res_keys[k].key;
}

const char *
cfg_throttle_name (int t)
{
  return t >= 0 && t < CFG_THROTTLE_COUNT ? throttle_keys[t] : NULL;
}

void
cfg_resources_free (struct cfg_resources *r)
{
  if (r == NULL)
    return;
  for (size_t k = 0; k < CFG_RES_COUNT; k++)
    free (r->v[k].s);
  free (r->weight_devices);
  for (size_t t = 0; t < CFG_THROTTLE_COUNT; t++)
    free (r->throttles[t]);
  for (size_t i = 0; r->hugepages && i < r->n_hugepages; i++)
    free (r->hugepages[i].page_size);
  free (r->hugepages);
  for (size_t i = 0; r->priorities && i < r->n_priorities; i++)
    free (r->priorities[i].name);
  free (r->priorities);
  for (size_t i = 0; r->unified && i < r->n_unified; i++)
    {
      free (r->unified[i].key);
      free (r->unified[i].value);
    }
  free (r->unified);
  free (r->devices);
  json_decref (r->rdma);
  free (r);
}

static void
resources_freep (struct cfg_resources **r)
{
  cfg_resources_free (*r);
}

/* ---- checks -------------------------------------------------------------------------------- */

static int
oom (const char *where, capsa_err **err)
{
  return capsa_fail (err, ENOMEM, "%s", where);
}

/* calloc for n parsed elements (never NULL on success, even for n == 0) */
static void *
alloc_elems (size_t n, size_t size)
{
  return calloc (n ? n : 1, size);
}

static bool
is_known_key (const char *section, const char *key)
{
  if (strcmp (section, "memory") == 0 && strcmp (key, "checkBeforeUpdate") == 0)
    return true; /* (accepted, nothing to do: the kernel checks a limit below the usage) */
  if (strcmp (section, "network") == 0 && strcmp (key, "priorities") == 0)
    return true;
  if (strcmp (section, "blockIO") == 0 && strcmp (key, "weightDevice") == 0)
    return true;
  for (size_t t = 0; strcmp (section, "blockIO") == 0 && t < CFG_THROTTLE_COUNT; t++)
    if (strcmp (key, throttle_keys[t]) == 0)
      return true;
  for (size_t k = 0; k < CFG_RES_COUNT; k++)
    if (strcmp (section, res_keys[k].section) == 0 && strcmp (key, res_keys[k].key) == 0)
      return true;
  return false;
}

/* Unknown or misspelt keys are refused rather than dropped; r->sections gets what is there. */
static int
check_keys (json_t *res, const char *where, struct cfg_resources *r, capsa_err **err)
{
  const char *key, *k2;
  json_t *v, *v2;

  json_object_foreach (res, key, v)
  {
    size_t s = 0;
    while (s < CFG_RES_SECTION_COUNT && strcmp (key, section_names[s]) != 0)
      s++;
    if (s == CFG_RES_SECTION_COUNT)
      return capsa_fail_as (err, EINVAL, "%s.%s: unknown resource", where, key);
    if (json_is_null (v))
      continue;
    r->sections |= 1u << s;
    if (s >= N_KEYED_SECTIONS)
      continue;
    if (!json_is_object (v))
      return capsa_fail_as (err, EINVAL, "%s.%s: must be an object", where, key);
    json_object_foreach (v, k2, v2) if (!is_known_key (key, k2)) return capsa_fail_as (
        err, EINVAL, "%s.%s.%s: unknown resource", where, key, k2);
  }
  return 0;
}

/* Memory limits: bytes, or -1 for unlimited (runc's meaning).  Any other negative value used to
 * become "unlimited" without a word; runc passes it on and the kernel refuses it (EINVAL):
 * refused here, before anything is made, naming the key.  cpu.quota: microseconds per period,
 * -1 (or 0, runc's "not set") for none; cpu.period: microseconds.  Stricter than runc 1.1, which
 * turns a quota of -2 into "max" and ignores a period of 0: neither means anything. */
static int
check_ranges (const struct cfg_resources *r, const char *where, capsa_err **err)
{
  static const struct
  {
    enum cfg_res_key k;
    int64_t min;
    const char *want;
  } ranges[] = {
    { CFG_RES_MEMORY_LIMIT, -1, "bytes, or -1 for unlimited" },
    { CFG_RES_MEMORY_SWAP, -1, "bytes, or -1 for unlimited" },
    { CFG_RES_MEMORY_RESERVATION, -1, "bytes, or -1 for unlimited" },
    { CFG_RES_MEMORY_KERNEL, -1, "bytes, or -1 for unlimited" },
    { CFG_RES_MEMORY_KERNEL_TCP, -1, "bytes, or -1 for unlimited" },
    { CFG_RES_CPU_QUOTA, -1, "microseconds, or -1 for no limit" },
    { CFG_RES_CPU_PERIOD, 0, "microseconds, 1000 to 1000000" },
  };
  for (size_t i = 0; i < N_ELEMS (ranges); i++)
    {
      const struct cfg_res_value *v = &r->v[ranges[i].k];
      if (v->set && v->i < ranges[i].min)
        return capsa_fail_as (err, EINVAL, "%s.%s.%s: %" PRId64 " is out of range (%s)", where,
                              res_keys[ranges[i].k].section, res_keys[ranges[i].k].key, v->i, ranges[i].want);
    }
  const struct cfg_res_value *q = &r->v[CFG_RES_CPU_QUOTA], *p = &r->v[CFG_RES_CPU_PERIOD];
  if (q->set && q->i > 0 && p->set && p->i == 0)
    return capsa_fail_as (err, EINVAL,
                          "%s.cpu.period: 0 with a quota (%" PRId64 "): a quota needs a period "
                          "(microseconds, 1000 to 1000000; leave it out for the default 100000)",
                          where, q->i);
  return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

static int
parse_scalar (json_t *res, const char *where, enum cfg_res_key k, struct cfg_res_value *out, capsa_err **err)
{
  json_t *v = json_object_get (json_object_get (res, res_keys[k].section), res_keys[k].key);
  if (v == NULL || json_is_null (v))
    return 0;
  const char *s = res_keys[k].section, *key = res_keys[k].key;
  switch (res_keys[k].kind)
    {
    case K_STR:
      if (!json_is_string (v))
        return capsa_fail_as (err, EINVAL, "%s.%s.%s: must be a string", where, s, key);
      if ((out->s = strdup (json_string_value (v))) == NULL)
        return oom (where, err);
      break;
    case K_BOOL:
      if (!json_is_boolean (v))
        return capsa_fail_as (err, EINVAL, "%s.%s.%s: must be true or false", where, s, key);
      out->b = json_is_true (v);
      break;
    case K_INT:
    default:
      if (!json_is_integer (v))
        return capsa_fail_as (err, EINVAL, "%s.%s.%s: must be an integer", where, s, key);
      out->i = json_integer_value (v);
      break;
    }
  out->set = true;
  return 0;
}

/* obj.key as an integer, when present (1), absent (0) or not an integer (-1: no error set). */
static int
int_member (json_t *obj, const char *key, int64_t *out)
{
  json_t *v = json_object_get (obj, key);
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_integer (v))
    return -1;
  *out = json_integer_value (v);
  return 1;
}

/* section.key as an array (NULL when absent); -1 when it is something else. */
static int
get_list (json_t *sec, const char *where, const char *section, const char *key, json_t **out, capsa_err **err)
{
  json_t *a = key ? json_object_get (sec, key) : sec;
  *out = NULL;
  if (a == NULL || json_is_null (a))
    return 0;
  if (!json_is_array (a))
    return capsa_fail_as (err, EINVAL, "%s.%s%s%s: must be an array", where, section, key ? "." : "", key ? key : "");
  *out = a;
  return 0;
}

static int
device_numbers (json_t *e, const char *what, int64_t *major, int64_t *minor, capsa_err **err)
{
  if (!json_is_object (e) || int_member (e, "major", major) <= 0 || int_member (e, "minor", minor) <= 0)
    return capsa_fail_as (err, EINVAL, "%s: each entry needs integer major and minor", what);
  return 0;
}

static int
parse_weight_device (json_t *e, const char *what, struct cfg_res_weight_device *w, capsa_err **err)
{
  if (device_numbers (e, what, &w->major, &w->minor, err) < 0)
    return -1;
  int a = int_member (e, "weight", &w->weight), b = int_member (e, "leafWeight", &w->leaf_weight);
  if (a < 0 || b < 0)
    return capsa_fail_as (err, EINVAL, "%s: must be an integer", what);
  w->has_weight = a > 0;
  w->has_leaf_weight = b > 0;
  return 0;
}

static int
parse_blkio (json_t *bio, const char *where, struct cfg_resources *r, capsa_err **err)
{
  json_t *a, *e;
  size_t i;

  if (get_list (bio, where, "blockIO", "weightDevice", &a, err) < 0)
    return -1;
  if (a && (r->weight_devices = alloc_elems (json_array_size (a), sizeof *r->weight_devices)) == NULL)
    return oom (where, err);
  json_array_foreach (a, i, e)
  {
    cleanup_free char *what = NULL;
    if (asprintf (&what, "%s.blockIO.weightDevice[%zu]", where, i) < 0)
      return oom (where, err);
    if (parse_weight_device (e, what, &r->weight_devices[i], err) < 0)
      return -1;
    r->n_weight_devices = i + 1;
  }
  for (size_t t = 0; t < CFG_THROTTLE_COUNT; t++)
    {
      if (get_list (bio, where, "blockIO", throttle_keys[t], &a, err) < 0)
        return -1;
      if (a && (r->throttles[t] = alloc_elems (json_array_size (a), sizeof *r->throttles[t])) == NULL)
        return oom (where, err);
      json_array_foreach (a, i, e)
      {
        struct cfg_res_throttle *th = &r->throttles[t][i];
        cleanup_free char *what = NULL;
        if (asprintf (&what, "%s.blockIO.%s[%zu]", where, throttle_keys[t], i) < 0)
          return oom (where, err);
        if (device_numbers (e, what, &th->major, &th->minor, err) < 0)
          return -1;
        if (int_member (e, "rate", &th->rate) <= 0)
          return capsa_fail_as (err, EINVAL, "%s: must be an integer", what);
        r->n_throttles[t] = i + 1;
      }
    }
  return 0;
}

static int
parse_hugepages (json_t *a, const char *where, struct cfg_resources *r, capsa_err **err)
{
  json_t *e;
  size_t i;

  if (a && (r->hugepages = alloc_elems (json_array_size (a), sizeof *r->hugepages)) == NULL)
    return oom (where, err);
  json_array_foreach (a, i, e)
  {
    const char *size = json_string_value (json_object_get (e, "pageSize"));
    struct cfg_res_hugepage *h = &r->hugepages[i];
    if (size == NULL || strchr (size, '/') || int_member (e, "limit", &h->limit) <= 0)
      return capsa_fail_as (err, EINVAL,
                            "%s.hugepageLimits[%zu]: needs a pageSize string (\"2MB\") and an "
                            "integer limit",
                            where, i);
    if ((h->page_size = strdup (size)) == NULL)
      return oom (where, err);
    r->n_hugepages = i + 1;
  }
  return 0;
}

static int
parse_priorities (json_t *a, const char *where, struct cfg_resources *r, capsa_err **err)
{
  json_t *e;
  size_t i;

  if (a && (r->priorities = alloc_elems (json_array_size (a), sizeof *r->priorities)) == NULL)
    return oom (where, err);
  json_array_foreach (a, i, e)
  {
    const char *name = json_string_value (json_object_get (e, "name"));
    struct cfg_res_priority *p = &r->priorities[i];
    if (name == NULL || int_member (e, "priority", &p->priority) <= 0)
      return capsa_fail_as (err, EINVAL, "%s.network.priorities[%zu]: needs a name and an integer priority", where, i);
    if ((p->name = strdup (name)) == NULL)
      return oom (where, err);
    r->n_priorities = i + 1;
  }
  return 0;
}

/* unified: v2 file -> value.  Keys are file names in the container's own directory: nothing with
 * a slash, nothing hidden, a controller prefix. */
static int
parse_unified (json_t *o, const char *where, struct cfg_resources *r, capsa_err **err)
{
  const char *key;
  json_t *v;
  size_t i = 0;

  if (o == NULL || json_is_null (o))
    return 0;
  if (!json_is_object (o))
    return capsa_fail_as (err, EINVAL, "%s.unified: must be an object", where);
  if ((r->unified = alloc_elems (json_object_size (o), sizeof *r->unified)) == NULL)
    return oom (where, err);
  json_object_foreach (o, key, v)
  {
    if (!json_is_string (v))
      return capsa_fail_as (err, EINVAL, "%s.unified.%s: must be a string", where, key);
    if (strchr (key, '/') || key[0] == '.' || strchr (key, '.') == NULL)
      return capsa_fail_as (err, EINVAL, "%s.unified.%s: not a cgroup v2 file name", where, key);
    struct cfg_res_unified *u = &r->unified[i++];
    r->n_unified = i;
    if ((u->key = strdup (key)) == NULL || (u->value = strdup (json_string_value (v))) == NULL)
      return oom (where, err);
  }
  return 0;
}

/* major or minor of a device rule: -1 (any) when absent, null or negative */
static int
rule_number (json_t *e, const char *what, const char *key, int64_t *out, capsa_err **err)
{
  *out = -1;
  int r = int_member (e, key, out);
  if (r < 0)
    return capsa_fail_as (err, EINVAL, "%s.%s: must be an integer", what, key);
  if (*out < 0)
    *out = -1;
  return 0;
}

/* type or access of a device rule: the default when absent, null or empty */
static int
rule_word (json_t *e, const char *what, const char *key, const char **out, capsa_err **err)
{
  json_t *v = json_object_get (e, key);
  if (v && !json_is_null (v) && !json_is_string (v))
    return capsa_fail_as (err, EINVAL, "%s.%s: must be a string", what, key);
  if (v && json_is_string (v) && *json_string_value (v))
    *out = json_string_value (v);
  return 0;
}

static int
parse_device_rule (json_t *e, const char *what, struct cfg_res_device *d, capsa_err **err)
{
  const char *type = "a", *access = "rwm";
  json_t *allow = json_object_get (e, "allow");

  if (!json_is_boolean (allow))
    return capsa_fail_as (err, EINVAL, "%s.allow: must be true or false", what);
  d->allow = json_is_true (allow);
  if (rule_word (e, what, "type", &type, err) < 0 || rule_word (e, what, "access", &access, err) < 0)
    return -1;
  if (strlen (type) != 1 || !strchr ("acbp", type[0]))
    return capsa_fail_as (err, EINVAL, "%s.type: `%s` is not a, c, b or p", what, type);
  if (strspn (access, "rwm") != strlen (access) || strlen (access) > 3)
    return capsa_fail_as (err, EINVAL, "%s.access: `%s` is not made of r, w and m", what, access);
  d->type = type[0];
  snprintf (d->access, sizeof d->access, "%s", access);
  return rule_number (e, what, "major", &d->major, err) < 0 || rule_number (e, what, "minor", &d->minor, err) < 0 ? -1
                                                                                                                  : 0;
}

static int
parse_devices (json_t *a, const char *where, struct cfg_resources *r, capsa_err **err)
{
  json_t *e;
  size_t i;

  if (a && (r->devices = alloc_elems (json_array_size (a), sizeof *r->devices)) == NULL)
    return oom (where, err);
  json_array_foreach (a, i, e)
  {
    cleanup_free char *what = NULL;
    if (asprintf (&what, "%s.devices[%zu]", where, i) < 0)
      return oom (where, err);
    if (!json_is_object (e))
      return capsa_fail_as (err, EINVAL, "%s: must be an object", what);
    if (parse_device_rule (e, what, &r->devices[i], err) < 0)
      return -1;
    r->n_devices = i + 1;
  }
  return 0;
}

static int
parse_lists (json_t *res, const char *where, struct cfg_resources *r, capsa_err **err)
{
  json_t *hp, *prio, *dev, *rdma = json_object_get (res, "rdma");

  if (parse_blkio (json_object_get (res, "blockIO"), where, r, err) < 0
      || get_list (json_object_get (res, "hugepageLimits"), where, "hugepageLimits", NULL, &hp, err) < 0
      || parse_hugepages (hp, where, r, err) < 0
      || get_list (json_object_get (res, "network"), where, "network", "priorities", &prio, err) < 0
      || parse_priorities (prio, where, r, err) < 0
      || parse_unified (json_object_get (res, "unified"), where, r, err) < 0
      || get_list (json_object_get (res, "devices"), where, "devices", NULL, &dev, err) < 0
      || parse_devices (dev, where, r, err) < 0)
    return -1;
  if (json_object_size (rdma) > 0)
    r->rdma = json_incref (rdma);
  return 0;
}

int
cfg_parse_resources (json_t *res, const char *where, struct cfg_resources **out, capsa_err **err)
{
  __attribute__ ((cleanup (resources_freep))) struct cfg_resources *r = NULL;

  *out = NULL;
  if (res == NULL || json_is_null (res))
    return 0;
  if (!json_is_object (res))
    return capsa_fail_as (err, EINVAL, "%s: must be an object", where);
  if ((r = calloc (1, sizeof *r)) == NULL)
    return oom (where, err);
  if (check_keys (res, where, r, err) < 0)
    return -1;
  for (size_t k = 0; k < CFG_RES_COUNT; k++)
    if (parse_scalar (res, where, (enum cfg_res_key) k, &r->v[k], err) < 0)
      return -1;
  if (check_ranges (r, where, err) < 0 || parse_lists (res, where, r, err) < 0)
    return -1;
  *out = take_ptr (&r);
  return 0;
}

/* ---- the way back --------------------------------------------------------------------------- */

static json_t *
device_numbers_json (int64_t major, int64_t minor)
{
  return json_pack ("{s:I, s:I}", "major", (json_int_t) major, "minor", (json_int_t) minor);
}

static json_t *
blkio_lists_json (const struct cfg_resources *r, json_t *bio)
{
  if (r->weight_devices)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < r->n_weight_devices; i++)
        {
          const struct cfg_res_weight_device *w = &r->weight_devices[i];
          json_t *o = device_numbers_json (w->major, w->minor);
          if (w->has_weight)
            json_object_set_new (o, "weight", json_integer (w->weight));
          if (w->has_leaf_weight)
            json_object_set_new (o, "leafWeight", json_integer (w->leaf_weight));
          json_array_append_new (a, o);
        }
      json_object_set_new (bio, "weightDevice", a);
    }
  for (size_t t = 0; t < CFG_THROTTLE_COUNT; t++)
    if (r->throttles[t])
      {
        json_t *a = json_array ();
        for (size_t i = 0; i < r->n_throttles[t]; i++)
          {
            json_t *o = device_numbers_json (r->throttles[t][i].major, r->throttles[t][i].minor);
            json_object_set_new (o, "rate", json_integer (r->throttles[t][i].rate));
            json_array_append_new (a, o);
          }
        json_object_set_new (bio, throttle_keys[t], a);
      }
  return bio;
}

static json_t *
lists_json (const struct cfg_resources *r, json_t *res)
{
  if (r->hugepages)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < r->n_hugepages; i++)
        json_array_append_new (a, json_pack ("{s:s, s:I}", "pageSize", r->hugepages[i].page_size, "limit",
                                             (json_int_t) r->hugepages[i].limit));
      json_object_set_new (res, "hugepageLimits", a);
    }
  if (r->priorities)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < r->n_priorities; i++)
        json_array_append_new (a, json_pack ("{s:s, s:I}", "name", r->priorities[i].name, "priority",
                                             (json_int_t) r->priorities[i].priority));
      json_object_set_new (json_object_get (res, "network"), "priorities", a);
    }
  if (r->unified)
    {
      json_t *o = json_object ();
      for (size_t i = 0; i < r->n_unified; i++)
        json_object_set_new (o, r->unified[i].key, json_string (r->unified[i].value));
      json_object_set_new (res, "unified", o);
    }
  if (r->devices)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < r->n_devices; i++)
        {
          const struct cfg_res_device *d = &r->devices[i];
          char type[2] = { d->type, '\0' };
          json_t *o = json_pack ("{s:b, s:s, s:s}", "allow", d->allow, "type", type, "access", d->access);
          if (d->major >= 0)
            json_object_set_new (o, "major", json_integer (d->major));
          if (d->minor >= 0)
            json_object_set_new (o, "minor", json_integer (d->minor));
          json_array_append_new (a, o);
        }
      json_object_set_new (res, "devices", a);
    }
  if (r->rdma)
    json_object_set (res, "rdma", r->rdma);
  return res;
}

json_t *
cfg_resources_to_json (const struct cfg_resources *r)
{
  json_t *res = json_object ();
  if (res == NULL)
    return NULL;
  /* every section given, even empty (it asks for a cgroup), then the values in them */
  for (size_t s = 0; s < CFG_RES_SECTION_COUNT; s++)
    if (r->sections & (1u << s))
      json_object_set_new (res, section_names[s],
                           s == CFG_RES_SECTION_DEVICES || s == CFG_RES_SECTION_HUGEPAGES ? json_array ()
                                                                                          : json_object ());
  for (size_t k = 0; k < CFG_RES_COUNT; k++)
    {
      const struct cfg_res_value *v = &r->v[k];
      if (!v->set)
        continue;
      json_t *sec = json_object_get (res, res_keys[k].section);
      json_object_set_new (sec, res_keys[k].key,
                           res_keys[k].kind == K_STR    ? json_string (v->s)
                           : res_keys[k].kind == K_BOOL ? json_boolean (v->b)
                                                        : json_integer (v->i));
    }
  blkio_lists_json (r, json_object_get (res, "blockIO"));
  return lists_json (r, res);
}
