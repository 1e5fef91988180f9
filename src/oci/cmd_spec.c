/* capsa-oci spec [--bundle DIR] [--rootless]: write a default config.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/runtime.h"
#include "capsa/util.h"
#include "oci.h"

struct spec_args
{
  const char *bundle;
  bool rootless;
};

static const struct capsa_opt spec_opts[] = {
  CAPSA_O_STR ('b', "bundle", struct spec_args, bundle, "DIR", NULL),
  CAPSA_O_BOOL (0, "rootless", struct spec_args, rootless, NULL),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_spec = {
  "spec",
  "[--bundle DIR] [--rootless]",
  "Writes DIR/config.json (default: ./config.json): a busybox-friendly config running `sh`\n"
  "on a pty, rootfs in DIR/rootfs.  --rootless maps your uid/gid to root in a user namespace.\n",
  spec_opts,
  0,
  0,
  0,
};

int
cmd_spec (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  struct spec_args a = { .bundle = "." };
  int first = oci_parse (&oci_cmd_spec, argc, argv, &a);

  (void) g;
  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (first != argc)
    return oci_usage ("spec", "takes no arguments");
  cleanup_free char *path = capsa_xasprintf ("%s/config.json", a.bundle);
  json_t *spec = capsa_spec_default (a.rootless);
  char *s = spec ? json_dumps (spec, JSON_INDENT (2)) : NULL;
  json_decref (spec);
  if (s == NULL)
    {
      capsa_fail (&err, ENOMEM, "spec: encode the default config");
      return oci_fail (&err);
    }
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      free (s);
      capsa_fail (&err, errno, errno == EEXIST ? "spec: `%s` exists already: remove it first" : "spec: create `%s`",
                  path);
      return oci_fail (&err);
    }
  int r = capsa_write_all (fd, s, strlen (s));
  if (r == 0)
    r = capsa_write_all (fd, "\n", 1);
  free (s);
  if (r < 0)
    {
      capsa_fail (&err, errno, "spec: write `%s`", path);
      return oci_fail (&err);
    }
  return 0;
}
