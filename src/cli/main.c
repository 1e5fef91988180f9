/* capsa: global flags, the command table, and the one place that prints errors. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsa.h"
#include "cli.h"
#include "reference.h"
#include "registry.h"
#include "rootless.h"
#include "util.h"

static const struct command
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  const char *help;
} commands[] = {
  { "run", cmd_run, "run a command in a new container (-d: in the background, with a monitor)" },
  { "create", cmd_create, "create a container (started later by `start`)" },
  { "start", cmd_start, "start created or stopped containers" },
  { "stop", cmd_stop, "stop containers (stop signal, then SIGKILL after -t seconds)" },
  { "restart", cmd_restart, "stop and start containers" },
  { "kill", cmd_kill, "send a signal to containers (-s SIGNAL)" },
  { "rm", cmd_rm, "remove containers (-f: running too, -v: their anonymous volumes)" },
  { "ps", cmd_ps, "list containers (-a, -q, --format json)" },
  { "exec", cmd_exec, "run a command in a running container (-it, -e, -w, -u, -d)" },
  { "logs", cmd_logs, "print a container's output (-f, --tail, --since, -t)" },
  { "wait", cmd_wait, "wait until containers stop and print their exit codes" },
  { "top", cmd_top, "list a container's processes" },
  { "pause", cmd_pause, "freeze containers" },
  { "unpause", cmd_unpause, "thaw containers" },
  { "update", cmd_update, "change containers' resource limits" },
  { "stats", cmd_stats, "resource use (--no-stream)" },
  { "rename", cmd_rename, "rename a container" },
  { "port", cmd_port, "a container's published ports (-p)" },
  { "cp", cmd_cp, "copy files between a container and the host" },
  { "container", cmd_container, "container commands: ls, inspect, prune, and the ones above" },
  { "volume", cmd_volume, "volume commands: create, ls, inspect, rm, prune" },
  { "network", cmd_network, "network commands: create, ls, inspect, rm, connect, disconnect" },
  { "system", cmd_system, "system df, info, prune" },
  { "info", cmd_info, "what capsa sees: containers, images, storage, kernel" },
  { "version", cmd_version, "print the version" },
  { "pull", cmd_pull, "download an image from a registry" },
  { "push", cmd_push, "upload an image to a registry" },
  { "login", cmd_login, "log in to a registry (credentials checked, then saved)" },
  { "logout", cmd_logout, "remove a registry's saved credentials" },
  { "images", cmd_images, "list images" },
  { "tag", cmd_tag, "give an image another name" },
  { "rmi", cmd_rmi, "remove images or names" },
  { "history", cmd_history, "show how an image was built, layer by layer" },
  { "load", cmd_load, "load images from a docker-archive, an OCI archive or an OCI layout" },
  { "save", cmd_save, "write images to a docker-archive, an OCI archive or an OCI layout" },
  { "import", cmd_import, "make an image from a rootfs tarball or directory" },
  { "image", cmd_image, "image commands: ls, inspect, prune, rm, tag, history, mount, unmount..." },
  { "inspect", cmd_inspect_any, "print containers' or images' details as JSON" },
};

static const char usage_text[]
    = "Usage: capsa [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n"
      "\n"
      "Containers from images, the Docker way.\n"
      "\n"
      "Global options:\n"
      "  --root DIR                 images, containers and volumes (default /var/lib/capsa, or\n"
      "                             $XDG_DATA_HOME/capsa when not root)\n"
      "                             Not root (rootless): needs /etc/subuid and /etc/subgid ranges and\n"
      "                             newuidmap; runtime state in $XDG_RUNTIME_DIR/capsa (else\n"
      "                             /tmp/capsa-UID); see README \"Rootless\"\n"
      "  --default-registry HOST    registry for short names like `busybox` (default docker.io)\n"
      "  --insecure-registry HOST   allow plain http for HOST (repeatable; localhost and\n"
      "                             127.0.0.0/8 always are)\n"
      "  --registries-conf FILE     registries config (JSON: \"default-registry\",\n"
      "                             \"insecure-registries\"; default /etc/capsa/registries.json)\n"
      "  --authfile FILE            credentials written by `capsa login` (default\n"
      "                             $XDG_CONFIG_HOME/capsa/auth.json); ~/.docker/config.json is also read\n"
      "  --debug                    more detail in errors\n"
      "  -v, --version              print the version\n"
      "  -h, --help                 print this help\n"
      "\n"
      "Commands:\n";

static void
print_usage (FILE *f)
{
  fputs (usage_text, f);
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    fprintf (f, "  %-10s %s\n", commands[i].name, commands[i].help);
  fputs ("\nRun 'capsa COMMAND --help' for the options of a command.\n", f);
}

int
cli_fail (capsa_err **err)
{
  const char *msg = err && *err ? (*err)->msg : "unknown error";
  fprintf (stderr, "capsa: %s\n", msg);
  capsa_err_free (err);
  return CLI_EXIT_ERROR;
}

int
cli_usage (const char *cmd, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (strcmp (cmd, "capsa") == 0)
    fprintf (stderr, "capsa: %s (see `capsa --help`)\n", msg ? msg : "invalid usage");
  else
    fprintf (stderr, "capsa: %s: %s (see `capsa %s --help`)\n", cmd, msg ? msg : "invalid usage", cmd);
  free (msg);
  return CLI_EXIT_ERROR;
}

int
cli_open_store (struct cli_global *g, struct capsa_store **s)
{
  capsa_err *err = NULL;
  if (capsa_store_open (g->root, s, &err) < 0)
    return cli_fail (&err);
  return 0;
}

char *
cli_familiar (struct cli_global *g, const char *full)
{
  return capsa_ref_familiar (full, g->default_registry);
}

void
cli_human_size (long long bytes, char *buf, unsigned len)
{
  static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
  double v = (double) bytes;
  unsigned u = 0;
  while (v >= 1000 && u + 1 < ARRAY_SIZE (units))
    {
      v /= 1000;
      u++;
    }
  if (u == 0)
    snprintf (buf, len, "%lldB", bytes);
  else
    snprintf (buf, len, "%.3g%s", v, units[u]);
}

void
cli_human_since (const char *rfc3339, char *buf, unsigned len)
{
  struct tm tm = { 0 };
  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    {
      snprintf (buf, len, "N/A");
      return;
    }
  time_t t = timegm (&tm), now = time (NULL);
  long d = (long) difftime (now, t);
  if (d < 0)
    d = 0;
  if (d < 60)
    snprintf (buf, len, "%ld seconds ago", d);
  else if (d < 3600)
    snprintf (buf, len, "%ld minutes ago", d / 60);
  else if (d < 86400 * 2)
    snprintf (buf, len, "%ld hours ago", d / 3600);
  else if (d < 86400 * 365L * 2)
    snprintf (buf, len, "%ld days ago", d / 86400);
  else
    snprintf (buf, len, "%ld years ago", d / (86400 * 365L));
}

enum
{
  OPT_ROOT = 1000,
  OPT_DEFAULT_REGISTRY,
  OPT_INSECURE,
  OPT_REGCONF,
  OPT_AUTHFILE,
  OPT_DEBUG,
};

static int
parse_global (struct cli_global *g, int argc, char **argv, char **flag_default)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "default-registry", required_argument, NULL, OPT_DEFAULT_REGISTRY },
    { "insecure-registry", required_argument, NULL, OPT_INSECURE },
    { "registries-conf", required_argument, NULL, OPT_REGCONF },
    { "authfile", required_argument, NULL, OPT_AUTHFILE },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vhD", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g->root = optarg;
        break;
      case OPT_DEFAULT_REGISTRY:
        *flag_default = optarg;
        break;
      case OPT_INSECURE:
        strv_append (&g->insecure, optarg);
        break;
      case OPT_REGCONF:
        g->registries_conf = optarg;
        break;
      case OPT_AUTHFILE:
        g->authfile = optarg;
        break;
      case 'D':
      case OPT_DEBUG:
        g->debug = true;
        break;
      case 'v':
        printf ("capsa version %s\n", CAPSA_VERSION);
        exit (0);
      case 'h':
        print_usage (stdout);
        exit (0);
      default:
        return cli_usage ("capsa", "unknown global option `%s`", argv[optind - 1]), -1;
      }
  return optind;
}

/* `capsa CMD --help`, `capsa GROUP CMD --help` (a --help further on may be the container's) */
static bool
wants_help (int argc, char **argv)
{
  for (int i = 1; i < argc && i < 4; i++)
    if (strcmp (argv[i], "--help") == 0)
      return true;
  return false;
}

int
main (int argc, char **argv)
{
  struct cli_global g = { 0 };
  capsa_err *err = NULL;
  char *flag_default = NULL;
  int first;

  first = parse_global (&g, argc, argv, &flag_default);
  if (first < 0)
    return CLI_EXIT_ERROR;
  if (g.root == NULL)
    g.root = capsa_store_default_root ();
  if (capsa_registries_conf_load (g.registries_conf, &g.default_registry, &g.insecure, &err) < 0)
    return cli_fail (&err);
  if (flag_default)
    {
      free (g.default_registry);
      g.default_registry = xstrdup (flag_default);
    }
  if (first >= argc)
    {
      print_usage (stderr);
      return CLI_EXIT_ERROR;
    }
  const char *name = argv[first];
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      {
        /* not root: every command works in the user's shared user namespace (rootless.h) */
        if (!wants_help (argc - first, argv + first) && strcmp (name, "version") != 0
            && cli_rootless_enter (&g, &err) < 0)
          return cli_fail (&err);
        optind = 1;
        return commands[i].fn (&g, argc - first, argv + first);
      }
  return cli_usage ("capsa", "unknown command `%s`", name);
}
