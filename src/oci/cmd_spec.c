/* capsa-oci spec [--bundle DIR] [--rootless]: write a default config.json. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/runtime.h"
#include "capsa/util.h"
#include "oci.h"

int
cmd_spec (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  capsa_err *err = NULL;
  const char *bundle = ".";
  bool rootless = false;
  int c;

  (void) g;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'r':
        rootless = true;
        break;
      case 'h':
        printf ("Usage: capsa-oci spec [--bundle DIR] [--rootless]\n\n"
                "Writes DIR/config.json (default: ./config.json): a busybox-friendly config running `sh`\n"
                "on a pty, rootfs in DIR/rootfs.  --rootless maps your uid/gid to root in a user namespace.\n");
        return 0;
      default:
        return oci_usage ("spec", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind != argc)
    return oci_usage ("spec", "takes no arguments");
  cleanup_free char *path = capsa_xasprintf ("%s/config.json", bundle);
  json_t *spec = capsa_spec_default (rootless);
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
