/* capsa-oci update [--resources FILE|-] [--memory N ...] ID: change a container's resources.
 * The LinuxResources JSON (runtime-spec) from --resources, with runc's per-resource flags laid on
 * top; only what is given changes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/json.h"
#include "capsa/util.h"
#include "oci.h"

static const char update_help[]
    = "Usage: capsa-oci update [OPTIONS] CONTAINER-ID\n"
      "\n"
      "  -r, --resources FILE|-     LinuxResources JSON (runtime-spec) from FILE or standard input\n"
      "      --memory N             memory limit (bytes; k, m, g suffixes; -1 unlimited)\n"
      "      --memory-reservation N soft memory limit\n"
      "      --memory-swap N        memory plus swap limit\n"
      "      --cpu-shares N         relative cpu weight (v2: converted to cpu.weight)\n"
      "      --cpu-period US        cpu quota period in microseconds\n"
      "      --cpu-quota US         cpu time per period in microseconds (-1 unlimited)\n"
      "      --cpu-rt-period US, --cpu-rt-runtime US   realtime scheduling (v1)\n"
      "      --cpuset-cpus LIST     cpus the container may use (0-3,5)\n"
      "      --cpuset-mems LIST     memory nodes the container may use\n"
      "      --pids-limit N         maximum number of processes (<= 0 unlimited)\n"
      "      --blkio-weight N       block I/O weight (10-1000)\n";

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

static const struct res_flag
{
  const char *name, *section, *key;
  enum flag_kind kind;
} res_flags[] = {
  { "memory", "memory", "limit", FLAG_BYTES },
  { "memory-reservation", "memory", "reservation", FLAG_BYTES },
  { "memory-swap", "memory", "swap", FLAG_BYTES },
  { "cpu-shares", "cpu", "shares", FLAG_INT },
  { "cpu-share", "cpu", "shares", FLAG_INT },
  { "cpu-period", "cpu", "period", FLAG_INT },
  { "cpu-quota", "cpu", "quota", FLAG_INT },
  { "cpu-rt-period", "cpu", "realtimePeriod", FLAG_INT },
  { "cpu-rt-runtime", "cpu", "realtimeRuntime", FLAG_INT },
  { "cpuset-cpus", "cpu", "cpus", FLAG_TEXT },
  { "cpuset-mems", "cpu", "mems", FLAG_TEXT },
  { "pids-limit", "pids", "limit", FLAG_INT },
  { "blkio-weight", "blockIO", "weight", FLAG_INT },
  { "kernel-memory", "memory", "kernel", FLAG_BYTES },
  { "kernel-memory-tcp", "memory", "kernelTCP", FLAG_BYTES },
};

enum
{
  O_FLAG = 1000, /* res_flags[i] is O_FLAG + i */
};

/* The first entry of res_flags for the same resource as res_flags[i] (--cpu-shares for --cpu-share):
 * one getopt value per resource, so an abbreviation of both spellings is no ambiguity. */
static size_t
canonical_flag (size_t i)
{
  for (size_t j = 0; j < i; j++)
    if (strcmp (res_flags[j].section, res_flags[i].section) == 0 && strcmp (res_flags[j].key, res_flags[i].key) == 0)
      return j;
  return i;
}

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

/* The options into flags (the per-resource ones) and *file (--resources): the exit status to stop
 * with (after --help, or a usage error), or -1 to go on. */
static int
parse_update (int argc, char **argv, json_t *flags, const char **file)
{
  struct option opts[ARRAY_SIZE (res_flags) + 3] = {
    { "resources", required_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
  };
  for (size_t i = 0; i < ARRAY_SIZE (res_flags); i++)
    opts[2 + i] = (struct option){ res_flags[i].name, required_argument, NULL, O_FLAG + (int) canonical_flag (i) };
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "r:h", opts, NULL)) != -1)
    if (c == 'r')
      *file = optarg;
    else if (c == 'h')
      {
        fputs (update_help, stdout);
        return 0;
      }
    else if (c < O_FLAG || c >= O_FLAG + (int) ARRAY_SIZE (res_flags))
      return oci_usage ("update", "unknown option `%s`", argv[optind - 1]);
    else if (set_flag (flags, (size_t) (c - O_FLAG), optarg) < 0)
      return 1;
  return -1;
}

int
cmd_update (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  cleanup_json json_t *flags = json_object ();
  const char *file = NULL;

  int status = parse_update (argc, argv, flags, &file);
  if (status >= 0)
    return status;
  const char *id = oci_one_id ("update", argc, argv, optind);
  json_t *res = id == NULL ? NULL : file ? read_resources (file) : json_object ();
  if (res == NULL)
    return 1;
  json_merge_sections (res, flags); /* the flags win over the file, section by section */
  int r = capsa_container_update (g->root, id, res, &err);
  json_decref (res);
  return r < 0 ? oci_fail (&err) : 0;
}
