/* capsa-oci create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID */
#include <stdio.h>
#include <string.h>

#include "oci.h"

/* accepted and ignored: --pidfd-socket (containerd's), --keep (runc run's) */
static int
ignored (void *base, const char *value, capsa_err **err)
{
  return 0;
}

/* The options of create and run (runc's, as go-runc, containerd and conmon pass them); run's
 * --detach also has -d and a help line. */
#define T struct capsa_create_opts
#define CREATE_OPTS(DETACH_LETTER, DETACH_HELP)                                                                        \
  CAPSA_O_STR ('b', "bundle", T, bundle, "DIR", "bundle directory holding config.json (default: current directory)"),  \
      CAPSA_O_STR (0, "pid-file", T, pid_file, "FILE", "write the container init's pid to FILE"),                      \
      CAPSA_O_STR (0, "console-socket", T, console_socket, "S",                                                        \
                   "send the pty master to the unix socket S (process.terminal)"),                                     \
      CAPSA_O_BOOL (0, "no-pivot", T, no_pivot, "use chroot instead of pivot_root (a ramdisk root)"),                  \
      CAPSA_O_BOOL (0, "no-new-keyring", T, no_new_keyring, "keep the caller's session keyring"),                      \
      CAPSA_O_INT (0, "preserve-fds", T, preserve_fds, 0, 4096, "N",                                                   \
                   "pass N extra descriptors (3 .. 3+N-1) to the process"),                                            \
      CAPSA_O_BOOL (DETACH_LETTER, "detach", T, detach, DETACH_HELP),                                                  \
      CAPSA_O_CALL (0, "pidfd-socket", ignored, "S", NULL), CAPSA_O_CALL (0, "keep", ignored, NULL, NULL),             \
      CAPSA_O_HELP ('h'), CAPSA_O_END
static const struct capsa_opt create_opts[] = { CREATE_OPTS (0, NULL) };
static const struct capsa_opt run_opts[] = { CREATE_OPTS ('d', "do not wait for the container") };
#undef CREATE_OPTS
#undef T
const struct oci_cmd oci_cmd_create = { "create", "[OPTIONS] CONTAINER-ID", NULL, create_opts, CAPSA_OPT_STOP, 28, 0 };
const struct oci_cmd oci_cmd_run = { "run", "[OPTIONS] CONTAINER-ID", NULL, run_opts, CAPSA_OPT_STOP, 28, 0 };

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
  memset (o, 0, sizeof *o);
  int first = oci_parse (is_run ? &oci_cmd_run : &oci_cmd_create, argc, argv, o);
  if (first <= 0)
    return first == 0 ? -2 : -1;
  o->root = g->root;
  if (g->systemd_cgroup)
    return systemd_refused (cmd), -1;
  o->no_cgroups = strcmp (g->cgroup_manager, "disabled") == 0;
  o->id = oci_one_id (cmd, argc, argv, first);
  return o->id ? first : -1;
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
