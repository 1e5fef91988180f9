/* capsa: the command table.  The image transfer commands (pull, push, login, logout, load, save,
 * import) run in capsa-image, which this program executes with the same command line: they need
 * libcurl, libarchive and OpenSSL, and linking those here made every `capsa run` load ~45
 * libraries it never uses.  Global options and error reporting are cli_common.c. */
#include <stdio.h>
#include <string.h>

#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

const struct cli_command cli_commands[] = {
  { "run", cmd_run, "run a command in a new container (-d: in the background, with a monitor)", &cli_spec_run },
  { "create", cmd_create, "create a container (started later by `start`)", &cli_spec_create },
  { "start", cmd_start, "start created or stopped containers", &cli_spec_start },
  { "stop", cmd_stop, "stop containers (stop signal, then SIGKILL after -t seconds)", &cli_spec_stop },
  { "restart", cmd_restart, "stop and start containers", &cli_spec_restart },
  { "kill", cmd_kill, "send a signal to containers (-s SIGNAL)", &cli_spec_kill },
  { "rm", cmd_rm, "remove containers (-f: running too, -v: their anonymous volumes)", &cli_spec_rm },
  { "ps", cmd_ps, "list containers (-a, -q, --format json)", &cli_spec_ps },
  { "exec", cmd_exec, "run a command in a running container (-it, -e, -w, -u, -d)", &cli_spec_exec },
  { "logs", cmd_logs, "print a container's output (-f, --tail, --since, -t)", &cli_spec_logs },
  { "events", cmd_events, "print what happens to containers, networks and volumes (--since, --until, --filter)",
    &cli_spec_events },
  { "attach", cmd_attach, "connect to a detached container's stdio (detach: ctrl-p ctrl-q)", &cli_spec_attach },
  { "wait", cmd_wait, "wait until containers stop and print their exit codes", &cli_spec_wait },
  { "top", cmd_top, "list a container's processes", &cli_spec_top },
  { "diff", cmd_diff, "what a container changed in its image", &cli_spec_diff },
  { "pause", cmd_pause, "freeze containers", &cli_spec_pause },
  { "unpause", cmd_unpause, "thaw containers", &cli_spec_unpause },
  { "update", cmd_update, "change containers' resource limits", &cli_spec_update },
  { "stats", cmd_stats, "resource use, a table a second (--no-stream: one)", &cli_spec_stats },
  { "rename", cmd_rename, "rename a container", &cli_spec_rename },
  { "port", cmd_port, "a container's published ports (-p)", &cli_spec_port },
  { "cp", cmd_cp, "copy files between a container and the host", &cli_spec_cp },
  { "container", cmd_container, "container commands: ls, inspect, prune, and the ones above", NULL,
    &cli_group_container },
  { "volume", cmd_volume, "volume commands: create, ls, inspect, rm, prune", NULL, &cli_group_volume },
  { "network", cmd_network, "network commands: create, ls, inspect, rm, connect, disconnect", NULL,
    &cli_group_network },
  { "system", cmd_system, "system df, info, prune", NULL, &cli_group_system },
  { "info", cmd_info, "what capsa sees: containers, images, storage, kernel", &cli_spec_info },
  { "version", cmd_version, "print the version", &cli_spec_version },
  { "pull", cli_image_helper, "download an image from a registry", &cli_spec_pull },
  { "push", cli_image_helper, "upload an image to a registry", &cli_spec_push },
  { "login", cli_image_helper, "log in to a registry (credentials checked, then saved)", &cli_spec_login },
  { "logout", cli_image_helper, "remove a registry's saved credentials", &cli_spec_logout },
  { "images", cmd_images, "list images", &cli_spec_images },
  { "tag", cmd_tag, "give an image another name", &cli_spec_tag },
  { "rmi", cmd_rmi, "remove images or names", &cli_spec_rmi },
  { "history", cmd_history, "show how an image was built, layer by layer", &cli_spec_history },
  { "load", cli_image_helper, "load images from a docker-archive, an OCI archive or an OCI layout", &cli_spec_load },
  { "save", cli_image_helper, "write images to a docker-archive, an OCI archive or an OCI layout", &cli_spec_save },
  { "build", cli_image_helper, "build an image from a Dockerfile", &cli_spec_build },
  { "import", cli_image_helper, "make an image from a rootfs tarball or directory", &cli_spec_import },
  { "commit", cli_image_helper, "make an image of a container's changes", &cli_spec_commit },
  { "export", cmd_export, "write a container's filesystem as a tar", &cli_spec_export },
  { "image", cmd_image, "image commands: ls, inspect, prune, rm, tag, history, mount, unmount...", NULL,
    &cli_group_image },
  { "inspect", cmd_inspect_any, "print containers' or images' details as JSON", &cli_spec_inspect },
  { "generate", cmd_generate, "generate a systemd unit for a container (generate systemd)", NULL, &cli_group_generate },
  { "healthcheck", cmd_healthcheck, "run a container's healthcheck now (healthcheck run)", NULL,
    &cli_group_healthcheck },
  { "completion", cmd_completion, "print a shell completion script (bash, zsh, fish)", &cli_spec_completion },
  { "__monitor", cmd_monitor_helper, NULL }, /* hidden: capsa-monitor's heavy steps */
  { "__man", cmd_man, NULL, &cli_spec_man }, /* hidden: the manual pages, for the build */
  { "__dns", cmd_dns_helper, NULL },         /* hidden: a user network's DNS server */
  { NULL },
};

static const char usage_text[] = "Usage: capsa [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n"
                                 "\n"
                                 "Containers from images, the Docker way.\n"
                                 "\n"
                                 "Global options:\n";

static void
print_usage (FILE *f)
{
  fputs (usage_text, f);
  capsa_opt_help (f, cli_global_opts, 29, CAPSA_OPT_HELP_COMPACT);
  fputs ("\nCommands:\n", f);
  for (size_t i = 0; cli_commands[i].name; i++)
    if (cli_commands[i].help)
      fprintf (f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].help);
  fputs ("\nRun 'capsa COMMAND --help' for the options of a command.\n", f);
}

/* The options of argv's command, or of its subcommand argv[1] for a group (`capsa GROUP SUB ...`
 * asks for SUB's help, not the group's); NULL when there is none. */
static const struct cli_spec *
spec_of (const struct cli_command *cmd, int argc, char **argv)
{
  if (cmd->group == NULL)
    return cmd->spec;
  for (size_t i = 0; argc > 1 && i < cmd->group->n; i++)
    if (strcmp (cmd->group->subs[i].name, argv[1]) == 0)
      return cmd->group->subs[i].spec;
  return NULL;
}

/* Whether the long option word w of spec takes the next word as its value (`--format --help`
 * formats with "--help", as docker's pflag reads it): a --help there is a value, not a request.
 * (Short options are not looked at: `inspect x -f -h` asks for help.) */
static bool
takes_value (const struct cli_spec *spec, const char *w)
{
  if (spec == NULL || strncmp (w, "--", 2) != 0 || strchr (w, '='))
    return false;
  const struct capsa_opt *o = capsa_opt_find (spec->opts, w + 2);
  return o && capsa_opt_takes_value (o);
}

/* Commands whose arguments end with a command line for the container: only what comes before
 * the image (or container) is capsa's, and their own parser reads it (for run and create `-h`
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
wants_help (const struct cli_command *cmd, int argc, char **argv)
{
  const struct cli_spec *spec = spec_of (cmd, argc, argv);
  int from = 1;
  if (cmd->group && argc > 1 && argv[1][0] != '-')
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
        return !(i > from && takes_value (spec, argv[i - 1]));
    }
  return false;
}

/* run, create, exec: `--help` among the options before the first argument (their parser then
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
run_help (const struct cli_command *cmd, struct cli_global *g, int first)
{
  char **argv = g->argv + first;
  int argc = g->argc - first;
  bool sub = cmd->group && argc > 1 && argv[1][0] != '-';
  /* the whole line as well: capsa-image (cli_image_helper) is exec'd with g->argv */
  cleanup_free char **line = capsa_xmalloc0 ((size_t) (first + 4) * sizeof (char *));
  memcpy (line, g->argv, (size_t) first * sizeof (char *));
  int n = first;
  line[n++] = argv[0];
  if (sub)
    line[n++] = argv[1];
  line[n++] = (char *) "--help";
  g->argv = line;
  g->argc = n;
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
  /* (a healthcheck is an exec) */
  if (strcmp (argv[0], "healthcheck") == 0)
    return argc > 1 && strcmp (argv[1], "run") == 0 && !leading_help (argc, argv);
  return strcmp (argv[0], "__monitor") == 0 && argc > 1
         && (strcmp (argv[1], "start") == 0 || strcmp (argv[1], "health") == 0);
}

int
cli_exe_protect (struct cli_global *g, capsa_err **err)
{
  cleanup_free char **argv = cli_same_argv (g, g->argv[0]);
  return capsa_exe_sealed_reexec (argv, err);
}

static int
run_command (struct cli_global *g, int first)
{
  int argc = g->argc;
  char **argv = g->argv;
  const char *name = argv[first];
  for (size_t i = 0; cli_commands[i].name; i++)
    if (strcmp (cli_commands[i].name, name) == 0)
      {
        /* not root: every command works in the user's shared user namespace (rootless.h) */
        capsa_err *err = NULL;
        if (wants_help (&cli_commands[i], argc - first, argv + first))
          return run_help (&cli_commands[i], g, first);
        if (strcmp (name, "version") != 0 && strcmp (name, "completion") != 0 && strcmp (name, "__man") != 0
            && !leading_help (argc - first, argv + first) && capsa_engine_rootless_enter (&g->eng, &err) < 0)
          return cli_fail (&err);
        /* (after entering the rootless namespace: the copy is exec'd there, so the /proc files
         * it has once non-dumpable are its namespace root's, i.e. this user's) */
        if (enters_container (argc - first, argv + first) && cli_exe_protect (g, &err) < 0)
          return cli_fail (&err);
        return cli_commands[i].fn (g, argc - first, argv + first);
      }
  return cli_usage ("capsa", "unknown command `%s`", name);
}

int
main (int argc, char **argv)
{
  return cli_main (argc, argv, print_usage, run_command);
}
