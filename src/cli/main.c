/* capsa: the command table.  The image transfer commands (pull, push, login, logout, load, save,
 * import) run in capsa-image, which this program executes with the same command line: they need
 * libcurl, libarchive and OpenSSL, and linking those here made every `capsa run` load ~45
 * libraries it never uses.  Global options and error reporting are cli_common.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "selfexe.h"
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
  { "attach", cmd_attach, "connect to a detached container's stdio (detach: ctrl-p ctrl-q)" },
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
  { "pull", cli_image_helper, "download an image from a registry" },
  { "push", cli_image_helper, "upload an image to a registry" },
  { "login", cli_image_helper, "log in to a registry (credentials checked, then saved)" },
  { "logout", cli_image_helper, "remove a registry's saved credentials" },
  { "images", cmd_images, "list images" },
  { "tag", cmd_tag, "give an image another name" },
  { "rmi", cmd_rmi, "remove images or names" },
  { "history", cmd_history, "show how an image was built, layer by layer" },
  { "load", cli_image_helper, "load images from a docker-archive, an OCI archive or an OCI layout" },
  { "save", cli_image_helper, "write images to a docker-archive, an OCI archive or an OCI layout" },
  { "import", cli_image_helper, "make an image from a rootfs tarball or directory" },
  { "image", cmd_image, "image commands: ls, inspect, prune, rm, tag, history, mount, unmount..." },
  { "inspect", cmd_inspect_any, "print containers' or images' details as JSON" },
  { "__monitor", cmd_monitor_helper, NULL }, /* hidden: capsa-monitor's heavy steps */
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
    if (commands[i].help)
      fprintf (f, "  %-10s %s\n", commands[i].name, commands[i].help);
  fputs ("\nRun 'capsa COMMAND --help' for the options of a command.\n", f);
}

/* The groups: `capsa GROUP SUB ...` asks for SUB's help, not the group's. */
static const char *const groups[] = { "container", "volume", "network", "system", "image" };

static bool
is_group (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (groups); i++)
    if (strcmp (groups[i], name) == 0)
      return true;
  return false;
}

/* Long options that take their value as the next word (`--format --help` formats with
 * "--help", as docker's pflag reads it): a --help there is a value, not a request. */
static bool
takes_value (const char *opt)
{
  static const char *const with_value[]
      = { "--format", "--filter", "--label", "--name", "--tail", "--since", "--until", "--signal",
          "--time",   "--driver", "--subnet", "--gateway", "--ip", "--ip6", "--bridge", "--mtu",
          "--alias",  "--detach-keys", "--output", "--input", "--username", "--password", "--change",
          "--message", "--platform", "--compression-format" };
  for (size_t i = 0; i < ARRAY_SIZE (with_value); i++)
    if (strcmp (with_value[i], opt) == 0)
      return true;
  return false;
}

/* Commands whose arguments end with a command line for the container: only what comes before
 * the image (or container) is capsa's, and their own getopt reads it (for run and create `-h`
 * is --hostname, as in docker).  So the central check leaves them alone. */
static bool
carries_command (const char *name)
{
  return strcmp (name, "run") == 0 || strcmp (name, "create") == 0 || strcmp (name, "exec") == 0;
}

/* `--help` or `-h` anywhere before `--`, not as an option's value (argv is the command's, from
 * its name; a group's subcommand is argv[1]).  Docker's rule: help wins over everything else on
 * the line, and the command then does nothing. */
static bool
wants_help (int argc, char **argv)
{
  int from = 1;
  if (is_group (argv[0]) && argc > 1 && argv[1][0] != '-')
    {
      if (carries_command (argv[1]))
        return false;
      from = 2;
    }
  else if (carries_command (argv[0]))
    return false;
  for (int i = from; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return false;
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        return !(i > from && takes_value (argv[i - 1]));
    }
  return false;
}

/* run, create, exec: `--help` among the options before the first argument (their getopt then
 * prints the usage; no rootless namespace nor sealed copy is needed for that). */
static bool
leading_help (int argc, char **argv)
{
  for (int i = 1; i < argc && argv[i][0] == '-'; i++)
    if (strcmp (argv[i], "--help") == 0)
      return true;
  return false;
}

/* Print the usage of argv's command (or group subcommand) and nothing else: the command runs
 * with only `--help` after its name, which every command and subcommand answers with its usage
 * (tests/integration/test_cli_help.py walks them all). */
static int
run_help (const struct command *cmd, struct cli_global *g, int first)
{
  char **argv = g->argv + first;
  int argc = g->argc - first;
  bool sub = is_group (argv[0]) && argc > 1 && argv[1][0] != '-';
  /* the whole line as well: capsa-image (cli_image_helper) is exec'd with g->argv */
  cleanup_free char **line = xmalloc0 ((size_t) (first + 4) * sizeof (char *));
  memcpy (line, g->argv, (size_t) first * sizeof (char *));
  int n = first;
  line[n++] = argv[0];
  if (sub)
    line[n++] = argv[1];
  line[n++] = (char *) "--help";
  g->argv = line;
  g->argc = n;
  optind = 1;
  return cmd->fn (g, n - first, line + first);
}

/* The commands that put a process of this program into a container (an init before it execs,
 * or exec's process) run from a sealed copy of it (selfexe.h).  `run` does in the foreground
 * only: cmd_run makes that call once it knows.  Nothing else pays for the copy. */
static bool
enters_container (int argc, char **argv)
{
  if (strcmp (argv[0], "exec") == 0)
    return !leading_help (argc, argv);
  return strcmp (argv[0], "__monitor") == 0 && argc > 1 && strcmp (argv[1], "start") == 0;
}

int
cli_exe_protect (struct cli_global *g, capsa_err **err)
{
  cleanup_free char **argv = cli_same_argv (g, g->argv[0]);
  return capsa_exe_sealed_reexec (argv, err);
}

int
main (int argc, char **argv)
{
  struct cli_global g;

  int first = cli_global_init (&g, argc, argv, print_usage);
  if (first < 0)
    return CLI_EXIT_ERROR;
  const char *name = argv[first];
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      {
        /* not root: every command works in the user's shared user namespace (rootless.h) */
        capsa_err *err = NULL;
        if (wants_help (argc - first, argv + first))
          return run_help (&commands[i], &g, first);
        if (strcmp (name, "version") != 0 && !leading_help (argc - first, argv + first)
            && capsa_engine_rootless_enter (&g.eng, &err) < 0)
          return cli_fail (&err);
        /* (after entering the rootless namespace: the copy is exec'd there, so the /proc files
         * it has once non-dumpable are its namespace root's, i.e. this user's) */
        if (enters_container (argc - first, argv + first) && cli_exe_protect (&g, &err) < 0)
          return cli_fail (&err);
        optind = 1;
        return commands[i].fn (&g, argc - first, argv + first);
      }
  return cli_usage ("capsa", "unknown command `%s`", name);
}
