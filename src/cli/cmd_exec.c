/* capsa exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...: through the library. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"

struct exec_flags
{
  bool detach, interactive, tty, privileged;
  const char *cwd, *user;
  char **env;
};

/* -e KEY=VALUE, or -e KEY: its value here (left out when it has none) */
static int
add_env (void *base, const char *v, capsa_err **err)
{
  struct exec_flags *f = base;
  if (strchr (v, '='))
    capsa_strv_append (&f->env, v);
  else if (getenv (v))
    {
      cleanup_free char *kv = capsa_xasprintf ("%s=%s", v, getenv (v));
      capsa_strv_append (&f->env, kv);
    }
  return 0;
}

#define F struct exec_flags
static const struct capsa_opt exec_opts[] = {
  CAPSA_O_BOOL ('d', "detach", F, detach, "run it in the background"),
  CAPSA_O_BOOL ('i', "interactive", F, interactive, "keep stdin open"),
  CAPSA_O_BOOL ('t', "tty", F, tty, "allocate a pseudo-terminal"),
  CAPSA_O_CALL ('e', "env", add_env, "KEY=VALUE", "set an environment variable (KEY alone: from this environment)"),
  CAPSA_O_STR ('w', "workdir", F, cwd, "DIR", "working directory"),
  CAPSA_O_STR ('u', "user", F, user, "USER[:GROUP]", "user name or uid (and group)"),
  CAPSA_O_BOOL (0, "privileged", F, privileged, NULL), /* accepted: exec's process gets the container's rights */
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef F
const struct cli_spec cli_spec_exec = {
  "exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Run a command in a running container.", exec_opts, CAPSA_OPT_STOP,
  NULL
};

int
cmd_exec (struct cli_global *g, int argc, char **argv)
{
  struct exec_flags f = { .env = capsa_xmalloc0 (sizeof (char *)) };
  cleanup_strv char **env = NULL;
  int first = cli_parse (&cli_spec_exec, argc, argv, &f);
  env = f.env;
  if (first <= 0)
    return -first;
  struct capsa_exec_opts o = { .detach = f.detach, .tty = f.tty, .cwd = f.cwd };
  const char *user = f.user;
  bool interactive = f.interactive;
  if (argc - first < 2)
    return cli_usage ("exec", "requires at least 2 arguments (CONTAINER COMMAND)");
  cleanup_ctr struct ctr *ct = NULL;
  capsa_err *err = NULL;
  if (capsa_ctr_find (&g->eng, argv[first], &ct, &err) < 0)
    return cli_fail (&err);
  if (ct->status == CTR_PAUSED)
    {
      capsa_fail_as (&err, EINVAL, "container %s is paused: unpause it first (`capsa unpause %s`)", argv[first],
                     argv[first]);
      return cli_fail (&err);
    }
  if (ct->status != CTR_RUNNING)
    {
      capsa_fail_as (&err, EINVAL, "container %s is not running (start it with `capsa start %s`)", argv[first],
                     argv[first]);
      return cli_fail (&err);
    }
  cleanup_free char *ustr = NULL;
  if (user)
    {
      unsigned uid, gid;
      const char *rootfs = json_string_value (
          json_object_get (json_object_get (json_object_get (ct->meta, "GraphDriver"), "Data"), "MergedDir"));
      cleanup_free char *proot = capsa_xasprintf ("/proc/%d/root", (int) ct->pid);
      if (capsa_ctr_resolve_user (ct->pid > 0 ? proot : rootfs, user, &uid, &gid, NULL, &err) < 0)
        return cli_fail (&err);
      ustr = capsa_xasprintf ("%u:%u", uid, gid);
    }
  if (!interactive && !o.detach)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      dup2 (null, 0);
      close (null);
    }
  if (o.detach)
    {
      /* its stdio must not be ours: the caller's pipes would stay open */
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
      close (null);
    }
  o.root = ct->oci_root;
  o.id = ct->id;
  o.args = argv + first + 1;
  o.env = env;
  o.user = ustr;
  int status = 0;
  char exec_id[CTR_ID_LEN + 1];
  capsa_ctr_new_id (exec_id);
  capsa_ctr_exec_event (&g->eng, ct, "exec_create", o.args, exec_id, 0);
  capsa_ctr_exec_event (&g->eng, ct, "exec_start", o.args, exec_id, 0);
  if (capsa_container_exec (&o, &status, &err) < 0)
    {
      int code = capsa_ctr_exec_error_code (err);
      capsa_ctr_exec_event (&g->eng, ct, "exec_die", NULL, exec_id, code);
      cli_fail (&err);
      return code;
    }
  if (!o.detach)
    capsa_ctr_exec_event (&g->eng, ct, "exec_die", NULL, exec_id, status);
  return status;
}
