/* capsa-oci: global flags, the command table, and the one place that prints errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/capsa.h"
#include "capsa/fault.h"
#include "capsa/options.h"
#include "capsa/hostenv.h"
#include "capsa/log.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "oci.h"

const struct oci_command oci_commands[] = {
  { "create", cmd_create, "create a container from a bundle, its process blocked before exec", &oci_cmd_create },
  { "start", cmd_start, "start the process of a created container", &oci_cmd_start },
  { "run", cmd_run, "create and start a container, and wait for it unless --detach", &oci_cmd_run },
  { "exec", cmd_exec, "run a process in a running container (--process FILE, or a command)", &oci_cmd_exec },
  { "state", cmd_state, "print the state of a container as JSON", &oci_cmd_state },
  { "kill", cmd_kill, "send a signal to the container's init (or every process with --all)", &oci_cmd_kill },
  { "delete", cmd_delete, "delete a stopped container (--force: kill it first)", &oci_cmd_delete },
  { "list", cmd_list, "list the containers under --root", &oci_cmd_list },
  { "pause", cmd_pause, "freeze every process of a container", &oci_cmd_pause },
  { "resume", cmd_resume, "thaw a paused container", &oci_cmd_resume },
  { "update", cmd_update, "change a container's resources (--resources FILE|-, --memory, ...)", &oci_cmd_update },
  { "ps", cmd_ps, "list a container's processes (--format table|json)", &oci_cmd_ps },
  { "events", cmd_events, "statistics (--stats) and OOM events of a container as JSON lines", &oci_cmd_events },
  { "spec", cmd_spec, "write a default config.json (--rootless for an unprivileged user)", &oci_cmd_spec },
  { "features", cmd_features, "print the runtime's features as JSON", &oci_cmd_features },
  { NULL },
};

static const char usage_text[] = "Usage: capsa-oci [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n"
                                 "\n"
                                 "An OCI runtime (runtime-spec " CAPSA_OCI_VERSION ") with runc's command line.\n"
                                 "\n"
                                 "Global options:\n";

/* the global options, before the command (runc's: the first word that is no option is the command) */
struct global_args
{
  struct oci_global g;
  bool version;
};

static int
set_log_format (void *base, const char *arg, capsa_err **err)
{
  if (strcmp (arg, "json") != 0 && strcmp (arg, "text") != 0)
    return capsa_fail_as (err, EINVAL, "--log-format: unknown format `%s` (text or json)", arg);
  ((struct global_args *) base)->g.json_log = strcmp (arg, "json") == 0;
  return 0;
}

static int
set_cgroup_manager (void *base, const char *arg, capsa_err **err)
{
  struct oci_global *g = &((struct global_args *) base)->g;
  if (strcmp (arg, "cgroupfs") != 0 && strcmp (arg, "disabled") != 0 && strcmp (arg, "systemd") != 0)
    return capsa_fail_as (err, EINVAL, "--cgroup-manager: unknown manager `%s` (cgroupfs or disabled)", arg);
  g->cgroup_manager = arg;
  if (strcmp (arg, "systemd") == 0)
    g->systemd_cgroup = true;
  return 0;
}

/* --rootless, --criu: runc's, accepted and ignored (with their value) */
static int
ignore_value (void *base, const char *arg, capsa_err **err)
{
  (void) base, (void) arg, (void) err;
  return 0;
}

const struct capsa_opt oci_global_opts[] = {
  CAPSA_O_STR (0, "root", struct global_args, g.root, "DIR",
               "state directory (default /run/capsa-oci, or\n"
               "$XDG_RUNTIME_DIR/capsa-oci when not the host's root)"),
  CAPSA_O_STR (0, "log", struct global_args, g.log, "FILE", "write errors and debug messages to FILE"),
  CAPSA_O_CALL (0, "log-format", set_log_format, "text|json",
                "format of --log (json: one object per line: level, msg, time)"),
  CAPSA_O_BOOL (0, "debug", struct global_args, g.debug, "log debug messages"),
  CAPSA_O_BOOL (0, "systemd-cgroup", struct global_args, g.systemd_cgroup,
                "ask for the systemd cgroup manager (refused: systemd is not used)"),
  CAPSA_O_CALL (0, "cgroup-manager", set_cgroup_manager, "cgroupfs|disabled", ""),
  CAPSA_O_CALL (0, "rootless", ignore_value, "true|false|auto", "accepted for compatibility"),
  CAPSA_O_CALL (0, "criu", ignore_value, "PATH", NULL),
  CAPSA_O_BOOL ('v', "version", struct global_args, version, "print the version"),
  { .name = "help", .letter = 'h', .kind = CAPSA_OPT_HELP, .help = "print this help" },
  CAPSA_O_END,
};

static struct oci_global *the_global;

static void
print_usage (FILE *f)
{
  fputs (usage_text, f);
  capsa_opt_help (f, oci_global_opts, 27, CAPSA_OPT_HELP_COMPACT);
  fputs ("\nCommands:\n", f);
  for (size_t i = 0; oci_commands[i].name; i++)
    fprintf (f, "  %-10s %s\n", oci_commands[i].name, oci_commands[i].help);
  fputs ("\nRun 'capsa-oci COMMAND --help' for the options of a command.\n", f);
}

int
oci_fail (capsa_err **err)
{
  const char *msg = err && *err ? (*err)->msg : "unknown error";
  capsa_log (CAPSA_LOG_ERROR, "%s", msg);
  if (capsa_log_to_file ())
    fprintf (stderr, "%s: %s\n", the_global ? the_global->argv0 : "capsa-oci", msg);
  capsa_err_free (err);
  return 1;
}

int
oci_usage (const char *cmd, const char *fmt, ...)
{
  capsa_err *err = NULL;
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *text = capsa_usage_vformat ("capsa-oci", cmd, fmt, ap);
  va_end (ap);
  capsa_fail_as (&err, EINVAL, "%s", text);
  return oci_fail (&err);
}

/* True when this process is in a user namespace other than the initial one: the initial
   namespace's uid_map is the identity over the whole range ("0 0 4294967295"), as runc's
   userns.RunningInUserNS reads it. */
static bool
in_child_userns (void)
{
  char buf[128] = "";
  unsigned long inside, outside, len;
  FILE *f = fopen ("/proc/self/uid_map", "re");
  if (f == NULL)
    return false;
  bool got = fgets (buf, sizeof buf, f) != NULL;
  fclose (f);
  if (!got || sscanf (buf, "%lu %lu %lu", &inside, &outside, &len) != 3)
    return false;
  return !(inside == 0 && outside == 0 && len == 4294967295UL);
}

/* runc's shouldHonorXDGRuntimeDir: $XDG_RUNTIME_DIR/capsa-oci when it is set and we are not
   the host's root. Rootless podman runs the runtime as uid 0 in its own user namespace with
   XDG_RUNTIME_DIR set and no --root: that uid 0 cannot write /run. Like runc, uid 0 in a user
   namespace with USER=root keeps /run/capsa-oci (a root-in-userns set-up that owns /run). */
static bool
honour_xdg_runtime_dir (void)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg == NULL || *xdg == '\0')
    return false;
  if (geteuid () != 0)
    return true;
  if (!in_child_userns ())
    return false;
  const char *user = getenv ("USER");
  return user == NULL || strcmp (user, "root") != 0;
}

static const char *
default_root (void)
{
  static char buf[4096];
  if (!honour_xdg_runtime_dir ())
    return "/run/capsa-oci";
  snprintf (buf, sizeof buf, "%s/capsa-oci", getenv ("XDG_RUNTIME_DIR"));
  return buf;
}

/* The global options into a->g: the index of the command in argv, or -1 after a usage error.
 * --help and --version print and exit 0. */
static int
parse_global (struct global_args *a, int argc, char **argv)
{
  capsa_err *err = NULL;
  int first = capsa_opt_parse (oci_global_opts, CAPSA_OPT_STOP | CAPSA_OPT_GLOBAL, argc, argv, a, &err);
  if (first == CAPSA_OPT_HELP_ASKED)
    {
      print_usage (stdout);
      exit (0);
    }
  if (first < 0)
    {
      oci_usage ("capsa-oci", "%s", err->msg);
      capsa_err_free (&err);
      return -1;
    }
  if (a->version)
    {
      printf ("capsa-oci version %s\nspec: %s\n", CAPSA_VERSION, CAPSA_OCI_VERSION);
      exit (0);
    }
  return first;
}

int
main (int argc, char **argv)
{
  struct global_args a = { .g = { .root = NULL, .cgroup_manager = "cgroupfs", .argv0 = "capsa-oci" } };
  struct oci_global *g = &a.g;
  cleanup_err capsa_err *err = NULL;
  int first;

  the_global = g;
  /* the library reads no environment: what it honours, it is given from ours */
  capsa_host_env_load (getenv);
  capsa_fault_setup (getenv ("CAPSA_FAULT"), getenv ("CAPSA_FAULT_STOP"));
  capsa_log_set_program ("capsa-oci");
  /* Before the log is set up, a bad global flag is reported on stderr in text. */
  first = parse_global (&a, argc, argv);
  if (first < 0)
    return 1;
  if (g->root == NULL)
    g->root = default_root ();
  if (capsa_log_init (g->log, g->json_log ? CAPSA_LOG_JSON : CAPSA_LOG_TEXT, g->debug, &err) < 0)
    {
      fprintf (stderr, "capsa-oci: %s\n", err->msg);
      return 1;
    }
  if (first >= argc)
    {
      print_usage (stderr);
      return 1;
    }
  const char *name = argv[first];
  /* commands that start a container process run from a sealed copy of this binary */
  if ((strcmp (name, "create") == 0 || strcmp (name, "run") == 0 || strcmp (name, "exec") == 0)
      && capsa_exe_sealed_reexec (argv, &err) < 0)
    return oci_fail (&err);
  for (size_t i = 0; oci_commands[i].name; i++)
    if (strcmp (oci_commands[i].name, name) == 0)
      {
        capsa_log (CAPSA_LOG_DEBUG, "capsa-oci %s (root %s)", name, g->root);
        return oci_commands[i].fn (g, argc - first, argv + first);
      }
  if (strcmp (name, "__man") == 0) /* (hidden: the build's) */
    return argc - first == 2 ? oci_man (argv[first + 1]) : oci_usage ("__man", "requires 1 argument: DIR");
  return oci_usage ("capsa-oci", "unknown command `%s`", name);
}
