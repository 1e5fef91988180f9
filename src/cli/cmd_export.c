/* capsa export [-o FILE] CONTAINER (docker export): the container's root filesystem as a tar,
 * its members relative ("./etc/passwd"), without its volumes or the kernel filesystems mounted
 * in it (the root as the store mounts it, not /proc/PID/root). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "cli.h"

struct export_flags
{
  const char *output;
};

static const struct capsa_opt export_opts[] = {
  CAPSA_O_STR ('o', "output", struct export_flags, output, "FILE", "write to FILE instead of stdout"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_export = { "export",
                                          "[OPTIONS] CONTAINER",
                                          "Write a container's filesystem as a tar archive (to stdout, or -o FILE).",
                                          export_opts,
                                          0,
                                          NULL };

static void
export_warn (const char *msg)
{
  fprintf (stderr, "capsa: export: warning: %s\n", msg);
}

/* The container's root filesystem, mounted again when it is stopped (O_PATH). */
static int
open_rootfs (struct cli_global *g, struct ctr *c, capsa_err **err)
{
  if (capsa_ctr_root_ensure (&g->eng, c->id, err) < 0)
    return -1;
  json_t *data = json_object_get (json_object_get (c->meta, "GraphDriver"), "Data");
  const char *rootfs = jstr (data, "MergedDir");
  int fd = rootfs ? open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd < 0)
    return capsa_fail (err, rootfs ? errno : ENOENT, "export %s: open its root filesystem", capsa_ctr_name (c));
  return fd;
}

int
cmd_export (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  struct export_flags f = { 0 };
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_export, argc, argv, &f);
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("export", "requires exactly 1 argument (CONTAINER)");
  if (f.output == NULL && isatty (1))
    return cli_usage ("export", "refusing to write a tar to a terminal: use -o FILE or redirect stdout");
  if (capsa_ctr_find (&g->eng, argv[first], &c, &err) < 0)
    return cli_fail (&err);
  cleanup_close int root = open_rootfs (g, c, &err);
  if (root < 0)
    return cli_fail (&err);
  cleanup_close int out = f.output ? open (f.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
  if (f.output && out < 0)
    {
      capsa_fail (&err, errno, "export: create `%s`", f.output);
      return cli_fail (&err);
    }
  if (capsa_cp_tar_write (f.output ? out : 1, root, ".", export_warn, &err) < 0)
    {
      if (f.output)
        unlink (f.output);
      capsa_err_wrap (&err, "export %s", capsa_ctr_name (c));
      return cli_fail (&err);
    }
  return 0;
}
