/* capsa-oci exec [OPTIONS] ID [COMMAND [ARGS...]]: run a process in a running container. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "capsa/log.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "oci.h"

static const char exec_help[]
    = "Usage: capsa-oci exec [OPTIONS] CONTAINER-ID [COMMAND [ARGS...]]\n"
      "\n"
      "  -p, --process FILE         a runtime-spec process JSON (FILE or - for stdin) instead of COMMAND\n"
      "  -t, --tty                  allocate a pseudo-terminal\n"
      "  -e, --env KEY=VALUE        add an environment variable (repeatable)\n"
      "      --cwd DIR              working directory in the container\n"
      "  -u, --user UID[:GID]       run as this user\n"
      "  -g, --additional-gids GID  add a supplementary group (repeatable)\n"
      "  -c, --cap CAP              add a capability (repeatable)\n"
      "      --no-new-privs         set no_new_privs\n"
      "  -d, --detach               return once the process runs\n"
      "      --pid-file FILE        write the process's pid to FILE\n"
      "      --console-socket S     send the pty master to the unix socket S (with -t and -d)\n"
      "      --preserve-fds N       pass N extra descriptors (3 .. 3+N-1)\n"
      "      --apparmor P, --process-label L   accepted and ignored (no AppArmor/SELinux here)\n";

enum
{
  O_CWD = 1000, O_NNP, O_PIDFILE, O_CONSOLE, O_PRESERVE, O_APPARMOR, O_LABEL, O_IGNORE_PAUSED, O_CGROUP,
};

int
cmd_exec (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "tty", no_argument, NULL, 't' },
    { "env", required_argument, NULL, 'e' },
    { "cwd", required_argument, NULL, O_CWD },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, O_NNP },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, O_PIDFILE },
    { "console-socket", required_argument, NULL, O_CONSOLE },
    { "preserve-fds", required_argument, NULL, O_PRESERVE },
    { "apparmor", required_argument, NULL, O_APPARMOR },
    { "process-label", required_argument, NULL, O_LABEL },
    { "ignore-paused", no_argument, NULL, O_IGNORE_PAUSED },
    { "cgroup", required_argument, NULL, O_CGROUP },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  struct capsa_exec_opts o = { .root = g->root };
  cleanup_strv char **env = NULL, **gids = NULL, **caps = NULL;
  capsa_err *err = NULL;
  int c, status = 0;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+p:te:u:g:c:dh", opts, NULL)) != -1)
    switch (c)
      {
      case 'p': o.process_file = optarg; break;
      case 't': o.tty = true; break;
      case 'e': capsa_strv_append (&env, optarg); break;
      case O_CWD: o.cwd = optarg; break;
      case 'u': o.user = optarg; break;
      case 'g': capsa_strv_append (&gids, optarg); break;
      case 'c': capsa_strv_append (&caps, optarg); break;
      case O_NNP: o.no_new_privs = true; break;
      case 'd': o.detach = true; break;
      case O_PIDFILE: o.pid_file = optarg; break;
      case O_CONSOLE: o.console_socket = optarg; break;
      case O_PRESERVE:
        if ((o.preserve_fds = oci_parse_count (optarg)) < 0)
          return oci_usage ("exec", "--preserve-fds: `%s` is not a count of descriptors", optarg);
        break;
      case O_APPARMOR:
      case O_LABEL:
        capsa_log (CAPSA_LOG_WARNING, "exec: --%s ignored: AppArmor and SELinux are not used on this host",
                   c == O_APPARMOR ? "apparmor" : "process-label");
        break;
      case O_IGNORE_PAUSED:
      case O_CGROUP:
        break;
      case 'h':
        fputs (exec_help, stdout);
        return 0;
      default:
        return oci_usage ("exec", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind >= argc)
    return oci_usage ("exec", "requires the container id");
  o.id = argv[optind];
  o.args = argv + optind + 1;
  if (o.process_file && o.args[0])
    return oci_usage ("exec", "give either --process or a command, not both");
  o.env = env;
  o.additional_gids = gids;
  o.caps = caps;
  if (capsa_container_exec (&o, &status, &err) < 0)
    return oci_fail (&err);
  return status;
}
