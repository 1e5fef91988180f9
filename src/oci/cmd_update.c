/* capsa-oci update [--resources FILE|-] [--memory N ...] ID: change a container's resources.
 * The LinuxResources JSON (runtime-spec) from --resources, with runc's per-resource flags laid on
 * top; only what is given changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/json.h"
#include "capsa/util.h"
#include "oci.h"

static int
set_num (json_t *res, const char *section, const char *key, const char *flag, const char *val, bool bytes)
{
  json_int_t n;
  char *end;
  if (bytes)
    {
      n = strcmp (val, "-1") == 0 ? -1 : capsa_parse_bytes (val);
      if (n < 0 && strcmp (val, "-1") != 0)
        return oci_usage ("update", "--%s: `%s` is not a size (bytes, or with k, m, g)", flag, val), -1;
    }
  else
    {
      errno = 0;
      n = strtoll (val, &end, 10);
      if (errno || end == val || *end)
        return oci_usage ("update", "--%s: `%s` is not an integer", flag, val), -1;
    }
  json_t *sec = json_object_get (res, section);
  if (sec == NULL)
    json_object_set_new (res, section, sec = json_object ());
  json_object_set_new (sec, key, json_integer (n));
  return 0;
}

static json_t *
read_resources (const char *path)
{
  json_error_t jerr;
  json_t *r = strcmp (path, "-") == 0 ? json_loadf (stdin, 0, &jerr) : json_load_file (path, 0, &jerr);
  if (r == NULL)
    {
      oci_usage ("update", "--resources %s: line %d, column %d: %s", strcmp (path, "-") == 0 ? "(stdin)" : path,
                 jerr.line, jerr.column, jerr.text);
      return NULL;
    }
  if (!json_is_object (r))
    {
      json_decref (r);
      oci_usage ("update", "--resources %s: must hold a JSON object (LinuxResources)", path);
      return NULL;
    }
  return r;
}

/* runc's per-resource flags: where each goes in LinuxResources, and how its value is read. */
enum flag_kind
{
  FLAG_INT,   /* an integer */
  FLAG_BYTES, /* a size: bytes, or with k, m, g; -1 unlimited */
  FLAG_TEXT,  /* a string as given (cpu lists) */
};

enum
{
  R_MEMORY,
  R_MEMORY_RESERVATION,
  R_MEMORY_SWAP,
  R_CPU_SHARES,
  R_CPU_PERIOD,
  R_CPU_QUOTA,
  R_CPU_RT_PERIOD,
  R_CPU_RT_RUNTIME,
  R_CPUSET_CPUS,
  R_CPUSET_MEMS,
  R_PIDS_LIMIT,
  R_BLKIO_WEIGHT,
  R_KERNEL_MEMORY,
  R_KERNEL_MEMORY_TCP,
  R_COUNT,
};

static const struct res_flag
{
  const char *name, *section, *key; /* name: the flag's, as messages show it */
  enum flag_kind kind;
} res_flags[R_COUNT] = {
  [R_MEMORY] = { "memory", "memory", "limit", FLAG_BYTES },
  [R_MEMORY_RESERVATION] = { "memory-reservation", "memory", "reservation", FLAG_BYTES },
  [R_MEMORY_SWAP] = { "memory-swap", "memory", "swap", FLAG_BYTES },
  [R_CPU_SHARES] = { "cpu-shares", "cpu", "shares", FLAG_INT },
  [R_CPU_PERIOD] = { "cpu-period", "cpu", "period", FLAG_INT },
  [R_CPU_QUOTA] = { "cpu-quota", "cpu", "quota", FLAG_INT },
  [R_CPU_RT_PERIOD] = { "cpu-rt-period", "cpu", "realtimePeriod", FLAG_INT },
  [R_CPU_RT_RUNTIME] = { "cpu-rt-runtime", "cpu", "realtimeRuntime", FLAG_INT },
  [R_CPUSET_CPUS] = { "cpuset-cpus", "cpu", "cpus", FLAG_TEXT },
  [R_CPUSET_MEMS] = { "cpuset-mems", "cpu", "mems", FLAG_TEXT },
  [R_PIDS_LIMIT] = { "pids-limit", "pids", "limit", FLAG_INT },
  [R_BLKIO_WEIGHT] = { "blkio-weight", "blockIO", "weight", FLAG_INT },
  [R_KERNEL_MEMORY] = { "kernel-memory", "memory", "kernel", FLAG_BYTES },
  [R_KERNEL_MEMORY_TCP] = { "kernel-memory-tcp", "memory", "kernelTCP", FLAG_BYTES },
};

/* The options: --resources, and each resource flag's value as given (the last one given wins;
 * --cpu-share, runc's spelling, shares --cpu-shares' slot). */
struct update_opts
{
  const char *resources;
  const char *val[R_COUNT];
};

#define RES(N, R, ARG, HELP) CAPSA_O_STR (0, N, struct update_opts, val[R], ARG, HELP)
static const struct capsa_opt update_opts[] = {
  CAPSA_O_STR ('r', "resources", struct update_opts, resources, "FILE|-",
               "LinuxResources JSON (runtime-spec) from FILE or standard input"),
  RES ("memory", R_MEMORY, "N", "memory limit (bytes; k, m, g suffixes; -1 unlimited)"),
  RES ("memory-reservation", R_MEMORY_RESERVATION, "N", "soft memory limit"),
  RES ("memory-swap", R_MEMORY_SWAP, "N", "memory plus swap limit"),
  RES ("cpu-shares", R_CPU_SHARES, "N", "relative cpu weight (v2: converted to cpu.weight)"),
  RES ("cpu-share", R_CPU_SHARES, "N", NULL),
  RES ("cpu-period", R_CPU_PERIOD, "US", "cpu quota period in microseconds"),
  RES ("cpu-quota", R_CPU_QUOTA, "US", "cpu time per period in microseconds (-1 unlimited)"),
  RES ("cpu-rt-period", R_CPU_RT_PERIOD, "US", "realtime scheduling period (v1)"),
  RES ("cpu-rt-runtime", R_CPU_RT_RUNTIME, "US", "realtime scheduling runtime (v1)"),
  RES ("cpuset-cpus", R_CPUSET_CPUS, "LIST", "cpus the container may use (0-3,5)"),
  RES ("cpuset-mems", R_CPUSET_MEMS, "LIST", "memory nodes the container may use"),
  RES ("pids-limit", R_PIDS_LIMIT, "N", "maximum number of processes (<= 0 unlimited)"),
  RES ("blkio-weight", R_BLKIO_WEIGHT, "N", "block I/O weight (10-1000)"),
  RES ("kernel-memory", R_KERNEL_MEMORY, "N", NULL),
  RES ("kernel-memory-tcp", R_KERNEL_MEMORY_TCP, "N", NULL),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_update = {
  "update", "[OPTIONS] CONTAINER-ID", NULL, update_opts, 0, 29, 0,
};

/* Lay the value of res_flags[i] into flags.  -1 after a usage error. */
static int
set_flag (json_t *flags, size_t i, const char *val)
{
  const struct res_flag *f = &res_flags[i];
  if (f->kind != FLAG_TEXT)
    return set_num (flags, f->section, f->key, f->name, val, f->kind == FLAG_BYTES);
  json_t *sec = json_object_get (flags, f->section);
  if (sec == NULL)
    json_object_set_new (flags, f->section, sec = json_object ());
  json_object_set_new (sec, f->key, json_string (val));
  return 0;
}

/* The resource flags that were given, into flags: -1 after a usage error. */
static int
set_flags (json_t *flags, const struct update_opts *o)
{
  for (size_t i = 0; i < R_COUNT; i++)
    if (o->val[i] && set_flag (flags, i, o->val[i]) < 0)
      return -1;
  return 0;
}

int
cmd_update (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  cleanup_json json_t *flags = json_object ();
  struct update_opts o = { 0 };

  int first = oci_parse (&oci_cmd_update, argc, argv, &o);
  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (set_flags (flags, &o) < 0)
    return 1;
  const char *id = oci_one_id ("update", argc, argv, first);
  json_t *res = id == NULL ? NULL : o.resources ? read_resources (o.resources) : json_object ();
  if (res == NULL)
    return 1;
  json_merge_sections (res, flags); /* the flags win over the file, section by section */
  int r = capsa_container_update (g->root, id, res, &err);
  json_decref (res);
  return r < 0 ? oci_fail (&err) : 0;
}
