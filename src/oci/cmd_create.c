/* capsa-oci create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "oci.h"

static const char create_help[]
    = "Usage: capsa-oci %s [OPTIONS] CONTAINER-ID\n"
      "\n"
      "  -b, --bundle DIR          bundle directory holding config.json (default: current directory)\n"
      "      --pid-file FILE       write the container init's pid to FILE\n"
      "      --console-socket S    send the pty master to the unix socket S (process.terminal)\n"
      "      --no-pivot            use chroot instead of pivot_root (a ramdisk root)\n"
      "      --no-new-keyring      keep the caller's session keyring\n"
      "      --preserve-fds N      pass N extra descriptors (3 .. 3+N-1) to the process\n"
      "%s";

enum
{
  OPT_PIDFILE = 1000,
  OPT_CONSOLE,
  OPT_NOPIVOT,
  OPT_NOKEYRING,
  OPT_PRESERVE,
  OPT_PIDFD,
  OPT_KEEP,
};

const char *
oci_one_id (const char *cmd, int argc, char **argv, int first)
{
  if (argc - first != 1)
    {
      oci_usage (cmd, "requires exactly 1 argument (the container id), got %d", argc - first);
      return NULL;
    }
  return argv[first];
}

static int
systemd_refused (const char *cmd)
{
  capsa_err *err = NULL;
  capsa_fail (&err, 0,
              "%s: the systemd cgroup manager was requested (--systemd-cgroup), but systemd is not running on this "
              "host: capsa-oci manages cgroups through cgroupfs; drop --systemd-cgroup",
              cmd);
  return oci_fail (&err);
}

int
oci_parse_create_opts (struct oci_global *g, const char *cmd, bool is_run, int argc, char **argv,
                       struct capsa_create_opts *o)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, OPT_PIDFILE },
    { "console-socket", required_argument, NULL, OPT_CONSOLE },
    { "pidfd-socket", required_argument, NULL, OPT_PIDFD },
    { "no-pivot", no_argument, NULL, OPT_NOPIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  int c;

  memset (o, 0, sizeof *o);
  o->root = g->root;
  opterr = 0;
  while ((c = getopt_long (argc, argv, is_run ? "+b:dh" : "+b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case OPT_PIDFILE:
        o->pid_file = optarg;
        break;
      case OPT_CONSOLE:
        o->console_socket = optarg;
        break;
      case OPT_NOPIVOT:
        o->no_pivot = true;
        break;
      case OPT_NOKEYRING:
        o->no_new_keyring = true;
        break;
      case OPT_PRESERVE:
        o->preserve_fds = oci_parse_count (optarg);
        if (o->preserve_fds < 0)
          return oci_usage (cmd, "--preserve-fds: `%s` is not a count of descriptors", optarg), -1;
        break;
      case 'd':
        o->detach = true;
        break;
      case OPT_PIDFD:
      case OPT_KEEP:
        break;
      case 'h':
        printf (create_help, cmd, is_run ? "  -d, --detach              do not wait for the container\n" : "");
        return -2;
      default:
        return oci_usage (cmd, "unknown option `%s`", argv[optind - 1]), -1;
      }
  if (g->systemd_cgroup)
    return systemd_refused (cmd), -1;
  o->no_cgroups = strcmp (g->cgroup_manager, "disabled") == 0;
  o->id = oci_one_id (cmd, argc, argv, optind);
  return o->id ? optind : -1;
}

int
cmd_create (struct oci_global *g, int argc, char **argv)
{
  struct capsa_create_opts o;
  capsa_err *err = NULL;
  int r = oci_parse_create_opts (g, "create", false, argc, argv, &o);

  if (r < 0)
    return r == -2 ? 0 : 1;
  if (capsa_container_create (&o, &err) < 0)
    return oci_fail (&err);
  return 0;
}
