/* capsa exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...: through the library. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "cli.h"
#include "ctr.h"
#include "ctr_config.h"
#include "exec.h"
#include "util.h"

int
cmd_exec (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "detach", no_argument, NULL, 'd' },
                                        { "interactive", no_argument, NULL, 'i' },
                                        { "tty", no_argument, NULL, 't' },
                                        { "env", required_argument, NULL, 'e' },
                                        { "workdir", required_argument, NULL, 'w' },
                                        { "user", required_argument, NULL, 'u' },
                                        { "privileged", no_argument, NULL, 'P' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  struct capsa_exec_opts o = { 0 };
  cleanup_strv char **env = xmalloc0 (sizeof (char *));
  const char *user = NULL;
  bool interactive = false;
  int c;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+dite:w:u:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        o.detach = true;
        break;
      case 'i':
        interactive = true;
        break;
      case 't':
        o.tty = true;
        break;
      case 'e':
        if (strchr (optarg, '='))
          strv_append (&env, optarg);
        else if (getenv (optarg))
          {
            cleanup_free char *kv = xasprintf ("%s=%s", optarg, getenv (optarg));
            strv_append (&env, kv);
          }
        break;
      case 'w':
        o.cwd = optarg;
        break;
      case 'u':
        user = optarg;
        break;
      case 'P':
        break;
      case 'h':
        printf ("Usage: capsa exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nRun a command in a running container.\n"
                "  -d, --detach         run it in the background\n"
                "  -i, --interactive    keep stdin open\n"
                "  -t, --tty            allocate a pseudo-terminal\n"
                "  -e, --env KEY=VALUE  set an environment variable\n"
                "  -w, --workdir DIR    working directory\n"
                "  -u, --user USER[:GROUP]\n");
        return 0;
      default:
        return cli_usage ("exec", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind < 2)
    return cli_usage ("exec", "requires at least 2 arguments (CONTAINER COMMAND)");
  cleanup_ctr struct ctr *ct = NULL;
  capsa_err *err = NULL;
  if (ctr_find (&g->eng, argv[optind], &ct, &err) < 0)
    return cli_fail (&err);
  if (ct->status == CTR_PAUSED)
    {
      capsa_fail_as (&err, EINVAL, "container %s is paused: unpause it first (`capsa unpause %s`)", argv[optind],
                     argv[optind]);
      return cli_fail (&err);
    }
  if (ct->status != CTR_RUNNING)
    {
      capsa_fail_as (&err, EINVAL, "container %s is not running (start it with `capsa start %s`)", argv[optind],
                     argv[optind]);
      return cli_fail (&err);
    }
  cleanup_free char *ustr = NULL;
  if (user)
    {
      unsigned uid, gid;
      const char *rootfs = json_string_value (
          json_object_get (json_object_get (json_object_get (ct->meta, "GraphDriver"), "Data"), "MergedDir"));
      cleanup_free char *proot = xasprintf ("/proc/%d/root", (int) ct->pid);
      if (ctr_resolve_user (ct->pid > 0 ? proot : rootfs, user, &uid, &gid, NULL, &err) < 0)
        return cli_fail (&err);
      ustr = xasprintf ("%u:%u", uid, gid);
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
  o.args = argv + optind + 1;
  o.env = env;
  o.user = ustr;
  int status = 0;
  if (capsa_container_exec (&o, &status, &err) < 0)
    {
      int code = ctr_exec_error_code (err);
      cli_fail (&err);
      return code;
    }
  return status;
}
