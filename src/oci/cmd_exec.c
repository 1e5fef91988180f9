/* capsa-oci exec [OPTIONS] ID [COMMAND [ARGS...]]: run a process in a running container. */
#include <stdio.h>
#include <string.h>

#include "capsa/log.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "oci.h"

/* --apparmor and --process-label: accepted with a warning; --ignore-paused, --cgroup: ignored */
static int
lsm_ignored (const char *option)
{
  capsa_log (CAPSA_LOG_WARNING, "exec: --%s ignored: AppArmor and SELinux are not used on this host", option);
  return 0;
}

static int
apparmor (void *base, const char *value, capsa_err **err)
{
  return lsm_ignored ("apparmor");
}

static int
process_label (void *base, const char *value, capsa_err **err)
{
  return lsm_ignored ("process-label");
}

static int
ignored (void *base, const char *value, capsa_err **err)
{
  return 0;
}

#define T struct capsa_exec_opts
static const struct capsa_opt exec_opts[] = {
  CAPSA_O_STR ('p', "process", T, process_file, "FILE",
               "a runtime-spec process JSON (FILE or - for stdin) instead of COMMAND"),
  CAPSA_O_BOOL ('t', "tty", T, tty, "allocate a pseudo-terminal"),
  CAPSA_O_LIST ('e', "env", T, env, "KEY=VALUE", "add an environment variable (repeatable)"),
  CAPSA_O_STR (0, "cwd", T, cwd, "DIR", "working directory in the container"),
  CAPSA_O_STR ('u', "user", T, user, "UID[:GID]", "run as this user"),
  CAPSA_O_LIST ('g', "additional-gids", T, additional_gids, "GID", "add a supplementary group (repeatable)"),
  CAPSA_O_LIST ('c', "cap", T, caps, "CAP", "add a capability (repeatable)"),
  CAPSA_O_BOOL (0, "no-new-privs", T, no_new_privs, "set no_new_privs"),
  CAPSA_O_BOOL ('d', "detach", T, detach, "return once the process runs"),
  CAPSA_O_STR (0, "pid-file", T, pid_file, "FILE", "write the process's pid to FILE"),
  CAPSA_O_STR (0, "console-socket", T, console_socket, "S",
               "send the pty master to the unix socket S (with -t and -d)"),
  CAPSA_O_INT (0, "preserve-fds", T, preserve_fds, 0, 4096, "N", "pass N extra descriptors (3 .. 3+N-1)"),
  CAPSA_O_CALL (0, "apparmor", apparmor, "P", "accepted and ignored (no AppArmor here)"),
  CAPSA_O_CALL (0, "process-label", process_label, "L", "accepted and ignored (no SELinux here)"),
  CAPSA_O_CALL (0, "ignore-paused", ignored, NULL, NULL),
  CAPSA_O_CALL (0, "cgroup", ignored, "PATH", NULL),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef T
const struct oci_cmd oci_cmd_exec = {
  "exec", "[OPTIONS] CONTAINER-ID [COMMAND [ARGS...]]", NULL, exec_opts, CAPSA_OPT_STOP, 29, 0
};

/* The lists oci_parse() filled in o (o owns them). */
static void
exec_opts_free (struct capsa_exec_opts *o)
{
  cleanup_strv_fn (&o->env);
  cleanup_strv_fn (&o->additional_gids);
  cleanup_strv_fn (&o->caps);
}

int
cmd_exec (struct oci_global *g, int argc, char **argv)
{
  __attribute__ ((cleanup (exec_opts_free))) struct capsa_exec_opts o = { .root = g->root };
  capsa_err *err = NULL;
  int status = 0, first = oci_parse (&oci_cmd_exec, argc, argv, &o);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (first >= argc)
    return oci_usage ("exec", "requires the container id");
  o.id = argv[first];
  o.args = argv + first + 1;
  if (o.process_file && o.args[0])
    return oci_usage ("exec", "give either --process or a command, not both");
  if (capsa_container_exec (&o, &status, &err) < 0)
    return oci_fail (&err);
  return status;
}
