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

static const char *
opt_name (const struct option *opts, int val)
{
  for (; opts->name; opts++)
    if (opts->val == val)
      return opts->name;
  return "?";
}

enum
{
  O_MEM = 1000, O_MEMRES, O_MEMSWAP, O_SHARES, O_PERIOD, O_QUOTA, O_RTPERIOD, O_RTRUNTIME, O_CPUS, O_MEMS,
  O_PIDS, O_BLKIO, O_KMEM, O_KMEMTCP,
};

int
cmd_update (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, O_MEM },
    { "memory-reservation", required_argument, NULL, O_MEMRES },
    { "memory-swap", required_argument, NULL, O_MEMSWAP },
    { "cpu-shares", required_argument, NULL, O_SHARES },
    { "cpu-share", required_argument, NULL, O_SHARES },
    { "cpu-period", required_argument, NULL, O_PERIOD },
    { "cpu-quota", required_argument, NULL, O_QUOTA },
    { "cpu-rt-period", required_argument, NULL, O_RTPERIOD },
    { "cpu-rt-runtime", required_argument, NULL, O_RTRUNTIME },
    { "cpuset-cpus", required_argument, NULL, O_CPUS },
    { "cpuset-mems", required_argument, NULL, O_MEMS },
    { "pids-limit", required_argument, NULL, O_PIDS },
    { "blkio-weight", required_argument, NULL, O_BLKIO },
    { "kernel-memory", required_argument, NULL, O_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, O_KMEMTCP },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  capsa_err *err = NULL;
  json_t *flags = json_object ();
  const char *file = NULL;
  int c, bad = 0;

  opterr = 0;
  while (!bad && (c = getopt_long (argc, argv, "r:h", opts, NULL)) != -1)
    {
      const char *name = opt_name (opts, c);
      switch (c)
        {
        case 'r': file = optarg; break;
        case O_MEM: bad = set_num (flags, "memory", "limit", name, optarg, true); break;
        case O_MEMRES: bad = set_num (flags, "memory", "reservation", name, optarg, true); break;
        case O_MEMSWAP: bad = set_num (flags, "memory", "swap", name, optarg, true); break;
        case O_KMEM: bad = set_num (flags, "memory", "kernel", name, optarg, true); break;
        case O_KMEMTCP: bad = set_num (flags, "memory", "kernelTCP", name, optarg, true); break;
        case O_SHARES: bad = set_num (flags, "cpu", "shares", name, optarg, false); break;
        case O_PERIOD: bad = set_num (flags, "cpu", "period", name, optarg, false); break;
        case O_QUOTA: bad = set_num (flags, "cpu", "quota", name, optarg, false); break;
        case O_RTPERIOD: bad = set_num (flags, "cpu", "realtimePeriod", name, optarg, false); break;
        case O_RTRUNTIME: bad = set_num (flags, "cpu", "realtimeRuntime", name, optarg, false); break;
        case O_PIDS: bad = set_num (flags, "pids", "limit", name, optarg, false); break;
        case O_BLKIO: bad = set_num (flags, "blockIO", "weight", name, optarg, false); break;
        case O_CPUS:
        case O_MEMS:
          {
            json_t *cpu = json_object_get (flags, "cpu");
            if (cpu == NULL)
              json_object_set_new (flags, "cpu", cpu = json_object ());
            json_object_set_new (cpu, c == O_CPUS ? "cpus" : "mems", json_string (optarg));
            break;
          }
        case 'h':
          fputs (update_help, stdout);
          json_decref (flags);
          return 0;
        default:
          json_decref (flags);
          return oci_usage ("update", "unknown option `%s`", argv[optind - 1]);
        }
    }
  if (bad)
    {
      json_decref (flags);
      return 1;
    }
  const char *id = oci_one_id ("update", argc, argv, optind);
  json_t *res = id == NULL ? NULL : file ? read_resources (file) : json_object ();
  if (res == NULL)
    {
      json_decref (flags);
      return 1;
    }
  json_merge_sections (res, flags); /* the flags win over the file, section by section */
  json_decref (flags);
  int r = capsa_container_update (g->root, id, res, &err);
  json_decref (res);
  return r < 0 ? oci_fail (&err) : 0;
}
